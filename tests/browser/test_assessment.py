"""Assessment in a real browser: a resident opens the one-time rating link of their text message on a
375 px phone, sees whom they rate and what that person did for them, and rates; staff follow progress and
read the results on a 1366 px desk screen (and the results as cards on a phone)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from linli.assessment import services
from linli.assessment.models import Rating
from linli.assessment.tests.conftest import build_assess_world
from linli.core import qr, sms
from tests.browser.helpers import assert_fits_screen, assert_rows_are_cards
from tests.browser.test_cases import shot
from tests.browser.test_shell import sign_in
from tests.factories import build_world

pytestmark = pytest.mark.browser


@pytest.fixture
def live_round(transactional_db, live_server, settings):
    settings.LINLI_SMS_BACKEND = "memory"
    sms.outbox.clear()
    aw = build_assess_world(build_world())
    services.profile_update(
        actor=None, user=aw.worker, resident_id=aw.own.pk, base_annual_pay=None, photo=qr.png("刘芳")
    )
    round_ = services.round_open(actor=aw.w.street_admin, round=aw.new_round(min_sample=5), seed="dice-6-2-4")
    services.invitations_send(actor=aw.w.street_admin, round=round_)
    return live_server.url, aw, round_


def test_a_resident_rates_on_a_phone_and_staff_read_progress_and_results(live_round, page_factory):
    base, aw, round_ = live_round
    message = next(m for m in sms.outbox if aw.worker.full_name in m.text)
    link = message.text.rsplit("：", 1)[1]
    token = link.rstrip("/").rsplit("/", 1)[1]

    phone = page_factory(375, 760)
    phone.goto(f"{base}/rate/{token}/")
    expect(phone.get_by_test_id("worker")).to_have_text(aw.worker.full_name)
    expect(phone.get_by_test_id("service")).to_contain_text("走访您家")
    expect(phone.get_by_role("img", name=f"{aw.worker.full_name} 的照片")).to_be_visible()
    assert_fits_screen(phone)
    shot(phone, "assessment-rate-375")
    # No grade: explained, nothing stored.
    phone.get_by_role("button", name="提交评议").click()
    expect(phone.get_by_text("请选择 优、良、中 或 差")).to_be_visible()
    phone.get_by_label("优").check()
    phone.get_by_label("理由").fill("腿脚不便，她每周上门，帮我办了高龄补贴")
    phone.get_by_role("button", name="提交评议").click()
    expect(phone.get_by_test_id("done")).to_have_text("感谢您的评议")
    assert_fits_screen(phone)
    shot(phone, "assessment-rated-375")
    assert Rating.objects.get().validity == "valid"

    desk = page_factory(1366)
    sign_in(desk, base, "admin")
    desk.goto(f"{base}/assessment/{round_.pk}/")
    expect(desk.get_by_test_id("seed")).to_contain_text("dice-6-2-4")
    progress = desk.get_by_test_id("progress")
    expect(progress.get_by_role("row", name=aw.worker.full_name)).to_contain_text("20%")
    assert_fits_screen(desk)
    shot(desk, "assessment-progress-1366")
    desk.get_by_role("link", name="结果").click()
    results = desk.get_by_test_id("results")
    expect(results.get_by_role("row", name=aw.worker.full_name)).to_contain_text("1 / 0 / 0 / 0")
    assert_fits_screen(desk)
    shot(desk, "assessment-results-1366")

    small = page_factory(375, 760)
    sign_in(small, base, "admin")
    small.goto(f"{base}/assessment/{round_.pk}/results/")
    expect(small.get_by_test_id("combined")).to_contain_text(aw.worker.full_name)
    assert_fits_screen(small)
    assert_rows_are_cards(small)
    shot(small, "assessment-results-375")


def test_after_close_the_worker_reads_their_own_page_and_the_department_its_ratings_on_a_phone(
    live_round, page_factory
):
    base, aw, round_ = live_round
    tokens = [m.text.rsplit("/rate/", 1)[1].strip("/") for m in sms.outbox if aw.worker.full_name in m.text]
    phone = page_factory(375, 760)
    # 优 without a reason: the resident is told once that it would not count, and may still send it.
    phone.goto(f"{base}/rate/{tokens[0]}/")
    phone.get_by_label("优").check()
    phone.get_by_role("button", name="提交评议").click()
    expect(phone.get_by_text("否则本次评议无效")).to_be_visible()
    assert Rating.objects.count() == 0
    phone.get_by_role("button", name="提交评议").click()
    expect(phone.get_by_test_id("done")).to_have_text("感谢您的评议")
    phone.goto(f"{base}/rate/{tokens[1]}/")
    phone.get_by_label("良").check()
    phone.get_by_role("button", name="提交评议").click()
    expect(phone.get_by_test_id("done")).to_have_text("感谢您的评议")
    services.department_review_save(
        actor=aw.w.street_admin,
        round=round_,
        department=aw.cw.department,
        basis="by_law",
        grade="poor",
        reason="占道经营派单三次退回社区",
    )
    services.round_close(actor=aw.w.street_admin, round=round_)

    worker = page_factory(375, 760)
    sign_in(worker, base, aw.worker.username)
    worker.goto(f"{base}/assessment/mine/")
    mine = worker.get_by_test_id("mine")
    expect(mine).to_contain_text(round_.title)
    expect(mine).to_contain_text("0 / 1 / 0 / 0")  # the reasonless 优 is not counted
    expect(mine).to_contain_text("1 / 1")  # valid / invalid
    assert_fits_screen(worker)
    assert_rows_are_cards(worker)
    shot(worker, "assessment-mine-375")

    department = page_factory(375, 760)
    sign_in(department, base, aw.w.department.username)
    department.goto(f"{base}/assessment/departments/")
    reviews = department.get_by_test_id("department-reviews")
    expect(reviews).to_contain_text("依法履职事项清单")
    expect(reviews).to_contain_text("占道经营派单三次退回社区")
    assert_fits_screen(department)
    assert_rows_are_cards(department)
    shot(department, "assessment-departments-375")
