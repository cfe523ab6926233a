"""Finding a resident and revealing their number, as a community leader and on a grid worker's phone."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from linli.core.models import AuditEntry
from linli.registry.models import Building, House, Resident, Tag, TagGroup
from linli.registry.services import resident_create
from tests.browser.helpers import assert_fits_screen, wait_for_htmx
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
    # A transactional test starts from empty tables: the seeded tags are gone; one is enough here.
    if not Tag.objects.filter(name="独居老人").exists():
        group, _ = TagGroup.objects.get_or_create(code="care_test", defaults={"name": "关爱服务对象"})
        Tag.objects.create(code="living_alone_test", name="独居老人", group=group)
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


SHOTS = os.environ.get("LINLI_SHOTS_DIR", "")


def shot(page, name: str) -> None:
    """A full-page screenshot for a person to look at, when LINLI_SHOTS_DIR is set."""
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def test_a_grid_worker_registers_a_resident_on_a_phone_in_under_a_minute(live_registry, page_factory):
    page = page_factory(375, 740)
    sign_in(page, live_registry, "c01g01")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    started = time.monotonic()
    steps = 0

    def step(action) -> None:
        nonlocal steps
        action()
        steps += 1

    step(lambda: page.goto(f"{live_registry}/registry/residents/"))
    step(lambda: page.get_by_role("link", name="＋ 登记居民").click())
    expect(page.get_by_role("heading", name="登记居民")).to_be_visible()
    step(lambda: page.get_by_label("姓名").fill("刘晓燕"))
    step(lambda: page.get_by_label("证件号码").fill(make_id_number("19880808", 24)))
    step(lambda: page.get_by_label("联系电话").fill("13700137000"))
    step(lambda: page.get_by_text("流动", exact=True).click())
    step(lambda: page.get_by_label("楼栋").select_option(label="8栋"))
    # htmx re-renders the place: the building's houses appear.
    expect(page.get_by_label("房屋")).to_be_visible()
    wait_for_htmx(page)
    step(lambda: page.get_by_label("房屋").select_option(label="8-1401"))
    wait_for_htmx(page)
    expect(page.get_by_label("户", exact=True)).to_have_value("new")  # no household yet: a new one
    shot(page, "register-375")
    step(lambda: page.get_by_role("button", name="登记", exact=True).click())
    expect(page.get_by_role("heading", level=1)).to_contain_text("刘晓燕")
    elapsed = time.monotonic() - started
    assert elapsed < 60, f"registration took {elapsed:.1f} s"
    assert steps <= 10
    assert_fits_screen(page)
    expect(page.get_by_text("已登记居民刘晓燕。")).to_be_visible()
    resident = Resident.objects.get(name="刘晓燕")
    assert (str(resident.house), resident.residence_type) == ("8-1401", "floating")
    assert resident.household is not None and resident.household.head_id == resident.pk  # noqa: PT018
    # Tags on the phone, in place.
    page.get_by_label("增加标签").select_option(label="独居老人")
    page.get_by_role("button", name="＋ 标签").click()
    expect(page.get_by_test_id("tags").locator(".badge")).to_have_text(["独居老人×"])
    shot(page, "resident-375")
    wait_for_htmx(page)
    page.get_by_role("button", name="移除标签 独居老人").click()
    expect(page.get_by_test_id("tags").locator(".badge")).to_have_count(0)


def test_a_resident_who_moved_out_leaves_the_phone_list_and_is_found_with_the_filter(
    live_registry, page_factory
):
    page = page_factory(375, 740)
    sign_in(page, live_registry, "c01g01")
    page.goto(f"{live_registry}/registry/residents/")
    page.get_by_role("link", name="张三").click()
    page.get_by_role("link", name="迁出").click()
    page.get_by_label("迁往").fill("成都市武侯区")
    page.get_by_role("button", name="确认迁出").click()
    expect(page.get_by_test_id("status")).to_contain_text("迁出")
    page.goto(f"{live_registry}/registry/residents/")
    expect(page.get_by_text("共 0 人")).to_be_visible()
    page.goto(f"{live_registry}/registry/residents/?status=moved_out")
    expect(page.get_by_role("link", name="张三")).to_be_visible()
    assert_fits_screen(page)


@pytest.mark.parametrize("width", [1366, 375])
def test_screens_of_keeping_residents(live_registry, page_factory, width):
    """The pages at a desk and on a phone (screenshots with LINLI_SHOTS_DIR); none scrolls sideways."""
    zhang = Resident.objects.get(name="张三")
    twin = resident_create(actor=None, grid=zhang.grid, name="张三", id_number=make_id_number("19500101", 13))
    page = page_factory(width, 800)
    sign_in(page, live_registry, "c01-leader")
    for name, path in [
        ("list", "/registry/residents/"),
        ("new", "/registry/residents/new/"),
        ("detail", f"/registry/residents/{zhang.pk}/"),
        ("move", f"/registry/residents/{zhang.pk}/move/"),
        ("death", f"/registry/residents/{zhang.pk}/death/"),
        ("merge", f"/registry/residents/{zhang.pk}/merge/?duplicate={twin.pk}"),
    ]:
        page.goto(f"{live_registry}{path}")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        shot(page, f"{name}-{width}")
        assert_fits_screen(page)


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
    assert_fits_screen(page)
    box.fill("0138000")
    expect(page).to_have_url(re.compile(r"q=0138000"))
    expect(page.get_by_test_id("search-error")).to_be_visible()
    assert AuditEntry.objects.filter(action="search_digits").count() == 2  # 8000 and the whole number
