"""Every write to cases goes through here: intake, the workflow's moves, the deadline sweep.

A move locks the case row, re-checks the status against the transition table (so of
two workers clicking at once, the second sees the first's result and is refused),
applies itself, and appends a `CaseEvent`. Notifications go out after commit.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from linli.accounts.roles import Capability, Role
from linli.areas.models import Area, GridAssignment
from linli.cases import channels, deadlines, routing
from linli.cases.models import (
    OPEN_STATUSES,
    CalendarOverride,
    Case,
    CaseCounter,
    CaseEvent,
    CasePhoto,
    Category,
    CategoryLimit,
    Channel,
    Department,
    ExtensionRequest,
    LimitUnit,
    Notification,
    Satisfaction,
    Stage,
    Status,
    Urgency,
)
from linli.cases.workcalendar import WorkCalendar
from linli.core.audit import Action, audit_record
from linli.core.context import current_origin
from linli.core.errors import DomainError, Forbidden
from linli.core.permissions import require, require_path_in_scope
from linli.core.scoping import path_in_scope
from linli.core.validation import check_photo, finite_number, lat_lng
from linli.core.validation import clean_text as _text
from linli.registry import normalise
from linli.registry.models import Building, House, Resident

if TYPE_CHECKING:
    from linli.accounts.models import User

A = CaseEvent.Action

# action → (statuses it may start from, status it leads to; None = unchanged)
TRANSITIONS: dict[str, tuple[tuple[str, ...], str | None]] = {
    A.REGISTER: ((Status.RECEIVED,), Status.REGISTERED),
    A.REJECT: ((Status.RECEIVED,), Status.REJECTED),
    A.DISPATCH: ((Status.REGISTERED, Status.DISPATCHED), Status.DISPATCHED),
    A.ACCEPT: ((Status.DISPATCHED,), Status.HANDLING),
    A.RETURN: ((Status.DISPATCHED, Status.HANDLING), Status.REGISTERED),
    A.FINISH: ((Status.HANDLING,), Status.HANDLED),
    A.VERIFY: ((Status.HANDLED,), Status.VERIFYING),
    A.PASS: ((Status.VERIFYING,), Status.CLOSED),
    A.REWORK: ((Status.HANDLED, Status.VERIFYING), Status.HANDLING),
    A.RESIDENT_CONFIRM: ((Status.HANDLED, Status.VERIFYING), Status.CLOSED),
    # A resident may also say a closed case is not solved, within LINLI_RESIDENT_REOPEN_DAYS.
    A.RESIDENT_DISPUTE: ((Status.HANDLED, Status.VERIFYING, Status.CLOSED), Status.HANDLING),
    A.RELOCATE: (OPEN_STATUSES, None),
    A.FOLLOW_UP: ((Status.CLOSED,), None),
    A.REOPEN: ((Status.CLOSED,), Status.HANDLING),
    A.MERGE: ((Status.RECEIVED, Status.REGISTERED), Status.MERGED),
    A.EXTENSION_REQUEST: ((Status.DISPATCHED, Status.HANDLING), None),
    A.EXTENSION_APPROVE: ((Status.DISPATCHED, Status.HANDLING), None),
    A.EXTENSION_DENY: ((Status.DISPATCHED, Status.HANDLING), None),
}

SYSTEM_LABEL = "系统"
RESIDENT_LABEL = "居民本人"


# --- helpers ---------------------------------------------------------------------------


def person_label(user: User | None) -> str:
    """How a person appears in a case's history: "梁建华（网格员）", never a login."""
    if user is None:
        return ""
    name = user.full_name or user.username
    return f"{name}（{user.get_role_display()}）" if user.role else name


def _label(actor: User | None) -> str:
    if actor is not None and actor.pk:
        return person_label(actor)
    return current_origin().operator or SYSTEM_LABEL


def is_handler(actor: User | None, case: Case) -> bool:
    if actor is None:
        return True
    if case.assignee_id == actor.pk:
        return True
    return bool(
        case.department_id and case.department and case.department.members.filter(pk=actor.pk).exists()
    )


def users_with_role_in(area: Area, *roles: str) -> list[User]:
    """Active users of these roles bound to `area` or one of its ancestors."""
    from linli.accounts.models import User

    paths = [*area.ancestor_paths(), area.path]
    return list(
        User.objects.filter(role__in=roles, is_active=True, bindings__area__path__in=paths)
        .distinct()
        .order_by("pk")
    )


def users_with_role(case: Case, *roles: str) -> list[User]:
    return users_with_role_in(case.area, *roles)


def grid_leaders(case: Case) -> list[User]:
    if case.area.kind != Area.Kind.GRID:
        return []
    paths = [*case.area.ancestor_paths(), case.area.path]
    assignments = (
        GridAssignment.objects.current(timezone.localdate())
        .filter(grid__path__in=paths, duty=GridAssignment.Duty.LEADER, user__is_active=True)
        .select_related("user")
    )
    return [a.user for a in assignments]


def responsible(case: Case) -> list[User]:
    """Who must act next: the handler(s) while handling, the community's dispatchers otherwise."""
    if case.status in (Status.DISPATCHED, Status.HANDLING):
        if case.assignee_id:
            return [case.assignee]  # type: ignore[list-item]
        if case.department_id:
            return list(case.department.members.filter(is_active=True))  # type: ignore[union-attr]
    if case.status == Status.VERIFYING and case.verifier_id:
        return [case.verifier]  # type: ignore[list-item]
    return users_with_role(case, Role.COMMUNITY_WORKER, Role.COMMUNITY_LEADER)


def notify(users: Iterable[User | None], case: Case | None, kind: str, text: str, *, link: str = "") -> None:
    """Put an item in each user's inbox; outbound channels copy it once the transaction commits."""
    seen: set[int] = set()
    rows = []
    for user in users:
        if user is None or user.pk in seen or not user.is_active:
            continue
        seen.add(user.pk)
        rows.append(Notification(user=user, case=case, kind=kind, text=text[:300], link=link))
    if not rows:
        return
    created = Notification.objects.bulk_create(rows)
    ids = [n.pk for n in created if n.pk] or list(
        Notification.objects.filter(case=case, kind=kind, user__in=seen).values_list("pk", flat=True)
    )
    transaction.on_commit(lambda: channels.deliver(ids))


def _event(
    case: Case,
    actor: User | None,
    action: str,
    *,
    from_status: str = "",
    note: str = "",
    data: dict[str, Any] | None = None,
    public: bool = True,
    at: datetime | None = None,
    label: str | None = None,
) -> CaseEvent:
    return CaseEvent.objects.create(
        case=case,
        at=at or timezone.now(),
        actor=actor if actor is not None and actor.pk else None,
        actor_label=label or _label(actor),
        action=action,
        from_status=from_status,
        to_status=case.status,
        note=note,
        data=data or {},
        public=public,
    )


def _lock(case: Case | int) -> Case:
    pk = case if isinstance(case, int) else case.pk
    return (
        Case.objects.select_for_update(of=("self",))
        .select_related("area", "category", "department")
        .get(pk=pk)
    )


def _check_move(case: Case, action: str) -> str | None:
    allowed_from, to = TRANSITIONS[action]
    if case.status not in allowed_from:
        label = CaseEvent.Action(action).label
        raise DomainError(
            f"工单当前状态为“{case.get_status_display()}”，不能{label}（可能已被他人处理，请刷新）。",
            code="conflict",
        )
    return to


def _require_scope(actor: User | None, case: Case) -> None:
    require_path_in_scope(actor, case.area.path)


def _move(
    *,
    actor: User | None,
    case: Case | int,
    action: str,
    allowed: Callable[[Case], bool] | None = None,
    apply: Callable[[Case, datetime, WorkCalendar], dict[str, Any] | None] | None = None,
    note: str = "",
    public: bool = True,
    label: str | None = None,
) -> Case:
    """Lock, check the transition and the actor, apply, record. The one path every move takes."""
    with transaction.atomic():
        locked = _lock(case)
        _require_scope(actor, locked)
        if allowed is not None and actor is not None and not allowed(locked):
            raise Forbidden()
        before = locked.status
        to = _check_move(locked, action)
        now = timezone.now()
        calendar = WorkCalendar()
        if to is not None:
            locked.status = to
        data = apply(locked, now, calendar) if apply else None
        locked.refresh_handling_seconds()
        if to is not None and to != before or action in (A.REWORK, A.RESIDENT_DISPUTE, A.REOPEN):
            deadlines.start_stage(locked, now, calendar)
        locked.updated_at = now
        locked.save()
        _event(locked, actor, action, from_status=before, note=note, data=data, public=public, label=label)
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            obj=locked,
            changes={"action": action, "status": [before, locked.status]},
            actor_label=label,
        )
    return locked


def _can(capability: Capability) -> Callable[[User | None], bool]:
    return lambda actor: actor is None or actor.can(capability)


# --- intake ----------------------------------------------------------------------------


@dataclass
class Location:
    area: Area
    building: Building | None = None
    house: House | None = None
    resident: Resident | None = None


def locate(
    *,
    area: Area | None = None,
    building: Building | None = None,
    house: House | None = None,
    resident: Resident | None = None,
    latitude: Decimal | None = None,
    longitude: Decimal | None = None,
) -> Location:
    """The most precise area the inputs give: house → building → resident → coordinates → given area."""
    if house is not None:
        building = house.building
    if building is not None:
        if area is not None and not (building.grid.path + "/").startswith(area.path + "/"):
            raise DomainError("所选楼栋不在所选区域内。", field="building")
        return Location(area=building.grid, building=building, house=house, resident=resident)
    if resident is not None:
        return Location(area=resident.grid, house=resident.house, resident=resident)
    if area is None:
        raise DomainError("请提供位置：区域、楼栋/房屋、居民或坐标。", field="area")
    if latitude is not None and longitude is not None and area.kind != Area.Kind.GRID:
        grid = routing.grid_at(area, latitude, longitude)
        if grid is not None:
            return Location(area=grid)
    return Location(area=area)


def highest_number(day: date) -> int:
    """The highest sequence already used on `day` (numbers may come from imports, demos or restores)."""
    prefix = day.strftime("%Y%m%d") + "-"
    last = (
        Case.objects.filter(number__startswith=prefix)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    return int(last.rsplit("-", 1)[1]) if last else 0


def _next_number(now: datetime) -> str:
    """Today's next tracking number. The counter row stays locked until the intake commits: two intakes
    at the same moment get consecutive numbers (tested on PostgreSQL with concurrent clients)."""
    day = timezone.localtime(now).date()
    CaseCounter.objects.get_or_create(day=day, defaults={"last": highest_number(day)})
    CaseCounter.objects.filter(day=day).update(last=F("last") + 1)
    seq = CaseCounter.objects.filter(day=day).values_list("last", flat=True).get()
    return f"{day:%Y%m%d}-{seq:04d}"


def check_answers(category: Category, answers: dict[str, Any]) -> dict[str, Any]:
    """The category's questions answered: required ones present, list answers among the choices."""
    cleaned: dict[str, Any] = {}
    known = {q["code"]: q for q in category.questions}
    for code in answers:
        if code not in known:
            raise DomainError(f"类别“{category.name}”没有问题“{code}”。", field=f"attribute[{code}]")
    for code, question in known.items():
        value = answers.get(code)
        values = value if isinstance(value, list) else ([] if value in (None, "") else [value])
        values = [str(v).strip() for v in values if str(v).strip()]
        label = question.get("label") or code
        if not values:
            if question.get("required"):
                raise DomainError(f"请回答：{label}。", field=f"attribute[{code}]")
            continue
        datatype = question.get("datatype", "string")
        if datatype in ("singlevaluelist", "multivaluelist"):
            keys = {str(v["key"]) for v in question.get("values", [])}
            bad = [v for v in values if v not in keys]
            if bad:
                raise DomainError(f"“{label}”的选项无效：{'、'.join(bad)}。", field=f"attribute[{code}]")
            if datatype == "singlevaluelist" and len(values) > 1:
                raise DomainError(f"“{label}”只能选一项。", field=f"attribute[{code}]")
            cleaned[code] = values if datatype == "multivaluelist" else values[0]
        elif datatype == "number":
            cleaned[code] = finite_number(values[0], field=f"attribute[{code}]", label=label)
        elif datatype == "datetime":
            try:
                cleaned[code] = datetime.fromisoformat(values[0].replace("Z", "+00:00")).isoformat()
            except ValueError as exc:
                raise DomainError(f"“{label}”应为日期时间。", field=f"attribute[{code}]") from exc
        else:
            cleaned[code] = _text(values[0], field=f"attribute[{code}]", label=label, limit=500)
    return cleaned


@transaction.atomic
def case_create(
    *,
    actor: User | None,
    category: Category,
    channel: str,
    title: str,
    description: str,
    urgency: str = Urgency.NORMAL,
    area: Area | None = None,
    building: Building | None = None,
    house: House | None = None,
    resident: Resident | None = None,
    address: str = "",
    latitude: Any = None,
    longitude: Any = None,
    reporter_name: str = "",
    reporter_phone: str = "",
    attributes: dict[str, Any] | None = None,
    actor_label: str | None = None,
) -> Case:
    """Receive (受理) a case. `actor` is its first receiver; None for residents and Open311 without a user."""
    require(actor, Capability.WRITE)
    if not category.active or category.children.exists():
        raise DomainError("请选择一个启用的具体类别（小类）。", field="category")
    if channel not in Channel.values:
        raise DomainError("受理渠道无效。", field="channel")
    if urgency not in Urgency.values:
        raise DomainError("紧急程度应为一般、紧急或特急。", field="urgency")
    lat, lng = lat_lng(latitude, longitude)
    place = locate(area=area, building=building, house=house, resident=resident, latitude=lat, longitude=lng)
    require_path_in_scope(actor, place.area.path)
    phone = normalise.phone(reporter_phone)
    if phone is None:
        raise DomainError("联系电话格式不正确（手机 11 位，或带区号的固定电话）。", field="reporter_phone")
    now = timezone.now()
    case = Case(
        area=place.area,
        category=category,
        channel=channel,
        urgency=urgency,
        status=Status.RECEIVED,
        title=_text(title, field="title", label="标题", required=True, limit=100),
        description=_text(description, field="description", label="诉求内容", required=True),
        attributes=check_answers(category, attributes or {}),
        building=place.building,
        house=place.house,
        resident=place.resident,
        address=_text(address, field="address", label="地址", limit=200),
        latitude=lat,
        longitude=lng,
        reporter_name=_text(reporter_name, field="reporter_name", label="反映人", limit=50),
        reporter_phone=phone,
        first_receiver=actor if actor is not None and actor.pk else None,
        received_at=now,
        updated_at=now,
    )
    deadlines.start_stage(case, now, WorkCalendar())
    case.number = _next_number(now)
    case.save()
    _event(case, actor, A.RECEIVE, data={"channel": channel}, label=actor_label)
    audit_record(
        actor=actor,
        action=Action.CREATE,
        obj=case,
        changes={"category": category.code},
        actor_label=actor_label,
    )
    notify(
        users_with_role(case, Role.COMMUNITY_WORKER, Role.COMMUNITY_LEADER),
        case,
        Notification.Kind.NEW_CASE,
        f"新诉求 {case.number}：{case.title}（{case.area.name}）",
    )
    return case


# --- the workflow's moves ---------------------------------------------------------------


def case_register(*, actor: User | None, case: Case | int, note: str = "") -> Case:
    def apply(c: Case, now: datetime, calendar: WorkCalendar) -> None:
        c.registered_at = now
        c.close_due_at = deadlines.case_deadline(c, now, calendar)

    return _move(
        actor=actor,
        case=case,
        action=A.REGISTER,
        allowed=lambda c: actor is not None and actor.can(Capability.DISPATCH),
        apply=apply,
        note=_text(note, field="note", label="说明"),
    )


def case_reject(*, actor: User | None, case: Case | int, reason: str) -> Case:
    reason = _text(reason, field="note", label="不予立案的理由", required=True)

    def apply(c: Case, now: datetime, calendar: WorkCalendar) -> None:
        c.closed_at = now

    return _move(
        actor=actor,
        case=case,
        action=A.REJECT,
        allowed=lambda c: actor is not None and actor.can(Capability.DISPATCH),
        apply=apply,
        note=reason,
    )


def case_dispatch(
    *,
    actor: User | None,
    case: Case | int,
    assignee: User | None = None,
    department: Department | None = None,
    note: str = "",
) -> Case:
    """派遣 to a person or a department; without either, to the routing's suggestion."""
    if assignee is not None and department is not None:
        raise DomainError("只能派给一位处置人或一个部门。", field="assignee")

    def apply(c: Case, now: datetime, calendar: WorkCalendar) -> dict[str, Any]:
        suggestion = routing.suggest(c)
        person, dept = assignee, department
        if person is None and dept is None:
            person, dept = suggestion.assignee, suggestion.department
            if person is None and dept is None:
                raise DomainError(suggestion.reason, field="assignee")
        if person is not None:
            if not person.is_active or not person.can(Capability.WRITE):
                raise DomainError("该用户不能处置工单。", field="assignee")
            paths = person.scope_paths()
            if not any((c.area.path + "/").startswith(p + "/") for p in paths):
                # A community-level case given to a grid's worker now belongs to that grid,
                # so the worker can see it; anyone else outside the case's area is refused.
                below = [p for p in paths if p.startswith(c.area.path + "/")]
                if not below:
                    raise DomainError("该用户的管辖范围不含此工单的位置。", field="assignee")
                c.area = Area.objects.get(path=below[0])
        if dept is not None and not dept.active:
            raise DomainError("该部门已停用。", field="department")
        if dept is not None and not routing.serves(dept, c.area):
            raise DomainError(f"{dept.name}不负责{c.area.name}，请选择服务该区域的部门。", field="department")
        # A second dispatch of the same case (改派) differs from the first, whether or not the
        # first followed the suggestion; only a re-dispatch is called 改派 in the history.
        redispatch = c.dispatched_at is not None
        c.assignee, c.department = person, dept
        c.dispatched_at = now
        suggested = suggestion.assignee is not None or suggestion.department is not None
        override = suggested and (person, dept) != (suggestion.assignee, suggestion.department)
        target = person_label(person) if person else dept.name  # type: ignore[union-attr]
        return {
            "area": c.area.path,
            "assignee": person.username if person else None,
            "department": dept.code if dept else None,
            "target": target,
            "suggested": suggestion.reason,
            "override": override,
            "redispatch": redispatch,
        }

    moved = _move(
        actor=actor,
        case=case,
        action=A.DISPATCH,
        allowed=lambda c: actor is not None and actor.can(Capability.DISPATCH),
        apply=apply,
        note=_text(note, field="note", label="派遣说明"),
    )
    notify(
        [moved.assignee] if moved.assignee_id else list(moved.department.members.all()),  # type: ignore[union-attr]
        moved,
        Notification.Kind.ASSIGNED,
        f"新派单 {moved.number}：{moved.title}，处置时限 {timezone.localtime(moved.stage_due_at):%m-%d %H:%M}",
    )
    return moved


def _handler_or_supervisor(actor: User | None) -> Callable[[Case], bool]:
    return lambda c: actor is None or is_handler(actor, c) or actor.can(Capability.SUPERVISE)


def case_accept(*, actor: User | None, case: Case | int, note: str = "") -> Case:
    return _move(
        actor=actor,
        case=case,
        action=A.ACCEPT,
        allowed=_handler_or_supervisor(actor),
        note=_text(note, field="note", label="说明"),
    )


def case_return(*, actor: User | None, case: Case | int, reason: str) -> Case:
    """退单: the case was routed to the wrong handler; back to the dispatchers."""
    reason = _text(reason, field="note", label="退单理由", required=True)

    def apply(c: Case, now: datetime, calendar: WorkCalendar) -> dict[str, Any]:
        data = {"from": c.assignee.username if c.assignee else c.department.code if c.department else None}
        c.return_count += 1
        c.assignee = None
        c.department = None
        return data

    moved = _move(
        actor=actor,
        case=case,
        action=A.RETURN,
        allowed=_handler_or_supervisor(actor),
        apply=apply,
        note=reason,
    )
    notify(responsible(moved), moved, Notification.Kind.RETURNED, f"退单 {moved.number}：{reason}")
    return moved


def case_finish(*, actor: User | None, case: Case | int, result: str, note: str = "") -> Case:
    result = _text(result, field="result", label="处置结果", required=True)

    def apply(c: Case, now: datetime, calendar: WorkCalendar) -> None:
        c.result = result
        c.handled_at = now
        c.handler = actor if actor is not None and actor.pk else c.assignee

    moved = _move(
        actor=actor,
        case=case,
        action=A.FINISH,
        allowed=_handler_or_supervisor(actor),
        apply=apply,
        note=_text(note, field="note", label="说明") or result,
    )
    notify(responsible(moved), moved, Notification.Kind.TO_VERIFY, f"待核查 {moved.number}：{moved.title}")
    return moved


def _verifier_check(actor: User | None) -> Callable[[Case], bool]:
    def allowed(c: Case) -> bool:
        if actor is None:
            return True
        if not actor.can(Capability.DISPATCH):
            return False
        if c.handler_id == actor.pk:
            raise DomainError("核查须由处置人以外的人员进行。", code="forbidden_self_verify")
        return True

    return allowed


def case_verify(*, actor: User | None, case: Case | int, note: str = "") -> Case:
    def apply(c: Case, now: datetime, calendar: WorkCalendar) -> None:
        c.verifier = actor if actor is not None and actor.pk else None

    return _move(
        actor=actor,
        case=case,
        action=A.VERIFY,
        allowed=_verifier_check(actor),
        apply=apply,
        note=_text(note, field="note", label="说明"),
    )


def case_pass(*, actor: User | None, case: Case | int, note: str = "") -> Case:
    """核查通过 → 结案."""

    def apply(c: Case, now: datetime, calendar: WorkCalendar) -> None:
        c.closed_at = now
        c.verifier = actor if actor is not None and actor.pk else c.verifier

    return _move(
        actor=actor,
        case=case,
        action=A.PASS,
        allowed=_verifier_check(actor),
        apply=apply,
        note=_text(note, field="note", label="核查意见"),
    )


def case_rework(*, actor: User | None, case: Case | int, reason: str) -> Case:
    reason = _text(reason, field="note", label="返工理由", required=True)

    def apply(c: Case, now: datetime, calendar: WorkCalendar) -> None:
        c.rework_count += 1
        c.handled_at = None

    moved = _move(
        actor=actor, case=case, action=A.REWORK, allowed=_verifier_check(actor), apply=apply, note=reason
    )
    notify(responsible(moved), moved, Notification.Kind.REWORK, f"返工 {moved.number}：{reason}")
    return moved


def case_follow_up(*, actor: User | None, case: Case | int, satisfaction: str, note: str = "") -> Case:
    if satisfaction not in Satisfaction.values:
        raise DomainError("请选择满意度：满意、基本满意或不满意。", field="satisfaction")

    def apply(c: Case, now: datetime, calendar: WorkCalendar) -> dict[str, Any]:
        if c.followed_up_at is not None:
            raise DomainError("该工单已回访过。", code="conflict")
        c.satisfaction = satisfaction
        c.followed_up_at = now
        return {"satisfaction": satisfaction}

    return _move(
        actor=actor,
        case=case,
        action=A.FOLLOW_UP,
        allowed=lambda c: actor is not None and actor.can(Capability.DISPATCH),
        apply=apply,
        note=_text(note, field="note", label="回访记录"),
    )


def case_reopen(*, actor: User | None, case: Case | int, reason: str) -> Case:
    reason = _text(reason, field="note", label="重新办理的理由", required=True)

    def apply(c: Case, now: datetime, calendar: WorkCalendar) -> None:
        c.reopen_count += 1
        c.closed_at = None
        c.handled_at = None
        c.satisfaction = ""
        c.followed_up_at = None

    moved = _move(
        actor=actor,
        case=case,
        action=A.REOPEN,
        allowed=lambda c: actor is not None and actor.can(Capability.DISPATCH),
        apply=apply,
        note=reason,
    )
    notify(responsible(moved), moved, Notification.Kind.REOPENED, f"重新办理 {moved.number}：{reason}")
    return moved


def case_merge(*, actor: User | None, case: Case | int, into: Case, note: str = "") -> Case:
    """A duplicate joins the open case it repeats; its reporter is recorded on that case."""
    if (case if isinstance(case, int) else case.pk) == into.pk:
        raise DomainError("不能与自身合并。", field="into")
    with transaction.atomic():
        target = _lock(into)
        _require_scope(actor, target)
        if target.status not in OPEN_STATUSES:
            raise DomainError("只能并入未结案的工单。", field="into")

        def apply(c: Case, now: datetime, calendar: WorkCalendar) -> dict[str, Any]:
            c.merged_into = target
            c.closed_at = now
            return {"into": target.number}

        moved = _move(
            actor=actor,
            case=case,
            action=A.MERGE,
            allowed=lambda c: actor is not None and actor.can(Capability.DISPATCH),
            apply=apply,
            note=_text(note, field="note", label="说明"),
        )
        _event(
            target,
            actor,
            A.MERGE,
            from_status=target.status,
            note=f"并入重复诉求 {moved.number}（反映人：{moved.reporter_name or '未留名'}）",
            data={"merged": moved.number},
        )
    return moved


def place_label(area: Area, building: Building | None = None, house: House | None = None) -> str:
    """A case's place in words: "第一网格 · 8 号楼" or, for a house, "第一网格 · 8-301"."""
    where = area.name
    if house is not None:
        return f"{where} · {house}"
    if building is not None:
        return f"{where} · {building.number} 号楼"
    return where


def case_relocate(
    *,
    actor: User | None,
    case: Case | int,
    area: Area | None = None,
    building: Building | None = None,
    house: House | None = None,
    address: str | None = None,
    note: str = "",
) -> Case:
    """Set or correct where an open case is (更正位置). The place picks the area again as at intake —
    a building or house gives its grid — so a resident's case filed at the community reaches a grid
    and the routing suggestion follows. `address` None keeps the address text; an area, building or
    house replaces the place. Recorded as an event with the place before and after."""
    placing = area is not None or building is not None or house is not None
    if not placing and address is None:
        raise DomainError("请选择楼栋、房屋或区域，或填写地址。", field="building")
    text = None if address is None else _text(address, field="address", label="地址", limit=200)

    def apply(c: Case, now: datetime, calendar: WorkCalendar) -> dict[str, Any]:
        before = place_label(c.area, c.building, c.house)
        was = (c.area_id, c.building_id, c.house_id, c.address)
        data: dict[str, Any] = {"relocated": True, "from_area": c.area.path, "from_place": before}
        if placing:
            place = locate(area=area, building=building, house=house)
            require_path_in_scope(actor, place.area.path)
            if place.area.kind not in (Area.Kind.GRID, Area.Kind.COMMUNITY) and place.area.pk != c.area_id:
                raise DomainError("请选择社区或网格。", field="area")
            if c.assignee is not None and not path_in_scope(place.area.path, c.assignee.scope_paths()):
                # The handler would lose sight of a case they are working on.
                raise DomainError(
                    f"该工单已派给{c.assignee.display_name}，新位置不在其管辖范围内，请先退单或改派。",
                    field="building",
                )
            c.area, c.building, c.house = place.area, place.building, place.house
        if text is not None:
            data["from_address"], c.address = c.address, text
        if (c.area_id, c.building_id, c.house_id, c.address) == was:
            raise DomainError("位置没有变化。", field="building")
        data.update(
            to_area=c.area.path,
            to_place=place_label(c.area, c.building, c.house),
            address=c.address,
            suggested=routing.suggest(c).reason,
        )
        return data

    moved = _move(
        actor=actor,
        case=case,
        action=A.RELOCATE,
        allowed=lambda c: actor is not None and actor.can(Capability.DISPATCH),
        apply=apply,
        note=_text(note, field="note", label="说明"),
        public=False,
    )
    return moved


def case_comment(*, actor: User | None, case: Case, note: str, public: bool = False) -> CaseEvent:
    require(actor, Capability.WRITE)
    _require_scope(actor, case)
    text = _text(note, field="note", label="备注", required=True)
    return _event(case, actor, A.COMMENT, from_status=case.status, note=text, public=public)


# --- extensions ---------------------------------------------------------------------------


def _amount(amount: Any, unit: str) -> int:
    if unit not in LimitUnit.values:
        raise DomainError("延期单位应为工作小时或工作日。", field="unit")
    try:
        value = int(amount)
    except (TypeError, ValueError) as exc:
        raise DomainError("延期时长应为正整数。", field="amount") from exc
    if not 1 <= value <= (30 if unit == LimitUnit.DAYS else 240):
        raise DomainError("延期时长应在 1–30 个工作日（或 1–240 个工作小时）之间。", field="amount")
    return value


def extension_request(
    *, actor: User | None, case: Case | int, amount: Any, unit: str, reason: str
) -> ExtensionRequest:
    if actor is None:
        raise DomainError("延期申请须由处置人提出。")
    value = _amount(amount, unit)
    reason = _text(reason, field="reason", label="延期理由", required=True, limit=500)
    holder: dict[str, ExtensionRequest] = {}

    def apply(c: Case, now: datetime, calendar: WorkCalendar) -> dict[str, Any]:
        if c.extensions.filter(decision=ExtensionRequest.Decision.PENDING).exists():
            raise DomainError("已有待审批的延期申请。", code="conflict")
        holder["request"] = ExtensionRequest.objects.create(
            case=c, requested_by=actor, amount=value, unit=unit, reason=reason, requested_at=now
        )
        return {"amount": value, "unit": unit}

    moved = _move(
        actor=actor,
        case=case,
        action=A.EXTENSION_REQUEST,
        allowed=_handler_or_supervisor(actor),
        apply=apply,
        note=reason,
        public=False,
    )
    notify(
        users_with_role(moved, Role.COMMUNITY_LEADER, Role.STREET_ADMIN),
        moved,
        Notification.Kind.EXTENSION,
        f"延期申请 {moved.number}：{value}{LimitUnit(unit).label}，{reason}",
    )
    return holder["request"]


def extension_decide(
    *, actor: User | None, extension: ExtensionRequest, approve: bool, note: str = ""
) -> ExtensionRequest:
    note = _text(note, field="note", label="审批意见", limit=500)
    if not approve and not note:
        raise DomainError("驳回延期须说明理由。", field="note")

    def apply(c: Case, now: datetime, calendar: WorkCalendar) -> dict[str, Any]:
        ext = ExtensionRequest.objects.select_for_update().get(pk=extension.pk, case=c)
        if ext.decision != ExtensionRequest.Decision.PENDING:
            raise DomainError("该延期申请已审批。", code="conflict")
        ext.decision = ExtensionRequest.Decision.APPROVED if approve else ExtensionRequest.Decision.DENIED
        ext.decided_by = actor
        ext.decided_at = now
        ext.decision_note = note
        ext.save()
        data: dict[str, Any] = {"amount": ext.amount, "unit": ext.unit}
        if approve:
            c.extended = True
            base = max(c.stage_due_at or now, now)
            c.stage_due_at = deadlines.extend(base, ext.amount, ext.unit, calendar)
            c.warn_at = c.stage_started_at + (c.stage_due_at - c.stage_started_at) * deadlines.WARN_SHARE
            c.warned_at = None
            c.overdue_since = None
            c.escalation_level = 0
            c.next_escalation_at = None
            if c.close_due_at is not None:
                c.close_due_at = deadlines.extend(max(c.close_due_at, now), ext.amount, ext.unit, calendar)
            data["stage_due_at"] = c.stage_due_at.isoformat()
        return data

    moved = _move(
        actor=actor,
        case=extension.case_id,
        action=A.EXTENSION_APPROVE if approve else A.EXTENSION_DENY,
        allowed=lambda c: actor is not None and actor.can(Capability.SUPERVISE),
        apply=apply,
        note=note,
        public=False,
    )
    extension.refresh_from_db()
    notify(
        [extension.requested_by],
        moved,
        Notification.Kind.EXTENSION,
        f"延期{'已批准' if approve else '被驳回'} {moved.number}" + (f"：{note}" if note else ""),
    )
    return extension


# --- photos ------------------------------------------------------------------------------


def photo_add(*, actor: User | None, case: Case, upload: UploadedFile, caption: str = "") -> CasePhoto:

    require(actor, Capability.WRITE)
    _require_scope(actor, case)
    content_type, safe_name = check_photo(upload)
    with transaction.atomic():
        photo = CasePhoto(
            case=case,
            content_type=content_type,
            caption=_text(caption, field="caption", label="说明", limit=100),
            uploaded_by=actor if actor is not None and actor.pk else None,
        )
        photo.file.save(safe_name, upload, save=False)
        photo.save()
        _event(case, actor, A.PHOTO, from_status=case.status, note=photo.caption, data={"photo": photo.pk})
    return photo


# --- residents ---------------------------------------------------------------------------


def tracking_match(number: str, phone: str) -> Case | None:
    """The case with this tracking number if the phone is the one given when it was filed."""
    wanted = normalise.phone(phone)
    case = Case.objects.filter(number=(number or "").strip()).select_related("area", "category").first()
    if case is None or not wanted or not case.reporter_phone or case.reporter_phone != wanted:
        return None
    return case


def may_resident_reopen(case: Case, now: datetime | None = None) -> bool:
    """Whether the resident may still say a closed case is not solved (LINLI_RESIDENT_REOPEN_DAYS)."""
    return case.status == Status.CLOSED and _within_reopen_days(case.closed_at, now or timezone.now())


def _within_reopen_days(closed_at: datetime | None, now: datetime) -> bool:
    return closed_at is not None and now - closed_at <= timedelta(days=settings.LINLI_RESIDENT_REOPEN_DAYS)


def resident_verdict(*, case: Case, solved: bool, note: str = "") -> Case:
    """The resident confirms the handling solved it (→ closed) or says it did not (→ rework)."""
    note = _text(note, field="note", label="意见", limit=500)
    if solved:

        def close(c: Case, now: datetime, calendar: WorkCalendar) -> None:
            c.closed_at = now

        return _move(
            actor=None, case=case, action=A.RESIDENT_CONFIRM, apply=close, note=note, label=RESIDENT_LABEL
        )
    if not note:
        raise DomainError("请说明哪里还没有解决。", field="note")

    def rework(c: Case, now: datetime, calendar: WorkCalendar) -> dict[str, Any]:
        # _move has already set the new status; a closing time says the case was closed.
        reopened = c.closed_at is not None
        if reopened and not _within_reopen_days(c.closed_at, now):
            raise DomainError(
                f"结案已超过 {settings.LINLI_RESIDENT_REOPEN_DAYS} 天，请重新反映问题或致电社区。",
                code="conflict",
            )
        # A closed case the resident says is not solved goes back to its handler, counted as rework
        # (the handling failed), not as a dispatcher's reopening.
        c.rework_count += 1
        c.handled_at = None
        c.closed_at = None
        c.satisfaction = ""
        c.followed_up_at = None
        return {"reopened": reopened}

    moved = _move(
        actor=None, case=case, action=A.RESIDENT_DISPUTE, apply=rework, note=note, label=RESIDENT_LABEL
    )
    notify(responsible(moved), moved, Notification.Kind.REWORK, f"居民反映未解决 {moved.number}：{note}")
    return moved


# --- the sweep -----------------------------------------------------------------------------


@dataclass
class TickResult:
    warned: int = 0
    overdue: int = 0
    escalated: int = 0

    def __str__(self) -> str:
        return f"warned {self.warned}, overdue {self.overdue}, escalated {self.escalated}"


SUPERVISION_LABELS = {1: "黄牌督办", 2: "红牌督办", 3: "红牌督办（街道）"}


def _supervisors(case: Case, level: int) -> list[User]:
    if level == 1:
        return grid_leaders(case) or users_with_role(case, Role.COMMUNITY_LEADER)
    if level == 2:
        return users_with_role(case, Role.COMMUNITY_LEADER)
    return users_with_role(case, Role.STREET_ADMIN)


def tick(*, now: datetime | None = None, batch: int = 500) -> TickResult:
    """Warn before deadlines, mark overdue, escalate. Each row is claimed by a conditional
    UPDATE, so two sweeps at once (or one run twice) never act on a case twice."""
    now = now or timezone.now()
    calendar = WorkCalendar()
    result = TickResult()
    open_cases = Case.objects.filter(status__in=OPEN_STATUSES)
    related = ("area", "category", "assignee", "department", "verifier")

    for case in open_cases.filter(
        warned_at__isnull=True, warn_at__lte=now, stage_due_at__gt=now
    ).select_related(*related)[:batch]:
        with transaction.atomic():
            claimed = Case.objects.filter(
                pk=case.pk, warned_at__isnull=True, warn_at=case.warn_at, status=case.status
            )
            if not claimed.update(warned_at=now):
                continue
            due = timezone.localtime(case.stage_due_at)
            _event(
                case,
                None,
                A.WARN,
                from_status=case.status,
                note=f"将于 {due:%m-%d %H:%M} 到期",
                public=False,
                at=now,
            )
            notify(
                responsible(case),
                case,
                Notification.Kind.WARNING,
                f"临期预警 {case.number}：将于 {due:%m-%d %H:%M} 到期",
            )
            result.warned += 1

    for case in open_cases.filter(overdue_since__isnull=True, stage_due_at__lte=now).select_related(*related)[
        :batch
    ]:
        with transaction.atomic():
            step = deadlines.escalation_step(case.stage_due_at, calendar)  # type: ignore[arg-type]
            claimed = Case.objects.filter(
                pk=case.pk, overdue_since__isnull=True, stage_due_at=case.stage_due_at, status=case.status
            )
            if not claimed.update(
                overdue_since=now,
                was_overdue=True,
                escalation_level=1,
                next_escalation_at=step,
                warned_at=case.warned_at or now,
            ):
                continue
            case.escalation_level = 1
            _event(case, None, A.OVERDUE, from_status=case.status, public=False, at=now)
            _event(
                case,
                None,
                A.ESCALATE,
                from_status=case.status,
                note=SUPERVISION_LABELS[1],
                data={"level": 1},
                public=False,
                at=now,
            )
            notify(responsible(case), case, Notification.Kind.OVERDUE, f"已超期 {case.number}：{case.title}")
            notify(
                _supervisors(case, 1),
                case,
                Notification.Kind.SUPERVISION,
                f"{SUPERVISION_LABELS[1]} {case.number}：{case.title} 已超期",
            )
            result.overdue += 1

    for case in open_cases.filter(next_escalation_at__lte=now, escalation_level__lt=3).select_related(
        *related
    )[:batch]:
        with transaction.atomic():
            level = case.escalation_level + 1
            following = deadlines.escalation_step(case.next_escalation_at, calendar) if level < 3 else None  # type: ignore[arg-type]
            claimed = Case.objects.filter(
                pk=case.pk, escalation_level=case.escalation_level, status=case.status
            )
            if not claimed.update(escalation_level=level, next_escalation_at=following):
                continue
            _event(
                case,
                None,
                A.ESCALATE,
                from_status=case.status,
                note=SUPERVISION_LABELS[level],
                data={"level": level},
                public=False,
                at=now,
            )
            notify(
                _supervisors(case, level),
                case,
                Notification.Kind.SUPERVISION,
                f"{SUPERVISION_LABELS[level]} {case.number}：{case.title} 超期未办结",
            )
            result.escalated += 1
    return result


# --- configuration ------------------------------------------------------------------------


def _code(value: str, field: str = "code") -> str:
    code = (value or "").strip().upper()
    if not re.fullmatch(r"[A-Z0-9][A-Z0-9_-]{0,31}", code):
        raise DomainError("编码只能包含大写字母、数字、下划线和连字符，最长 32 位。", field=field)
    return code


@transaction.atomic
def category_create(
    *,
    actor: User | None,
    code: str,
    name: str,
    parent: Category | None = None,
    department: Department | None = None,
    description: str = "",
    keywords: str = "",
    questions: list[dict[str, Any]] | None = None,
    limits: dict[str, tuple[int, str]] | None = None,
) -> Category:
    require(actor, Capability.CONFIGURE)
    code = _code(code)
    if Category.objects.filter(code=code).exists():
        raise DomainError(f"类别编码 {code} 已存在。", field="code")
    if parent is not None and parent.parent_id is not None:
        raise DomainError("类别只有大类和小类两级。", field="parent")
    if parent is not None and parent.cases.exists():
        raise DomainError("该大类下已有工单，不能再添加小类。", field="parent")
    category = Category.objects.create(
        code=code,
        name=_text(name, field="name", label="名称", required=True, limit=60),
        parent=parent,
        department=department,
        description=_text(description, field="description", label="说明", limit=200),
        keywords=_text(keywords, field="keywords", label="关键词", limit=200),
        questions=check_questions(questions or []),
    )
    for stage, (amount, unit) in (limits or {}).items():
        category_set_limit(actor=actor, category=category, stage=stage, amount=amount, unit=unit)
    audit_record(actor=actor, action=Action.CREATE, obj=category, area_path="")
    return category


@transaction.atomic
def category_update(*, actor: User | None, category: Category, **fields: Any) -> Category:
    require(actor, Capability.CONFIGURE)
    before = {k: getattr(category, k) for k in fields}
    for key, value in fields.items():
        if key == "name":
            category.name = _text(value, field="name", label="名称", required=True, limit=60)
        elif key in ("description", "keywords"):
            setattr(category, key, _text(value, field=key, label="说明", limit=200))
        elif key == "questions":
            category.questions = check_questions(value)
        elif key in ("department", "active", "order"):
            setattr(category, key, value)
        else:
            raise DomainError(f"不能修改字段 {key}。", field=key)
    category.save()
    changes = {
        k: [str(before[k]), str(getattr(category, k))] for k in fields if before[k] != getattr(category, k)
    }
    audit_record(actor=actor, action=Action.UPDATE, obj=category, area_path="", changes=changes)
    return category


QUESTION_TYPES = ("string", "number", "datetime", "text", "singlevaluelist", "multivaluelist")


def check_questions(questions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    cleaned: list[dict[str, Any]] = []
    codes: set[str] = set()
    for i, q in enumerate(questions, start=1):
        code = str(q.get("code", "")).strip()
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,31}", code):
            raise DomainError(f"第 {i} 个问题的编码应为小写字母开头的字母、数字、下划线。", field="questions")
        if code in codes:
            raise DomainError(f"问题编码 {code} 重复。", field="questions")
        codes.add(code)
        datatype = q.get("datatype", "string")
        if datatype not in QUESTION_TYPES:
            raise DomainError(f"问题 {code} 的类型无效。", field="questions")
        values = [{"key": str(v["key"]), "name": str(v["name"])} for v in q.get("values", [])]
        if datatype.endswith("valuelist") and not values:
            raise DomainError(f"问题 {code} 是选择题，需要选项。", field="questions")
        cleaned.append(
            {
                "code": code,
                "label": str(q.get("label") or code)[:60],
                "datatype": datatype,
                "required": bool(q.get("required", False)),
                "description": str(q.get("description", ""))[:200],
                "order": int(q.get("order", i)),
                "values": values,
            }
        )
    return cleaned


def category_set_limit(
    *, actor: User | None, category: Category, stage: str, amount: Any, unit: str
) -> CategoryLimit:
    require(actor, Capability.CONFIGURE)
    if stage not in Stage.values:
        raise DomainError("环节应为立案、派遣、处置或核查。", field="stage")
    if unit not in LimitUnit.values:
        raise DomainError("时限单位应为工作小时或工作日。", field="unit")
    try:
        value = int(amount)
    except (TypeError, ValueError) as exc:
        raise DomainError("时限应为正整数。", field="amount") from exc
    if value < 1:
        raise DomainError("时限应为正整数。", field="amount")
    limit, _ = CategoryLimit.objects.update_or_create(
        category=category, stage=stage, defaults={"amount": value, "unit": unit}
    )
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        obj=category,
        area_path="",
        changes={f"limit.{stage}": f"{value} {unit}"},
    )
    return limit


@transaction.atomic
def department_create(
    *, actor: User | None, area: Area, code: str, name: str, phone: str = "", members: Iterable[User] = ()
) -> Department:
    require(actor, Capability.CONFIGURE)
    require_path_in_scope(actor, area.path)
    code = _code(code)
    if Department.objects.filter(code=code).exists():
        raise DomainError(f"部门编码 {code} 已存在。", field="code")
    department = Department.objects.create(
        area=area,
        code=code,
        name=_text(name, field="name", label="部门名称", required=True, limit=60),
        phone=phone,
    )
    department_set_members(actor=actor, department=department, members=members)
    audit_record(actor=actor, action=Action.CREATE, obj=department)
    return department


def department_set_members(*, actor: User | None, department: Department, members: Iterable[User]) -> None:
    require(actor, Capability.CONFIGURE)
    people = list(members)
    for person in people:
        if person.role != Role.DEPARTMENT_HANDLER:
            raise DomainError(f"{person.username} 不是职能部门处置人。", field="members")
    department.members.set(people)
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        obj=department,
        changes={"members": sorted(p.username for p in people)},
    )


@transaction.atomic
def calendar_override_set(
    *, actor: User | None, day: Any, is_workday: bool, note: str = ""
) -> CalendarOverride:
    require(actor, Capability.CONFIGURE)
    override, _ = CalendarOverride.objects.update_or_create(
        day=day,
        defaults={"is_workday": is_workday, "note": _text(note, field="note", label="说明", limit=60)},
    )
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        obj=override,
        area_path="",
        changes={"day": str(day), "workday": is_workday},
    )
    return override


@transaction.atomic
def calendar_override_delete(*, actor: User | None, day: Any) -> None:
    require(actor, Capability.CONFIGURE)
    deleted, _ = CalendarOverride.objects.filter(day=day).delete()
    if not deleted:
        raise DomainError(f"{day} 没有工作日调整。", field="day")
    audit_record(
        actor=actor,
        action=Action.DELETE,
        object_type="cases.calendaroverride",
        object_id=str(day),
        area_path="",
    )


def mark_read(*, user: User, ids: Iterable[int] | None = None) -> int:
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs.update(read_at=timezone.now())
