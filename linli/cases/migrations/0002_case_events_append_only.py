"""Case events refuse UPDATE at the database level (as the audit log does): history is not rewritten."""

from django.db import migrations


def create_trigger(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(
            "CREATE TRIGGER cases_caseevent_no_update BEFORE UPDATE ON cases_caseevent "
            "BEGIN SELECT RAISE(ABORT, 'case events are append-only'); END;"
        )
    elif vendor == "postgresql":
        schema_editor.execute(
            "CREATE OR REPLACE FUNCTION cases_caseevent_no_update() RETURNS trigger AS $$ "
            "BEGIN RAISE EXCEPTION 'case events are append-only'; END; $$ LANGUAGE plpgsql;"
        )
        schema_editor.execute(
            "CREATE TRIGGER cases_caseevent_no_update BEFORE UPDATE ON cases_caseevent "
            "FOR EACH ROW EXECUTE FUNCTION cases_caseevent_no_update();"
        )


def drop_trigger(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS cases_caseevent_no_update;")
    elif vendor == "postgresql":
        schema_editor.execute("DROP TRIGGER IF EXISTS cases_caseevent_no_update ON cases_caseevent;")
        schema_editor.execute("DROP FUNCTION IF EXISTS cases_caseevent_no_update();")


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_cases")]
    operations = [migrations.RunPython(create_trigger, drop_trigger)]
