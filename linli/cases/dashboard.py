"""Cases' figures on the dashboards, the map and the profile (core.modules.DashboardFigures).

The month's figures are `selectors.indicators` of the cases received this month (the indicators page's
cohort); counts of open, overdue and red-card cases are the case list's own filters, so each figure's link
lists exactly the cases it counts.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from linli.areas.models import Area
from linli.cases import counts as case_counts
from linli.cases.models import OPEN_STATUSES, Case, Category, Status
from linli.cases.selectors import filter_cases, indicators, period_bounds, todo
from linli.core.modules import AreaMeasure, Chart, Figure, MapPoint, Panel
from linli.core.permissions import Capability

if TYPE_CHECKING:
    from linli.accounts.models import User

MAP_POINTS = 2000  # the newest open cases with a location; a street has a few hundred open at once


def cases_url(area: str = "", **params: Any) -> str:
    query = {"area": area} if area else {}
    query |= {k: str(v) for k, v in params.items() if v not in ("", None, False)}
    return reverse("cases:list") + (f"?{urlencode(query)}" if query else "")


def month_start(day: date) -> date:
    return day.replace(day=1)


def months_back(day: date, n: int) -> date:
    year, month = divmod(day.year * 12 + day.month - 1 - n, 12)
    return date(year, month + 1, 1)


def _scoped(user: User, area: str) -> Any:
    return filter_cases(Case.objects.visible_to(user), area=area)


def trend(user: User, area: str, today: date) -> tuple[list[date], dict[str, list[int]]]:
    """Cases received in each of the last 12 months, and how many of those are closed: from the cases'
    running counts per area and month (cases/counts.py), with the hours between each local month's start and
    the nearest UTC month start counted live. (Counting a street's 100,000 cases month by month took 28–43 ms
    of CPU on SQLite after every case write.)"""
    starts = [months_back(today, n) for n in range(11, -1, -1)]
    found = case_counts.periods(
        _scoped(user, area),
        case_counts.kept(user, area),
        case_counts.local_months(starts[0], 12),
        kinds=("received", "closed"),
    )
    return starts, {
        "received": [p.get("received") for p in found],
        "closed": [p.get("closed") for p in found],
    }


def panels(user: User, area: str) -> list[Panel]:
    if not user.can(Capability.READ_SCOPE):
        return department_panels(user)
    today = timezone.localdate()
    first = month_start(today)
    start, end = period_bounds(first, today)
    cases = _scoped(user, area)
    # One pass: the month's rows by category, and their sum (every case has one category) is the total.
    rows, month = indicators(cases, group="category", start=start, end=end)
    this_month = {"start": first.isoformat(), "end": today.isoformat()}
    figures = [
        Figure("本月受理", month.received, cases_url(area, **this_month)),
        Figure("本月受理已结案", month.closed, cases_url(area, status=Status.CLOSED, **this_month)),
        Figure("按期结案率", month.rates["on_time_rate"], cases_url(area, **this_month), percent=True),
        Figure("满意率", month.rates["satisfaction_rate"], percent=True),
        Figure("未结案", cases.filter(status__in=OPEN_STATUSES).count(), cases_url(area, status="open")),
        Figure(
            "当前超期",
            filter_cases(cases, alert="overdue").count(),
            cases_url(area, alert="overdue"),
            tone="warn",
        ),
        Figure(
            "红牌督办", filter_cases(cases, alert="red").count(), cases_url(area, alert="red"), tone="bad"
        ),
    ]
    codes = dict(Category.objects.order_by().values_list("code", "pk"))
    top = sorted((r for r in rows if r.key), key=lambda r: -r.received)[:8]
    categories = Chart(
        "hbar",
        "本月诉求类别前八",
        [r.label for r in top],
        [("受理", [r.received for r in top])],
        [cases_url(area, category=codes.get(r.key, ""), **this_month) for r in top],
    )
    starts, counts = trend(user, area, today)
    month_urls = [
        cases_url(
            area,
            start=s.isoformat(),
            end=min(months_back(s, -1) - timedelta(days=1), today).isoformat(),
        )
        for s in starts
    ]
    trend_chart = Chart(
        "line",
        "近 12 个月受理与结案",
        [f"{s:%Y-%m}" for s in starts],
        [("受理", counts["received"]), ("已结案", counts["closed"])],
        month_urls,
    )
    return [Panel("cases", "诉求工单", figures, [trend_chart, categories], reverse("cases:indicators"))]


def department_panels(user: User) -> list[Panel]:
    """A department handler's cases: what waits for them or their department, due soon and overdue."""
    now = timezone.now()
    mine = todo(user)
    figures = [
        Figure("待处理", mine.count(), cases_url(mine=1)),
        Figure(
            "24 小时内到期",
            mine.filter(stage_due_at__gt=now, stage_due_at__lte=now + timedelta(days=1)).count(),
            cases_url(mine=1, sort="deadline"),
        ),
        Figure(
            "已超期",
            filter_cases(mine, alert="overdue").count(),
            cases_url(mine=1, alert="overdue"),
            tone="warn",
        ),
        Figure(
            "红牌督办", filter_cases(mine, alert="red").count(), cases_url(mine=1, alert="red"), tone="bad"
        ),
    ]
    visible = Case.objects.visible_to(user)
    by_status = dict(visible.order_by().values_list("status").annotate(n=Count("*")))
    statuses = [(v, label) for v, label in Status.choices if by_status.get(v)]
    chart = Chart(
        "hbar",
        "本部门工单状态",
        [label for _, label in statuses],
        [("件", [by_status[v] for v, _ in statuses])],
        [cases_url(status=v) for v, _ in statuses],
    )
    return [Panel("cases", "本部门工单", figures, [chart] if statuses else [], reverse("cases:inbox"))]


def todo_figures(user: User) -> list[Figure]:
    now = timezone.now()
    mine = todo(user)
    return [
        Figure("待办工单", mine.count(), cases_url(mine=1)),
        Figure(
            "其中已超期",
            filter_cases(mine, alert="overdue").count(),
            cases_url(mine=1, alert="overdue"),
            tone="warn",
        ),
        Figure(
            "24 小时内到期",
            mine.filter(stage_due_at__gt=now, stage_due_at__lte=now + timedelta(days=1)).count(),
            cases_url(mine=1, sort="deadline"),
        ),
    ]


def measures(user: User, area: str) -> list[AreaMeasure]:
    open_by_area = dict(
        _scoped(user, area)
        .filter(status__in=OPEN_STATUSES)
        .order_by()
        .values_list("area_id")
        .annotate(n=Count("*"))
    )
    overdue = dict(
        filter_cases(_scoped(user, area), alert="overdue")
        .order_by()
        .values_list("area_id")
        .annotate(n=Count("*"))
    )
    paths = dict(Area.objects.filter(pk__in=set(open_by_area) | set(overdue)).values_list("pk", "path"))
    return [
        AreaMeasure("open_cases", "未结案工单", {paths[k]: n for k, n in open_by_area.items()}),
        AreaMeasure("overdue_cases", "超期工单", {paths[k]: n for k, n in overdue.items()}),
    ]


def points(user: User, area: str) -> tuple[str, list[MapPoint]]:
    """Open cases with a location, the newest first, coloured by status (`group` is the status label)."""
    rows = (
        _scoped(user, area)
        .filter(status__in=OPEN_STATUSES, latitude__isnull=False, longitude__isnull=False)
        .order_by("-received_at")
        .values(
            "pk", "number", "title", "status", "latitude", "longitude", "category__name", "overdue_since"
        )[:MAP_POINTS]
    )
    labels = dict(Status.choices)
    return "未结案工单", [
        MapPoint(
            latitude=float(r["latitude"]),
            longitude=float(r["longitude"]),
            label=f"{r['number']} {r['title']}",
            url=reverse("cases:detail", args=[r["pk"]]),
            group="已超期" if r["overdue_since"] else str(labels.get(r["status"], r["status"])),
            detail=r["category__name"] or "",
        )
        for r in rows
    ]


def profile(user: User, area: str) -> list[Figure]:
    """This year's figures from the cases' running counts (cases/counts.py), with what moves with the clock
    (open cases past their closing deadline) counted live: the same figures as `selectors.indicators` of the
    year (tested), without counting the year's cases after every case write."""
    today = timezone.localdate()
    start, end = period_bounds(today.replace(month=1, day=1), today)
    (year,) = case_counts.periods(_scoped(user, area), case_counts.kept(user, area), [start, end], due=True)
    year_range = {"start": today.replace(month=1, day=1).isoformat(), "end": today.isoformat()}
    return [
        Figure("今年受理诉求", year.get("received"), cases_url(area, **year_range)),
        Figure("今年受理已结案", year.get("closed"), cases_url(area, status=Status.CLOSED, **year_range)),
        Figure("按期结案率（今年）", year.on_time_rate, percent=True),
        Figure("满意率（今年）", year.satisfaction_rate, percent=True),
    ]
