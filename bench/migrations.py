"""`linli bench --only migrations`: how long this release's migrations take on a populated database
(issue #24, item 7), for the release notes in docs/deployment.md.

The scratch database gets what a street has — residents, cases, volunteers with their service records, a
survey's answer sheets and two years of audit log (by scale) — through the other workloads' builders. Then,
for each app in linli.core.release.PREVIOUS_RELEASE, its migrations back to the one before this release are unapplied (with whatever
depends on them, untimed), and the migrations to the newest are applied again one by one through Django's
migration executor, each timed. On PostgreSQL a second connection writes to the migrated app's big table
every 50 ms meanwhile, as the running service would, and the longest such write is reported: an online
migration keeps it short, one that locks the table makes it as long as the migration.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from typing import Any


def _touch(table: str) -> Callable[[], None]:
    """A write the running service makes to `table`: one row's updated_at rewritten."""

    def write() -> None:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET updated_at = updated_at WHERE id = (SELECT min(id) FROM {table})"  # noqa: S608
            )

    return write


def _audit() -> Callable[[], None]:
    """The running service writes audit entries: the previous release's code, so the previous release's
    columns (read when the probe starts, before the app's migrations are applied again) — a copy of the
    newest entry, as the log is append-only."""
    columns: list[str] = []

    def write() -> None:
        from django.db import connection

        with connection.cursor() as cursor:
            if not columns:
                described = connection.introspection.get_table_description(cursor, "core_auditentry")
                columns.extend(c.name for c in described if c.name != "id")
            names = ", ".join(connection.ops.quote_name(c) for c in columns)
            cursor.execute(
                f"INSERT INTO core_auditentry ({names}) SELECT {names} FROM core_auditentry "  # noqa: S608
                "ORDER BY id DESC LIMIT 1"
            )

    return write


# A write the running service makes to each app's big table while its migrations run — None where the
# release notes say the service may not write meanwhile (a data migration that counts rows cannot count rows
# written while it runs). Where the release begins: linli.core.release.PREVIOUS_RELEASE.
WRITES: dict[str, Callable[[], None] | None] = {
    "core": _audit(),
    "cases": _touch("cases_case"),
    "registry": _touch("registry_resident"),
    "volunteers": _touch("volunteers_volunteer"),
    "surveys": None,
}
AUDIT_ENTRIES = {"small": 200_000, "street": 2_000_000, "city": 2_000_000}


class _Writer(threading.Thread):
    """The running service: one small write every 50 ms to the table a migration works on."""

    def __init__(self, write: Callable[[], None]) -> None:
        super().__init__(daemon=True)
        self.write = write
        self.stop = threading.Event()
        self.longest_ms = 0.0
        self.writes = 0
        self.error = ""

    def run(self) -> None:
        from django.db import connection

        try:
            while not self.stop.is_set():
                started = time.perf_counter()
                self.write()
                self.longest_ms = max(self.longest_ms, (time.perf_counter() - started) * 1000)
                self.writes += 1
                self.stop.wait(0.05)
        except Exception as exc:  # noqa: BLE001  (reported, the migration's timing still stands)
            self.error = f"{type(exc).__name__}: {exc}"[:200]
        finally:
            connection.close()


def named_apps() -> list[str]:
    """The apps to time: LINLI_BENCH_MIGRATION_APPS (comma-separated, e.g. "registry"), else every app of
    PREVIOUS_RELEASE. Naming some skips building the data only the others' migrations work on."""
    from linli.core.release import PREVIOUS_RELEASE

    named = [a.strip() for a in os.environ.get("LINLI_BENCH_MIGRATION_APPS", "").split(",") if a.strip()]
    unknown = sorted(set(named) - set(PREVIOUS_RELEASE))
    if unknown:
        raise SystemExit(f"LINLI_BENCH_MIGRATION_APPS: no migrations of this release in {', '.join(unknown)}")
    return named or list(PREVIOUS_RELEASE)


def _populate(
    scale: str, seed: int, community: Any, timed: Callable[..., tuple[float, Any]], apps: list[str]
) -> dict[str, Any]:
    from bench import audit
    from bench.harness import build_survey, build_volunteers

    built: dict[str, Any] = {}
    if "volunteers" in apps:
        s, counts = timed(lambda: build_volunteers(community, scale, seed))
        built["volunteers"], built["service_records"], built["volunteers_build_s"] = (
            counts[0],
            counts[1],
            round(s, 1),
        )
    if "surveys" in apps:
        s, _ = timed(lambda: build_survey(community, seed))
        built["survey_build_s"] = round(s, 1)
    if "core" in apps:
        n = AUDIT_ENTRIES[scale]
        s, _ = timed(lambda: (audit.build_world(scale, community.parent), audit.load(n, seed)))
        built["audit_entries"], built["audit_build_s"] = n, round(s, 1)
    return built


def _apply(app: str, target: str, write: Callable[[], None] | None) -> dict[str, Any]:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    # Back to the previous release (and whatever depends on it), untimed.
    executor = MigrationExecutor(connection)
    executor.migrate([(app, target)])
    timings: list[dict[str, Any]] = []
    started: dict[str, float] = {}

    def progress(action: str, migration: Any = None, fake: bool = False) -> None:  # noqa: FBT001, FBT002
        if action == "apply_start":
            started[migration.name] = time.perf_counter()
        elif action == "apply_success":
            name = f"{migration.app_label} {migration.name}"
            timings.append({"migration": name, "s": round(time.perf_counter() - started[migration.name], 2)})

    writer = _Writer(write) if write is not None else None
    if writer:
        writer.start()
    executor = MigrationExecutor(connection, progress_callback=progress)  # type: ignore[arg-type]
    leaves = executor.loader.graph.leaf_nodes()
    total = time.perf_counter()
    executor.migrate(leaves)
    total_s = time.perf_counter() - total
    result: dict[str, Any] = {"app": app, "from": target, "total_s": round(total_s, 2), "migrations": timings}
    if writer:
        writer.stop.set()
        writer.join()
        result["longest_write_ms"] = round(writer.longest_ms, 1)
        result["writes"] = writer.writes
        if writer.error:
            result["writer_error"] = writer.error
    return result


def workload(
    scale: str, seed: int, community: Any, timed: Callable[[Callable[[], Any]], tuple[float, Any]]
) -> dict[str, Any]:
    from django.db import connection

    from linli.core.db import refresh_statistics
    from linli.core.release import PREVIOUS_RELEASE

    apps = named_apps()
    result: dict[str, Any] = {"workload": "migrations", "scale": scale}
    result.update(_populate(scale, seed, community, timed, apps))
    refresh_statistics()
    with connection.cursor() as cursor:
        for table in ("registry_resident", "cases_case", "core_auditentry", "volunteers_servicerecord"):
            cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608  (fixed names)
            result[f"rows_{table}"] = cursor.fetchone()[0]
    # On SQLite one writer holds the whole database during a migration: the notes say to stop the service.
    online = connection.vendor == "postgresql"
    result["apps"] = [
        _apply(app, target, WRITES.get(app) if online else None)
        for app, target in PREVIOUS_RELEASE.items()
        if app in apps
    ]
    return result
