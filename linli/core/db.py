"""Database housekeeping shared by the bulk write paths."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.db import connection


def refresh_statistics(*tables: str) -> None:
    """ANALYZE after a bulk load, so the query planner knows the tables' new sizes.

    PostgreSQL's autovacuum would get there eventually; until it does, a freshly loaded registry is
    planned as if it were empty (seen: a name search walking every resident instead of the name index).
    SQLite has no autovacuum for statistics at all. The whole database, not just the registry: the
    planner's worst misestimate was the area table that every scope filter joins.

    On PostgreSQL, outside a transaction, VACUUM as well: it marks the new pages all-visible, and
    only then can counts be answered from an index alone (open cases of a community: a bitmap heap
    scan of 4,700 pages, 22 ms, before; an index-only scan after). Autovacuum would do it later, or
    never where it is switched off.

    `tables`: only these, for a bulk load that wrote nothing else (an import: the cases, visits and audit
    log of a street need no second look because residents were added).
    """
    quoted = [connection.ops.quote_name(t) for t in tables]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            cursor.execute(f"VACUUM (ANALYZE) {', '.join(quoted)}")
        elif connection.vendor == "postgresql" or len(quoted) <= 1:
            cursor.execute(f"ANALYZE {', '.join(quoted)}")
        else:
            for table in quoted:  # SQLite analyses one table (or everything) per statement
                cursor.execute(f"ANALYZE {table}")


def count_upto(qs: Any, cap: int) -> int:
    """How many rows the queryset `qs` has, reading no more than `cap` + 1 of them: a count above
    `cap` means "more than `cap`", whatever it is exactly (and costs what `cap` + 1 rows do)."""
    return int(qs.order_by()[: cap + 1].count())


def one_of(column: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
    """`column IN (…values)` as SQL and its parameters, for the bulk paths' plain queries. PostgreSQL gets
    one array (`= ANY(%s)`): a thousand placeholders cost psycopg more to parse than the query costs to
    run."""
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)", [list(values)]
    return f"{column} IN ({', '.join(['%s'] * len(values))})", list(values)


class JsonText(str):
    """A JSONField's value already written out as JSON text (worked out ahead, e.g. in a second process):
    `insert_rows` passes it through as it is."""

    __slots__ = ()


def _adapter(field: Any) -> Callable[[Any], Any] | None:
    """How a Python value of this field becomes a query parameter; None = as it is (text, numbers, ids)."""
    from django.db import models

    ops = connection.ops
    if isinstance(field, models.DateTimeField):
        return ops.adapt_datetimefield_value
    if isinstance(field, models.DateField):
        return ops.adapt_datefield_value
    if isinstance(field, models.DecimalField):
        return lambda v: ops.adapt_decimalfield_value(v, field.max_digits, field.decimal_places)
    if isinstance(field, models.JSONField):
        return lambda v: ops.adapt_json_value(v, field.encoder)
    return None


def insert_rows(
    model: Any, fields: Sequence[str], rows: Iterable[Sequence[Any]], *, ignore_conflicts: bool = False
) -> int:
    """Insert plain tuples (values in `fields` order, foreign keys as ids) with one prepared statement.

    For the bulk paths (import, demo): Django's bulk_create compiles SQL for every value of every row and
    builds a model instance per row, which was most of an import's time. No signals, no ids returned.
    """
    from django.db.models.constants import OnConflict

    meta = model._meta
    concrete = [meta.get_field(name) for name in fields]
    adapters = [_adapter(f) for f in concrete]
    quote = connection.ops.quote_name
    on_conflict = OnConflict.IGNORE if ignore_conflicts else None
    sql = "{} {} ({}) VALUES ({}) {}".format(
        connection.ops.insert_statement(on_conflict=on_conflict),
        quote(meta.db_table),
        ", ".join(quote(f.column) for f in concrete),
        ", ".join(["%s"] * len(concrete)),
        connection.ops.on_conflict_suffix_sql(concrete, on_conflict, None, None) or "",
    ).strip()
    rows = _adapted(rows, adapters) if any(adapters) else list(rows)
    if not rows:
        return 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            _insert_postgresql(cursor, meta.db_table, concrete, rows, sql if ignore_conflicts else None)
        else:
            cursor.executemany(sql, rows)  # SQLite runs it in-process: as fast as it gets
    return len(rows)


def _adapted(rows: Iterable[Sequence[Any]], adapters: list[Callable[[Any], Any] | None]) -> list[Any]:
    """Rows with their dates, decimals and JSON turned into parameters; the other columns as they are.

    Hashable values are adapted once per distinct value: a batch shares one timestamp in several
    columns, and adapting every copy was an eighth of an import's time.
    """
    columns = [(i, a) for i, a in enumerate(adapters) if a is not None]
    memo: dict[tuple[int, type, Any], Any] = {}
    out = []
    for row in rows:
        values = list(row)
        for i, adapt in columns:
            v = values[i]
            if v is None:
                continue
            if isinstance(v, JsonText):
                values[i] = str(v)
                continue
            if isinstance(v, dict | list):
                values[i] = adapt(v)
                continue
            key = (i, type(v), v)  # the type too: True == 1, but they are different JSON
            if (hit := memo.get(key)) is None:
                hit = memo[key] = adapt(v)
            values[i] = hit
        out.append(tuple(values))
    return out


def _insert_postgresql(
    cursor: Any, table: str, fields: list[Any], rows: list[Any], upsert_sql: str | None
) -> None:
    """COPY, or multi-row INSERTs where conflicts are to be skipped (COPY cannot skip them).

    psycopg's executemany still sends one statement per row (pipelined); at 70,000 rows per import
    batch that round-tripping was most of a PostgreSQL import.
    """
    quote = connection.ops.quote_name
    if upsert_sql is None:
        columns = ", ".join(quote(f.column) for f in fields)
        with cursor.cursor.copy(f"COPY {quote(table)} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    head, _, tail = upsert_sql.partition(" VALUES ")
    one = tail[: tail.index(")") + 1]
    suffix = tail[len(one) :]
    per_statement = max(1, 60000 // len(fields))  # PostgreSQL allows 65,535 parameters per statement
    for start in range(0, len(rows), per_statement):
        chunk = rows[start : start + per_statement]
        cursor.execute(
            f"{head} VALUES {', '.join([one] * len(chunk))}{suffix}", [v for row in chunk for v in row]
        )


def insert_objects(model: Any, objects: Sequence[Any], *, ignore_conflicts: bool = False) -> int:
    """`insert_rows` for unsaved model instances: every concrete column but the automatic primary key."""
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    return insert_rows(
        model,
        [f.name for f in fields],
        ([getattr(obj, f.attname) for f in fields] for obj in objects),
        ignore_conflicts=ignore_conflicts,
    )


def is_busy(exc: BaseException) -> bool:
    """Whether a database error means "try again shortly": SQLite's lock (its busy timeout ran out while
    another process wrote), PostgreSQL's deadlock, serialization failure or lock timeout."""
    from django.db import OperationalError

    if not isinstance(exc, OperationalError):
        return False
    cause = exc.__cause__
    if getattr(cause, "sqlstate", None) in {"40P01", "40001", "55P03"}:
        return True
    text = str(exc).lower()
    return "database is locked" in text or "database table is locked" in text
