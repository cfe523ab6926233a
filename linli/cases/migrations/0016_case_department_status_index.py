"""A department's cases by status from one index (a department handler's dashboard and inbox; issue #18 item 7).
Built online (AddIndexOnline: CREATE INDEX CONCURRENTLY on PostgreSQL)."""

from django.db import migrations, models

from linli.core.migration_ops import AddIndexOnline


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("cases", "0015_case_reporter_phone_index")]

    operations = [
        AddIndexOnline(
            model_name="case",
            index=models.Index(fields=["department", "status", "area"], name="case_department_status_idx"),
        ),
    ]
