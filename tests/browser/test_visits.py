"""Visits in a real browser: a grid worker logs a visit on a 375 px phone from the to-do list in a few
taps; the community leader reads coverage on a desk PC."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from linli.visits.models import Visit, VisitTarget
from linli.visits.tests.conftest import build_visit_world
from tests.browser.helpers import assert_fits_screen
from tests.browser.test_cases import shot
from tests.browser.test_shell import sign_in
from tests.factories import build_world

pytestmark = pytest.mark.browser


@pytest.fixture
def live_visits(transactional_db, live_server):
    build_visit_world(build_world())
    return live_server.url


def test_a_grid_worker_logs_a_visit_on_a_phone_in_under_a_minute(live_visits, page_factory):
    phone = page_factory(375, 760)
    sign_in(phone, live_visits, "c01g01")
    started = time.monotonic()
    phone.get_by_role("button", name="菜单").click()
    phone.get_by_role("link", name="走访").first.click()
    phone.get_by_test_id("visits-soon").get_by_role("link", name="钱老伯").click()
    expect(phone.get_by_role("button", name="保存走访")).to_be_visible()
    assert_fits_screen(phone)
    # Saving without saying what was seen is explained, and the chosen mode is kept.
    phone.get_by_text("电话", exact=True).click()
    phone.get_by_role("button", name="保存走访").click()
    expect(phone.get_by_text("请填写走访情况")).to_be_visible()
    expect(phone.get_by_label("电话")).to_be_checked()
    phone.get_by_label("走访情况（所见所闻）").fill("老人身体不错，暖气正常。")
    phone.get_by_role("button", name="保存走访").click()
    expect(phone.get_by_text("已记录对钱老伯的走访")).to_be_visible()
    elapsed = time.monotonic() - started
    assert elapsed < 60
    assert_fits_screen(phone)
    visit = Visit.objects.get()
    assert (visit.mode, visit.visitor.username) == ("phone", "c01g01")
    assert VisitTarget.objects.get(resident=visit.resident).last_visited_on == visit.visited_on

    desk = page_factory(1366)
    sign_in(desk, live_visits, "c01-leader")
    desk.goto(f"{live_visits}/visits/coverage/?group=community")
    expect(desk.get_by_test_id("coverage-table")).to_contain_text("锦绣社区")
    expect(desk.get_by_test_id("coverage-rate")).to_have_text("100.0%")


def test_after_saving_a_visit_the_next_person_is_offered_and_viewers_get_no_buttons(
    live_visits, page_factory
):
    from linli.accounts.models import User
    from linli.registry.models import Resident
    from linli.visits import services

    services.task_create(
        actor=None, resident=Resident.objects.get(name="孙困难"), trigger="hospitalised", note="住院"
    )
    phone = page_factory(375, 760)
    sign_in(phone, live_visits, "c01g01")
    # Grid workers cannot import ledgers: the menu does not offer it.
    phone.get_by_role("button", name="菜单").click()
    expect(phone.get_by_role("link", name="台账导入")).to_have_count(0)
    phone.get_by_role("link", name="走访").first.click()
    soon = phone.get_by_test_id("visits-soon")
    expect(soon).to_contain_text("3-101")
    expect(soon).to_contain_text("139****1111")
    shot(phone, "visit-todo-375-c01g01")
    soon.get_by_role("link", name="钱老伯").click()
    phone.get_by_label("走访情况（所见所闻）").fill("老人身体不错。")
    phone.get_by_role("button", name="保存走访").click()
    offer = phone.get_by_test_id("next-visit")
    expect(offer).to_contain_text("孙困难")
    expect(offer).to_contain_text("139****1111")
    assert_fits_screen(phone)
    shot(phone, "visit-next-375-c01g01")
    offer.get_by_role("link", name="去走访").click()
    expect(phone.get_by_role("button", name="保存走访")).to_be_visible()
    expect(phone.get_by_text("孙困难").first).to_be_visible()

    viewer = page_factory(375, 760)
    sign_in(viewer, live_visits, "viewer")
    viewer.goto(f"{live_visits}/visits/tasks/")
    expect(viewer.get_by_text("孙困难").first).to_be_visible()
    expect(viewer.get_by_role("link", name="去走访")).to_have_count(0)
    assert User.objects.get(username="viewer").role == "viewer"
    shot(viewer, "visit-tasks-375-viewer")
