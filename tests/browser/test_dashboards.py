"""Dashboards in a real browser: each role's dashboard at 1366 px and 375 px with its charts drawn and no
console error; an admin draws a grid's boundary on the map; a case is placed on the map and lands in the
grid holding the point."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from linli.areas.models import Area
from linli.areas.services import area_update
from linli.cases.tests.conftest import build_case_world, new_case
from tests.browser.helpers import assert_fits_screen
from tests.browser.test_cases import shot
from tests.browser.test_shell import sign_in
from tests.factories import build_world

pytestmark = pytest.mark.browser


def square(west: float, south: float, size: float) -> dict[str, object]:
    ring = [
        [west, south],
        [west + size, south],
        [west + size, south + size],
        [west, south + size],
        [west, south],
    ]
    return {"type": "Polygon", "coordinates": [ring]}


@pytest.fixture
def live_dash(transactional_db, live_server):
    world = build_world()
    cw = build_case_world(world)
    new_case(cw, title="楼道灯坏了")
    return live_server.url, world, cw


@pytest.mark.parametrize("width", [1366, 375])
def test_each_role_sees_its_dashboard(live_dash, page_factory, width):
    url, _, _ = live_dash
    for username in ("admin", "c01-leader", "c01g01", "viewer"):
        page = page_factory(width)
        sign_in(page, url, username)
        page.goto(f"{url}/dashboard/")
        expect(page.get_by_test_id("dash-cases")).to_be_visible()
        expect(page.locator("[data-chart][data-drawn]").first).to_be_attached()
        assert_fits_screen(page)
        shot(page, f"dashboard-{username}-{width}")
    handler = page_factory(width)
    sign_in(handler, url, "chengguan")
    expect(handler.get_by_test_id("dash-cases")).to_contain_text("本部门工单")
    assert_fits_screen(handler)
    phone_map = page_factory(width)
    sign_in(phone_map, url, "c01-leader")
    phone_map.goto(f"{url}/dashboard/map/")
    expect(phone_map.get_by_test_id("grid-map")).to_have_attribute("data-ready", "0")
    expect(phone_map.get_by_test_id("unmapped")).to_contain_text("第一网格")
    assert_fits_screen(phone_map)
    screen = page_factory(1920, 1080)
    sign_in(screen, url, "admin")
    screen.goto(f"{url}/dashboard/screen/")
    expect(screen.locator("[data-chart][data-drawn]").first).to_be_attached()
    shot(screen, f"screen-{width}")


def test_an_admin_draws_a_grid_boundary(live_dash, page_factory):
    url, world, _ = live_dash
    area_update(actor=None, area=world.c01, boundary=square(104.0, 30.0, 0.02))
    page = page_factory(1366)
    sign_in(page, url, "admin")
    page.goto(f"{url}/dashboard/map/areas/{world.c01_g01.pk}/")
    map_box = page.get_by_test_id("boundary-map")
    expect(map_box).to_have_attribute("data-ready", "1")
    box = map_box.bounding_box()
    assert box is not None
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    for dx, dy in [(-60, -60), (60, -60), (60, 60), (-60, 60)]:
        page.mouse.click(cx + dx, cy + dy)
    expect(page.get_by_test_id("vertex-count")).to_have_text("4 个顶点")
    page.get_by_test_id("boundary-save").click()
    expect(page.get_by_text("边界已保存")).to_be_visible()
    grid = Area.objects.get(pk=world.c01_g01.pk)
    assert grid.boundary["type"] == "Polygon"
    assert len(grid.boundary["coordinates"][0]) == 5
    shot(page, "boundary-drawn")
    page.goto(f"{url}/dashboard/map/")
    expect(page.get_by_test_id("grid-map")).to_have_attribute("data-ready", "2")
    expect(page.get_by_test_id("unmapped")).to_contain_text("第二网格")
    assert_fits_screen(page)


def test_a_case_is_placed_on_the_map(live_dash, page_factory):
    url, world, cw = live_dash
    area_update(actor=None, area=world.c01_g02, boundary=square(104.0, 30.0, 0.01))
    case = new_case(cw, title="井盖松动")
    page = page_factory(375, 800)
    sign_in(page, url, "c01-worker")
    page.goto(f"{url}/cases/{case.pk}/")
    page.get_by_test_id("relocate").locator("summary").click()
    picker = page.get_by_test_id("map-picker")
    expect(picker).to_have_attribute("data-ready", "1")
    picker.scroll_into_view_if_needed()
    box = picker.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    expect(page.get_by_test_id("map-picked")).to_contain_text("第二网格")
    page.get_by_role("button", name="保存位置").click()
    expect(page.get_by_text("已更正位置")).to_be_visible()
    case.refresh_from_db()
    assert case.area_id == world.c01_g02.pk
    assert case.latitude is not None
