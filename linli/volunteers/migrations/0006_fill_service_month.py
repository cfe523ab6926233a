"""Fill the monthly roll-up (`ServiceMonth`) from the records confirmed before it existed: the same figures as
`volunteers.rollup.recount`, written out here so the migration does not change when that module does."""

from collections import defaultdict

from django.db import migrations
from django.db.models import Count, Sum


def fill(apps, schema_editor):
    ServiceRecord = apps.get_model("volunteers", "ServiceRecord")
    ServiceMonth = apps.get_model("volunteers", "ServiceMonth")
    months = defaultdict(lambda: [0, 0])
    # Grouped by day in the database (the same on SQLite and PostgreSQL), folded into months here.
    for community, day, team, grid, minutes, n in (
        ServiceRecord.objects.filter(status="confirmed")
        .order_by()
        .values("community_id", "day", "team_id", "grid_id")
        .annotate(m=Sum("minutes"), n=Count("pk"))
        .values_list("community_id", "day", "team_id", "grid_id", "m", "n")
    ):
        acc = months[(community, day.replace(day=1), team or 0, grid or 0)]
        acc[0] += minutes or 0
        acc[1] += n
    ServiceMonth.objects.bulk_create(
        [
            ServiceMonth(community_id=c, month=month, team=team, grid=grid, minutes=m, records=n)
            for (c, month, team, grid), (m, n) in sorted(months.items())
        ],
        batch_size=2000,
    )


def unfill(apps, schema_editor):
    apps.get_model("volunteers", "ServiceMonth").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("volunteers", "0005_service_month")]

    operations = [migrations.RunPython(fill, unfill)]
