"""/api/v1/opinions, /open-days and /notices: the same services as the pages, over HTTP, scoped."""

from __future__ import annotations

from datetime import date, time

from django.test import Client

from linli.notices import services as notices
from linli.notices.tests.test_services import finance
from linli.opinions import services


def post(client: Client, url: str, body: dict, headers: dict):
    return client.post(url, body, content_type="application/json", **headers)


def test_record_reply_and_turn_into_a_case(world, cw, client: Client, bearer) -> None:
    worker = bearer(world.c01_worker)
    created = post(
        client,
        "/api/v1/opinions",
        {"area": "S01/C01/G01", "topics": ["traffic"], "summary": "停车难"},
        worker,
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["number"] == "MY202611-0001"
    assert body["topics"] == ["traffic"]
    refused = post(client, "/api/v1/opinions", {"area": "", "topics": [], "summary": ""}, worker)
    assert refused.status_code == 400
    case = post(
        client,
        f"/api/v1/opinions/{body['id']}/case",
        {"category": cw.dept_category.code, "title": "停车难"},
        worker,
    )
    assert case.status_code == 201, case.content
    assert (
        client.get(f"/api/v1/opinions/{body['id']}", **worker).json()["case_number"] == case.json()["number"]
    )
    report = client.get("/api/v1/opinions-report?month=2026-11", **worker).json()
    assert report["total"] == 1
    assert report["case_share"] == "100.0%"
    other = bearer(world.grid_worker_c02_g01)
    assert client.get(f"/api/v1/opinions/{body['id']}", **other).status_code == 404
    assert client.get("/api/v1/opinions", **other).json()["count"] == 0


def test_reply_via_api(world, clock, client: Client, bearer) -> None:
    worker = bearer(world.c01_worker)
    o = services.opinion_record(
        actor=world.c01_worker, area=world.c01, channel="hotline", summary="噪声", topics=["environment"]
    )
    replied = post(client, f"/api/v1/opinions/{o.pk}/reply", {"reply": "已协调", "mode": "phone"}, worker)
    assert replied.json()["status"] == "replied"
    again = post(client, f"/api/v1/opinions/{o.pk}/reply", {"reply": "再次", "mode": "phone"}, worker)
    assert again.status_code == 400


def test_open_days_and_notices(world, clock, client: Client, bearer) -> None:
    day = services.open_day_create(
        actor=world.c01_worker, area=world.c01, held_on=date(2026, 11, 15), start_time=time(9), place="大厅"
    )
    services.opinion_record(
        actor=world.c01_worker,
        area=world.c01,
        channel="open_day",
        open_day=day,
        summary="加装电梯",
        topics=["facilities"],
    )
    worker = bearer(world.c01_worker)
    days = client.get("/api/v1/open-days", **worker).json()
    assert [(d["id"], d["opinions"], d["open"]) for d in days] == [(day.pk, 1, 1)]
    notice = notices.notice_publish(actor=world.c01_worker, notice=finance(world))
    listed = client.get("/api/v1/notices", **worker).json()
    assert listed[0]["declared_expense"] == "5050.50"
    assert [line["amount"] for line in listed[0]["lines"]] == ["30000.00", "1250.50", "3800.00"]
    assert client.get(f"/api/v1/notices/{notice.pk}", **bearer(world.grid_worker_c02_g01)).status_code == 404
