"""Surveys in a real browser: a grid worker fills a sampled survey door to door on a 375 px phone with the
network off, and it uploads once when the network is back; a resident answers by their link; staff read the
results on a desk PC."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from linli.surveys import services
from linli.surveys.models import Response, Target
from linli.surveys.tests.test_surveys import _build, _households
from tests.browser.helpers import assert_fits_screen
from tests.browser.test_cases import shot
from tests.browser.test_shell import sign_in
from tests.factories import build_world

pytestmark = pytest.mark.browser


@pytest.fixture
def live_survey(transactional_db, live_server):
    world = build_world()
    _households(world)
    survey, questions = _build(world, target=Target.SAMPLE, sample_size=6)
    services.survey_draw(actor=None, survey=survey, seed="browser")
    services.survey_open(actor=None, survey=survey)
    return live_server.url, survey, questions, world


def _fill(page, questions, *, pet: str) -> None:
    q1, q2, q3, q4, q5, q6, q7 = questions
    form = (
        page.get_by_test_id("door-form")
        if page.get_by_test_id("door-form").count()
        else page.get_by_test_id("answer-form")
    )
    form.locator(f"input[name='q{q1.pk}'][value='{pet}']").check()
    conditional = form.locator(f"fieldset[data-q='{q2.pk}']")
    if pet == "是":
        expect(conditional).to_be_visible()
        conditional.locator("textarea").fill("希望文明养犬，出门拴绳")
    else:
        expect(conditional).to_be_hidden()
    form.locator(f"input[name='q{q3.pk}'][value='4']").check()
    form.locator(f"input[name='q{q4.pk}']").fill("3")
    form.locator(f"input[name='q{q5.pk}'][value='停车位']").check()
    form.locator(f"input[name='q{q6.pk}_0'][value='满意']").check()
    form.locator(f"input[name='q{q6.pk}_1'][value='一般']").check()


def test_door_to_door_offline_then_one_upload_a_resident_by_link_and_staff_see_results(
    live_survey, page_factory
):
    base, survey, questions, world = live_survey
    phone = page_factory(375, 760)
    sign_in(phone, base, "c01g01")
    phone.goto(f"{base}/surveys/{survey.pk}/")
    phone.get_by_test_id("door-link").click()
    expect(phone.get_by_test_id("queue-count")).to_have_text("0")
    assert_fits_screen(phone)

    phone.context.set_offline(True)
    expect(phone.get_by_test_id("net-state")).to_contain_text("离线")
    target = phone.get_by_test_id("door-target")
    # A required question left empty is explained on the phone, offline too, and nothing is queued.
    target.select_option(index=1)
    phone.get_by_test_id("door-save").click()
    expect(phone.get_by_text("第 1 题为必答题")).to_be_visible()
    expect(phone.get_by_test_id("queue-count")).to_have_text("0")
    _fill(phone, questions, pet="是")
    phone.get_by_test_id("door-save").click()
    expect(phone.get_by_test_id("queue-count")).to_have_text("1")
    target.select_option(index=1)
    _fill(phone, questions, pet="否")
    phone.get_by_test_id("door-save").click()
    expect(phone.get_by_test_id("queue-count")).to_have_text("2")
    shot(phone, "survey-door-offline-375")
    assert Response.objects.count() == 0

    phone.context.set_offline(False)
    expect(phone.get_by_test_id("queue-count")).to_have_text("0")
    expect(phone.get_by_test_id("sent-count")).to_have_text("2")
    phone.get_by_test_id("upload-now").click()  # nothing left to send: no second copy
    expect(phone.get_by_test_id("sent-count")).to_have_text("2")
    assert Response.objects.filter(channel="door").count() == 2
    assert_fits_screen(phone)

    # A resident of the other grid answers with the link on their slip.
    invitation = survey.invitations.filter(in_sample=True, state="waiting", grid=world.c01_g02).first()
    resident = page_factory(375, 760)
    resident.goto(f"{base}/surveys/answer/{invitation.token}/")
    _fill(resident, questions, pet="否")
    assert_fits_screen(resident)
    resident.get_by_role("button", name="提交").click()
    expect(resident.get_by_test_id("answer-done")).to_be_visible()
    resident.goto(f"{base}/surveys/answer/{invitation.token}/")
    expect(resident.get_by_test_id("answer-used")).to_be_visible()

    desk = page_factory(1366)
    sign_in(desk, base, "c01-worker")
    desk.goto(f"{base}/surveys/{survey.pk}/")
    desk.get_by_test_id("results-link").click()
    expect(desk.get_by_test_id("results-total")).to_contain_text("共 3 份答卷")
    first = desk.get_by_test_id("question-result").first
    expect(first).to_contain_text("3 人作答")
    expect(first.get_by_test_id("bar-count").first).to_contain_text("1 · 33%")
    assert_fits_screen(desk)
    shot(desk, "survey-results-1366")


def test_text_answers_beyond_the_newest_20_are_read_a_page_at_a_time(
    transactional_db, live_server, page_factory
):
    world = build_world()
    survey, questions = _build(world, open_link=True)
    services.survey_open(actor=None, survey=survey)
    q1, q2, q3 = questions[:3]
    for i in range(25):
        services.response_submit(
            actor=world.grid_worker_c01_g01,
            survey=survey,
            fields={f"q{q1.pk}": ["是"], f"q{q2.pk}": [f"第{i + 1}条建议：楼道灯常亮"], f"q{q3.pk}": ["4"]},
            channel="door",
            grid=world.c01_g01,
        )
    base = live_server.url
    desk = page_factory(1366, 900)
    sign_in(desk, base, "c01-worker")
    desk.goto(f"{base}/surveys/{survey.pk}/results/")
    expect(desk.get_by_test_id("results-total")).to_contain_text("共 25 份答卷")
    expect(desk.get_by_text("第25条建议")).to_be_visible()
    expect(desk.get_by_text("第5条建议", exact=False)).to_have_count(0)
    desk.get_by_test_id("more-texts").click()
    expect(desk.get_by_text("第1条建议：楼道灯常亮")).to_be_visible()
    expect(desk.get_by_test_id("more-texts")).to_have_count(0)
    assert_fits_screen(desk)
    shot(desk, "survey-results-more-texts-1366")
    phone = page_factory(375, 760)
    sign_in(phone, base, "c01-worker")
    phone.goto(f"{base}/surveys/{survey.pk}/results/")
    href = phone.get_by_test_id("more-texts").get_attribute("href")
    phone.goto(f"{base}{href}")
    expect(phone.get_by_test_id("text-answers")).to_contain_text("第5条建议")
    assert_fits_screen(phone)
    shot(phone, "survey-texts-375")
