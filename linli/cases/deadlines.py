"""Stage deadlines from a category's limits, the urgency and the working calendar."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings

from linli.cases.models import STAGE_OF_STATUS, URGENCY_FACTOR, Case, CategoryLimit, LimitUnit, Stage
from linli.cases.workcalendar import WorkCalendar

# Used for a stage the category does not set (and for new categories until they are set).
DEFAULT_LIMITS: dict[str, tuple[int, str]] = {
    Stage.REGISTER: (2, LimitUnit.HOURS),
    Stage.DISPATCH: (2, LimitUnit.HOURS),
    Stage.HANDLE: (3, LimitUnit.DAYS),
    Stage.VERIFY: (1, LimitUnit.DAYS),
}
# A warning goes out when this share of a stage's time is used up.
WARN_SHARE = 0.8


def limits_of(category_id: int, calendar: WorkCalendar | None = None) -> dict[str, tuple[int, str]]:
    """The category's stage limits; read once per `calendar` (one request or sweep), if given."""
    if calendar is not None and category_id in calendar.limits:
        return calendar.limits[category_id]
    limits = dict(DEFAULT_LIMITS)
    for row in CategoryLimit.objects.filter(category_id=category_id):
        limits[row.stage] = (row.amount, row.unit)
    if calendar is not None:
        calendar.limits[category_id] = limits
    return limits


def stage_deadline(case: Case, stage: str, start: datetime, calendar: WorkCalendar) -> datetime:
    amount, unit = limits_of(case.category_id, calendar)[stage]
    return calendar.deadline(start, amount, unit, URGENCY_FACTOR[case.urgency])


def start_stage(case: Case, start: datetime, calendar: WorkCalendar) -> None:
    """Set the clock for the stage of the case's (new) status, or stop it for an ended case.

    Warnings, overdue marks and supervision belong to a stage and start again with it.
    """
    case.warned_at = None
    case.overdue_since = None
    case.escalation_level = 0
    case.next_escalation_at = None
    stage = STAGE_OF_STATUS.get(case.status)  # type: ignore[call-overload]
    if stage is None:
        case.stage_due_at = case.warn_at = None
        return
    case.stage_started_at = start
    case.stage_due_at = stage_deadline(case, stage, start, calendar)
    case.warn_at = start + (case.stage_due_at - start) * WARN_SHARE


def case_deadline(case: Case, start: datetime, calendar: WorkCalendar) -> datetime:
    """Deadline of the whole case from registration: dispatch, handling and verification back to back."""
    due = start
    for stage in (Stage.DISPATCH, Stage.HANDLE, Stage.VERIFY):
        due = stage_deadline(case, stage, due, calendar)
    return due


def escalation_step(after: datetime, calendar: WorkCalendar) -> datetime:
    minutes = max(1, round(settings.LINLI_ESCALATION_STEP_HOURS * 60))
    return calendar.add_working_minutes(after, minutes)


def extend(moment: datetime, amount: int, unit: str, calendar: WorkCalendar) -> datetime:
    per_unit = calendar.minutes_per_day if unit == LimitUnit.DAYS else 60
    return calendar.add_working_minutes(moment, amount * per_unit)
