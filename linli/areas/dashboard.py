"""The area tree's figures on the dashboards and the profile: how many communities and grids, how many
have a boundary on the map, and whether each grid has a responsible person today."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.urls import reverse

from linli.areas.models import Area, GridAssignment
from linli.areas.querysets import AreaQuerySet
from linli.core.modules import Figure, Panel
from linli.core.scoping import subtree_q

if TYPE_CHECKING:
    from linli.accounts.models import User


def _areas(user: User, area: str) -> AreaQuerySet:
    qs = Area.objects.visible_to(user)
    return qs.filter(subtree_q([area])) if area else qs


def panels(user: User, area: str) -> list[Panel]:
    areas = _areas(user, area)
    grids = areas.filter(kind=Area.Kind.GRID)
    staffed = (
        GridAssignment.objects.current()
        .filter(grid__in=grids.values("pk"))
        .values("grid_id")
        .distinct()
        .count()
    )
    figures = [
        Figure("社区", areas.filter(kind=Area.Kind.COMMUNITY).count(), reverse("areas:tree")),
        Figure("网格", grids.count(), reverse("areas:tree")),
        Figure("已落图网格", grids.filter(boundary__isnull=False).count(), reverse("dashboards:map")),
        Figure("有责任人的网格", staffed, reverse("areas:tree")),
    ]
    return [Panel("areas", "网格", figures, (), reverse("areas:tree"))]


def profile(user: User, area: str) -> list[Figure]:
    areas = _areas(user, area)
    return [
        Figure("社区", areas.filter(kind=Area.Kind.COMMUNITY).count()),
        Figure("网格", areas.filter(kind=Area.Kind.GRID).count()),
    ]
