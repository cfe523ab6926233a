"""Demo visits: care plans for the usual key groups, three months of visits as a street that mostly
keeps up would have logged them, some pairings, open and done 八必访 tasks, and field-diary notes."""

from __future__ import annotations

import random
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from linli.accounts.models import User
from linli.areas.models import Area
from linli.cases.workcalendar import WorkCalendar
from linli.core.demo import DemoContext
from linli.registry.models import Tag
from linli.visits import services
from linli.visits.models import (
    TRIGGER_DAYS,
    CarePlan,
    DiaryEntry,
    Mode,
    Pairing,
    PairingKind,
    TaskStatus,
    Trigger,
    Visit,
    VisitTarget,
    VisitTask,
)

# Key group → days between visits (the usual street rules: elderly living alone weekly, 低保 monthly).
DEMO_PLANS = {
    "elderly_alone": 7,
    "elderly_80": 14,
    "elderly_empty_nest": 30,
    "dibao": 30,
    "tekun": 30,
    "disabled": 30,
    "severe_mental_disorder": 14,
    "left_behind_child": 30,
}
HISTORY_DAYS = 90
SEEN = [
    "身体状况良好，情绪稳定",
    "家中整洁，生活能自理",
    "血压偏高，已提醒按时服药",
    "子女每周来看望",
    "反映楼道灯坏了",
]
SAID = ["希望社区多组织活动", "询问医保报销流程", "担心冬季取暖费用", "想参加老年大学", ""]


DEMO_AFTER = ("areas", "registry", "cases")


def demo_build(ctx: DemoContext) -> None:
    ctx.counts["visits"] = build_demo_visits(street=ctx.street, seed=ctx.seed)


@transaction.atomic
def build_demo_visits(*, street: Area, seed: int, today: date | None = None) -> int:
    """Returns the number of visits logged."""
    today = today or timezone.localdate()
    rng = random.Random(seed + 11)
    tags = {t.code: t for t in Tag.objects.filter(code__in=DEMO_PLANS)}
    for code, days in DEMO_PLANS.items():
        if code in tags:
            CarePlan.objects.get_or_create(area=street, tag=tags[code], defaults={"interval_days": days})
    services.targets_sync(today=today)
    targets = list(
        VisitTarget.objects.filter(grid__path__startswith=street.path + "/").select_related("visitor")
    )
    if not targets:
        return 0
    visitors = {u.pk: u for u in User.objects.filter(pk__in={t.visitor_id for t in targets if t.visitor_id})}

    visits: list[Visit] = []
    for target in targets:
        target.since = today - timedelta(days=HISTORY_DAYS)
        diligence = rng.random()  # some grids keep up, a few fall behind, a handful never start
        if diligence < 0.05:
            target.last_visited_on = None
        else:
            day = target.since + timedelta(days=rng.randint(0, target.interval_days))
            last = None
            while day <= today:
                visitor = visitors.get(target.visitor_id) if target.visitor_id else None
                visits.append(
                    Visit(
                        resident_id=target.resident_id,
                        grid_id=target.grid_id,
                        mode=rng.choices([Mode.IN_PERSON, Mode.PHONE, Mode.NEIGHBOUR], [6, 3, 1])[0],
                        visited_on=day,
                        visitor=visitor,
                        visitor_label=visitor.username if visitor else "demo",
                        observations=rng.choice(SEEN),
                        needs=rng.choice(SAID),
                    )
                )
                last = day
                slack = 1.0 + (0.6 if diligence < 0.25 else 0.15) * rng.random()
                day += timedelta(days=max(1, round(target.interval_days * slack)))
            target.last_visited_on = last
        target.due_on = VisitTarget.due_after(target.last_visited_on or target.since, target.interval_days)
    Visit.objects.bulk_create(visits, batch_size=2000)
    VisitTarget.objects.bulk_update(targets, ["since", "last_visited_on", "due_on"], batch_size=2000)

    # Pairings: party members and volunteers among the staff of each community look after a few people.
    for target in rng.sample(targets, min(len(targets), 20)):
        if target.visitor_id and not Pairing.objects.filter(resident_id=target.resident_id).exists():
            Pairing.objects.create(
                resident_id=target.resident_id,
                visitor_id=target.visitor_id,
                kind=rng.choice([PairingKind.PARTY_MEMBER, PairingKind.VOLUNTEER, PairingKind.WORKER]),
                start_date=today - timedelta(days=rng.randint(10, 80)),
            )

    # 八必访: a few events of the last weeks; most visited, some still open (one or two overdue).
    calendar = WorkCalendar()
    now = timezone.now()
    for i, target in enumerate(rng.sample(targets, min(len(targets), 24))):
        trigger = rng.choice(Trigger.values)
        reported = now - timedelta(days=rng.randint(0, 20), hours=rng.randint(0, 8))
        task = VisitTask(
            resident_id=target.resident_id,
            grid_id=target.grid_id,
            trigger=trigger,
            note="演示：" + Trigger(trigger).label,
            reported_at=reported,
            assignee_id=target.visitor_id,
            due_at=calendar.end_of_workdays(reported, TRIGGER_DAYS[trigger]),
        )
        if i % 3:
            task.status, task.done_at = TaskStatus.DONE, reported + timedelta(hours=rng.randint(2, 40))
        elif task.due_at <= now:
            task.overdue_since = task.due_at
        task.save()

    # Field diaries of the grid workers: a note every few days.
    entries = []
    for visitor in visitors.values():
        area = Area.objects.filter(pk__in=visitor.bindings.values("area")).first()
        if area is None:
            continue
        for back in range(0, 30, rng.randint(3, 6)):
            entries.append(
                DiaryEntry(
                    author=visitor,
                    area=area,
                    day=today - timedelta(days=back),
                    text=f"{rng.choice(SEEN)}；居民{rng.choice(['说', '建议', '反映'])}：{rng.choice(SAID) or '没有新的诉求'}。",
                )
            )
    DiaryEntry.objects.bulk_create(entries)
    services.targets_sync(today=today)  # pairings change who visits
    return len(visits)
