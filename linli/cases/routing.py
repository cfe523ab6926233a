"""Where a case belongs and who should handle it.

The location picks the grid: a house or building gives it directly, coordinates are
matched against grid boundaries (GeoJSON) inside the jurisdiction. The grid's
on-duty grid worker handles it, unless the category routes to a department.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Q
from django.utils import timezone

from linli.areas.models import Area, GridAssignment
from linli.core.scoping import subtree_q

EARTH_RADIUS_M = 6_371_000


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance (haversine) in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def _in_ring(lng: float, lat: float, ring: list[list[float]]) -> bool:
    inside = False
    j = len(ring) - 1
    for i in range(len(ring)):
        xi, yi = ring[i][0], ring[i][1]
        xj, yj = ring[j][0], ring[j][1]
        if (yi > lat) != (yj > lat) and lng < (xj - xi) * (lat - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def contains(geometry: dict[str, Any] | None, lat: float, lng: float) -> bool:
    """Whether a GeoJSON Polygon/MultiPolygon contains the point (holes respected)."""
    if not geometry:
        return False
    polygons = (
        [geometry["coordinates"]] if geometry.get("type") == "Polygon" else geometry.get("coordinates", [])
    )
    for rings in polygons:
        if rings and _in_ring(lng, lat, rings[0]) and not any(_in_ring(lng, lat, hole) for hole in rings[1:]):
            return True
    return False


def grid_at(within: Area, lat: Decimal | float, lng: Decimal | float) -> Area | None:
    """The deepest grid under `within` whose boundary contains the point."""
    found: Area | None = None
    grids = Area.objects.filter(subtree_q([within.path]), kind=Area.Kind.GRID, boundary__isnull=False)
    for grid in grids.order_by("depth"):
        if contains(grid.boundary, float(lat), float(lng)):
            found = grid
    return found


def on_duty_worker(grid: Area) -> Any:
    """The grid worker responsible for the grid today (the longest-serving one if several)."""
    assignment = (
        GridAssignment.objects.current(timezone.localdate())
        .filter(grid=grid, duty=GridAssignment.Duty.WORKER, user__is_active=True)
        .select_related("user")
        .order_by("start_date", "pk")
        .first()
    )
    return assignment.user if assignment else None


def serves_q(area: Area, lookup: str = "area__path") -> Q:
    """Departments serving `area`: bound to the area itself, one of its ancestors (the street's 城管中队
    serves every community and grid of the street) or an area below it (a community's own office
    serves a case still filed at the street). Neither the dispatcher's scope nor anything else widens it."""
    return Q(**{f"{lookup}__in": [*area.ancestor_paths(), area.path]}) | Q(
        **{f"{lookup}__startswith": area.path + "/"}
    )


def serves(department: Any, area: Area) -> bool:
    path = department.area.path
    return path == area.path or area.path.startswith(path + "/") or path.startswith(area.path + "/")


def departments_for(area: Area) -> Any:
    """The departments a case at `area` may be dispatched to: active ones that serve it."""
    from linli.cases.models import Department

    return Department.objects.filter(serves_q(area), active=True).select_related("area").order_by("code")


@dataclass
class Target:
    """A suggested dispatch: a person or a department, and why."""

    assignee: Any = None
    department: Any = None
    reason: str = ""


def suggest(case: Any) -> Target:
    category = case.category
    if category.department_id and category.department.active and serves(category.department, case.area):
        return Target(
            department=category.department, reason=f"类别“{category.name}”由{category.department.name}处置"
        )
    if case.area.kind == Area.Kind.GRID:
        worker = on_duty_worker(case.area)
        if worker is not None:
            return Target(assignee=worker, reason=f"{case.area.qualified_name}当班网格员")
        return Target(reason=f"{case.area.qualified_name}暂无当班网格员，请手工指定")
    return Target(reason="位置未落到网格，请手工指定处置人或部门")
