"""Default key-group tags (重点人群), after GB/T 31000 and the domain brief.

Sensitive ones are seen only by roles with the view_sensitive capability.
Administrators may add, rename or re-group tags later; this only seeds them.
"""

from django.db import migrations

GROUPS = [
    ("care", "关爱服务对象", 10, [
        ("elderly_alone", "独居老人", False),
        ("elderly_empty_nest", "空巢老人", False),
        ("elderly_80", "高龄老人", False),
        ("retired_cadre", "离退休干部", False),
        ("left_behind_child", "留守儿童", False),
        ("unemployed", "下岗失业人员", False),
        ("veteran", "退役军人", False),
        ("entitled_group", "优抚对象", False),
        ("pregnant", "孕产妇", False),
    ]),
    ("assistance", "救助帮扶对象", 20, [
        ("dibao", "低保", True),
        ("low_income", "低收入", True),
        ("tekun", "特困供养", True),
        ("disabled", "残疾人", True),
        ("serious_illness", "大病患者", True),
    ]),
    ("special", "特殊人群", 30, [
        ("released_prisoner", "刑满释放人员", True),
        ("community_correction", "社区矫正对象", True),
        ("severe_mental_disorder", "严重精神障碍患者", True),
        ("drug_user", "吸毒人员", True),
        ("hiv_risk", "艾滋病危险性人员", True),
        ("key_youth", "重点青少年", True),
    ]),
    ("talent", "社区人才", 40, [
        ("party_member", "党员", False),
        ("volunteer", "志愿者", False),
        ("building_head", "楼栋长", False),
        ("talent_pool", "社区人才库", False),
    ]),
]


def seed(apps, schema_editor):
    TagGroup = apps.get_model("registry", "TagGroup")
    Tag = apps.get_model("registry", "Tag")
    for code, name, order, tags in GROUPS:
        group, _ = TagGroup.objects.get_or_create(code=code, defaults={"name": name, "order": order})
        for index, (tag_code, tag_name, sensitive) in enumerate(tags):
            Tag.objects.get_or_create(
                code=tag_code, defaults={"name": tag_name, "group": group, "sensitive": sensitive, "order": index}
            )


def unseed(apps, schema_editor):
    Tag = apps.get_model("registry", "Tag")
    TagGroup = apps.get_model("registry", "TagGroup")
    codes = [t[0] for _, _, _, tags in GROUPS for t in tags]
    Tag.objects.filter(code__in=codes, residents__isnull=True).delete()
    TagGroup.objects.filter(code__in=[g[0] for g in GROUPS], tags__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_buildings_houses_households_residents_tags")]
    operations = [migrations.RunPython(seed, unseed)]
