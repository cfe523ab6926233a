"""Every write to partner units: the registry, agreements and their commitments, resources, needs, joint
activities, members reporting, and the bulk load from Excel. Checked, atomic and audited like the rest."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from linli.accounts.roles import Capability
from linli.areas.models import Area
from linli.core.audit import Action, audit_record, diff
from linli.core.errors import DomainError
from linli.core.permissions import require, require_path_in_scope
from linli.core.scoping import path_in_scope
from linli.core.validation import clean_text
from linli.partners.models import (
    Agreement,
    Commitment,
    JointActivity,
    MemberCheckIn,
    Need,
    PartnerUnit,
    Resource,
    ResourceKind,
    UnitKind,
)

if TYPE_CHECKING:
    from linli.accounts.models import User
    from linli.volunteers.models import Activity as VolunteerActivity

PHONE = re.compile(r"^[0-9+\-() ]{5,20}$")
MAX_STAFF = 1_000_000
UNIT_FIELDS = (
    "name",
    "kind",
    "contact_name",
    "contact_phone",
    "address",
    "party_organisation",
    "party_members",
    "staff_count",
    "notes",
)


def _keep(actor: User | None, area: Area) -> None:
    require(actor, Capability.KEEP_PARTNERS)
    require_path_in_scope(actor, area.path)


def _locked(unit: PartnerUnit) -> PartnerUnit:
    """The unit as stored now (a caller's copy may predate its departure), locked for this transaction."""
    return PartnerUnit.objects.select_for_update().select_related("area").get(pk=unit.pk)


def _count(value: Any, *, field: str, label: str) -> int:
    if value in (None, ""):
        return 0
    try:
        real = float(str(value).strip())  # Excel stores every number as a float: "800.0"
    except ValueError:
        raise DomainError(f"{label}应为整数。", field=field) from None
    if not math.isfinite(real) or real != int(real):  # NaN, infinity or a fraction
        raise DomainError(f"{label}应为整数。", field=field)
    number = int(real)
    if not 0 <= number <= MAX_STAFF:
        raise DomainError(f"{label}应在 0 至 {MAX_STAFF} 之间。", field=field)
    return number


def check_unit(data: dict[str, Any]) -> dict[str, Any]:
    """A unit's fields, cleaned; the first problem raises (with the field it concerns)."""
    out: dict[str, Any] = {
        "name": clean_text(data.get("name"), field="name", label="单位名称", required=True, limit=100),
        "kind": str(data.get("kind") or "").strip(),
        "contact_name": clean_text(data.get("contact_name"), field="contact_name", label="联系人", limit=50),
        "contact_phone": re.sub(r"\s", "", str(data.get("contact_phone") or "")),
        "address": clean_text(data.get("address"), field="address", label="地址", limit=200),
        "party_organisation": clean_text(
            data.get("party_organisation"), field="party_organisation", label="党组织", limit=100
        ),
        "party_members": _count(data.get("party_members"), field="party_members", label="党员人数"),
        "staff_count": _count(data.get("staff_count"), field="staff_count", label="职工人数"),
        "notes": clean_text(data.get("notes"), field="notes", label="备注", limit=2000),
    }
    labels = {label: value for value, label in UnitKind.choices}
    if out["kind"] in labels:
        out["kind"] = labels[out["kind"]]
    if out["kind"] not in UnitKind.values:
        raise DomainError(f"单位类型应为：{'、'.join(UnitKind.labels)}。", field="kind")
    if out["contact_phone"] and not PHONE.match(out["contact_phone"]):
        raise DomainError("联系电话格式不对。", field="contact_phone")
    if out["party_members"] > out["staff_count"] and out["staff_count"]:
        raise DomainError("党员人数不能多于职工人数。", field="party_members")
    return out


@transaction.atomic
def unit_create(*, actor: User | None, area: Area, data: dict[str, Any]) -> PartnerUnit:
    _keep(actor, area)
    if area.kind not in (Area.Kind.COMMUNITY, Area.Kind.STREET):
        raise DomainError("驻区单位应登记在社区（或街道）下。", field="area")
    values = check_unit(data)
    if PartnerUnit.objects.filter(area=area, name=values["name"]).exists():
        raise DomainError(f"本辖区已登记“{values['name']}”。", field="name")
    unit = PartnerUnit.objects.create(area=area, **values)
    audit_record(actor=actor, action=Action.CREATE, obj=unit, changes={"name": [None, unit.name]})
    return unit


@transaction.atomic
def unit_update(*, actor: User | None, unit: PartnerUnit, data: dict[str, Any]) -> PartnerUnit:
    _keep(actor, unit.area)
    unit = PartnerUnit.objects.select_for_update().select_related("area").get(pk=unit.pk)
    values = check_unit(data)
    if PartnerUnit.objects.filter(area=unit.area, name=values["name"]).exclude(pk=unit.pk).exists():
        raise DomainError(f"本辖区已登记“{values['name']}”。", field="name")
    before = {k: getattr(unit, k) for k in UNIT_FIELDS}
    for key, value in values.items():
        setattr(unit, key, value)
    unit.save()
    changes = diff(before, values)
    if "contact_phone" in changes:
        changes["contact_phone"] = ["***", "***"]  # the log shows that it changed, not the number
    audit_record(actor=actor, action=Action.UPDATE, obj=unit, changes=changes)
    return unit


@transaction.atomic
def unit_end(*, actor: User | None, unit: PartnerUnit, left_on: date, reason: str) -> PartnerUnit:
    """The unit moved away or closed: it stays on record (with its history), marked as left; its running
    agreements end the same day."""
    _keep(actor, unit.area)
    reason = clean_text(reason, field="reason", label="原因", required=True, limit=200)
    unit = PartnerUnit.objects.select_for_update().select_related("area").get(pk=unit.pk)
    if not unit.active:
        raise DomainError("该单位已撤离。")
    if left_on > timezone.localdate():
        raise DomainError("撤离日期不能晚于今天。", field="left_on")
    unit.active, unit.left_on, unit.left_reason = False, left_on, reason
    unit.save(update_fields=["active", "left_on", "left_reason"])
    for agreement in unit.agreements.filter(status=Agreement.Status.ACTIVE):
        agreement.status, agreement.ended_on, agreement.end_reason = (
            Agreement.Status.ENDED,
            left_on,
            "单位撤离",
        )
        agreement.save(update_fields=["status", "ended_on", "end_reason"])
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        obj=unit,
        changes={"active": [True, False], "reason": [None, reason]},
    )
    return unit


@transaction.atomic
def unit_restore(*, actor: User | None, unit: PartnerUnit) -> PartnerUnit:
    """Undo a departure entered by mistake."""
    _keep(actor, unit.area)
    unit = PartnerUnit.objects.select_for_update().select_related("area").get(pk=unit.pk)
    if unit.active:
        raise DomainError("该单位仍在册。")
    unit.active, unit.left_on, unit.left_reason = True, None, ""
    unit.save(update_fields=["active", "left_on", "left_reason"])
    audit_record(actor=actor, action=Action.UPDATE, obj=unit, changes={"active": [False, True]})
    return unit


# --- agreements and commitments -------------------------------------------------------------


@transaction.atomic
def agreement_create(
    *,
    actor: User | None,
    unit: PartnerUnit,
    title: str,
    signed_on: date,
    starts_on: date,
    ends_on: date,
    content: str = "",
    commitments: Sequence[tuple[str, date]] = (),
) -> Agreement:
    _keep(actor, unit.area)
    unit = _locked(unit)
    if not unit.active:
        raise DomainError("已撤离的单位不能签订新协议。")
    title = clean_text(title, field="title", label="协议名称", required=True, limit=100)
    content = clean_text(content, field="content", label="主要内容", limit=4000)
    if ends_on < starts_on:
        raise DomainError("结束日期不能早于开始日期。", field="ends_on")
    if signed_on > starts_on:
        raise DomainError("签订日期不能晚于开始日期。", field="signed_on")
    agreement = Agreement.objects.create(
        unit=unit, title=title, signed_on=signed_on, starts_on=starts_on, ends_on=ends_on, content=content
    )
    for text, due in commitments:
        _commitment(agreement, text, due)
    audit_record(actor=actor, action=Action.CREATE, obj=agreement, changes={"title": [None, title]})
    return agreement


def _commitment(agreement: Agreement, text: str, due: date) -> Commitment:
    text = clean_text(text, field="text", label="承诺事项", required=True, limit=200)
    if not agreement.starts_on <= due <= agreement.ends_on:
        raise DomainError(
            f"承诺“{text[:20]}”的时限应在协议期内（{agreement.starts_on} 至 {agreement.ends_on}）。",
            field="due_on",
        )
    return Commitment.objects.create(agreement=agreement, text=text, due_on=due)


@transaction.atomic
def commitment_add(*, actor: User | None, agreement: Agreement, text: str, due_on: date) -> Commitment:
    _keep(actor, agreement.unit.area)
    agreement = Agreement.objects.select_for_update().get(pk=agreement.pk)
    if agreement.status != Agreement.Status.ACTIVE:
        raise DomainError("协议已终止，不能再添加承诺。")
    commitment = _commitment(agreement, text, due_on)
    audit_record(actor=actor, action=Action.CREATE, obj=commitment, changes={"text": [None, commitment.text]})
    return commitment


@transaction.atomic
def commitment_record(
    *, actor: User | None, commitment: Commitment, status: str, outcome: str, done_on: date | None = None
) -> Commitment:
    """How a commitment went: fulfilled (when), missed, or cancelled by both sides. A wrong entry is
    corrected by recording again; back to pending is allowed too."""
    _keep(actor, commitment.agreement.unit.area)
    commitment = (
        Commitment.objects.select_for_update().select_related("agreement__unit__area").get(pk=commitment.pk)
    )
    if status not in Commitment.Status.values:
        raise DomainError("请选择履行情况。", field="status")
    outcome = clean_text(outcome, field="outcome", label="履行情况", limit=300)
    if status in (Commitment.Status.MISSED, Commitment.Status.CANCELLED) and not outcome:
        raise DomainError("未履行或取消时，请说明原因。", field="outcome")
    if status == Commitment.Status.FULFILLED:
        done_on = done_on or timezone.localdate()
        if done_on > timezone.localdate():
            raise DomainError("完成日期不能晚于今天。", field="done_on")
    else:
        done_on = None
    before = commitment.status
    commitment.status, commitment.outcome, commitment.done_on = status, outcome, done_on
    commitment.save(update_fields=["status", "outcome", "done_on"])
    audit_record(actor=actor, action=Action.UPDATE, obj=commitment, changes={"status": [before, status]})
    return commitment


@transaction.atomic
def agreement_end(*, actor: User | None, agreement: Agreement, ended_on: date, reason: str) -> Agreement:
    _keep(actor, agreement.unit.area)
    reason = clean_text(reason, field="reason", label="终止原因", required=True, limit=200)
    agreement = Agreement.objects.select_for_update().select_related("unit__area").get(pk=agreement.pk)
    if agreement.status != Agreement.Status.ACTIVE:
        raise DomainError("协议已终止。")
    if ended_on < agreement.starts_on:
        raise DomainError("终止日期不能早于协议开始日期。", field="ended_on")
    agreement.status, agreement.ended_on, agreement.end_reason = Agreement.Status.ENDED, ended_on, reason
    agreement.save(update_fields=["status", "ended_on", "end_reason"])
    agreement.commitments.filter(status=Commitment.Status.PENDING, due_on__gt=ended_on).update(
        status=Commitment.Status.CANCELLED, outcome="协议终止"
    )
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        obj=agreement,
        changes={"status": ["active", "ended"], "reason": [None, reason]},
    )
    return agreement


# --- resources, needs, activities, member reports --------------------------------------------


def _kind(kind: str) -> str:
    if kind not in ResourceKind.values:
        raise DomainError("请选择类别（场地、设备、技能服务、资金、其他）。", field="kind")
    return kind


def _amount(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise DomainError("金额应为数字。", field="amount") from None
    if not amount.is_finite() or amount < 0 or amount >= Decimal("1e10"):
        raise DomainError("金额应为 0 至 9,999,999,999.99 元之间的数。", field="amount")
    return amount.quantize(Decimal("0.01"))


@transaction.atomic
def resource_add(
    *, actor: User | None, unit: PartnerUnit, kind: str, description: str, amount: Any = None
) -> Resource:
    _keep(actor, unit.area)
    unit = _locked(unit)
    if not unit.active:
        raise DomainError("已撤离的单位不能再登记资源。")
    resource = Resource.objects.create(
        unit=unit,
        kind=_kind(kind),
        description=clean_text(description, field="description", label="内容", required=True, limit=200),
        amount=_amount(amount),
    )
    audit_record(
        actor=actor, action=Action.CREATE, obj=resource, changes={"description": [None, resource.description]}
    )
    return resource


@transaction.atomic
def resource_set_available(*, actor: User | None, resource: Resource, available: bool) -> Resource:
    _keep(actor, resource.unit.area)
    before = resource.available
    resource.available = available
    resource.save(update_fields=["available"])
    audit_record(actor=actor, action=Action.UPDATE, obj=resource, changes={"available": [before, available]})
    return resource


@transaction.atomic
def need_create(*, actor: User | None, area: Area, kind: str, title: str, description: str = "") -> Need:
    _keep(actor, area)
    need = Need.objects.create(
        area=area,
        kind=_kind(kind),
        title=clean_text(title, field="title", label="需求", required=True, limit=100),
        description=clean_text(description, field="description", label="说明", limit=2000),
    )
    audit_record(actor=actor, action=Action.CREATE, obj=need, changes={"title": [None, need.title]})
    return need


@transaction.atomic
def need_meet(
    *, actor: User | None, need: Need, unit: PartnerUnit, resource: Resource | None = None, note: str = ""
) -> Need:
    _keep(actor, need.area)
    need = Need.objects.select_for_update().select_related("area").get(pk=need.pk)
    if need.status != Need.Status.OPEN:
        raise DomainError("该需求已对接或已关闭。")
    require_path_in_scope(actor, unit.area.path)
    unit = _locked(unit)
    if not unit.active:
        raise DomainError("已撤离的单位不能认领需求。", field="unit")
    if resource is not None and resource.unit_id != unit.pk:
        raise DomainError("所选资源不属于该单位。", field="resource")
    need.status, need.unit, need.resource = Need.Status.MET, unit, resource
    need.closed_on = timezone.localdate()
    need.note = clean_text(note, field="note", label="备注", limit=200)
    need.save()
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        obj=need,
        changes={"status": ["open", "met"], "unit": [None, unit.name]},
    )
    return need


@transaction.atomic
def need_close(*, actor: User | None, need: Need, note: str) -> Need:
    _keep(actor, need.area)
    need = Need.objects.select_for_update().select_related("area").get(pk=need.pk)
    note = clean_text(note, field="note", label="关闭原因", required=True, limit=200)
    if need.status == Need.Status.CLOSED:
        raise DomainError("该需求已关闭。")
    before = need.status
    need.status, need.note, need.closed_on = Need.Status.CLOSED, note, timezone.localdate()
    need.save(update_fields=["status", "note", "closed_on"])
    audit_record(actor=actor, action=Action.UPDATE, obj=need, changes={"status": [before, "closed"]})
    return need


@transaction.atomic
def activity_create(
    *,
    actor: User | None,
    area: Area,
    title: str,
    held_on: date,
    units: Sequence[PartnerUnit],
    participants: int = 0,
    place: str = "",
    description: str = "",
    volunteer_activity: VolunteerActivity | None = None,
) -> JointActivity:
    _keep(actor, area)
    if not units:
        raise DomainError("请至少选择一个共建单位。", field="units")
    for unit in units:
        require_path_in_scope(actor, unit.area.path)
    if volunteer_activity is not None:
        require_path_in_scope(actor, volunteer_activity.community.path)
        if not path_in_scope(volunteer_activity.community.path, [area.path]):
            raise DomainError("关联的志愿活动不在这个社区。", field="volunteer_activity")
    activity = JointActivity.objects.create(
        area=area,
        title=clean_text(title, field="title", label="活动名称", required=True, limit=100),
        held_on=held_on,
        place=clean_text(place, field="place", label="地点", limit=100),
        participants=_count(participants, field="participants", label="参与人数"),
        description=clean_text(description, field="description", label="内容", limit=4000),
        volunteer_activity=volunteer_activity,
        created_by=actor if actor is not None and actor.pk else None,
    )
    activity.units.set(units)
    audit_record(actor=actor, action=Action.CREATE, obj=activity, changes={"title": [None, activity.title]})
    return activity


@transaction.atomic
def activity_delete(*, actor: User | None, activity: JointActivity) -> None:
    _keep(actor, activity.area)
    audit_record(actor=actor, action=Action.DELETE, obj=activity, changes={"title": [activity.title, None]})
    activity.delete()


@transaction.atomic
def member_checkin_add(
    *, actor: User | None, unit: PartnerUnit, reported_on: date, count: int, names: str = "", note: str = ""
) -> MemberCheckIn:
    _keep(actor, unit.area)
    names = clean_text(names, field="names", label="名单", limit=4000)
    listed = [n for n in names.splitlines() if n.strip()]
    count = _count(count, field="count", label="人数")
    if listed and len(listed) != count:
        raise DomainError(f"名单有 {len(listed)} 人，与报到人数 {count} 不符。", field="count")
    if count == 0:
        raise DomainError("报到人数应大于 0。", field="count")
    if reported_on > timezone.localdate():
        raise DomainError("报到日期不能晚于今天。", field="reported_on")
    report = MemberCheckIn.objects.create(
        unit=unit,
        reported_on=reported_on,
        count=count,
        names="\n".join(listed),
        note=clean_text(note, field="note", label="备注", limit=200),
    )
    audit_record(actor=actor, action=Action.CREATE, obj=report, changes={"count": [None, count]})
    return report
