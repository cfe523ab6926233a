"""What `linli check` verifies: the things an operator gets wrong on a new server."""

from __future__ import annotations

from collections.abc import Iterator

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core import checks as django_checks
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

VENDORED_ASSETS = ["linli/vendor/htmx-2.0.11.min.js", "linli/app.css", "linli/app.js"]


def run_checks() -> Iterator[tuple[bool, str]]:
    messages = [
        m for m in django_checks.run_checks(include_deployment_checks=False) if m.level >= django_checks.ERROR
    ]
    yield (not messages, "django system checks" + "".join(f"; {m}" for m in messages))

    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        yield True, f"database reachable ({connection.vendor}: {connection.settings_dict['NAME']})"
    except Exception as exc:  # any driver error: report it, keep checking the rest
        yield (
            False,
            f"database unreachable: {str(exc).strip().splitlines()[0] if str(exc).strip() else exc!r}",
        )
        return

    if connection.vendor == "sqlite":
        import sqlite3

        # Bulk imports rely on INSERT … RETURNING to learn the ids of the houses and residents they create.
        ok = sqlite3.sqlite_version_info >= (3, 35)
        yield (
            ok,
            f"SQLite {sqlite3.sqlite_version}" + ("" if ok else " is too old: Linli needs 3.35 or newer"),
        )

    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    yield (
        not pending,
        "migrations applied" if not pending else f"{len(pending)} migration(s) pending: run 'linli init'",
    )

    missing = [a for a in VENDORED_ASSETS if not finders.find(a)]
    yield (
        not missing,
        "vendored static assets present" + (f"; missing {', '.join(missing)}" if missing else ""),
    )

    var = settings.VAR_DIR
    writable = var.exists() and (var.stat().st_mode & 0o200)
    yield (bool(writable), f"data directory {var} writable")

    if settings.DEBUG:
        yield False, "LINLI_DEBUG is on: never run a real deployment with debug pages"
    else:
        yield True, "debug off"

    yield from _case_calendar_checks()
    if not pending:
        yield from worker_checks()


def worker_checks() -> Iterator[tuple[bool, str]]:
    """Background jobs: imports whose worker died, and queued tasks no worker is taking."""
    from datetime import timedelta

    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from linli.transfers.models import ImportJob

    stall = settings.LINLI_WORKER_STALL_SECONDS
    cutoff = timezone.now() - timedelta(seconds=stall)
    active = ImportJob.objects.filter(status__in=[ImportJob.Status.PENDING, ImportJob.Status.RUNNING])
    stalled = [job for job in active.select_related("community") if job.stalled]
    waiting = DBTaskResult.objects.ready().filter(enqueued_at__lt=cutoff).count()
    busy = ImportJob.objects.filter(status=ImportJob.Status.RUNNING, heartbeat_at__gte=cutoff).exists()
    if stalled:
        ids = ", ".join(str(job.pk) for job in stalled[:10])
        yield (
            False,
            f"{len(stalled)} import(s) stalled (no worker heard from for {stall} s): job {ids}; "
            "is `linli serve` (or `linli worker`) running? Resume them on their import page",
        )
    elif waiting and not busy:
        yield (
            False,
            f"{waiting} background task(s) queued for over {stall} s and no worker busy: "
            "start `linli serve` or `linli worker`",
        )
    else:
        running = active.filter(status=ImportJob.Status.RUNNING).count()
        yield True, f"background jobs: {running} import(s) running, {waiting} task(s) waiting long"


def _case_calendar_checks() -> Iterator[tuple[bool, str]]:
    """Case deadlines need valid working hours and a known holiday schedule for this year."""
    from django.utils import timezone

    from linli.cases.models import CalendarOverride
    from linli.cases.workcalendar import parse_working_hours, statutory_year_known

    try:
        parse_working_hours(settings.LINLI_WORKING_HOURS)
        yield True, f"working hours {settings.LINLI_WORKING_HOURS}"
    except ValueError as exc:
        yield False, f"LINLI_WORKING_HOURS: {exc}"
    year = timezone.localdate().year
    for y in (year, year + 1):
        known = statutory_year_known(y) or CalendarOverride.objects.filter(day__year=y).exists()
        if known:
            yield True, f"{y} holiday schedule known"
        elif y == year:
            yield (
                False,
                f"{y} holiday schedule unknown: enter it with 'linli holiday set' (deadlines count Mon–Fri)",
            )
        else:
            # Published each November or December; an operator note, not a fault.
            yield (
                True,
                f"{y} holiday schedule not published yet: enter it with 'linli holiday set' when it is",
            )
