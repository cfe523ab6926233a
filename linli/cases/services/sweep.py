"""The deadline sweep (`tick`): warn before a stage's deadline, mark overdue, escalate."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from linli.accounts.roles import Role
from linli.cases import deadlines
from linli.cases.models import OPEN_STATUSES, Case, Notification
from linli.cases.services._common import A, _event
from linli.cases.services.notifications import grid_leaders, notify, responsible, users_with_role
from linli.cases.workcalendar import WorkCalendar

if TYPE_CHECKING:
    from linli.accounts.models import User


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
