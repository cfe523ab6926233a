"""What every move shares: the transition table, the case's history, the one path a move takes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from linli.accounts.roles import Capability
from linli.cases import deadlines
from linli.cases.models import OPEN_STATUSES, Case, CaseEvent, Status
from linli.cases.workcalendar import WorkCalendar
from linli.core.audit import Action, audit_record
from linli.core.context import current_origin
from linli.core.errors import DomainError, Forbidden
from linli.core.permissions import require_path_in_scope

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


def _handler_or_supervisor(actor: User | None) -> Callable[[Case], bool]:
    return lambda c: actor is None or is_handler(actor, c) or actor.can(Capability.SUPERVISE)
