"""Case events refuse DELETE (and TRUNCATE on PostgreSQL) as the audit log does, unless the
transaction holds an archive permit (linli/core/archive.py)."""

from importlib import import_module

from django.db import migrations

guard = import_module("linli.core.migrations.0004_append_only_refuses_delete_and_truncate")


def forwards(apps, schema_editor):
    guard.add_guard(schema_editor, "cases_caseevent", "case events are")


def backwards(apps, schema_editor):
    guard.drop_guard(schema_editor, "cases_caseevent")


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0011_notification_kind_security"),
        ("core", "0004_append_only_refuses_delete_and_truncate"),
    ]
    operations = [migrations.RunPython(forwards, backwards)]
