"""Fill handling_seconds (closed_at − received_at) for cases that ended before the column existed."""

from django.db import migrations

SQL = {
    "postgresql": (
        "UPDATE cases_case SET handling_seconds ="
        " GREATEST(0, ROUND(EXTRACT(EPOCH FROM (closed_at - received_at))))::integer"
        " WHERE closed_at IS NOT NULL"
    ),
    "sqlite": (
        "UPDATE cases_case SET handling_seconds ="
        " MAX(0, CAST(ROUND((julianday(closed_at) - julianday(received_at)) * 86400.0) AS INTEGER))"
        " WHERE closed_at IS NOT NULL"
    ),
}


def fill(apps, schema_editor):
    schema_editor.execute(SQL[schema_editor.connection.vendor])


class Migration(migrations.Migration):
    dependencies = [("cases", "0007_case_handling_seconds")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
