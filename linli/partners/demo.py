"""Demo partner units: fifteen units stationed in the street's communities, each with a co-building
agreement for this year whose commitments are partly fulfilled, resources, members reporting, needs and
joint activities."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from linli.areas.models import Area
from linli.core.demo import DemoContext
from linli.partners import services
from linli.partners.models import Commitment, PartnerUnit

DEMO_AFTER = ("areas",)
UNITS = [
    ("区人民医院", "hospital", 860, "区人民医院党委"),
    ("第一实验小学", "school", 120, "第一实验小学党支部"),
    ("区税务局第二分局", "government", 75, "区税务局第二分局党支部"),
    ("供电公司城东营业所", "soe", 64, "供电公司城东营业所党支部"),
    ("市第三中学", "school", 210, "市第三中学党总支"),
    ("区消防救援大队", "military", 48, "区消防救援大队党委"),
    ("城东派出所", "government", 52, "城东派出所党支部"),
    ("建设银行城东支行", "soe", 38, "建设银行城东支行党支部"),
    ("区图书馆", "institution", 30, "区图书馆党支部"),
    ("华联超市城东店", "private", 95, ""),
    ("邻里家政服务中心", "social_org", 22, ""),
    ("区疾控中心", "institution", 140, "区疾控中心党支部"),
    ("自来水公司东区营业厅", "soe", 26, "自来水公司东区党支部"),
    ("启明律师事务所", "private", 18, "启明律师事务所党支部"),
    ("阳光社会工作服务社", "social_org", 15, ""),
]
PROMISES = [
    "每季度开放会议室供居民议事",
    "开展健康义诊一次",
    "为困难家庭捐赠物资",
    "组织在职党员到社区报到服务",
    "结对帮扶独居老人",
    "开放运动场地",
]
RESOURCES = [
    ("room", "会议室（可容纳40人）"),
    ("equipment", "投影仪、音响"),
    ("skill", "法律咨询"),
    ("skill", "健康义诊"),
    ("money", "共建经费"),
]
NEEDS = [
    ("room", "周末儿童托管场地"),
    ("skill", "老年人智能手机培训"),
    ("equipment", "社区活动用音响"),
    ("money", "楼道改造经费"),
    ("skill", "矛盾纠纷调解"),
]


def demo_build(ctx: DemoContext) -> None:
    street: Area = ctx.street
    rng = random.Random(ctx.seed + 47)
    communities = list(Area.objects.filter(parent=street, kind=Area.Kind.COMMUNITY).order_by("path"))
    if not communities:
        return
    today = timezone.localdate()
    year = today.year
    units: list[PartnerUnit] = []
    for i, (name, kind, staff, party) in enumerate(UNITS):
        area = communities[i % len(communities)]
        units.append(
            services.unit_create(
                actor=None,
                area=area,
                data={
                    "name": name,
                    "kind": kind,
                    "staff_count": staff,
                    "party_members": staff // 5 if party else 0,
                    "party_organisation": party,
                    "contact_name": rng.choice(["王主任", "李书记", "张科长", "陈经理"]),
                    "contact_phone": f"139{rng.randint(10000000, 99999999)}",
                    "address": f"城东路{rng.randint(1, 300)}号",
                },
            )
        )
    for unit in units:
        promises = rng.sample(PROMISES, 4)
        agreement = services.agreement_create(
            actor=None,
            unit=unit,
            title=f"{year}年度共驻共建协议",
            signed_on=date(year, 1, 8),
            starts_on=date(year, 1, 10),
            ends_on=date(year, 12, 31),
            content="优势互补、资源共享、活动共建、工作共担。",
            commitments=[(p, date(year, 3 * (k + 1), 28)) for k, p in enumerate(promises)],
        )
        for c in agreement.commitments.all():
            if c.due_on < today:
                if rng.random() < 0.8:
                    services.commitment_record(
                        actor=None,
                        commitment=c,
                        status=Commitment.Status.FULFILLED,
                        outcome="按约完成",
                        done_on=c.due_on - timedelta(days=rng.randint(0, 20)),
                    )
                else:
                    services.commitment_record(
                        actor=None,
                        commitment=c,
                        status=Commitment.Status.MISSED,
                        outcome="因单位任务调整未开展",
                    )
        for kind, text in rng.sample(RESOURCES, 2):
            services.resource_add(
                actor=None,
                unit=unit,
                kind=kind,
                description=text,
                amount=Decimal(rng.choice([5000, 10000, 20000])) if kind == "money" else None,
            )
        if unit.party_members:
            for month in range(1, min(today.month, 12) + 1, 3):
                services.member_checkin_add(
                    actor=None,
                    unit=unit,
                    reported_on=date(year, month, 15),
                    count=rng.randint(3, max(3, unit.party_members // 4)),
                )
    for k, (kind, title) in enumerate(NEEDS * 2):
        need = services.need_create(
            actor=None, area=communities[k % len(communities)], kind=kind, title=title
        )
        if k % 3 == 0:
            candidates = [u for u in units if u.area_id == need.area_id] or units
            services.need_meet(actor=None, need=need, unit=rng.choice(candidates), note="已对接")
    for k in range(10):
        held = today - timedelta(days=rng.randint(5, 300))
        area = communities[k % len(communities)]
        chosen = [u for u in units if u.area_id == area.pk][:2] or units[:1]
        services.activity_create(
            actor=None,
            area=area,
            title=rng.choice(
                ["健康义诊进社区", "法律知识讲座", "环境整治志愿行动", "重阳敬老活动", "消防安全演练"]
            ),
            held_on=held,
            units=chosen,
            participants=rng.randint(20, 120),
            place=f"{area.name}党群服务中心",
        )
    ctx.counts["partner_units"] = len(units)
