"""A time-bank world: the test street with an elderly resident and her household, a neighbour, and three
volunteers of 锦绣社区 (C01) — one in her grid, one in the next grid, one who has no stated time free."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from linli.areas.models import Area
from linli.registry.models import Building, House, Household, Resident
from linli.registry.services import resident_create
from linli.timebank import services
from linli.timebank.models import Account
from linli.volunteers.models import Activity, ServiceRecord, Skill, Volunteer
from tests.factories import World, make_id_number

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Friday 20 November 2026, 10:00.
FRIDAY_10AM = datetime(2026, 11, 20, 10, 0, tzinfo=SHANGHAI)


@dataclass
class BankWorld:
    w: World
    household: Household
    elder: Resident  # 独居 in spirit: head of `household` in C01/G01
    son: Resident  # her son, same household: may act for her (家属代办)
    neighbour: Resident  # C01/G01, another household
    c02_resident: Resident  # 和平社区
    shopping: Skill
    near: Volunteer  # C01/G01, shopping, free Saturday mornings
    far: Volunteer  # C01/G02, no skill stated, free any time
    other: Volunteer  # C02


@pytest.fixture
def clock():
    with time_machine.travel(FRIDAY_10AM, tick=False) as traveller:
        yield traveller


@pytest.fixture
def bw(world: World, clock) -> BankWorld:
    return build_bank_world(world)


def make_volunteer(
    community: Area, name: str, seq: int, grid: Area | None = None, **extra: object
) -> Volunteer:
    number = make_id_number("19900101", seq)
    volunteer = Volunteer.objects.create(
        community=community,
        grid=grid,
        name=name,
        id_number=number,
        id_reversed=number[::-1],
        phone=f"1380000{seq:04d}",
        status="active",
        **extra,
    )
    return volunteer


def build_bank_world(world: World) -> BankWorld:
    building = Building.objects.create(grid=world.c01_g01, number="8")
    house = House.objects.create(building=building, room_number="101")
    household = Household.objects.create(house=house, number="H8")
    seq = iter(range(40, 99))
    elder = resident_create(
        actor=None,
        grid=world.c01_g01,
        name="孙桂兰",
        id_number=make_id_number("19400101", next(seq)),
        house=house,
        household=household,
    )
    household.head = elder
    household.save()
    son = resident_create(
        actor=None,
        grid=world.c01_g01,
        name="孙建军",
        id_number=make_id_number("19700101", next(seq)),
        house=house,
        household=household,
    )
    neighbour = resident_create(
        actor=None, grid=world.c01_g01, name="周敏", id_number=make_id_number("19600101", next(seq))
    )
    c02_resident = resident_create(
        actor=None, grid=world.c02_g01, name="吴海", id_number=make_id_number("19500101", next(seq))
    )
    shopping, _ = Skill.objects.get_or_create(code="shopping", defaults={"name": "代购助老"})
    near = make_volunteer(world.c01, "郑晓红", 61, grid=world.c01_g01, availability=["sat_am", "fri_am"])
    near.skills.add(shopping)
    far = make_volunteer(world.c01, "钱志强", 62, grid=world.c01_g02)
    other = make_volunteer(world.c02, "冯丽", 63, grid=world.c02_g01)
    return BankWorld(world, household, elder, son, neighbour, c02_resident, shopping, near, far, other)


def credit(volunteer: Volunteer, minutes: int, *, title: str = "社区清洁") -> ServiceRecord:
    """A confirmed service record of `minutes`, credited as the volunteers' confirmation would."""
    from linli.volunteers.signals import service_confirmed

    start = timezone.now() - timedelta(days=1)
    activity = Activity.objects.create(
        community=volunteer.community,
        title=title,
        place="社区广场",
        starts_at=start,
        ends_at=start + timedelta(minutes=max(minutes, 1)),
        capacity=10,
        checkin_token=f"tok{Activity.objects.count() + 1}-{volunteer.pk}",
    )
    record = ServiceRecord.objects.create(
        volunteer=volunteer,
        activity=activity,
        community=volunteer.community,
        day=start.date(),
        status="confirmed",
        minutes=minutes,
        confirmed_at=timezone.now(),
    )
    service_confirmed.send(sender=ServiceRecord, records=[record], actor=None)
    return record


def balance(account: Account) -> int:
    account.refresh_from_db()
    return account.balance_minutes


__all__ = ["BankWorld", "balance", "build_bank_world", "credit", "make_volunteer", "services"]
