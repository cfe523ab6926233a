"""Partner units in a real browser: a joint activity run as a volunteer activity links to it, on a desk and on
a 375 px phone (where the list is cards)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from linli.partners import services
from linli.volunteers import services as volunteers
from tests.browser.helpers import assert_fits_screen, assert_rows_are_cards
from tests.browser.test_cases import shot
from tests.browser.test_shell import sign_in
from tests.factories import build_world

pytestmark = pytest.mark.browser


def test_a_joint_activity_links_to_the_volunteer_activity_it_was_run_as(
    transactional_db, live_server, page_factory
):
    world = build_world()
    unit = services.unit_create(
        actor=world.c01_worker,
        area=world.c01,
        data={"name": "第一实验小学", "kind": "school", "staff_count": 80},
    )
    start = timezone.make_aware(datetime.combine(timezone.localdate() + timedelta(days=1), time(9)))
    run_as = volunteers.activity_create(
        actor=None,
        community=world.c01,
        title="义诊进社区",
        place="服务大厅",
        starts_at=start,
        ends_at=start + timedelta(hours=3),
        capacity=20,
    )
    base = live_server.url
    desk = page_factory(1366, 900)
    sign_in(desk, base, "c01-worker")
    desk.goto(f"{base}/partners/activities/new/")
    desk.locator("select[name=area]").select_option(str(world.c01.pk))
    desk.get_by_label("活动名称").fill("共建义诊")
    desk.get_by_label("第一实验小学").check()
    desk.locator("select[name=volunteer_activity]").select_option(str(run_as.pk))
    desk.get_by_role("button", name="保存").click()
    expect(desk.get_by_test_id("volunteer-activity-link")).to_contain_text("义诊进社区")
    assert_fits_screen(desk)
    shot(desk, "partners-activities-1366")
    phone = page_factory(375, 760)
    sign_in(phone, base, "c01-worker")
    phone.goto(f"{base}/partners/activities/")
    expect(phone.get_by_test_id("volunteer-activity-link")).to_be_visible()
    assert_fits_screen(phone)
    assert_rows_are_cards(phone)
    shot(phone, "partners-activities-375")
    phone.get_by_test_id("volunteer-activity-link").click()
    expect(phone).to_have_url(f"{base}/volunteers/activities/{run_as.pk}/")
    assert unit.activities.get().volunteer_activity == run_as
