"""Demo residents for the portal: three residents of the demo street get the phones 19900000001–3, so
anyone can sign in at /portal/ with the code from var/sms-outbox.log (`linli portal demo-residents` lists
their names and identity numbers). The first may act for the second, an elderly relative (an approved
代办 link); the first has a closed case to rate and one filed in the portal; the third has asked for a
correction, which waits in the grid worker's to-do."""

from __future__ import annotations

import random
from datetime import date

from django.db import transaction
from django.utils import timezone

from linli.areas.models import Area, GridAssignment
from linli.cases import services as cases
from linli.cases.models import Category, Channel
from linli.core.demo import DemoContext
from linli.portal.models import CorrectionRequest, LinkStatus, PortalFiling, ProxyLink
from linli.registry.models import Household, Resident, ResidentStatus

DEMO_AFTER = ("areas", "registry", "cases", "visits")
DEMO_PHONES = ("19900000001", "19900000002", "19900000003")
LABEL = "居民端演示"


def demo_build(ctx: DemoContext) -> None:
    ctx.counts["portal residents"] = build_demo_portal(street=ctx.street, seed=ctx.seed)


def demo_residents() -> list[Resident]:
    found = {r.phone: r for r in Resident.objects.filter(phone__in=DEMO_PHONES).select_related("grid")}
    return [found[p] for p in DEMO_PHONES if p in found]


def _born_between(today: date, oldest: int, youngest: int) -> tuple[date, date]:
    return date(today.year - oldest, 1, 1), date(today.year - youngest, 12, 31)


@transaction.atomic
def build_demo_portal(*, street: Area, seed: int) -> int:
    """Returns how many demo residents were given a portal phone (0 if the street has too few people)."""
    if Resident.objects.filter(phone__in=DEMO_PHONES).exists():
        return 0
    rng = random.Random(seed + 23)
    today = timezone.localdate()
    people = Resident.objects.filter(
        grid__path__startswith=street.path + "/",
        status=ResidentStatus.ACTIVE,
        house__isnull=False,
    ).order_by("id")
    in_age = people.filter(birth_date__range=_born_between(today, 55, 30))
    # People already in a household, when the demo registry has households: a new one would lack its 户主.
    adults = list(in_age.filter(household__isnull=False)[:400]) or list(in_age[:400])
    if len(adults) < 2:
        return 0
    agent = rng.choice(adults)
    elders = list(
        people.filter(grid=agent.grid, birth_date__lte=date(today.year - 72, 1, 1)).exclude(
            house=agent.house_id
        )[:200]
    )
    others = [r for r in adults if r.grid_id != agent.grid_id] or [r for r in adults if r.pk != agent.pk]
    if not elders or not others:
        return 0
    principal, third = rng.choice(elders), rng.choice(others)
    for resident in (agent, third):
        _household(resident)
    chosen = [agent, principal, third]
    for resident, phone in zip(chosen, DEMO_PHONES, strict=True):
        Resident.objects.filter(pk=resident.pk).update(phone=phone, phone_reversed=phone[::-1])
        resident.phone = phone
    ProxyLink.objects.create(
        agent=agent,
        principal=principal,
        grid=principal.grid,
        relation="母亲" if principal.gender == "female" else "父亲",
        status=LinkStatus.APPROVED,
        decided_at=timezone.now(),
        note=LABEL,
    )
    CorrectionRequest.objects.create(
        household=third.household,
        resident=third,
        reported_by=third,
        grid=third.grid,
        text="户内老人已于上月迁出，请更正。",
    )
    category = (
        Category.objects.filter(active=True, children__isnull=True, parent__isnull=False, questions=[])
        .order_by("order", "code")
        .first()
    )
    if category is not None:
        _cases_for(agent, category)
    return len(chosen)


def _household(resident: Resident) -> None:
    """The resident's household as the registry keeps it: the house's own household when it has one (the demo
    registry makes one per house, headed by its 户主), else a new one headed by the resident."""
    if resident.household_id is not None or resident.house is None:
        return
    household = Household.objects.filter(house=resident.house).order_by("pk").first()
    if household is None:
        household = Household.objects.create(
            house=resident.house, number=f"D{resident.house_id}", head=resident
        )
        Resident.objects.filter(pk=resident.pk).update(relation_to_head="户主")
    Resident.objects.filter(
        house=resident.house, status=ResidentStatus.ACTIVE, household__isnull=True
    ).update(household=household)
    resident.household = household


def _cases_for(agent: Resident, category: Category) -> None:
    worker = (
        GridAssignment.objects.current()
        .filter(grid=agent.grid, user__is_active=True)
        .select_related("user")
        .first()
    )
    closed = cases.case_create(
        actor=None,
        actor_label=f"居民 {agent.name}",
        category=category,
        channel=Channel.ONLINE,
        title="单元门禁坏了",
        description="单元门禁刷卡没反应，老人进出不便。",
        house=agent.house,
        resident=agent,
        reporter_name=agent.name,
        reporter_phone=agent.phone,
    )
    PortalFiling.objects.create(case=closed, principal=agent, agent=agent)
    if worker is not None:
        closed = cases.case_register(actor=None, case=closed)
        closed = cases.case_dispatch(actor=None, case=closed, assignee=worker.user)
        closed = cases.case_accept(actor=None, case=closed)
        closed = cases.case_finish(actor=None, case=closed, result="已联系物业更换门禁读卡器。")
        cases.resident_verdict(case=closed, solved=True, label=f"居民 {agent.name}")
    filed = cases.case_create(
        actor=None,
        actor_label=f"居民 {agent.name}",
        category=category,
        channel=Channel.ONLINE,
        title="楼道灯不亮",
        description="三楼楼道灯坏了一周。",
        house=agent.house,
        resident=agent,
        reporter_name=agent.name,
        reporter_phone=agent.phone,
    )
    PortalFiling.objects.create(case=filed, principal=agent, agent=agent)
