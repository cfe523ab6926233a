"""A branch secretary (a grid worker by role, secretary of 第一党支部 by term) on a 375 px phone: sees only
their branch, approves the minutes the recorder submitted; the member page with probation and 三卡 and
the cards list at 375 and 1366 px."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from linli.party import services
from linli.party.models import Meeting
from linli.party.tests.conftest import build_party_world
from linli.registry.services import house_create, resident_create
from tests.browser.helpers import assert_fits_screen, assert_rows_are_cards
from tests.browser.test_cases import shot
from tests.browser.test_shell import sign_in
from tests.factories import build_world, make_id_number

pytestmark = pytest.mark.browser


@pytest.fixture
def live_branch(transactional_db, live_server):
    w = build_world()
    pw = build_party_world(w)
    today = timezone.localdate()
    services.position_assign(
        actor=None, organisation=pw.branch, member=pw.member, role="secretary", start_date=date(2025, 1, 1)
    )
    recorder = services.member_create(
        actor=None,
        organisation=pw.branch,
        name=w.c01_worker.full_name,
        joined_on=date(2001, 7, 1),
        user=w.c01_worker,
    )
    services.position_assign(
        actor=None, organisation=pw.branch, member=recorder, role="committee", start_date=date(2025, 1, 1)
    )
    services.member_create(actor=None, organisation=pw.branch2, name="园区党员", joined_on=date(2010, 1, 1))
    meeting = services.meeting_create(
        actor=w.c01_worker,
        organisation=pw.branch,
        kind="committee",
        held_on=today - timedelta(days=2),
        place="党群服务中心",
        topic="研究本月工作",
        minutes="会议由支部书记主持，研究本月走访和志愿服务安排。",
    )
    services.minutes_submit(actor=w.c01_worker, meeting=meeting)
    probationary = services.member_create(
        actor=None,
        organisation=pw.branch,
        name="郑预备",
        joined_on=today - timedelta(days=400),
        status="probationary",
    )
    house = house_create(actor=None, grid=w.c01_g01, building="3", room="101")
    neighbour = resident_create(
        actor=None, grid=w.c01_g01, name="何邻居", id_number=make_id_number("19600101", 21), house=house
    )
    services.responsibility_assign(
        actor=None, member=pw.member, building=house.building, start_date=today - timedelta(days=100)
    )
    services.card_create(
        actor=None,
        member=pw.member,
        kind="contact",
        day=today - timedelta(days=5),
        title="问候独居老人",
        resident=neighbour,
        way="phone",
    )
    services.card_create(
        actor=None,
        member=pw.member,
        kind="feedback",
        day=today - timedelta(days=3),
        title="楼道灯坏了",
        resident=neighbour,
        passed_to="物业公司",
    )
    return live_server.url, pw, meeting, probationary


def test_a_secretary_approves_minutes_on_a_phone_and_sees_only_their_branch(live_branch, page_factory):
    base, pw, meeting, probationary = live_branch
    phone = page_factory(375, 760)
    sign_in(phone, base, "c01g01")
    phone.get_by_role("button", name="菜单").click()
    phone.get_by_role("link", name="党建").first.click()
    expect(phone.locator("main")).to_contain_text("第一党支部")
    expect(phone.locator("main")).not_to_contain_text("园区联合党支部")
    assert_fits_screen(phone)
    shot(phone, "party-secretary-home-375")

    phone.get_by_role("link", name="党员台账").first.click()
    expect(phone.locator("main")).to_contain_text("周在职")
    expect(phone.locator("main")).not_to_contain_text("园区党员")
    assert_fits_screen(phone)
    assert_rows_are_cards(phone)
    shot(phone, "party-secretary-members-375")

    phone.get_by_role("link", name="三会一课").first.click()
    day = (timezone.localdate() - timedelta(days=2)).strftime("%Y-%m-%d")
    phone.get_by_role("link", name=day).first.click()
    minutes = phone.get_by_test_id("minutes")
    expect(minutes.get_by_test_id("minutes-status")).to_have_text("待审定")
    expect(minutes).to_contain_text(pw.w.c01_worker.full_name)  # who submitted: a name, not a login
    assert_fits_screen(phone)
    shot(phone, "party-secretary-minutes-375-before")
    minutes.get_by_test_id("approve-minutes").click()
    expect(phone.get_by_text("会议记录已审定")).to_be_visible()
    expect(phone.get_by_test_id("minutes-status")).to_have_text("已审定")
    expect(phone.get_by_test_id("minutes-text")).to_contain_text("研究本月走访")
    expect(phone.get_by_label("会议记录", exact=True)).to_have_count(0)  # locked: no draft field any more
    assert_fits_screen(phone)
    assert_rows_are_cards(phone)
    shot(phone, "party-secretary-minutes-375-after")
    assert Meeting.objects.get(pk=meeting.pk).minutes_status == "approved"

    # Another branch's member and the roll keeping stay out of reach.
    # (asked through the page's own session, not navigated: a 404 page logs a console error)
    assert phone.request.get(f"{base}/party/members/{pw.c02_member.pk}/").status == 404
    assert phone.request.get(f"{base}/party/members/new/").status == 403

    # The member page: probation (extend) and 三卡 on the phone.
    phone.goto(f"{base}/party/members/{probationary.pk}/")
    expect(phone.get_by_test_id("probation")).to_contain_text("延长预备期")
    assert_fits_screen(phone)
    shot(phone, "party-secretary-probation-375")
    phone.goto(f"{base}/party/members/{pw.member.pk}/")
    expect(phone.get_by_test_id("member-cards")).to_contain_text("问候独居老人")
    assert_fits_screen(phone)
    shot(phone, "party-member-cards-375")
    phone.get_by_role("link", name="三卡").first.click()
    expect(phone.get_by_test_id("cards")).to_contain_text("楼道灯坏了")
    assert_fits_screen(phone)
    assert_rows_are_cards(phone)
    shot(phone, "party-cards-375")
    phone.get_by_role("link", name="楼道灯坏了").click()
    phone.get_by_label("办理结果").fill("物业已更换灯泡")
    phone.get_by_role("button", name="办结").click()
    expect(phone.get_by_test_id("card-status")).to_have_text("已办结")
    assert_fits_screen(phone)
    shot(phone, "party-card-375")


def test_the_changed_pages_at_1366(live_branch, page_factory):
    base, pw, meeting, probationary = live_branch
    desk = page_factory(1366)
    sign_in(desk, base, "c01-leader")
    desk.goto(f"{base}/party/meetings/{meeting.pk}/")
    expect(desk.get_by_test_id("minutes-pending")).to_contain_text(pw.w.c01_worker.full_name)
    assert_fits_screen(desk)
    shot(desk, "party-minutes-1366")
    desk.goto(f"{base}/party/members/{probationary.pk}/")
    expect(desk.get_by_test_id("probation")).to_be_visible()
    assert_fits_screen(desk)
    shot(desk, "party-probation-1366")
    desk.goto(f"{base}/party/members/{pw.member.pk}/")
    expect(desk.get_by_test_id("member-cards")).to_contain_text("问候独居老人")
    assert_fits_screen(desk)
    shot(desk, "party-member-1366")
    desk.goto(f"{base}/party/cards/")
    expect(desk.get_by_test_id("card-counts")).to_contain_text("联系卡 1")
    expect(desk.get_by_test_id("cards")).to_contain_text("第一党支部")
    assert_fits_screen(desk)
    shot(desk, "party-cards-1366")
