"""Demo surveys: a household satisfaction survey drawn from the registry (published seed, door-to-door
answers from the grid workers, a few declined households replaced), an open-link needs survey that has
closed, and a draft for the elderly living alone."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from django.utils import timezone

from linli.accounts.models import User
from linli.areas.models import Area
from linli.core.demo import DemoContext
from linli.core.errors import DomainError
from linli.registry.models import Tag
from linli.surveys import services
from linli.surveys.models import Invitation, Kind, Question, Survey, Target
from linli.surveys.services import QuestionInput

DEMO_AFTER = ("areas", "registry")
SAMPLE_SIZE = 40
SUGGESTIONS = [
    "楼道灯经常坏，希望及时维修",
    "希望增加老年活动室开放时间",
    "停车太难",
    "垃圾分类点太远",
    "小区绿化很好",
]


def _q(survey: Survey, **kwargs: Any) -> Question:
    return services.question_add(actor=None, survey=survey, data=QuestionInput(**kwargs))


def _satisfaction(survey: Survey) -> list[Question]:
    return [
        _q(survey, kind=Kind.RATING, text="您对社区整体工作的满意程度", required=True, max_value=5),
        _q(
            survey,
            kind=Kind.MATRIX,
            text="请评价以下各项服务",
            required=True,
            options=["满意", "基本满意", "不满意"],
            rows=["环境卫生", "治安巡逻", "为老服务", "办事效率"],
        ),
        _q(
            survey,
            kind=Kind.SINGLE,
            text="过去一年是否向社区反映过问题？",
            required=True,
            options=["是", "否"],
        ),
        _q(survey, kind=Kind.TEXT, text="问题是否得到解决？请简要说明"),
        _q(survey, kind=Kind.NUMBER, text="家中常住人口（人）", min_value=1, max_value=15),
        _q(
            survey,
            kind=Kind.MULTIPLE,
            text="您最希望社区加强哪些方面",
            options=["停车管理", "养老服务", "儿童托管", "文体活动", "环境整治"],
        ),
    ]


def demo_build(ctx: DemoContext) -> None:
    street: Area = ctx.street
    rng = random.Random(ctx.seed + 31)
    community = Area.objects.filter(parent=street, kind=Area.Kind.COMMUNITY).order_by("path").first()
    if community is None:
        return
    workers: dict[int, User] = {}
    for user in User.objects.filter(
        role="grid_worker", bindings__area__path__startswith=community.path + "/"
    ):
        for area_id in user.bindings.values_list("area_id", flat=True):
            workers.setdefault(area_id, user)

    # 1. The sample: households stratified by grid, door to door.
    sampled = services.survey_create(
        actor=None,
        area=community,
        title=f"{community.name}居民满意度抽样调查",
        description="本调查从人口台账中按网格分层随机抽取住户，由网格员入户填报。",
        target=Target.SAMPLE,
        sample_size=SAMPLE_SIZE,
    )
    qs = _satisfaction(sampled)
    qs[3].condition_question, qs[3].condition_value = qs[2], "是"
    qs[3].save()
    try:
        services.survey_draw(actor=None, survey=sampled, seed=f"demo-{ctx.seed}")
    except DomainError:
        return  # an empty registry: nothing to sample
    services.survey_open(actor=None, survey=sampled)
    count = 0
    invitations = list(sampled.invitations.filter(in_sample=True).select_related("grid"))
    for inv in invitations[:6]:
        services.invitation_decline(
            actor=None, invitation=inv, note=rng.choice(["多次敲门无人", "住户拒绝", "已搬走"])
        )
    now = timezone.now()
    for inv in Invitation.objects.filter(survey=sampled, in_sample=True, state="waiting").select_related(
        "grid"
    ):
        if rng.random() < 0.2:
            continue
        reported = rng.random() < 0.4
        fields = {
            f"q{qs[0].pk}": [str(rng.choices([5, 4, 3, 2, 1], [40, 35, 15, 6, 4])[0])],
            f"q{qs[2].pk}": ["是" if reported else "否"],
            f"q{qs[4].pk}": [str(rng.randint(1, 6))],
            f"q{qs[5].pk}": rng.sample(qs[5].options, rng.randint(1, 2)),
        }
        for r in range(4):
            fields[f"q{qs[1].pk}_{r}"] = [rng.choices(["满意", "基本满意", "不满意"], [6, 3, 1])[0]]
        if reported:
            fields[f"q{qs[3].pk}"] = [rng.choice(["已解决，很及时", "正在处理", "没有回音", ""])]
        services.response_submit(
            actor=workers.get(inv.grid_id),
            survey=sampled,
            fields=fields,
            channel="door",
            token=inv.token,
            submitted_at=now - timedelta(days=rng.randint(0, 10), hours=rng.randint(0, 8)),
        )
        count += 1

    # 2. An open-link needs survey, closed last month.
    needs = services.survey_create(
        actor=None,
        area=community,
        title="社区活动需求征集",
        description="扫码填写，帮助我们安排下一季度的活动。",
        open_link=True,
    )
    a = _q(
        needs,
        kind=Kind.SINGLE,
        text="您的年龄段",
        required=True,
        options=["18岁以下", "18-39岁", "40-59岁", "60岁及以上"],
    )
    b = _q(
        needs,
        kind=Kind.MULTIPLE,
        text="您愿意参加的活动",
        required=True,
        options=["健康讲座", "书法绘画", "广场舞", "亲子活动", "志愿服务"],
    )
    c = _q(needs, kind=Kind.DATE, text="您方便参加的最早日期")
    d = _q(needs, kind=Kind.TEXT, text="其他建议")
    services.survey_open(actor=None, survey=needs)
    for i in range(60):
        fields = {
            f"q{a.pk}": [rng.choice(a.options)],
            f"q{b.pk}": rng.sample(b.options, rng.randint(1, 3)),
            f"q{c.pk}": [(timezone.localdate() + timedelta(days=rng.randint(3, 40))).isoformat()],
        }
        if rng.random() < 0.3:
            fields[f"q{d.pk}"] = [rng.choice(SUGGESTIONS)]
        services.response_submit(
            actor=None,
            survey=needs,
            fields=fields,
            channel="open_link",
            client=f"demo-{i}",
            ip=f"10.0.{i % 7}.{i}",
        )
        count += 1
    services.survey_close(actor=None, survey=needs)

    # 3. A draft for a key group: everyone living alone in the community.
    alone = Tag.objects.filter(code="elderly_alone").first()
    if alone is not None:
        draft = services.survey_create(
            actor=None,
            area=community,
            title="独居老人服务需求调查（草稿）",
            target=Target.GROUPS,
            target_tags=[alone],
        )
        _q(draft, kind=Kind.SINGLE, text="是否需要助餐服务", required=True, options=["需要", "不需要"])
        _q(draft, kind=Kind.SINGLE, text="是否需要定期上门探访", required=True, options=["需要", "不需要"])
    ctx.counts["surveys"] = Survey.objects.filter(area__path__startswith=street.path).count()
    ctx.counts["survey_answers"] = count
