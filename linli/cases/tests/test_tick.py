"""The deadline sweep: warn, mark overdue, escalate — and nothing twice."""

from __future__ import annotations

from datetime import datetime

from linli.cases import services
from linli.cases.models import CaseEvent, Notification
from linli.cases.tests.conftest import SHANGHAI, CaseWorld, new_case


def kinds_for(user) -> list[str]:
    return list(Notification.objects.filter(user=user).order_by("pk").values_list("kind", flat=True))


def test_the_sweep_warns_then_marks_overdue_then_escalates_step_by_step(cw: CaseWorld, clock) -> None:
    w = cw.w
    case = services.case_register(actor=w.c01_worker, case=new_case(cw))
    case = services.case_dispatch(actor=w.c01_worker, case=case)
    # Handling is due Thursday 17:30; the warning comes when 80% of the time is gone.
    assert case.stage_due_at == datetime(2026, 11, 19, 17, 30, tzinfo=SHANGHAI)

    clock.move_to(datetime(2026, 11, 17, 9, 0, tzinfo=SHANGHAI))
    assert str(services.tick()) == "warned 0, overdue 0, escalated 0"

    clock.move_to(datetime(2026, 11, 19, 12, 0, tzinfo=SHANGHAI))
    assert services.tick().warned == 1
    assert services.tick().warned == 0  # twice changes nothing
    assert kinds_for(w.grid_worker_c01_g01) == ["assigned", "warning"]

    clock.move_to(datetime(2026, 11, 19, 18, 0, tzinfo=SHANGHAI))
    result = services.tick()
    assert (result.overdue, result.escalated) == (1, 0)
    case.refresh_from_db()
    assert case.escalation_level == 1
    assert case.was_overdue
    assert case.is_overdue
    assert "supervision" in kinds_for(cw.grid_leader)  # yellow card to the grid leader
    # Next step after 7.5 working hours: Friday 17:30.
    assert case.next_escalation_at == datetime(2026, 11, 20, 17, 30, tzinfo=SHANGHAI)

    clock.move_to(datetime(2026, 11, 20, 18, 0, tzinfo=SHANGHAI))
    assert services.tick().escalated == 1
    assert services.tick().escalated == 0
    assert "supervision" in kinds_for(w.c01_leader)  # red card to the community leader
    assert "supervision" not in kinds_for(w.street_admin)

    clock.move_to(datetime(2026, 11, 24, 9, 0, tzinfo=SHANGHAI))  # the weekend does not count
    assert services.tick().escalated == 1
    assert "supervision" in kinds_for(w.street_admin)
    case.refresh_from_db()
    assert case.escalation_level == 3
    assert case.next_escalation_at is None
    assert str(services.tick()) == "warned 0, overdue 0, escalated 0"
    levels = [e.data["level"] for e in CaseEvent.objects.filter(case=case, action="escalate").order_by("id")]
    assert levels == [1, 2, 3]


def test_finishing_a_stage_resets_its_warnings_but_remembers_it_was_late(cw: CaseWorld, clock) -> None:
    w = cw.w
    case = new_case(cw)
    clock.move_to(datetime(2026, 11, 16, 12, 0, tzinfo=SHANGHAI))  # registration was due 11:00
    assert services.tick().overdue == 1
    case = services.case_register(actor=w.c01_worker, case=case)
    assert case.overdue_since is None
    assert case.escalation_level == 0
    assert case.was_overdue
    assert services.tick().overdue == 0


def test_the_sweep_ignores_ended_cases(cw: CaseWorld, clock) -> None:
    case = new_case(cw)
    services.case_reject(actor=cw.w.c01_worker, case=case, reason="重复反映")
    clock.move_to(datetime(2026, 12, 1, 9, 0, tzinfo=SHANGHAI))
    assert str(services.tick()) == "warned 0, overdue 0, escalated 0"
