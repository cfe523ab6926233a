"""A starting category tree after GB/T 30428.2 (城市市政综合监管信息系统 管理部件和事件分类)
and the problems community field reports name most (违建、宠物、小广告、占道、高空抛物、
环境卫生、邻里纠纷). Street admins adapt it (`linli category …` or the categories page)."""

from django.db import migrations

H, D = "hours", "days"

# code, name, [(code, name, handle limit, questions)], all with register 2h, dispatch 2h, verify 1d.
TREE = [
    ("ENV", "市容环境", [
        ("ENV-SANITATION", "环境卫生（垃圾、污水、积存物）", (2, D), []),
        ("ENV-FLYERS", "小广告、乱张贴乱涂写", (2, D), []),
        ("ENV-PETS", "宠物扰民、犬只管理", (3, D), []),
        ("ENV-GREEN", "绿化损坏、占绿毁绿", (5, D), []),
    ]),
    ("ORDER", "街面秩序", [
        ("ORDER-STALLS", "占道经营、流动摊贩", (1, D), []),
        ("ORDER-PARKING", "乱停乱放、堵塞消防通道", (4, H), []),
        ("ORDER-NOISE", "噪声扰民", (2, D), [
            {"code": "period", "label": "发生时段", "datatype": "singlevaluelist", "required": True,
             "values": [{"key": "day", "name": "白天"}, {"key": "night", "name": "夜间（22:00–6:00）"}]},
        ]),
    ]),
    ("BUILD", "违法建设与施工", [
        ("BUILD-ILLEGAL", "违章搭建", (10, D), [
            {"code": "area_m2", "label": "估计面积（平方米）", "datatype": "number", "required": False},
        ]),
        ("BUILD-SITE", "施工扰民、渣土遗撒", (2, D), []),
    ]),
    ("SAFETY", "公共安全", [
        ("SAFETY-THROWING", "高空抛物", (1, D), [
            {"code": "floor", "label": "疑似楼层", "datatype": "string", "required": False},
        ]),
        ("SAFETY-FIRE", "消防隐患（楼道堆物、飞线充电）", (4, H), []),
        ("SAFETY-FACILITY", "公共设施损坏（井盖、路灯、护栏）", (2, D), []),
    ]),
    ("NEIGHBOUR", "邻里与物业", [
        ("NEIGHBOUR-DISPUTE", "邻里纠纷", (5, D), []),
        ("NEIGHBOUR-PROPERTY", "物业服务", (5, D), []),
        ("NEIGHBOUR-LEAK", "房屋渗漏", (5, D), []),
    ]),
    ("SERVICE", "民生服务", [
        ("SERVICE-BENEFITS", "社会保障、救助政策咨询", (3, D), []),
        ("SERVICE-ELDERLY", "为老服务需求", (3, D), []),
        ("SERVICE-OTHER", "其他诉求", (5, D), []),
    ]),
]


def seed(apps, schema_editor):
    Category = apps.get_model("cases", "Category")
    CategoryLimit = apps.get_model("cases", "CategoryLimit")
    for order, (code, name, leaves) in enumerate(TREE, start=1):
        parent, _ = Category.objects.get_or_create(code=code, defaults={"name": name, "order": order})
        for leaf_order, (leaf_code, leaf_name, handle, questions) in enumerate(leaves, start=1):
            for i, q in enumerate(questions, start=1):
                q.setdefault("description", "")
                q.setdefault("order", i)
                q.setdefault("values", [])
            leaf, created = Category.objects.get_or_create(
                code=leaf_code,
                defaults={"name": leaf_name, "parent": parent, "order": leaf_order, "questions": questions},
            )
            if not created:
                continue
            limits = {"register": (2, H), "dispatch": (2, H), "handle": handle, "verify": (1, D)}
            for stage, (amount, unit) in limits.items():
                CategoryLimit.objects.create(category=leaf, stage=stage, amount=amount, unit=unit)


class Migration(migrations.Migration):
    dependencies = [("cases", "0002_case_events_append_only")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
