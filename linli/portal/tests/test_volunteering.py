"""Volunteering and the time bank from the portal: registering, signing up and cancelling (with the
volunteers' checks), signing in at the place's QR code, hours, balances, proofs, and asking for help —
also for a relative (代办) — and that none of it reaches another resident's."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from linli.core.models import AuditEntry
from linli.portal.models import LinkStatus, ProxyLink
from linli.portal.tests.conftest import PortalWorld
from linli.timebank.models import Account, HelpRequest, HelpStatus, Movement
from linli.volunteers import services as volunteers
from linli.volunteers.models import Activity, Proof, RecordStatus, ServiceRecord, Volunteer, VolunteerStatus

pytestmark = pytest.mark.django_db


def _volunteer(pw: PortalWorld, resident, phone: str | None = None) -> Volunteer:
    return volunteers.volunteer_register(
        actor=pw.w.c01_worker,
        community=pw.w.c01,
        name=resident.name,
        id_number=resident.id_number,
        phone=phone or resident.phone,
    )


def _activity(pw: PortalWorld, title: str, start_minutes: int, hours: int = 2, capacity: int = 5) -> Activity:
    start = timezone.now() + timedelta(minutes=start_minutes)
    return volunteers.activity_create(
        actor=pw.w.c01_worker,
        community=pw.w.c01,
        title=title,
        place="锦绣社区服务站",
        starts_at=start,
        ends_at=start + timedelta(hours=hours),
        capacity=capacity,
        leader=pw.w.c01_worker,
    )


def _messages(response) -> list[str]:
    return [str(m) for m in response.wsgi_request._messages]


# --- registering -------------------------------------------------------------------------------


def test_a_resident_registers_as_a_volunteer_and_waits_for_the_community(pw, portal_client, client_for):
    client = portal_client(pw.fang)
    page = client.get("/portal/volunteer/").content.decode()
    assert "登记为志愿者" in page
    # Consent is required; nothing is written without it.
    r = client.post("/portal/volunteer/join/", {"preferences": "助老"})
    assert r.status_code == 400
    assert "请阅读并勾选同意" in r.content.decode()
    assert not Volunteer.objects.exists()
    r = client.post(
        "/portal/volunteer/join/", {"preferences": "助老", "availability": ["sat_am"], "agree": "on"}
    )
    assert r.status_code == 302
    v = Volunteer.objects.get()
    # The registry's details, the resident linked, waiting like a QR registration.
    assert (v.name, v.id_number, v.phone, v.community_id) == (
        "王芳",
        pw.fang.id_number,
        pw.fang.phone,
        pw.w.c01.pk,
    )
    assert v.resident_id == pw.fang.pk
    assert v.status == VolunteerStatus.APPLIED
    assert v.channel == "self"
    entry = AuditEntry.objects.filter(object_type="volunteers.volunteer", actor_label="居民 王芳").get()
    assert entry.changes["portal_registration"] is True
    assert "等待社区审核" in client.get("/portal/volunteer/").content.decode()
    # A second registration is refused; the open activities are not offered while waiting.
    assert client.post("/portal/volunteer/join/", {"agree": "on"}).status_code == 302
    assert Volunteer.objects.count() == 1
    # The community approves as for any self-registration; it shows on the staff list.
    assert "王芳" in client_for(pw.w.c01_worker).get("/volunteers/?status=applied").content.decode()


def test_registering_and_signing_up_are_personal_not_while_acting_for_a_relative(pw, portal_client):
    link = ProxyLink.objects.create(
        agent=pw.fang, principal=pw.mother, grid=pw.mother.grid, relation="母亲", status=LinkStatus.APPROVED
    )
    _volunteer(pw, pw.fang)
    activity = _activity(pw, "清扫楼道", 60)
    client = portal_client(pw.fang)
    client.post("/portal/act-for/", {"link": link.pk})
    r = client.post("/portal/volunteer/join/", {"agree": "on"})
    assert Volunteer.objects.count() == 1
    r = client.post(f"/portal/volunteer/activities/{activity.pk}/signup/")
    assert "志愿服务须本人办理" in " ".join(_messages(r))
    assert not ServiceRecord.objects.exists()
    assert (
        "志愿服务须本人办理"
        in client.get(f"/portal/volunteer/checkin/{activity.checkin_token}/").content.decode()
    )


# --- activities ------------------------------------------------------------------------------------


def test_sign_up_refusals_are_the_volunteers_own_and_write_nothing(pw, portal_client):
    me = _volunteer(pw, pw.fang)
    other = _volunteer(pw, pw.neighbour)
    first = _activity(pw, "陪老人买菜", 15)
    overlapping = _activity(pw, "清扫楼道", 60)
    full = _activity(pw, "读报", 24 * 60, capacity=1)
    volunteers.activity_sign_up(volunteer=other, activity=full)
    client = portal_client(pw.fang)
    page = client.get("/portal/volunteer/").content.decode()
    for title in ("陪老人买菜", "清扫楼道", "读报"):
        assert title in page

    r = client.post(f"/portal/volunteer/activities/{first.pk}/signup/")
    assert r.status_code == 302
    assert ServiceRecord.objects.get(volunteer=me).activity_id == first.pk
    r = client.post(f"/portal/volunteer/activities/{overlapping.pk}/signup/")
    assert any("在同一时段已报名“陪老人买菜”" in m for m in _messages(r))
    r = client.post(f"/portal/volunteer/activities/{full.pk}/signup/")
    assert any("名额已满（1 人）" in m for m in _messages(r))
    r = client.post(f"/portal/volunteer/activities/{first.pk}/signup/")
    assert any("已报名该活动" in m for m in _messages(r))
    assert ServiceRecord.objects.filter(volunteer=me).count() == 1

    # Cancelling frees the time: the overlapping one can be booked then.
    record = ServiceRecord.objects.get(volunteer=me)
    assert client.post(f"/portal/volunteer/bookings/{record.pk}/cancel/").status_code == 302
    record.refresh_from_db()
    assert record.status == RecordStatus.CANCELLED
    client.post(f"/portal/volunteer/activities/{overlapping.pk}/signup/")
    assert ServiceRecord.objects.get(volunteer=me, activity=overlapping).status == RecordStatus.BOOKED


def test_an_activity_of_another_community_cannot_be_signed_up_for(pw, portal_client):
    _volunteer(pw, pw.fang)
    start = timezone.now() + timedelta(hours=1)
    elsewhere = volunteers.activity_create(
        actor=pw.w.street_admin,
        community=pw.w.c02,
        title="别的社区的活动",
        place="远处",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        capacity=3,
    )
    client = portal_client(pw.fang)
    assert "别的社区的活动" not in client.get("/portal/volunteer/").content.decode()
    assert client.post(f"/portal/volunteer/activities/{elsewhere.pk}/signup/").status_code == 404


def test_sign_in_and_out_at_the_place_then_hours_balance_and_proof(pw, portal_client, clock, client_for):
    me = _volunteer(pw, pw.fang)
    activity = _activity(pw, "陪老人买菜", 15)
    client = portal_client(pw.fang)
    client.post(f"/portal/volunteer/activities/{activity.pk}/signup/")
    # The place's QR code opens the volunteers' page; it offers the portal's, whose session it cannot read.
    public = client.get(f"/v/checkin/{activity.checkin_token}/").content.decode()
    url = f"/portal/volunteer/checkin/{activity.checkin_token}/"
    assert url in public
    assert "签到" in client.get(url).content.decode()
    # A wrong token is nobody's activity.
    assert client.get("/portal/volunteer/checkin/not-a-token/").status_code == 404
    r = client.post(url, {"action": "in"})
    assert "签到成功。" in _messages(r)
    record = ServiceRecord.objects.get(volunteer=me)
    assert record.status == RecordStatus.SIGNED_IN
    assert record.sign_in_method == "qr"
    assert any("不能重复签到" in m for m in _messages(client.post(url, {"action": "in"})))
    clock.shift(timedelta(hours=2, minutes=20))
    client = portal_client(pw.fang)  # the first session has gone idle meanwhile
    client.post(url, {"action": "out"})
    record.refresh_from_db()
    assert record.status == RecordStatus.SIGNED_OUT
    assert record.minutes == 120
    # The leader confirms: the time bank credits the volunteer's account.
    volunteers.records_confirm(actor=pw.w.c01_worker, activity=activity)
    page = client.get("/portal/volunteer/").content.decode()
    assert 'data-testid="hours">2.0<' in page
    bank = client.get("/portal/time-bank/").content.decode()
    assert "2 小时" in bank
    assert "服务入账" in bank
    # The community issues a proof; the resident downloads it (audited), numbered as staff issued it.
    proof = volunteers.proof_issue(
        actor=pw.w.c01_worker,
        volunteer=me,
        period_start=record.day,
        period_end=record.day,
        purpose="升学",
    )
    page = client.get("/portal/volunteer/").content.decode()
    assert proof.number in page
    r = client.get(f"/portal/volunteer/proofs/{proof.pk}/")
    assert r.status_code == 200
    assert r["Content-Type"] == "application/pdf"
    assert r.content.startswith(b"%PDF")
    assert r["Content-Disposition"].startswith("attachment")
    assert proof.number in r["Content-Disposition"]
    assert AuditEntry.objects.filter(
        object_type="volunteers.proof", action="export", actor_label="居民 王芳"
    ).exists()


# --- help requests ---------------------------------------------------------------------------------


def test_asking_help_for_a_relative_is_recorded_as_acting_for_and_reaches_the_community(
    pw, portal_client, client_for, sms_outbox, django_capture_on_commit_callbacks
):
    link = ProxyLink.objects.create(
        agent=pw.fang, principal=pw.mother, grid=pw.mother.grid, relation="母亲", status=LinkStatus.APPROVED
    )
    client = portal_client(pw.fang)
    client.post("/portal/act-for/", {"link": link.pk})
    data = {
        "need": "hospital",
        "title": "周四陪妈妈去医院复查",
        "wanted_at": "2026-11-19T08:30",
        "estimated_minutes": "180",
        "pay_from": "requester",
    }
    # Bad input: a clear message, nothing written.
    r = client.post("/portal/time-bank/help/", {**data, "wanted_at": "2027-12-01T08:30"})
    assert r.status_code == 400
    assert "服务时间不能晚于半年后" in r.content.decode()
    assert not HelpRequest.objects.exists()
    sms_outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post("/portal/time-bank/help/", data)
    assert r.status_code == 302
    request = HelpRequest.objects.get()
    assert request.resident_id == pw.mother.pk
    assert request.status == HelpStatus.OPEN
    assert request.grid_id == pw.mother.grid_id
    event = request.events.get()
    assert event.actor_label == "居民 王芳（代 李秀英）"
    entry = AuditEntry.objects.get(object_type="timebank.helprequest", action="create")
    assert entry.actor_label == "居民 王芳（代 李秀英）"
    assert (entry.changes["agent"], entry.changes["principal"]) == (pw.fang.pk, pw.mother.pk)
    assert sms_outbox[-1].phone == pw.mother.phone
    assert "王芳 已代您申请了互助服务" in sms_outbox[-1].text
    detail = client.get(f"/portal/time-bank/help/{request.pk}/").content.decode()
    assert "周四陪妈妈去医院复查" in detail
    assert "待匹配" in detail
    # The community sees it on its board, as one recorded by staff.
    board = client_for(pw.w.c01_worker).get("/time-bank/requests/").content.decode()
    assert "周四陪妈妈去医院复查" in board
    # Back to herself, 王芳 does not see her mother's request among her own.
    client.post("/portal/act-for/", {})
    assert "周四陪妈妈去医院复查" not in client.get("/portal/time-bank/").content.decode()
    assert client.get(f"/portal/time-bank/help/{request.pk}/").status_code == 404


def test_a_resident_cannot_flood_the_board_nor_pay_from_the_pool(pw, portal_client):
    client = portal_client(pw.fang)
    data = {
        "need": "shopping",
        "title": "买菜",
        "wanted_at": "2026-11-18T09:00",
        "estimated_minutes": "60",
        "pay_from": "pool",
    }
    assert client.post("/portal/time-bank/help/", data).status_code == 400
    data["pay_from"] = "requester"
    for _ in range(5):
        assert client.post("/portal/time-bank/help/", data).status_code == 302
    r = client.post("/portal/time-bank/help/", data)
    assert r.status_code == 400
    assert "项互助需求在办理" in r.content.decode()
    assert HelpRequest.objects.count() == 5


def test_a_resident_withdraws_her_own_request_and_the_matched_volunteer_is_told(
    pw, portal_client, client_for, sms_outbox, django_capture_on_commit_callbacks
):
    from linli.timebank import services as bank

    helper = _volunteer(pw, pw.neighbour)
    client = portal_client(pw.fang)
    data = {
        "need": "shopping",
        "title": "周六帮忙买米",
        "wanted_at": "2026-11-21T09:00",
        "estimated_minutes": "60",
        "pay_from": "requester",
    }
    client.post("/portal/time-bank/help/", data)
    request = HelpRequest.objects.get()
    bank.help_request_match(actor=pw.w.c01_worker, request=request, volunteer=helper)
    detail = client.get(f"/portal/time-bank/help/{request.pk}/").content.decode()
    assert 'data-testid="withdraw"' in detail
    # A reason beyond 200 characters: a clear message, nothing changed.
    r = client.post(f"/portal/time-bank/help/{request.pk}/withdraw/", {"reason": "太长" * 101}, follow=True)
    assert "撤回原因" in r.content.decode()
    request.refresh_from_db()
    assert request.status == HelpStatus.MATCHED
    sms_outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(f"/portal/time-bank/help/{request.pk}/withdraw/", {"reason": "女儿回来了"})
    assert r.status_code == 302
    request.refresh_from_db()
    assert request.status == HelpStatus.CANCELLED
    assert request.cancel_reason == "居民撤回：女儿回来了"
    event = request.events.order_by("-at", "-pk").first()
    assert event is not None
    assert event.actor_label == "居民 王芳"
    assert event.to_status == HelpStatus.CANCELLED
    entry = AuditEntry.objects.filter(object_type="timebank.helprequest", action="update").latest("pk")
    assert entry.changes["status"] == "cancelled"
    assert entry.actor_label == "居民 王芳"
    assert [m.phone for m in sms_outbox] == [helper.phone]
    assert "已由居民撤回" in sms_outbox[0].text
    # Withdrawn once is enough: a second withdrawal is refused with the reason, and the form is gone.
    r = client.post(f"/portal/time-bank/help/{request.pk}/withdraw/", follow=True)
    assert "不能撤回" in r.content.decode()
    assert (
        'data-testid="withdraw"' not in client.get(f"/portal/time-bank/help/{request.pk}/").content.decode()
    )
    # The community's board shows it cancelled with the resident's reason.
    page = client_for(pw.w.c01_worker).get(f"/time-bank/requests/{request.pk}/").content.decode()
    assert "居民撤回：女儿回来了" in page


def test_a_served_request_cannot_be_withdrawn_by_the_resident(pw, portal_client, clock):
    from linli.timebank import services as bank

    helper = _volunteer(pw, pw.neighbour)
    request = bank.help_request_ask(
        resident=pw.fang,
        label="居民 王芳",
        need="repair",
        title="修门锁",
        wanted_at=timezone.now() + timedelta(hours=1),
        estimated_minutes=60,
    )
    bank.help_request_match(actor=pw.w.c01_worker, request=request, volunteer=helper)
    clock.shift(timedelta(hours=2))
    bank.help_request_serve(actor=pw.w.c01_worker, request=request, minutes=60)
    client = portal_client(pw.fang)
    assert (
        'data-testid="withdraw"' not in client.get(f"/portal/time-bank/help/{request.pk}/").content.decode()
    )
    r = client.post(f"/portal/time-bank/help/{request.pk}/withdraw/", follow=True)
    assert "已服务，不能撤回" in r.content.decode()
    request.refresh_from_db()
    assert request.status == HelpStatus.SERVED


# --- privacy -------------------------------------------------------------------------------------


def test_no_volunteering_or_time_bank_url_reaches_another_residents(pw, portal_client, clock):
    """The neighbour 赵强 volunteers, books, is credited, has a proof and a help request: 王芳 tries every
    id in every new portal URL and reaches none of them; her pages show nothing of his."""
    his = _volunteer(pw, pw.neighbour)
    mine = _volunteer(pw, pw.fang)
    activity = _activity(pw, "陪老人买菜", 15)
    his_record = volunteers.activity_sign_up(volunteer=his, activity=activity)
    volunteers.record_sign_in(actor=None, record=his_record, token=activity.checkin_token)
    clock.shift(timedelta(hours=2, minutes=20))
    volunteers.record_sign_out(actor=None, record=his_record, token=activity.checkin_token)
    volunteers.records_confirm(actor=pw.w.c01_worker, activity=activity)
    his_proof = volunteers.proof_issue(
        actor=pw.w.c01_worker, volunteer=his, period_start=his_record.day, period_end=his_record.day
    )
    from linli.timebank import services as bank

    his_request = bank.help_request_ask(
        resident=pw.neighbour,
        label="居民 赵强",
        need="repair",
        title="修水龙头",
        wanted_at=his_proof.issued_at + timedelta(days=1),
        estimated_minutes=60,
    )
    later = _activity(pw, "读报", 60)
    client = portal_client(pw.fang)
    client.post(f"/portal/volunteer/activities/{later.pk}/signup/")
    my_record = ServiceRecord.objects.get(volunteer=mine)
    ids = (
        set(ServiceRecord.objects.values_list("pk", flat=True))
        | set(Activity.objects.values_list("pk", flat=True))
        | set(Proof.objects.values_list("pk", flat=True))
        | set(HelpRequest.objects.values_list("pk", flat=True))
        | set(Account.objects.values_list("pk", flat=True))
        | set(Movement.objects.values_list("pk", flat=True))
        | set(Volunteer.objects.values_list("pk", flat=True))
    )
    for some_id in ids:
        assert client.get(f"/portal/volunteer/proofs/{some_id}/").status_code == 404
        assert client.get(f"/portal/time-bank/help/{some_id}/").status_code == 404
        assert client.post(f"/portal/time-bank/help/{some_id}/withdraw/").status_code == 404
        if some_id != my_record.pk:
            assert client.post(f"/portal/volunteer/bookings/{some_id}/cancel/").status_code == 404
    his_record.refresh_from_db()
    assert his_record.status == RecordStatus.CONFIRMED
    my_record.refresh_from_db()
    assert my_record.status == RecordStatus.BOOKED
    for url in (
        "/portal/",
        "/portal/volunteer/",
        "/portal/time-bank/",
        "/portal/time-bank/help/",
        f"/portal/volunteer/checkin/{activity.checkin_token}/",  # his activity: her own state only
    ):
        page = client.get(url).content.decode()
        for secret in ("赵强", "修水龙头", his_proof.number, his.id_number, his.phone):
            assert secret not in page, (url, secret)
    assert his_request.resident_id == pw.neighbour.pk
    his_request.refresh_from_db()
    assert his_request.status == HelpStatus.OPEN
