"""The demo street on the map: plausible boundaries for the street, its communities and grids (a street
cut into four community quadrants, each into four grid blocks, 工人新村's two sub-grids halves of its
block), building points in their grid, and the demo's cases moved with their grid's centre.

One grid (the last community's 第四网格) is left without a boundary on purpose: the map lists grids
without one instead of inventing a shape, and the demo shows that list."""

from __future__ import annotations

import random
from decimal import Decimal

from django.db.models import F

from linli.areas.models import Area
from linli.areas.services import area_update
from linli.core.demo import DemoContext

DEMO_AFTER = ("areas", "registry", "cases", "visits")

HALF_LAT, HALF_LNG = 0.02, 0.024  # the street: about 4.4 km × 4.6 km
UNMAPPED = "C04/G04"


def _rect(south: float, west: float, north: float, east: float) -> dict[str, object]:
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [[[round(x, 6), round(y, 6)] for x, y in ring]]}


def _quarters(box: tuple[float, float, float, float]) -> list[tuple[float, float, float, float]]:
    """NW, NE, SW, SE quarters of (south, west, north, east)."""
    s, w, n, e = box
    mid_lat, mid_lng = (s + n) / 2, (w + e) / 2
    return [
        (mid_lat, w, n, mid_lng),
        (mid_lat, mid_lng, n, e),
        (s, w, mid_lat, mid_lng),
        (s, mid_lng, mid_lat, e),
    ]


def _place(area: Area, box: tuple[float, float, float, float]) -> None:
    s, w, n, e = box
    area_update(
        actor=None,
        area=area,
        boundary=_rect(*box),
        latitude=round((s + n) / 2, 6),
        longitude=round((w + e) / 2, 6),
    )


def demo_build(ctx: DemoContext) -> None:
    from linli.cases.models import Case
    from linli.dashboards.models import BuildingPoint
    from linli.registry.models import Building

    street = ctx.street or Area.objects.get(path="S01")
    rng = random.Random(ctx.seed + 18)
    lat, lng = float(street.latitude or 30.5728), float(street.longitude or 104.0668)
    street_box = (lat - HALF_LAT, lng - HALF_LNG, lat + HALF_LAT, lng + HALF_LNG)
    _place(street, street_box)
    mapped = 0
    points: list[BuildingPoint] = []
    communities = list(Area.objects.filter(parent=street, kind=Area.Kind.COMMUNITY).order_by("path"))
    for community, c_box in zip(communities, _quarters(street_box), strict=False):
        _place(community, c_box)
        grids = list(Area.objects.filter(parent=community, kind=Area.Kind.GRID).order_by("path"))
        for grid, g_box in zip(grids, _quarters(c_box), strict=False):
            if grid.path.endswith(UNMAPPED):
                continue
            old = (grid.latitude, grid.longitude)
            _place(grid, g_box)
            grid.refresh_from_db()
            if old[0] is not None and old[1] is not None:
                # The demo's cases lie around the grid's old point: move them with it, into the block.
                Case.objects.filter(area=grid, latitude__isnull=False).update(
                    latitude=F("latitude") + (grid.latitude - old[0]),  # type: ignore[operator]
                    longitude=F("longitude") + (grid.longitude - old[1]),  # type: ignore[operator]
                )
            mapped += 1
            leaves = [(grid, g_box)]
            subs = list(Area.objects.filter(parent=grid).order_by("path"))
            if subs:
                s, w, n, e = g_box
                mid = (w + e) / 2
                halves = [(s, mid, n, e), (s, w, n, mid)]  # 东片, 西片
                leaves = list(zip(subs, halves, strict=False))
                for sub, box in leaves:
                    _place(sub, box)
                    mapped += 1
            for leaf, (s, w, n, e) in leaves:
                buildings = list(Building.objects.filter(grid=leaf).order_by("number", "pk"))
                side = max(1, int(len(buildings) ** 0.5 + 0.999))
                for i, building in enumerate(buildings):
                    row, col = divmod(i, side)
                    y = s + (n - s) * (row + 0.5 + rng.uniform(-0.2, 0.2)) / side
                    x = w + (e - w) * (col + 0.5 + rng.uniform(-0.2, 0.2)) / side
                    points.append(
                        BuildingPoint(
                            building=building,
                            latitude=Decimal(str(round(y, 6))),
                            longitude=Decimal(str(round(x, 6))),
                        )
                    )
    BuildingPoint.objects.bulk_create(points, batch_size=500)
    ctx.counts["mapped_areas"] = mapped
    ctx.counts["building_points"] = len(points)
