"""Migration operations for tables that are large in a running deployment (docs/deployment.md, "Upgrades").

`AddIndexOnline` builds an index with PostgreSQL's CREATE INDEX CONCURRENTLY, so `linli init` can add it while
the service keeps writing (the table is not locked against writes; the build reads it twice and takes longer).
On SQLite, where one writer holds the database anyway, it is a plain CREATE INDEX. A migration that uses it
sets `atomic = False`: PostgreSQL cannot build concurrently inside a transaction. If a concurrent build fails
(e.g. the service was stopped mid-way), PostgreSQL leaves an INVALID index behind; the operation drops such a
leftover of the same name before it starts, so running `linli init` again finishes the job.
"""

from __future__ import annotations

import re
from typing import Any

from django.db import migrations

_CONCURRENT_BUILD = re.compile(r"CREATE (?:UNIQUE )?INDEX CONCURRENTLY IF NOT EXISTS (\w+)", re.IGNORECASE)


def _drop_if_invalid(connection: Any, name: str) -> None:
    """A concurrent build that failed (the service stopped, `linli init` killed) leaves an INVALID index."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE c.relname = %s AND NOT i.indisvalid",
            [name],
        )
        if cursor.fetchone():
            cursor.execute(f'DROP INDEX CONCURRENTLY "{name}"')


def _drop_invalid_leftover(connection: Any, sql: Any) -> None:
    if isinstance(sql, str) and (match := _CONCURRENT_BUILD.search(sql)):
        _drop_if_invalid(connection, match.group(1))


class AddIndexOnline(migrations.AddIndex):
    atomic = False

    def database_forwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        connection = schema_editor.connection
        if connection.vendor != "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)
            return
        model = to_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(connection.alias, model):
            return
        _drop_if_invalid(connection, self.index.name)
        schema_editor.add_index(model, self.index, concurrently=True)

    def database_backwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        connection = schema_editor.connection
        if connection.vendor != "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)
            return
        model = from_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(connection.alias, model):
            schema_editor.remove_index(model, self.index, concurrently=True)


class RunSQLOnPostgres(migrations.RunSQL):
    """SQL that only PostgreSQL runs (functions, expression indexes SQLite does not need); a no-op elsewhere.

    `CREATE INDEX CONCURRENTLY IF NOT EXISTS name …` would keep an INVALID leftover of a failed build as if
    it were the index: such a leftover is dropped first, as `AddIndexOnline` does."""

    def database_forwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            _drop_invalid_leftover(schema_editor.connection, self.sql)
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            _drop_invalid_leftover(schema_editor.connection, self.reverse_sql)
            super().database_backwards(app_label, schema_editor, from_state, to_state)
