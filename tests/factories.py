"""Factories and the named world the tests speak about.

Everything is built through the real services, so tests exercise the same
paths as the UI, the API and the CLI.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import factory

from linli.accounts.models import User
from linli.accounts.roles import Role
from linli.accounts.services import user_create
from linli.areas.models import Area
from linli.areas.services import area_create

PASSWORD = "pass-word-2026"


class AreaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Area

    kind = Area.Kind.STREET
    code = factory.Sequence(lambda n: f"X{n:03d}")
    name = factory.Sequence(lambda n: f"测试区域{n}")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return area_create(actor=None, **kwargs)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    role = Role.VIEWER
    password = PASSWORD

    @classmethod
    def _create(cls, model_class, *args, areas, **kwargs):
        user, _ = user_create(actor=None, areas=areas, **kwargs)
        return user


@dataclass
class World:
    """Street S01 with communities C01 (grids G01, G02) and C02 (grid G01); a second street S02."""

    s01: Area
    c01: Area
    c01_g01: Area
    c01_g02: Area
    c02: Area
    c02_g01: Area
    s02: Area
    s02_c01: Area
    street_admin: User
    other_street_admin: User
    c01_leader: User
    c01_worker: User
    grid_worker_c01_g01: User
    grid_worker_c01_g02: User
    grid_worker_c02_g01: User
    viewer: User
    department: User


def build_world() -> World:
    s01 = area_create(actor=None, kind="street", code="S01", name="望江街道")
    c01 = area_create(actor=None, kind="community", code="C01", name="锦绣社区", parent=s01)
    c01_g01 = area_create(actor=None, kind="grid", code="G01", name="第一网格", parent=c01)
    c01_g02 = area_create(actor=None, kind="grid", code="G02", name="第二网格", parent=c01)
    c02 = area_create(actor=None, kind="community", code="C02", name="和平社区", parent=s01)
    c02_g01 = area_create(actor=None, kind="grid", code="G01", name="第一网格", parent=c02)
    s02 = area_create(actor=None, kind="street", code="S02", name="东湖街道")
    s02_c01 = area_create(actor=None, kind="community", code="C01", name="东湖社区", parent=s02)

    names = iter(["王建国", "李秀英", "张伟", "刘芳", "陈静", "杨洋", "赵磊", "黄丽", "周强"])

    def make(username: str, role: str, *areas: Area) -> User:
        user, _ = user_create(
            actor=None,
            username=username,
            role=role,
            areas=list(areas),
            password=PASSWORD,
            full_name=next(names),
            assigned_from=date(2026, 1, 1),
        )
        return user

    return World(
        s01=s01,
        c01=c01,
        c01_g01=c01_g01,
        c01_g02=c01_g02,
        c02=c02,
        c02_g01=c02_g01,
        s02=s02,
        s02_c01=s02_c01,
        street_admin=make("admin", Role.STREET_ADMIN, s01),
        other_street_admin=make("admin2", Role.STREET_ADMIN, s02),
        c01_leader=make("c01-leader", Role.COMMUNITY_LEADER, c01),
        c01_worker=make("c01-worker", Role.COMMUNITY_WORKER, c01),
        grid_worker_c01_g01=make("c01g01", Role.GRID_WORKER, c01_g01),
        grid_worker_c01_g02=make("c01g02", Role.GRID_WORKER, c01_g02),
        grid_worker_c02_g01=make("c02g01", Role.GRID_WORKER, c02_g01),
        viewer=make("viewer", Role.VIEWER, s01),
        department=make("chengguan", Role.DEPARTMENT_HANDLER, s01),
    )


def make_id_number(birth: str = "19800101", seq: int = 1, region: str = "370502") -> str:
    """A valid 18-character identity number for the given birth date and sequence (odd = male)."""
    from linli.registry.idnumber import check_char

    body = f"{region}{birth}{seq:03d}"
    return body + check_char(body)
