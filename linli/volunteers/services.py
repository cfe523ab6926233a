"""Every write to volunteers goes through here: registration and status, teams, activities and bookings,
sign-in and sign-out, the sweep that closes forgotten sign-outs, corrections, confirmation, proofs.

Service minutes are never typed (《志愿服务记录与证明出具办法（试行）》: 真实、准确): a record's minutes are
the part of the slot between its sign-in and sign-out, and count only when they cover the activity's share
of the slot (`min_attendance_percent`, default `LINLI_VOLUNTEER_MIN_ATTENDANCE_PERCENT`). A correction is the
organiser's, with a reason, inside the slot, and stays in the record's history.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone

from linli.areas.models import Area
from linli.core.audit import Action, audit_record, diff
from linli.core.errors import DomainError, Forbidden, NotFound, RateLimited
from linli.core.permissions import Capability, require, require_path_in_scope
from linli.core.scoping import PATH_SEPARATOR, path_in_scope
from linli.core.validation import clean_text
from linli.registry import idnumber, normalise
from linli.registry.models import House, Resident, ResidentStatus, name_grams
from linli.volunteers import rollup
from linli.volunteers.models import (
    AVAILABILITY_CODES,
    HOLDING_STATUSES,
    TEAM_PARENTS,
    VOLUNTEER_TRANSITIONS,
    Activity,
    ActivityStatus,
    Proof,
    RecordStatus,
    RegistrationChannel,
    ServiceRecord,
    ServiceRecordChange,
    SignMethod,
    Skill,
    Team,
    TeamLevel,
    TeamMembership,
    Volunteer,
    VolunteerChange,
    VolunteerKind,
    VolunteerNameGram,
    VolunteerStatus,
)
from linli.volunteers.signals import service_confirmed

if TYPE_CHECKING:
    from linli.accounts.models import User

# How early before the slot a volunteer may sign in (they are counted from the start anyway).
EARLY_SIGN_IN = timedelta(minutes=30)
JOIN_SALT = "linli.volunteers.join"
CARD_SALT = "linli.volunteers.card"


def _label(actor: User | None) -> str:
    if actor is None:
        return ""
    return getattr(actor, "display_name", "") or actor.get_username()


def _now() -> datetime:
    return timezone.now()


def _local(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _community(area: Area) -> Area:
    if area.kind != Area.Kind.COMMUNITY:
        raise DomainError("志愿者和活动只能由社区登记，请选择一个社区。", field="community")
    return area


def _manage(actor: User | None, community: Area) -> None:
    require(actor, Capability.MANAGE_VOLUNTEERS)
    require_path_in_scope(actor, community.path)


def _text(value: object, label: str, field: str, *, max_length: int, required: bool = True) -> str:
    """One line of text, NFKC-normalised, inner whitespace collapsed; multi-line text goes through
    `core.validation.clean_text`."""
    out = " ".join(normalise.text(value).split())
    if required and not out:
        raise DomainError(f"请填写{label}。", field=field)
    if len(out) > max_length:
        raise DomainError(f"{label}不能超过 {max_length} 个字。", field=field)
    return out


# --- volunteers ----------------------------------------------------------------------------------


def _check_grid(community: Area, grid: Area | None) -> Area | None:
    if grid is None:
        return None
    if grid.kind != Area.Kind.GRID or not grid.path.startswith(community.path + PATH_SEPARATOR):
        raise DomainError("网格不属于该社区。", field="grid")
    return grid


def _availability(codes: Iterable[str] | None) -> list[str]:
    chosen = sorted(set(codes or []))
    unknown = [c for c in chosen if c not in AVAILABILITY_CODES]
    if unknown:
        raise DomainError("可服务时间不正确：" + "、".join(unknown[:3]), field="availability")
    return chosen


def _parse_id(value: object) -> idnumber.IdNumber:
    try:
        return idnumber.parse(value)
    except idnumber.InvalidIdNumber as exc:
        raise DomainError(str(exc), field="id_number") from exc


def _phone(value: object) -> str:
    phone = normalise.phone(value)
    if not phone:
        raise DomainError("请填写可以联系到的手机号或固定电话。", field="phone")
    return phone


def street_of(community: Area) -> str:
    return community.path.rsplit(PATH_SEPARATOR, 1)[0] if PATH_SEPARATOR in community.path else community.path


def resident_for(id_number: str, community: Area) -> Resident | None:
    """The active resident with this number who lives in the community's street, if any."""
    street = street_of(community)
    return (
        Resident.objects.filter(id_number=id_number, status=ResidentStatus.ACTIVE)
        .filter(Q(grid__path__startswith=street + PATH_SEPARATOR) | Q(grid__path=street))
        .select_related("grid")
        .first()
    )


def _search_keys(volunteer: Volunteer) -> None:
    volunteer.name_pinyin, volunteer.name_initials = normalise.name_keys(volunteer.name)
    volunteer.id_reversed = volunteer.id_number[::-1]
    volunteer.phone_reversed = volunteer.phone[::-1]


def refresh_name_grams(volunteer: Volunteer) -> None:
    """The name's pieces for the substring search (VolunteerNameGram), after the volunteer is saved."""
    VolunteerNameGram.objects.filter(volunteer=volunteer).delete()
    VolunteerNameGram.objects.bulk_create(
        VolunteerNameGram(volunteer=volunteer, community_id=volunteer.community_id, gram=gram)
        for gram in sorted(name_grams(volunteer.name))
    )


def _snapshot(v: Volunteer) -> dict[str, Any]:
    return {
        "name": v.name,
        "id_number": v.id_number,
        "phone": v.phone,
        "kind": v.kind,
        "unit_name": v.unit_name,
        "grid": v.grid.path if v.grid_id and v.grid else None,
        "resident": v.resident_id,
        "preferences": v.preferences,
        "availability": list(v.availability),
        "photo_consent": v.photo_consent,
        "notes": v.notes,
        "skills": sorted(s.code for s in v.skills.all()) if v.pk else [],
    }


def _volunteer_change(
    volunteer: Volunteer, actor: User | None, kind: str, changes: dict[str, Any], note: str = ""
) -> None:
    masked = dict(changes)
    for key in ("id_number", "phone"):
        if key in masked:  # the history shows what the mask shows
            mask = idnumber.mask_id if key == "id_number" else idnumber.mask_phone
            masked[key] = [mask(v) if v else v for v in masked[key]]
    VolunteerChange.objects.create(
        volunteer=volunteer, actor=actor, actor_label=_label(actor), kind=kind, changes=masked, note=note
    )


def volunteer_register(
    *,
    actor: User | None,
    community: Area,
    name: str,
    id_number: str,
    phone: str,
    kind: str = VolunteerKind.RESIDENT,
    unit_name: str = "",
    grid: Area | None = None,
    skills: Iterable[Skill] = (),
    preferences: str = "",
    availability: Iterable[str] | None = None,
    photo_consent: bool = False,
    notes: str = "",
    channel: str = RegistrationChannel.STAFF,
) -> Volunteer:
    """Register a volunteer. Registered by the community they are active at once; a self-registration
    (`channel="self"`, no actor) waits for the community's approval."""
    community = _community(community)
    if channel != RegistrationChannel.SELF:
        _manage(actor, community)
    if kind not in VolunteerKind.values:
        raise DomainError("志愿者来源不正确。", field="kind")
    parsed = _parse_id(id_number)
    name = _text(name, "姓名", "name", max_length=50)
    volunteer = Volunteer(
        community=community,
        kind=kind,
        unit_name=_text(unit_name, "所在单位", "unit_name", max_length=100, required=False),
        name=name,
        id_number=parsed.value,
        gender=parsed.gender,
        birth_date=parsed.birth_date,
        phone=_phone(phone),
        preferences=_text(preferences, "服务意向", "preferences", max_length=200, required=False),
        availability=_availability(availability),
        photo_consent=bool(photo_consent),
        notes=_text(notes, "备注", "notes", max_length=200, required=False),
        channel=channel,
        status=VolunteerStatus.APPLIED if channel == RegistrationChannel.SELF else VolunteerStatus.ACTIVE,
    )
    if kind in (VolunteerKind.UNIT, VolunteerKind.PARTY_MEMBER) and not volunteer.unit_name:
        raise DomainError("共建单位志愿者和在职党员请填写所在单位。", field="unit_name")
    with transaction.atomic():
        if Volunteer.objects.filter(community=community, id_number=parsed.value).exists():
            raise DomainError("该身份证号已在本社区登记为志愿者。", field="id_number")
        resident = resident_for(parsed.value, community)
        if resident is not None:
            volunteer.resident = resident
            if resident.name != name:
                raise DomainError("姓名与居民台账中该身份证号的登记不一致，请核对。", field="name")
            if grid is None and resident.grid.path.startswith(community.path + PATH_SEPARATOR):
                grid = resident.grid
        volunteer.grid = _check_grid(community, grid)
        _search_keys(volunteer)
        volunteer.save()
        refresh_name_grams(volunteer)
        skills = list(skills)
        if skills:
            volunteer.skills.set(skills)
        _volunteer_change(volunteer, actor, VolunteerChange.Kind.CREATE, diff({}, _snapshot(volunteer)))
        audit_record(
            actor=actor,
            action=Action.CREATE,
            obj=volunteer,
            changes={"name": [None, name], "channel": [None, channel], "status": [None, volunteer.status]},
        )
    return volunteer


def volunteer_update(*, actor: User | None, volunteer: Volunteer, **fields: Any) -> Volunteer:
    """Change a volunteer's details (any of: name, id_number, phone, kind, unit_name, grid, skills,
    preferences, availability, photo_consent, notes). The community stays: it keeps the records."""
    allowed = {
        "name",
        "id_number",
        "phone",
        "kind",
        "unit_name",
        "grid",
        "skills",
        "preferences",
        "availability",
        "photo_consent",
        "notes",
    }
    if unknown := set(fields) - allowed:
        raise DomainError("不能修改：" + "、".join(sorted(unknown)))
    _manage(actor, volunteer.community)
    with transaction.atomic():
        v = (
            Volunteer.objects.select_for_update(of=("self",))
            .select_related("community", "grid")
            .get(pk=volunteer.pk)
        )
        before = _snapshot(v)
        if "name" in fields:
            v.name = _text(fields["name"], "姓名", "name", max_length=50)
        if "id_number" in fields:
            parsed = _parse_id(fields["id_number"])
            if (
                parsed.value != v.id_number
                and Volunteer.objects.filter(community=v.community, id_number=parsed.value).exists()
            ):
                raise DomainError("该身份证号已在本社区登记为志愿者。", field="id_number")
            v.id_number, v.gender, v.birth_date = parsed.value, parsed.gender, parsed.birth_date
            v.resident = resident_for(parsed.value, v.community)
        if "phone" in fields:
            v.phone = _phone(fields["phone"])
        if "kind" in fields:
            if fields["kind"] not in VolunteerKind.values:
                raise DomainError("志愿者来源不正确。", field="kind")
            v.kind = fields["kind"]
        for key, label, length in (
            ("unit_name", "所在单位", 100),
            ("preferences", "服务意向", 200),
            ("notes", "备注", 200),
        ):
            if key in fields:
                setattr(v, key, _text(fields[key], label, key, max_length=length, required=False))
        if v.kind in (VolunteerKind.UNIT, VolunteerKind.PARTY_MEMBER) and not v.unit_name:
            raise DomainError("共建单位志愿者和在职党员请填写所在单位。", field="unit_name")
        if "grid" in fields:
            v.grid = _check_grid(v.community, fields["grid"])
        if "availability" in fields:
            v.availability = _availability(fields["availability"])
        if "photo_consent" in fields:
            v.photo_consent = bool(fields["photo_consent"])
        _search_keys(v)
        if "skills" in fields:
            v.skills.set(list(fields["skills"]))
        after = _snapshot(v)
        changes = diff(before, after)
        if not changes:
            return v
        v.updated_at = _now()
        v.save()
        if "name" in changes:
            refresh_name_grams(v)
        _volunteer_change(v, actor, VolunteerChange.Kind.UPDATE, changes)
        audit_record(actor=actor, action=Action.UPDATE, obj=v, changes=_mask_changes(changes))
    return v


def _mask_changes(changes: dict[str, Any]) -> dict[str, Any]:
    out = dict(changes)
    if "id_number" in out:
        out["id_number"] = [idnumber.mask_id(x) if x else x for x in out["id_number"]]
    if "phone" in out:
        out["phone"] = [idnumber.mask_phone(x) if x else x for x in out["phone"]]
    return out


def volunteer_set_status(
    *, actor: User | None, volunteer: Volunteer, status: str, note: str = ""
) -> Volunteer:
    """Approve (applied → active), suspend, reinstate or record leaving; suspending and leaving need a note."""
    _manage(actor, volunteer.community)
    if status not in VolunteerStatus.values:
        raise DomainError("状态不正确。", field="status")
    note = _text(note, "原因", "note", max_length=200, required=status in ("suspended", "left"))
    with transaction.atomic():
        v = Volunteer.objects.select_for_update(of=("self",)).select_related("community").get(pk=volunteer.pk)
        if status not in VOLUNTEER_TRANSITIONS[v.status]:
            raise DomainError(
                f"志愿者当前为“{v.get_status_display()}”，不能改为“{VolunteerStatus(status).label}”。",
                field="status",
            )
        old = v.status
        v.status, v.status_since, v.updated_at = status, _now(), _now()
        v.save(update_fields=["status", "status_since", "updated_at"])
        if status == VolunteerStatus.LEFT:
            TeamMembership.objects.filter(volunteer=v, left_on__isnull=True).update(
                left_on=timezone.localdate()
            )
        if status in (VolunteerStatus.LEFT, VolunteerStatus.SUSPENDED):
            # Future bookings lapse: someone who no longer serves holds no place.
            for record in ServiceRecord.objects.select_for_update().filter(
                volunteer=v, status=RecordStatus.BOOKED, activity__starts_at__gt=_now()
            ):
                _set_record(
                    record, actor, ServiceRecordChange.Kind.CANCEL, status=RecordStatus.CANCELLED, reason=note
                )
        _volunteer_change(v, actor, VolunteerChange.Kind.STATUS, {"status": [old, status]}, note)
        audit_record(
            actor=actor, action=Action.UPDATE, obj=v, changes={"status": [old, status], "note": note}
        )
    return v


def join_token(community: Area) -> str:
    """The community's public self-registration link token (printed as a QR code)."""
    return signing.dumps(community.pk, salt=JOIN_SALT, compress=True)


def community_for_join(token: str) -> Area:
    try:
        pk = signing.loads(token, salt=JOIN_SALT)
    except signing.BadSignature as exc:
        raise NotFound("报名链接无效。") from exc
    area = Area.objects.filter(pk=pk, kind=Area.Kind.COMMUNITY).first()
    if area is None:
        raise NotFound("报名链接无效。")
    return area


def volunteer_self_register(*, community: Area, ip: str | None, **fields: Any) -> Volunteer:
    """A person registers on their phone through the community's link; the community approves later.
    Limited per address per hour, like residents' public case submissions."""
    from linli.core.models import AuditEntry

    limit = settings.LINLI_PUBLIC_SUBMISSIONS_PER_HOUR
    if ip and limit:
        recent = AuditEntry.objects.filter(
            object_type="volunteers.volunteer",
            action=Action.CREATE,
            ip=ip,
            at__gte=_now() - timedelta(hours=1),
        )
        if recent[:limit].count() >= limit:
            raise RateLimited("提交过于频繁，请一小时后再试。")
    return volunteer_register(actor=None, community=community, channel=RegistrationChannel.SELF, **fields)


def card_token(volunteer: Volunteer) -> str:
    """The volunteer's personal sign-in card link (签到卡): revoked by `volunteer_card_reset`."""
    return signing.dumps([volunteer.pk, volunteer.card_version], salt=CARD_SALT, compress=True)


def volunteer_for_card(token: str) -> Volunteer:
    try:
        pk, version = signing.loads(token, salt=CARD_SALT)
    except (signing.BadSignature, ValueError, TypeError) as exc:
        raise NotFound("签到卡链接无效，请向社区索取新的链接。") from exc
    volunteer = Volunteer.objects.select_related("community").filter(pk=pk, card_version=version).first()
    if volunteer is None or volunteer.status != VolunteerStatus.ACTIVE:
        raise NotFound("签到卡链接无效，请向社区索取新的链接。")
    return volunteer


def volunteer_card_reset(*, actor: User | None, volunteer: Volunteer) -> Volunteer:
    """Revoke the volunteer's card link (a lost phone) and give a new one."""
    _manage(actor, volunteer.community)
    with transaction.atomic():
        v = Volunteer.objects.select_for_update().get(pk=volunteer.pk)
        v.card_version += 1
        v.save(update_fields=["card_version"])
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            obj=v,
            changes={"card_version": [v.card_version - 1, v.card_version]},
        )
    return v


def volunteer_reveal(*, actor: User, volunteer: Volunteer) -> None:
    """Record that `actor` saw the volunteer's ID number and phone unmasked."""
    require(actor, Capability.REVEAL_PERSONAL)
    require_path_in_scope(actor, volunteer.community.path)
    audit_record(actor=actor, action=Action.REVEAL, obj=volunteer, changes={"fields": ["id_number", "phone"]})


# --- teams ---------------------------------------------------------------------------------------


def _check_parent(community: Area, level: str, parent: Team | None, team: Team | None = None) -> None:
    if level not in TeamLevel.values:
        raise DomainError("队伍层级不正确。", field="level")
    if (parent.level if parent else None) not in TEAM_PARENTS[level]:
        raise DomainError(
            f"“{TeamLevel(level).label}”不能设在“{parent.get_level_display() if parent else '顶层'}”之下。",
            field="parent",
        )
    if parent is not None and parent.community_id != community.pk:
        raise DomainError("上级队伍须属于同一社区。", field="parent")
    walk = parent
    while walk is not None and team is not None:
        if walk.pk == team.pk:
            raise DomainError("上级队伍不能是本队或其下级。", field="parent")
        walk = walk.parent


def team_create(
    *,
    actor: User | None,
    community: Area,
    name: str,
    level: str = TeamLevel.TEAM,
    parent: Team | None = None,
    description: str = "",
) -> Team:
    community = _community(community)
    _manage(actor, community)
    name = _text(name, "队伍名称", "name", max_length=60)
    _check_parent(community, level, parent)
    with transaction.atomic():
        if Team.objects.filter(community=community, name=name).exists():
            raise DomainError("本社区已有同名队伍。", field="name")
        team = Team.objects.create(
            community=community,
            name=name,
            level=level,
            parent=parent,
            description=_text(description, "简介", "description", max_length=300, required=False),
        )
        audit_record(
            actor=actor,
            action=Action.CREATE,
            obj=team,
            changes={"name": [None, name], "level": [None, level]},
        )
    return team


def team_update(
    *,
    actor: User | None,
    team: Team,
    name: str | None = None,
    description: str | None = None,
    parent: Team | None | bool = False,
    active: bool | None = None,
) -> Team:
    """Rename, describe, move under another parent (`parent=None` makes it a root) or close a team
    (`active=False`: its members leave it; its activities and records stay)."""
    _manage(actor, team.community)
    with transaction.atomic():
        t = Team.objects.select_for_update(of=("self",)).select_related("community", "parent").get(pk=team.pk)
        before = {"name": t.name, "description": t.description, "parent": t.parent_id, "active": t.active}
        if name is not None:
            t.name = _text(name, "队伍名称", "name", max_length=60)
            if Team.objects.filter(community=t.community, name=t.name).exclude(pk=t.pk).exists():
                raise DomainError("本社区已有同名队伍。", field="name")
        if description is not None:
            t.description = _text(description, "简介", "description", max_length=300, required=False)
        if parent is not False:
            new_parent = parent if isinstance(parent, Team) else None
            _check_parent(t.community, t.level, new_parent, t)
            t.parent = new_parent
        if active is not None:
            if not active and t.children.filter(active=True).exists():
                raise DomainError("请先撤销下级队伍。", field="active")
            t.active = active
            if not active:
                TeamMembership.objects.filter(team=t, left_on__isnull=True).update(
                    left_on=timezone.localdate()
                )
        changes = diff(
            before, {"name": t.name, "description": t.description, "parent": t.parent_id, "active": t.active}
        )
        if changes:
            t.save()
            audit_record(actor=actor, action=Action.UPDATE, obj=t, changes=changes)
    return t


def team_add_member(
    *, actor: User | None, team: Team, volunteer: Volunteer, is_leader: bool = False
) -> TeamMembership:
    _manage(actor, team.community)
    if not team.active:
        raise DomainError("该队伍已撤销。", field="team")
    if volunteer.community_id != team.community_id:
        raise DomainError("只能加入本社区登记的志愿者。", field="volunteer")
    if volunteer.status != VolunteerStatus.ACTIVE:
        raise DomainError("只有在册志愿者可以加入队伍。", field="volunteer")
    with transaction.atomic():
        Team.objects.select_for_update().get(pk=team.pk)
        if TeamMembership.objects.filter(team=team, volunteer=volunteer, left_on__isnull=True).exists():
            raise DomainError(f"{volunteer.name}已在该队伍中。", field="volunteer")
        membership = TeamMembership.objects.create(team=team, volunteer=volunteer, is_leader=is_leader)
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            obj=team,
            changes={"members": [None, volunteer.name], "is_leader": [None, is_leader]},
        )
    return membership


def team_set_leader(*, actor: User | None, membership: TeamMembership, is_leader: bool) -> TeamMembership:
    _manage(actor, membership.team.community)
    with transaction.atomic():
        m = (
            TeamMembership.objects.select_for_update(of=("self",))
            .select_related("team", "volunteer")
            .get(pk=membership.pk)
        )
        if m.left_on is not None:
            raise DomainError("该队员已离队。")
        if m.is_leader != is_leader:
            m.is_leader = is_leader
            m.save(update_fields=["is_leader"])
            audit_record(
                actor=actor,
                action=Action.UPDATE,
                obj=m.team,
                changes={"leader": [m.volunteer.name, is_leader]},
            )
    return m


def team_remove_member(*, actor: User | None, membership: TeamMembership) -> TeamMembership:
    _manage(actor, membership.team.community)
    with transaction.atomic():
        m = (
            TeamMembership.objects.select_for_update(of=("self",))
            .select_related("team", "volunteer")
            .get(pk=membership.pk)
        )
        if m.left_on is not None:
            raise DomainError("该队员已离队。")
        m.left_on = timezone.localdate()
        m.save(update_fields=["left_on"])
        audit_record(
            actor=actor, action=Action.UPDATE, obj=m.team, changes={"members": [m.volunteer.name, None]}
        )
    return m


def leads_team(user: User | None, team: Team | None) -> bool:
    """Whether `user` is (through their volunteer registration) a current leader of `team` or of a team above."""
    if user is None or team is None or not getattr(user, "pk", None):
        return False
    ids = []
    walk: Team | None = team
    while walk is not None:
        ids.append(walk.pk)
        walk = walk.parent
    return TeamMembership.objects.filter(
        team_id__in=ids, volunteer__user=user, is_leader=True, left_on__isnull=True
    ).exists()


# --- activities ----------------------------------------------------------------------------------


def _may_organise(actor: User | None, community: Area, team: Team | None) -> None:
    """The community's volunteer managers, or a leader of the team (谁组织谁记录)."""
    if actor is None:
        return
    require_path_in_scope(actor, community.path)
    if actor.can(Capability.MANAGE_VOLUNTEERS) or leads_team(actor, team):
        return
    raise Forbidden("只有社区志愿服务管理人员或该队伍的队长可以组织活动。")


def may_run(actor: User | None, activity: Activity) -> bool:
    """Roll call and confirmation: the activity's leader, its organiser, or a manager in scope."""
    if actor is None:
        return True
    if not path_in_scope(activity.community.path, actor.scope_paths()):
        return False
    return (
        actor.can(Capability.MANAGE_VOLUNTEERS)
        or (activity.leader_id is not None and activity.leader_id == actor.pk)
        or leads_team(actor, activity.team)
    )


def _require_run(actor: User | None, activity: Activity) -> None:
    if actor is not None and not path_in_scope(activity.community.path, actor.scope_paths()):
        raise NotFound()
    if not may_run(actor, activity):
        raise Forbidden("只有活动负责人、组织者或社区志愿服务管理人员可以操作。")


def _check_times(starts_at: datetime, ends_at: datetime) -> None:
    if starts_at is None or ends_at is None:
        raise DomainError("请填写开始和结束时间。", field="starts_at")
    if ends_at <= starts_at:
        raise DomainError("结束时间须晚于开始时间。", field="ends_at")
    if ends_at - starts_at > timedelta(hours=24):
        raise DomainError("一次活动不能超过 24 小时，请分成多次活动。", field="ends_at")


MAX_TARGETS = 50


def _targets(
    community: Area, residents: Iterable[Resident], houses: Iterable[House]
) -> tuple[list[Resident], list[House]]:
    """The residents and houses an activity serves: active residents and houses of its own community
    (the caller read them through the actor's scope), at most MAX_TARGETS together."""
    residents, houses = list(residents), list(houses)
    if len(residents) + len(houses) > MAX_TARGETS:
        raise DomainError(
            f"服务对象最多 {MAX_TARGETS} 个；人数多时请在“服务对象”说明中写明范围。", field="target_residents"
        )
    under = community.path + PATH_SEPARATOR
    for r in residents:
        if not r.grid.path.startswith(under) or r.status != ResidentStatus.ACTIVE:
            raise DomainError(f"服务对象“{r.name}”不是本社区的在册居民。", field="target_residents")
    for h in houses:
        if not h.building.grid.path.startswith(under):
            raise DomainError(f"房屋 {h} 不在本社区。", field="target_houses")
    return residents, houses


def _target_ids(activity: Activity) -> dict[str, list[int]]:
    return {
        "target_residents": sorted(activity.target_residents.values_list("pk", flat=True)),
        "target_houses": sorted(activity.target_houses.values_list("pk", flat=True)),
    }


def activity_create(
    *,
    actor: User | None,
    community: Area,
    title: str,
    place: str,
    starts_at: datetime,
    ends_at: datetime,
    capacity: int,
    team: Team | None = None,
    grid: Area | None = None,
    description: str = "",
    skills: Iterable[Skill] = (),
    target_note: str = "",
    target_residents: Iterable[Resident] = (),
    target_houses: Iterable[House] = (),
    leader: User | None = None,
    min_attendance_percent: int | None = None,
) -> Activity:
    community = _community(community)
    _may_organise(actor, community, team)
    if team is not None and (team.community_id != community.pk or not team.active):
        raise DomainError("队伍不属于该社区或已撤销。", field="team")
    _check_times(starts_at, ends_at)
    if starts_at < _now() - timedelta(days=1):
        raise DomainError("不能发布已经过去的活动。", field="starts_at")
    if not 1 <= int(capacity or 0) <= 10000:
        raise DomainError("名额须在 1 到 10000 之间。", field="capacity")
    percent = (
        settings.LINLI_VOLUNTEER_MIN_ATTENDANCE_PERCENT
        if min_attendance_percent is None
        else min_attendance_percent
    )
    if not 1 <= int(percent) <= 100:
        raise DomainError("计时比例须在 1% 到 100% 之间。", field="min_attendance_percent")
    if (
        leader is not None
        and not path_in_scope(community.path, leader.scope_paths())
        and not hasattr(leader, "volunteer")
    ):
        raise DomainError("活动负责人须是本社区的工作人员或志愿者。", field="leader")
    residents, houses = _targets(community, target_residents, target_houses)
    with transaction.atomic():
        activity = Activity.objects.create(
            community=community,
            grid=_check_grid(community, grid),
            team=team,
            title=_text(title, "活动名称", "title", max_length=100),
            description=clean_text(description, field="description", label="服务内容", limit=2000),
            place=_text(place, "地点", "place", max_length=150),
            starts_at=starts_at,
            ends_at=ends_at,
            capacity=int(capacity),
            target_note=_text(target_note, "服务对象", "target_note", max_length=200, required=False),
            leader=leader or actor,
            min_attendance_percent=int(percent),
            checkin_token=secrets.token_urlsafe(18),
            created_by=actor,
        )
        if skills := list(skills):
            activity.skills.set(skills)
        if residents:
            activity.target_residents.set(residents)
        if houses:
            activity.target_houses.set(houses)
        audit_record(
            actor=actor,
            action=Action.CREATE,
            obj=activity,
            changes={"title": [None, activity.title], "starts_at": [None, _local(starts_at)]},
        )
    return activity


def activity_update(*, actor: User | None, activity: Activity, **fields: Any) -> Activity:
    """Change an activity before it starts (title, description, place, times, capacity, skills,
    target_note, leader). Capacity cannot drop below the places already taken."""
    allowed = {
        "title",
        "description",
        "place",
        "starts_at",
        "ends_at",
        "capacity",
        "skills",
        "target_note",
        "target_residents",
        "target_houses",
        "leader",
    }
    if unknown := set(fields) - allowed:
        raise DomainError("不能修改：" + "、".join(sorted(unknown)))
    _may_organise(actor, activity.community, activity.team)
    with transaction.atomic():
        a = Activity.objects.select_for_update(of=("self",)).select_related("community").get(pk=activity.pk)
        if a.status != ActivityStatus.PUBLISHED:
            raise DomainError("活动已取消或已确认，不能修改。")
        if a.starts_at <= _now():
            raise DomainError("活动已开始，不能再修改；如有出入请更正服务记录。")
        before = {
            k: getattr(a, k)
            for k in (
                "title",
                "description",
                "place",
                "starts_at",
                "ends_at",
                "capacity",
                "target_note",
                "leader_id",
            )
        }
        for key, label, length in (("title", "活动名称", 100), ("place", "地点", 150)):
            if key in fields:
                setattr(a, key, _text(fields[key], label, key, max_length=length))
        if "description" in fields:
            a.description = clean_text(
                fields["description"], field="description", label="服务内容", limit=2000
            )
        if "target_note" in fields:
            a.target_note = _text(
                fields["target_note"], "服务对象", "target_note", max_length=200, required=False
            )
        if "starts_at" in fields:
            a.starts_at = fields["starts_at"]
        if "ends_at" in fields:
            a.ends_at = fields["ends_at"]
        _check_times(a.starts_at, a.ends_at)
        if "capacity" in fields:
            taken = a.records.filter(status__in=HOLDING_STATUSES).count()
            if not 1 <= int(fields["capacity"] or 0) <= 10000:
                raise DomainError("名额须在 1 到 10000 之间。", field="capacity")
            if int(fields["capacity"]) < taken:
                raise DomainError(f"已有 {taken} 人报名，名额不能少于报名人数。", field="capacity")
            a.capacity = int(fields["capacity"])
        if "leader" in fields:
            a.leader = fields["leader"]
        if "skills" in fields:
            a.skills.set(list(fields["skills"]))
        targets_before = _target_ids(a)
        if "target_residents" in fields or "target_houses" in fields:
            residents, houses = _targets(
                a.community,
                fields.get("target_residents", a.target_residents.all()),
                fields.get("target_houses", a.target_houses.all()),
            )
            a.target_residents.set(residents)
            a.target_houses.set(houses)
        if "starts_at" in fields or "ends_at" in fields:
            for record in a.records.filter(status__in=HOLDING_STATUSES).select_related("volunteer"):
                _refuse_overlap(record.volunteer, a, exclude=record.pk)
            a.records.update(day=timezone.localdate(a.starts_at))
        after = {k: getattr(a, k) for k in before}
        changes = diff(before, after)
        targets_after = _target_ids(a)
        for key in targets_before:
            if targets_before[key] != targets_after[key]:
                changes[key] = [targets_before[key], targets_after[key]]
        if changes:
            a.save()
            audit_record(actor=actor, action=Action.UPDATE, obj=a, changes=changes)
    return a


def activity_cancel(*, actor: User | None, activity: Activity, reason: str) -> Activity:
    """Call an activity off before it ends; its bookings are cancelled. Nothing was served: no hours."""
    _may_organise(actor, activity.community, activity.team)
    reason = _text(reason, "取消原因", "reason", max_length=200)
    with transaction.atomic():
        a = Activity.objects.select_for_update(of=("self",)).select_related("community").get(pk=activity.pk)
        if a.status != ActivityStatus.PUBLISHED:
            raise DomainError("活动已取消或已确认。")
        if a.records.filter(status__in=(RecordStatus.SIGNED_IN, RecordStatus.SIGNED_OUT)).exists():
            raise DomainError("已有志愿者签到，不能取消活动；请在活动结束后确认或更正服务记录。")
        a.status, a.cancel_reason = ActivityStatus.CANCELLED, reason
        a.save(update_fields=["status", "cancel_reason"])
        for record in ServiceRecord.objects.select_for_update().filter(
            activity=a, status=RecordStatus.BOOKED
        ):
            _set_record(
                record, actor, ServiceRecordChange.Kind.CANCEL, status=RecordStatus.CANCELLED, reason=reason
            )
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            obj=a,
            changes={"status": ["published", "cancelled"], "reason": reason},
        )
    return a


def activity_rotate_code(*, actor: User | None, activity: Activity) -> Activity:
    """A new place QR code, if the old one was passed around to people not on site."""
    _require_run(actor, activity)
    with transaction.atomic():
        a = Activity.objects.select_for_update().get(pk=activity.pk)
        a.checkin_token = secrets.token_urlsafe(18)
        a.save(update_fields=["checkin_token"])
        audit_record(actor=actor, action=Action.UPDATE, obj=a, changes={"checkin_token": ["…", "…"]})
    return a


# --- bookings ------------------------------------------------------------------------------------


def _refuse_overlap(volunteer: Volunteer, activity: Activity, exclude: int | None = None) -> None:
    others = (
        ServiceRecord.objects.filter(volunteer=volunteer, status__in=HOLDING_STATUSES)
        .filter(activity__starts_at__lt=activity.ends_at, activity__ends_at__gt=activity.starts_at)
        .exclude(activity=activity)
    )
    if exclude is not None:
        others = others.exclude(pk=exclude)
    clash = others.select_related("activity").first()
    if clash is not None:
        other = clash.activity
        raise DomainError(
            f"{volunteer.name}在同一时段已报名“{other.title}”"
            f"（{_local(other.starts_at)}–{timezone.localtime(other.ends_at):%H:%M}），不能重复报名。",
            field="volunteer",
            code="overlap",
        )


def _book(actor: User | None, activity: Activity, volunteer: Volunteer, *, assigned: bool) -> ServiceRecord:
    with transaction.atomic():
        # The activity's row lock serialises bookings: two last-minute sign-ups cannot both take the last place.
        a = Activity.objects.select_for_update(of=("self",)).select_related("community").get(pk=activity.pk)
        v = Volunteer.objects.select_for_update().get(pk=volunteer.pk)
        if a.status != ActivityStatus.PUBLISHED:
            raise DomainError("活动已取消或已结束，不能报名。", code="closed")
        if a.ends_at <= _now():
            raise DomainError("活动已结束，不能报名。", code="closed")
        if v.status != VolunteerStatus.ACTIVE:
            raise DomainError(
                f"{v.name}不是在册志愿者（{v.get_status_display()}），不能报名。", field="volunteer"
            )
        if v.community_id != a.community_id and not path_in_scope(a.community.path, [street_of(v.community)]):
            raise DomainError("只能报名本街道社区的活动。", field="volunteer")
        existing = ServiceRecord.objects.select_for_update().filter(activity=a, volunteer=v).first()
        if existing is not None and existing.status != RecordStatus.CANCELLED:
            raise DomainError(f"{v.name}已报名该活动。", field="volunteer", code="duplicate")
        taken = a.records.filter(status__in=HOLDING_STATUSES).count()
        if taken >= a.capacity:
            raise DomainError(f"活动名额已满（{a.capacity} 人）。", code="full")
        _refuse_overlap(v, a)
        if existing is not None:
            return _set_record(
                existing,
                actor,
                ServiceRecordChange.Kind.ASSIGN if assigned else ServiceRecordChange.Kind.BOOK,
                status=RecordStatus.BOOKED,
                assigned=assigned,
                booked_at=_now(),
            )
        record = ServiceRecord.objects.create(
            volunteer=v,
            activity=a,
            community=a.community,
            grid=v.grid,
            team=a.team,
            day=timezone.localdate(a.starts_at),
            assigned=assigned,
        )
        ServiceRecordChange.objects.create(
            record=record,
            actor=actor,
            actor_label=_label(actor) or v.name,
            kind=ServiceRecordChange.Kind.ASSIGN if assigned else ServiceRecordChange.Kind.BOOK,
        )
        audit_record(
            actor=actor,
            action=Action.CREATE,
            obj=record,
            object_repr=f"{v.name}：{a.title}",
            actor_label=None if actor else f"志愿者 {v.name}",
        )
    return record


def activity_assign(*, actor: User | None, activity: Activity, volunteer: Volunteer) -> ServiceRecord:
    """The organiser places a volunteer in an activity (capacity and overlaps checked as for a sign-up)."""
    _require_run(actor, activity)
    return _book(actor, activity, volunteer, assigned=True)


def activity_sign_up(*, volunteer: Volunteer, activity: Activity) -> ServiceRecord:
    """A volunteer signs up from their card (no account: the card link identifies them)."""
    return _book(None, activity, volunteer, assigned=False)


def record_cancel(
    *, actor: User | None, record: ServiceRecord, reason: str = "", by_volunteer: bool = False
) -> ServiceRecord:
    """Withdraw a booking before the activity starts (the volunteer from their card, or the organiser)."""
    if not by_volunteer:
        _require_run(actor, record.activity)
    with transaction.atomic():
        r = (
            ServiceRecord.objects.select_for_update(of=("self",))
            .select_related("activity", "volunteer")
            .get(pk=record.pk)
        )
        if r.status != RecordStatus.BOOKED:
            raise DomainError("只能取消尚未签到的报名。")
        if r.activity.starts_at <= _now() and by_volunteer:
            raise DomainError("活动已开始，不能自行取消报名，请联系活动负责人。")
        return _set_record(
            r,
            actor,
            ServiceRecordChange.Kind.CANCEL,
            status=RecordStatus.CANCELLED,
            reason=_text(reason, "原因", "reason", max_length=200, required=False),
        )


def _shown(value: Any) -> Any:
    if isinstance(value, datetime):
        return _local(value)
    if hasattr(value, "pk"):
        return _label(value)
    return value


def _set_record(
    record: ServiceRecord, actor: User | None, kind: str, *, reason: str = "", **values: Any
) -> ServiceRecord:
    changes: dict[str, Any] = {}
    for key, value in values.items():
        old = getattr(record, key)
        if old != value:
            changes[key] = [_shown(old), _shown(value)]
            setattr(record, key, value)
    record.save()
    ServiceRecordChange.objects.create(
        record=record,
        actor=actor,
        actor_label=_label(actor)
        or ("系统" if kind == ServiceRecordChange.Kind.AUTO_CLOSE else record.volunteer.name),
        kind=kind,
        changes=changes,
        reason=reason,
    )
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        obj=record,
        object_repr=f"{record.volunteer.name}：{record.activity.title}",
        changes={**changes, "action": kind, **({"reason": reason} if reason else {})},
        actor_label=None
        if actor
        else ("系统" if kind == ServiceRecordChange.Kind.AUTO_CLOSE else f"志愿者 {record.volunteer.name}"),
    )
    return record


# --- attendance ----------------------------------------------------------------------------------


def counted_minutes(activity: Activity, signed_in_at: datetime, signed_out_at: datetime) -> int:
    """Minutes of the slot between sign-in and sign-out, or 0 if they cover less than the set share."""
    start = max(signed_in_at, activity.starts_at)
    end = min(signed_out_at, activity.ends_at)
    attended = max(0, int((end - start).total_seconds() // 60))
    slot = activity.slot_minutes
    if slot <= 0 or attended * 100 < activity.min_attendance_percent * slot:
        return 0
    return attended


def record_sign_in(
    *, actor: User | None, record: ServiceRecord, method: str = SignMethod.QR, token: str = ""
) -> ServiceRecord:
    """Sign in at the place: with the place's QR code (`token`, from the volunteer's phone) or by the
    leader's roll call (`actor` runs the activity). Only inside the slot (from 30 minutes before), once."""
    now = _now()
    with transaction.atomic():
        r = (
            ServiceRecord.objects.select_for_update(of=("self",))
            .select_related("activity__community", "volunteer")
            .get(pk=record.pk)
        )
        a = r.activity
        if method == SignMethod.QR:
            if not token or not secrets.compare_digest(token, a.checkin_token):
                raise DomainError("签到码无效，请扫描活动现场的二维码。", code="bad_code")
        elif method == SignMethod.ROLL_CALL:
            _require_run(actor, a)
        else:
            raise DomainError("签到方式不正确。")
        if a.status != ActivityStatus.PUBLISHED:
            raise DomainError("活动已取消或已确认，不能签到。", code="closed")
        if r.status in (RecordStatus.SIGNED_IN, RecordStatus.SIGNED_OUT, RecordStatus.CONFIRMED):
            raise DomainError(f"{r.volunteer.name}已签到，不能重复签到。", code="already_signed_in")
        if r.status != RecordStatus.BOOKED:
            raise DomainError(f"{r.volunteer.name}的报名已取消，请先重新报名。", code="not_booked")
        if now < a.starts_at - EARLY_SIGN_IN or now >= a.ends_at:
            raise DomainError(
                f"不在活动时段内，不能签到（可签到时间：{_local(a.starts_at - EARLY_SIGN_IN)} 至 "
                f"{timezone.localtime(a.ends_at):%H:%M}）。",
                code="outside_slot",
            )
        return _set_record(
            r,
            actor,
            ServiceRecordChange.Kind.SIGN_IN,
            status=RecordStatus.SIGNED_IN,
            signed_in_at=now,
            sign_in_method=method,
        )


def record_sign_out(
    *, actor: User | None, record: ServiceRecord, method: str = SignMethod.QR, token: str = ""
) -> ServiceRecord:
    """Sign out: the minutes are worked out from the sign-in, inside the slot."""
    now = _now()
    with transaction.atomic():
        r = (
            ServiceRecord.objects.select_for_update(of=("self",))
            .select_related("activity__community", "volunteer")
            .get(pk=record.pk)
        )
        a = r.activity
        if method == SignMethod.QR:
            if not token or not secrets.compare_digest(token, a.checkin_token):
                raise DomainError("签到码无效，请扫描活动现场的二维码。", code="bad_code")
        elif method == SignMethod.ROLL_CALL:
            _require_run(actor, a)
        else:
            raise DomainError("签退方式不正确。")
        if r.status != RecordStatus.SIGNED_IN:
            raise DomainError(
                f"{r.volunteer.name}尚未签到，不能签退。"
                if r.status == RecordStatus.BOOKED
                else f"{r.volunteer.name}已签退。",
                code="not_signed_in",
            )
        signed_in_at = r.signed_in_at or a.starts_at
        out = max(min(now, a.ends_at), signed_in_at)
        return _set_record(
            r,
            actor,
            ServiceRecordChange.Kind.SIGN_OUT,
            status=RecordStatus.SIGNED_OUT,
            signed_out_at=out,
            sign_out_method=method,
            minutes=counted_minutes(a, signed_in_at, out),
        )


def records_close_forgotten(now: datetime | None = None) -> int:
    """The sweep: a record still signed in after its slot ended is signed out at the slot's end and flagged
    (`auto_closed`) for the organiser to check. Claimed with a conditional UPDATE: running twice is safe."""
    now = now or _now()
    closed = 0
    due = ServiceRecord.objects.filter(status=RecordStatus.SIGNED_IN, activity__ends_at__lte=now).values_list(
        "pk", flat=True
    )
    for pk in list(due[:5000]):
        with transaction.atomic():
            r = ServiceRecord.objects.select_related("activity", "volunteer").get(pk=pk)
            a = r.activity
            minutes = counted_minutes(a, r.signed_in_at or a.starts_at, a.ends_at)
            claimed = ServiceRecord.objects.filter(pk=pk, status=RecordStatus.SIGNED_IN).update(
                status=RecordStatus.SIGNED_OUT,
                signed_out_at=a.ends_at,
                sign_out_method=SignMethod.SWEEP,
                auto_closed=True,
                minutes=minutes,
            )
            if not claimed:
                continue
            ServiceRecordChange.objects.create(
                record=r,
                actor_label="系统",
                kind=ServiceRecordChange.Kind.AUTO_CLOSE,
                changes={"signed_out_at": [None, _local(a.ends_at)], "minutes": [0, minutes]},
                reason="未签退，按活动结束时间自动签退，请组织者核实",
            )
            closed += 1
    return closed


def record_correct(
    *,
    actor: User | None,
    record: ServiceRecord,
    signed_in_at: datetime,
    signed_out_at: datetime,
    reason: str,
) -> ServiceRecord:
    """The organiser corrects a record's times (a forgotten sign-out, a phone without signal), with a reason.
    Never beyond the slot: hours cannot be added that the activity did not have."""
    _require_run(actor, record.activity)
    reason = _text(reason, "更正原因", "reason", max_length=200)
    with transaction.atomic():
        r = (
            ServiceRecord.objects.select_for_update(of=("self",))
            .select_related("activity__community", "volunteer")
            .get(pk=record.pk)
        )
        a = r.activity
        if r.status == RecordStatus.CONFIRMED:
            raise DomainError("记录已确认，不能再更正。", code="confirmed")
        if r.status == RecordStatus.CANCELLED:
            raise DomainError("报名已取消，不能更正。")
        if a.ends_at > _now():
            raise DomainError("活动结束后才能更正服务记录。")
        if signed_in_at is None or signed_out_at is None or signed_out_at <= signed_in_at:
            raise DomainError("签退时间须晚于签到时间。", field="signed_out_at")
        if signed_in_at < a.starts_at or signed_out_at > a.ends_at:
            raise DomainError(
                f"更正后的时间不能超出活动时段（{_local(a.starts_at)} 至 {timezone.localtime(a.ends_at):%H:%M}）。",
                field="signed_out_at",
                code="beyond_slot",
            )
        return _set_record(
            r,
            actor,
            ServiceRecordChange.Kind.CORRECT,
            reason=reason,
            status=RecordStatus.SIGNED_OUT,
            signed_in_at=signed_in_at,
            signed_out_at=signed_out_at,
            sign_in_method=r.sign_in_method or SignMethod.CORRECTION,
            sign_out_method=SignMethod.CORRECTION,
            auto_closed=False,
            corrected=True,
            minutes=counted_minutes(a, signed_in_at, signed_out_at),
        )


def records_confirm(
    *, actor: User | None, activity: Activity, records: Sequence[ServiceRecord] | None = None
) -> list[ServiceRecord]:
    """After the event the leader confirms the records (all, or those chosen) in one go: signed-out records
    become confirmed, bookings nobody signed in for become absences. Sends `service_confirmed` inside the
    transaction; a receiver that raises undoes the whole confirmation."""
    _require_run(actor, activity)
    now = _now()
    with transaction.atomic():
        a = Activity.objects.select_for_update(of=("self",)).select_related("community").get(pk=activity.pk)
        if a.status == ActivityStatus.CANCELLED:
            raise DomainError("活动已取消。")
        if a.ends_at > now:
            raise DomainError("活动结束后才能确认服务记录。", code="not_ended")
        records_close_forgotten(now)
        qs = (
            ServiceRecord.objects.select_for_update(of=("self",))
            .filter(activity=a)
            .select_related("volunteer", "activity")
        )
        if records is not None:
            qs = qs.filter(pk__in=[r.pk for r in records])
        confirmed: list[ServiceRecord] = []
        absent = 0
        for r in qs.order_by("pk"):
            if r.status == RecordStatus.SIGNED_OUT:
                confirmed.append(
                    _set_record(
                        r,
                        actor,
                        ServiceRecordChange.Kind.CONFIRM,
                        status=RecordStatus.CONFIRMED,
                        confirmed_at=now,
                        confirmed_by=actor,
                    )
                )
            elif r.status == RecordStatus.BOOKED:
                _set_record(r, actor, ServiceRecordChange.Kind.ABSENT, status=RecordStatus.ABSENT, minutes=0)
                absent += 1
        if not confirmed and not absent:
            raise DomainError("没有待确认的服务记录。", code="nothing")
        # The statistics' monthly roll-up, in this transaction: exact as of this confirmation.
        rollup.add(confirmed)
        if not ServiceRecord.objects.filter(
            activity=a, status__in=(RecordStatus.BOOKED, RecordStatus.SIGNED_IN, RecordStatus.SIGNED_OUT)
        ).exists():
            a.status, a.confirmed_at = ActivityStatus.CONFIRMED, now
            a.save(update_fields=["status", "confirmed_at"])
        service_confirmed.send(sender=ServiceRecord, records=confirmed, actor=actor)
    return confirmed


def service_months_recount(*, actor: User | None) -> int:
    """Rebuild the statistics' monthly roll-up from the confirmed records (an operator's repair, when
    `linli check` found them different). Returns how many cells differed; audited."""
    with transaction.atomic():
        differences = rollup.rebuild()
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            object_type="volunteers.servicemonth",
            object_repr="志愿服务月度汇总 · 重新统计",
            changes={"cells_differing": [differences, 0]},
        )
    return differences


# --- proofs and recognition ----------------------------------------------------------------------


def star_level(minutes: int) -> int:
    """星级 by confirmed hours: the number of thresholds (LINLI_VOLUNTEER_STAR_HOURS) reached."""
    hours = minutes / 60
    return sum(1 for h in settings.LINLI_VOLUNTEER_STAR_HOURS if hours >= h)


def confirmed_minutes(
    volunteer: Volunteer, start: date | None = None, end: date | None = None
) -> tuple[int, int]:
    """(minutes, records) of the volunteer's confirmed service kept by their community."""
    qs = ServiceRecord.objects.filter(
        volunteer=volunteer, status=RecordStatus.CONFIRMED, community=volunteer.community_id
    )
    if start:
        qs = qs.filter(day__gte=start)
    if end:
        qs = qs.filter(day__lte=end)
    row = qs.aggregate(m=Sum("minutes"))
    return int(row["m"] or 0), qs.filter(minutes__gt=0).count()


def proof_issue(
    *, actor: User | None, volunteer: Volunteer, period_start: date, period_end: date, purpose: str = ""
) -> Proof:
    """志愿服务证明: the community that kept the records proves them (谁记录谁证明), numbered per year."""
    _manage(actor, volunteer.community)
    if period_start is None or period_end is None or period_end < period_start:
        raise DomainError("证明期间不正确：结束日期须不早于开始日期。", field="period_end")
    if period_end > timezone.localdate():
        raise DomainError("证明期间不能包含将来的日期。", field="period_end")
    minutes, count = confirmed_minutes(volunteer, period_start, period_end)
    if not minutes:
        raise DomainError("该期间没有已确认的服务时长，不能出具证明。", field="period_start")
    with transaction.atomic():
        community = Area.objects.select_for_update().get(pk=volunteer.community_id)
        year = timezone.localdate().year
        prefix = f"ZYFW-{community.code}-{year}-"
        last = (
            Proof.objects.filter(number__startswith=prefix)
            .order_by("-number")
            .values_list("number", flat=True)
            .first()
        )
        seq = int(last.rsplit("-", 1)[1]) + 1 if last else 1
        proof = Proof.objects.create(
            number=f"{prefix}{seq:05d}",
            volunteer=volunteer,
            community=community,
            period_start=period_start,
            period_end=period_end,
            minutes=minutes,
            records=count,
            purpose=_text(purpose, "用途", "purpose", max_length=100, required=False),
            verify_token=secrets.token_urlsafe(18),
            issued_by=actor,
            issued_by_label=_label(actor),
        )
        audit_record(
            actor=actor,
            action=Action.CREATE,
            obj=proof,
            object_repr=f"{proof.number} {volunteer.name}",
            changes={"minutes": [None, minutes], "period": [None, f"{period_start}—{period_end}"]},
        )
    return proof


def proof_revoke(*, actor: User | None, proof: Proof, reason: str) -> Proof:
    """Withdraw a proof issued in error; its public page then says it was revoked."""
    _manage(actor, proof.community)
    reason = _text(reason, "作废原因", "reason", max_length=200)
    with transaction.atomic():
        p = Proof.objects.select_for_update().get(pk=proof.pk)
        if p.revoked_at is not None:
            raise DomainError("该证明已作废。")
        p.revoked_at, p.revoke_reason = _now(), reason
        p.save(update_fields=["revoked_at", "revoke_reason"])
        audit_record(
            actor=actor, action=Action.UPDATE, obj=p, changes={"revoked": [False, True], "reason": reason}
        )
    return p


# --- skills --------------------------------------------------------------------------------------


def skill_create(*, actor: User | None, code: str, name: str) -> Skill:
    require(actor, Capability.CONFIGURE)
    code = _text(code, "代码", "code", max_length=32).lower()
    name = _text(name, "名称", "name", max_length=40)
    with transaction.atomic():
        if Skill.objects.filter(Q(code=code) | Q(name=name)).exists():
            raise DomainError("已有同名或同代码的技能。", field="name")
        skill = Skill.objects.create(code=code, name=name, order=Skill.objects.count())
        audit_record(actor=actor, action=Action.CREATE, obj=skill, area_path="")
    return skill
