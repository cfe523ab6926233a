"""The service skills most community volunteer ledgers use; more can be added with `linli volunteer skill-add`."""

from django.db import migrations

SKILLS = [
    ("elderly", "助老陪伴"),
    ("children", "关爱儿童"),
    ("medical", "医疗护理"),
    ("repair", "家电维修"),
    ("legal", "法律咨询"),
    ("psychology", "心理疏导"),
    ("education", "文化教育"),
    ("environment", "环境保护"),
    ("patrol", "治安巡逻"),
    ("civilization", "文明劝导"),
    ("emergency", "应急救援"),
    ("culture", "文体活动"),
    ("escort", "陪同就医"),
    ("shopping", "代购代办"),
]


def add(apps, schema_editor):
    Skill = apps.get_model("volunteers", "Skill")
    for order, (code, name) in enumerate(SKILLS):
        Skill.objects.get_or_create(code=code, defaults={"name": name, "order": order})


def remove(apps, schema_editor):
    Skill = apps.get_model("volunteers", "Skill")
    Skill.objects.filter(code__in=[c for c, _ in SKILLS], volunteers__isnull=True, activities__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("volunteers", "0001_volunteers")]
    operations = [migrations.RunPython(add, remove)]
