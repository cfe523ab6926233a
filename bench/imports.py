"""The import workload and its limit: the same writes, with nothing left to work out (issue #24.1).

Linli's import (`linli import residents … --json`, a child process, as an operator runs it) is timed
against a limit that writes exactly what the import wrote: the import runs first, every row it left in
the registry's tables is read back (residents with their pinyin, initials and reversed ID and phone, the
name grams, the history, the row report, tag links, buildings, units, houses and households), the tables
are emptied, and those rows are written again (twice, the faster run counting) into the same tables with their real indexes, a batch of
residents (and what belongs to them) per transaction as the import batches them: `COPY` on PostgreSQL,
`executemany` on SQLite. The ratio is `ratio_same_writes`.
"""

from __future__ import annotations

import csv
import json
import os
import sys
import tempfile
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

# The tables an import writes, in the order a batch writes them, and which resident each row belongs to.
# A place belongs to the batch of the first resident who names it.
_RESIDENT_BATCH = "SELECT id, (ROW_NUMBER() OVER (ORDER BY id) - 1) / {size} AS b FROM registry_resident"
_BY_RESIDENT = "JOIN rb ON rb.id = t.resident_id"
_TABLES: tuple[tuple[str, str], ...] = (
    (
        "registry_building",
        "JOIN (SELECT h.building_id AS k, MIN(hb.b) AS b FROM registry_house h JOIN hb ON hb.id = h.id"
        " GROUP BY h.building_id) x ON x.k = t.id",
    ),
    (
        "registry_entrance",
        "JOIN (SELECT h.entrance_id AS k, MIN(hb.b) AS b FROM registry_house h JOIN hb ON hb.id = h.id"
        " GROUP BY h.entrance_id) x ON x.k = t.id",
    ),
    ("registry_house", "JOIN hb x ON x.id = t.id"),
    (
        "registry_household",
        "JOIN (SELECT r.household_id AS k, MIN(rb.b) AS b FROM registry_resident r JOIN rb ON rb.id = r.id"
        " GROUP BY r.household_id) x ON x.k = t.id",
    ),
    ("registry_resident", "JOIN rb x ON x.id = t.id"),
    ("registry_namegram", "JOIN rb x ON x.id = t.resident_id"),
    ("registry_residentchange", "JOIN rb x ON x.id = t.resident_id"),
    ("registry_residenttag", "JOIN rb x ON x.id = t.resident_id"),
    ("transfers_importrow", "JOIN rb x ON x.id = t.resident_id"),
)


def _select(table: str, join: str, size: int) -> str:
    houses = (
        "SELECT r.house_id AS id, MIN(rb.b) AS b FROM registry_resident r JOIN rb ON rb.id = r.id"
        " WHERE r.house_id IS NOT NULL GROUP BY r.house_id"
    )
    ctes = f"WITH rb AS ({_RESIDENT_BATCH.format(size=size)}), hb AS ({houses})"
    return f"{ctes} SELECT x.b, t.* FROM {table} t {join} ORDER BY x.b, t.id"  # noqa: S608  (our tables)


def capture_writes(size: int) -> dict[str, dict[int, Any]]:
    """Every row the import left in its tables, grouped by table and batch, ready to be written again:
    PostgreSQL's COPY text lines, SQLite's tuples."""
    from django.db import connection

    captured: dict[str, dict[int, Any]] = {}
    with connection.cursor() as cursor:
        for table, join in _TABLES:
            batches: dict[int, Any] = defaultdict(list)
            sql = _select(table, join, size)
            if connection.vendor == "postgresql":
                data = bytearray()
                with cursor.connection.cursor().copy(f"COPY ({sql}) TO STDOUT") as copy:
                    for chunk in copy:
                        data += chunk
                for line in bytes(data).splitlines():
                    b, _, rest = line.partition(b"\t")
                    batches[int(b)].append(rest)
            else:
                cursor.execute(sql)
                for b, *rest in cursor.fetchall():
                    batches[int(b)].append(tuple(rest))
            captured[table] = dict(batches)
    return captured


def empty_tables() -> None:
    """Empty what the import wrote, keeping its job (the row report points at it)."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.constraint_checks_disabled(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE cases_case SET building_id = NULL, house_id = NULL, resident_id = NULL"
            " WHERE building_id IS NOT NULL OR house_id IS NOT NULL OR resident_id IS NOT NULL"
        )
        for table, _ in reversed(_TABLES):
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608  (our own table names)


def write_again(captured: dict[str, dict[int, Any]]) -> None:
    """The limit: the captured rows written again, one transaction per batch."""
    from django.db import connection, transaction

    batches = sorted({b for rows in captured.values() for b in rows})
    for b in batches:
        with transaction.atomic(), connection.cursor() as cursor:
            for table, _ in _TABLES:
                rows = captured[table].get(b)
                if not rows:
                    continue
                if connection.vendor == "postgresql":
                    with cursor.connection.cursor().copy(f"COPY {table} FROM STDIN") as copy:
                        copy.write(b"\n".join(rows) + b"\n")
                else:
                    marks = ", ".join(["%s"] * len(rows[0]))
                    cursor.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)  # noqa: S608


def write_ledger(path: Path, header: list[str], rows: list[list[str]]) -> None:
    if path.suffix == ".csv":
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(header)
            writer.writerows(rows)
        return
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = wb.add_worksheet()
    for i, row in enumerate([header, *rows]):
        for j, value in enumerate(row):
            ws.write_string(i, j, value)
    wb.close()


def workload(
    scale: str,
    community: Any,
    rows: list[list[str]],
    header: list[str],
    fmt: str,
    *,
    wipe: Callable[[], None],
    run_measured: Callable[[list[str]], tuple[str, int]],
    timed: Callable[[Callable[[], Any]], tuple[float, Any]],
) -> dict[str, Any]:
    """Linli's import of the street's ledger into an empty registry against the same writes."""
    from django.db import connection

    from linli.transfers.services import BATCH_SIZE

    path = Path(tempfile.mkdtemp(prefix="linli-bench-")) / f"ledger.{fmt}"
    write_ledger(path, header, rows)
    wipe()
    # The real command in a child process: wall time as an operator sees it, and its peak memory (the
    # command and any process it starts).
    command = [
        sys.executable,
        "-m",
        "linli.core.cli",
        "import",
        "residents",
        str(path),
        "--community",
        community.path,
        "--json",
    ]
    seconds, (stdout, peak_kb) = timed(lambda: run_measured(command))
    summary = json.loads(stdout)
    assert summary["created"] == len(rows), summary  # noqa: S101  (a wrong import is not a benchmark)
    captured = capture_writes(BATCH_SIZE)
    written = {table: sum(len(r) for r in by_batch.values()) for table, by_batch in captured.items()}
    # The limit twice, the faster counting: a busy machine stretches one run more than the other.
    # LINLI_BENCH_IMPORT_LIMIT_RUNS=0 leaves it out, for a run that measures only the import's memory
    # and rows per second (at the city scale the limit's two runs take longer than the import).
    limits = []
    for _ in range(int(os.environ.get("LINLI_BENCH_IMPORT_LIMIT_RUNS", "2"))):
        empty_tables()
        limits.append(timed(lambda: write_again(captured))[0])
    limit_s = min(limits) if limits else None
    ratio = round(seconds / limit_s, 2) if limit_s else None
    vendor = connection.vendor
    return {
        "workload": f"import_{fmt}",
        "scale": scale,
        "rows": len(rows),
        "linli_s": round(seconds, 3),
        "limit_s": round(limit_s, 3) if limit_s else None,
        "limit_runs_s": [round(x, 3) for x in limits],
        "ratio": ratio,
        "ratio_same_writes": ratio,
        "rows_per_s": int(len(rows) / seconds),
        "limit_rows_per_s": int(len(rows) / limit_s) if limit_s else None,
        "peak_rss_mb": round(peak_kb / 1024, 1),
        "rows_written": written,
        "limit": (
            "the same writes: PostgreSQL COPY"
            if vendor == "postgresql"
            else "the same writes: SQLite executemany"
        )
        + f", {BATCH_SIZE:,} residents per transaction",
    }
