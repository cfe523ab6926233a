"""Demo notices: in each community a published affairs notice, last quarter's finance disclosure (lines
adding up to its totals), a corrected notice with its history, and residents' questions."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from linli.areas.models import Area
from linli.core.demo import DemoContext
from linli.notices import services

DEMO_AFTER = ("areas",)
INCOME = [("上级拨付办公经费", 30000), ("社区服务项目经费", 18000), ("共建单位捐赠", 5000)]
EXPENSE = [
    ("购置办公用品", 1250.5),
    ("社区文体活动场地布置", 3800),
    ("老年助餐补贴", 6200),
    ("楼道照明维修材料", 2150),
    ("防汛物资采购", 4300),
    ("志愿者服务保险", 960),
]


def demo_build(ctx: DemoContext) -> None:
    ctx.counts["notices"] = build_demo_notices(street=ctx.street, seed=ctx.seed)


@transaction.atomic
def build_demo_notices(*, street: Area, seed: int, today: date | None = None) -> int:
    today = today or timezone.localdate()
    rng = random.Random(seed + 33)
    quarter = (today.month - 1) // 3  # the last full quarter
    year = today.year if quarter else today.year - 1
    quarter = quarter or 4
    made = 0
    for community in Area.objects.filter(kind="community", path__startswith=street.path + "/").order_by(
        "path"
    ):
        affairs = services.notice_create(
            actor=None,
            area=community,
            category="affairs",
            title=f"{community.name}老旧小区改造加装电梯意见征集公示",
            body="为改善居民出行条件，拟在 3、5、8 号楼加装电梯。公示期内如有意见，请在本页提问或到社区反映。",
            publish_from=today - timedelta(days=3),
            publish_until=today + timedelta(days=11),
        )
        services.notice_publish(actor=None, notice=affairs)
        services.question_ask(notice=affairs, text="加装电梯的费用怎么分摊？")
        answered = services.question_ask(notice=affairs, text="施工期间是否影响出行？")
        services.question_answer(actor=None, question=answered, answer="施工期间将设置临时通道，不影响出行。")
        incomes = rng.sample(INCOME, 2)
        expenses = rng.sample(EXPENSE, 5)
        lines = [
            {"kind": "income", "purpose": p, "amount": str(a), "voucher_no": f"记-{year}{quarter}-{n:03d}"}
            for n, (p, a) in enumerate(incomes, start=1)
        ] + [
            {
                "kind": "expense",
                "purpose": p,
                "amount": f"{a:.2f}",
                "voucher_no": f"记-{year}{quarter}-{n:03d}",
            }
            for n, (p, a) in enumerate(expenses, start=10)
        ]
        finance = services.notice_create(
            actor=None,
            area=community,
            category="finance",
            title=f"{year} 年第{'一二三四'[quarter - 1]}季度财务公开",
            body="现将本季度社区收支情况公开如下，接受居民监督。",
            publish_from=today - timedelta(days=5),
            publish_until=today + timedelta(days=25),
            period_label=f"{year} 年第{'一二三四'[quarter - 1]}季度",
            lines=lines,
            declared_income=sum(Decimal(str(a)) for _, a in incomes),
            declared_expense=sum(Decimal(f"{a:.2f}") for _, a in expenses),
        )
        services.notice_publish(actor=None, notice=finance)
        correction = services.notice_correct(actor=None, notice=finance, reason="一笔支出的凭证号录入有误")
        fixed = [dict(line) for line in lines]
        fixed[-1]["voucher_no"] += "A"
        services.finance_lines_set(
            actor=None,
            notice=correction,
            lines=fixed,
            declared_income=finance.declared_income,
            declared_expense=finance.declared_expense,
        )
        services.notice_publish(actor=None, notice=correction)
        made += 3
    return made
