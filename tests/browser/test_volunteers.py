"""Volunteers in a real browser: a community worker publishes an activity at a desk (1366 px) and places a
volunteer in it; the volunteer signs in and out on a 375 px phone with the place's QR code link; the leader
confirms the records in bulk from a phone."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from playwright.sync_api import expect

from linli.volunteers import services
from linli.volunteers.models import Activity, RecordStatus, ServiceRecord
from linli.volunteers.tests.conftest import SATURDAY_8AM, build_volunteer_world
from tests.browser.helpers import assert_fits_screen, assert_rows_are_cards
from tests.browser.test_shell import sign_in
from tests.factories import build_world

pytestmark = pytest.mark.browser
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.fixture
def clock():
    with time_machine.travel(SATURDAY_8AM, tick=True) as traveller:
        yield traveller


@pytest.fixture
def live_volunteers(transactional_db, live_server, clock):
    vw = build_volunteer_world(build_world())
    return live_server.url, vw


def test_publish_sign_in_on_a_phone_and_confirm_in_bulk(live_volunteers, page_factory, clock):
    base, vw = live_volunteers
    desk = page_factory(1366)
    sign_in(desk, base, "c01-worker")
    desk.goto(f"{base}/volunteers/activities/")
    desk.get_by_test_id("new-activity").click()
    desk.get_by_label("活动名称").fill("社区义诊")
    desk.get_by_label("地点").fill("锦绣社区卫生站")
    desk.get_by_label("开始时间").fill("2026-11-21T08:20")
    desk.get_by_label("结束时间").fill("2026-11-21T10:20")
    desk.get_by_label("名额").fill("1")
    desk.get_by_test_id("activity-submit").click()
    expect(desk.get_by_text("已发布活动“社区义诊”")).to_be_visible()
    activity = Activity.objects.get(title="社区义诊")
    desk.get_by_label("指派志愿者").select_option(label="安雅")
    desk.get_by_role("button", name="指派", exact=True).click()
    expect(desk.get_by_text("已指派安雅")).to_be_visible()
    # The only place is taken: a second volunteer is refused with a clear message, nothing written.
    desk.get_by_label("指派志愿者").select_option(label="薄一鸣")
    desk.get_by_role("button", name="指派", exact=True).click()
    expect(desk.get_by_text("活动名额已满（1 人）")).to_be_visible()
    assert ServiceRecord.objects.filter(activity=activity).count() == 1
    expect(desk.get_by_test_id("checkin-qr").locator("svg")).to_be_visible()
    assert_fits_screen(desk)
    _shot(desk, "volunteers-activity-1366")
    checkin_url = desk.get_by_test_id("checkin-link").inner_text()

    phone = page_factory(375, 760)
    phone.goto(f"{base}/v/card/{services.card_token(vw.ann)}/")
    expect(phone.get_by_role("heading", level=1)).to_contain_text("安雅")
    assert_fits_screen(phone)
    phone.goto(checkin_url)
    phone.get_by_test_id("sign-in").click()
    expect(phone.get_by_text("签到成功")).to_be_visible()
    expect(phone.get_by_test_id("record-status")).to_have_text("已签到")
    expect(phone.get_by_test_id("sign-in")).to_have_count(0)
    assert_fits_screen(phone)
    _shot(phone, "volunteers-checkin-375")
    clock.move_to(SATURDAY_8AM + timedelta(hours=2))  # 10:00
    phone.get_by_test_id("sign-out").click()
    expect(phone.get_by_text("签退成功，感谢您的服务！")).to_be_visible()
    record = ServiceRecord.objects.get(activity=activity)
    assert record.status == RecordStatus.SIGNED_OUT
    assert 95 <= record.minutes <= 100

    clock.move_to(SATURDAY_8AM + timedelta(hours=2, minutes=30))  # after the event
    leader = page_factory(375, 760)
    sign_in(leader, base, "c01-worker")
    leader.goto(f"{base}/volunteers/activities/{activity.pk}/")
    expect(leader.get_by_role("checkbox", name="确认 安雅")).to_be_checked()
    assert_rows_are_cards(leader)
    assert_fits_screen(leader)
    _shot(leader, "volunteers-confirm-375")
    leader.get_by_test_id("confirm-all").click()
    expect(leader.get_by_text("已确认服务记录。")).to_be_visible()
    expect(leader.get_by_test_id("activity-status")).to_have_text("已确认")
    record.refresh_from_db()
    assert record.status == RecordStatus.CONFIRMED
    assert record.confirmed_by is not None
    assert record.confirmed_by.username == "c01-worker"
    assert_fits_screen(leader)

    # (the desk's session ran out in the two hours the clock moved on: sign in again)
    sign_in(desk, base, "c01-worker")
    desk.goto(f"{base}/volunteers/{vw.ann.pk}/")
    expect(desk.get_by_test_id("hours")).not_to_have_text("0.0")
    assert_fits_screen(desk)
    _shot(desk, "volunteers-detail-1366")


def test_lists_and_statistics_are_cards_on_a_phone(live_volunteers, page_factory):
    base, vw = live_volunteers
    phone = page_factory(375, 760)
    sign_in(phone, base, "c01-worker")
    for path, heading in (
        ("/volunteers/", "志愿者"),
        ("/volunteers/teams/", "志愿服务队伍"),
        ("/volunteers/activities/", "志愿活动"),
        ("/volunteers/stats/", "志愿服务统计"),
        (f"/volunteers/{vw.ann.pk}/", "安雅"),
        (f"/volunteers/teams/{vw.team.pk}/", "锦绣助老队"),
    ):
        phone.goto(f"{base}{path}")
        expect(phone.get_by_role("heading", level=1)).to_contain_text(heading)
        assert_rows_are_cards(phone)
        assert_fits_screen(phone)
    _shot(phone, "volunteers-stats-375")
    desk = page_factory(1366)
    sign_in(desk, base, "c01-worker")
    desk.goto(f"{base}/volunteers/?q=ay")
    expect(desk.get_by_test_id("volunteer-list")).to_contain_text("安雅")
    expect(desk.get_by_test_id("volunteer-list")).to_contain_text("138****0001")
    assert_fits_screen(desk)
    _shot(desk, "volunteers-list-1366")
