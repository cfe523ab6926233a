"""Linli's benchmarks: each workload timed against a limit measured in the same run, on the same data.

Run through `linli bench [--scale small|street|city] [--db sqlite|postgres] [--json OUT]`, which starts
this module in a child process pointed at a scratch database (never the working one). Prints one JSON
object per workload. These are measurements, not tests: nothing here asserts a speed.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

SCALES = {"small": 10_000, "street": 260_000, "city": 1_000_000}
QUERIES_PER_TYPE = 200
# The columns the import limit writes into its plain table (the ones the registry keeps as values).
LIMIT_COLUMNS = (
    "name",
    "id_number",
    "gender",
    "birth_date",
    "phone",
    "residence_type",
    "building",
    "entrance",
    "room",
    "grid",
)


def machine() -> dict[str, Any]:
    cpu = ""
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next(line.split(":", 1)[1].strip() for line in fh if line.startswith("model name"))
    except (OSError, StopIteration):
        cpu = platform.processor()
    mem_gb = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gb": mem_gb, "python": platform.python_version()}


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


# --- data -----------------------------------------------------------------------------------


def build_street(n: int, seed: int) -> Any:
    """A street with one community of 8 grids and `n` residents, built by the demo generator."""
    from linli.areas.services import area_create
    from linli.registry.demo import build_demo_residents

    street = area_create(actor=None, kind="street", code="B01", name="基准街道")
    community = area_create(actor=None, kind="community", code="C01", name="基准社区", parent=street)
    for i in range(1, 9):
        area_create(actor=None, kind="grid", code=f"G{i:02d}", name=f"第{i}网格", parent=community)
    build_demo_residents(street=street, count=n, seed=seed)
    return community


def ledger_rows() -> list[list[str]]:
    """The street as ledger rows, exactly as Linli exports them (full numbers), in `columns()` order."""
    from linli.registry.models import Resident
    from linli.transfers.export import COLUMNS, export_row

    qs = Resident.objects.select_related("grid", "house__building", "house__entrance").order_by("pk")
    return [
        [cells[k] for k in COLUMNS] for cells in (export_row(r, True) for r in qs.iterator(chunk_size=5000))
    ]


def header() -> list[str]:
    from linli.transfers.export import COLUMNS, TITLES

    return [TITLES[k] for k in COLUMNS]


def wipe_registry() -> None:
    from django.db import connection, transaction

    from linli.registry.models import (
        Building,
        Entrance,
        House,
        Household,
        NameGram,
        Resident,
        ResidentChange,
        ResidentTag,
    )
    from linli.transfers.models import ImportJob, ImportRow

    # One transaction: residents and households point at each other; PostgreSQL checks that at commit.
    with transaction.atomic(), connection.constraint_checks_disabled():
        for model in (
            ImportRow,
            ImportJob,
            NameGram,
            ResidentTag,
            ResidentChange,
            Household,
            Resident,
            House,
            Entrance,
            Building,
        ):
            model._base_manager.all()._raw_delete(connection.alias)


# --- workloads ------------------------------------------------------------------------------


def workload_import(scale: str, community: Any, rows: list[list[str]], fmt: str) -> dict[str, Any]:
    """The import pipeline vs the same clean rows inserted into one plain table (executemany / COPY)."""
    from django.db import connection, transaction

    tmp = Path(tempfile.mkdtemp(prefix="linli-bench-"))
    path = tmp / f"ledger.{fmt}"
    if fmt == "csv":
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(header())
            writer.writerows(rows)
    else:
        import xlsxwriter

        wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
        ws = wb.add_worksheet()
        for i, row in enumerate([header(), *rows]):
            for j, value in enumerate(row):
                ws.write_string(i, j, value)
        wb.close()
    wipe_registry()
    # The real command in a child process: wall time as an operator sees it, and its own peak memory.
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
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
    seconds, done = timed(lambda: subprocess.run(command, capture_output=True, text=True, check=True))  # noqa: S603
    peak_mb = max(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, before) / 1024
    summary = json.loads(done.stdout)
    assert summary["created"] == len(rows), summary  # noqa: S101  (a wrong import is not a benchmark)

    from linli.transfers.export import COLUMNS

    at = [COLUMNS.index(k) for k in LIMIT_COLUMNS]
    clean = [tuple(r[i] for i in at) for r in rows]
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_limit")
        cursor.execute(
            "CREATE TABLE bench_limit (name varchar(50), id_number varchar(18), gender varchar(6), birth_date date,"
            " phone varchar(20), residence_type varchar(12), building varchar(20), entrance varchar(20),"
            " room varchar(20), grid varchar(32))"
        )

    def limit() -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.connection.cursor().copy("COPY bench_limit FROM STDIN") as copy:
                    for row in clean:
                        copy.write_row(row)
            else:
                cursor.executemany(
                    "INSERT INTO bench_limit VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)", clean
                )

    limit_s, _ = timed(limit)
    return {
        "workload": f"import_{fmt}",
        "scale": scale,
        "rows": len(rows),
        "linli_s": round(seconds, 3),
        "limit_s": round(limit_s, 3),
        "ratio": round(seconds / limit_s, 2),
        "rows_per_s": int(len(rows) / seconds),
        "peak_rss_mb": round(peak_mb, 1),
        "limit": "PostgreSQL COPY"
        if connection.vendor == "postgresql"
        else "SQLite executemany, one transaction",
    }


def workload_search(scale: str, seed: int) -> dict[str, Any]:
    """The API's resident page with `search=` vs the same page with a naive icontains over the same
    fields (what Django admin's search does): identical work but for the search predicate."""
    from django.db.models import Q

    from linli.accounts.models import User
    from linli.api.residents import ResidentFilter, resident_page
    from linli.registry.models import Resident

    rng = random.Random(seed)
    admin = User.objects.get(username="bench-admin")
    sample = list(
        Resident.objects.order_by("?").values_list("name", "name_initials", "id_number", "phone")[:2000]
    )
    queries = {
        "one_char": [rng.choice(n) for n, *_ in rng.choices(sample, k=QUERIES_PER_TYPE)],
        "two_char": [
            n[i : i + 2]
            for n, *_ in rng.choices(sample, k=QUERIES_PER_TYPE)
            for i in [rng.randrange(max(1, len(n) - 1))]
        ],
        "initials": [ini[:3] for _, ini, *_ in rng.choices(sample, k=QUERIES_PER_TYPE)],
        "id_last6": [i[-6:] for *_, i, _ in rng.choices(sample, k=QUERIES_PER_TYPE)],
        "phone_last4": [p[-4:] for *_, p in rng.choices([s for s in sample if s[3]], k=QUERIES_PER_TYPE)],
    }

    def naive_search(qs: Any, q: str) -> Any:
        return qs.filter(Q(name__icontains=q) | Q(id_number__icontains=q) | Q(phone__icontains=q))

    def linli(q: str) -> None:
        resident_page(admin, ResidentFilter(search=q))

    def naive(q: str) -> None:
        resident_page(admin, ResidentFilter(search=q), searcher=naive_search)

    result: dict[str, Any] = {
        "workload": "search",
        "scale": scale,
        "residents": Resident.objects.count(),
        "types": {},
    }
    for kind, qs in queries.items():
        ours = [timed(lambda q=q: linli(q))[0] * 1000 for q in qs]
        base = [timed(lambda q=q: naive(q))[0] * 1000 for q in qs[:50]]  # the baseline is slow; 50 suffice
        result["types"][kind] = {
            "p50_ms": round(pct(ours, 50), 2),
            "p95_ms": round(pct(ours, 95), 2),
            "baseline_p50_ms": round(pct(base, 50), 2),
            "baseline_p95_ms": round(pct(base, 95), 2),
            "speedup_p95": round(pct(base, 95) / max(pct(ours, 95), 1e-6), 1),
        }
    result["worst_p95_ms"] = max(t["p95_ms"] for t in result["types"].values())
    return result


def workload_export(scale: str, community: Any, rows: list[list[str]]) -> dict[str, Any]:
    """Linli's export vs writing the same rows with xlsxwriter directly."""
    import xlsxwriter

    from linli.transfers.export import export_residents

    tmp = Path(tempfile.mkdtemp(prefix="linli-bench-"))
    seconds, count = timed(
        lambda: export_residents(actor=None, areas=[community], path=tmp / "linli.xlsx", reveal=True)
    )

    def limit() -> None:
        wb = xlsxwriter.Workbook(str(tmp / "limit.xlsx"), {"constant_memory": True})
        ws = wb.add_worksheet()
        for i, row in enumerate(rows, start=1):
            for j, value in enumerate(row):
                ws.write_string(i, j, value)
        wb.close()

    limit_s, _ = timed(limit)
    return {
        "workload": "export_xlsx",
        "scale": scale,
        "rows": count,
        "linli_s": round(seconds, 3),
        "limit_s": round(limit_s, 3),
        "ratio": round(seconds / limit_s, 2),
        "limit": "xlsxwriter, same rows, constant_memory",
    }


# --- driver ---------------------------------------------------------------------------------


def child(scale: str, seed: int, only: set[str]) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from linli.accounts.services import user_create

    call_command("migrate", verbosity=0)
    n = SCALES[scale]
    build_s, community = timed(lambda: build_street(n, seed))
    user_create(
        actor=None,
        username="bench-admin",
        role="street_admin",
        areas=[community.parent],
        password="bench-pass-2026",  # noqa: S106  (a scratch database)
    )
    info = {
        "workload": "setup",
        "scale": scale,
        "db": connection.vendor,
        "residents": n,
        "demo_build_s": round(build_s, 1),
        **machine(),
    }
    print(json.dumps(info, ensure_ascii=False), flush=True)
    rows = ledger_rows()
    for name in ("search", "export", "import_csv", "import_xlsx"):
        if only and name not in only:
            continue
        if name == "search":
            result = workload_search(scale, seed)
        elif name == "export":
            result = workload_export(scale, community, rows)
        else:
            result = workload_import(scale, community, rows, name.split("_")[1])
        result["db"] = connection.vendor
        print(json.dumps(result, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", choices=list(SCALES), default="small")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--only", default="")
    args = parser.parse_args()
    sys.exit(child(args.scale, args.seed, {w for w in args.only.split(",") if w}))
