"""Finding a resident and revealing their number, as a community leader and on a grid worker's phone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from linli.core.models import AuditEntry
from linli.registry.models import Building, House
from linli.registry.services import resident_create
from tests.browser.conftest import assert_fits_screen
from tests.browser.test_shell import sign_in
from tests.factories import build_world, make_id_number

pytestmark = pytest.mark.browser


@pytest.fixture
def live_registry(transactional_db, live_server):
    world = build_world()
    house = House.objects.create(
        building=Building.objects.create(grid=world.c01_g01, number="8"), room_number="1401"
    )
    resident_create(
        actor=None,
        grid=world.c01_g01,
        name="张三",
        id_number=make_id_number("19500101", 11),
        phone="13800138000",
        house=house,
    )
    resident_create(actor=None, grid=world.c01_g02, name="张四", id_number=make_id_number("19600101", 13))
    return live_server.url


def test_leader_searches_by_pinyin_and_reveals_the_number(live_registry, page_factory):
    page = page_factory(1280)
    sign_in(page, live_registry, "c01-leader")
    page.get_by_role("link", name="人口台账").click()
    expect(page.get_by_text("共 2 人")).to_be_visible()
    page.get_by_label("搜索").fill("zhangsan")  # htmx updates the list as one types
    expect(page.get_by_text("共 1 人")).to_be_visible()
    expect(page).to_have_url(re.compile(r"q=zhangsan"))
    page.get_by_role("link", name="张三").click()
    expect(page.get_by_test_id("id-number")).to_contain_text("**********")
    page.get_by_role("button", name="显示完整号码").click()
    expect(page.get_by_test_id("id-number")).not_to_contain_text("*")
    expect(page.get_by_text("本次查看已记入审计日志")).to_be_visible()
    assert AuditEntry.objects.filter(action="reveal").count() == 1


def test_grid_worker_on_a_phone_finds_a_resident_by_room(live_registry, page_factory):
    page = page_factory(375, 740)
    sign_in(page, live_registry, "c01g01")
    page.goto(f"{live_registry}/registry/residents/")
    expect(page.get_by_text("张四")).to_have_count(0)  # another grid
    page.get_by_label("搜索").fill("8-1401")
    page.get_by_role("button", name="查询").click()
    expect(page).to_have_url(re.compile(r"q=8-1401"))
    expect(page.get_by_role("link", name="张三")).to_be_visible()
    assert_fits_screen(page)
    expect(page.get_by_role("button", name="显示完整号码")).to_have_count(0)  # grid workers may not reveal
