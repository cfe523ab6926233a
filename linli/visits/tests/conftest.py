"""A visits world: the test street with households, tagged residents and the usual care plans."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from linli.registry.models import Building, House, Household, Resident, Tag, TagGroup
from linli.registry.services import resident_create
from linli.visits import services
from linli.visits.models import CarePlan
from tests.factories import World, make_id_number

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Friday 20 November 2026, 10:00: the weekend follows, so working-day deadlines skip it.
FRIDAY_10AM = datetime(2026, 11, 20, 10, 0, tzinfo=SHANGHAI)


@dataclass
class VisitWorld:
    w: World
    household: Household
    alone: Resident  # 独居老人 in C01/G01, head of `household`
    spouse: Resident  # in the same household, no tag
    dibao: Resident  # 低保 (a sensitive tag) in C01/G01
    g02_alone: Resident  # 独居老人 in C01/G02
    c02_alone: Resident  # 独居老人 in C02/G01
    untagged: Resident  # in C01/G01, covered by no plan
    weekly: CarePlan
    monthly: CarePlan


@pytest.fixture
def clock():
    with time_machine.travel(FRIDAY_10AM, tick=False) as traveller:
        yield traveller


@pytest.fixture
def vw(world: World, clock) -> VisitWorld:
    return build_visit_world(world)


def build_visit_world(world: World) -> VisitWorld:
    # The migrations seed these tags; a transactional test before this one may have flushed them.
    group, _ = TagGroup.objects.get_or_create(code="care", defaults={"name": "关爱服务对象"})
    tags = {
        code: Tag.objects.get_or_create(
            code=code, defaults={"name": name, "group": group, "sensitive": sensitive}
        )[0]
        for code, name, sensitive in [("elderly_alone", "独居老人", False), ("dibao", "低保", True)]
    }
    building = Building.objects.create(grid=world.c01_g01, number="3")
    house = House.objects.create(building=building, room_number="101")
    household = Household.objects.create(house=house, number="H1")
    seq = iter(range(1, 100))

    def person(name: str, grid, tag: str | None = None, **extra) -> Resident:
        return resident_create(
            actor=None,
            grid=grid,
            name=name,
            id_number=make_id_number("19450101", next(seq)),
            phone="13900001111",
            tags=[tags[tag]] if tag else [],
            **extra,
        )

    alone = person("钱老伯", world.c01_g01, "elderly_alone", house=house, household=household)
    household.head = alone
    household.save()
    spouse = person("钱老太", world.c01_g01, None, house=house, household=household)
    dibao = person("孙困难", world.c01_g01, "dibao")
    g02_alone = person("周独居", world.c01_g02, "elderly_alone")
    c02_alone = person("吴独居", world.c02_g01, "elderly_alone")
    untagged = person("郑普通", world.c01_g01)
    weekly = services.care_plan_create(actor=None, area=world.s01, tag=tags["elderly_alone"], interval_days=7)
    monthly = services.care_plan_create(actor=None, area=world.s01, tag=tags["dibao"], interval_days=30)
    return VisitWorld(world, household, alone, spouse, dibao, g02_alone, c02_alone, untagged, weekly, monthly)
