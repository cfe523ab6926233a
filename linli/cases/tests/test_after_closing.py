"""After closing (issue 15, item 7): one follow-up per case, and a resident's "还没解决" within a set
number of days, which reopens the case as rework."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from linli.cases import selectors, services
from linli.cases.models import Case, CaseEvent
from linli.cases.tests.conftest import CaseWorld, new_case, run_to_handled
from linli.core.errors import DomainError


def closed_case(cw: CaseWorld) -> Case:
    case = run_to_handled(cw, new_case(cw))
    case = services.case_verify(actor=cw.w.c01_leader, case=case)
    return services.case_pass(actor=cw.w.c01_leader, case=case)


def test_no_follow_up_form_once_the_follow_up_is_done(cw: CaseWorld, client_for) -> None:
    case = closed_case(cw)
    worker = client_for(cw.w.c01_worker)
    assert 'data-testid="action-follow_up"' in worker.get(f"/cases/{case.pk}/").content.decode()
    assert worker.post(f"/cases/{case.pk}/follow_up/", {"satisfaction": "satisfied"}).status_code == 302
    page = worker.get(f"/cases/{case.pk}/").content.decode()
    assert 'data-testid="action-follow_up"' not in page
    assert "follow_up" not in selectors.available_actions(Case.objects.get(pk=case.pk), cw.w.c01_worker)
    # A second follow-up (a stale page, the API) is refused and changes nothing.
    again = worker.post(f"/cases/{case.pk}/follow_up/", {"satisfaction": "dissatisfied"})
    assert again.status_code == 400
    assert "已回访过" in again.content.decode()
    assert Case.objects.get(pk=case.pk).satisfaction == "satisfied"
    assert CaseEvent.objects.filter(case=case, action="follow_up").count() == 1


def track(client: Client, case: Case) -> str:
    assert client.post("/track/", {"number": case.number, "phone": "13800138000"}).status_code == 302
    return client.get(f"/track/{case.number}/").content.decode()


def test_a_resident_says_a_closed_case_is_not_solved_and_it_reopens_as_rework(
    cw: CaseWorld, clock, client: Client
) -> None:
    case = closed_case(cw)
    services.case_follow_up(actor=cw.w.c01_worker, case=case, satisfaction="satisfied")
    assert case.closed_at is not None
    clock.move_to(case.closed_at + timedelta(days=6))
    page = track(client, case)
    assert 'data-testid="reopen"' in page
    assert "7 天内" in page
    # Without saying what is wrong: explained, nothing changes.
    client.post(f"/track/{case.number}/verdict/", {"solved": "0", "note": ""})
    assert Case.objects.get(pk=case.pk).status == "closed"
    client.post(f"/track/{case.number}/verdict/", {"solved": "0", "note": "楼上又开始夜里装修了"})
    case.refresh_from_db()
    assert case.status == "handling"
    assert case.rework_count == 1
    assert case.reopen_count == 0
    assert (case.closed_at, case.handling_seconds, case.satisfaction, case.followed_up_at) == (
        None,
        None,
        "",
        None,
    )
    assert case.assignee == cw.w.grid_worker_c01_g01  # back to its handler
    event = CaseEvent.objects.filter(case=case).last()
    assert event is not None
    assert (event.action, event.from_status, event.data["reopened"]) == ("resident_dispute", "closed", True)
    assert cw.w.grid_worker_c01_g01.notifications.filter(kind="rework", case=case).exists()


def test_after_the_set_number_of_days_the_resident_is_not_offered_a_reopening(
    cw: CaseWorld, clock, client: Client, settings
) -> None:
    settings.LINLI_RESIDENT_REOPEN_DAYS = 3
    case = closed_case(cw)
    assert case.closed_at is not None
    clock.move_to(case.closed_at + timedelta(days=3, minutes=1))
    page = track(client, case)
    assert 'data-testid="reopen"' not in page
    client.post(f"/track/{case.number}/verdict/", {"solved": "0", "note": "还是不行"})
    assert Case.objects.get(pk=case.pk).status == "closed"
    with pytest.raises(DomainError, match="超过 3 天"):
        services.resident_verdict(case=case, solved=False, note="还是不行")
