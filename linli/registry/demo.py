"""Demo residents for the demo street: buildings, houses, households and people that look real.

Written in bulk (not row by row through the services) so that a million
residents take minutes; the people it makes pass the same ID rules.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, timedelta

from django.db import transaction
from faker import Faker

from linli.areas.models import Area
from linli.core.db import refresh_statistics
from linli.core.demo import DemoContext
from linli.registry.idnumber import check_char
from linli.registry.models import (
    Building,
    Entrance,
    Gender,
    House,
    Household,
    HouseUse,
    ResidenceType,
    Resident,
    ResidentTag,
    Tag,
)
from linli.registry.services import bulk_create_residents, index_names, refresh_search_keys

REGIONS = ["510104", "510105", "510106", "510107", "510108", "510112", "510122", "513701", "500103", "530102"]
ETHNICITIES = ["汉族"] * 94 + ["回族", "藏族", "彝族", "羌族", "土家族", "苗族"]
EDUCATION = ["小学", "初中", "高中", "中专", "大专", "本科", "研究生"]
POLITICAL = ["群众"] * 8 + ["中共党员", "共青团员"]
BATCH = 5000


def _ages(rng: random.Random) -> int:
    # A city street's age pyramid, roughly: many in work, a large ageing cohort.
    return min(100, max(0, int(rng.triangular(0, 95, 42))))


def _id_number(rng: random.Random, birth: date, male: bool, used: set[str]) -> str:
    while True:
        seq = rng.randrange(0, 999)
        if seq % 2 != (1 if male else 0):
            seq = (seq + 1) % 1000
        body = f"{rng.choice(REGIONS)}{birth:%Y%m%d}{seq:03d}"
        number = body + check_char(body)
        if number not in used:
            used.add(number)
            return number


def _grid_houses(grid: Area, rng: random.Random) -> Iterator[House]:
    """Houses in `grid`, a building (4 units × 18 floors × 2 rooms) at a time, for as long as asked."""
    building_no = 0
    while True:
        building_no += 1
        building = Building.objects.create(grid=grid, number=str(building_no), name=f"{building_no}栋")
        for unit in range(1, 5):
            entrance = Entrance.objects.create(building=building, number=str(unit))
            houses = [
                House(
                    building=building,
                    entrance=entrance,
                    room_number=f"{floor}{room:02d}",
                    use=rng.choices(list(HouseUse), weights=[78, 15, 5, 2])[0],
                )
                for floor in range(1, 19)
                for room in (1, 2)
            ]
            House.objects.bulk_create(houses)
            yield from House.objects.filter(entrance=entrance).order_by("pk")


DEMO_AFTER = ("areas",)


def demo_build(ctx: DemoContext) -> None:
    ctx.counts["residents"] = build_demo_residents(
        street=ctx.street, count=ctx.sizes.get("residents", 20000), seed=ctx.seed
    )


@transaction.atomic
def build_demo_residents(*, street: Area, count: int, seed: int) -> int:
    """Spread `count` residents over the street's leaf grids, in households living in houses."""
    rng = random.Random(seed + 1)
    fake = Faker("zh_CN")
    fake.seed_instance(seed + 1)
    grids = list(
        Area.objects.filter(path__startswith=street.path + "/", kind=Area.Kind.GRID, children__isnull=True)
    )
    if not grids or count <= 0:
        return 0
    tags = {t.code: t for t in Tag.objects.all()}
    used: set[str] = set()
    today = date.today()  # noqa: DTZ011  (ages are calendar arithmetic)
    created = 0
    per_grid = [count // len(grids) + (1 if i < count % len(grids) else 0) for i in range(len(grids))]
    for grid, quota in zip(grids, per_grid, strict=True):
        pending = _Pending()
        houses = _grid_houses(grid, rng)
        made = 0
        while made < quota:
            house = next(houses)
            if house.use == HouseUse.VACANT:
                continue
            household = Household(house=house)
            pending.households.append(household)
            size = min(quota - made, rng.choices([1, 2, 3, 4, 5], weights=[18, 32, 28, 15, 7])[0])
            surname = fake.last_name()
            for member in range(size):
                age = _ages(rng) if member else max(22, _ages(rng))
                birth = today - timedelta(days=age * 365 + rng.randrange(365))
                male = rng.random() < 0.5
                given = fake.first_name_male() if male else fake.first_name_female()
                resident = Resident(
                    grid=grid,
                    name=(surname if member == 0 or rng.random() < 0.6 else fake.last_name()) + given,
                    id_number=_id_number(rng, birth, male, used),
                    gender=Gender.MALE if male else Gender.FEMALE,
                    birth_date=birth,
                    ethnicity=rng.choice(ETHNICITIES),
                    phone=fake.phone_number() if age >= 14 else "",
                    education=rng.choice(EDUCATION) if age >= 18 else "",
                    political_status=rng.choice(POLITICAL) if age >= 18 else "",
                    residence_type=(
                        ResidenceType.FLOATING
                        if house.use == HouseUse.RENTED
                        else rng.choices(list(ResidenceType), weights=[70, 22, 5, 3])[0]
                    ),
                    house=house,
                    household=household,
                    relation_to_head="户主" if member == 0 else rng.choice(["配偶", "子女", "父母", "其他"]),
                )
                refresh_search_keys(resident)
                pending.residents.append((resident, _demo_tags(rng, tags, age, size)))
                if member == 0:
                    pending.heads.append((household, resident))
            made += size
            if len(pending.residents) >= BATCH:
                created += pending.flush()
        created += pending.flush()
    refresh_statistics()
    return created


def _demo_tags(rng: random.Random, tags: dict[str, Tag], age: int, household_size: int) -> list[Tag]:
    chosen = []
    if age >= 65 and household_size == 1:
        chosen.append(tags["elderly_alone"])
    elif age >= 65 and rng.random() < 0.3:
        chosen.append(tags["elderly_empty_nest"])
    if age >= 80:
        chosen.append(tags["elderly_80"])
    for code, share in (("dibao", 0.02), ("disabled", 0.015), ("veteran", 0.01), ("unemployed", 0.02)):
        if code in tags and rng.random() < share and (code != "unemployed" or 18 <= age < 60):
            chosen.append(tags[code])
    if age >= 18 and rng.random() < 0.06:
        chosen.append(tags["party_member"])
    return chosen


class _Pending:
    """Households and residents waiting to be written together, parents first."""

    def __init__(self) -> None:
        self.households: list[Household] = []
        self.residents: list[tuple[Resident, list[Tag]]] = []
        self.heads: list[tuple[Household, Resident]] = []

    def flush(self) -> int:
        if not self.residents:
            return 0
        # bulk_create gives the households their ids; the residents pointing at them pick those up on save.
        Household.objects.bulk_create(self.households, batch_size=1000)
        bulk_create_residents([r for r, _ in self.residents])
        links = [ResidentTag(resident_id=r.pk, tag=t) for r, tags in self.residents for t in tags]
        ResidentTag.objects.bulk_create(links, batch_size=2000)
        index_names([r for r, _ in self.residents], fresh=True)
        for household, head in self.heads:
            household.head_id = head.pk
        Household.objects.bulk_update([h for h, _ in self.heads], ["head"], batch_size=1000)
        count = len(self.residents)
        self.households, self.residents, self.heads = [], [], []
        return count
