"""Cases in a real browser: a grid worker files one on a phone, the community registers and
dispatches it on a desk PC, the worker finishes it, a resident confirms it on the tracking page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from linli.accounts.models import User
from linli.cases.models import Case
from linli.cases.tests.conftest import build_case_world
from tests.browser.test_shell import sign_in
from tests.factories import build_world

pytestmark = pytest.mark.browser


@pytest.fixture
def live_cases(transactional_db, live_server):
    build_case_world(build_world())
    return live_server.url


def test_a_case_from_a_phone_to_the_residents_confirmation(live_cases, page_factory):
    phone = page_factory(375, 760)
    sign_in(phone, live_cases, "c01g01")
    phone.goto(f"{live_cases}/cases/new/")
    phone.get_by_label("诉求类别").select_option(label="测试大类 / 测试噪声")
    # The category's own question arrives by htmx.
    expect(phone.get_by_label("发生时段")).to_be_visible()
    phone.get_by_label("发生时段").select_option("night")
    phone.get_by_label("标题").fill("楼上夜间装修")
    phone.get_by_label("诉求内容").fill("8 栋 401 每晚 11 点后还在钻墙。")
    phone.get_by_label("受理渠道").select_option("patrol")
    phone.get_by_label("所在网格 / 社区").select_option(label="锦绣社区 · 第一网格")
    phone.get_by_label("楼栋号").fill("8")
    phone.get_by_label("房号").fill("99")
    phone.get_by_label("联系电话").fill("13800138000")
    phone.get_by_role("button", name="受理").click()
    # A wrong room is explained on the field, and nothing typed is lost.
    expect(phone.get_by_text("8 号楼没有 99 室")).to_be_visible()
    expect(phone.get_by_label("诉求内容")).to_have_value("8 栋 401 每晚 11 点后还在钻墙。")
    phone.get_by_label("房号").fill("301")
    phone.get_by_role("button", name="受理").click()
    number = phone.get_by_test_id("case-number").inner_text()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375

    desk = page_factory(1366)
    sign_in(desk, live_cases, "c01-worker")
    expect(desk.get_by_test_id("nav-badge")).to_be_visible()
    desk.get_by_role("link", name="诉求工单").click()
    desk.get_by_role("link", name=number).click()
    desk.get_by_test_id("action-register").get_by_role("button", name="立案").click()
    expect(desk.get_by_text("立案：已完成。")).to_be_visible()
    # The first move on offer is open already.
    desk.get_by_test_id("action-dispatch").get_by_role("button", name="派遣").click()
    worker = User.objects.get(username="c01g01")
    expect(desk.get_by_test_id("timeline")).to_contain_text(f"→ {worker.display_name}")

    phone.goto(f"{live_cases}/cases/inbox/")
    phone.get_by_role("link", name="楼上夜间装修").first.click()
    phone.get_by_test_id("action-accept").get_by_role("button", name="签收处置").click()
    phone.get_by_test_id("action-finish").get_by_label("处置结果").fill("已上门劝导，承诺夜间停工。")
    phone.get_by_test_id("action-finish").get_by_role("button", name="处置完成").click()
    expect(phone.get_by_test_id("timeline")).to_contain_text("处置完成")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375

    resident = page_factory(375, 760)
    resident.goto(f"{live_cases}/track/")
    resident.get_by_label("工单编号").fill(number)
    resident.get_by_label("登记时留的手机号").fill("138 0013 8000")
    resident.get_by_role("button", name="查询").click()
    expect(resident.get_by_test_id("public-status")).to_have_text("处置完成")
    resident.get_by_role("button", name="已解决").click()
    expect(resident.get_by_test_id("public-status")).to_have_text("已结案")
    assert Case.objects.get(number=number).status == "closed"
