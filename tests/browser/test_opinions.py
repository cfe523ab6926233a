"""Opinions and notices in a real browser: a worker enters opinions at an open day on a 375 px phone
and turns one into a case; a resident reads the public board and asks a question on a phone; staff
answer it on a desk PC."""

from __future__ import annotations

from datetime import date, time

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from linli.cases.tests.conftest import build_case_world
from linli.notices import services as notices
from linli.notices.models import Question
from linli.opinions import services as opinions
from linli.opinions.models import Opinion
from tests.browser.helpers import assert_fits_screen, assert_rows_are_cards
from tests.browser.test_cases import shot
from tests.browser.test_shell import sign_in
from tests.factories import build_world

pytestmark = pytest.mark.browser


@pytest.fixture
def live_voice(transactional_db, live_server):
    world = build_world()
    cw = build_case_world(world)
    today = timezone.localdate()
    day = opinions.open_day_create(
        actor=world.c01_worker, area=world.c01, held_on=today, start_time=time(9), place="党群服务中心"
    )
    notice = notices.notice_create(
        actor=world.c01_worker,
        area=world.c01,
        category="finance",
        title="第三季度财务公开",
        body="本季度收支如下。",
        publish_from=today,
        publish_until=date.fromordinal(today.toordinal() + 9),
        lines=[
            {"kind": "income", "purpose": "办公经费", "amount": "3000", "voucher_no": "记-1"},
            {"kind": "expense", "purpose": "购置文具", "amount": "250.50", "voucher_no": "记-2"},
        ],
        declared_income="3000",
        declared_expense="250.50",
    )
    notices.notice_publish(actor=world.c01_worker, notice=notice)
    return live_server.url, world, cw, day, notice


def test_a_worker_enters_opinions_at_an_open_day_on_a_phone_and_turns_one_into_a_case(
    live_voice, page_factory
):
    base, world, cw, day, _ = live_voice
    phone = page_factory(375, 760)
    sign_in(phone, base, "c01-worker")
    phone.goto(f"{base}/opinions/open-days/{day.pk}/")
    form = phone.get_by_test_id("entry-form")
    expect(form).to_be_visible()
    assert_fits_screen(phone)
    for text, topic in (("楼道灯坏了一周", "基础设施"), ("希望增设老年助餐点", "养老服务")):
        form = phone.get_by_test_id("entry-form")
        form.get_by_label("意见内容").fill(text)
        form.get_by_label(topic).check()
        form.get_by_role("button", name="保存，登记下一条").click()
        expect(phone.get_by_text("请继续登记下一条")).to_be_visible()
        expect(phone.get_by_test_id("day-opinions")).to_contain_text(text)
    # Without a topic: explained, nothing saved.
    phone.get_by_test_id("entry-form").get_by_label("意见内容").fill("无议题")
    phone.get_by_test_id("entry-form").get_by_role("button", name="保存，登记下一条").click()
    expect(phone.get_by_text("请至少选择一个议题")).to_be_visible()
    assert Opinion.objects.filter(open_day=day).count() == 2
    phone.goto(f"{base}/opinions/open-days/{day.pk}/")
    expect(phone.get_by_test_id("followup")).to_contain_text("共 2 条")
    assert_rows_are_cards(phone)
    shot(phone, "opinions-open-day-375")
    phone.get_by_test_id("day-opinions").get_by_role("link").first.click()
    expect(phone.get_by_test_id("opinion-actions")).to_be_visible()
    phone.get_by_text("转为诉求工单").click()
    phone.get_by_label("诉求类别").select_option(str(cw.dept_category.pk))
    phone.get_by_role("button", name="转为诉求").click()
    expect(phone.get_by_text("已转为诉求，工单编号")).to_be_visible()
    assert_fits_screen(phone)
    opinion = Opinion.objects.exclude(case=None).get()
    # Linked both ways: the opinion shows its case, the case page names the opinion it came from.
    phone.get_by_test_id("opinion-case").get_by_role("link").click()
    expect(phone.get_by_test_id("linked-from")).to_contain_text(opinion.number)
    expect(phone.locator("main")).to_contain_text(f"由社情民意 {opinion.number}")


def test_a_resident_asks_on_the_board_and_staff_answer_on_a_desk(live_voice, page_factory):
    base, world, _, _, notice = live_voice
    phone = page_factory(375, 760)
    phone.goto(f"{base}/board/{world.c01.pk}/")
    expect(phone.get_by_test_id("board")).to_contain_text("第三季度财务公开")
    assert_fits_screen(phone)
    phone.get_by_role("link", name="第三季度财务公开").click()
    expect(phone.get_by_test_id("countdown")).to_contain_text("公示剩余 10 天")
    expect(phone.get_by_test_id("finance-lines")).to_contain_text("250.50")
    assert_rows_are_cards(phone)
    phone.get_by_label("您的问题").fill("文具买了哪些？")
    phone.get_by_role("button", name="提问").click()
    expect(phone.get_by_text("已收到您的问题")).to_be_visible()
    assert_fits_screen(phone)
    shot(phone, "notices-board-375")
    assert Question.objects.filter(notice=notice).count() == 1

    desk = page_factory(1366)
    sign_in(desk, base, "c01-worker")
    expect(desk.get_by_test_id("home-notices")).to_contain_text("文具买了哪些")
    desk.get_by_test_id("home-notices").get_by_role("link", name="第三季度财务公开").click()
    questions = desk.get_by_test_id("questions")
    questions.get_by_label("答复").fill("签字笔、打印纸，清单见附件。")
    questions.get_by_role("button", name="提交答复").click()
    expect(desk.get_by_text("已答复，答复将显示在公开栏")).to_be_visible()
    assert_fits_screen(desk)
    shot(desk, "notices-answer-1366")
    phone.goto(f"{base}/board/notices/{notice.pk}/")
    expect(phone.get_by_test_id("public-questions")).to_contain_text("签字笔、打印纸")
