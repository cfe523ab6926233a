"""Cases in a real browser: a grid worker files one on a phone, the community registers and
dispatches it on a desk PC, the worker finishes it, a resident confirms it on the tracking page."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from linli.accounts.models import User
from linli.cases.models import Case
from linli.cases.tests.conftest import build_case_world
from tests.browser.helpers import assert_fits_screen
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
    assert_fits_screen(phone)

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
    assert_fits_screen(phone)

    resident = page_factory(375, 760)
    resident.goto(f"{live_cases}/track/")
    resident.get_by_label("工单编号").fill(number)
    resident.get_by_label("登记时留的手机号").fill("138 0013 8000")
    resident.get_by_role("button", name="查询").click()
    expect(resident.get_by_test_id("public-status")).to_have_text("处置完成")
    resident.get_by_role("button", name="已解决").click()
    expect(resident.get_by_test_id("public-status")).to_have_text("已结案")
    assert Case.objects.get(number=number).status == "closed"


def shot(page, name: str) -> None:
    """Keep a screenshot for a person to look at when LINLI_SCREENSHOTS names a folder."""
    folder = os.environ.get("LINLI_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def fits(page) -> None:
    assert_fits_screen(page)


def test_a_residents_case_gets_a_building_and_the_street_department_takes_it(live_cases, page_factory):
    # A resident files from a phone, naming only the community: the case waits at the community.
    resident = page_factory(375, 760)
    resident.goto(f"{live_cases}/track/new/")
    resident.get_by_label("所在社区").select_option(label="锦绣社区（S01/C01）")
    resident.get_by_label("问题类别").select_option(label="测试大类 / 测试占道")
    resident.get_by_label("标题").fill("门口占道摆摊")
    resident.get_by_label("具体情况").fill("8 号楼门口每天早上有人摆摊卖菜，堵住消防通道。")
    resident.get_by_label("地点").fill("锦绣路 8 号楼门口")
    resident.get_by_label("手机号").fill("13700137000")
    resident.get_by_role("button", name="提交").click()
    expect(resident.get_by_test_id("public-status")).to_have_text("已受理")
    case = Case.objects.get(title="门口占道摆摊")
    assert case.area.path == "S01/C01"

    # The community leader, on a phone, puts it in building 8: it reaches 第一网格.
    leader = page_factory(375, 760)
    sign_in(leader, live_cases, "c01-leader")
    leader.goto(f"{live_cases}/cases/{case.pk}/")
    relocate = leader.get_by_test_id("relocate")
    expect(relocate).to_contain_text("尚未落到网格")
    relocate.get_by_label("楼栋号").fill("8")
    relocate.get_by_label("房号").fill("301")
    relocate.get_by_role("button", name="保存位置").click()
    expect(leader.get_by_text("已更正位置")).to_be_visible()
    expect(leader.get_by_test_id("timeline")).to_contain_text("锦绣社区 → 第一网格 · 8-301")
    fits(leader)
    shot(leader, "relocated-375-c01-leader")

    # The community worker registers it and dispatches it to the street's 城管 on a desk PC.
    desk = page_factory(1366)
    sign_in(desk, live_cases, "c01-worker")
    desk.goto(f"{live_cases}/cases/{case.pk}/")
    desk.get_by_test_id("action-register").get_by_role("button", name="立案").click()
    expect(desk.get_by_text("立案：已完成。")).to_be_visible()
    dispatch = desk.get_by_test_id("action-dispatch")
    dispatch.get_by_label("或职能部门").select_option(label="城管执法中队")
    dispatch.get_by_role("button", name="派遣").click()
    expect(desk.get_by_text("派遣：已完成。")).to_be_visible()
    timeline = desk.get_by_test_id("timeline")
    expect(timeline).to_contain_text("→ 城管执法中队")
    worker = User.objects.get(username="c01-worker")
    expect(timeline).to_contain_text(f"{worker.full_name}（社区工作者）")
    expect(timeline).not_to_contain_text("c01-worker")
    expect(timeline).not_to_contain_text("改派")
    shot(desk, "dispatched-1366-c01-worker")

    # The department's handler finds it waiting and takes it on, on a phone.
    handler = page_factory(375, 760)
    sign_in(handler, live_cases, "chengguan")
    handler.goto(f"{live_cases}/cases/inbox/")
    handler.get_by_role("link", name="门口占道摆摊").first.click()
    handler.get_by_test_id("action-accept").get_by_role("button", name="签收处置").click()
    expect(handler.get_by_text("签收处置：已完成。")).to_be_visible()
    fits(handler)
    shot(handler, "accepted-375-chengguan")
    assert Case.objects.get(pk=case.pk).status == "handling"


def test_the_case_list_is_cards_on_a_phone_filters_and_exports(live_cases, page_factory):
    worker = User.objects.get(username="c01-worker")
    from linli.cases import services
    from linli.cases.models import Category
    from linli.registry.models import House

    house = House.objects.get(room_number="301")
    category = Category.objects.get(code="T-NOISE")
    for title, channel in [("楼上夜间装修", "phone"), ("楼道堆放杂物", "walk_in"), ("路灯不亮", "patrol")]:
        services.case_create(
            actor=worker, category=category, channel=channel, title=title, description=f"{title}，请处理。",
            house=house, reporter_phone="13800138000", attributes={"period": "night"},
        )  # fmt: skip

    phone = page_factory(375, 760)
    sign_in(phone, live_cases, "c01-worker")
    phone.goto(f"{live_cases}/cases/")
    rows = phone.get_by_test_id("case-table").locator("tbody tr")
    expect(rows).to_have_count(3)
    # Each case is a card: the title on its own line above status, place and deadline; no table header.
    expect(phone.get_by_test_id("case-table").locator("thead")).to_be_hidden()
    first = rows.first
    title_box = first.locator(".cell-title").bounding_box()
    status_box = first.locator(".cell-status").bounding_box()
    assert title_box is not None
    assert status_box is not None
    assert title_box["y"] < status_box["y"]
    assert title_box["width"] > 300
    expect(first.locator(".cell-place")).to_have_text("锦绣社区 · 第一网格")
    expect(first.locator(".cell-due")).to_have_attribute("data-label", "时限")
    expect(first.locator(".cell-due")).to_be_visible()
    fits(phone)
    shot(phone, "case-list-375-c01-worker")

    phone.get_by_text("更多筛选").click()
    phone.get_by_label("渠道").select_option(label="电话")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("楼上夜间装修")
    fits(phone)
    shot(phone, "case-list-filtered-375-c01-worker")

    desk = page_factory(1366)
    sign_in(desk, live_cases, "c01-worker")
    desk.goto(f"{live_cases}/cases/?status=open&sort=deadline")
    expect(desk.get_by_test_id("case-count")).to_contain_text("共 3 件")
    shot(desk, "case-list-1366-c01-worker")
    with desk.expect_download() as download:
        desk.get_by_test_id("export-cases").click()
    assert download.value.suggested_filename.endswith(".xlsx")


def test_a_resident_reopens_a_closed_case_and_the_follow_up_form_is_gone(live_cases, page_factory):
    from linli.cases import services
    from linli.cases.models import Category
    from linli.registry.models import House

    worker, grid, leader = (User.objects.get(username=u) for u in ("c01-worker", "c01g01", "c01-leader"))
    case = services.case_create(
        actor=worker, category=Category.objects.get(code="T-NOISE"), channel="phone", title="下水道堵塞",
        description="3 单元下水道堵了。", house=House.objects.get(room_number="301"),
        reporter_phone="13800138000", attributes={"period": "day"},
    )  # fmt: skip
    services.case_register(actor=worker, case=case)
    services.case_dispatch(actor=worker, case=case)
    services.case_accept(actor=grid, case=case)
    services.case_finish(actor=grid, case=case, result="已疏通。")
    services.case_verify(actor=leader, case=case)
    services.case_pass(actor=leader, case=case)

    desk = page_factory(1366)
    sign_in(desk, live_cases, "c01-worker")
    desk.goto(f"{live_cases}/cases/{case.pk}/")
    follow_up = desk.get_by_test_id("action-follow_up")
    follow_up.get_by_text("满意", exact=True).click()
    follow_up.get_by_role("button", name="回访").click()
    expect(desk.get_by_text("回访：已完成。")).to_be_visible()
    expect(desk.get_by_test_id("action-follow_up")).to_have_count(0)

    resident = page_factory(375, 760)
    resident.goto(f"{live_cases}/track/")
    resident.get_by_label("工单编号").fill(case.number)
    resident.get_by_label("登记时留的手机号").fill("13800138000")
    resident.get_by_role("button", name="查询").click()
    expect(resident.get_by_test_id("public-status")).to_have_text("已结案")
    reopen = resident.get_by_test_id("reopen")
    reopen.get_by_label("哪里还没解决（必填）").fill("又堵了，污水漫到楼道。")
    shot(resident, "track-closed-375-resident")
    reopen.get_by_role("button", name="还没解决").click()
    expect(resident.get_by_test_id("public-status")).to_have_text("处置中")
    fits(resident)
    case.refresh_from_db()
    assert (case.status, case.rework_count) == ("handling", 1)
