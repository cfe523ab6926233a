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


def test_open_days_are_planned_attended_and_cancelled_through_the_api(world, clock, client: Client, bearer):
    worker, leader, viewer = bearer(world.c01_worker), bearer(world.c01_leader), bearer(world.viewer)
    planned = post(
        client,
        "/api/v1/open-day-rules",
        {"area": "S01/C01", "week_of_month": 2, "weekday": 6, "place": "服务大厅", "months": 2},
        worker,
    )
    assert planned.status_code == 201, planned.content
    assert [d["held_on"] for d in planned.json()] == ["2026-12-13"]  # November's 2nd Sunday has passed
    assert (
        post(
            client,
            "/api/v1/open-day-rules",
            {"area": "S01/C01", "week_of_month": 7, "weekday": 6, "place": "大厅"},
            worker,
        ).status_code
        == 400
    )
    made = post(
        client, "/api/v1/open-days", {"area": "S01/C01", "held_on": "2026-11-15", "place": "大厅"}, worker
    )
    assert made.status_code == 201, made.content
    day = made.json()["id"]
    same_day = post(
        client, "/api/v1/open-days", {"area": "S01/C01", "held_on": "2026-11-15", "place": "x"}, worker
    )
    assert same_day.status_code == 400
    assert same_day.json()["field"] == "held_on"
    # A viewer reads the days but neither plans them nor records what was said.
    plan = {"area": "S01/C01", "held_on": "2026-12-20", "place": "x"}
    assert post(client, "/api/v1/open-days", plan, viewer).status_code == 403
    entry = {"topics": ["safety"], "summary": "x"}
    assert post(client, f"/api/v1/open-days/{day}/opinions", entry, viewer).status_code == 403
    opinion = post(
        client,
        f"/api/v1/open-days/{day}/opinions",
        {"topics": ["facilities"], "summary": "加装电梯", "anonymous": True},
        leader,
    )
    assert opinion.status_code == 201, opinion.content
    assert opinion.json()["channel"] == "open_day"
    assert opinion.json()["speaker"] == "匿名"
    # Entered the day after: collected at the day's start, so its reply deadline runs from then.
    assert opinion.json()["received_at"] == "2026-11-15T01:00:00Z"  # 09:00 in Shanghai
    attended = post(
        client,
        f"/api/v1/open-days/{day}/attendance",
        {
            "street_attendees": ["王强 街道办副主任"],
            "department_attendees": ["李明 城管科"],
            "residents_met": 42,
        },
        worker,
    )
    assert attended.status_code == 200, attended.content
    got = client.get(f"/api/v1/open-days/{day}", **worker).json()
    assert (got["status"], got["residents_met"], got["street_attendees"], got["opinions"]) == (
        "held",
        42,
        ["王强 街道办副主任"],
        1,
    )
    bad = post(client, f"/api/v1/open-days/{day}/attendance", {"residents_met": -1}, worker)
    assert bad.status_code == 400
    assert bad.json()["field"] == "residents_met"
    later = planned.json()[0]["id"]
    assert post(client, f"/api/v1/open-days/{later}/cancel", {"reason": ""}, worker).status_code == 400
    cancelled = post(client, f"/api/v1/open-days/{later}/cancel", {"reason": "与选举日冲突"}, worker)
    assert cancelled.json()["status"] == "cancelled"
    assert post(client, f"/api/v1/open-days/{day}/cancel", {"reason": "x"}, worker).status_code == 400
    outsider = bearer(world.grid_worker_c02_g01)
    assert client.get(f"/api/v1/open-days/{day}", **outsider).status_code == 404
    assert (
        post(
            client, f"/api/v1/open-days/{day}/opinions", {"topics": [], "summary": "x"}, outsider
        ).status_code
        == 404
    )


def test_notices_are_drafted_published_corrected_and_withdrawn_through_the_api(world, clock, client, bearer):
    worker = bearer(world.c01_worker)
    lines = [
        {"kind": "income", "purpose": "上级拨付", "amount": "30000.00", "voucher_no": "R-1"},
        {"kind": "expense", "purpose": "楼道照明", "amount": "1250.50", "voucher_no": "P-1"},
    ]
    draft = {
        "area": "S01/C01",
        "category": "finance",
        "title": "第三季度财务公开",
        "body": "收支如下。",
        "publish_from": "2026-11-16",
        "publish_until": "2026-11-30",
        "lines": lines,
        "declared_income": "30000.00",
        "declared_expense": "1200.00",
    }
    wrong = post(client, "/api/v1/notices", draft, worker)
    assert wrong.status_code == 400
    assert "1,250.50" in wrong.json()["detail"]
    assert wrong.json()["field"] == "declared_expense"
    made = post(client, "/api/v1/notices", {**draft, "declared_expense": "1250.50"}, worker)
    assert made.status_code == 201, made.content
    notice = made.json()
    assert (notice["status"], notice["version"], notice["declared_expense"]) == ("draft", 1, "1250.50")
    nid = notice["id"]
    edit = {"title": "2026 年第三季度财务公开", "body": "收支如下。", "publish_from": "2026-11-16"}
    assert (
        client.put(f"/api/v1/notices/{nid}", edit, content_type="application/json", **worker).status_code
        == 200
    )
    published = post(client, f"/api/v1/notices/{nid}/publish", {}, worker)
    assert published.json()["status"] == "published"
    assert published.json()["days_left"] is None  # no end date: on display until withdrawn
    # Published: never edited, only corrected by a new version.
    refused = client.put(f"/api/v1/notices/{nid}", edit, content_type="application/json", **worker)
    assert refused.status_code == 400
    assert "更正" in refused.json()["detail"]
    question = notices.question_ask(notice=nid, text="照明何时修好？")
    answered = post(
        client, f"/api/v1/notices/{nid}/questions/{question.pk}/answer", {"answer": "本周内"}, worker
    )
    assert answered.json()["questions"][0]["answer"] == "本周内"
    correction = post(client, f"/api/v1/notices/{nid}/correct", {"reason": "凭证号有误"}, worker)
    assert correction.status_code == 201, correction.content
    fixed = correction.json()
    assert (fixed["status"], fixed["version"], fixed["supersedes_id"]) == ("draft", 2, nid)
    lines[1]["voucher_no"] = "P-2"
    put_lines = client.put(
        f"/api/v1/notices/{fixed['id']}/lines",
        {"lines": lines, "declared_income": "30000.00", "declared_expense": "1250.50"},
        content_type="application/json",
        **worker,
    )
    assert put_lines.status_code == 200, put_lines.content
    assert post(client, f"/api/v1/notices/{fixed['id']}/publish", {}, worker).json()["status"] == "published"
    assert client.get(f"/api/v1/notices/{nid}", **worker).json()["status"] == "superseded"
    withdrawn = post(client, f"/api/v1/notices/{fixed['id']}/withdraw", {"reason": "重复发布"}, worker)
    assert withdrawn.json()["status"] == "withdrawn"
    scratch = post(client, "/api/v1/notices", {**draft, "category": "affairs", "lines": []}, worker).json()
    assert client.delete(f"/api/v1/notices/{scratch['id']}", **worker).status_code == 204
    assert client.delete(f"/api/v1/notices/{nid}", **worker).status_code == 400
    outsider = bearer(world.grid_worker_c02_g01)
    assert post(client, f"/api/v1/notices/{nid}/withdraw", {"reason": "x"}, outsider).status_code == 404
    grid_worker = bearer(world.grid_worker_c01_g01)
    assert post(client, "/api/v1/notices", draft, grid_worker).status_code in (403, 404)
