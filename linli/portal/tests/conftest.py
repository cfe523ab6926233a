"""A portal world: the case world's street with three households.

王芳 (C01/G01, house 8-301) lives with her son 张小明; her mother 李秀英 (born 1948) lives alone in 8-502;
the neighbour 赵强 (C01/G02) has a household, a case and a photo of his own that no one else may see."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from linli.cases import services as cases
from linli.cases.models import Case
from linli.cases.tests.conftest import MONDAY_9AM, CaseWorld, build_case_world
from linli.portal import services
from linli.portal.auth import COOKIE
from linli.registry.models import Building, House, Household, Resident
from linli.registry.services import resident_create
from tests.factories import World, make_id_number

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def png(name: str = "p.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PNG, content_type="image/png")


@dataclass
class PortalWorld:
    cw: CaseWorld
    w: World
    fang: Resident
    son: Resident
    mother: Resident
    neighbour: Resident
    neighbour_case: Case


def build_portal_world(world: World) -> PortalWorld:
    cw = build_case_world(world)
    home = Household.objects.create(house=cw.house, number="H-301")
    fang = resident_create(
        actor=None,
        grid=world.c01_g01,
        name="王芳",
        id_number=make_id_number("19850302", 22),
        phone="13800000001",
        house=cw.house,
        household=home,
        relation_to_head="户主",
    )
    son = resident_create(
        actor=None,
        grid=world.c01_g01,
        name="张小明",
        id_number=make_id_number("20100101", 31),
        phone="13800000004",
        house=cw.house,
        household=home,
        relation_to_head="子",
    )
    mother_house = House.objects.create(building=cw.building, room_number="502")
    mother = resident_create(
        actor=None,
        grid=world.c01_g01,
        name="李秀英",
        id_number=make_id_number("19480506", 42),
        phone="13800000002",
        house=mother_house,
        household=Household.objects.create(house=mother_house, number="H-502"),
    )
    other_building = Building.objects.create(grid=world.c01_g02, number="9", address="锦绣路 9 号")
    other_house = House.objects.create(building=other_building, room_number="101")
    neighbour = resident_create(
        actor=None,
        grid=world.c01_g02,
        name="赵强",
        id_number=make_id_number("19700101", 51),
        phone="13800000003",
        house=other_house,
        household=Household.objects.create(house=other_house, number="H-9101"),
    )
    neighbour_case = cases.case_create(
        actor=None,
        category=cw.dept_category,
        channel="online",
        title="楼道堆物",
        description="九号楼楼道堆满杂物",
        area=world.c01_g02,
        reporter_name="赵强",
        reporter_phone="13800000003",
        attributes={},
    )
    cases.photo_add(actor=None, case=neighbour_case, upload=png())
    return PortalWorld(
        cw=cw, w=world, fang=fang, son=son, mother=mother, neighbour=neighbour, neighbour_case=neighbour_case
    )


@pytest.fixture
def clock():
    """The clock, stopped at Monday 09:00 (as in the cases tests)."""
    with time_machine.travel(MONDAY_9AM, tick=False) as traveller:
        yield traveller


@pytest.fixture
def pw(world: World, clock, sms_outbox) -> PortalWorld:
    return build_portal_world(world)


def signed_in(resident: Resident) -> Client:
    """A client with a portal session of `resident` (through the real sign-in services)."""
    attempt = services.signin_start(name=resident.name, id_number=resident.id_number, phone=resident.phone)
    from linli.core import sms

    code = sms.outbox[-1].text.split("验证码是 ")[1][:6]
    _, key = services.signin_verify(request_id=attempt.pk, code=code)
    client = Client()
    client.cookies[COOKIE] = key
    client.cookies[COOKIE]["path"] = "/portal/"
    return client


@pytest.fixture
def portal_client() -> Any:
    return signed_in
