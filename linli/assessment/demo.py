"""Demo assessment: the first community's published duties, the street's weighting, staff pay, last
quarter's round closed with realistic (not saturated) ratings — some invalid, some replaced non-respondents —
this quarter's round open with part of the answers in and the rest invited by text message (the console
outbox, var/sms-outbox.log, holds their one-time links), a one-off task, and the two-way evaluation."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from linli.accounts.models import User
from linli.areas.models import Area
from linli.assessment import services
from linli.assessment.models import EntryState, Grade, Rating, Round, RoundKind, SampleEntry, Validity
from linli.core.demo import DemoContext

DEMO_AFTER = ("areas", "registry", "cases", "visits")

ROUTINE = {
    "grid_worker": [
        ("网格日常巡查", "每个工作日巡查一遍网格，发现问题 24 小时内上报"),
        ("重点人群走访", "按关怀计划周期走访，独居老人每周一次"),
        ("八必访", "触发后 3 日内上门"),
    ],
    "community_worker": [
        ("窗口受理", "首问负责，当场登记，按类别时限办结"),
        ("民生服务", "低保、医保、养老认证材料一次告知"),
    ],
    "community_leader": [("社区事务统筹", "每月组织一次居民议事，矛盾纠纷不出社区")],
}
ONE_OFF = [("创文迎检", "迎检前楼道无堆物、公示栏更新"), ("冬季消防安全排查", "12 月底前完成全部楼栋排查")]
REASONS_GOOD = [
    "上门帮我办好了医保",
    "楼道堆物当天就清走了",
    "每次来都很耐心",
    "帮老人申请了助餐卡",
    "半夜漏水也来了",
]
REASONS_POOR = ["反映三次没人管", "态度不好", "说好回电话一直没回", "来了看一眼就走了"]


def _quarter(day: date) -> tuple[date, date]:
    start = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    end_month = start.month + 2
    end = date(day.year + (end_month > 12), (end_month - 1) % 12 + 1, 1)
    following = date(end.year + (end.month == 12), end.month % 12 + 1, 1)
    return start, following - timedelta(days=1)


def _grade(rng: random.Random, quality: float) -> str:
    weights = [quality * 0.55, 0.25 + quality * 0.2, 0.25 * (1 - quality) + 0.08, 0.12 * (1 - quality) + 0.02]
    return rng.choices(list(Grade.values), weights)[0]


def _reason(rng: random.Random, grade: str) -> str:
    if grade == Grade.EXCELLENT:
        return rng.choice(REASONS_GOOD) if rng.random() < 0.85 else ""
    if grade == Grade.POOR:
        return rng.choice(REASONS_POOR) if rng.random() < 0.85 else ""
    return rng.choice(REASONS_GOOD) if rng.random() < 0.2 else ""


def _answer(
    rng: random.Random, round_: Round, recorder: User, quality: dict[int, float], *, share: float
) -> None:
    """Work through the invited residents: about 70% answer (by link or, for some, by phone); the others
    are marked non-respondents and replaced in draw order. `share` leaves the rest of an open round pending."""
    while True:
        pending = list(
            SampleEntry.objects.filter(round=round_, state=EntryState.INVITED).order_by("worker_id", "rank")
        )
        if not pending:
            return
        for entry in pending:
            if rng.random() > share:
                continue
            grade = _grade(rng, quality[entry.worker_id])
            reason = _reason(rng, grade)
            if rng.random() < 0.7:
                if rng.random() < 0.7:
                    token = services.issue_token(entry)
                    if token:
                        services.rating_submit(token=token, grade=grade, reason=reason)
                else:
                    services.rating_record_by_phone(actor=recorder, entry=entry, grade=grade, reason=reason)
            else:
                services.entry_no_response(actor=recorder, entry=entry)
        if share < 1:
            return


def _office_service(
    rng: random.Random, community: Area, workers: list[User], quarters: list[tuple[date, date]]
) -> None:
    """The community's office staff serve residents too — callers they ring back, people they see at home —
    so they have a frame like the grid workers; without one they would be scored on the street's and peers'
    marks alone, the "did nothing, scored best" failure the seed warns of."""
    from linli.registry.models import Resident
    from linli.visits.services import visit_create

    office = [w for w in workers if w.role != "grid_worker"]
    reachable = list(
        Resident.objects.filter(grid__path__startswith=community.path + "/", status="active")
        .exclude(phone="")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if not office or not reachable:
        return
    for start, end in quarters:
        days = (end - start).days + 1
        for worker in office:
            for pk in rng.sample(reachable, min(36, len(reachable))):
                visit_create(
                    actor=worker,
                    mode=rng.choice(["phone", "phone", "in_person"]),
                    observations=rng.choice(["回访诉求办理情况", "了解家中近况", "告知补贴申请进度"]),
                    resident=Resident.objects.get(pk=pk),
                    visited_on=start + timedelta(days=rng.randrange(days)),
                )


def demo_build(ctx: DemoContext) -> None:
    ctx.counts["assessment ratings"] = build_demo_assessment(street=ctx.street, seed=ctx.seed)


@transaction.atomic
def build_demo_assessment(*, street: Area, seed: int, today: date | None = None) -> int:
    today = today or timezone.localdate()
    rng = random.Random(seed + 21)
    community = Area.objects.filter(parent=street, kind=Area.Kind.COMMUNITY).order_by("path").first()
    admin = User.objects.filter(role="street_admin", bindings__area=street).order_by("pk").first()
    if community is None or admin is None:
        return 0
    from linli.cases.models import Case, Department

    departments = list(Department.objects.filter(active=True).order_by("code")[:4])
    for role, duties in ROUTINE.items():
        for title, standard in duties:
            services.duty_create(
                actor=None, area=street, kind="routine", role=role, title=title, standard=standard
            )
    for title, standard in ONE_OFF:
        services.duty_create(
            actor=None, area=street, kind="one_off", role="grid_worker", title=title, standard=standard
        )
    for department in departments:
        services.duty_create(
            actor=None,
            area=street,
            kind="by_law",
            department=department,
            title=f"{department.name}法定职责事项",
            standard="接到派单后按类别时限办结，不得将法定职责转嫁社区",
        )
        services.duty_create(
            actor=None,
            area=street,
            kind="assisting",
            department=department,
            title=f"社区协助{department.name}事项",
            standard="协助事项须事先列入清单，费随事转",
        )
    services.weighting_set(
        actor=None,
        street=street,
        residents=50,
        indicators=10,
        street_weight=30,
        peers=10,
        assessed_share=30,
        floor_score=60,
    )
    workers = services.eligible_workers(community)
    quality = {w.pk: rng.uniform(0.5, 0.92) for w in workers}
    for w in workers:
        services.profile_update(
            actor=None, user=w, resident_id=None, base_annual_pay=Decimal(rng.randrange(42000, 52000, 1000))
        )

    this_start, this_end = _quarter(today)
    last_start, last_end = _quarter(this_start - timedelta(days=1))
    _office_service(rng, community, workers, [(last_start, last_end), (this_start, min(this_end, today))])
    last = services.round_create(
        actor=None,
        area=community,
        kind=RoundKind.QUARTER,
        title=f"{last_start.year} 年第 {(last_start.month + 2) // 3} 季度居民评议",
        period_start=last_start,
        period_end=last_end,
        workers=workers,
        auditor=admin,
    )
    last = services.round_open(actor=None, round=last, seed=f"{rng.getrandbits(64):016x}")
    _answer(rng, last, admin, quality, share=1.0)
    poor = list(
        Rating.objects.filter(round=last, grade=Grade.POOR, validity=Validity.VALID).exclude(reason="")
    )
    for rating in poor[:2]:
        services.rating_mark_untrue(
            actor=admin, rating=rating, note="调阅工单记录和回访录音，所述情况与事实不符"
        )
    for member in last.members.all():
        services.scores_set(
            actor=None,
            member=member,
            street_score=Decimal(rng.randrange(68, 96)),
            peer_score=Decimal(rng.randrange(72, 94)),
        )
    for department in departments[:2]:
        services.department_review_save(
            actor=admin, round=last, department=department, basis="by_law", grade=rng.choice(["good", "fair"])
        )
    services.round_close(actor=None, round=last)

    current = services.round_create(
        actor=None,
        area=community,
        kind=RoundKind.QUARTER,
        title=f"{this_start.year} 年第 {(this_start.month + 2) // 3} 季度居民评议",
        period_start=this_start,
        period_end=this_end,
        workers=workers,
        auditor=admin,
    )
    current = services.round_open(actor=None, round=current, seed=f"{rng.getrandbits(64):016x}")
    _answer(rng, current, admin, quality, share=0.45)
    services.invitations_send(actor=None, round=current)

    services.task_create(  # kept open: in progress
        actor=None,
        area=community,
        title="冬季消防安全排查",
        standard="12 月底前完成全部楼栋排查，隐患当日上报",
        start_date=this_start,
        deadline=this_end,
        workers=[w for w in workers if w.role == "grid_worker"][:3] or workers[:1],
    )
    if departments:
        services.agreement_create(
            actor=None,
            area=community,
            department=departments[0],
            title=f"{community.name}与{departments[0].name}共建协议",
            signed_on=date(today.year, 1, 15)
            if today >= date(today.year, 1, 15)
            else date(today.year - 1, 1, 15),
        )
    for case in Case.objects.filter(
        area__path__startswith=community.path + "/", department__isnull=False
    ).order_by("pk")[:25]:
        services.case_review_save(
            actor=None,
            case=case,
            on_time=not case.was_overdue,
            wrongly_returned=case.return_count > 0 and rng.random() < 0.5,
        )
    return Rating.objects.filter(round__area=community).count()
