"""Reads of opinions: the to-do list, the monthly report, an open day's follow-up."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, F, Q
from django.utils import timezone

from linli.areas.models import Area
from linli.core.scoping import subtree_q
from linli.opinions.models import (
    OPEN_STATUSES,
    Disposition,
    OpenDay,
    Opinion,
    OpinionChannel,
    OpinionStatus,
    OpinionTopic,
    Topic,
)

TODO_LIMIT = 10


def _open(user: Any) -> Any:
    return Opinion.objects.visible_to(user).filter(status__in=OPEN_STATUSES)


def due_count(user: Any) -> int:
    """Opinions still awaiting their reply whose deadline is today or past: the menu badge."""
    if not user.can("write"):
        return 0
    end = timezone.make_aware(datetime.combine(timezone.localdate(), time.max))
    return _open(user).filter(reply_due_at__lte=end).count()


def todo(user: Any) -> dict[str, Any]:
    now = timezone.now()
    qs = _open(user).prefetch_related("area").order_by("reply_due_at", "pk")
    overdue = list(qs.filter(reply_due_at__lt=now)[:TODO_LIMIT])
    soon = list(qs.filter(reply_due_at__gte=now, reply_due_at__lt=now + timedelta(days=3))[:TODO_LIMIT])
    return {
        "overdue": overdue,
        "overdue_count": qs.filter(reply_due_at__lt=now).count(),
        "soon": soon,
        "open_count": qs.count(),
    }


def month_bounds(month: date) -> tuple[datetime, datetime]:
    first = month.replace(day=1)
    nxt = (first + timedelta(days=32)).replace(day=1)
    tz = timezone.get_current_timezone()
    return (
        timezone.make_aware(datetime.combine(first, time.min), tz),
        timezone.make_aware(datetime.combine(nxt, time.min), tz),
    )


def parse_month(value: str | None) -> date:
    try:
        year, month = (int(part) for part in (value or "").split("-"))
        return date(year, month, 1)
    except (ValueError, TypeError):
        return timezone.localdate().replace(day=1)


@dataclass
class MonthlyReport:
    month: date
    total: int = 0
    to_case: int = 0
    replied: int = 0
    on_time: int = 0
    late: int = 0  # replied late, or past the deadline without a reply
    pending: int = 0  # not yet replied, still in time
    closed: int = 0
    topics: list[tuple[str, str, int]] = field(default_factory=list)  # code, label, count
    channels: list[tuple[str, str, int]] = field(default_factory=list)
    dispositions: list[tuple[str, str, int]] = field(default_factory=list)
    areas: list[dict[str, Any]] = field(default_factory=list)

    @staticmethod
    def share(part: int, whole: int) -> str:
        return f"{part / whole:.1%}" if whole else "—"

    @property
    def case_share(self) -> str:
        return self.share(self.to_case, self.total)

    @property
    def on_time_share(self) -> str:
        """Of the opinions whose reply is due (replied, or past their deadline), those replied in time."""
        return self.share(self.on_time, self.on_time + self.late)


def monthly_report(user: Any, month: date, area: Area | None = None) -> MonthlyReport:
    """One month's opinions (by collection time) in the user's scope: counts per topic, channel,
    disposition and community; share turned into cases; share replied within the set working days.
    A handful of GROUP BY passes over the month's rows; nothing is loaded per opinion."""
    start, end = month_bounds(month)
    qs = Opinion.objects.visible_to(user).filter(received_at__gte=start, received_at__lt=end)
    if area is not None:
        qs = qs.filter(subtree_q([area.path], "area__path"))
    now = timezone.now()
    report = MonthlyReport(month=month)
    due = F("reply_due_at")
    overdue = Q(replied_at__isnull=True, reply_due_at__lt=now) & ~Q(status=OpinionStatus.MERGED)
    # One pass, grouped by area × channel × disposition; every figure is a sum of these groups.
    groups = list(
        qs.order_by()
        .values("area_id", "channel", "disposition")
        .annotate(
            n=Count("pk"),
            cases=Count("pk", filter=Q(case__isnull=False)),
            replied=Count("pk", filter=Q(replied_at__isnull=False)),
            closed=Count("pk", filter=Q(status=OpinionStatus.CLOSED)),
            merged=Count("pk", filter=Q(status=OpinionStatus.MERGED)),
            on_time=Count("pk", filter=Q(replied_at__isnull=False, replied_at__lte=due)),
            late=Count("pk", filter=Q(replied_at__isnull=False, replied_at__gt=due)),
            overdue=Count("pk", filter=overdue),
        )
    )
    by_channel: dict[str, int] = {}
    by_disposition: dict[str, int] = {}
    by_area: dict[int, dict[str, int]] = {}
    merged = overdue_count = 0
    for g in groups:
        report.total += g["n"]
        report.to_case += g["cases"]
        report.replied += g["replied"]
        report.closed += g["closed"]
        report.on_time += g["on_time"]
        report.late += g["late"] + g["overdue"]
        merged += g["merged"]
        overdue_count += g["overdue"]
        by_channel[g["channel"]] = by_channel.get(g["channel"], 0) + g["n"]
        by_disposition[g["disposition"]] = by_disposition.get(g["disposition"], 0) + g["n"]
        row = by_area.setdefault(g["area_id"], {"n": 0, "cases": 0, "on_time": 0, "late": 0})
        row["n"] += g["n"]
        row["cases"] += g["cases"]
        row["on_time"] += g["on_time"]
        row["late"] += g["late"] + g["overdue"]
    report.pending = report.total - report.replied - overdue_count - merged
    labels = dict(Topic.choices)
    topic_counts = (
        OpinionTopic.objects.filter(opinion__in=qs.values("pk"))
        .order_by()
        .values("topic")
        .annotate(n=Count("pk"))
        .values_list("topic", "n")
    )
    report.topics = sorted(
        ((code, str(labels[code]), n) for code, n in topic_counts), key=lambda row: (-row[2], row[0])
    )
    report.channels = [(c, str(label), by_channel.get(c, 0)) for c, label in OpinionChannel.choices]
    report.dispositions = [("", "待研判", by_disposition.get("", 0))] + [
        (d, str(label), by_disposition.get(d, 0)) for d, label in Disposition.choices
    ]
    if by_area:
        areas = list(Area.objects.filter(pk__in=by_area).values_list("pk", "path", "name"))
        names = Area.qualified_names([(path, name) for _, path, name in areas])
        report.areas = [
            {
                "label": names[path],
                "path": path,
                "total": by_area[pk]["n"],
                "cases": by_area[pk]["cases"],
                "case_share": MonthlyReport.share(by_area[pk]["cases"], by_area[pk]["n"]),
                "on_time_share": MonthlyReport.share(
                    by_area[pk]["on_time"], by_area[pk]["on_time"] + by_area[pk]["late"]
                ),
            }
            for pk, path, name in sorted(areas, key=lambda a: a[1])
        ]
    return report


def open_day_followup(day: OpenDay) -> dict[str, int]:
    """How the day's opinions stand: the follow-up status shown on each open day."""
    counts = dict(day.opinions.order_by().values("status").annotate(n=Count("pk")).values_list("status", "n"))
    total = sum(counts.values())
    done = counts.get(OpinionStatus.CLOSED, 0) + counts.get(OpinionStatus.MERGED, 0)
    return {
        "total": total,
        "open": counts.get(OpinionStatus.NEW, 0) + counts.get(OpinionStatus.IN_PROGRESS, 0),
        "replied": counts.get(OpinionStatus.REPLIED, 0),
        "done": done,
    }


def followups(days: list[OpenDay]) -> dict[int, dict[str, int]]:
    """open_day_followup for a page of days in one query."""
    out: dict[int, dict[str, int]] = {d.pk: {"total": 0, "open": 0, "replied": 0, "done": 0} for d in days}
    rows = (
        Opinion.objects.filter(open_day__in=[d.pk for d in days])
        .order_by()
        .values("open_day_id", "status")
        .annotate(n=Count("pk"))
    )
    for row in rows:
        entry = out[row["open_day_id"]]
        entry["total"] += row["n"]
        if row["status"] in OPEN_STATUSES:
            entry["open"] += row["n"]
        elif row["status"] == OpinionStatus.REPLIED:
            entry["replied"] += row["n"]
        else:
            entry["done"] += row["n"]
    return out
