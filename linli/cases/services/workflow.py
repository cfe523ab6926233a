"""The workflow's moves: register, dispatch, accept, return, finish, verify, pass, rework, follow up,
reopen, relocate; and comments."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from linli.accounts.roles import Capability
from linli.areas.models import Area
from linli.cases import deadlines, routing
from linli.cases.models import Case, CaseEvent, Department, Notification, Satisfaction
from linli.cases.services._common import (
    A,
    _event,
    _handler_or_supervisor,
    _move,
    _require_scope,
    person_label,
)
from linli.cases.services.intake import locate
from linli.cases.services.notifications import notify, responsible
from linli.cases.workcalendar import WorkCalendar
from linli.core.errors import DomainError
from linli.core.permissions import require, require_path_in_scope
from linli.core.scoping import path_in_scope
from linli.core.validation import clean_text as _text
from linli.core.validation import coordinate
from linli.registry.models import Building, House

if TYPE_CHECKING:
    from linli.accounts.models import User


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
    latitude: Any = None,
    longitude: Any = None,
) -> Case:
    """Set or correct where an open case is (更正位置). The place picks the area again as at intake —
    a building or house gives its grid — so a resident's case filed at the community reaches a grid
    and the routing suggestion follows. `address` None keeps the address text; an area, building or
    house replaces the place. Recorded as an event with the place before and after."""
    placing = area is not None or building is not None or house is not None
    if not placing and address is None and latitude in (None, ""):
        raise DomainError("请选择楼栋、房屋或区域，或填写地址。", field="building")
    text = None if address is None else _text(address, field="address", label="地址", limit=200)
    # A point picked on the map (WGS-84): both or neither.
    lat = coordinate(latitude, field="latitude", low=-90, high=90, label="纬度")
    lng = coordinate(longitude, field="longitude", low=-180, high=180, label="经度")
    if (lat is None) != (lng is None):
        raise DomainError("请在地图上点选位置（经纬度缺一）。", field="latitude")

    def apply(c: Case, now: datetime, calendar: WorkCalendar) -> dict[str, Any]:
        before = place_label(c.area, c.building, c.house)
        was = (c.area_id, c.building_id, c.house_id, c.address, c.latitude, c.longitude)
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
        if lat is not None:
            data["from_point"] = [str(c.latitude), str(c.longitude)] if c.latitude is not None else None
            c.latitude, c.longitude = lat, lng
            data["point"] = [str(lat), str(lng)]
        if (c.area_id, c.building_id, c.house_id, c.address, c.latitude, c.longitude) == was:
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
