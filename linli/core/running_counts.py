"""Running counts kept by database triggers: a small table of (area, kind, key, n) rows that a module's
figures read instead of counting its big table after every write (registry/counts.py, cases/counts.py).

Why triggers: rows are written by the services, imports' plain-row writers, a restore, bulk updates and the
benchmarks' loaders; a trigger sees them all, in the writing transaction, so the counts are exact as of the
last commit whichever server or path wrote.

- SQLite (one writer at a time): row triggers add or take one on the key's row (`sqlite_add`, `sqlite_sub`).
- PostgreSQL: statement triggers with transition tables *append* each statement's net change as new rows
  (`pg_trigger`): no counter row is ever updated by a write, so concurrent writers neither wait nor deadlock
  on a hot counter. Readers sum a key's rows; `compact` (the `linli tick` sweep) folds them into one.

`RunningCounts.direct` counts the same from the rows themselves; `linli check` compares the two
(`mismatches`) and each module's recount command writes the direct count over the kept one (`rebuild`).
A counts table is derived data: its model says `derived = True` and backups leave it out (a restore's own
writes rebuild it through the triggers).
"""

# ruff: noqa: S608  (every statement here is built from table and column names in code, never from input)

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction

Key = tuple[int, str, str]  # area id, kind, key


def sqlite_add(
    table: str, area_col: str, area: str, kind: str, key: str, delta: str = "1", cond: str = "1"
) -> str:
    """Trigger statements: add `delta` to (area, kind, key) when `cond` holds, making the row if missing."""
    where = f"{area_col} = {area} AND kind = '{kind}' AND key = {key}"
    return (
        f"INSERT INTO {table} ({area_col}, kind, key, n) SELECT {area}, '{kind}', {key}, 0 "
        f"WHERE ({cond}) AND {area} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {table} WHERE {where});\n"
        f"UPDATE {table} SET n = n + {delta} WHERE ({cond}) AND {where};\n"
    )


def sqlite_sub(
    table: str, area_col: str, area: str, kind: str, key: str, delta: str = "1", cond: str = "1"
) -> str:
    """Take `delta` from (area, kind, key): a row that is not there (the table was just emptied, as a test
    database's flush does before the counted rows) is left alone rather than made negative."""
    return (
        f"UPDATE {table} SET n = n - {delta} "
        f"WHERE ({cond}) AND {area_col} = {area} AND kind = '{kind}' AND key = {key};\n"
    )


def pg_trigger(
    counts: str, area_col: str, table: str, event: str, rows: Callable[[str, str], str]
) -> tuple[str, list[str]]:
    """(name, [function, trigger]) of a PostgreSQL statement trigger on `table` for `event` that appends the
    statement's net change to `counts`. `rows(transition_table, "+"|"-")` is a SELECT of (area, kind, key,
    ±1) for each counted thing the changed rows stand for."""
    name = f"{counts.removesuffix('count')}_{table.split('_', 1)[1]}_{event.lower()}"
    parts, referencing = [], []
    if event in ("DELETE", "UPDATE"):
        parts.append(rows("old_rows", "-"))
        referencing.append("OLD TABLE AS old_rows")
    if event in ("INSERT", "UPDATE"):
        parts.append(rows("new_rows", "+"))
        referencing.append("NEW TABLE AS new_rows")
    function = (
        f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"INSERT INTO {counts} ({area_col}, kind, key, n) SELECT a, k, v, SUM(d) "
        f"FROM ({' UNION ALL '.join(parts)}) AS s(a, k, v, d) GROUP BY a, k, v HAVING SUM(d) <> 0; "
        "RETURN NULL; END $$"
    )
    trigger = (
        f"CREATE TRIGGER {name} AFTER {event} ON {table} REFERENCING {' '.join(referencing)} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
    )
    return name, [function, trigger]


def compact(table: str, area_col: str) -> int:
    """Fold each key's rows into one (PostgreSQL: the statements' appended changes) and drop the zeros; the
    number of rows gone. Rows a concurrent writer appends meanwhile are not in this statement's snapshot, so
    they are neither deleted nor counted twice (and two folds at once: the second skips what the first
    deleted)."""
    cols = f"{area_col}, kind, key"
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"WITH gone AS (DELETE FROM {table} RETURNING {cols}, n), "
                f"kept AS (INSERT INTO {table} ({cols}, n) SELECT {cols}, SUM(n) "
                f"FROM gone GROUP BY {cols} HAVING SUM(n) <> 0 RETURNING 1) "
                "SELECT (SELECT COUNT(*) FROM gone) - (SELECT COUNT(*) FROM kept)"
            )
            return int(cursor.fetchone()[0])
        cursor.execute(f"DELETE FROM {table} WHERE n = 0")
        return int(cursor.rowcount)


def compact_all() -> int:
    """Fold every module's counts (after a bulk load that wrote a row at a time, such as a restore)."""
    from django.apps import apps

    folded = 0
    for model in apps.get_models():
        if getattr(model, "derived", False):
            area = next(f for f in model._meta.concrete_fields if f.is_relation)
            folded += compact(model._meta.db_table, str(area.column))
    return folded


# `linli check` warns when more appended changes than this (and ten per count) wait for the sweep's fold.
UNFOLDED_WARN = 10_000


@dataclass(frozen=True)
class RunningCounts:
    """One module's counts table: `direct_sql(vendor)` is a SELECT of (area, kind, key, n) from the counted
    rows; the triggers are the module's (`sqlite`: name → trigger body after "CREATE TRIGGER name"; `postgres`: table →
    events, with `rows` as in `pg_trigger`)."""

    table: str
    area_col: str
    direct_sql: Callable[[str], str]
    writers: tuple[str, ...]  # the counted tables: no write to them while `rebuild` counts
    sqlite: Callable[[], dict[str, str]]
    postgres: dict[str, tuple[str, ...]]
    rows: Callable[[str, str, str], str]  # (counted table, transition table, sign) → SELECT

    def _pg(self, table: str, event: str) -> tuple[str, list[str]]:
        return pg_trigger(
            self.table, self.area_col, table, event, lambda rows, sign: self.rows(table, rows, sign)
        )

    def _fill(self, vendor: str) -> str:
        """The statement that stores the direct count (into an emptied or new table)."""
        return f"INSERT INTO {self.table} ({self.area_col}, kind, key, n) {self.direct_sql(vendor)}"

    def install(self, schema_editor: Any) -> None:
        """Create the triggers and count what is there (the migration that makes the table calls this)."""
        if schema_editor.connection.vendor == "postgresql":
            for table, events in self.postgres.items():
                for event in events:
                    for sql in self._pg(table, event)[1]:
                        schema_editor.execute(sql)
        else:
            for name, body in self.sqlite().items():
                schema_editor.execute(f"CREATE TRIGGER {self.table}_{name} {body}END")
        schema_editor.execute(self._fill(schema_editor.connection.vendor))

    def migration(self) -> Any:
        """The migration operation that installs the triggers and counts what is there (and, undone, drops
        the triggers): the last operation of the migration that makes the counts table."""
        from django.db import migrations

        return migrations.RunPython(
            lambda apps, schema_editor: self.install(schema_editor),
            lambda apps, schema_editor: self.uninstall(schema_editor),
        )

    def uninstall(self, schema_editor: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            for table, events in self.postgres.items():
                for event in events:
                    name = self._pg(table, event)[0]
                    schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
                    schema_editor.execute(f"DROP FUNCTION IF EXISTS {name}()")
        else:
            for name in self.sqlite():
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {self.table}_{name}")

    def direct(self) -> dict[Key, int]:
        """The counts counted from the rows themselves (what the kept counts must sum to)."""
        with connection.cursor() as cursor:
            cursor.execute(self.direct_sql(connection.vendor))
            return {(area, kind, key): int(n) for area, kind, key, n in cursor.fetchall() if n}

    def kept(self) -> dict[Key, int]:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {self.area_col}, kind, key, SUM(n) FROM {self.table} "
                f"GROUP BY {self.area_col}, kind, key HAVING SUM(n) <> 0"
            )
            return {(area, kind, key): int(n) for area, kind, key, n in cursor.fetchall()}

    def mismatches(self) -> list[str]:
        """Where the kept counts differ from a direct count (empty: they agree)."""
        counted, stored = self.direct(), self.kept()
        return [
            f"{self.area_col.removesuffix('_id')} {area} {kind} {key!r}: kept {stored.get((area, kind, key), 0)}, "
            f"counted {counted.get((area, kind, key), 0)}"
            for area, kind, key in sorted(counted.keys() | stored.keys())
            if counted.get((area, kind, key), 0) != stored.get((area, kind, key), 0)
        ]

    def rebuild(self) -> int:
        """Write the direct count over the kept one; the number of rows kept. On PostgreSQL no write to the
        counted tables until this transaction ends (their statements' changes would otherwise land between
        the count and its storing); SQLite has one writer at a time anyway."""
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(f"LOCK TABLE {', '.join(self.writers)} IN SHARE MODE")
            cursor.execute(f"DELETE FROM {self.table}")
            cursor.execute(self._fill(connection.vendor))
            cursor.execute(f"SELECT COUNT(*) FROM {self.table}")
            return int(cursor.fetchone()[0])

    def compact(self) -> int:
        return compact(self.table, self.area_col)

    def recount(self, *, actor: Any, object_type: str, label: str) -> tuple[int, int]:
        """An operator's repair when `linli check` found a difference: (places that differed, rows kept);
        audited as a write of the counts' model (`object_type`), so the dashboards count again."""
        from linli.core.audit import Action, audit_record

        with transaction.atomic():
            differences = len(self.mismatches())
            rows = self.rebuild()
            audit_record(
                actor=actor,
                action=Action.UPDATE,
                object_type=object_type,
                object_repr=f"{label} · 重新统计",
                changes={"places_differing": [differences, 0]},
            )
        return differences, rows

    def unfolded(self) -> tuple[int, int]:
        """(rows beyond one a key, keys): on PostgreSQL the changes appended since the last fold, which
        every reader adds up until the sweep folds them (SQLite keeps one row a key)."""
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT (SELECT COUNT(*) FROM {self.table}), "
                f"(SELECT COUNT(*) FROM (SELECT 1 FROM {self.table} GROUP BY {self.area_col}, kind, key) k)"
            )
            rows, keys = cursor.fetchone()
        return int(rows) - int(keys), int(keys)

    def operator_check(self, what: str, command: str) -> tuple[bool, str]:
        """`linli check`'s line: whether the kept counts equal a direct count, and whether they are being
        folded (a deployment without the sweep would read more rows on every page, day after day)."""
        wrong = self.mismatches()
        if wrong:
            return (
                False,
                f"{what}: the running counts differ from a direct count in {len(wrong)} places "
                f"(e.g. {wrong[0]}) — run `{command}`",
            )
        waiting, keys = self.unfolded()
        if waiting > max(UNFOLDED_WARN, 10 * keys):
            return (
                False,
                f"{what}: {waiting:,} changes wait to be folded into {keys:,} counts and every page that "
                "reads them adds them up — is the sweep running ('linli serve', or cron 'linli tick')?",
            )
        return True, f"{what}: the running counts equal a direct count"

    def sweep(self, what: str) -> Callable[[], Callable[[bool], str | None]]:
        """A `linli tick` sweep that folds the counts (Commands.sweep's `start`)."""

        def start() -> Callable[[bool], str | None]:
            def step(looping: bool) -> str | None:
                folded = self.compact()
                if not looping or folded:
                    return f"{what} sweep: {folded} count rows folded"
                return None

            return step

        return start
