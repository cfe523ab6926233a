"""Upgrades with the service running (issue #24, item 7): every index this release adds to a table that is
large in a running deployment is built online (`core.migration_ops.AddIndexOnline`, in a migration marked
`atomic = False`), and every migration of this release that works on such a table is in the release notes
(docs/deployment.md, "This release") — with the duration `linli bench --only migrations` measured. On
PostgreSQL the online build really is CREATE INDEX CONCURRENTLY."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.db import connection, migrations
from django.db.migrations.loader import MigrationLoader

from linli.core.migration_ops import AddIndexOnline
from linli.core.release import PREVIOUS_RELEASE

# Tables with a row per resident, case, visit, service record, answer or audit entry: hundreds of thousands
# in a street, millions in a city.
LARGE = {
    "registry_resident",
    "registry_household",
    "registry_house",
    "registry_namegram",
    "registry_residentchange",
    "registry_residenttag",
    "cases_case",
    "cases_caseevent",
    "cases_notification",
    "core_auditentry",
    "visits_visit",
    "visits_visittask",
    "volunteers_servicerecord",
    "volunteers_volunteer",
    "surveys_answer",
    "surveys_response",
    "timebank_movement",
    "timebank_transfer",
    "transfers_importrow",
}
# Built with a plain CREATE INDEX inside a migration that also creates or alters tables (run as one
# transaction, so a failure leaves nothing half-done): they lock writes to the table while they run, and the
# release notes say so with the measured duration.
LOCKING = {
    ("surveys", "0002_answer_tallies"),
    ("volunteers", "0003_search_grams_and_covering_indexes"),
}
NOTES = Path(__file__).resolve().parent.parent / "docs" / "deployment.md"
PREVIOUS = PREVIOUS_RELEASE


def _number(name: str) -> int:
    return int(name.split("_", 1)[0])


def _this_release() -> list[tuple[str, str, migrations.Migration]]:
    """Migrations after the previous release's last one, for the apps that existed then (a new app's
    tables start empty, so its indexes cost nothing to build)."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    found = []
    for (app, name), migration in sorted(loader.disk_migrations.items()):
        if app in PREVIOUS and _number(name) > _number(PREVIOUS[app]):
            found.append((app, name, migration))
    return found


def _table(app: str, model_name: str) -> str:
    from django.apps import apps as django_apps

    return django_apps.get_model(app, model_name)._meta.db_table


def test_the_release_boundary_names_real_migrations():
    loader = MigrationLoader(None, ignore_no_migrations=True)
    for app, last in PREVIOUS.items():
        assert (app, last) in loader.disk_migrations, (app, last)
    assert _this_release(), "the release adds migrations"


def test_indexes_on_large_tables_are_built_online():
    offline = []
    for app, name, migration in _this_release():
        for op in migration.operations:
            large = isinstance(op, migrations.AddIndex) and _table(app, op.model_name) in LARGE
            online = isinstance(op, AddIndexOnline) and not migration.atomic
            if large and not online and (app, name) not in LOCKING:
                offline.append(f"{app} {name}: {getattr(op, 'index', op).name}")
    assert not offline, f"use AddIndexOnline in a migration with atomic = False: {offline}"


def test_every_migration_of_the_release_on_a_large_table_is_in_the_release_notes():
    notes = NOTES.read_text(encoding="utf-8")
    release = notes.split("### This release", 1)[1].split("\n## ", 1)[0]
    missing = []
    for app, name, migration in _this_release():
        touches = {
            _table(app, str(getattr(op, "model_name", "")))
            for op in migration.operations
            if getattr(op, "model_name", None) and not isinstance(op, migrations.CreateModel)
        }
        data = any(isinstance(op, migrations.RunPython | migrations.RunSQL) for op in migration.operations)
        if (touches & LARGE or data) and not re.search(rf"`{app} [^`]*{name[:4]}", release):
            missing.append(f"{app} {name}")
    assert not missing, f"docs/deployment.md, 'This release', does not list: {missing}"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="CONCURRENTLY is PostgreSQL's")
@pytest.mark.django_db
def test_postgresql_builds_them_concurrently():
    from io import StringIO

    from django.core.management import call_command

    for app, name in (
        ("cases", "0014_case_list_filter_indexes"),
        ("registry", "0011_resident_age_pyramid_index"),
    ):
        out = StringIO()
        call_command("sqlmigrate", app, name, stdout=out)
        sql = out.getvalue()
        assert "CREATE INDEX CONCURRENTLY" in sql, sql
        assert "BEGIN;" not in sql, sql


@pytest.mark.skipif(connection.vendor != "postgresql", reason="CONCURRENTLY is PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_an_interrupted_concurrent_build_is_built_again_by_the_next_init():
    """A failed CREATE INDEX CONCURRENTLY leaves an INVALID index; `IF NOT EXISTS` alone would keep it."""
    from linli.core.migration_ops import RunSQLOnPostgres

    def valid() -> list[bool]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                "WHERE c.relname = 'leftover_idx'"
            )
            return [row[0] for row in cursor.fetchall()]

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE leftover_t (n int)")
        cursor.execute("INSERT INTO leftover_t VALUES (1), (1)")
    try:
        with connection.cursor() as cursor, pytest.raises(Exception, match="duplicate|unique"):
            cursor.execute("CREATE UNIQUE INDEX CONCURRENTLY leftover_idx ON leftover_t (n)")
        assert valid() == [False]
        op = RunSQLOnPostgres(
            "CREATE INDEX CONCURRENTLY IF NOT EXISTS leftover_idx ON leftover_t (n)",
            "DROP INDEX CONCURRENTLY IF EXISTS leftover_idx",
        )
        with connection.schema_editor(atomic=False) as editor:
            op.database_forwards("core", editor, None, None)
        assert valid() == [True]
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE leftover_t")
