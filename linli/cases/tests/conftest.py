"""A case world: the test street plus a building, a grid leader, a department and a category with known limits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from linli.accounts.models import User
from linli.accounts.services import user_create
from linli.areas.services import grid_assign
from linli.cases import services
from linli.cases.models import Case, Category, Department
from linli.registry.models import Building, House
from tests.factories import PASSWORD, World

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A Monday, 09:00 in Shanghai: a working day well clear of holidays.
MONDAY_9AM = datetime(2026, 11, 16, 9, 0, tzinfo=SHANGHAI)


@dataclass
class CaseWorld:
    w: World
    building: Building
    house: House
    category: Category
    dept_category: Category
    department: Department
    grid_leader: User
    dept_member: User


@pytest.fixture
def clock():
    """The clock, stopped at Monday 09:00; tests move it with clock.move_to(...)."""
    with time_machine.travel(MONDAY_9AM, tick=False) as traveller:
        yield traveller


@pytest.fixture
def cw(world: World, clock) -> CaseWorld:
    return build_case_world(world)


@pytest.fixture
def cw_live(world: World) -> CaseWorld:
    """The same world on the real clock, for tests that talk to a live server over sockets."""
    return build_case_world(world)


def build_case_world(world: World) -> CaseWorld:
    building = Building.objects.create(grid=world.c01_g01, number="8", address="锦绣路 8 号")
    house = House.objects.create(building=building, room_number="301")
    grid_leader, _ = user_create(
        actor=None,
        username="g01-leader",
        role="grid_worker",
        areas=[world.c01_g01],
        password=PASSWORD,
        full_name="孙网格长",
        assigned_from=None,
    )
    # user_create made them a worker of G01 too; the leader duty is what matters here.
    grid_leader.grid_assignments.all().delete()
    grid_assign(actor=None, grid=world.c01_g01, user=grid_leader, duty="leader", start_date=date(2026, 1, 1))
    dept_member = world.department
    department = services.department_create(
        actor=None, area=world.s01, code="CG", name="城管执法中队", members=[dept_member]
    )
    parent = services.category_create(actor=None, code="T", name="测试大类")
    category = services.category_create(
        actor=None,
        code="T-NOISE",
        name="测试噪声",
        parent=parent,
        limits={
            "register": (2, "hours"),
            "dispatch": (2, "hours"),
            "handle": (3, "days"),
            "verify": (1, "days"),
        },
        questions=[
            {
                "code": "period",
                "label": "发生时段",
                "datatype": "singlevaluelist",
                "required": True,
                "values": [{"key": "day", "name": "白天"}, {"key": "night", "name": "夜间"}],
            }
        ],
    )
    dept_category = services.category_create(
        actor=None, code="T-STALL", name="测试占道", parent=parent, department=department
    )
    return CaseWorld(world, building, house, category, dept_category, department, grid_leader, dept_member)


def new_case(cw: CaseWorld, actor: User | None = None, **overrides) -> Case:
    values: dict[str, Any] = {
        "actor": actor if actor is not None else cw.w.c01_worker,
        "category": cw.category,
        "channel": "walk_in",
        "title": "楼上夜间噪声",
        "description": "8 栋 401 每晚 11 点后装修。",
        "house": cw.house,
        "reporter_name": "赵女士",
        "reporter_phone": "13800138000",
        "attributes": {"period": "night"},
    }
    values.update(overrides)
    return services.case_create(**values)


def run_to_handled(cw: CaseWorld, case: Case) -> Case:
    w = cw.w
    case = services.case_register(actor=w.c01_worker, case=case)
    case = services.case_dispatch(actor=w.c01_worker, case=case, assignee=w.grid_worker_c01_g01)
    case = services.case_accept(actor=w.grid_worker_c01_g01, case=case)
    return services.case_finish(actor=w.grid_worker_c01_g01, case=case, result="已上门劝导，夜间停止施工。")
