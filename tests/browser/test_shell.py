"""A community worker's first minutes in Linli, in a real Chromium."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import assert_fits_screen
from tests.factories import PASSWORD, build_world

pytestmark = pytest.mark.browser


@pytest.fixture
def live_world(transactional_db, live_server):
    build_world()
    return live_server.url


def sign_in(page: Page, base: str, username: str, password: str = PASSWORD, *, succeed: bool = True) -> None:
    """Sign in through the form and, when it should succeed, wait until the signed-in page is there:
    a test's next `goto` would otherwise cancel the sign-in still under way on a busy machine."""
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    if succeed:
        expect(page).not_to_have_url(re.compile(r"/accounts/login/"))
        page.wait_for_load_state("load")


def test_sign_in_navigate_the_shell_and_sign_out(live_world, page_factory):
    page = page_factory(1280)
    sign_in(page, live_world, "admin")
    expect(page.get_by_role("heading", level=1)).to_contain_text("您好")
    expect(page.locator("html")).to_have_attribute(
        "lang", "zh-hans"
    )  # Chinese although the browser asks for English

    page.get_by_role("link", name="区域网格").click()
    expect(page).to_have_url(re.compile(r"/areas/$"))
    expect(page.get_by_role("link", name="锦绣社区")).to_have_count(0)
    page.get_by_role("button", name="展开 望江街道").click()  # htmx loads the children
    expect(page.get_by_role("link", name="锦绣社区")).to_be_visible()
    page.get_by_role("button", name="展开 锦绣社区").click()
    expect(page.get_by_role("link", name="第二网格").first).to_be_visible()

    page.get_by_role("link", name="锦绣社区").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("锦绣社区")
    expect(page.get_by_text("网格责任人").first).to_be_visible()

    page.get_by_role("link", name="审计日志").click()
    expect(page.get_by_test_id("audit-ledger")).to_contain_text("王建国（街道管理员）")

    page.get_by_test_id("user-menu").click()
    page.get_by_label("令牌用途").fill("统计大屏")
    page.get_by_role("button", name="创建令牌").click()
    expect(page.get_by_test_id("new-token")).to_contain_text("linli_")

    page.get_by_role("button", name="退出").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))


def test_wrong_password_is_explained(live_world, page_factory):
    page = page_factory(1280)
    sign_in(page, live_world, "c01g01", "not-the-password-1", succeed=False)
    expect(page.get_by_role("alert")).to_contain_text("用户名或密码不正确")


def test_grid_worker_on_a_phone(live_world, page_factory):
    page = page_factory(375, 740)
    sign_in(page, live_world, "c01g01")
    expect(page.get_by_role("heading", level=1)).to_contain_text("您好")
    assert_fits_screen(page)
    nav = page.locator("#sidenav")
    expect(nav).not_to_be_in_viewport()
    page.get_by_role("button", name="菜单").click()
    expect(nav).to_be_in_viewport()
    page.get_by_role("link", name="区域网格").click()
    expect(page.get_by_role("link", name="第一网格")).to_be_visible()
    expect(page.get_by_text("第二网格")).to_have_count(0)  # another grid is out of scope
    assert_fits_screen(page)
    page.get_by_role("link", name="第一网格").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("第一网格")
    assert_fits_screen(page)
