"""Every write to party work goes through here. Each function checks `party_manage` (or, for a member's
own QR sign-in, that the actor is that member), the area scope, validates, locks what it changes and
writes the audit entry in the same transaction, so a refusal leaves nothing behind."""

from __future__ import annotations

import re
import secrets
from calendar import monthrange
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

from linli.areas.models import Area
from linli.core.audit import Action, audit_record
from linli.core.errors import DomainError, Forbidden, NotFound
from linli.core.permissions import Capability, require, require_path_in_scope
from linli.core.scoping import path_in_scope
from linli.core.validation import check_photo, clean_text
from linli.party import access, rules
from linli.party.models import (
    ACTIVE_STATUSES,
    CHILD_KINDS,
    STAGE_ORDER,
    Applicant,
    Attendance,
    CardKind,
    CardStatus,
    ComplianceNotice,
    ContactWay,
    EntryStatus,
    Meeting,
    MeetingAttendance,
    MeetingKind,
    MeetingPhoto,
    MeetingRule,
    MemberCard,
    MemberKind,
    MemberStatus,
    MemberTransfer,
    MinutesStatus,
    MinutesVersion,
    OrgKind,
    OrgPosition,
    PartyMember,
    PartyOrganisation,
    PipelineStep,
    PointEntry,
    PointPeriod,
    PointRule,
    PositionRole,
    ProbationExtension,
    ResponsibilityArea,
    Stage,
    TransferDirection,
)
from linli.party.rules import add_months
from linli.registry.models import Building, Resident, ResidentStatus

if TYPE_CHECKING:
    from linli.accounts.models import User
    from linli.visits.models import CarePlan

MEMBER_ORG_KINDS = (OrgKind.BRANCH, OrgKind.GENERAL_BRANCH, OrgKind.COMMITTEE)


def _today() -> date:
    return timezone.localdate()


def _label(actor: User | None) -> str:
    if actor is None:
        return "控制台"
    return actor.display_name


def _manage(actor: User | None, path: str) -> None:
    require(actor, Capability.PARTY_MANAGE)
    require_path_in_scope(actor, path)


def _branch_manage(actor: User | None, organisation: PartyOrganisation) -> None:
    """Meetings, attendance, minutes, cards, points and pipeline steps: a party manager by role in scope,
    or a sitting officer of the organisation (or one above it), see party.access."""
    if actor is None or access.manages(actor, organisation):
        return
    if actor.can(Capability.PARTY_MANAGE) or access.officer_terms(actor):
        if actor.can(Capability.PARTY_MANAGE) and not path_in_scope(
            organisation.area.path, actor.scope_paths()
        ):
            raise NotFound()
        raise Forbidden(f"您不是{organisation.name}的书记或委员，不能办理。")
    raise Forbidden()


def _day(value: Any, *, field: str, label: str, future: bool = False) -> date:
    if not isinstance(value, date):
        raise DomainError(f"请填写{label}。", field=field)
    if isinstance(value, datetime):
        value = value.date()
    if not future and value > _today():
        raise DomainError(f"{label}不能晚于今天。", field=field)
    if value.year < 1900:
        raise DomainError(f"{label}不合理。", field=field)
    return value


def _choice(value: Any, choices: Any, *, field: str, label: str) -> str:
    if value not in choices.values:
        raise DomainError(f"{label}无效，应为：{'、'.join(str(c) for c in choices.labels)}。", field=field)
    return str(value)


# --- organisations ---------------------------------------------------------------------------


def organisation_create(
    *,
    actor: User | None,
    name: str,
    kind: str,
    area: Area,
    parent: PartyOrganisation | None = None,
    joint: bool = False,
    joint_areas: list[Area] | None = None,
    partner_units: str = "",
    founded_on: date | None = None,
) -> PartyOrganisation:
    _manage(actor, area.path)
    kind = _choice(kind, OrgKind, field="kind", label="组织类别")
    name = clean_text(name, field="name", label="名称", required=True, limit=80)
    if parent is not None:
        require_path_in_scope(actor, parent.area.path)
        if not parent.active:
            raise DomainError(f"{parent.name}已撤销，不能在其下设立组织。", field="parent")
        if kind not in CHILD_KINDS[parent.kind]:
            raise DomainError(f"{parent.get_kind_display()}下不能设立{OrgKind(kind).label}。", field="kind")
        if not path_in_scope(area.path, [parent.area.path]):
            raise DomainError(f"{area.name}不在{parent.name}的范围内。", field="area")
    elif kind == OrgKind.GROUP:
        raise DomainError("党小组须设在党支部之下。", field="parent")
    joint_areas = list(joint_areas or [])
    for other in joint_areas:
        require_path_in_scope(actor, other.path)
    if (joint_areas or partner_units.strip()) and not joint:
        joint = True
    if founded_on is not None:
        founded_on = _day(founded_on, field="founded_on", label="成立日期")
    if PartyOrganisation.objects.filter(area=area, name=name).exists():
        raise DomainError(f"{area.name}已有名为“{name}”的党组织。", field="name")
    with transaction.atomic():
        org = PartyOrganisation.objects.create(
            name=name,
            kind=kind,
            area=area,
            parent=parent,
            joint=joint,
            partner_units=clean_text(partner_units, field="partner_units", label="共建单位", limit=300),
            founded_on=founded_on,
        )
        if joint_areas:
            org.joint_areas.set(joint_areas)
        audit_record(
            actor=actor,
            action=Action.CREATE,
            obj=org,
            changes={"kind": kind, "parent": parent.name if parent else "", "joint": joint},
        )
    return org


def organisation_update(
    *,
    actor: User | None,
    organisation: PartyOrganisation,
    name: str | None = None,
    partner_units: str | None = None,
    joint_areas: list[Area] | None = None,
) -> PartyOrganisation:
    _manage(actor, organisation.area.path)
    with transaction.atomic():
        org = PartyOrganisation.objects.select_for_update().get(pk=organisation.pk)
        before = {"name": org.name, "partner_units": org.partner_units}
        if name is not None:
            org.name = clean_text(name, field="name", label="名称", required=True, limit=80)
            if PartyOrganisation.objects.filter(area=org.area, name=org.name).exclude(pk=org.pk).exists():
                raise DomainError(f"已有名为“{org.name}”的党组织。", field="name")
        if partner_units is not None:
            org.partner_units = clean_text(partner_units, field="partner_units", label="共建单位", limit=300)
        if joint_areas is not None:
            for other in joint_areas:
                require_path_in_scope(actor, other.path)
            org.joint_areas.set(joint_areas)
        org.joint = bool(org.partner_units or (joint_areas if joint_areas is not None else org.joint))
        org.save()
        after = {"name": org.name, "partner_units": org.partner_units}
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            obj=org,
            changes={k: [before[k], after[k]] for k in after if before[k] != after[k]},
        )
    return org


def organisation_dissolve(
    *, actor: User | None, organisation: PartyOrganisation, on: date
) -> PartyOrganisation:
    _manage(actor, organisation.area.path)
    on = _day(on, field="dissolved_on", label="撤销日期")
    with transaction.atomic():
        org = PartyOrganisation.objects.select_for_update().get(pk=organisation.pk)
        if org.dissolved_on is not None:
            raise DomainError(f"{org.name}已撤销。")
        if org.members.filter(status__in=ACTIVE_STATUSES).exists():
            raise DomainError(f"{org.name}仍有党员，请先办理组织关系转接。")
        if org.children.filter(dissolved_on__isnull=True).exists():
            raise DomainError(f"{org.name}下仍有未撤销的组织。")
        org.dissolved_on = on
        org.save(update_fields=["dissolved_on"])
        org.positions.filter(end_date__isnull=True).update(end_date=on)
        audit_record(actor=actor, action=Action.UPDATE, obj=org, changes={"dissolved_on": str(on)})
    return org


def position_assign(
    *,
    actor: User | None,
    organisation: PartyOrganisation,
    member: PartyMember,
    role: str,
    start_date: date,
) -> OrgPosition:
    """A term of office from `start_date`; a sitting secretary's term ends the day before."""
    _manage(actor, organisation.area.path)
    role = _choice(role, PositionRole, field="role", label="职务")
    start = _day(start_date, field="start_date", label="任职日期")
    if not member.active:
        raise DomainError(f"{member.name}不是在册党员。", field="member")
    if not _within(member.organisation, organisation):
        raise DomainError(f"{member.name}不属于{organisation.name}。", field="member")
    with transaction.atomic():
        if role == PositionRole.SECRETARY:
            for sitting in OrgPosition.objects.select_for_update().filter(
                organisation=organisation, role=role, end_date__isnull=True
            ):
                if sitting.start_date >= start:
                    raise DomainError(
                        f"现任书记自 {sitting.start_date} 起任职，新任期应晚于该日。", field="start_date"
                    )
                sitting.end_date = start - timedelta(days=1)
                sitting.save(update_fields=["end_date"])
        if OrgPosition.objects.filter(
            organisation=organisation, member=member, role=role, end_date__isnull=True
        ).exists():
            raise DomainError(f"{member.name}已任该职务。", field="member")
        position = OrgPosition.objects.create(
            organisation=organisation, member=member, role=role, start_date=start
        )
        audit_record(
            actor=actor,
            action=Action.CREATE,
            obj=position,
            object_repr=f"{organisation.name} {position.get_role_display()} {member.name}",
            changes={"start_date": str(start)},
        )
    return position


def position_end(*, actor: User | None, position: OrgPosition, end_date: date) -> OrgPosition:
    _manage(actor, position.organisation.area.path)
    end = _day(end_date, field="end_date", label="离任日期")
    with transaction.atomic():
        locked = OrgPosition.objects.select_for_update().get(pk=position.pk)
        if locked.end_date is not None:
            raise DomainError("该任期已结束。")
        if end < locked.start_date:
            raise DomainError("离任日期不能早于任职日期。", field="end_date")
        locked.end_date = end
        locked.save(update_fields=["end_date"])
        audit_record(actor=actor, action=Action.UPDATE, obj=locked, changes={"end_date": str(end)})
    return locked


def _within(inner: PartyOrganisation, outer: PartyOrganisation) -> bool:
    """`inner` is `outer` or sits somewhere below it."""
    node: PartyOrganisation | None = inner
    for _ in range(8):
        if node is None:
            return False
        if node.pk == outer.pk:
            return True
        node = node.parent
    return False


# --- members ---------------------------------------------------------------------------------


def _member_org(actor: User | None, organisation: PartyOrganisation) -> None:
    _manage(actor, organisation.area.path)
    if organisation.kind not in MEMBER_ORG_KINDS:
        raise DomainError("党员的组织关系应在党支部（或党总支、党委），不在党小组。", field="organisation")
    if not organisation.active:
        raise DomainError(f"{organisation.name}已撤销。", field="organisation")


def _check_one_branch(resident: Resident | None, *, exclude: int | None = None) -> None:
    if resident is None:
        return
    current = PartyMember.objects.filter(resident=resident, status__in=ACTIVE_STATUSES).exclude(
        pk=exclude or 0
    )
    other = current.select_related("organisation").first()
    if other is not None:
        raise DomainError(
            f"{resident.name}已是{other.organisation.name}的党员；一名党员同一时间只能在一个支部，"
            "请办理组织关系转接。",
            field="resident",
        )


def _reporting(kind: str, work_unit: str, reported_on: Any) -> tuple[str, date | None]:
    work_unit = clean_text(work_unit, field="work_unit", label="工作单位", limit=100)
    if kind != MemberKind.REPORTING:
        return work_unit, None
    if not work_unit:
        raise DomainError("在职党员报到须填写工作单位。", field="work_unit")
    return work_unit, _day(reported_on, field="reported_on", label="报到日期")


def member_create(
    *,
    actor: User | None,
    organisation: PartyOrganisation,
    name: str = "",
    joined_on: date,
    kind: str = MemberKind.RESIDENT,
    status: str = MemberStatus.FULL,
    resident: Resident | None = None,
    user: User | None = None,
    work_unit: str = "",
    reported_on: date | None = None,
    hardship: bool = False,
    hardship_note: str = "",
    note: str = "",
    transferred_in_on: date | None = None,
    transferred_from: str = "",
    admission: bool = False,
) -> PartyMember:
    """Enter a member on a branch's roll; with `transferred_in_on`, as a relationship transferred in.
    `admission`: called by the pipeline's admission step, which has checked that the actor manages the
    branch (a sitting secretary may admit, but not otherwise keep the roll)."""
    if admission:
        _branch_manage(actor, organisation)
        actor_for_scope = None
    else:
        _member_org(actor, organisation)
        actor_for_scope = actor
    if organisation.kind not in MEMBER_ORG_KINDS or not organisation.active:
        raise DomainError(f"{organisation.name}不能登记党员。", field="organisation")
    kind = _choice(kind, MemberKind, field="kind", label="党员类别")
    if status not in ACTIVE_STATUSES:
        raise DomainError("新登记的党员应为预备党员或正式党员。", field="status")
    joined = _day(joined_on, field="joined_on", label="入党日期")
    if resident is not None:
        require_path_in_scope(actor_for_scope, resident.grid.path)
        if resident.status != ResidentStatus.ACTIVE:
            raise DomainError(f"{resident.name}已{resident.get_status_display()}。", field="resident")
        name = resident.name
        if joined < add_months(resident.birth_date, 12 * rules.MIN_AGE):
            raise DomainError("入党日期早于年满十八周岁之日。", field="joined_on")
    name = clean_text(name, field="name", label="姓名", required=True, limit=50)
    work_unit, reported = _reporting(kind, work_unit, reported_on)
    probation_end = add_months(joined, 12) if status == MemberStatus.PROBATIONARY else None
    if transferred_in_on is not None:
        transferred_in_on = _day(transferred_in_on, field="transferred_in_on", label="转入日期")
    with transaction.atomic():
        if resident is not None:
            # Lock the person so two secretaries cannot enter them in two branches at once.
            Resident.objects.select_for_update().get(pk=resident.pk)
        _check_one_branch(resident)
        try:
            with transaction.atomic():
                member = PartyMember.objects.create(
                    organisation=organisation,
                    resident=resident,
                    user=user,
                    name=name,
                    kind=kind,
                    status=status,
                    joined_on=joined,
                    probation_end=probation_end,
                    work_unit=work_unit,
                    reported_on=reported,
                    hardship=bool(hardship),
                    hardship_note=clean_text(
                        hardship_note, field="hardship_note", label="困难情况", limit=200
                    ),
                    note=clean_text(note, field="note", label="备注", limit=200),
                )
        except IntegrityError as exc:
            raise DomainError(f"{name}已在另一个支部登记。", field="resident") from exc
        if transferred_in_on is not None:
            MemberTransfer.objects.create(
                member=member,
                direction=TransferDirection.IN,
                date=transferred_in_on,
                to_organisation=organisation,
                outside_unit=clean_text(
                    transferred_from, field="transferred_from", label="转出单位", limit=100
                ),
                recorded_by=_label(actor),
            )
        audit_record(
            actor=actor,
            action=Action.CREATE,
            obj=member,
            changes={"organisation": organisation.name, "kind": kind, "status": status},
        )
    return member


def member_update(
    *,
    actor: User | None,
    member: PartyMember,
    kind: str | None = None,
    work_unit: str | None = None,
    reported_on: date | None = None,
    hardship: bool | None = None,
    hardship_note: str | None = None,
    note: str | None = None,
    user: User | None = None,
    joined_on: date | None = None,
) -> PartyMember:
    _manage(actor, member.organisation.area.path)
    with transaction.atomic():
        m = PartyMember.objects.select_for_update().get(pk=member.pk)
        fields = ["kind", "work_unit", "reported_on", "hardship", "hardship_note", "note", "joined_on"]
        before = {f: getattr(m, f) for f in fields}
        if kind is not None:
            m.kind = _choice(kind, MemberKind, field="kind", label="党员类别")
        unit = m.work_unit if work_unit is None else work_unit
        m.work_unit, m.reported_on = _reporting(m.kind, unit, reported_on or m.reported_on)
        if hardship is not None:
            m.hardship = bool(hardship)
        if hardship_note is not None:
            m.hardship_note = clean_text(hardship_note, field="hardship_note", label="困难情况", limit=200)
        if note is not None:
            m.note = clean_text(note, field="note", label="备注", limit=200)
        if joined_on is not None:
            m.joined_on = _day(joined_on, field="joined_on", label="入党日期")
            if m.status == MemberStatus.PROBATIONARY:
                m.probation_end = add_months(m.joined_on, 12)
        if user is not None:
            m.user = user
        m.save()
        after = {f: getattr(m, f) for f in fields}
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            obj=m,
            changes={k: [str(before[k]), str(after[k])] for k in fields if before[k] != after[k]},
        )
    return m


def member_transfer(
    *,
    actor: User | None,
    member: PartyMember,
    direction: str,
    date: date,
    to_organisation: PartyOrganisation | None = None,
    outside_unit: str = "",
    note: str = "",
) -> MemberTransfer:
    """组织关系转接: out of the community (the member leaves the roll) or to another branch within it."""
    _manage(actor, member.organisation.area.path)
    direction = _choice(direction, TransferDirection, field="direction", label="转接方向")
    day = _day(date, field="date", label="转接日期")
    outside_unit = clean_text(outside_unit, field="outside_unit", label="转往单位", limit=100)
    with transaction.atomic():
        m = (
            PartyMember.objects.select_for_update(of=("self",))
            .select_related("organisation")
            .get(pk=member.pk)
        )
        if not m.active:
            raise DomainError(f"{m.name}已不在册（{m.get_status_display()}），不能转接。")
        if day < m.joined_on:
            raise DomainError("转接日期不能早于入党日期。", field="date")
        last = m.transfers.order_by("-date").first()
        if last is not None and day < last.date:
            raise DomainError(f"转接日期不能早于上次转接（{last.date}）。", field="date")
        source = m.organisation
        if direction == TransferDirection.WITHIN:
            if to_organisation is None:
                raise DomainError("请选择转入的支部。", field="to_organisation")
            _member_org(actor, to_organisation)
            if to_organisation.pk == source.pk:
                raise DomainError(f"{m.name}已在{source.name}。", field="to_organisation")
            m.organisation = to_organisation
        elif direction == TransferDirection.OUT:
            if not outside_unit:
                raise DomainError("请填写转往的党组织。", field="outside_unit")
            m.status, m.ended_on = MemberStatus.TRANSFERRED_OUT, day
            OrgPosition.objects.filter(member=m, end_date__isnull=True).update(end_date=day)
        else:
            raise DomainError("转入请直接登记党员并填写转入日期。", field="direction")
        m.save()
        transfer = MemberTransfer.objects.create(
            member=m,
            direction=direction,
            date=day,
            from_organisation=source,
            to_organisation=to_organisation if direction == TransferDirection.WITHIN else None,
            outside_unit=outside_unit,
            note=clean_text(note, field="note", label="备注", limit=200),
            recorded_by=_label(actor),
        )
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            obj=m,
            changes={
                "transfer": direction,
                "date": str(day),
                "organisation": [source.name, m.organisation.name],
                "outside_unit": outside_unit,
            },
        )
    return transfer


def member_end(*, actor: User | None, member: PartyMember, date: date, reason: str) -> PartyMember:
    """Take a member off the roll (去世、出党等), keeping the record."""
    _manage(actor, member.organisation.area.path)
    day = _day(date, field="date", label="注销日期")
    reason = clean_text(reason, field="reason", label="原因", required=True, limit=200)
    with transaction.atomic():
        m = PartyMember.objects.select_for_update().get(pk=member.pk)
        if not m.active:
            raise DomainError(f"{m.name}已不在册。")
        m.status, m.ended_on = MemberStatus.ENDED, day
        m.note = reason
        m.save(update_fields=["status", "ended_on", "note"])
        OrgPosition.objects.filter(member=m, end_date__isnull=True).update(end_date=day)
        audit_record(actor=actor, action=Action.UPDATE, obj=m, changes={"status": "ended", "reason": reason})
    return m


def member_link_volunteer(*, actor: User | None, member: PartyMember, volunteer: Any) -> PartyMember:
    """Link the member to their volunteer record: their confirmed service then earns party points
    (`volunteering.on_service_confirmed`) while the hours stay in volunteers — one record, two uses."""
    _manage(actor, member.organisation.area.path)
    if volunteer is not None:
        require_path_in_scope(actor, volunteer.community.path)
        taken = PartyMember.objects.filter(volunteer=volunteer).exclude(pk=member.pk).first()
        if taken is not None:
            raise DomainError(f"该志愿者已关联党员{taken.name}。", field="volunteer")
    with transaction.atomic():
        m = PartyMember.objects.select_for_update().get(pk=member.pk)
        before = m.volunteer_id
        m.volunteer = volunteer
        m.save(update_fields=["volunteer"])
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            obj=m,
            changes={"volunteer": [before, volunteer.pk if volunteer is not None else None]},
        )
    return m


def member_care_plan(
    *, actor: User | None, member: PartyMember, interval_days: Any, note: str = ""
) -> CarePlan:
    """A hardship member gets a personal care plan in visits (关怀计划), so they are visited on time."""
    from linli.visits import services as visit_services
    from linli.visits.models import CarePlan

    _manage(actor, member.organisation.area.path)
    if member.resident is None:
        raise DomainError(f"{member.name}未关联辖区居民，无法制定走访关怀计划。", field="member")
    with transaction.atomic():
        existing = CarePlan.objects.filter(resident=member.resident).first()
        if existing is not None:
            plan = visit_services.care_plan_update(
                actor=actor, plan=existing, interval_days=interval_days, active=True
            )
        else:
            plan = visit_services.care_plan_create(
                actor=actor,
                resident=member.resident,
                interval_days=interval_days,
                note=note or "困难党员关怀",
            )
        if not member.hardship:
            PartyMember.objects.filter(pk=member.pk).update(hardship=True)
            audit_record(actor=actor, action=Action.UPDATE, obj=member, changes={"hardship": [False, True]})
    return plan


def responsibility_assign(
    *, actor: User | None, member: PartyMember, building: Building, start_date: date | None = None
) -> ResponsibilityArea:
    """党员责任区: the member looks after a building."""
    _manage(actor, member.organisation.area.path)
    require_path_in_scope(actor, building.grid.path)
    if not member.active:
        raise DomainError(f"{member.name}不是在册党员。", field="member")
    start = _day(start_date or _today(), field="start_date", label="开始日期")
    if ResponsibilityArea.objects.filter(member=member, building=building, end_date__isnull=True).exists():
        raise DomainError(f"{member.name}已负责该楼栋。", field="building")
    with transaction.atomic():
        item = ResponsibilityArea.objects.create(member=member, building=building, start_date=start)
        audit_record(
            actor=actor,
            action=Action.CREATE,
            obj=item,
            changes={"building": str(building), "start": str(start)},
        )
    return item


def responsibility_end(*, actor: User | None, item: ResponsibilityArea, end_date: date | None = None) -> None:
    _manage(actor, item.member.organisation.area.path)
    end = _day(end_date or _today(), field="end_date", label="结束日期")
    if item.end_date is not None:
        raise DomainError("该责任区已结束。")
    if end < item.start_date:
        raise DomainError("结束日期不能早于开始日期。", field="end_date")
    with transaction.atomic():
        item.end_date = end
        item.save(update_fields=["end_date"])
        audit_record(actor=actor, action=Action.UPDATE, obj=item, changes={"end_date": str(end)})


def contact_pair(
    *, actor: User | None, member: PartyMember, resident: Resident, start_date: date | None = None
) -> Any:
    """联系户: pair the member with a household member through visits' pairings (the member needs a login)."""
    from linli.visits import services as visit_services
    from linli.visits.models import PairingKind

    _manage(actor, member.organisation.area.path)
    if member.user is None:
        raise DomainError(f"{member.name}没有登录账号，不能结对联系户（请先关联账号）。", field="member")
    if not member.active:
        raise DomainError(f"{member.name}不是在册党员。", field="member")
    return visit_services.pairing_create(
        actor=actor,
        resident=resident,
        visitor=member.user,
        kind=PairingKind.PARTY_MEMBER,
        start_date=start_date,
    )


# --- the membership pipeline ------------------------------------------------------------------


def _next_due(stage: str, since: date) -> date | None:
    rule = rules.PIPELINE.get(stage)
    return add_months(since, rule.min_months) if rule else None


def applicant_create(
    *,
    actor: User | None,
    organisation: PartyOrganisation,
    applied_on: date,
    name: str = "",
    birth_date: date | None = None,
    resident: Resident | None = None,
) -> Applicant:
    """入党申请: the first stage. The applicant must be 18 on the day they apply."""
    _member_org(actor, organisation)
    applied = _day(applied_on, field="applied_on", label="申请日期")
    if resident is not None:
        require_path_in_scope(actor, resident.grid.path)
        name, birth_date = resident.name, resident.birth_date
        _check_one_branch(resident)
        if (
            Applicant.objects.filter(resident=resident)
            .exclude(stage__in=[Stage.FULL, Stage.STOPPED])
            .exists()
        ):
            raise DomainError(f"{resident.name}已在发展党员流程中。", field="resident")
    name = clean_text(name, field="name", label="姓名", required=True, limit=50)
    if birth_date is None:
        raise DomainError("请填写出生日期。", field="birth_date")
    birth_date = _day(birth_date, field="birth_date", label="出生日期")
    if applied < add_months(birth_date, 12 * rules.MIN_AGE):
        raise DomainError("申请入党须年满十八周岁（《中国共产党章程》第一条）。", field="applied_on")
    with transaction.atomic():
        applicant = Applicant.objects.create(
            organisation=organisation,
            resident=resident,
            name=name,
            birth_date=birth_date,
            applied_on=applied,
            stage=Stage.APPLICANT,
            stage_since=applied,
            next_due_on=_next_due(Stage.APPLICANT, applied),
        )
        PipelineStep.objects.create(
            applicant=applicant, to_stage=Stage.APPLICANT, date=applied, recorded_by=_label(actor)
        )
        audit_record(actor=actor, action=Action.CREATE, obj=applicant, changes={"applied_on": str(applied)})
    return applicant


def _introducer_names(text: str) -> list[str]:
    return [n for n in re.split(r"[、,，;；\s]+", text) if n]


def applicant_advance(
    *,
    actor: User | None,
    applicant: Applicant,
    to_stage: str,
    date: date,
    resolution: str = "",
    introducers: str = "",
    note: str = "",
) -> Applicant:
    """The next step, only in order and only when the rule's waiting period has passed (rules.PIPELINE)."""
    _branch_manage(actor, applicant.organisation)
    day = _day(date, field="date", label="日期")
    resolution = clean_text(resolution, field="resolution", label="决议", limit=200)
    introducers = clean_text(introducers, field="introducers", label="入党介绍人", limit=100)
    with transaction.atomic():
        a = (
            Applicant.objects.select_for_update(of=("self",))
            .select_related("organisation", "resident")
            .get(pk=applicant.pk)
        )
        rule = rules.PIPELINE.get(a.stage)
        if rule is None:
            raise DomainError(f"{a.name}已是{a.get_stage_display()}，流程已结束。", field="to_stage")
        if to_stage != rule.to_stage:
            wanted = Stage(rule.to_stage).label
            asked = Stage(to_stage).label if to_stage in Stage.values else to_stage
            raise DomainError(
                f"须按顺序发展：{a.name}目前是{a.get_stage_display()}，下一步应为{wanted}，不能直接到{asked}。",
                field="to_stage",
            )
        if day < a.stage_since:
            raise DomainError(f"日期不能早于上一阶段开始的 {a.stage_since}。", field="date")
        earliest = add_months(a.stage_since, rule.min_months)
        if day < earliest:
            raise DomainError(f"时间未到：{rule.text}。最早可在 {earliest} 办理。", field="date")
        if rule.resolution and not resolution:
            raise DomainError(f"请填写决议：{rule.text}。", field="resolution")
        names = _introducer_names(introducers or a.introducers)
        if len(names) < rule.introducers:
            raise DomainError(f"入党介绍人不足：{rule.text}。", field="introducers")
        before = a.stage
        a.stage, a.stage_since = to_stage, day
        if to_stage == Stage.ACTIVIST:
            a.activist_on = day
        elif to_stage == Stage.CANDIDATE:
            a.candidate_on = day
        elif to_stage == Stage.PROBATIONARY:
            a.admitted_on = day
            a.introducers = "、".join(names)
            a.member = member_create(
                actor=actor,
                organisation=a.organisation,
                name=a.name,
                resident=a.resident,
                joined_on=day,
                status=MemberStatus.PROBATIONARY,
                admission=True,
            )
        elif to_stage == Stage.FULL:
            a.full_on = day
            if a.member is not None:
                _make_full(actor, a.member, day, resolution)
        a.next_due_on = _next_due(to_stage, day)
        a.save()
        PipelineStep.objects.create(
            applicant=a,
            from_stage=before,
            to_stage=to_stage,
            date=day,
            resolution=resolution,
            introducers="、".join(names) if names else "",
            note=clean_text(note, field="note", label="备注", limit=200),
            recorded_by=_label(actor),
        )
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            obj=a,
            changes={"stage": [before, to_stage], "date": str(day), "resolution": resolution},
        )
    return a


def _make_full(actor: User | None, member: PartyMember, day: date, resolution: str) -> None:
    m = PartyMember.objects.select_for_update().get(pk=member.pk)
    if m.status != MemberStatus.PROBATIONARY:
        raise DomainError(f"{m.name}不是预备党员。")
    if m.probation_end and day < m.probation_end:
        extension = ProbationExtension.objects.filter(member=m).first()
        rule = (
            f"支部党员大会已于 {extension.resolved_on} 决定延长预备期至 {extension.new_end}"
            if extension
            else rules.PIPELINE["probationary"].text
        )
        raise DomainError(f"预备期未满：{rule}。最早可在 {m.probation_end} 办理。", field="date")
    m.status = MemberStatus.FULL
    m.save(update_fields=["status"])
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        obj=m,
        changes={"status": ["probationary", "full"], "resolution": resolution},
    )


def member_make_full(*, actor: User | None, member: PartyMember, date: date, resolution: str) -> PartyMember:
    """转正 for a probationary member entered directly (not through the pipeline here)."""
    _branch_manage(actor, member.organisation)
    day = _day(date, field="date", label="转正日期")
    resolution = clean_text(resolution, field="resolution", label="支部大会决议", required=True, limit=200)
    with transaction.atomic():
        application = Applicant.objects.filter(member=member, stage=Stage.PROBATIONARY).first()
        if application is not None:
            applicant_advance(
                actor=actor, applicant=application, to_stage=Stage.FULL, date=day, resolution=resolution
            )
        else:
            _make_full(actor, member, day, resolution)
    member.refresh_from_db()
    return member


def applicant_stop(*, actor: User | None, applicant: Applicant, date: date, reason: str) -> Applicant:
    _branch_manage(actor, applicant.organisation)
    day = _day(date, field="date", label="日期")
    reason = clean_text(reason, field="reason", label="原因", required=True, limit=200)
    with transaction.atomic():
        a = Applicant.objects.select_for_update().get(pk=applicant.pk)
        if a.stage in (Stage.FULL, Stage.STOPPED, Stage.PROBATIONARY):
            raise DomainError(f"{a.name}已是{a.get_stage_display()}，不能终止培养。")
        before = a.stage
        a.stage, a.stage_since, a.next_due_on = Stage.STOPPED, day, None
        a.save()
        PipelineStep.objects.create(
            applicant=a,
            from_stage=before,
            to_stage=Stage.STOPPED,
            date=day,
            note=reason,
            recorded_by=_label(actor),
        )
        audit_record(
            actor=actor, action=Action.UPDATE, obj=a, changes={"stage": [before, "stopped"], "reason": reason}
        )
    return a


def stage_index(stage: str) -> int:
    return STAGE_ORDER.index(Stage(stage)) if stage in STAGE_ORDER else -1


# --- 三会一课 ---------------------------------------------------------------------------------


def meeting_create(
    *,
    actor: User | None,
    organisation: PartyOrganisation,
    kind: str,
    held_on: date,
    place: str,
    topic: str,
    host: str = "",
    minutes: str = "",
) -> Meeting:
    _branch_manage(actor, organisation)
    if not organisation.active:
        raise DomainError(f"{organisation.name}已撤销。", field="organisation")
    kind = _choice(kind, MeetingKind, field="kind", label="会议类型")
    if kind == MeetingKind.GROUP and organisation.kind != OrgKind.GROUP:
        raise DomainError("党小组会应登记在党小组名下。", field="kind")
    if kind != MeetingKind.GROUP and organisation.kind == OrgKind.GROUP:
        raise DomainError("党小组只能登记党小组会。", field="kind")
    held = _day(held_on, field="held_on", label="会议日期", future=True)
    if held > add_months(_today(), 12):
        raise DomainError("只能安排一年以内的会议。", field="held_on")
    with transaction.atomic():
        meeting = Meeting.objects.create(
            organisation=organisation,
            kind=kind,
            held_on=held,
            place=clean_text(place, field="place", label="地点", required=True, limit=100),
            topic=clean_text(topic, field="topic", label="主题", required=True, limit=200),
            host=clean_text(host, field="host", label="主持人", limit=50),
            minutes=clean_text(minutes, field="minutes", label="会议记录"),
            checkin_code=secrets.token_urlsafe(16),
        )
        audit_record(
            actor=actor, action=Action.CREATE, obj=meeting, changes={"kind": kind, "held_on": str(held)}
        )
    return meeting


def meeting_update(
    *,
    actor: User | None,
    meeting: Meeting,
    place: str | None = None,
    topic: str | None = None,
    host: str | None = None,
    minutes: str | None = None,
    held_on: date | None = None,
) -> Meeting:
    _branch_manage(actor, meeting.organisation)
    with transaction.atomic():
        m = Meeting.objects.select_for_update().get(pk=meeting.pk)
        if m.cancelled:
            raise DomainError("会议已取消。")
        fields = ["place", "topic", "host", "minutes", "held_on"]
        before = {f: getattr(m, f) for f in fields}
        if place is not None:
            m.place = clean_text(place, field="place", label="地点", required=True, limit=100)
        if topic is not None:
            m.topic = clean_text(topic, field="topic", label="主题", required=True, limit=200)
        if host is not None:
            m.host = clean_text(host, field="host", label="主持人", limit=50)
        if minutes is not None and minutes.strip() != m.minutes.strip():
            if m.minutes_status in (MinutesStatus.SUBMITTED, MinutesStatus.APPROVED):
                raise DomainError(
                    "会议记录已提交审定或已审定，不能直接修改；更正请提交新版本并说明原因。", field="minutes"
                )
            m.minutes = clean_text(minutes, field="minutes", label="会议记录")
        if held_on is not None and held_on != m.held_on:
            if m.attendance.exists():
                raise DomainError("已登记出席情况，不能改会议日期。", field="held_on")
            m.held_on = _day(held_on, field="held_on", label="会议日期", future=True)
        m.save()
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            obj=m,
            changes={
                f: [str(before[f])[:50], str(getattr(m, f))[:50]]
                for f in fields
                if before[f] != getattr(m, f)
            },
        )
    return m


def meeting_cancel(*, actor: User | None, meeting: Meeting, reason: str) -> Meeting:
    _branch_manage(actor, meeting.organisation)
    reason = clean_text(reason, field="reason", label="原因", required=True, limit=200)
    with transaction.atomic():
        m = Meeting.objects.select_for_update().get(pk=meeting.pk)
        if m.cancelled:
            raise DomainError("会议已取消。")
        if m.attendance.exists():
            raise DomainError("已登记出席情况的会议不能取消；如有误请更正出席情况。")
        m.cancelled = True
        m.save(update_fields=["cancelled"])
        audit_record(actor=actor, action=Action.UPDATE, obj=m, changes={"cancelled": True, "reason": reason})
    return m


def meeting_photo_add(*, actor: User | None, meeting: Meeting, upload: UploadedFile) -> MeetingPhoto:
    _branch_manage(actor, meeting.organisation)
    content_type, safe_name = check_photo(upload)
    with transaction.atomic():
        item = MeetingPhoto(meeting=meeting, content_type=content_type)
        item.file.save(safe_name, upload, save=False)
        item.save()
        audit_record(actor=actor, action=Action.CREATE, obj=meeting, changes={"photo": item.file.name})
    return item


def meeting_members(meeting: Meeting) -> list[PartyMember]:
    """Who is expected: the members on the roll of the organisation (or, for a group, its branch) on the day."""
    org = meeting.organisation
    roll = org.parent if org.kind == OrgKind.GROUP and org.parent else org
    return list(
        PartyMember.objects.filter(organisation=roll, joined_on__lte=meeting.held_on)
        .filter(status__in=ACTIVE_STATUSES)
        .order_by("name", "pk")
    )


def _attendance_target(meeting: Meeting, member: PartyMember) -> None:
    if meeting.cancelled:
        raise DomainError("会议已取消，不能登记出席。")
    if meeting.held_on > _today():
        raise DomainError(f"会议定于 {meeting.held_on} 召开，尚未召开，不能登记出席。", field="held_on")
    org = meeting.organisation
    roll = org.parent if org.kind == OrgKind.GROUP and org.parent else org
    if member.organisation_id != roll.pk or not member.active:
        raise DomainError(f"{member.name}不是{roll.name}的在册党员。", field="member")


def _set_attendance(
    actor: User | None, meeting: Meeting, member: PartyMember, status: str, via_qr: bool
) -> MeetingAttendance:
    row, created = MeetingAttendance.objects.select_for_update().get_or_create(
        meeting=meeting, member=member, defaults={"status": status, "via_qr": via_qr}
    )
    if not created and row.status != status:
        row.status = status
        row.via_qr = row.via_qr or via_qr
        row.save(update_fields=["status", "via_qr"])
    source = f"meeting:{meeting.pk}"
    PointEntry.objects.filter(member=member, source=source).delete()
    code = rules.ATTENDANCE_RULE.get(status)
    if code:
        award(member=member, code=code, earned_on=meeting.held_on, source=source, actor=actor)
    return row


def attendance_roll_call(
    *, actor: User | None, meeting: Meeting, statuses: dict[int, str]
) -> list[MeetingAttendance]:
    """Roll call: member id → present / late / leave / absent. All or nothing."""
    _branch_manage(actor, meeting.organisation)
    if not statuses:
        raise DomainError("请登记至少一名党员的出席情况。", field="statuses")
    members = {
        m.pk: m for m in PartyMember.objects.filter(pk__in=list(statuses)).select_related("organisation")
    }
    rows = []
    with transaction.atomic():
        m = (
            Meeting.objects.select_for_update(of=("self",))
            .select_related("organisation__parent")
            .get(pk=meeting.pk)
        )
        for member_id, status in statuses.items():
            member = members.get(member_id)
            if member is None:
                raise DomainError("所选党员不存在。", field="statuses")
            _choice(status, Attendance, field="statuses", label="出席情况")
            _attendance_target(m, member)
            rows.append(_set_attendance(actor, m, member, status, via_qr=False))
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            obj=m,
            changes={"attendance": {members[k].name: v for k, v in statuses.items()}},
        )
    return rows


def attendance_checkin(*, actor: User, code: str) -> MeetingAttendance:
    """扫码签到: the member signed in with their own account scans the meeting's QR on the day."""
    meeting = (
        Meeting.objects.select_related("organisation__parent", "organisation__area")
        .filter(checkin_code=str(code)[:32])
        .first()
    )
    if meeting is None or actor is None or not actor.is_authenticated:
        raise DomainError("签到码无效。", field="code")
    if meeting.held_on != _today():
        raise DomainError(f"只能在会议当天（{meeting.held_on}）扫码签到。", field="code")
    org = meeting.organisation
    roll = org.parent if org.kind == OrgKind.GROUP and org.parent else org
    member = PartyMember.objects.filter(user=actor, organisation=roll, status__in=ACTIVE_STATUSES).first()
    if member is None:
        raise Forbidden(f"您不是{roll.name}的在册党员，不能签到。")
    with transaction.atomic():
        m = Meeting.objects.select_for_update().get(pk=meeting.pk)
        existing = MeetingAttendance.objects.filter(meeting=m, member=member).first()
        if existing is not None and existing.status in (Attendance.PRESENT, Attendance.LATE):
            return existing
        _attendance_target(m, member)
        row = _set_attendance(actor, m, member, Attendance.PRESENT, via_qr=True)
        audit_record(actor=actor, action=Action.UPDATE, obj=m, changes={"checkin": member.name})
    return row


# --- compliance notices (the sweep) -------------------------------------------------------------


def compliance_tick(*, today: date | None = None) -> int:
    """Tell each branch's secretary and the community leaders once when a meeting kind falls overdue
    (its period ended without one). Claimed by a unique row, so two sweeps never notify twice."""
    from linli.cases import services as case_services
    from linli.cases.models import Notification
    from linli.party.selectors import compliance_of

    today = today or _today()
    sent = 0
    orgs = list(
        PartyOrganisation.objects.filter(
            dissolved_on__isnull=True, kind__in=[OrgKind.BRANCH, OrgKind.GENERAL_BRANCH]
        ).select_related("area")
    )
    calendars = compliance_of(orgs, today.year, today)
    for org in orgs:
        for row in calendars[org.pk]:
            last = row.last_overdue
            if last is None:
                continue
            with transaction.atomic():
                _, created = ComplianceNotice.objects.get_or_create(
                    organisation=org, kind=row.kind, period_start=last.start
                )
                if not created:
                    continue
                leaders = case_services.users_with_role_in(org.area, "community_leader")
                secretary = (
                    OrgPosition.objects.filter(
                        organisation=org, role=PositionRole.SECRETARY, end_date__isnull=True
                    )
                    .select_related("member__user")
                    .first()
                )
                users = [*leaders, secretary.member.user if secretary else None]
                case_services.notify(
                    users,
                    None,
                    Notification.Kind.OVERDUE,
                    f"三会一课超期：{org.name}{last.label}未召开{row.label}",
                    link=reverse("party:compliance") + f"?organisation={org.pk}",
                )
                sent += 1
    return sent


# --- points ------------------------------------------------------------------------------------


def _period_bounds(rule: PointRule, day: date) -> tuple[date, date]:
    if rule.period == PointPeriod.YEAR:
        return date(day.year, 1, 1), date(day.year, 12, 31)
    return date(day.year, day.month, 1), date(day.year, day.month, monthrange(day.year, day.month)[1])


def award(
    *,
    member: PartyMember,
    code: str,
    earned_on: date,
    source: str,
    actor: User | None = None,
    reason: str = "",
) -> PointEntry | None:
    """Automatic points for an activity, clipped to the rule's cap for the period; once per source."""
    rule = PointRule.objects.filter(code=code, active=True).first()
    if rule is None or PointEntry.objects.filter(member=member, source=source).exists():
        return None
    points = rule.points
    if rule.cap and points > 0:
        start, end = _period_bounds(rule, earned_on)
        so_far = (
            PointEntry.objects.filter(
                member=member,
                rule=rule,
                status=EntryStatus.APPROVED,
                earned_on__gte=start,
                earned_on__lte=end,
            ).aggregate(s=Sum("points"))["s"]
            or 0
        )
        points = min(points, rule.cap - so_far)
        if points <= 0:
            return None
    return PointEntry.objects.create(
        member=member,
        rule=rule,
        points=points,
        earned_on=earned_on,
        source=source,
        reason=reason or rule.label,
        entered_by=_label(actor) if actor is not None else "系统",
    )


def point_manual_create(
    *, actor: User | None, member: PartyMember, rule: PointRule, earned_on: date, reason: str
) -> PointEntry:
    """A manual award or deduction: it needs a reason and waits for another manager's approval."""
    _branch_manage(actor, member.organisation)
    if not rule.manual or not rule.active:
        raise DomainError(f"“{rule.label}”由系统自动计分，不能手工录入。", field="rule")
    day = _day(earned_on, field="earned_on", label="日期")
    reason = clean_text(reason, field="reason", label="事由", required=True, limit=200)
    if not member.active:
        raise DomainError(f"{member.name}不是在册党员。", field="member")
    with transaction.atomic():
        entry = PointEntry.objects.create(
            member=member,
            rule=rule,
            points=rule.points,
            earned_on=day,
            reason=reason,
            status=EntryStatus.PENDING,
            entered_by=_label(actor),
        )
        audit_record(
            actor=actor, action=Action.CREATE, obj=entry, changes={"rule": rule.code, "reason": reason}
        )
    return entry


def point_decide(*, actor: User | None, entry: PointEntry, approve: bool) -> PointEntry:
    _branch_manage(actor, entry.member.organisation)
    with transaction.atomic():
        e = (
            PointEntry.objects.select_for_update(of=("self",))
            .select_related("rule", "member")
            .get(pk=entry.pk)
        )
        if e.status != EntryStatus.PENDING:
            raise DomainError("该积分已审核。")
        if actor is not None and e.entered_by == _label(actor):
            raise DomainError("录入人不能审核自己录入的积分，请由另一位管理人员审核。")
        if approve and e.rule.cap and e.points > 0:
            start, end = _period_bounds(e.rule, e.earned_on)
            so_far = (
                PointEntry.objects.filter(
                    member=e.member,
                    rule=e.rule,
                    status=EntryStatus.APPROVED,
                    earned_on__gte=start,
                    earned_on__lte=end,
                ).aggregate(s=Sum("points"))["s"]
                or 0
            )
            if so_far + e.points > e.rule.cap:
                raise DomainError(
                    f"超过“{e.rule.label}”的上限（{e.rule.get_period_display()} {e.rule.cap} 分）。"
                )
        e.status = EntryStatus.APPROVED if approve else EntryStatus.REJECTED
        e.decided_by = _label(actor)
        e.save(update_fields=["status", "decided_by"])
        audit_record(actor=actor, action=Action.UPDATE, obj=e, changes={"status": ["pending", e.status]})
    return e


def visit_points_sync(*, since: date | None = None) -> int:
    """Points for visits members made to their contact households (visits' pairings of kind 党员)."""
    from django.db.models import Q

    from linli.visits.models import Pairing, PairingKind, Visit

    today = _today()
    since = since or date(today.year, 1, 1)
    members = {
        m.user_id: m
        for m in PartyMember.objects.filter(status__in=ACTIVE_STATUSES, user__isnull=False).select_related(
            "organisation"
        )
    }
    if not members:
        return 0
    awarded = 0
    pairings = Pairing.objects.filter(kind=PairingKind.PARTY_MEMBER, visitor_id__in=list(members))
    for p in pairings:
        visits = Visit.objects.filter(
            visitor_id=p.visitor_id, resident_id=p.resident_id, visited_on__gte=max(since, p.start_date)
        )
        if p.end_date:
            visits = visits.filter(visited_on__lte=p.end_date)
        household = p.resident.household_id
        if household:
            visits = Visit.objects.filter(
                Q(resident_id=p.resident_id) | Q(household_id=household),
                visitor_id=p.visitor_id,
                visited_on__gte=max(since, p.start_date),
            )
        for visit_id, day in visits.values_list("pk", "visited_on"):
            with transaction.atomic():
                if award(
                    member=members[p.visitor_id], code="visit", earned_on=day, source=f"visit:{visit_id}"
                ):
                    awarded += 1
    return awarded


def rule_update(*, actor: User | None, rule: MeetingRule | PointRule, **values: Any) -> Any:
    """Change a configured frequency or point rule (street admins: configure)."""
    require(actor, Capability.CONFIGURE)
    with transaction.atomic():
        locked = type(rule).objects.select_for_update().get(pk=rule.pk)
        before = {k: getattr(locked, k) for k in values}
        for key, value in values.items():
            setattr(locked, key, value)
        if isinstance(locked, MeetingRule) and locked.every_months not in (1, 2, 3, 4, 6, 12):
            raise DomainError("频次应为 1、2、3、4、6 或 12 个月。", field="every_months")
        if isinstance(locked, PointRule) and not -100 <= locked.points <= 100:
            raise DomainError("分值应在 -100 至 100 之间。", field="points")
        locked.save()
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            obj=locked,
            area_path="",
            changes={k: [before[k], getattr(locked, k)] for k in values if before[k] != getattr(locked, k)},
        )
    return locked


# --- 延长预备期 -----------------------------------------------------------------------------------


def member_extend_probation(
    *,
    actor: User | None,
    member: PartyMember,
    resolved_on: date,
    months: int,
    resolution: str,
    reason: str,
) -> ProbationExtension:
    """延长预备期: once, 6 to 12 months, by the branch general meeting's resolution when probation ends."""
    _branch_manage(actor, member.organisation)
    day = _day(resolved_on, field="resolved_on", label="支部党员大会日期")
    resolution = clean_text(
        resolution, field="resolution", label="支部党员大会决议", required=True, limit=200
    )
    reason = clean_text(reason, field="reason", label="延长原因", required=True, limit=200)
    low, high = rules.PROBATION_EXTENSION_MONTHS
    if not isinstance(months, int) or not low <= months <= high:
        raise DomainError(
            f"延长期限应为 {low} 至 {high} 个月：{rules.PROBATION_EXTENSION_TEXT}。", field="months"
        )
    with transaction.atomic():
        m = PartyMember.objects.select_for_update().get(pk=member.pk)
        if m.status != MemberStatus.PROBATIONARY:
            raise DomainError(f"只有预备党员可以延长预备期，{m.name}目前是{m.get_status_display()}。")
        done = ProbationExtension.objects.filter(member=m).first()
        if done is not None:
            raise DomainError(
                f"预备期只能延长一次：{m.name}的预备期已于 {done.resolved_on} 延长至 {done.new_end}"
                f"（{rules.PROBATION_EXTENSION_TEXT}）。"
            )
        end = m.probation_end or add_months(m.joined_on, 12)
        if day < end:
            raise DomainError(
                f"预备期尚未期满（{end} 期满）：{rules.PROBATION_EXTENSION_TEXT}。最早可在 {end} 办理。",
                field="resolved_on",
            )
        new_end = add_months(end, months)
        extension = ProbationExtension.objects.create(
            member=m,
            resolved_on=day,
            resolution=resolution,
            reason=reason,
            months=months,
            previous_end=end,
            new_end=new_end,
            recorded_by=_label(actor),
        )
        m.probation_end = new_end
        m.save(update_fields=["probation_end"])
        Applicant.objects.filter(member=m, stage=Stage.PROBATIONARY).update(next_due_on=new_end)
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            obj=m,
            changes={"probation_end": [str(end), str(new_end)], "resolution": resolution, "reason": reason},
        )
    return extension


# --- 会议记录审定 ---------------------------------------------------------------------------------


def _latest_version(meeting: Meeting) -> MinutesVersion | None:
    return MinutesVersion.objects.filter(meeting=meeting).order_by("-number").first()


def minutes_submit(
    *, actor: User | None, meeting: Meeting, text: str | None = None, reason: str = ""
) -> MinutesVersion:
    """The recorder submits the minutes (the draft, or `text`) for the secretary's approval. After an
    approval the minutes are locked: a correction is a new version, and it needs its reason."""
    _branch_manage(actor, meeting.organisation)
    with transaction.atomic():
        m = Meeting.objects.select_for_update().get(pk=meeting.pk)
        if m.cancelled:
            raise DomainError("会议已取消。")
        if m.held_on > _today():
            raise DomainError(f"会议定于 {m.held_on} 召开，尚未召开，不能提交会议记录。")
        body = clean_text(m.minutes if text is None else text, field="text", label="会议记录", required=True)
        latest = _latest_version(m)
        if latest is not None and latest.status == MinutesStatus.SUBMITTED:
            raise DomainError(f"第 {latest.number} 版会议记录正待书记审定，请等审定或退回后再提交。")
        approved = MinutesVersion.objects.filter(meeting=m, status=MinutesStatus.APPROVED).exists()
        reason = clean_text(reason, field="reason", label="更正原因", required=approved, limit=200)
        if approved and latest is not None and body == m.minutes.strip():
            raise DomainError("更正稿与已审定的会议记录相同。", field="text")
        version = MinutesVersion.objects.create(
            meeting=m,
            number=(latest.number if latest else 0) + 1,
            text=body,
            correction_reason=reason if approved else "",
            submitted_by=actor,
            submitted_by_name=_label(actor),
        )
        if not approved:
            m.minutes = body
        m.minutes_status = MinutesStatus.SUBMITTED
        m.save(update_fields=["minutes", "minutes_status"])
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            obj=m,
            changes={"minutes": f"第 {version.number} 版提交审定", **({"reason": reason} if reason else {})},
        )
    return version


def minutes_decide(
    *, actor: User | None, version: MinutesVersion, approve: bool, reason: str = ""
) -> MinutesVersion:
    """The branch secretary approves the submitted minutes (locking them) or returns them with a reason.
    The recorder cannot approve their own."""
    meeting = version.meeting
    org = meeting.organisation
    if actor is not None and not access.approves_minutes(actor, org):
        if PartyOrganisation.objects.visible_to(actor).filter(pk=org.pk).exists():
            raise Forbidden(f"会议记录由{org.name}书记审定。")
        raise NotFound()
    reason = clean_text(reason, field="reason", label="退回原因", required=not approve, limit=200)
    with transaction.atomic():
        m = Meeting.objects.select_for_update().get(pk=meeting.pk)
        v = MinutesVersion.objects.select_for_update().get(pk=version.pk)
        if v.status != MinutesStatus.SUBMITTED:
            raise DomainError(f"第 {v.number} 版会议记录已{v.get_status_display()}。")
        if actor is not None and v.submitted_by_id == actor.pk:
            raise DomainError("记录人不能审定自己提交的会议记录，请由书记审定。")
        v.decided_by_name = _label(actor)
        v.decided_at = timezone.now()
        if approve:
            v.status = MinutesStatus.APPROVED
            m.minutes = v.text
            m.minutes_status = MinutesStatus.APPROVED
        else:
            v.status = MinutesStatus.RETURNED
            v.return_reason = reason
            earlier = MinutesVersion.objects.filter(meeting=m, status=MinutesStatus.APPROVED).exists()
            m.minutes_status = MinutesStatus.APPROVED if earlier else MinutesStatus.RETURNED
        v.save()
        m.save(update_fields=["minutes", "minutes_status"])
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            obj=m,
            changes={
                "minutes": f"第 {v.number} 版{v.get_status_display()}",
                **({"reason": reason} if reason else {}),
            },
        )
    return v


# --- 三卡 --------------------------------------------------------------------------------------

CARD_RULE: dict[str, str] = {
    CardKind.CONTACT: "card_contact",
    CardKind.ACTIVITY: "card_activity",
    CardKind.FEEDBACK: "card_feedback",
}


def contact_households(member: PartyMember, day: date | None = None) -> Any:
    """The residents a member is responsible for on `day`: paired with them in visits (kind 党员), or living
    in a building of their responsibility area."""
    from django.db.models import Q

    from linli.visits.models import Pairing, PairingKind

    day = day or _today()
    paired = (
        Pairing.objects.filter(kind=PairingKind.PARTY_MEMBER, visitor_id=member.user_id, start_date__lte=day)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=day))
        .values("resident_id")
    )
    buildings = (
        ResponsibilityArea.objects.filter(member=member, start_date__lte=day)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=day))
        .values("building_id")
    )
    residents = Resident.objects.filter(status=ResidentStatus.ACTIVE)
    q = Q(house__building_id__in=buildings)
    if member.user_id:
        q |= Q(pk__in=paired)
    return residents.filter(q)


def card_create(
    *,
    actor: User | None,
    member: PartyMember,
    kind: str,
    day: date,
    title: str,
    content: str = "",
    resident: Resident | None = None,
    way: str = "",
    place: str = "",
    passed_to: str = "",
) -> MemberCard:
    """Record a card for a member (the branch's officers or a party manager keep them)."""
    _branch_manage(actor, member.organisation)
    kind = _choice(kind, CardKind, field="kind", label="卡片类别")
    when = _day(day, field="day", label="日期")
    if not member.active:
        raise DomainError(f"{member.name}不是在册党员。", field="member")
    if when < member.joined_on:
        raise DomainError(f"日期早于{member.name}的入党日期 {member.joined_on}。", field="day")
    title = clean_text(title, field="title", label="事项", required=True, limit=100)
    content = clean_text(content, field="content", label="内容", limit=1000)
    place = clean_text(place, field="place", label="地点", limit=100)
    passed_to = clean_text(passed_to, field="passed_to", label="反映给", limit=100)
    if kind == CardKind.CONTACT:
        if resident is None:
            raise DomainError("联系卡须选择所联系的住户。", field="resident")
        way = _choice(way, ContactWay, field="way", label="联系方式")
        if not contact_households(member, when).filter(pk=resident.pk).exists():
            raise DomainError(
                f"{resident.name}不在{member.name}的党员责任区或联系户中；入户走访请在走访中登记。",
                field="resident",
            )
    else:
        way = ""
    if kind == CardKind.ACTIVITY and not place:
        raise DomainError("活动卡须填写活动地点。", field="place")
    if kind == CardKind.FEEDBACK and not passed_to:
        raise DomainError("反馈卡须填写反映给谁（社区、物业、职能部门……）。", field="passed_to")
    with transaction.atomic():
        card = MemberCard.objects.create(
            member=member,
            kind=kind,
            day=when,
            resident=resident if kind != CardKind.ACTIVITY else None,
            way=way,
            title=title,
            content=content,
            place=place,
            passed_to=passed_to,
            status=CardStatus.OPEN if kind == CardKind.FEEDBACK else CardStatus.RECORDED,
            recorded_by=_label(actor),
        )
        if kind != CardKind.FEEDBACK:  # a feedback card earns its point when it is closed with an outcome
            award(member=member, code=CARD_RULE[kind], earned_on=when, source=f"card:{card.pk}", actor=actor)
        audit_record(actor=actor, action=Action.CREATE, obj=card, changes={"kind": kind, "title": title})
    return card


def card_close(*, actor: User | None, card: MemberCard, outcome: str, closed_on: date) -> MemberCard:
    """A feedback card's outcome: what came of the matter passed on."""
    _branch_manage(actor, card.member.organisation)
    outcome = clean_text(outcome, field="outcome", label="办理结果", required=True, limit=300)
    day = _day(closed_on, field="closed_on", label="办结日期")
    with transaction.atomic():
        c = MemberCard.objects.select_for_update(of=("self",)).select_related("member").get(pk=card.pk)
        if c.kind != CardKind.FEEDBACK:
            raise DomainError("只有反馈卡需要办结。")
        if c.status != CardStatus.OPEN:
            raise DomainError(f"该反馈卡{c.get_status_display()}。")
        if day < c.day:
            raise DomainError(f"办结日期不能早于反映日期 {c.day}。", field="closed_on")
        c.status, c.outcome, c.closed_on = CardStatus.CLOSED, outcome, day
        c.save(update_fields=["status", "outcome", "closed_on"])
        award(
            member=c.member,
            code=CARD_RULE[CardKind.FEEDBACK],
            earned_on=day,
            source=f"card:{c.pk}",
            actor=actor,
        )
        audit_record(
            actor=actor, action=Action.UPDATE, obj=c, changes={"status": "closed", "outcome": outcome}
        )
    return c


def card_void(*, actor: User | None, card: MemberCard, reason: str) -> MemberCard:
    """A card entered by mistake: kept, marked void with the reason; its point is taken back."""
    _branch_manage(actor, card.member.organisation)
    reason = clean_text(reason, field="reason", label="作废原因", required=True, limit=200)
    with transaction.atomic():
        c = MemberCard.objects.select_for_update().get(pk=card.pk)
        if c.status == CardStatus.VOIDED:
            raise DomainError("该卡片已作废。")
        before = c.status
        c.status, c.void_reason = CardStatus.VOIDED, reason
        c.save(update_fields=["status", "void_reason"])
        PointEntry.objects.filter(member_id=c.member_id, source=f"card:{c.pk}").delete()
        audit_record(
            actor=actor, action=Action.UPDATE, obj=c, changes={"status": [before, "voided"], "reason": reason}
        )
    return c
