from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
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
    House,
    Household,
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


def _duplicate_id(actor: User | None, id_number: str) -> DomainError:
    # Another resident holds this number. Say where only if the actor may see that resident.
    other = Resident.objects.filter(id_number=id_number).select_related("grid").first()
    if (
        other is not None
        and actor is not None
        and not Resident.objects.visible_to(actor).filter(pk=other.pk).exists()
    ):
        return DomainError("该身份证号已在本系统其他辖区登记，请联系街道核实。", field="id_number")
    where = f"（{other.grid.qualified_name}，{other.name}）" if other else ""
    return DomainError(f"该身份证号已登记{where}。", field="id_number")


@transaction.atomic
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
    house: House | None = None,
    household: Household | None = None,
    relation_to_head: str = "",
    notes: str = "",
    tags: Iterable[Tag] = (),
) -> Resident:
    require(actor, Capability.WRITE)
    _check_grid(actor, grid)
    _check_place(grid, house, household)
    resident = Resident(grid=grid, house=house, household=household)
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
    if Resident.objects.filter(id_number=resident.id_number).exists():
        raise _duplicate_id(actor, resident.id_number)
    refresh_search_keys(resident)
    try:
        with transaction.atomic():
            resident.save()
    except IntegrityError as exc:  # a concurrent registration of the same number
        raise _duplicate_id(actor, resident.id_number) from exc
    index_names([resident], fresh=True)
    tag_list = list(tags)
    _check_tags(actor, tag_list)
    ResidentTag.objects.bulk_create([ResidentTag(resident=resident, tag=t) for t in tag_list])
    snapshot = {k: v for k, v in _snapshot(resident).items() if v not in ("", None)}
    snapshot = {k: str(v) if isinstance(v, date) else v for k, v in snapshot.items()}
    if tag_list:
        snapshot["tags"] = sorted(t.name for t in tag_list)
    _record(resident, actor=actor, kind=ResidentChange.Kind.CREATE, changes=snapshot)
    # The audit log names the person but never carries the identity number itself.
    audit_record(actor=actor, action=Action.CREATE, obj=resident, changes={"grid": grid.path})
    return resident


@transaction.atomic
def resident_update(
    *, actor: User | None, resident: Resident, kind: str = ResidentChange.Kind.UPDATE, **fields: Any
) -> dict[str, list[Any]]:
    """Change a resident; returns {field: [old, new]} of what changed (empty: nothing did)."""
    require(actor, Capability.WRITE)
    require_path_in_scope(actor, resident.grid.path)
    unknown = set(fields) - set(EDITABLE) - set(RELATIONS)
    if unknown:
        raise DomainError(f"不能修改字段：{'、'.join(sorted(unknown))}。")
    locked = (
        Resident.objects.select_for_update(of=("self",)).select_related("grid", "house").get(pk=resident.pk)
    )
    before = _snapshot(locked)
    for field in EDITABLE:
        if field in fields:
            _apply(locked, field, fields[field])
    grid = fields.get("grid", locked.grid)
    if "grid" in fields:
        _check_grid(actor, grid)
        locked.grid = grid
    if "house" in fields:
        locked.house = fields["house"]
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
    locked.save()
    if "name" in changes or "grid" in changes:
        index_names([locked])
    _record(locked, actor=actor, kind=kind, changes=changes)
    audit_fields = {k: v for k, v in changes.items() if k not in ("id_number", "phone")}
    audit_fields |= {k: ["***", "***"] for k in changes if k in ("id_number", "phone")}
    audit_record(actor=actor, action=Action.UPDATE, obj=locked, changes=audit_fields)
    resident.refresh_from_db()
    return changes


@transaction.atomic
def resident_set_status(
    *, actor: User | None, resident: Resident, status: str, effective_date: date, note: str = ""
) -> Resident:
    """Moved out, deceased, or back in the register, as of a date; kept in the dated history."""
    require(actor, Capability.WRITE)
    require_path_in_scope(actor, resident.grid.path)
    if status not in Resident.Status.values:
        raise DomainError("状态应为在册、迁出或死亡。", field="status")
    if effective_date > timezone.localdate():
        raise DomainError("变更日期不能晚于今天。", field="effective_date")
    locked = Resident.objects.select_for_update().get(pk=resident.pk)
    if locked.status == Resident.Status.DECEASED and status != Resident.Status.DECEASED:
        raise DomainError("已登记死亡的居民不能恢复状态；如属误录，请联系街道管理员更正。", field="status")
    if locked.status == status:
        raise DomainError(f"该居民已是“{Resident.Status(status).label}”状态。", field="status")
    changes = {"status": [locked.status, status]} | ({"note": note.strip()} if note.strip() else {})
    locked.status, locked.status_since, locked.updated_at = status, effective_date, timezone.now()
    locked.save(update_fields=["status", "status_since", "updated_at"])
    _record(locked, actor=actor, kind=ResidentChange.Kind.STATUS, changes=changes, effective=effective_date)
    audit_record(actor=actor, action=Action.UPDATE, obj=locked, changes={"status": changes["status"]})
    resident.refresh_from_db()
    return resident


def _check_tags(actor: User | None, tags: Iterable[Tag]) -> None:
    if actor is not None and not actor.can(Capability.VIEW_SENSITIVE) and any(t.sensitive for t in tags):
        raise DomainError("您无权设置敏感标签。", field="tags")


@transaction.atomic
def resident_set_tags(*, actor: User | None, resident: Resident, tags: Iterable[Tag]) -> dict[str, list[str]]:
    """Replace the tags the actor can see; sensitive tags hidden from the actor are left untouched."""
    require(actor, Capability.WRITE)
    require_path_in_scope(actor, resident.grid.path)
    wanted = set(tags)
    _check_tags(actor, wanted)
    sees_sensitive = actor is None or actor.can(Capability.VIEW_SENSITIVE)
    current = {link.tag: link for link in resident.tag_links.select_related("tag")}
    manageable = {t for t in current if sees_sensitive or not t.sensitive}
    removed = manageable - wanted
    added = wanted - set(current)
    if not removed and not added:
        return {}
    ResidentTag.objects.filter(resident=resident, tag__in=removed).delete()
    ResidentTag.objects.bulk_create([ResidentTag(resident=resident, tag=t) for t in added])
    changes = {"tags_added": sorted(t.name for t in added), "tags_removed": sorted(t.name for t in removed)}
    _record(resident, actor=actor, kind=ResidentChange.Kind.UPDATE, changes=changes)
    audit_record(actor=actor, action=Action.UPDATE, obj=resident, changes=changes)
    return changes


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
