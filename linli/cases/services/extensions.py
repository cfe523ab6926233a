"""Extensions of a stage's deadline (延期) and merging a duplicate into the case it repeats."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import transaction

from linli.accounts.roles import Capability, Role
from linli.cases import deadlines
from linli.cases.models import OPEN_STATUSES, Case, ExtensionRequest, LimitUnit, Notification
from linli.cases.services._common import A, _event, _handler_or_supervisor, _lock, _move, _require_scope
from linli.cases.services.notifications import notify, users_with_role
from linli.cases.workcalendar import WorkCalendar
from linli.core.errors import DomainError
from linli.core.validation import clean_text as _text

if TYPE_CHECKING:
    from linli.accounts.models import User


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
