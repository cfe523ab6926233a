from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from linli.accounts.roles import Capability
from linli.areas.models import Area
from linli.core.audit import Action, audit_record, diff
from linli.core.context import current_origin
from linli.core.db import insert_objects, insert_rows
from linli.core.errors import DomainError
from linli.core.permissions import require, require_path_in_scope
from linli.registry import idnumber, normalise
from linli.registry.models import (
    Building,
    Entrance,
    House,
    Household,
    HouseUse,
    NameGram,
    Resident,
    ResidentChange,
    ResidentTag,
    Tag,
    name_grams,
)

if TYPE_CHECKING:
    from linli.accounts.models import User

# Fields a person may edit directly; gender and birth date always follow the ID number.
EDITABLE = (
    "name",
    "id_number",
    "phone",
    "ethnicity",
    "education",
    "political_status",
    "residence_type",
    "relation_to_head",
    "notes",
)
RELATIONS = ("grid", "house", "household")
TRACKED = (*EDITABLE, "gender", "birth_date", *RELATIONS)


def _snapshot(resident: Resident) -> dict[str, Any]:
    values: dict[str, Any] = {f: getattr(resident, f) for f in EDITABLE + ("gender", "birth_date")}
    values["grid"] = resident.grid.path if resident.grid_id else None
    values["house"] = str(resident.house) if resident.house_id else None
    values["household"] = resident.household_id
    return values


def _record(
    resident: Resident,
    *,
    actor: User | None,
    kind: str,
    changes: dict[str, Any],
    effective: date | None = None,
) -> None:
    ResidentChange.objects.create(
        resident=resident,
        actor=actor,
        actor_label=getattr(actor, "username", "") or current_origin().operator,
        kind=kind,
        effective_date=effective,
        changes=changes,
    )


def _check_grid(actor: User | None, grid: Area) -> None:
    if grid.kind != Area.Kind.GRID:
        raise DomainError("居民必须登记在网格下。", field="grid")
    require_path_in_scope(actor, grid.path)


def _check_place(grid: Area, house: House | None, household: Household | None) -> None:
    if house is not None and house.building.grid_id != grid.pk:
        raise DomainError("房屋不在该居民所属网格内。", field="house")
    if household is not None and house is not None and household.house_id != house.pk:
        raise DomainError("户不在该房屋内。", field="household")


def _apply(resident: Resident, field: str, value: Any) -> None:
    if field == "name":
        value = normalise.text(value)
        if not value:
            raise DomainError("姓名不能为空。", field="name")
        if len(value) > 50:
            raise DomainError("姓名不能超过 50 个字。", field="name")
        resident.name = value
    elif field == "id_number":
        try:
            parsed = idnumber.parse(value)
        except idnumber.InvalidIdNumber as exc:
            raise DomainError(str(exc), field="id_number") from exc
        resident.id_number = parsed.value
        resident.gender = parsed.gender
        resident.birth_date = parsed.birth_date
    elif field == "phone":
        phone = normalise.phone(value)
        if phone is None:
            raise DomainError("联系电话格式不正确（手机 11 位，或带区号的固定电话）。", field="phone")
        resident.phone = phone
    elif field == "residence_type":
        if value not in Resident.ResidenceType.values:
            raise DomainError("人口类型应为户籍、常住、流动或寄住。", field="residence_type")
        resident.residence_type = value
    else:
        setattr(resident, field, normalise.text(value))


def refresh_search_keys(resident: Resident) -> None:
    """Derive the indexed search columns from name, identity number and phone."""
    resident.name_pinyin, resident.name_initials = normalise.name_keys(resident.name)
    resident.id_reversed = resident.id_number[::-1]
    resident.phone_reversed = resident.phone[::-1]


def index_names(residents: Iterable[Resident], *, fresh: bool = False) -> None:
    """(Re)write the name index of these residents; call after their name or grid changed.

    `fresh`: they were just created and have no entries yet (saves the delete on bulk paths).
    """
    rows = list(residents)
    if not rows:
        return
    if not fresh:
        NameGram.objects.filter(resident__in=[r.pk for r in rows]).delete()
    insert_rows(
        NameGram,
        ["resident_id", "grid_id", "gram"],
        [(r.pk, r.grid_id, g) for r in rows for g in name_grams(r.name)],
    )


def bulk_create_residents(residents: list[Resident]) -> None:
    """Insert many residents at once and give each its id (not every backend returns ids from a bulk insert)."""
    insert_objects(Resident, residents)
    ids = dict(
        Resident.objects.filter(id_number__in=[r.id_number for r in residents]).values_list("id_number", "pk")
    )
    for resident in residents:
        resident.pk = ids[resident.id_number]


def _duplicate_id(
    actor: User | None, id_number: str, *, grid: Area | None = None, name: str = ""
) -> DomainError:
    """The refusal for a number another resident holds. It says where only if the actor may see that
    resident; otherwise it names no scope, and a supervisor who sees both places is told instead."""
    other = Resident.objects.filter(id_number=id_number).select_related("grid").first()
    if (
        other is not None
        and actor is not None
        and not Resident.objects.visible_to(actor).filter(pk=other.pk).exists()
    ):
        _report_duplicate_elsewhere(actor, other, grid or other.grid, name)
        return DomainError("该身份证号已在本系统其他辖区登记，请联系街道核实。", field="id_number")
    if other is not None and other.status == Resident.Status.MERGED and other.merged_into_id:
        survivor = Resident.objects.get(pk=other.merged_into_id)
        return DomainError(f"该身份证号已登记，并已合并到居民 {survivor.name}。", field="id_number")
    where = f"（{other.grid.qualified_name}，{other.name}）" if other else ""
    return DomainError(f"该身份证号已登记{where}。", field="id_number")


def _common_path(a: str, b: str) -> str:
    common: list[str] = []
    for x, y in zip(a.split("/"), b.split("/"), strict=False):
        if x != y:
            break
        common.append(x)
    return "/".join(common)


def supervisors_over(*paths: str) -> list[User]:
    """Active users who may supervise and whose scope covers every one of `paths`, the nearest first:
    of those bound at several levels (community leader, street admin, district admin) only the
    deepest level is returned, the people closest to the work."""
    from linli.accounts.models import AreaBinding
    from linli.accounts.roles import ROLE_CAPABILITIES

    common = paths[0]
    for path in paths[1:]:
        common = _common_path(common, path)
    if not common:
        return []
    parts = common.split("/")
    covering = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    roles = [role for role, caps in ROLE_CAPABILITIES.items() if Capability.SUPERVISE in caps]
    bindings = (
        AreaBinding.objects.filter(area__path__in=covering, user__is_active=True, user__role__in=roles)
        .select_related("user", "area")
        .order_by("-area__path", "user_id")
    )
    rows = list(bindings)
    if not rows:
        return []
    deepest = max(len(b.area.path) for b in rows)
    return [b.user for b in rows if len(b.area.path) == deepest]


def _report_duplicate_elsewhere(actor: User, other: Resident, grid: Area, name: str) -> None:
    """Tell the supervisors over both places, in a transaction of its own so that the refusal that
    follows does not roll it back. Callers therefore do not wrap resident_create in a transaction."""
    from linli.cases.models import Notification
    from linli.cases.services import notify

    role = actor.get_role_display() if hasattr(actor, "get_role_display") else ""
    link = reverse("registry:resident", args=[other.pk])
    text = (
        f"{actor.display_name}（{role}）在{_grid_label(grid)}登记居民“{normalise.text(name) or '（未填姓名）'}”时，"
        f"所填身份证号与{_grid_label(other.grid)}已登记的居民 {other.name} 相同，已被拒绝。"
        "请核实是否为同一人（重复登记、已迁居或号码录错）。"
    )
    with transaction.atomic():
        users = [
            u
            for u in supervisors_over(grid.path, other.grid.path)
            if u.pk != actor.pk
            and not Notification.objects.filter(
                user=u, kind=Notification.Kind.DUPLICATE_ID, link=link, read_at__isnull=True
            ).exists()
        ]
        notify(users, None, Notification.Kind.DUPLICATE_ID, text, link=link)
        audit_record(
            actor=actor,
            action=Action.CREATE,
            obj=other,
            # Only a reader who sees both places reads this entry; it never holds the number.
            area_path=_common_path(grid.path, other.grid.path),
            changes={"refused": "duplicate_id", "grid": grid.path, "registered_in": other.grid.path},
        )


def _grid_label(grid: Area) -> str:
    return grid.qualified_name


@dataclass(frozen=True)
class NewHouse:
    """A house to create on the way (registering or moving a resident): building, unit, room."""

    building: str
    room: str
    entrance: str = ""
    use: str = HouseUse.OWNER_OCCUPIED


# Pass as `household` to open a new household in the house, with the resident as its head.
NEW_HOUSEHOLD = "new"
HEAD = "户主"


def _bare(value: str, suffixes: tuple[str, ...], label: str, field: str) -> str:
    value = normalise.text(value).upper()
    for suffix in suffixes:
        value = value.removesuffix(suffix)
    value = value.strip()
    if not value:
        raise DomainError(f"请填写{label}。", field=field)
    if len(value) > 20:
        raise DomainError(f"{label}不能超过 20 个字。", field=field)
    return value


def _check_house_scope(actor: User | None, house: House) -> None:
    require_path_in_scope(actor, house.building.grid.path)


def house_create(
    *,
    actor: User | None,
    grid: Area,
    building: str,
    room: str,
    entrance: str = "",
    use: str = HouseUse.OWNER_OCCUPIED,
) -> House:
    """A new house in `grid`; its building and unit are created when missing. An existing house is
    refused (pick it instead): two records of one dwelling would split its households."""
    require(actor, Capability.KEEP_REGISTRY)
    _check_grid(actor, grid)
    number = _bare(building, ("号楼", "栋", "幢", "号"), "楼栋号", "building")
    room_number = _bare(room, ("室", "号"), "房号", "room")
    entrance_number = normalise.text(entrance).removesuffix("单元").strip().upper()
    if len(entrance_number) > 20:
        raise DomainError("单元号不能超过 20 个字。", field="entrance")
    if use not in HouseUse.values:
        raise DomainError("房屋用途应为自住、出租、空置或经营。", field="use")
    with transaction.atomic():
        building_row, made_building = Building.objects.get_or_create(grid=grid, number=number)
        if made_building:
            audit_record(actor=actor, action=Action.CREATE, obj=building_row, changes={"grid": grid.path})
        entrance_row = None
        if entrance_number:
            entrance_row, _ = Entrance.objects.get_or_create(building=building_row, number=entrance_number)
        existing = House.objects.filter(
            building=building_row, entrance=entrance_row, room_number=room_number
        ).first()
        if existing is not None:
            raise DomainError(f"房屋 {existing} 已登记，请在列表中选择。", field="house")
        house = House.objects.create(
            building=building_row, entrance=entrance_row, room_number=room_number, use=use
        )
        audit_record(actor=actor, action=Action.CREATE, obj=house, changes={"use": use})
    return house


def household_create(*, actor: User | None, house: House, number: str = "") -> Household:
    """A new household (户) in a house; its head is set when a member joins as 户主."""
    require(actor, Capability.KEEP_REGISTRY)
    _check_house_scope(actor, house)
    number = normalise.text(number)
    if len(number) > 30:
        raise DomainError("户号不能超过 30 个字。", field="household")
    with transaction.atomic():
        household = Household.objects.create(house=house, number=number)
        audit_record(actor=actor, action=Action.CREATE, obj=household, changes={"house": str(house)})
    return household


def _place(
    actor: User | None,
    grid: Area,
    house: House | NewHouse | None,
    household: Household | str | None,
) -> tuple[House | None, Household | None, bool]:
    """The house and household to put a resident in, creating them when asked; (house, household,
    opened) where `opened` says the household is new (its first member is its head)."""
    if isinstance(house, NewHouse):
        house = house_create(
            actor=actor,
            grid=grid,
            building=house.building,
            room=house.room,
            entrance=house.entrance,
            use=house.use,
        )
    elif house is not None:
        _check_house_scope(actor, house)
    if household == NEW_HOUSEHOLD:
        if house is None:
            raise DomainError("新立户须先选择或新建房屋。", field="household")
        return house, household_create(actor=actor, house=house), True
    if isinstance(household, str):
        raise DomainError("户的选择无效。", field="household")
    if household is not None and house is None:
        house = household.house
    _check_place(grid, house, household)
    return house, household, False


def resident_create(
    *,
    actor: User | None,
    grid: Area,
    name: str,
    id_number: str,
    phone: str = "",
    ethnicity: str = "",
    education: str = "",
    political_status: str = "",
    residence_type: str = Resident.ResidenceType.PERMANENT,
    house: House | NewHouse | None = None,
    household: Household | str | None = None,
    relation_to_head: str = "",
    notes: str = "",
    tags: Iterable[Tag] = (),
) -> Resident:
    """Register a resident in `grid`, in a house and household (new ones are created on the way with
    `NewHouse` and `NEW_HOUSEHOLD`). All or nothing.

    A number registered in a scope the actor cannot see is refused without saying where, and the
    supervisors over both places are told (in a transaction of its own, so the report outlives the
    refusal: callers do not wrap this in a transaction of theirs)."""
    require(actor, Capability.KEEP_REGISTRY)
    _check_grid(actor, grid)
    resident = Resident(grid=grid)
    values = {
        "name": name,
        "id_number": id_number,
        "phone": phone,
        "ethnicity": ethnicity,
        "education": education,
        "political_status": political_status,
        "residence_type": residence_type,
        "relation_to_head": relation_to_head,
        "notes": notes,
    }
    for field, value in values.items():
        _apply(resident, field, value)
    tag_list = list(tags)
    _check_tags(actor, tag_list)
    if Resident.objects.filter(id_number=resident.id_number).exists():
        raise _duplicate_id(actor, resident.id_number, grid=grid, name=resident.name)
    refresh_search_keys(resident)
    try:
        with transaction.atomic():
            resident.house, resident.household, opened = _place(actor, grid, house, household)
            if opened and not resident.relation_to_head:
                resident.relation_to_head = HEAD
            resident.save()
            heads = opened or resident.relation_to_head in (HEAD, "本人")
            if resident.household is not None and heads and resident.household.head_id is None:
                Household.objects.filter(pk=resident.household.pk).update(head=resident)
                resident.household.head = resident
            index_names([resident], fresh=True)
            ResidentTag.objects.bulk_create([ResidentTag(resident=resident, tag=t) for t in tag_list])
            snapshot = {k: v for k, v in _snapshot(resident).items() if v not in ("", None)}
            snapshot = {k: str(v) if isinstance(v, date) else v for k, v in snapshot.items()}
            if tag_list:
                snapshot["tags"] = sorted(t.name for t in tag_list)
            _record(resident, actor=actor, kind=ResidentChange.Kind.CREATE, changes=snapshot)
            # The audit log names the person but never carries the identity number itself.
            audit_record(actor=actor, action=Action.CREATE, obj=resident, changes={"grid": grid.path})
    except IntegrityError as exc:
        if Resident.objects.filter(id_number=resident.id_number).exists():  # registered concurrently
            raise _duplicate_id(actor, resident.id_number, grid=grid, name=resident.name) from exc
        raise DomainError("房屋或户刚被他人同时登记，请刷新后重试。", field="house") from exc
    return resident


def resident_update(
    *,
    actor: User | None,
    resident: Resident,
    kind: str = ResidentChange.Kind.UPDATE,
    tags: Iterable[Tag] | None = None,
    **fields: Any,
) -> dict[str, list[Any]]:
    """Change a resident (and, with `tags`, the tags the actor may see), all or nothing; returns
    {field: [old, new]} of what changed (empty: nothing did)."""
    require(actor, Capability.KEEP_REGISTRY)
    require_path_in_scope(actor, resident.grid.path)
    if "id_number" in fields:
        # Checked before the transaction, so that a report to the supervisors survives the refusal.
        probe = Resident()
        _apply(probe, "id_number", fields["id_number"])
        if Resident.objects.filter(id_number=probe.id_number).exclude(pk=resident.pk).exists():
            raise _duplicate_id(actor, probe.id_number, grid=resident.grid, name=resident.name)
    with transaction.atomic():
        changes = _update(actor, resident, kind, fields)
        if tags is not None:
            changes.update(resident_set_tags(actor=actor, resident=resident, tags=tags))
    return changes


def _update(
    actor: User | None, resident: Resident, kind: str, fields: dict[str, Any]
) -> dict[str, list[Any]]:
    unknown = set(fields) - set(EDITABLE) - set(RELATIONS)
    if unknown:
        raise DomainError(f"不能修改字段：{'、'.join(sorted(unknown))}。")
    locked = (
        Resident.objects.select_for_update(of=("self",)).select_related("grid", "house").get(pk=resident.pk)
    )
    if locked.status == Resident.Status.MERGED:
        raise DomainError("该记录已合并到其他居民，请修改合并后的居民。")
    before = _snapshot(locked)
    for field in EDITABLE:
        if field in fields:
            _apply(locked, field, fields[field])
    grid = fields.get("grid", locked.grid)
    if "grid" in fields:
        if grid is None:
            raise DomainError("居民必须登记在网格下。", field="grid")
        _check_grid(actor, grid)
        locked.grid = grid
    if "house" in fields:
        locked.house = fields["house"]
        if locked.house is not None:
            _check_house_scope(actor, locked.house)
    if "household" in fields:
        locked.household = fields["household"]
    _check_place(locked.grid, locked.house, locked.household)
    if (
        locked.id_number != before["id_number"]
        and Resident.objects.filter(id_number=locked.id_number).exclude(pk=locked.pk).exists()
    ):
        raise _duplicate_id(actor, locked.id_number)
    changes = diff(before, _snapshot(locked))
    if not changes:
        return {}
    locked.updated_at = timezone.now()
    refresh_search_keys(locked)
    try:
        with transaction.atomic():
            locked.save()
    except IntegrityError as exc:  # the same number saved by someone else a moment ago
        raise _duplicate_id(actor, locked.id_number) from exc
    if "name" in changes or "grid" in changes:
        index_names([locked])
    _record(locked, actor=actor, kind=kind, changes=changes)
    audit_fields = {k: v for k, v in changes.items() if k not in ("id_number", "phone")}
    audit_fields |= {k: ["***", "***"] for k in changes if k in ("id_number", "phone")}
    audit_record(actor=actor, action=Action.UPDATE, obj=locked, changes=audit_fields)
    resident.refresh_from_db()
    return changes


def _street_of(area: Area) -> str:
    """The path of the street an area lies in ("" above or outside a street)."""
    paths = [*area.ancestor_paths(), area.path]
    street = Area.objects.filter(path__in=paths, kind=Area.Kind.STREET).values_list("path", flat=True).first()
    return street or ""


def _sync_visit_targets(resident_ids: list[int]) -> None:
    # Who is due a visit depends on status, grid and tags; keep the to-do lists true at once.
    from linli.visits.services import targets_sync

    targets_sync(resident_ids=resident_ids)


def resident_move(
    *,
    actor: User | None,
    resident: Resident,
    grid: Area,
    house: House | NewHouse,
    household: Household | str | None = None,
    relation_to_head: str | None = None,
    effective_date: date | None = None,
    note: str = "",
) -> Resident:
    """迁居: the resident moves to another house of the same street (a new one is created on the way),
    joining a household there or opening one. Dated in the history; the household left behind loses
    its head if they were it. Leaving the street is a move out (resident_move_out)."""
    from linli.visits.models import CarePlan

    require(actor, Capability.KEEP_REGISTRY)
    require_path_in_scope(actor, resident.grid.path)
    _check_grid(actor, grid)
    effective = effective_date or timezone.localdate()
    if effective > timezone.localdate():
        raise DomainError("迁居日期不能晚于今天。", field="effective_date")
    with transaction.atomic():
        locked = (
            Resident.objects.select_for_update(of=("self",))
            .select_related("grid", "house__building", "house__entrance", "household")
            .get(pk=resident.pk)
        )
        if locked.status != Resident.Status.ACTIVE:
            raise DomainError(f"{locked.name}已{locked.get_status_display()}，不能迁居。")
        street = _street_of(locked.grid)
        if not street or _street_of(grid) != street:
            raise DomainError("只能在本街道内迁居；迁往街道外请办理迁出。", field="grid")
        if isinstance(house, House) and house.pk == locked.house_id:
            raise DomainError("新住址与现住址相同。", field="house")
        before = _snapshot(locked)
        old_household = locked.household
        new_house, new_household, opened = _place(actor, grid, house, household)
        locked.grid, locked.house, locked.household = grid, new_house, new_household
        # The relation is to the head of the household joined: the old one means nothing there.
        if opened:
            locked.relation_to_head = HEAD
        elif new_household is not None and relation_to_head:
            locked.relation_to_head = normalise.text(relation_to_head)
        else:
            locked.relation_to_head = ""
        locked.updated_at = timezone.now()
        locked.save()
        if opened and new_household is not None:
            Household.objects.filter(pk=new_household.pk).update(head=locked)
        changes: dict[str, Any] = diff(before, _snapshot(locked))
        if (
            old_household is not None
            and old_household.head_id == locked.pk
            and old_household != new_household
        ):
            Household.objects.filter(pk=old_household.pk).update(head=None)
            changes["head_of"] = [str(old_household), None]
        if note.strip():
            changes["note"] = normalise.text(note)
        if "grid" in changes:
            index_names([locked])
            # A personal care plan lies in its resident's grid (visits.care_plan_create): it moves too.
            CarePlan.objects.filter(resident=locked).update(area=grid)
        _record(locked, actor=actor, kind=ResidentChange.Kind.MOVE, changes=changes, effective=effective)
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            obj=locked,
            changes={k: v for k, v in changes.items() if k in ("grid", "house", "household", "head_of")},
        )
        _sync_visit_targets([locked.pk])
    resident.refresh_from_db()
    return resident


def resident_move_out(
    *, actor: User | None, resident: Resident, effective_date: date, destination: str = "", note: str = ""
) -> Resident:
    """迁出: the resident leaves the street. They leave the active list and the visit lists; the
    record, its house and household (the last address) and its history stay, findable with 状态."""
    destination = normalise.text(destination)
    if len(destination) > 100:
        raise DomainError("迁往地址不能超过 100 个字。", field="destination")
    text = "；".join(p for p in (f"迁往：{destination}" if destination else "", normalise.text(note)) if p)
    return resident_set_status(
        actor=actor,
        resident=resident,
        status=Resident.Status.MOVED_OUT,
        effective_date=effective_date,
        note=text,
    )


def resident_record_death(
    *, actor: User | None, resident: Resident, date_of_death: date, note: str = ""
) -> Resident:
    """登记死亡: final; the record and its history stay, findable with 状态. A wrong entry is corrected
    by a street administrator (resident_set_status refuses to bring the dead back)."""
    return resident_set_status(
        actor=actor,
        resident=resident,
        status=Resident.Status.DECEASED,
        effective_date=date_of_death,
        note=normalise.text(note),
    )


@transaction.atomic
def resident_set_status(
    *, actor: User | None, resident: Resident, status: str, effective_date: date, note: str = ""
) -> Resident:
    """Moved out, deceased, or back in the register, as of a date; kept in the dated history."""
    require(actor, Capability.KEEP_REGISTRY)
    require_path_in_scope(actor, resident.grid.path)
    if status not in (Resident.Status.ACTIVE, Resident.Status.MOVED_OUT, Resident.Status.DECEASED):
        raise DomainError("状态应为在册、迁出或死亡。", field="status")
    if effective_date > timezone.localdate():
        raise DomainError("变更日期不能晚于今天。", field="effective_date")
    locked = Resident.objects.select_for_update().get(pk=resident.pk)
    if locked.status == Resident.Status.MERGED:
        raise DomainError("该记录已合并到其他居民，不能变更状态。", field="status")
    if locked.status == Resident.Status.DECEASED and status != Resident.Status.DECEASED:
        raise DomainError("已登记死亡的居民不能恢复状态；如属误录，请联系街道管理员更正。", field="status")
    if locked.status == status:
        raise DomainError(f"该居民已是“{Resident.Status(status).label}”状态。", field="status")
    if effective_date < locked.birth_date:
        raise DomainError("变更日期不能早于出生日期。", field="effective_date")
    changes = {"status": [locked.status, status]} | ({"note": note.strip()} if note.strip() else {})
    locked.status, locked.status_since, locked.updated_at = status, effective_date, timezone.now()
    locked.save(update_fields=["status", "status_since", "updated_at"])
    _record(locked, actor=actor, kind=ResidentChange.Kind.STATUS, changes=changes, effective=effective_date)
    audit_record(actor=actor, action=Action.UPDATE, obj=locked, changes={"status": changes["status"]})
    _sync_visit_targets([locked.pk])
    resident.refresh_from_db()
    return resident


MOVED_LABELS = {
    "history": "变更记录",
    "tags": "标签",
    "visits": "走访",
    "visit_tasks": "八必访任务",
    "pairings": "结对",
    "care_plans": "关怀计划",
    "care_plans_dropped": "重复的关怀计划（已删除）",
    "cases": "诉求",
    "import_rows": "导入行",
    "headships": "户主身份",
}


def resident_merge(
    *, actor: User | None, survivor: Resident, duplicate: Resident, note: str = ""
) -> dict[str, int]:
    """Fold a duplicate registration into the survivor, all or nothing.

    The survivor takes the duplicate's history, tags, visits, visit tasks, pairings, care plan, cases,
    household headship and import rows (and its house and household if it has none); the duplicate
    is marked 已合并 with a link to the survivor and keeps its own number, so it cannot be registered
    again by mistake. Not reversible: the moved rows are not marked, so undoing means correcting by
    hand (the audit entry lists what moved). Needs keep_registry and reveal_personal: telling two
    records apart takes their full numbers."""
    from linli.cases.models import Case
    from linli.transfers.models import ImportRow
    from linli.visits.models import CarePlan, Pairing, Visit, VisitTarget, VisitTask

    require(actor, Capability.KEEP_REGISTRY)
    require(actor, Capability.REVEAL_PERSONAL)
    require_path_in_scope(actor, survivor.grid.path)
    require_path_in_scope(actor, duplicate.grid.path)
    if survivor.pk == duplicate.pk:
        raise DomainError("请选择另一条重复记录。", field="duplicate")
    with transaction.atomic():
        # Both rows locked in id order, so two merges of the same pair cannot deadlock.
        rows = {
            r.pk: r
            for r in Resident.objects.select_for_update(of=("self",))
            .select_related("grid", "house__building", "house__entrance")
            .filter(pk__in=[survivor.pk, duplicate.pk])
            .order_by("pk")
        }
        keep, dup = rows[survivor.pk], rows[duplicate.pk]
        for r in (keep, dup):
            if r.status == Resident.Status.MERGED:
                raise DomainError(f"{r.name}的记录已合并过，不能再合并。", field="duplicate")
        moved: dict[str, int] = {}
        moved["history"] = ResidentChange.objects.filter(resident=dup).update(resident=keep)
        have = set(ResidentTag.objects.filter(resident=keep).values_list("tag_id", flat=True))
        moved["tags"] = (
            ResidentTag.objects.filter(resident=dup).exclude(tag_id__in=have).update(resident=keep)
        )
        ResidentTag.objects.filter(resident=dup).delete()
        moved["visits"] = Visit.objects.filter(resident=dup).update(resident=keep)
        moved["visit_tasks"] = VisitTask.objects.filter(resident=dup).update(resident=keep)
        if Pairing.objects.filter(resident=keep, end_date__isnull=True).exists():
            # One open pairing per person: the survivor's stays, the duplicate's ends today.
            Pairing.objects.filter(resident=dup, end_date__isnull=True).update(end_date=timezone.localdate())
        moved["pairings"] = Pairing.objects.filter(resident=dup).update(resident=keep)
        if CarePlan.objects.filter(resident=keep).exists():
            moved["care_plans_dropped"] = CarePlan.objects.filter(resident=dup).delete()[0]
        else:
            moved["care_plans"] = CarePlan.objects.filter(resident=dup).update(resident=keep)
        VisitTarget.objects.filter(resident=dup).delete()
        moved["cases"] = Case.objects.filter(resident=dup).update(resident=keep)
        moved["import_rows"] = ImportRow.objects.filter(resident=dup).update(resident=keep)
        moved["headships"] = Household.objects.filter(head=dup).update(head=keep)
        before_keep = _snapshot(keep)
        if keep.house_id is None and dup.house_id is not None:
            keep.house, keep.household, keep.relation_to_head = dup.house, dup.household, dup.relation_to_head
            keep.grid = dup.grid  # a house lies in one grid, and the person with it
        if not keep.phone and dup.phone:
            keep.phone = dup.phone
        keep.updated_at = timezone.now()
        refresh_search_keys(keep)
        keep.save()
        index_names([keep])
        # A personal care plan lies in its resident's grid (visits.care_plan_create).
        CarePlan.objects.filter(resident=keep).update(area=keep.grid)
        dup_place = _snapshot(dup)
        dup.status, dup.status_since, dup.merged_into = Resident.Status.MERGED, timezone.localdate(), keep
        dup.house = dup.household = None
        dup.updated_at = timezone.now()
        dup.save()
        text = normalise.text(note)
        keep_changes: dict[str, Any] = diff(before_keep, _snapshot(keep)) | {
            "merged": f"{dup.name}（{dup_place['house'] or '无房屋'}，记录 {dup.pk}）",
            "moved": "、".join(f"{MOVED_LABELS.get(k, k)} {v}" for k, v in moved.items() if v) or "无",
        }
        if text:
            keep_changes["note"] = text
        _record(keep, actor=actor, kind=ResidentChange.Kind.MERGE, changes=keep_changes)
        _record(
            dup,
            actor=actor,
            kind=ResidentChange.Kind.MERGE,
            changes={"merged_into": [None, keep.name]} | ({"note": text} if text else {}),
        )
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            obj=keep,
            changes={"merged": dup.pk, "moved": moved},
        )
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            obj=dup,
            changes={"status": [Resident.Status.ACTIVE, Resident.Status.MERGED], "merged_into": keep.pk},
        )
        _sync_visit_targets([keep.pk, dup.pk])
    survivor.refresh_from_db()
    duplicate.refresh_from_db()
    return moved


def _check_tags(actor: User | None, tags: Iterable[Tag]) -> None:
    if any(t.hidden_from(actor) for t in tags):
        raise DomainError("您无权设置敏感标签。", field="tags")


@transaction.atomic
def resident_set_tags(*, actor: User | None, resident: Resident, tags: Iterable[Tag]) -> dict[str, list[str]]:
    """Replace the tags the actor can see; sensitive tags hidden from the actor are left untouched."""
    require(actor, Capability.KEEP_REGISTRY)
    require_path_in_scope(actor, resident.grid.path)
    if Resident.objects.filter(pk=resident.pk, status=Resident.Status.MERGED).exists():
        raise DomainError("该记录已合并到其他居民，请修改合并后的居民。", field="tags")
    wanted = set(tags)
    _check_tags(actor, wanted)
    current = {link.tag: link for link in resident.tag_links.select_related("tag")}
    manageable = {t for t in current if not t.hidden_from(actor)}
    removed = manageable - wanted
    added = wanted - set(current)
    if not removed and not added:
        return {}
    ResidentTag.objects.filter(resident=resident, tag__in=removed).delete()
    ResidentTag.objects.bulk_create([ResidentTag(resident=resident, tag=t) for t in added])
    changes = {"tags_added": sorted(t.name for t in added), "tags_removed": sorted(t.name for t in removed)}
    _record(resident, actor=actor, kind=ResidentChange.Kind.UPDATE, changes=changes)
    audit_record(actor=actor, action=Action.UPDATE, obj=resident, changes=changes)
    _sync_visit_targets([resident.pk])
    return changes


def _visible_tags(actor: User | None, resident: Resident) -> set[Tag]:
    links = resident.tag_links.select_related("tag")
    return {link.tag for link in links if not link.tag.hidden_from(actor)}


def resident_tag_add(*, actor: User | None, resident: Resident, tag: Tag) -> dict[str, list[str]]:
    """Add one tag (key group); adding one already there changes nothing."""
    _check_tags(actor, [tag])
    return resident_set_tags(actor=actor, resident=resident, tags=_visible_tags(actor, resident) | {tag})


def resident_tag_remove(*, actor: User | None, resident: Resident, tag: Tag) -> dict[str, list[str]]:
    """Remove one tag; a sensitive tag the actor may not see is refused, not silently kept."""
    _check_tags(actor, [tag])
    return resident_set_tags(actor=actor, resident=resident, tags=_visible_tags(actor, resident) - {tag})


@transaction.atomic
def tag_create(
    *, actor: User | None, group_code: str, code: str, name: str, sensitive: bool = False, aliases: str = ""
) -> Tag:
    """A new key-group tag; administrators only (tags apply across the whole deployment)."""
    from linli.registry.models import TagGroup

    require(actor, Capability.MANAGE_AREAS)
    group = TagGroup.objects.filter(code=group_code).first()
    if group is None:
        codes = "、".join(TagGroup.objects.values_list("code", flat=True))
        raise DomainError(f"标签分组 {group_code!r} 不存在，可选：{codes}。", field="group")
    code, name = normalise.text(code).lower(), normalise.text(name)
    if not re.fullmatch(r"[a-z][a-z0-9_]{1,39}", code):
        raise DomainError("标签编码须为 2–40 位小写字母、数字或下划线，以字母开头。", field="code")
    if not name or len(name) > 40:
        raise DomainError("标签名称不能为空，且不超过 40 个字。", field="name")
    if Tag.objects.filter(code=code).exists() or Tag.objects.filter(name=name).exists():
        raise DomainError(f"标签 {name}（{code}）已存在。", field="name")
    tag = Tag.objects.create(
        group=group,
        code=code,
        name=name,
        sensitive=sensitive,
        aliases=normalise.text(aliases),
        order=group.tags.count(),
    )
    audit_record(actor=actor, action=Action.CREATE, obj=tag, changes={"name": name, "sensitive": sensitive})
    return tag


@transaction.atomic
def tag_update(
    *,
    actor: User | None,
    tag: Tag,
    name: str | None = None,
    sensitive: bool | None = None,
    aliases: str | None = None,
) -> Tag:
    require(actor, Capability.MANAGE_AREAS)
    locked = Tag.objects.select_for_update().get(pk=tag.pk)
    before = {"name": locked.name, "sensitive": locked.sensitive, "aliases": locked.aliases}
    if name is not None:
        name = normalise.text(name)
        if not name or len(name) > 40:
            raise DomainError("标签名称不能为空，且不超过 40 个字。", field="name")
        if Tag.objects.filter(name=name).exclude(pk=locked.pk).exists():
            raise DomainError(f"标签 {name} 已存在。", field="name")
        locked.name = name
    if sensitive is not None:
        locked.sensitive = sensitive
    if aliases is not None:
        locked.aliases = normalise.text(aliases)
    changes = diff(before, {"name": locked.name, "sensitive": locked.sensitive, "aliases": locked.aliases})
    if changes:
        locked.save()
        audit_record(actor=actor, action=Action.UPDATE, obj=locked, changes=changes)
    return locked


def resident_search_digits(*, actor: User, query: str) -> None:
    """Let `actor` search residents by `query` if it holds identity or phone digits: refuse an ending
    longer than the mask shows (unless the actor may reveal), or one search too many this hour; audit
    every search that runs. Anything else (a name, a place) passes untouched.

    Growing the ending one digit at a time (…7657, 2…7657, 22…7657) recovered a masked ID in 10
    searches. Refused shapes leak nothing and are not counted, so typing into the live search box
    costs only the searches that run. The count is the audit log itself, shared by every process and
    by the web and the API.
    """
    from linli.core.errors import RateLimited
    from linli.core.models import AuditEntry
    from linli.registry.selectors import digit_query

    digits = digit_query(query)
    if digits is None:
        return
    reveal = actor.can(Capability.REVEAL_PERSONAL)
    if not reveal and not digits.shows_no_more_than_the_mask():
        raise DomainError(
            "只能按身份证号或电话的后 4 位查找，或输入完整号码精确查找：您无权查看完整号码。",
            field="search",
            code="digits_refused",
        )
    limit = settings.LINLI_DIGIT_SEARCHES_PER_HOUR
    since = timezone.now() - timedelta(hours=1)
    mine = AuditEntry.objects.filter(actor=actor, at__gte=since)
    whole = digits.complete_id or digits.complete_phone
    changes = {"query": digits.masked(), "match": "ending" if reveal and not whole else digits.match}
    # Counting stops at the limit: a busy hour costs what a quiet one does. Requests of one user running
    # at the very same moment may each pass at the edge, overshooting by at most their number; locking
    # the user's row to prevent that would put one more round trip and a row lock on every search.
    if not limit or mine.filter(action=Action.SEARCH_DIGITS)[:limit].count() < limit:
        audit_record(actor=actor, action=Action.SEARCH_DIGITS, object_repr=changes["query"], changes=changes)
        return
    with transaction.atomic():
        # One alert a window, however often the refused user tries again.
        alert = not mine.filter(action=Action.SEARCH_LIMITED, changes__alerted=True).exists()
        admins = _street_admins_of(actor) if alert else []
        audit_record(
            actor=actor,
            action=Action.SEARCH_LIMITED,
            object_repr=changes["query"],
            changes={**changes, "limit": limit, "alerted": alert, "admins": [a.username for a in admins]},
        )
        if admins:
            from linli.cases.models import Notification
            from linli.cases.services import notify

            notify(
                admins,
                None,
                Notification.Kind.SECURITY,
                f"{actor.get_role_display()}{actor.display_name}一小时内按身份证号或电话查找居民超过 {limit} 次，"
                "已暂停其查找，请在审计日志中核实。",
                link=f"{reverse('core:audit')}?{urlencode({'actor': actor.username, 'action': Action.SEARCH_DIGITS})}",
            )
    raise RateLimited(f"一小时内按身份证号或电话查找已达 {limit} 次，请稍后再试。已通知街道管理员。")


def _street_admins_of(user: User) -> list[User]:
    """Street admins (and district admins above them) over any area `user` is bound to, but not `user`."""
    from linli.accounts.roles import Role
    from linli.cases.services import users_with_role_in

    found: dict[int, User] = {}
    for area in Area.objects.filter(path__in=user.scope_paths()):
        for admin in users_with_role_in(area, Role.STREET_ADMIN):
            if admin.pk != user.pk:
                found.setdefault(admin.pk, admin)
    return list(found.values())


def register_counts_recount(*, actor: User | None) -> tuple[int, int]:
    """Rebuild the dashboards' running counts of the register from the rows (when `linli check` found them
    different): (places that differed, rows kept); audited."""
    from linli.registry.counts import COUNTS

    return COUNTS.recount(actor=actor, object_type="registry.registercount", label="人口与房屋统计")
