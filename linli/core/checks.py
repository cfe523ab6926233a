"""What `linli check` verifies: the things an operator gets wrong on a new server."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import datetime, timedelta

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

    yield from deployment_checks()

    from linli.core.modules import module_configs

    for config in module_configs():
        yield from config.operator_checks()


# "testserver" is what Django's test client calls itself.
LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1", "testserver"}


def deployment_checks() -> Iterator[tuple[bool, str]]:
    """Secret key, HTTPS, disk space, sweeps, backups: what a server left as installed gets wrong."""
    from django.utils import timezone

    from linli.core.models import AuditEntry, Heartbeat

    key = settings.SECRET_KEY
    if len(key) < 50 or len(set(key)) < 5:
        yield False, "SECRET_KEY is too short or too simple: set at least 50 random characters"
    elif os.environ.get("SECRET_KEY"):
        yield True, "SECRET_KEY set in the environment"
    else:
        yield (
            True,
            "SECRET_KEY generated in var/secret_key (set SECRET_KEY when several servers share a database)",
        )

    public = sorted(h for h in settings.ALLOWED_HOSTS if h not in LOCAL_HOSTS)
    if settings.LINLI_HTTPS:
        yield True, "HTTPS settings on (secure cookies, HSTS)"
    elif public:
        yield False, f"served as {public[0]} over plain HTTP: put TLS in front and set LINLI_HTTPS=1"
    else:
        yield True, "served on this machine only (ALLOWED_HOSTS local): HTTPS not needed yet"

    var = settings.VAR_DIR
    if var.exists():
        free_mb = shutil.disk_usage(var).free // 2**20
        need = settings.LINLI_MIN_FREE_DISK_MB
        yield (
            free_mb >= need,
            f"{free_mb:,} MB free on the data disk"
            + (
                ""
                if free_mb >= need
                else f": below {need:,} MB (LINLI_MIN_FREE_DISK_MB); free space or grow it"
            ),
        )

    now = timezone.now()
    if settings.LINLI_TICK_SECONDS > 0 or Heartbeat.last("tick") is not None:
        last = Heartbeat.last("tick")
        quiet = timedelta(seconds=max(3 * settings.LINLI_TICK_SECONDS, 900))
        if last is None:
            yield True, "sweeps have not run yet: 'linli serve' runs them (or cron 'linli tick')"
        elif now - last > quiet:
            yield (
                False,
                f"sweeps last ran {_ago(now - last)} ago: is 'linli serve' (or cron 'linli tick') running?",
            )
        else:
            yield True, f"sweeps ran {_ago(now - last)} ago"

    max_age = timedelta(hours=settings.LINLI_BACKUP_MAX_AGE_HOURS)
    last_backup = (
        AuditEntry.objects.filter(action=AuditEntry.Action.BACKUP)
        .order_by("-at")
        .values_list("at", flat=True)
        .first()
    )
    if last_backup is not None:
        old = now - last_backup > max_age
        yield (
            not old,
            f"last backup {_ago(now - last_backup)} ago"
            + (
                f": older than {settings.LINLI_BACKUP_MAX_AGE_HOURS} h; schedule 'linli backup'"
                if old
                else ""
            ),
        )
    else:
        installed = _installed_at()
        age = now - installed if installed is not None else timedelta(0)
        yield (
            age <= max_age,
            "no backup yet: schedule 'linli backup' (docs/deployment.md)"
            + ("" if age <= max_age else f"; this database is {_ago(age)} old"),
        )


def _installed_at() -> datetime | None:
    """When the database was created: the first migration's time."""
    from django.db.migrations.recorder import MigrationRecorder

    return MigrationRecorder.Migration.objects.order_by("applied").values_list("applied", flat=True).first()


def _ago(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    if seconds < 172800:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} days"
