"""Party work in a real browser: a branch secretary records a 三会一课 meeting from a 375 px phone, a member
signs in by the meeting's QR code on their own phone, the secretary completes the roll, and the
compliance calendar turns green; the same pages at 1366 px on a desk."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from linli.party import services
from linli.party.models import MeetingAttendance
from linli.party.tests.conftest import build_party_world
from tests.browser.helpers import assert_fits_screen, assert_rows_are_cards
from tests.browser.test_cases import shot
from tests.browser.test_shell import sign_in
from tests.factories import build_world

pytestmark = pytest.mark.browser


@pytest.fixture
def live_party(transactional_db, live_server):
    pw = build_party_world(build_world())
    today = timezone.localdate()
    # The branch held its general meeting in every earlier quarter of this year; this quarter's is due.
    for month in range(1, (today.month - 1) // 3 * 3 + 1, 3):
        services.meeting_create(
            actor=None,
            organisation=pw.branch,
            kind="general",
            held_on=date(today.year, month, 10),
            place="党群服务中心",
            topic=f"{month}月党员大会",
        )
    return live_server.url, pw


def _general_row(page, pw):
    return page.get_by_test_id(f"calendar-{pw.branch.pk}").locator("tr[data-kind='general']")


def test_a_secretary_records_a_meeting_on_a_phone_and_the_calendar_turns_green(live_party, page_factory):
    base, pw = live_party
    phone = page_factory(375, 760)
    sign_in(phone, base, "c01-leader")
    phone.get_by_role("button", name="菜单").click()
    phone.get_by_role("link", name="党建").first.click()
    phone.get_by_role("link", name="合规日历").first.click()
    row = _general_row(phone, pw)
    expect(row.locator("[data-state='due']")).to_have_count(1)
    assert_fits_screen(phone)
    assert_rows_are_cards(phone)
    shot(phone, "party-compliance-375-before")

    phone.get_by_test_id(f"calendar-{pw.branch.pk}").get_by_role("link", name="登记会议").click()
    form = phone.get_by_test_id("meeting-form")
    form.get_by_label("会议类型").select_option(label="支部党员大会")
    form.get_by_label("地点").fill("党群服务中心二楼")
    form.get_by_label("主题").fill("学习贯彻全会精神")
    form.get_by_role("button", name="保存并签到").click()
    qr = phone.get_by_test_id("checkin-qr")
    expect(qr.locator("svg")).to_be_visible()
    assert_fits_screen(phone)
    shot(phone, "party-meeting-qr-375")
    checkin_url = qr.get_attribute("data-url")
    assert checkin_url

    # The member scans the code on their own phone (signed in with their own account).
    member = page_factory(375, 760)
    sign_in(member, base, "c01g01")
    member.goto(checkin_url)
    member.get_by_role("button", name="确认签到").click()
    expect(member.get_by_test_id("checked-in")).to_contain_text("孙红")
    assert_fits_screen(member)

    # Back on the secretary's phone: the scan shows; the rest of the roll is called.
    phone.reload()
    roll = phone.get_by_test_id("roll-form")
    expect(roll).to_contain_text("已扫码")
    roll.get_by_label("周在职").select_option(label="请假（已批准）")
    roll.get_by_role("button", name="保存出席情况").click()
    expect(phone.get_by_text("已保存出席情况")).to_be_visible()
    expect(phone.get_by_test_id("counts")).to_contain_text("出席 1")
    assert MeetingAttendance.objects.filter(via_qr=True).count() == 1

    phone.get_by_role("link", name="合规日历").first.click()
    row = _general_row(phone, pw)
    expect(row.locator("[data-state='due']")).to_have_count(0)
    expect(row.locator("[data-state='overdue']")).to_have_count(0)
    expect(row.locator("[data-state='held']")).to_have_count((timezone.localdate().month - 1) // 3 + 1)
    assert_fits_screen(phone)
    shot(phone, "party-compliance-375-after")

    desk = page_factory(1366)
    sign_in(desk, base, "c01-leader")
    desk.goto(f"{base}/party/compliance/?organisation={pw.branch.pk}")
    expect(_general_row(desk, pw).locator("[data-state='held']")).to_have_count(
        (timezone.localdate().month - 1) // 3 + 1
    )
    assert_fits_screen(desk)
    shot(desk, "party-compliance-1366")
    desk.goto(f"{base}/party/meetings/")
    desk.get_by_role("link", name=timezone.localdate().strftime("%Y-%m-%d")).first.click()
    expect(desk.get_by_test_id("roll-form")).to_contain_text("孙红")
    assert_fits_screen(desk)
    shot(desk, "party-meeting-1366")


def test_future_meeting_has_no_roll_call_and_community_workers_see_no_party_menu(live_party, page_factory):
    base, pw = live_party
    future = services.meeting_create(
        actor=None,
        organisation=pw.branch,
        kind="committee",
        held_on=date.fromordinal(timezone.localdate().toordinal() + 3),
        place="会议室",
        topic="下周支委会",
    )
    desk = page_factory(1366)
    sign_in(desk, base, "c01-leader")
    desk.goto(f"{base}/party/meetings/{future.pk}/")
    expect(desk.get_by_text("会议尚未召开")).to_be_visible()
    expect(desk.get_by_role("button", name="保存出席情况")).to_have_count(0)
    worker = page_factory(375, 760)
    sign_in(worker, base, "c01-worker")
    worker.get_by_role("button", name="菜单").click()
    expect(worker.get_by_role("link", name="党建")).to_have_count(0)
