"""Demo opinions: a year of open days (every 2nd Sunday) in each community with the opinions collected
there, opinions from the other channels, most of them answered and closed, a few turned into cases."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from linli.accounts.models import User
from linli.areas.models import Area
from linli.cases.forms import leaf_categories
from linli.cases.workcalendar import WorkCalendar
from linli.core.demo import DemoContext
from linli.opinions import services
from linli.opinions.models import (
    Disposition,
    OpenDay,
    OpenDayRule,
    OpenDayStatus,
    Opinion,
    OpinionChannel,
    OpinionCounter,
    OpinionStatus,
    OpinionTopic,
    ReplyMode,
    Topic,
)

DEMO_AFTER = ("areas", "registry", "cases")
SAYINGS = {
    Topic.ENVIRONMENT: ["楼道堆放杂物，影响通行", "垃圾分类点异味大", "小区绿化带缺少修剪"],
    Topic.PROPERTY: ["物业维修响应慢", "电梯经常停运", "物业费收支不透明"],
    Topic.SAFETY: ["夜间有陌生人进出", "电动车在楼道充电", "监控探头损坏"],
    Topic.TRAFFIC: ["小区停车位不足", "路口缺少红绿灯", "共享单车乱停放"],
    Topic.ELDERLY: ["希望增加老年助餐点", "独居老人需要定期探望", "老年活动室开放时间短"],
    Topic.HEALTH: ["希望社区卫生站周末开诊", "想了解家庭医生签约"],
    Topic.JOBS: ["希望组织技能培训", "咨询灵活就业社保缴纳"],
    Topic.FACILITIES: ["路灯损坏", "老旧小区希望加装电梯", "健身器材损坏"],
    Topic.CULTURE: ["希望多组织文体活动", "儿童暑期托管需求"],
    Topic.PLANNING: ["建议把闲置空地改为口袋公园", "建议增设便民菜店"],
}
NAMES = ["王大爷", "李阿姨", "张先生", "刘女士", "陈师傅", "杨老师", "赵奶奶", "黄先生"]
ATTENDEES = "街道党工委副书记\n街道办事处副主任\n街道平安办主任"
DEPARTMENTS = "城管执法中队\n派出所社区民警\n市场监管所"


def demo_build(ctx: DemoContext) -> None:
    ctx.counts["opinions"] = build_demo_opinions(street=ctx.street, seed=ctx.seed)


@transaction.atomic
def build_demo_opinions(*, street: Area, seed: int, today: date | None = None) -> int:
    today = today or timezone.localdate()
    rng = random.Random(seed + 22)
    calendar = WorkCalendar()
    communities = list(
        Area.objects.filter(kind="community", path__startswith=street.path + "/").order_by("path")
    )
    staff = {c.pk: User.objects.filter(areas=c, is_active=True).order_by("pk").first() for c in communities}
    tz = timezone.get_current_timezone()
    opinions: list[Opinion] = []
    topics: list[tuple[int, list[str]]] = []
    counters: dict[str, int] = {}
    for community in communities:
        grids = list(Area.objects.filter(parent=community, kind="grid").order_by("path")) or [community]
        rule = OpenDayRule.objects.create(
            area=community,
            week_of_month=2,
            weekday=6,
            place=f"{community.name}党群服务中心",
            start_time=time(9),
        )
        worker = staff.get(community.pk)
        for back in range(12, -1, -1):
            year, month = today.year, today.month - back
            while month < 1:
                year, month = year - 1, month + 12
            held_on = services.nth_weekday(year, month, 2, 6)
            past = held_on <= today
            day = OpenDay.objects.create(
                area=community,
                rule=rule,
                held_on=held_on,
                start_time=time(9),
                place=rule.place,
                status=OpenDayStatus.HELD if past else OpenDayStatus.PLANNED,
                street_attendees=ATTENDEES if past else "",
                department_attendees=DEPARTMENTS if past else "",
                residents_met=rng.randint(30, 120) if past else 0,
            )
            if not past:
                continue
            start = timezone.make_aware(datetime.combine(held_on, time(9)), tz)
            for n in range(rng.randint(8, 16)):
                opinions.append(
                    _opinion(rng, grids, worker, start + timedelta(minutes=5 * n), day, calendar, today)
                )
            for _ in range(rng.randint(4, 10)):  # hotline, visits, online, meetings in the same month
                moment = start + timedelta(days=rng.randint(-12, 14), hours=rng.randint(0, 8))
                if moment.date() <= today:
                    opinions.append(_opinion(rng, grids, worker, moment, None, calendar, today))
    opinions.sort(key=lambda o: o.received_at)
    for o in opinions:
        key = f"{timezone.localtime(o.received_at):%Y%m}"
        counters[key] = counters.get(key, 0) + 1
        o.number = f"MY{key}-{counters[key]:04d}"
    Opinion.objects.bulk_create(opinions, batch_size=2000)
    for key, last in counters.items():
        OpinionCounter.objects.update_or_create(month=key, defaults={"last": last})
    rows: list[OpinionTopic] = []
    for o in opinions:
        chosen = {o._demo_topic}  # type: ignore[attr-defined]
        if rng.random() < 0.2:
            chosen.add(rng.choice(list(Topic.values)))
        rows.extend(OpinionTopic(opinion=o, topic=t) for t in chosen)
        topics.append((o.pk, sorted(chosen)))
    OpinionTopic.objects.bulk_create(rows, batch_size=2000)
    # A few recent ones go to the case workflow through the real services (both ways linked).
    category = leaf_categories().filter(department__isnull=True).first() or leaf_categories().first()
    if category is not None and not category.questions:
        recent = [o for o in opinions if o.status == OpinionStatus.NEW][:6]
        for o in recent:
            services.opinion_to_case(actor=None, opinion=o, category=category, title=o.summary[:30])
    return len(opinions)


def _opinion(
    rng: random.Random,
    grids: list[Area],
    worker: User | None,
    received_at: datetime,
    day: OpenDay | None,
    calendar: WorkCalendar,
    today: date,
) -> Opinion:
    topic = rng.choice(list(SAYINGS))
    due = calendar.end_of_workdays(received_at, 5)
    anonymous = rng.random() < 0.15
    opinion = Opinion(
        area=rng.choice(grids),
        speaker_name="" if anonymous else rng.choice(NAMES),
        anonymous=anonymous,
        channel=OpinionChannel.OPEN_DAY
        if day
        else rng.choice(
            [OpinionChannel.HOTLINE, OpinionChannel.VISIT, OpinionChannel.ONLINE, OpinionChannel.MEETING]
        ),
        open_day=day,
        summary=rng.choice(SAYINGS[topic]),
        received_at=received_at,
        recorded_by=worker,
        recorded_by_label=worker.username if worker else "demo",
        reply_due_at=due,
        updated_at=received_at,
    )
    opinion._demo_topic = topic  # type: ignore[attr-defined]
    age = (today - received_at.date()).days
    if age > 10 or rng.random() < 0.5:
        late = rng.random() < 0.12
        opinion.replied_at = (
            due + timedelta(days=2) if late else received_at + timedelta(days=rng.randint(1, 4))
        )
        if opinion.replied_at > timezone.now():
            opinion.replied_at = timezone.now()
        opinion.reply = "已联系相关部门处理，并向居民当面说明。"
        opinion.reply_mode = rng.choice(list(ReplyMode.values))
        opinion.disposition = Disposition.SUGGESTION if topic == Topic.PLANNING else Disposition.DIRECT
        opinion.status = OpinionStatus.REPLIED
        if age > 20:
            opinion.status = OpinionStatus.CLOSED
            opinion.outcome = "已落实，居民表示满意。"
            opinion.closed_at = opinion.replied_at + timedelta(days=3)
    return opinion
