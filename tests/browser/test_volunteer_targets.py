"""On a 375 px phone: a community worker picks the residents and houses an activity serves (search as you
type, ticks kept across searches); the booked volunteer's card shows them masked; the volunteer page shows the
time-bank balance and a visit offers "转为互助需求" — contributed by the time bank through core.modules."""

from __future__ import annotations

from pathlib import Path

import pytest
import time_machine
from playwright.sync_api import expect

from linli.cases.services import case_create, category_create
from linli.registry.services import house_create, resident_create
from linli.volunteers import services
from linli.volunteers.models import Activity
from linli.volunteers.tests.conftest import SATURDAY_8AM, build_volunteer_world
from tests.browser.helpers import assert_fits_screen
from tests.browser.test_shell import sign_in
from tests.factories import build_world, make_id_number

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
def live(transactional_db, live_server, clock):
    vw = build_volunteer_world(build_world())
    house = house_create(actor=None, grid=vw.w.c01_g01, building="3", entrance="2", room="501")
    gui = resident_create(
        actor=None,
        grid=vw.w.c01_g01,
        name="张桂芬",
        id_number=make_id_number("19400202", 7),
        phone="13900000007",
        house=house,
    )
    return live_server.url, vw, house, gui


def test_targets_are_picked_on_a_phone_and_shown_masked_on_the_card(live, page_factory):
    base, vw, house, gui = live
    phone = page_factory(375, 760)
    sign_in(phone, base, "c01-worker")
    phone.goto(f"{base}/volunteers/activities/new/")
    phone.get_by_label("活动名称").fill("上门理发")
    phone.get_by_label("地点").fill("3 号楼")
    phone.get_by_label("开始时间").fill("2026-11-22T09:00")
    phone.get_by_label("结束时间").fill("2026-11-22T11:00")
    phone.get_by_label("名额").fill("2")
    phone.get_by_label("查找服务对象").fill("张桂")
    expect(phone.get_by_test_id(f"target-resident-{gui.pk}")).to_be_visible()
    expect(phone.get_by_test_id("target-list")).to_contain_text("3-2-501")
    expect(phone.get_by_test_id("target-list")).not_to_contain_text("13900000007")
    phone.get_by_test_id(f"target-resident-{gui.pk}").check()
    phone.get_by_label("查找服务对象").fill("3-2-501")
    expect(phone.get_by_test_id(f"target-house-{house.pk}")).to_be_visible()
    expect(phone.get_by_test_id(f"target-resident-{gui.pk}")).to_be_checked()  # kept while searching again
    phone.get_by_test_id(f"target-house-{house.pk}").check()
    # ID digits are refused with a clear message
    phone.get_by_label("查找服务对象").fill(gui.id_number[-4:])
    expect(phone.get_by_test_id("target-error")).to_contain_text("姓名、拼音或门牌")
    expect(phone.get_by_test_id(f"target-house-{house.pk}")).to_be_checked()
    assert_fits_screen(phone)
    _shot(phone, "volunteers-targets-picker-375")
    phone.get_by_test_id("activity-submit").click()
    expect(phone.get_by_text("已发布活动“上门理发”")).to_be_visible()
    activity = Activity.objects.get(title="上门理发")
    assert list(activity.target_residents.values_list("pk", flat=True)) == [gui.pk]
    assert list(activity.target_houses.values_list("pk", flat=True)) == [house.pk]
    expect(phone.get_by_test_id("targets")).to_contain_text("张桂芬")
    assert_fits_screen(phone)
    _shot(phone, "volunteers-targets-activity-375")

    services.activity_sign_up(volunteer=vw.ann, activity=activity)
    card = page_factory(375, 760)
    card.goto(f"{base}/v/card/{services.card_token(vw.ann)}/")
    expect(card.get_by_test_id("card-targets")).to_contain_text("张*芬（3-2-501）")
    expect(card.locator("body")).not_to_contain_text("张桂芬")
    assert_fits_screen(card)
    _shot(card, "volunteers-targets-card-375")

    desk = page_factory(1366)
    sign_in(desk, base, "c01-worker")
    desk.goto(f"{base}/volunteers/activities/{activity.pk}/edit/")
    expect(desk.get_by_test_id(f"target-resident-{gui.pk}")).to_be_checked()
    assert_fits_screen(desk)
    _shot(desk, "volunteers-targets-picker-1366")


def test_balance_on_the_volunteer_page_and_help_request_from_a_visit(live, page_factory):
    from linli.visits import services as visits

    base, vw, _, gui = live
    visit = visits.visit_create(
        actor=vw.w.grid_worker_c01_g01, mode="in_person", observations="独居", needs="每周买菜", resident=gui
    )
    phone = page_factory(375, 760)
    sign_in(phone, base, "c01-worker")
    phone.goto(f"{base}/volunteers/{vw.ann.pk}/")
    expect(phone.get_by_test_id("record-action-timebank.balance")).to_contain_text("0 小时")
    assert_fits_screen(phone)
    _shot(phone, "volunteers-balance-375")
    phone.goto(f"{base}/visits/{visit.pk}/")
    expect(phone.get_by_test_id("record-actions")).to_be_visible()
    assert_fits_screen(phone)
    _shot(phone, "visits-help-request-375")
    phone.get_by_test_id("record-action-timebank.to_help_request").click()
    expect(phone).to_have_url(f"{base}/time-bank/requests/new/?visit={visit.pk}")
    expect(phone.locator("main")).to_contain_text("张桂芬")
    expect(phone.locator("main")).to_contain_text("每周买菜")
    assert_fits_screen(phone)

    category = category_create(actor=None, code="T-HELP", name="测试求助")
    case = case_create(
        actor=vw.w.c01_worker,
        category=category,
        channel="phone",
        title="独居老人买菜不便",
        description="希望有人每周帮忙买菜",
        area=vw.w.c01_g01,
        resident=gui,
    )
    phone.goto(f"{base}/cases/{case.pk}/")
    expect(phone.get_by_test_id("record-action-timebank.to_help_request")).to_have_attribute(
        "href", f"/time-bank/requests/new/?case={case.pk}"
    )
    assert_fits_screen(phone)
    _shot(phone, "cases-help-request-375")
    desk = page_factory(1366)
    sign_in(desk, base, "c01-worker")
    for path, name in (
        (f"/volunteers/{vw.ann.pk}/", "volunteers-balance-1366"),
        (f"/visits/{visit.pk}/", "visits-help-request-1366"),
        (f"/cases/{case.pk}/", "cases-help-request-1366"),
    ):
        desk.goto(f"{base}{path}")
        expect(desk.get_by_test_id("record-actions")).to_be_visible()
        assert_fits_screen(desk)
        _shot(desk, name)
