from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from linli.accounts.roles import Capability
from linli.areas.geometry import area2, self_intersects
from linli.areas.geometry import inside as geometry_inside
from linli.areas.geometry import overlap as geometry_overlap
from linli.areas.geometry import polygons as geometry_polygons
from linli.areas.models import Area, GridAssignment, code_validator
from linli.core.audit import Action, audit_record, diff
from linli.core.errors import DomainError, NotFound
from linli.core.permissions import require, require_path_in_scope
from linli.core.scoping import PATH_SEPARATOR, path_in_scope
from linli.core.validation import coordinate

if TYPE_CHECKING:
    from linli.accounts.models import User

KIND_LABELS = dict(Area.Kind.choices)


def area_by_path(path: str, *, actor: User | None = None) -> Area:
    """The area at a code path such as `S01/C01/G01`, within the actor's scope."""
    normalised = PATH_SEPARATOR.join(
        p.strip().upper() for p in path.strip().strip(PATH_SEPARATOR).split(PATH_SEPARATOR)
    )
    qs = Area.objects.all() if actor is None else Area.objects.visible_to(actor)
    area = qs.filter(path=normalised).first()
    if area is None:
        raise NotFound(f"区域 {normalised or path!r} 不存在或不在您的管辖范围内。")
    return area


def _normalise_code(code: str) -> str:
    value = (code or "").strip().upper()
    try:
        code_validator(value)
    except ValidationError as exc:
        raise DomainError(exc.messages[0], field="code") from exc
    return value


def _coordinate(value: Any, field: str, limit: int) -> Decimal | None:
    return coordinate(value, field=field, low=-limit, high=limit, label="坐标")


def _boundary(value: Any) -> dict[str, Any] | None:
    """Accept a GeoJSON Polygon or MultiPolygon (or a Feature wrapping one)."""
    if value in (None, "", {}):
        return None
    if not isinstance(value, dict):
        raise DomainError("边界必须是 GeoJSON 对象。", field="boundary")
    geometry = value.get("geometry") if value.get("type") == "Feature" else value
    if not isinstance(geometry, dict) or geometry.get("type") not in {"Polygon", "MultiPolygon"}:
        raise DomainError("边界必须是 GeoJSON 的 Polygon 或 MultiPolygon。", field="boundary")
    coordinates = geometry.get("coordinates") or []
    polygons = [coordinates] if geometry["type"] == "Polygon" else coordinates
    try:
        for polygon in polygons or []:
            for ring in polygon:
                if len(ring) < 4 or ring[0] != ring[-1]:
                    raise DomainError("边界的每个环至少 4 个点且首尾相同。", field="boundary")
                for lng, lat, *_ in ring:
                    if not (-180 <= float(lng) <= 180 and -90 <= float(lat) <= 90):
                        raise DomainError("边界坐标超出经纬度范围。", field="boundary")
    except (TypeError, ValueError) as exc:
        raise DomainError("边界坐标格式不正确。", field="boundary") from exc
    if not polygons:
        raise DomainError("边界没有坐标。", field="boundary")
    for polygon in geometry_polygons(geometry):
        for ring in polygon:
            if self_intersects(ring):
                raise DomainError("边界自相交（线段交叉），请调整顶点顺序。", field="boundary")
            if abs(area2(ring)) < 1e-12:
                raise DomainError("边界围成的面积为零，请至少画三个不在一条直线上的点。", field="boundary")
    return geometry


def _require_inside_parent(parent: Area | None, geometry: dict[str, Any] | None) -> None:
    """A grid's boundary lies within its community's (or parent grid's), when the parent has one."""
    if geometry is None or parent is None or not parent.boundary:
        return
    if not geometry_inside(geometry, parent.boundary):
        raise DomainError(f"边界超出了上级区域“{parent.name}”的范围。", field="boundary")


def boundary_overlaps(area: Area) -> list[Area]:
    """Siblings whose boundary overlaps this area's: a warning (two grids claiming one block), not an error,
    because boundaries are often drawn one at a time and corrected later."""
    if not area.boundary or area.parent_id is None:
        return []
    siblings = Area.objects.filter(parent_id=area.parent_id, boundary__isnull=False).exclude(pk=area.pk)
    return [
        s for s in siblings.order_by("path") if s.boundary and geometry_overlap(area.boundary, s.boundary)
    ]


@transaction.atomic
def area_create(
    *,
    actor: User | None,
    kind: str,
    code: str,
    name: str,
    parent: Area | None = None,
    boundary: Any = None,
    latitude: Any = None,
    longitude: Any = None,
    description: str = "",
) -> Area:
    require(actor, Capability.MANAGE_AREAS)
    if kind not in Area.Kind.values:
        raise DomainError(f"区域类型 {kind!r} 无效，可选：{'、'.join(Area.Kind.values)}。", field="kind")
    code = _normalise_code(code)
    name = (name or "").strip()
    if not name:
        raise DomainError("名称不能为空。", field="name")
    if len(name) > 100:
        raise DomainError("名称不能超过 100 个字。", field="name")
    parent_kind = parent.kind if parent else None
    if parent_kind not in Area.ALLOWED_PARENTS[kind]:
        where = f"{KIND_LABELS[parent_kind]}之下" if parent_kind else "顶层"
        raise DomainError(f"{KIND_LABELS[kind]}不能建在{where}。", field="parent")
    if parent is None and actor is not None:
        # Roots sit outside every scope; only the console operator creates them.
        raise DomainError("只能在命令行创建顶层区域。", field="parent")
    if parent is not None:
        require_path_in_scope(actor, parent.path)
    path = f"{parent.path}{PATH_SEPARATOR}{code}" if parent else code
    _require_inside_parent(parent, _boundary(boundary))
    if Area.objects.filter(path=path).exists():
        raise DomainError(f"编码 {code} 在同一上级下已存在。", field="code")
    area = Area(
        parent=parent,
        kind=kind,
        code=code,
        name=name,
        path=path,
        depth=(parent.depth + 1) if parent else 0,
        boundary=_boundary(boundary),
        latitude=_coordinate(latitude, "latitude", 90),
        longitude=_coordinate(longitude, "longitude", 180),
        description=(description or "").strip(),
    )
    try:
        with transaction.atomic():
            area.save()
    except IntegrityError as exc:  # a concurrent create of the same code
        raise DomainError(f"编码 {code} 在同一上级下已存在。", field="code") from exc
    audit_record(
        actor=actor,
        action=Action.CREATE,
        obj=area,
        changes={"kind": kind, "code": code, "name": name, "path": path},
    )
    return area


@transaction.atomic
def area_update(
    *,
    actor: User | None,
    area: Area,
    name: str | None = None,
    boundary: Any = ...,
    latitude: Any = ...,
    longitude: Any = ...,
    description: str | None = None,
) -> Area:
    """Change what describes an area. Its code and place in the tree are fixed: they are its identity."""
    require(actor, Capability.MANAGE_AREAS)
    require_path_in_scope(actor, area.path)
    locked = Area.objects.select_for_update().get(pk=area.pk)
    fields = ["name", "boundary", "latitude", "longitude", "description"]
    before = {f: getattr(locked, f) for f in fields}
    if name is not None:
        name = name.strip()
        if not name:
            raise DomainError("名称不能为空。", field="name")
        locked.name = name[:100]
    if boundary is not ...:
        locked.boundary = _boundary(boundary)
        _require_inside_parent(locked.parent, locked.boundary)
    if latitude is not ...:
        locked.latitude = _coordinate(latitude, "latitude", 90)
    if longitude is not ...:
        locked.longitude = _coordinate(longitude, "longitude", 180)
    if description is not None:
        locked.description = description.strip()
    changes = diff(before, {f: getattr(locked, f) for f in fields})
    if changes:
        locked.save()
        audit_record(actor=actor, action=Action.UPDATE, obj=locked, changes=changes)
    return locked


@transaction.atomic
def grid_assign(
    *,
    actor: User | None,
    grid: Area,
    user: User,
    duty: str = GridAssignment.Duty.WORKER,
    start_date: date,
    end_date: date | None = None,
    note: str = "",
) -> GridAssignment:
    """Make `user` responsible for `grid` from `start_date`; they are bound to the grid if not already."""
    from linli.accounts.models import AreaBinding

    require(actor, Capability.MANAGE_USERS)
    require_path_in_scope(actor, grid.path)
    if grid.kind != Area.Kind.GRID:
        raise DomainError("只能把责任人分配到网格。", field="grid")
    if duty not in GridAssignment.Duty.values:
        raise DomainError(f"职责 {duty!r} 无效，可选：worker（网格员）、leader（网格长）。", field="duty")
    if end_date is not None and end_date < start_date:
        raise DomainError("结束日期不能早于开始日期。", field="end_date")
    # Lock the grid row so two concurrent assignments cannot both pass the overlap check.
    Area.objects.select_for_update().filter(pk=grid.pk).first()
    overlapping = GridAssignment.objects.filter(
        grid=grid, user=user, duty=duty, start_date__lte=end_date or date.max
    )
    overlapping = overlapping.exclude(end_date__lt=start_date)
    if overlapping.exists():
        raise DomainError(
            f"{user.display_name} 在该时段已是 {grid.qualified_name} 的{GridAssignment.Duty(duty).label}。"
        )
    assignment = GridAssignment.objects.create(
        grid=grid, user=user, duty=duty, start_date=start_date, end_date=end_date, note=note.strip()[:200]
    )
    if not path_in_scope(grid.path, user.scope_paths()):
        AreaBinding.objects.create(user=user, area=grid)
        user.forget_scope()
    audit_record(
        actor=actor,
        action=Action.CREATE,
        obj=assignment,
        changes={"grid": grid.path, "user": user.username, "duty": duty, "start_date": str(start_date)},
    )
    return assignment


@transaction.atomic
def grid_assignment_end(*, actor: User | None, assignment: GridAssignment, end_date: date) -> GridAssignment:
    require(actor, Capability.MANAGE_USERS)
    require_path_in_scope(actor, assignment.grid.path)
    locked = GridAssignment.objects.select_for_update().get(pk=assignment.pk)
    if end_date < locked.start_date:
        raise DomainError("结束日期不能早于开始日期。", field="end_date")
    before = locked.end_date
    locked.end_date = end_date
    locked.save(update_fields=["end_date"])
    audit_record(
        actor=actor, action=Action.UPDATE, obj=locked, changes={"end_date": [str(before), str(end_date)]}
    )
    return locked
