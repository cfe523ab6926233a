"""Demo data of the areas module: the demo street — communities, grids — and the staff who work it.

Built through the same services as real use, so the audit log and grid assignments are what a real
deployment would have. Reproducible per seed. `core.demo` runs this step first (the other modules'
demo data lives in this street) and reads its counts, logins and whether it is there.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from django.utils import timezone
from faker import Faker

from linli.accounts.models import User
from linli.accounts.roles import Role
from linli.accounts.services import user_create, user_update
from linli.areas.models import Area, GridAssignment
from linli.areas.services import area_create, grid_assign
from linli.core.demo import DEMO_PASSWORD, DemoContext, DemoLogin
from linli.core.errors import DomainError

STREET = ("S01", "望江街道")
COMMUNITIES = [
    ("C01", "锦绣社区", ["锦绣花园", "锦绣北苑", "锦绣南苑", "工人新村"]),
    ("C02", "和平社区", ["和平里", "和平东里", "文化巷", "粮站宿舍"]),
    ("C03", "幸福里社区", ["幸福里一区", "幸福里二区", "幸福里三区", "电厂小区"]),
    ("C04", "滨河社区", ["滨河湾", "滨河雅居", "老街", "渔港新村"]),
]
GRID_NAMES = ["第一网格", "第二网格", "第三网格", "第四网格"]
# Rough centre of the demo street (a plausible riverside district), for coordinates.
CENTRE = (30.5728, 104.0668)


def demo_exists() -> bool:
    return Area.objects.filter(path=STREET[0]).exists()


# The logins worth showing: one of each role, and the first community's staff down to one grid.
LISTED_LOGINS = ["admin", "chengguan", "viewer", "c01-leader", "c01-worker", "c01g01"]


def demo_logins() -> list[DemoLogin]:
    """The demo accounts as they are in the database now (names may have been edited since)."""
    users = {
        u.username: u
        for u in User.objects.filter(username__in=LISTED_LOGINS).prefetch_related("bindings__area")
    }
    return [
        DemoLogin(
            u.username, u.get_role_display(), ",".join(b.area.path for b in u.bindings.all()), u.full_name
        )
        for name in LISTED_LOGINS
        if (u := users.get(name)) is not None
    ]


def demo_build(ctx: DemoContext) -> None:
    if demo_exists():
        raise DomainError(f"demo street {STREET[0]} already exists in this database")
    rng = random.Random(ctx.seed)
    fake = Faker("zh_CN")
    fake.seed_instance(ctx.seed)
    counts = ctx.counts
    counts.update(areas=0, users=0)
    used_names: set[str] = set()

    def person() -> tuple[str, str]:
        name = fake.name()
        while name in used_names:
            name = fake.name()
        used_names.add(name)
        return name, fake.phone_number()

    def add_user(username: str, role: str, area: Area, since: date | None = None) -> User:
        name, phone = person()
        user, _ = user_create(
            actor=None,
            username=username,
            role=role,
            areas=[area],
            password=DEMO_PASSWORD,
            assigned_from=since,
        )
        user_update(actor=user, user=user, full_name=name, phone=phone)
        counts["users"] += 1
        return user

    def near(spread: float) -> tuple[float, float]:
        return (
            round(CENTRE[0] + rng.uniform(-spread, spread), 6),
            round(CENTRE[1] + rng.uniform(-spread, spread), 6),
        )

    lat, lng = CENTRE
    street = area_create(
        actor=None,
        kind=Area.Kind.STREET,
        code=STREET[0],
        name=STREET[1],
        latitude=lat,
        longitude=lng,
        description="演示数据：一个有四个社区、十六个网格的街道。",
    )
    counts["areas"] += 1
    add_user("admin", Role.STREET_ADMIN, street)
    add_user("chengguan", Role.DEPARTMENT_HANDLER, street)
    add_user("viewer", Role.VIEWER, street)

    start = timezone.localdate() - timedelta(days=rng.randint(200, 600))
    for c_index, (c_code, c_name, estates) in enumerate(COMMUNITIES, start=1):
        lat, lng = near(0.02)
        community = area_create(
            actor=None,
            kind=Area.Kind.COMMUNITY,
            code=c_code,
            name=c_name,
            parent=street,
            latitude=lat,
            longitude=lng,
        )
        counts["areas"] += 1
        prefix = c_code.lower()
        add_user(f"{prefix}-leader", Role.COMMUNITY_LEADER, community)
        worker = add_user(f"{prefix}-worker", Role.COMMUNITY_WORKER, community)
        for g_index, g_name in enumerate(GRID_NAMES, start=1):
            lat, lng = near(0.02)
            grid = area_create(
                actor=None,
                kind=Area.Kind.GRID,
                code=f"G{g_index:02d}",
                name=g_name,
                parent=community,
                latitude=lat,
                longitude=lng,
                description=f"含{estates[g_index - 1]}",
            )
            counts["areas"] += 1
            leaves = [grid]
            if c_index == 1 and g_index == 4:
                # 工人新村 is large: two sub-grids under one grid, as four-level grid systems do.
                leaves = []
                for s_index, s_name in enumerate(["东片", "西片"], start=1):
                    sub = area_create(
                        actor=None,
                        kind=Area.Kind.GRID,
                        code=f"G04-{s_index}",
                        name=f"第四网格{s_name}",
                        parent=grid,
                    )
                    counts["areas"] += 1
                    leaves.append(sub)
            grid_assign(
                actor=None,
                grid=grid,
                user=worker,
                duty=GridAssignment.Duty.LEADER,
                start_date=start + timedelta(days=rng.randint(0, 30)),
            )
            for leaf in leaves:
                username = f"{prefix}{leaf.code.lower()}"
                add_user(
                    username,
                    Role.GRID_WORKER,
                    leaf,
                    since=start + timedelta(days=rng.randint(0, 60)),
                )
    ctx.street = street
