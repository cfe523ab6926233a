"""Words community ledgers commonly use for the default tags."""

from django.db import migrations

ALIASES = {
    "elderly_alone": "独居、独居老年人",
    "elderly_empty_nest": "空巢、空巢老年人",
    "elderly_80": "80岁以上老人、高龄",
    "retired_cadre": "老干部、离退休人员",
    "unemployed": "失业人员、下岗职工、失业",
    "veteran": "退伍军人、复员军人",
    "dibao": "低保户、低保对象、城市低保",
    "tekun": "特困、特困人员、五保",
    "disabled": "残疾、残疾人员、残障",
    "released_prisoner": "刑释人员、刑满释放",
    "community_correction": "社区矫正、矫正对象",
    "severe_mental_disorder": "精神病人、精神障碍患者",
    "party_member": "中共党员",
}


def seed(apps, schema_editor):
    Tag = apps.get_model("registry", "Tag")
    for code, aliases in ALIASES.items():
        Tag.objects.filter(code=code, aliases="").update(aliases=aliases)


def unseed(apps, schema_editor):
    Tag = apps.get_model("registry", "Tag")
    for code, aliases in ALIASES.items():
        Tag.objects.filter(code=code, aliases=aliases).update(aliases="")


class Migration(migrations.Migration):
    dependencies = [("registry", "0003_tag_aliases")]
    operations = [migrations.RunPython(seed, unseed)]
