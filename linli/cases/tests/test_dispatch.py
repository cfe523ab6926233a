"""Who a case may be dispatched to, and how the history names the people (issue 15, items 1 and 6).

A department may take a case when its area is the case's area, one of its ancestors or below it — the
same rule for the form's list, the page's action, the API and the service; the dispatcher's own scope
does not enter into it.
"""

from __future__ import annotations

import pytest
from django.test import Client

from linli.accounts.services import user_create
from linli.cases import routing, services
from linli.cases.models import Case, CaseEvent
from linli.cases.tests.conftest import CaseWorld, new_case
from linli.core.errors import DomainError
from tests.factories import PASSWORD


def registered(cw: CaseWorld, **overrides) -> Case:
    case = new_case(cw, **overrides)
    return services.case_register(actor=cw.w.c01_worker, case=case)


def other_departments(cw: CaseWorld) -> tuple:
    """和平社区's own office (C02) and 东湖街道's 城管 (S02): neither serves a case in 锦绣社区."""
    member, _ = user_create(
        actor=None, username="c02-office", role="department_handler", areas=[cw.w.c02], password=PASSWORD
    )
    c02 = services.department_create(actor=None, area=cw.w.c02, code="C02-OFFICE", name="和平社区物业办")
    s02 = services.department_create(actor=None, area=cw.w.s02, code="S02-CG", name="东湖城管中队")
    c01 = services.department_create(
        actor=None, area=cw.w.c01, code="C01-OFFICE", name="锦绣社区物业办", members=[]
    )
    return c02, s02, c01, member


def test_a_community_worker_dispatches_to_the_streets_department_on_the_page(
    cw: CaseWorld, client_for
) -> None:
    case = registered(cw)
    client = client_for(cw.w.c01_worker)
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert '<option value="CG">城管执法中队</option>' in page
    response = client.post(f"/cases/{case.pk}/dispatch/", {"department": "CG"})
    assert response.status_code == 302, response.content.decode()
    case.refresh_from_db()
    assert (case.status, case.department) == ("dispatched", cw.department)


@pytest.mark.parametrize("username", ["c01-worker", "c01-leader"])
def test_community_dispatchers_dispatch_to_the_streets_department_over_the_api(
    cw: CaseWorld, client: Client, bearer, username: str
) -> None:
    case = registered(cw)
    user = cw.w.c01_worker if username == "c01-worker" else cw.w.c01_leader
    response = client.post(
        f"/api/v1/cases/{case.pk}/actions",
        {"action": "dispatch", "department": "cg"},
        content_type="application/json",
        **bearer(user),
    )
    assert response.status_code == 200, response.content
    assert response.json()["department"] == "CG"


def test_departments_that_do_not_serve_the_case_are_neither_offered_nor_accepted(
    cw: CaseWorld, client_for, client: Client, bearer
) -> None:
    c02, s02, c01, _ = other_departments(cw)
    case = registered(cw)
    assert list(routing.departments_for(case.area)) == [c01, cw.department]
    page = client_for(cw.w.street_admin).get(f"/cases/{case.pk}/").content.decode()
    assert "和平社区物业办" not in page
    assert "东湖城管中队" not in page
    assert "锦绣社区物业办" in page
    # The page refuses a department of another community, in Chinese, and changes nothing.
    refused = client_for(cw.w.street_admin).post(f"/cases/{case.pk}/dispatch/", {"department": "C02-OFFICE"})
    assert refused.status_code == 400
    assert "不负责" in refused.content.decode()
    # So does the API, even for the street admin whose scope holds both communities.
    api = client.post(
        f"/api/v1/cases/{case.pk}/actions",
        {"action": "dispatch", "department": "C02-OFFICE"},
        content_type="application/json",
        **bearer(cw.w.street_admin),
    )
    assert api.status_code == 400
    assert "不负责" in api.json()["detail"]
    # And the service itself, whoever calls it.
    with pytest.raises(DomainError, match="不负责"):
        services.case_dispatch(actor=None, case=case, department=s02)
    case.refresh_from_db()
    assert case.status == "registered"
    assert not CaseEvent.objects.filter(case=case, action="dispatch").exists()


def test_a_case_still_at_the_street_may_go_to_a_community_office_below_it(cw: CaseWorld) -> None:
    _, s02, c01, _ = other_departments(cw)
    case = new_case(cw, actor=cw.w.street_admin, house=None, area=cw.w.s01)
    case = services.case_register(actor=cw.w.street_admin, case=case)
    assert c01 in routing.departments_for(case.area)
    assert s02 not in routing.departments_for(case.area)
    case = services.case_dispatch(actor=cw.w.street_admin, case=case, department=c01)
    assert case.department == c01


def test_a_categorys_department_is_suggested_only_where_it_serves(cw: CaseWorld) -> None:
    _, s02, _, _ = other_departments(cw)
    services.category_update(actor=None, category=cw.dept_category, department=s02)
    case = registered(cw, category=cw.dept_category, attributes={})
    suggestion = routing.suggest(case)
    assert suggestion.department is None
    assert suggestion.assignee == cw.w.grid_worker_c01_g01


def test_the_history_names_people_and_only_a_redispatch_is_called_gai_pai(cw: CaseWorld, client_for) -> None:
    case = registered(cw)
    # The first dispatch follows the suggestion: no label at all.
    case = services.case_dispatch(actor=cw.w.c01_worker, case=case)
    case = services.case_return(actor=cw.w.grid_worker_c01_g01, case=case, reason="不在我的网格")
    case = services.case_dispatch(actor=cw.w.c01_leader, case=case, department=cw.department)
    page = client_for(cw.w.c01_worker).get(f"/cases/{case.pk}/").content.decode()
    timeline = page[page.index('data-testid="timeline"') :]
    worker = cw.w.c01_worker
    assert f"{worker.full_name}（社区工作者）" in timeline
    assert f"{cw.w.grid_worker_c01_g01.full_name}（网格员）" in timeline
    for login in ("c01-worker", "c01g01", "c01-leader"):
        assert login not in timeline
    first, second = CaseEvent.objects.filter(case=case, action="dispatch").order_by("at", "id")
    assert first.data["redispatch"] is False
    assert first.data["override"] is False
    assert second.data["redispatch"] is True
    assert timeline.count("（改派）") == 1
    assert "人工改派" not in timeline


def test_a_first_dispatch_without_a_suggestion_is_not_labelled(cw: CaseWorld, client_for) -> None:
    # A community-level case (a resident's) has no suggestion: choosing someone is simply dispatching.
    case = registered(cw, house=None, area=cw.w.c01)
    case = services.case_dispatch(actor=cw.w.c01_worker, case=case, assignee=cw.w.grid_worker_c01_g02)
    event = CaseEvent.objects.get(case=case, action="dispatch")
    assert event.data["override"] is False
    page = client_for(cw.w.c01_worker).get(f"/cases/{case.pk}/").content.decode()
    assert "改派" not in page[page.index('data-testid="timeline"') :]
    assert "未按建议" not in page


def test_events_in_the_api_name_people_too(cw: CaseWorld, client: Client, bearer) -> None:
    case = registered(cw)
    data = client.get(f"/api/v1/cases/{case.pk}", **bearer(cw.w.c01_worker)).json()
    actors = {e["actor"] for e in data["events"]}
    assert actors == {f"{cw.w.c01_worker.full_name}（社区工作者）"}
