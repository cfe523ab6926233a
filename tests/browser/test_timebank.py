"""The time bank in a real browser: a grid worker records a help request for an elderly resident on a
375 px phone, matches the suggested volunteer, records the service and confirms it, and the balances
move; a community worker then reads the accounts on a 1366 px desk."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from linli.timebank.models import Account, HelpRequest
from linli.timebank.tests.conftest import build_bank_world
from tests.browser.helpers import assert_fits_screen, assert_rows_are_cards, assert_rows_are_table_rows
from tests.browser.test_cases import shot
from tests.browser.test_shell import sign_in
from tests.factories import build_world

pytestmark = pytest.mark.browser


@pytest.fixture
def live_bank(transactional_db, live_server):
    build_bank_world(build_world())
    return live_server.url


def test_a_grid_worker_records_matches_and_pays_a_help_request_on_a_phone(live_bank, page_factory):
    phone = page_factory(375, 760)
    sign_in(phone, live_bank, "c01g01")
    phone.get_by_role("button", name="菜单").click()
    phone.get_by_role("link", name="互助需求").first.click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("互助需求")
    phone.get_by_role("link", name="登记需求").click()
    phone.get_by_label("需要帮助的居民（姓名）").fill("孙桂")
    phone.get_by_role("button", name="查找").click()
    phone.get_by_role("link", name="为其登记").click()
    expect(phone.get_by_role("heading", level=1)).to_contain_text("孙桂兰")
    assert_fits_screen(phone)
    # Saving without saying what is needed is explained.
    phone.get_by_label("需求类别").select_option("hospital")
    phone.get_by_role("button", name="登记并匹配志愿者").click()
    expect(phone.get_by_text("请写明需要什么帮助")).to_be_visible()
    phone.get_by_label("需要什么帮助").fill("陪同去医院复查")
    phone.get_by_label("预计时长（分钟）").fill("90")
    phone.get_by_role("button", name="登记并匹配志愿者").click()
    expect(phone.get_by_role("heading", level=1)).to_contain_text("匹配志愿者")
    assert_fits_screen(phone)
    assert assert_rows_are_cards(phone) == 2  # the two volunteers of 锦绣社区, not 和平社区's
    first = phone.locator("table.cards tbody tr").first
    expect(first).to_contain_text("郑晓红")
    expect(first).to_contain_text("同网格")
    shot(phone, "timebank-match-375")
    first.get_by_role("button", name="匹配").click()
    expect(phone.get_by_test_id("request-status")).to_have_text("已匹配")
    phone.get_by_label("实际服务时长（分钟）").fill("100")
    phone.get_by_role("button", name="登记服务时长").click()
    expect(phone.get_by_test_id("request-status")).to_have_text("已服务")
    phone.get_by_label("确认人").select_option("family")
    phone.get_by_label("代办家属").select_option(label="孙建军")
    phone.get_by_role("button", name="确认并支付").click()
    expect(phone.get_by_text("已确认并支付 1 小时 40 分钟")).to_be_visible()
    expect(phone.get_by_test_id("request-status")).to_have_text("已确认支付")
    expect(phone.get_by_text("时间银行余额 -1 小时 40 分钟")).to_be_visible()
    assert_fits_screen(phone)
    shot(phone, "timebank-paid-375")
    request = HelpRequest.objects.get()
    assert request.payment is not None
    assert request.payment.proxy_label == "孙建军（家属）"
    assert Account.objects.get(volunteer__name="郑晓红").balance_minutes == 100

    desk = page_factory(1366)
    sign_in(desk, live_bank, "c01-worker")
    desk.goto(f"{live_bank}/time-bank/")
    assert_rows_are_table_rows(desk)
    volunteer = Account.objects.get(volunteer__name="郑晓红")
    expect(desk.get_by_test_id(f"balance-{volunteer.pk}")).to_have_text("1 小时 40 分钟")
    desk.get_by_role("link", name="郑晓红").click()
    expect(desk).to_have_url(re.compile(rf"/time-bank/accounts/{volunteer.pk}/$"))
    expect(desk.get_by_test_id("account-balance")).to_have_text("1 小时 40 分钟")
    expect(desk.locator("table.cards")).to_contain_text("互助支付")
    assert_fits_screen(desk)
    shot(desk, "timebank-account-1366")
    # A transfer beyond the volunteer's balance and debt limit is refused with the room left.
    desk.get_by_role("link", name="转赠 / 捐赠").click()
    desk.get_by_label("转入账户").select_option(label="孙桂兰（居民）")
    desk.get_by_label("时长（分钟）").fill("100000")
    desk.get_by_role("button", name="确认转出").click()
    expect(desk.get_by_text(re.compile("不能超过 100 小时"))).to_be_visible()
    assert_fits_screen(desk)
