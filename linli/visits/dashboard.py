"""Visits' figures on the dashboards, the map and the profile: `selectors.coverage`, the coverage page's own
numbers, with links to the target list's filters."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlencode

from django.urls import reverse

from linli.areas.models import Area
from linli.core.modules import AreaMeasure, Chart, Figure, Panel
from linli.visits import selectors

if TYPE_CHECKING:
    from linli.accounts.models import User


def _area(area: str) -> Area | None:
    return Area.objects.filter(path=area).first() if area else None


def targets_url(area: Area | None, **params: str) -> str:
    query = ({"area": str(area.pk)} if area else {}) | {k: v for k, v in params.items() if v}
    return reverse("visits:targets") + (f"?{urlencode(query)}" if query else "")


def panels(user: User, area: str) -> list[Panel]:
    place = _area(area)
    rows, total = selectors.coverage(
        user, area=place, group="community" if not place or place.kind != "grid" else "grid"
    )
    tasks_url = reverse("visits:tasks") + "?status=open"
    figures = [
        Figure("走访对象", total.targets, targets_url(place)),
        Figure("按期走访率", total.on_time_rate, targets_url(place, state="ok"), percent=True),
        Figure("超期未访", total.overdue, targets_url(place, state="overdue"), tone="warn"),
        Figure("从未走访", total.never, targets_url(place, state="never")),
        Figure("近 30 天走访", total.visits, reverse("visits:list")),
        Figure("八必访待办", total.tasks_open, tasks_url),
        Figure("八必访超期", total.tasks_overdue, tasks_url, tone="bad"),
    ]
    shown = [r for r in rows if r.targets]
    areas = dict(Area.objects.filter(path__in=[r.key for r in shown]).values_list("path", "pk"))
    chart = Chart(
        "bar",
        "按期走访率（%）",
        [r.label for r in shown],
        [
            (
                "按期走访率",
                [round(r.on_time_rate * 100, 1) if r.on_time_rate is not None else None for r in shown],
            )
        ],
        [reverse("visits:targets") + f"?{urlencode({'area': areas.get(r.key, '')})}" for r in shown],
    )
    return [Panel("visits", "走访", figures, [chart] if shown else [], reverse("visits:coverage"))]


def todo_figures(user: User) -> list[Figure]:
    return [Figure("走访待办", selectors.todo_count(user), reverse("visits:todo"))]


def measures(user: User, area: str) -> list[AreaMeasure]:
    rows, _ = selectors.coverage(user, area=_area(area))
    return [AreaMeasure("coverage", "按期走访率", {r.key: r.on_time_rate for r in rows}, percent=True)]


def profile(user: User, area: str) -> list[Figure]:
    _, total = selectors.coverage(user, area=_area(area))
    return [
        Figure("走访对象", total.targets),
        Figure("按期走访率", total.on_time_rate, percent=True),
        Figure("近 30 天走访次数", total.visits),
    ]
