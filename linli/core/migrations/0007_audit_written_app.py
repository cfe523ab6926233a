"""The app each write's audit entry changed (`written_app`), with an index per app, so the dashboards can
keep a module's figures until a write of an app it reads (issue #18, item 7; dashboards.selectors.stamps).

The column is NULL-able so adding it is instant and rewrites nothing: PostgreSQL adds a NULL column without
touching the rows, and SQLite adds it with ALTER TABLE (a NOT NULL column with a default would make Django
copy the table, and the copy would lose the append-only triggers). Older entries keep NULL: the stamps only
need every write from now on to carry its app. The index is built online (AddIndexOnline).
"""

from django.db import migrations, models

from linli.core.migration_ops import AddIndexOnline


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("core", "0006_audit_log_at_city_scale")]

    operations = [
        migrations.AddField(
            model_name="auditentry",
            name="written_app",
            field=models.CharField(blank=True, max_length=40, null=True),
        ),
        AddIndexOnline(
            model_name="auditentry",
            index=models.Index(fields=["written_app", "id"], name="audit_written_app_idx"),
        ),
    ]
