"""The map's open cases with a location, newest first, from a partial index of the located cases (issue #18
item 7). Built online (AddIndexOnline: CREATE INDEX CONCURRENTLY on PostgreSQL)."""

from django.db import migrations, models
from django.db.models import Q

from linli.core.migration_ops import AddIndexOnline


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("cases", "0016_case_department_status_index")]

    operations = [
        AddIndexOnline(
            model_name="case",
            index=models.Index(
                fields=["received_at", "status", "area"],
                name="case_located_received_idx",
                condition=Q(latitude__isnull=False),
            ),
        ),
    ]
