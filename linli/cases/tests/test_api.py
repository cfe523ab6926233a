"""/api/v1/cases…: the same moves as the pages, over HTTP with bearer tokens."""

from __future__ import annotations

from django.test import Client

from linli.cases import services
from linli.cases.models import Case
from linli.cases.tests.conftest import CaseWorld, new_case
from linli.core.models import AuditEntry


def act(client: Client, headers: dict, case_id: int, action: str, **body):
    return client.post(
        f"/api/v1/cases/{case_id}/actions",
        {"action": action, **body},
        content_type="application/json",
        **headers,
    )


def test_a_case_through_the_api_from_intake_to_closure(cw: CaseWorld, client: Client, bearer) -> None:
    worker, grid, leader = bearer(cw.w.c01_worker), bearer(cw.w.grid_worker_c01_g01), bearer(cw.w.c01_leader)
    body = {
        "category": "T-NOISE",
        "channel": "phone",
        "title": "夜间施工",
        "description": "工地夜里十二点还在施工",
        "house_id": cw.house.pk,
        "reporter_phone": "13800138000",
        "attributes": {"period": "night"},
    }
    response = client.post("/api/v1/cases", body, content_type="application/json", **worker)
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["reporter_phone"] == "138****8000"
    assert data["area_path"] == "S01/C01/G01"
    assert data["available_actions"] == ["register", "reject", "merge"]
    case_id = data["id"]
    assert act(client, worker, case_id, "register").status_code == 200
    dispatched = act(client, worker, case_id, "dispatch").json()
    assert dispatched["assignee"] == "c01g01"
    assert [c["id"] for c in client.get("/api/v1/inbox", **grid).json()["todo"]] == [case_id]
    assert act(client, grid, case_id, "accept").status_code == 200
    assert act(client, grid, case_id, "finish", result="已停工").status_code == 200
    assert act(client, leader, case_id, "verify").status_code == 200
    closed = act(client, leader, case_id, "pass", note="现场核实").json()
    assert closed["status"] == "closed"
    assert [e["action"] for e in closed["events"]] == [
        "receive",
        "register",
        "dispatch",
        "accept",
        "finish",
        "verify",
        "pass",
    ]


def test_a_move_someone_else_already_made_is_409(cw: CaseWorld, client: Client, bearer) -> None:
    case = new_case(cw)
    headers = bearer(cw.w.c01_worker)
    assert act(client, headers, case.pk, "register").status_code == 200
    response = act(client, headers, case.pk, "register")
    assert response.status_code == 409
    assert response.json()["code"] == "conflict"


def test_bad_input_is_a_plain_400_and_writes_nothing(cw: CaseWorld, client: Client, bearer) -> None:
    headers = bearer(cw.w.c01_worker)
    body = {"category": "T-NOISE", "channel": "fax", "title": "x", "description": "y", "area": "S01/C01/G01"}
    response = client.post("/api/v1/cases", body, content_type="application/json", **headers)
    assert response.status_code == 400
    assert response.json()["field"] == "channel"
    body["channel"] = "phone"
    response = client.post("/api/v1/cases", body, content_type="application/json", **headers)
    assert response.status_code == 400
    assert response.json()["field"] == "attribute[period]"
    response = client.post(
        "/api/v1/cases", {**body, "category": "NOPE"}, content_type="application/json", **headers
    )
    assert response.status_code == 400
    assert response.json()["field"] == "category"
    case = new_case(cw)
    assert act(client, headers, case.pk, "reject", note="").status_code == 400
    assert act(client, headers, case.pk, "teleport").status_code == 400
    assert Case.objects.count() == 1


def test_cases_outside_scope_are_404(cw: CaseWorld, client: Client, bearer) -> None:
    case = new_case(cw)
    other = bearer(cw.w.grid_worker_c02_g01)
    assert client.get(f"/api/v1/cases/{case.pk}", **other).status_code == 404
    assert act(client, other, case.pk, "register").status_code == 404
    assert client.get("/api/v1/cases", **other).json()["count"] == 0
    body = {
        "category": "T-NOISE",
        "channel": "phone",
        "title": "x",
        "description": "y",
        "house_id": cw.house.pk,
    }
    assert client.post("/api/v1/cases", body, content_type="application/json", **other).status_code == 404


def test_revealing_the_phone_is_permitted_and_audited(cw: CaseWorld, client: Client, bearer) -> None:
    case = new_case(cw)
    leader = client.get(f"/api/v1/cases/{case.pk}?reveal=true", **bearer(cw.w.c01_leader))
    assert leader.json()["reporter_phone"] == "13800138000"
    assert AuditEntry.objects.filter(action="reveal", object_id=str(case.pk)).count() == 1
    assert (
        client.get(f"/api/v1/cases/{case.pk}?reveal=true", **bearer(cw.w.grid_worker_c01_g01)).status_code
        == 403
    )


def test_list_filters_categories_extensions_and_indicators(cw: CaseWorld, client: Client, bearer) -> None:
    first = new_case(cw)
    new_case(cw, category=cw.dept_category, attributes={})
    headers, leader = bearer(cw.w.c01_worker), bearer(cw.w.c01_leader)
    listed = client.get("/api/v1/cases", {"category": "T-STALL"}, **headers).json()
    assert listed["count"] == 1
    assert (
        client.get("/api/v1/cases", {"search": first.number}, **headers).json()["items"][0]["id"] == first.pk
    )
    categories = {c["code"]: c for c in client.get("/api/v1/case-categories", **headers).json()}
    assert categories["T-STALL"]["department"] == "CG"
    assert {"stage": "handle", "amount": 3, "unit": "days"} in categories["T-NOISE"]["limits"]
    act(client, headers, first.pk, "register")
    act(client, headers, first.pk, "dispatch")
    grid = bearer(cw.w.grid_worker_c01_g01)
    requested = act(
        client, grid, first.pk, "extension_request", amount=2, unit="days", note="等待物业"
    ).json()
    ext_id = requested["pending_extension_id"]
    assert ext_id is not None
    denied = client.post(
        f"/api/v1/case-extensions/{ext_id}/decision",
        {"approve": False},
        content_type="application/json",
        **leader,
    )
    assert denied.status_code == 400
    assert denied.json()["field"] == "note"
    approved = client.post(
        f"/api/v1/case-extensions/{ext_id}/decision",
        {"approve": True},
        content_type="application/json",
        **leader,
    )
    assert approved.status_code == 200
    assert approved.json()["pending_extension_id"] is None
    indicators = client.get("/api/v1/case-indicators", {"group": "category"}, **leader).json()
    assert indicators["total"]["values"]["received"] == 2
    assert client.get("/api/v1/case-indicators", {"group": "planet"}, **leader).status_code == 400
    marked = client.post("/api/v1/inbox/read", {}, content_type="application/json", **grid).json()
    assert marked["marked"] >= 1


def test_list_rows_name_their_category_area_assignee_and_department(
    cw: CaseWorld, client: Client, bearer
) -> None:
    """The page is read without joins and its names looked up after: each row must still get its own."""
    w = cw.w
    to_worker = services.case_dispatch(
        actor=w.c01_worker,
        case=services.case_register(actor=w.c01_worker, case=new_case(cw)),
        assignee=w.grid_worker_c01_g01,
    )
    to_department = services.case_dispatch(
        actor=w.c01_worker,
        case=services.case_register(
            actor=w.c01_worker, case=new_case(cw, category=cw.dept_category, attributes={})
        ),
        department=cw.department,
    )
    waiting = new_case(cw, house=None, area=w.c01)
    items = {i["id"]: i for i in client.get("/api/v1/cases", **bearer(w.c01_worker)).json()["items"]}
    assert set(items) == {to_worker.pk, to_department.pk, waiting.pk}
    for case in (to_worker, to_department, waiting):
        case.refresh_from_db()
        row = items[case.pk]
        assert (row["category"], row["category_name"]) == (case.category.code, case.category.name)
        assert (row["area_path"], row["area_name"]) == (case.area.path, case.area.qualified_name)
        assert row["assignee"] == (case.assignee.username if case.assignee else None)
        assert row["department"] == (case.department.code if case.department else None)
    assert items[to_worker.pk]["assignee"] == "c01g01"
    assert items[to_department.pk]["department"] == cw.department.code
    assert items[waiting.pk]["area_path"] == "S01/C01"
    assert items[waiting.pk]["assignee"] is None
    assert items[waiting.pk]["department"] is None


def test_the_list_counts_up_to_the_cap_and_then_says_more_than(
    cw: CaseWorld, client: Client, bearer, settings
) -> None:
    # As a broad resident search does: past LINLI_SEARCH_COUNT_CAP the count is the cap, flagged inexact.
    for _ in range(3):
        new_case(cw)
    settings.LINLI_SEARCH_COUNT_CAP = 2
    body = client.get("/api/v1/cases", **bearer(cw.w.c01_worker)).json()
    assert (len(body["items"]), body["count"], body["count_exact"]) == (3, 2, False)
    settings.LINLI_SEARCH_COUNT_CAP = 3
    body = client.get("/api/v1/cases?status=open", **bearer(cw.w.c01_worker)).json()
    assert (body["count"], body["count_exact"]) == (3, True)
    # A narrower filter is counted exactly under the cap; scope still bounds what is counted.
    settings.LINLI_SEARCH_COUNT_CAP = 2
    body = client.get("/api/v1/cases?status=closed", **bearer(cw.w.c01_worker)).json()
    assert (body["count"], body["count_exact"]) == (0, True)
    body = client.get("/api/v1/cases", **bearer(cw.w.other_street_admin)).json()
    assert (body["items"], body["count"], body["count_exact"]) == ([], 0, True)
