"""What a resident does with their own case: find it by number and phone, confirm or dispute it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils import timezone

from linli.cases.models import Case, Notification, Satisfaction, Status
from linli.cases.services._common import RESIDENT_LABEL, A, _move
from linli.cases.services.notifications import notify, responsible
from linli.cases.workcalendar import WorkCalendar
from linli.core.errors import DomainError
from linli.core.validation import clean_text as _text
from linli.registry import normalise

if TYPE_CHECKING:
    pass


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


def resident_verdict(*, case: Case, solved: bool, note: str = "", label: str = RESIDENT_LABEL) -> Case:
    """The resident confirms the handling solved it (→ closed) or says it did not (→ rework).
    `label` names who spoke in the history (the portal names the resident, and a relative acting for them)."""
    note = _text(note, field="note", label="意见", limit=500)
    if solved:

        def close(c: Case, now: datetime, calendar: WorkCalendar) -> None:
            c.closed_at = now

        return _move(actor=None, case=case, action=A.RESIDENT_CONFIRM, apply=close, note=note, label=label)
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

    moved = _move(actor=None, case=case, action=A.RESIDENT_DISPUTE, apply=rework, note=note, label=label)
    notify(responsible(moved), moved, Notification.Kind.REWORK, f"居民反映未解决 {moved.number}：{note}")
    return moved


def resident_rate(*, case: Case, satisfaction: str, note: str = "", label: str = RESIDENT_LABEL) -> Case:
    """The resident rates a closed case themselves (满意 / 基本满意 / 不满意): it counts as its follow-up
    (回访), so staff do not call to ask again, and a case already followed up cannot be rated twice."""
    if satisfaction not in Satisfaction.values:
        raise DomainError("请选择满意度：满意、基本满意或不满意。", field="satisfaction")
    note = _text(note, field="note", label="意见", limit=500)

    def rate(c: Case, now: datetime, calendar: WorkCalendar) -> dict[str, Any]:
        if c.followed_up_at is not None:
            raise DomainError("该工单已评价或已回访过。", code="conflict")
        c.satisfaction = satisfaction
        c.followed_up_at = now
        return {"satisfaction": satisfaction, "by_resident": True}

    return _move(actor=None, case=case, action=A.FOLLOW_UP, apply=rate, note=note, label=label)
