"""/api/v1/visits…: the same services as the pages, over HTTP with bearer tokens, scoped."""

from __future__ import annotations

from django.test import Client

from linli.cases.services import category_create
from linli.visits import services
from linli.visits.models import Visit, VisitTask
from linli.visits.tests.conftest import VisitWorld


def post(client: Client, url: str, body: dict, headers: dict):
    return client.post(url, body, content_type="application/json", **headers)


def test_log_a_visit_and_see_it_in_the_log_and_todo(vw: VisitWorld, client: Client, bearer) -> None:
    grid = bearer(vw.w.grid_worker_c01_g01)
    todo = client.get("/api/v1/visits-todo", **grid).json()
    assert [t["resident_name"] for t in todo["due_soon"]] == ["钱老伯"]
    created = post(client, "/api/v1/visits", {"resident_id": vw.alone.pk, "observations": "安好"}, grid)
    assert created.status_code == 201, created.content
    assert created.json()["mode"] == "in_person"
    assert created.json()["grid_path"] == "S01/C01/G01"
    log = client.get("/api/v1/visits", **grid).json()
    assert log["count"] == 1
    after = client.get("/api/v1/visits-todo", **grid).json()["due_soon"]
    assert [(t["resident_name"], t["last_visited_on"], t["due_on"]) for t in after] == [
        ("钱老伯", "2026-11-20", "2026-11-27")
    ]


def test_bad_input_is_a_400_with_the_field_and_writes_nothing(vw: VisitWorld, client: Client, bearer) -> None:
    grid = bearer(vw.w.grid_worker_c01_g01)
    bad = post(
        client, "/api/v1/visits", {"resident_id": vw.alone.pk, "observations": "x", "mode": "fax"}, grid
    )
    assert bad.status_code == 400
    assert bad.json()["field"] == "mode"
    missing = post(client, "/api/v1/visits", {"resident_id": vw.alone.pk}, grid)
    assert missing.status_code == 422
    assert not Visit.objects.exists()


def test_out_of_scope_is_404_everywhere(vw: VisitWorld, client: Client, bearer) -> None:
    grid = bearer(vw.w.grid_worker_c01_g01)
    other = services.visit_create(actor=None, resident=vw.c02_alone, mode="phone", observations="x")
    assert (
        post(
            client, "/api/v1/visits", {"resident_id": vw.c02_alone.pk, "observations": "x"}, grid
        ).status_code
        == 404
    )
    assert client.get(f"/api/v1/visits/{other.pk}", **grid).status_code == 404
    assert (
        post(
            client,
            "/api/v1/visit-tasks",
            {"resident_id": vw.c02_alone.pk, "trigger": "worries", "note": "x"},
            grid,
        ).status_code
        == 404
    )
    assert client.get("/api/v1/visit-coverage?area=S01/C02", **grid).status_code == 404
    assert client.get("/api/v1/visits").status_code == 401


def test_need_to_case_tasks_coverage_plans_pairings_and_diary(vw: VisitWorld, client: Client, bearer) -> None:
    worker, leader = bearer(vw.w.c01_worker), bearer(vw.w.c01_leader)
    parent = category_create(actor=None, code="V", name="测试大类")
    category_create(actor=None, code="V-HELP", name="生活帮扶", parent=parent)
    visit = post(
        client,
        "/api/v1/visits",
        {"household_id": vw.household.pk, "observations": "x", "needs": "助餐"},
        worker,
    ).json()
    case = post(client, f"/api/v1/visits/{visit['id']}/case", {"category": "V-HELP", "title": "助餐"}, worker)
    assert case.status_code == 201
    assert client.get(f"/api/v1/visits/{visit['id']}", **worker).json()["case_numbers"] == [
        case.json()["number"]
    ]

    task = post(
        client,
        "/api/v1/visit-tasks",
        {"resident_id": vw.dibao.pk, "trigger": "hardship", "note": "失业"},
        worker,
    )
    assert task.status_code == 201
    assert task.json()["assignee"] == "c01g01"
    assert client.get("/api/v1/visit-tasks", **worker).json()["count"] == 1
    cancelled = post(client, f"/api/v1/visit-tasks/{task.json()['id']}/cancel", {"reason": "重复"}, worker)
    assert cancelled.json()["status"] == "cancelled"
    assert VisitTask.objects.get().status == "cancelled"

    coverage = client.get("/api/v1/visit-coverage?group=community", **leader).json()
    assert [r["key"] for r in coverage["rows"]] == ["S01/C01"]
    assert coverage["total"]["targets"] == 3

    plan = post(
        client, "/api/v1/care-plans", {"area": "S01/C01", "tag": "elderly_80", "interval_days": 14}, leader
    )
    assert plan.status_code == 201
    assert (
        post(
            client,
            "/api/v1/care-plans",
            {"area": "S01/C01", "tag": "elderly_80", "interval_days": 14},
            worker,
        ).status_code
        == 403
    )
    patched = client.patch(
        f"/api/v1/care-plans/{plan.json()['id']}",
        {"interval_days": 10},
        content_type="application/json",
        **leader,
    )
    assert patched.json()["interval_days"] == 10

    pairing = post(
        client,
        "/api/v1/pairings",
        {"resident_id": vw.alone.pk, "visitor": "c01-worker", "kind": "party_member"},
        worker,
    )
    assert pairing.status_code == 201
    assert (
        post(client, f"/api/v1/pairings/{pairing.json()['id']}/end", {}, worker).json()["end_date"]
        is not None
    )

    diary = post(client, "/api/v1/diary", {"text": "居民反映垃圾清运不及时"}, worker)
    assert diary.status_code == 201
    assert diary.json()["area_path"] == "S01/C01"
    assert client.get("/api/v1/diary?q=垃圾", **worker).json()["count"] == 1
