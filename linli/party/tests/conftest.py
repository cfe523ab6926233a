"""A party world: the test street's community C01 with a party committee, a branch with a party group,
a second branch, members of each kind, and C02's branch (out of the C01 leader's scope)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from linli.party import services
from linli.party.models import PartyMember, PartyOrganisation
from linli.registry.models import Resident
from linli.registry.services import resident_create
from tests.factories import World, make_id_number

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Wednesday 18 November 2026, 10:00.
NOV_18 = datetime(2026, 11, 18, 10, 0, tzinfo=SHANGHAI)


@dataclass
class PartyWorld:
    w: World
    committee: PartyOrganisation
    branch: PartyOrganisation  # 第一党支部 of C01, with a party group
    group: PartyOrganisation
    branch2: PartyOrganisation  # 第二党支部 of C01 (joint, with a park)
    c02_branch: PartyOrganisation
    resident: Resident  # lives in C01/G01, a member of `branch`
    newcomer: Resident  # lives in C01/G01, not a member
    member: PartyMember  # `resident`'s membership; has the grid worker's login
    reporting: PartyMember
    c02_member: PartyMember


@pytest.fixture
def clock():
    with time_machine.travel(NOV_18, tick=False) as traveller:
        yield traveller


@pytest.fixture
def pw(world: World, clock) -> PartyWorld:
    return build_party_world(world)


def build_party_world(world: World) -> PartyWorld:
    w = world
    committee = services.organisation_create(
        actor=None, name="锦绣社区党委", kind="committee", area=w.c01, founded_on=date(2020, 1, 1)
    )
    branch = services.organisation_create(
        actor=None,
        name="第一党支部",
        kind="branch",
        area=w.c01,
        parent=committee,
        founded_on=date(2020, 1, 1),
    )
    group = services.organisation_create(
        actor=None, name="第一党小组", kind="group", area=w.c01, parent=branch
    )
    branch2 = services.organisation_create(
        actor=None,
        name="园区联合党支部",
        kind="branch",
        area=w.c01,
        parent=committee,
        partner_units="锦绣科技园",
        joint_areas=[w.c02],
        founded_on=date(2020, 1, 1),
    )
    c02_branch = services.organisation_create(
        actor=None, name="和平社区党支部", kind="branch", area=w.c02, founded_on=date(2020, 1, 1)
    )
    resident = resident_create(
        actor=None, grid=w.c01_g01, name="孙红", id_number=make_id_number("19700301", 11)
    )
    newcomer = resident_create(
        actor=None, grid=w.c01_g01, name="钱明", id_number=make_id_number("20000101", 13)
    )
    member = services.member_create(
        actor=None,
        organisation=branch,
        resident=resident,
        joined_on=date(1998, 7, 1),
        user=w.grid_worker_c01_g01,
    )
    reporting = services.member_create(
        actor=None,
        organisation=branch,
        name="周在职",
        kind="reporting",
        joined_on=date(2010, 7, 1),
        work_unit="区税务局",
        reported_on=date(2024, 3, 1),
    )
    c02_member = services.member_create(
        actor=None, organisation=c02_branch, name="吴和平", joined_on=date(2005, 1, 1)
    )
    return PartyWorld(
        w, committee, branch, group, branch2, c02_branch, resident, newcomer, member, reporting, c02_member
    )
