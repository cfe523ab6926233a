"""Demo time bank: every confirmed demo service record credited to its volunteer (as the confirmation
would have), some donations to the pools, help requests of elderly residents — paid ones that moved
minutes from their accounts to volunteers', and open and matched ones for the coming days."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from linli.areas.models import Area, AreaKind
from linli.core.demo import DemoContext
from linli.core.errors import DomainError
from linli.registry.models import Resident, ResidentStatus
from linli.timebank import services
from linli.timebank.models import (
    Account,
    AccountKind,
    HelpRequest,
    Movement,
    NeedKind,
    Transfer,
    TransferKind,
)
from linli.volunteers.models import ServiceRecord, Skill, Volunteer, VolunteerStatus

DEMO_AFTER = ("areas", "registry", "visits", "volunteers")

NEEDS = [
    (NeedKind.SHOPPING, "代买一周的菜和日用品", 60),
    (NeedKind.HOSPITAL, "陪同去社区医院复查血压", 120),
    (NeedKind.COMPANY, "上门陪伴聊天、读报", 60),
    (NeedKind.HOUSEWORK, "帮忙打扫卫生、擦窗户", 90),
    (NeedKind.REPAIR, "更换厨房灯泡、修水龙头", 45),
    (NeedKind.ERRAND, "代取药、代缴水电费", 45),
]


def demo_build(ctx: DemoContext) -> None:
    credits, requests = build_demo_time_bank(street=ctx.street, seed=ctx.seed)
    ctx.counts["time_bank_credits"] = credits
    ctx.counts["help_requests"] = requests


def _credit_all(street: Area) -> int:
    """The confirmed service of the street credited in bulk, in the order it was confirmed, each record
    once and each volunteer up to the credit limit — what `service_credit` does record by record."""
    records = list(
        ServiceRecord.objects.filter(
            community__path__startswith=street.path + "/",
            status="confirmed",
            minutes__gt=0,
            time_credit__isnull=True,
        )
        .select_related("volunteer", "activity")
        .order_by("confirmed_at", "pk")
    )
    if not records:
        return 0
    issuing = {c.pk: services.community_accounts(c)[0] for c in {r.community for r in records}}
    accounts = {v.pk: services.account_for_volunteer(v) for v in {r.volunteer for r in records}}
    balances = {a.pk: a.balance_minutes for a in [*issuing.values(), *accounts.values()]}
    cap = int(settings.LINLI_TIME_BANK_CREDIT_LIMIT_MINUTES)
    pending: list[tuple[Transfer, Account, Account]] = []
    for r in records:
        source, target = issuing[r.community_id], accounts[r.volunteer_id]
        high = target.credit_limit_minutes if target.credit_limit_minutes is not None else cap
        minutes = min(r.minutes, high - balances[target.pk])
        if minutes <= 0:
            continue
        balances[target.pk] += minutes
        balances[source.pk] -= minutes
        when = r.confirmed_at or timezone.make_aware(datetime.combine(r.day, datetime.min.time()))
        pending.append(
            (
                Transfer(
                    kind=TransferKind.SERVICE_CREDIT,
                    area_id=r.community_id,
                    source=source,
                    target=target,
                    minutes=minutes,
                    note=f"{r.activity.title}（{r.day:%Y-%m-%d}）"[:200],
                    created_at=when,
                    actor_label=services.SYSTEM_LABEL,
                    service_record=r,
                ),
                source,
                target,
            )
        )
    Transfer.objects.bulk_create([t for t, _, _ in pending], batch_size=1000)
    running = dict.fromkeys(balances, 0)
    for a in [*issuing.values(), *accounts.values()]:
        running[a.pk] = a.balance_minutes
    movements = []
    for t, source, target in pending:
        running[source.pk] -= t.minutes
        running[target.pk] += t.minutes
        movements.append(
            Movement(
                transfer=t,
                account=source,
                amount=-t.minutes,
                balance_after=running[source.pk],
                created_at=t.created_at,
            )
        )
        movements.append(
            Movement(
                transfer=t,
                account=target,
                amount=t.minutes,
                balance_after=running[target.pk],
                created_at=t.created_at,
            )
        )
    Movement.objects.bulk_create(movements, batch_size=2000)
    for pk, value in running.items():
        Account.objects.filter(pk=pk).update(balance_minutes=value)
    return len(pending)


def _elderly(street: Area, rng: random.Random, n: int) -> list[Resident]:
    """Residents aged 70 and over, those who live alone (独居老人) first; a deterministic draw."""
    today = timezone.localdate()
    old = (
        Resident.objects.filter(
            grid__path__startswith=street.path + "/",
            status=ResidentStatus.ACTIVE,
            birth_date__lte=today.replace(year=today.year - 70),
        )
        .select_related("grid", "household")
        .order_by("pk")
    )
    alone = list(old.filter(tag_links__tag__code="elderly_alone").distinct()[: n // 2])
    rest = list(old.exclude(pk__in=[r.pk for r in alone])[:2000])
    return alone + rng.sample(rest, min(len(rest), n - len(alone)))


@transaction.atomic
def build_demo_time_bank(*, street: Area, seed: int) -> tuple[int, int]:
    rng = random.Random(seed + 19)
    for community in Area.objects.filter(kind=AreaKind.COMMUNITY, path__startswith=street.path + "/"):
        services.community_accounts(community)
    credits = _credit_all(street)

    volunteers = list(
        Volunteer.objects.filter(community__path__startswith=street.path + "/", status=VolunteerStatus.ACTIVE)
        .select_related("community", "grid")
        .order_by("pk")
    )
    # A few donations to each pool from volunteers with minutes to spare.
    rich = [
        a
        for a in Account.objects.filter(kind=AccountKind.VOLUNTEER, area__path__startswith=street.path)
        .select_related("community", "area")
        .order_by("pk")
        if a.balance_minutes >= 240
    ]
    for account in rng.sample(rich, min(len(rich), 12)):
        pool = services.community_accounts(account.community)[1]
        services.transfer_create(actor=None, source=account, target=pool, minutes=60, note="捐给社区互助池")

    by_community: dict[int, list[Volunteer]] = defaultdict(list)
    for v in volunteers:
        by_community[v.community_id].append(v)
    skills = {s.code: s for s in Skill.objects.all()}
    now = timezone.now()
    elders = _elderly(street, rng, 60)
    for i, elder in enumerate(elders):
        community = services.community_of(elder.grid)
        need, title, minutes = NEEDS[i % len(NEEDS)]
        # 0, 1: paid in the last weeks; 2: matched for the coming days; 3 (or no volunteers yet): open.
        kind = i % 4 if by_community.get(community.pk) else 3
        if kind < 2:
            wanted = now - timedelta(days=rng.randint(3, 25), hours=rng.randint(0, 5))
        else:
            wanted = now + timedelta(days=rng.randint(1, 10))
        wanted = wanted.replace(minute=0, second=0, microsecond=0)
        request = services.help_request_create(
            actor=None,
            resident=elder,
            need=need,
            title=title,
            wanted_at=wanted,
            estimated_minutes=minutes,
            skill=skills.get("elderly_care") if need in (NeedKind.COMPANY, NeedKind.HOSPITAL) else None,
        )
        if kind == 3:
            continue
        ranked = services.suggest_volunteers(request, limit=5)
        free = [s.volunteer for s in ranked if not s.busy]
        if not free:
            continue
        try:
            request = services.help_request_match(actor=None, request=request, volunteer=rng.choice(free))
            if kind < 2:
                served = max(15, minutes + rng.choice([-15, 0, 0, 15, 30]))
                request = services.help_request_serve(
                    actor=None, request=request, minutes=served, served_on=timezone.localtime(wanted).date()
                )
                services.help_request_confirm(actor=None, request=request, acted_by="holder")
        except DomainError:
            continue  # a demo elder at their debt limit stays served, as in life
    problems = services.ledger_problems()
    if problems:
        raise RuntimeError(f"demo time bank does not balance: {problems[:3]}")
    return credits, HelpRequest.objects.filter(grid__path__startswith=street.path + "/").count()
