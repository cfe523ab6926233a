"""A volunteers world: the test street with a resident, three volunteers of C01, a team and an activity."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from linli.registry.models import Resident
from linli.registry.services import resident_create
from linli.volunteers import services
from linli.volunteers.models import Activity, Skill, Team, Volunteer
from tests.factories import World, make_id_number

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Saturday 21 November 2026, 08:00; the activity runs 09:00–11:00 that morning.
SATURDAY_8AM = datetime(2026, 11, 21, 8, 0, tzinfo=SHANGHAI)
NINE = SATURDAY_8AM + timedelta(hours=1)
ELEVEN = SATURDAY_8AM + timedelta(hours=3)


@dataclass
class VolunteerWorld:
    w: World
    resident: Resident  # lives in C01/G01
    ann: Volunteer  # the resident, a volunteer of C01
    bo: Volunteer  # a partner unit's volunteer of C01
    cai: Volunteer  # a party member reporting to C01
    team: Team
    activity: Activity  # C01, 09:00–11:00, 2 places, led by the C01 worker
    skill: Skill


@pytest.fixture
def clock():
    with time_machine.travel(SATURDAY_8AM, tick=False) as traveller:
        yield traveller


@pytest.fixture
def vw(world: World, clock) -> VolunteerWorld:
    return build_volunteer_world(world)


def build_volunteer_world(world: World) -> VolunteerWorld:
    skill, _ = Skill.objects.get_or_create(code="elderly", defaults={"name": "助老陪伴"})
    resident = resident_create(
        actor=None,
        grid=world.c01_g01,
        name="安雅",
        id_number=make_id_number("19900101", 2),
        phone="13800000001",
    )
    ann = services.volunteer_register(
        actor=world.c01_worker,
        community=world.c01,
        name="安雅",
        id_number=resident.id_number,
        phone="13800000001",
        skills=[skill],
        availability=["sat_am"],
    )
    bo = services.volunteer_register(
        actor=world.c01_worker,
        community=world.c01,
        name="薄一鸣",
        id_number=make_id_number("19850505", 3),
        phone="13800000002",
        kind="unit",
        unit_name="市供电公司",
    )
    cai = services.volunteer_register(
        actor=world.c01_worker,
        community=world.c01,
        name="蔡文姬",
        id_number=make_id_number("19750303", 5),
        phone="13800000003",
        kind="party_member",
        unit_name="区教育局",
        grid=world.c01_g02,
    )
    team = services.team_create(actor=world.c01_worker, community=world.c01, name="锦绣助老队")
    activity = services.activity_create(
        actor=world.c01_worker,
        community=world.c01,
        team=team,
        title="陪独居老人买菜",
        place="锦绣社区服务站",
        starts_at=NINE,
        ends_at=ELEVEN,
        capacity=2,
        skills=[skill],
        leader=world.c01_worker,
    )
    return VolunteerWorld(world, resident, ann, bo, cai, team, activity, skill)
