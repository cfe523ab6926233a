"""Volunteering and the time bank in the residents' portal, in a real browser: a resident signs up for an
activity, signs in by opening the place's QR code link, sees their hours and balance, downloads a proof, and
asks for help for their mother (代办); the filing page's map pick; the pages at 375 and 1366 px."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from linli.areas.models import Area
from linli.portal.models import LinkStatus, ProxyLink
from linli.portal.tests.conftest import PortalWorld
from linli.timebank.models import HelpRequest
from linli.volunteers import services as volunteers
from linli.volunteers.models import Activity, RecordStatus, ServiceRecord, Volunteer
from tests.browser.helpers import assert_fits_screen, assert_rows_are_cards, assert_rows_are_table_rows
from tests.browser.test_cases import shot
from tests.browser.test_portal import live_portal, portal_sign_in  # noqa: F401 (the fixture)

pytestmark = pytest.mark.browser


def _activity(pw: PortalWorld, title: str, start, hours: int = 2) -> Activity:
    return volunteers.activity_create(
        actor=pw.w.c01_worker,
        community=pw.w.c01,
        title=title,
        place="锦绣社区服务站",
        starts_at=start,
        ends_at=start + timedelta(hours=hours),
        capacity=6,
        leader=pw.w.c01_worker,
    )


def _history(pw: PortalWorld) -> Volunteer:
    """王芳 volunteers in C01: three days ago she served two hours, confirmed and credited; a proof of it."""
    me = volunteers.volunteer_register(
        actor=pw.w.c01_worker,
        community=pw.w.c01,
        name=pw.fang.name,
        id_number=pw.fang.id_number,
        phone=pw.fang.phone,
    )
    start = (timezone.now() - timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    with time_machine.travel(start - timedelta(minutes=10), tick=False) as clock:
        past = _activity(pw, "陪老人买菜", start)
        record = volunteers.activity_sign_up(volunteer=me, activity=past)
        volunteers.record_sign_in(actor=None, record=record, token=past.checkin_token)
        clock.shift(timedelta(hours=2, minutes=15))
        volunteers.record_sign_out(actor=None, record=record, token=past.checkin_token)
        volunteers.records_confirm(actor=pw.w.c01_worker, activity=past)
    day = timezone.localdate(start)
    volunteers.proof_issue(actor=pw.w.c01_worker, volunteer=me, period_start=day, period_end=day)
    return me


def test_volunteering_and_help_for_a_relative_on_a_phone(live_portal, page_factory, sms_outbox):  # noqa: F811
    base, pw = live_portal
    me = _history(pw)
    soon = _activity(pw, "清扫楼道", timezone.now() + timedelta(minutes=10))
    ProxyLink.objects.create(
        agent=pw.fang, principal=pw.mother, grid=pw.mother.grid, relation="母亲", status=LinkStatus.APPROVED
    )
    phone = page_factory(375, 760)
    portal_sign_in(phone, base, pw.fang, sms_outbox)
    expect(phone.get_by_test_id("volunteer-card")).to_contain_text("2.0")
    shot(phone, "portal-home-volunteer-375")
    phone.get_by_test_id("volunteer-card").get_by_role("link", name="志愿服务").click()
    expect(phone.get_by_test_id("hours")).to_have_text("2.0")

    # Sign up for the activity about to start.
    item = phone.get_by_test_id("open-activities").locator("li", has_text="清扫楼道")
    item.get_by_role("button", name="报名").click()
    expect(phone.get_by_test_id("bookings")).to_contain_text("清扫楼道")
    assert ServiceRecord.objects.get(volunteer=me, activity=soon).status == RecordStatus.BOOKED
    assert_fits_screen(phone)
    assert_rows_are_cards(phone)
    shot(phone, "portal-volunteer-375")

    # At the place: the QR code's link opens the volunteers' page, which hands over to the portal.
    phone.goto(f"{base}/v/checkin/{soon.checkin_token}/")
    phone.get_by_test_id("checkin-elsewhere").click()
    expect(phone.get_by_test_id("record-status")).to_have_text("已报名")
    assert_fits_screen(phone)
    phone.get_by_test_id("sign-in").click()
    expect(phone.get_by_test_id("record-status")).to_have_text("已签到")
    assert ServiceRecord.objects.get(volunteer=me, activity=soon).sign_in_method == "qr"
    shot(phone, "portal-checkin-375")

    # The proof, as a PDF.
    phone.goto(f"{base}/portal/volunteer/")
    with phone.expect_download() as download:
        phone.get_by_test_id("proof-download").first.click()
    assert download.value.suggested_filename.startswith("ZYFW-")
    assert download.value.suggested_filename.endswith(".pdf")

    # The time bank: the two hours credited.
    phone.goto(f"{base}/portal/time-bank/")
    expect(phone.get_by_test_id("balances")).to_contain_text("2 小时")
    expect(phone.get_by_test_id("movements")).to_contain_text("服务入账")
    assert_fits_screen(phone)
    shot(phone, "portal-time-bank-375")

    # Help for her mother, as 代办.
    phone.goto(f"{base}/portal/")
    phone.get_by_role("button", name="代 李秀英（母亲）办理").click()
    expect(phone.get_by_test_id("acting-banner")).to_contain_text("李秀英")
    phone.get_by_test_id("volunteer-card").get_by_role("link", name="申请互助").click()
    phone.get_by_text("陪同就医").click()
    phone.get_by_label("需要什么帮助").fill("陪妈妈去医院复查")
    phone.get_by_label("大约多久").select_option("180")
    assert_fits_screen(phone)
    shot(phone, "portal-help-375")
    sent = len(sms_outbox)
    phone.get_by_role("button", name="提交").click()
    expect(phone.get_by_test_id("help-request")).to_contain_text("待匹配")
    request = HelpRequest.objects.get()
    assert request.resident == pw.mother
    assert request.events.get().actor_label == "居民 王芳（代 李秀英）"
    assert [m.phone for m in sms_outbox[sent:]] == [pw.mother.phone]
    assert_fits_screen(phone)
    shot(phone, "portal-help-detail-375")
    # Her brother will take their mother after all: she withdraws it, with a reason.
    phone.get_by_label("撤回原因（可不填）").fill("哥哥陪同")
    phone.get_by_role("button", name="撤回这项需求").click()
    expect(phone.get_by_test_id("help-request")).to_contain_text("已取消")
    expect(phone.get_by_test_id("withdraw")).to_have_count(0)
    request.refresh_from_db()
    assert request.cancel_reason == "居民撤回：哥哥陪同"
    assert_fits_screen(phone)
    shot(phone, "portal-help-withdrawn-375")
    # Volunteering stays personal while acting.
    phone.goto(f"{base}/portal/volunteer/")
    expect(phone.get_by_test_id("personal-only")).to_be_visible()


def test_volunteering_pages_and_the_map_pick_on_a_desk(live_portal, page_factory, sms_outbox):  # noqa: F811
    base, pw = live_portal
    _history(pw)
    square = [[117.0, 36.6], [117.02, 36.6], [117.02, 36.62], [117.0, 36.62], [117.0, 36.6]]
    Area.objects.filter(pk=pw.w.c01.pk).update(boundary={"type": "Polygon", "coordinates": [square]})
    desk = page_factory(1366, 860)
    portal_sign_in(desk, base, pw.fang, sms_outbox)
    for path in ("/portal/volunteer/", "/portal/time-bank/", "/portal/time-bank/help/"):
        desk.goto(f"{base}{path}")
        expect(desk.locator("h1")).to_be_visible()
        assert_fits_screen(desk)
        assert_rows_are_table_rows(desk)
    shot(desk, "portal-help-1366")
    # Her own request's page, with the form to withdraw it.
    from linli.timebank import services as bank

    mine = bank.help_request_ask(
        resident=pw.fang,
        label="居民 王芳",
        need="shopping",
        title="周末帮忙买米",
        wanted_at=timezone.now() + timedelta(days=2),
        estimated_minutes=60,
    )
    desk.goto(f"{base}/portal/time-bank/help/{mine.pk}/")
    expect(desk.get_by_test_id("withdraw")).to_be_visible()
    assert_fits_screen(desk)
    shot(desk, "portal-help-detail-1366")
    desk.goto(f"{base}/portal/volunteer/")
    shot(desk, "portal-volunteer-1366")

    # The map pick on the filing page: a click chooses the community and ticks "在别处".
    desk.goto(f"{base}/portal/cases/new/")
    picker = desk.get_by_test_id("map-picker")
    expect(picker).to_have_attribute("data-ready", "1")
    picker.click()  # the middle of the map: inside the community's boundary, which the map was fitted to
    expect(desk.get_by_test_id("map-picked")).to_contain_text(pw.w.c01.name)
    expect(desk.locator("select[name=community]")).to_have_value(str(pw.w.c01.pk))
    expect(desk.locator('input[name="where"][value="address"]')).to_be_checked()
    assert desk.locator("input[name=latitude]").input_value()
    shot(desk, "portal-map-pick-1366")
