"""The map's writes: a building's point. (A grid's boundary is the areas app's: `areas.services.area_update`.)"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from linli.areas.geometry import contains_point
from linli.areas.models import Area
from linli.core.audit import Action, audit_record
from linli.core.errors import DomainError
from linli.core.permissions import Capability, require, require_path_in_scope
from linli.core.validation import coordinate
from linli.dashboards.models import BuildingPoint

if TYPE_CHECKING:
    from linli.accounts.models import User
    from linli.registry.models import Building


@transaction.atomic
def building_point_set(
    *, actor: User | None, building: Building, latitude: Any, longitude: Any
) -> BuildingPoint:
    """Place a building on the map. The point must lie in its grid's boundary when the grid has one."""
    require(actor, Capability.MANAGE_AREAS)
    require_path_in_scope(actor, building.grid.path)
    lat = coordinate(latitude, field="latitude", low=-90, high=90, label="纬度")
    lng = coordinate(longitude, field="longitude", low=-180, high=180, label="经度")
    if lat is None or lng is None:
        raise DomainError("请在地图上点选楼栋的位置。", field="latitude")
    grid = Area.objects.get(pk=building.grid_id)  # fresh: its boundary may have been drawn since
    if grid.boundary and not contains_point(grid.boundary, float(lng), float(lat)):
        raise DomainError(f"该位置不在{grid.name}的边界内。", field="latitude")
    point = BuildingPoint.objects.select_for_update().filter(building=building).first()
    before = (str(point.latitude), str(point.longitude)) if point else None
    if point is None:
        point = BuildingPoint(building=building, latitude=lat, longitude=lng)
    point.latitude, point.longitude = lat, lng
    point.updated_at, point.updated_by = timezone.now(), actor
    point.save()
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        obj=point,
        object_repr=f"{building.number}号楼 位置",
        changes={"point": [before, [str(lat), str(lng)]]},
    )
    return point


@transaction.atomic
def building_point_clear(*, actor: User | None, building: Building) -> None:
    require(actor, Capability.MANAGE_AREAS)
    require_path_in_scope(actor, building.grid.path)
    point = BuildingPoint.objects.select_for_update().filter(building=building).first()
    if point is None:
        raise DomainError("该楼栋还没有位置。", field="latitude")
    audit_record(
        actor=actor,
        action=Action.DELETE,
        obj=point,
        object_repr=f"{building.number}号楼 位置",
        changes={"point": [[str(point.latitude), str(point.longitude)], None]},
    )
    point.delete()
