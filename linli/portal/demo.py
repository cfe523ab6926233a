"""Demo residents for the portal: three residents of the demo street get the phones 19900000001–3, so
anyone can sign in at /portal/ with the code from var/sms-outbox.log (`linli portal demo-residents` lists
their names and identity numbers). The first may act for the second, an elderly relative (an approved
代办 link); the first has a closed case to rate and one filed in the portal; the third has asked for a
correction, which waits in the grid worker's to-do. The first also volunteers in their community: a few
confirmed services (credited to the time bank), a proof of service, a booking for the coming days; and
their elderly relative has asked for help (through them, as 代办)."""

from __future__ import annotations

import random
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from linli.areas.models import Area, GridAssignment
from linli.cases import services as cases
from linli.cases.models import Category, Channel
from linli.core.demo import DemoContext
from linli.core.errors import DomainError
from linli.portal.models import CorrectionRequest, LinkStatus, PortalFiling, ProxyLink
from linli.registry.models import Household, Resident, ResidentStatus

DEMO_AFTER = ("areas", "registry", "cases", "visits", "volunteers", "timebank")
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
    _volunteering_for(agent, principal, rng)
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


def _volunteering_for(agent: Resident, principal: Resident, rng: random.Random) -> None:
    """The first demo resident's volunteering, so the portal's pages are not empty: registered in their
    community (or their existing registration, given the demo phone), four confirmed services of the last
    three months credited to the time bank, a proof for them, a booking for an activity of the coming days,
    and a help request of their elderly relative asked through them (代办)."""
    from linli.timebank import services as bank
    from linli.volunteers import rollup
    from linli.volunteers import services as volunteering
    from linli.volunteers.models import (
        Activity,
        ActivityStatus,
        RecordStatus,
        ServiceRecord,
        SignMethod,
        Volunteer,
        VolunteerStatus,
    )

    community = bank.community_of(agent.grid)
    volunteer = Volunteer.objects.filter(community=community, id_number=agent.id_number).first()
    if volunteer is None:
        volunteer = volunteering.volunteer_register(
            actor=None,
            community=community,
            name=agent.name,
            id_number=agent.id_number,
            phone=agent.phone,
            preferences="助老、环境整治",
            availability=["sat_am", "sun_am"],
        )
    Volunteer.objects.filter(pk=volunteer.pk).update(
        phone=agent.phone, phone_reversed=agent.phone[::-1], status=VolunteerStatus.ACTIVE, resident=agent
    )
    volunteer.refresh_from_db()
    now = timezone.now()
    booked = set(ServiceRecord.objects.filter(volunteer=volunteer).values_list("activity_id", flat=True))
    past = list(
        Activity.objects.filter(
            community=community,
            status=ActivityStatus.CONFIRMED,
            ends_at__gte=now - timedelta(days=90),
            ends_at__lt=now - timedelta(days=1),
        )
        .exclude(pk__in=booked)
        .order_by("starts_at")
    )
    taken: list[Activity] = []
    for a in rng.sample(past, len(past)):
        if len(taken) == 4:
            break
        if any(a.starts_at < b.ends_at and b.starts_at < a.ends_at for b in taken):
            continue
        taken.append(a)
    for a in sorted(taken, key=lambda x: x.starts_at):
        signed_in, signed_out = a.starts_at + timedelta(minutes=rng.randint(-10, 5)), a.ends_at
        record = ServiceRecord.objects.create(
            volunteer=volunteer,
            activity=a,
            community=community,
            grid=volunteer.grid,
            team=a.team,
            day=timezone.localdate(a.starts_at),
            booked_at=a.created_at + timedelta(days=1),
            status=RecordStatus.CONFIRMED,
            signed_in_at=signed_in,
            signed_out_at=signed_out,
            sign_in_method=SignMethod.QR,
            sign_out_method=SignMethod.QR,
            minutes=volunteering.counted_minutes(a, signed_in, signed_out),
            confirmed_at=a.confirmed_at or a.ends_at,
        )
        rollup.add([record])  # as `records_confirm` would have
        bank.service_credit(record=record)
    if taken:
        days = [timezone.localdate(a.starts_at) for a in taken]
        volunteering.proof_issue(
            actor=None, volunteer=volunteer, period_start=min(days), period_end=max(days), purpose="单位评优"
        )
    upcoming = Activity.objects.filter(
        community=community, status=ActivityStatus.PUBLISHED, starts_at__gte=now + timedelta(hours=2)
    ).order_by("starts_at")[:10]
    for a in upcoming:
        try:
            volunteering.activity_sign_up(volunteer=volunteer, activity=a)
        except DomainError:
            continue  # full, or at the same time as another booking
        break
    label = f"居民 {agent.name}（代 {principal.name}）"
    wanted = (now + timedelta(days=3)).replace(hour=9, minute=0, second=0, microsecond=0)
    bank.help_request_ask(
        resident=principal,
        label=label,
        need="hospital",
        title="陪同去医院复查",
        wanted_at=wanted,
        estimated_minutes=180,
        place="区人民医院",
        audit_changes={"agent": agent.pk, "principal": principal.pk, "portal": True},
    )
