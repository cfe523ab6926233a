"""The audit log refuses DELETE (and TRUNCATE on PostgreSQL) as it refuses UPDATE, unless the
transaction holds an archive permit (see linli/core/archive.py for the procedure).

The permit table is plain SQL, not a model: `flush`, backups and restores must not touch it."""

from django.db import migrations

SQLITE_TRIGGER = (
    "CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
    "WHEN NOT EXISTS (SELECT 1 FROM linli_archive_permit) "
    "BEGIN SELECT RAISE(ABORT, '{what} append-only (archive procedure: docs/security.md)'); END;"
)
PG_FUNCTION = """
CREATE OR REPLACE FUNCTION linli_refuse_delete_unless_archiving() RETURNS trigger AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM linli_archive_permit) THEN
        RETURN OLD;  -- NULL for the statement-level TRUNCATE trigger, where it is ignored
    END IF;
    RAISE EXCEPTION '% is append-only (archive procedure: docs/security.md)', TG_TABLE_NAME;
END; $$ LANGUAGE plpgsql;
"""


def add_guard(schema_editor, table: str, what: str) -> None:
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_TRIGGER.format(table=table, what=what))
    elif schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION linli_refuse_delete_unless_archiving();"
        )
        schema_editor.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION linli_refuse_delete_unless_archiving();"
        )


def drop_guard(schema_editor, table: str) -> None:
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete;")
    elif schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete ON {table};")
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};")


def forwards(apps, schema_editor):
    schema_editor.execute(
        "CREATE TABLE linli_archive_permit (reason varchar(100) NOT NULL, "
        "at timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP);"
    )
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_FUNCTION, params=None)  # its "%" is plpgsql, not a placeholder
    add_guard(schema_editor, "core_auditentry", "the audit log is")


def backwards(apps, schema_editor):
    drop_guard(schema_editor, "core_auditentry")
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS linli_refuse_delete_unless_archiving();")
    schema_editor.execute("DROP TABLE IF EXISTS linli_archive_permit;")


class Migration(migrations.Migration):
    dependencies = [("core", "0003_audit_search_digits_actions_and_actor_index")]
    operations = [migrations.RunPython(forwards, backwards)]
