"""An assessment world: residents of C01 served by its workers (visits, cases) in 2026 Q4."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from linli.accounts.models import User
from linli.assessment import services
from linli.assessment.models import Round
from linli.cases.tests.conftest import CaseWorld, build_case_world
from linli.registry.models import Household, Resident
from linli.registry.services import resident_create
from linli.visits.services import visit_create
from tests.factories import World, make_id_number

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=SHANGHAI)
Q4 = (date(2026, 10, 1), date(2026, 12, 31))


@dataclass
class AssessWorld:
    w: World
    cw: CaseWorld
    g01_residents: list[Resident]  # in C01/G01
    g02_residents: list[Resident]  # in C01/G02, visited by the same community worker
    own: Resident  # the worker's own registry record
    relative: Resident  # in the grid worker's household
    worker: User  # the community worker of C01, who visited them all
    other: User  # the grid worker of C01/G01, who served nobody in the period

    def new_round(self, min_sample: int = 10, **kw) -> Round:
        values: dict[str, Any] = {
            "actor": self.w.street_admin,
            "area": self.w.c01,
            "kind": "quarter",
            "title": "2026 年第四季度考核",
            "period_start": Q4[0],
            "period_end": Q4[1],
            "workers": [self.worker, self.other],
            "min_sample": min_sample,
            "auditor": self.w.street_admin,
        }
        values.update(kw)
        return services.round_create(**values)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def _resident(grid, seq: int, household=None, phone: str | None = None) -> Resident:
    return resident_create(
        actor=None,
        grid=grid,
        name=f"居民{seq:02d}",
        id_number=make_id_number("19600101", seq),
        phone=phone if phone is not None else f"139{seq:08d}",
        household=household,
    )


def build_assess_world(w: World) -> AssessWorld:
    cw = build_case_world(w)
    worker = w.c01_worker
    g01 = [_resident(w.c01_g01, i) for i in range(1, 19)]
    g02 = [_resident(w.c01_g02, i) for i in range(19, 25)]
    household = Household.objects.create(house=cw.house, number="H-OWN")
    own = _resident(w.c01_g01, 40, household=household)
    relative = _resident(w.c01_g01, 41, household=household)
    for i, r in enumerate([*g01, *g02, own, relative]):
        visit_create(
            actor=worker,
            mode="in_person",
            observations="了解近况",
            resident=r,
            visited_on=date(2026, 10, 5 + i % 20),
        )
    services.profile_update(actor=None, user=worker, resident_id=own.pk, base_annual_pay=None)
    return AssessWorld(w, cw, g01, g02, own, relative, worker, w.grid_worker_c01_g01)


@pytest.fixture
def aw(world, clock) -> AssessWorld:
    return build_assess_world(world)
