"""The statistics' monthly roll-up (`ServiceMonth`): confirmed minutes and records per community, month,
team and grid.

`records_confirm` calls `add` in the transaction that confirms the records, so the roll-up is never behind
(confirmed records never change afterwards: a correction is refused once a record is confirmed, and nothing
deletes one). `recount` counts the records themselves; `linli check` compares the two (`mismatches`) and
`linli volunteer recount` writes the recount over the roll-up (`rebuild`)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date

from django.db import connection, transaction
from django.db.models import Count, Sum
from django.db.models.functions import TruncMonth

from linli.volunteers.models import RecordStatus, ServiceMonth, ServiceRecord

Key = tuple[int, date, int, int]  # community, first day of the month, team (0: none), grid (0: none)
Figures = tuple[int, int]  # minutes, records


def key_of(record: ServiceRecord) -> Key:
    return (record.community_id, record.day.replace(day=1), record.team_id or 0, record.grid_id or 0)


def add(records: Iterable[ServiceRecord], *, sign: int = 1) -> None:
    """Add confirmed records to their months (sign 1), or take them away (-1): one upsert statement. Call
    it inside the transaction that changes the records."""
    cells: dict[Key, list[int]] = defaultdict(lambda: [0, 0])
    for r in records:
        acc = cells[key_of(r)]
        acc[0] += r.minutes
        acc[1] += 1
    if not cells:
        return
    table = ServiceMonth._meta.db_table
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} (community_id, month, team, grid, minutes, records) "  # noqa: S608  (table name)
            "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (community_id, month, team, grid) DO UPDATE SET "
            f"minutes = {table}.minutes + excluded.minutes, records = {table}.records + excluded.records",
            [
                (community, month, team, grid, sign * minutes, sign * n)
                for (community, month, team, grid), (minutes, n) in sorted(cells.items())
            ],
        )


def recount() -> dict[Key, Figures]:
    """The roll-up counted from the confirmed records themselves (what `ServiceMonth` must hold)."""
    rows = (
        ServiceRecord.objects.filter(status=RecordStatus.CONFIRMED)
        .order_by()
        .annotate(month=TruncMonth("day"))
        .values("community_id", "month", "team_id", "grid_id")
        .annotate(m=Sum("minutes"), n=Count("pk"))
        .values_list("community_id", "month", "team_id", "grid_id", "m", "n")
    )
    return {
        (community, month, team or 0, grid or 0): (int(m or 0), n)
        for community, month, team, grid, m, n in rows
    }


def stored() -> dict[Key, Figures]:
    return {
        (community, month, team, grid): (minutes, n)
        for community, month, team, grid, minutes, n in ServiceMonth.objects.exclude(minutes=0, records=0)
        .order_by()
        .values_list("community_id", "month", "team", "grid", "minutes", "records")
    }


def mismatches(counted: dict[Key, Figures] | None = None) -> list[str]:
    """Where the roll-up differs from a recount of the records (empty: they agree)."""
    counted = recount() if counted is None else counted
    kept = stored()
    return [
        f"community {key[0]} {key[1]:%Y-%m} team {key[2]} grid {key[3]}: "
        f"counted {counted.get(key, (0, 0))}, kept {kept.get(key, (0, 0))}"
        for key in sorted(set(counted) | set(kept))
        if counted.get(key, (0, 0)) != kept.get(key, (0, 0))
    ]


def rebuild() -> int:
    """Write the recount over the roll-up, in one transaction; returns how many cells differed."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Confirmations that would add to the roll-up between the recount and the rewrite wait (SQLite
            # runs one writer at a time anyway).
            with connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {ServiceMonth._meta.db_table} IN SHARE ROW EXCLUSIVE MODE")
        counted = recount()
        differences = len(mismatches(counted))
        ServiceMonth.objects.all().delete()
        ServiceMonth.objects.bulk_create(
            [
                ServiceMonth(community_id=c, month=month, team=team, grid=grid, minutes=m, records=n)
                for (c, month, team, grid), (m, n) in sorted(counted.items())
            ],
            batch_size=2000,
        )
    return differences
