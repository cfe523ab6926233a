"""Finding a resident and revealing their number, as a community leader and on a grid worker's phone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from linli.core.models import AuditEntry
from linli.registry.models import Building, House
from linli.registry.services import resident_create
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
    expect(page.get_by_role("link", name="张三")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    expect(page.get_by_role("button", name="显示完整号码")).to_have_count(0)  # grid workers may not reveal


def test_grid_worker_typing_a_longer_ending_is_told_why_and_sees_no_one(live_registry, page_factory):
    """The live search box refuses an ending longer than the mask shows (issue 16: it answered, one
    digit at a time, the masked part of the number)."""
    page = page_factory(375, 740)
    sign_in(page, live_registry, "c01g01")
    page.goto(f"{live_registry}/registry/residents/")
    box = page.get_by_label("搜索")
    box.fill("138000")  # the phone's last 6: two more than 138****8000 shows
    expect(page.get_by_test_id("search-error")).to_contain_text("只能按身份证号或电话的后 4 位查找")
    expect(page.get_by_role("link", name="张三")).to_have_count(0)
    box.fill("8000")
    expect(page.get_by_role("link", name="张三")).to_be_visible()
    expect(page.get_by_test_id("search-error")).to_have_count(0)
    box.fill("13800138000")  # the whole number, exactly
    expect(page).to_have_url(re.compile(r"q=13800138000"))
    expect(page.get_by_role("link", name="张三")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    box.fill("0138000")
    expect(page).to_have_url(re.compile(r"q=0138000"))
    expect(page.get_by_test_id("search-error")).to_be_visible()
    assert AuditEntry.objects.filter(action="search_digits").count() == 2  # 8000 and the whole number
