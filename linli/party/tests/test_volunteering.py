"""Volunteer service confirmed in volunteers earns party points: one record, counted in both places."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from linli.party import services
from linli.party.models import PointEntry
from linli.volunteers import services as volunteer_services
from linli.volunteers.models import SignMethod
from linli.volunteers.tests.conftest import ELEVEN, NINE, build_volunteer_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock():
    import time_machine

    from linli.volunteers.tests.conftest import SATURDAY_8AM

    with time_machine.travel(SATURDAY_8AM, tick=False) as traveller:
        yield traveller


def _serve(vw, volunteer, clock):
    record = volunteer_services.activity_assign(
        actor=vw.w.c01_worker, activity=vw.activity, volunteer=volunteer
    )
    clock.move_to(NINE)
    record = volunteer_services.record_sign_in(
        actor=None, record=record, method=SignMethod.QR, token=vw.activity.checkin_token
    )
    clock.move_to(ELEVEN)
    return volunteer_services.record_sign_out(actor=None, record=record, token=vw.activity.checkin_token)


def test_a_reporting_members_confirmed_service_earns_points_once(world, clock):
    vw = build_volunteer_world(world)
    branch = services.organisation_create(actor=None, name="第一党支部", kind="branch", area=world.c01)
    member = services.member_create(
        actor=None,
        organisation=branch,
        name="蔡文姬",
        kind="reporting",
        joined_on=date(2001, 7, 1),
        work_unit="区教育局",
        reported_on=date(2025, 3, 1),
    )
    services.member_link_volunteer(actor=world.c01_leader, member=member, volunteer=vw.cai)
    record = _serve(vw, vw.cai, clock)
    clock.move_to(ELEVEN + timedelta(minutes=5))
    volunteer_services.records_confirm(actor=world.c01_worker, activity=vw.activity)
    entry = PointEntry.objects.get(member=member)
    assert entry.rule.code == "volunteer"
    assert entry.source == f"volunteer:{record.pk}"
    assert entry.points == 2
    record.refresh_from_db()
    assert record.minutes == 120  # the hours stay in volunteers, on the same record


def test_a_resident_volunteer_is_matched_to_their_membership(world, clock):
    vw = build_volunteer_world(world)
    branch = services.organisation_create(actor=None, name="第一党支部", kind="branch", area=world.c01)
    member = services.member_create(
        actor=None, organisation=branch, resident=vw.resident, joined_on=date(2012, 7, 1)
    )
    _serve(vw, vw.ann, clock)
    clock.move_to(ELEVEN + timedelta(minutes=5))
    volunteer_services.records_confirm(actor=world.c01_worker, activity=vw.activity)
    assert PointEntry.objects.get(member=member).rule.code == "volunteer"
    assert not PointEntry.objects.exclude(member=member).exists()


def test_the_members_page_shows_the_service_from_volunteers(world, clock):
    from django.test import Client

    vw = build_volunteer_world(world)
    branch = services.organisation_create(actor=None, name="第一党支部", kind="branch", area=world.c01)
    member = services.member_create(
        actor=None,
        organisation=branch,
        name="蔡文姬",
        kind="reporting",
        joined_on=date(2001, 7, 1),
        work_unit="区教育局",
        reported_on=date(2025, 3, 1),
    )
    c = Client()
    c.force_login(world.c01_leader)
    response = c.post(f"/party/members/{member.pk}/", {"action": "volunteer", "volunteer": vw.cai.pk})
    assert response.status_code == 302
    _serve(vw, vw.cai, clock)
    clock.move_to(ELEVEN + timedelta(minutes=5))
    volunteer_services.records_confirm(actor=world.c01_worker, activity=vw.activity)
    c.force_login(world.c01_leader)  # hours later: a fresh session
    page = c.get(f"/party/members/{member.pk}/").content.decode()
    assert "已确认服务 1 次，2.0 小时" in page
    assert "计入积分 2 分" in page
