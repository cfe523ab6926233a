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

    from linli.core.modules import module_configs

    for config in module_configs():
        yield from config.operator_checks()
