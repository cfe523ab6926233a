"""Seed the configurable rules with the usual values (linli/party/rules.py, docs/party.md)."""

from django.db import migrations

MEETINGS = {
    "general": (3, "支部党员大会一般每季度召开一次"),
    "committee": (1, "支部委员会一般每月召开一次"),
    "group": (1, "党小组会一般每月召开一次"),
    "lecture": (3, "党课每季度至少一次"),
    "themed_day": (1, "主题党日每月一次"),
}
POINTS = {
    "meeting": ("参加组织生活", 2, 10, "month", False),
    "meeting_late": ("参加组织生活（迟到）", 1, 10, "month", False),
    "visit": ("走访联系户", 1, 8, "month", False),
    "volunteer": ("参加志愿服务（已确认）", 2, 20, "month", False),
    "merit": ("表彰奖励、突出贡献", 5, 20, "year", True),
    "demerit": ("违反纪律、无故缺席", -5, 0, "year", True),
}


def seed(apps, schema_editor):
    MeetingRule = apps.get_model("party", "MeetingRule")
    PointRule = apps.get_model("party", "PointRule")
    for kind, (months, note) in MEETINGS.items():
        MeetingRule.objects.get_or_create(kind=kind, defaults={"every_months": months, "note": note})
    for code, (label, points, cap, period, manual) in POINTS.items():
        PointRule.objects.get_or_create(
            code=code,
            defaults={"label": label, "points": points, "cap": cap, "period": period, "manual": manual},
        )


class Migration(migrations.Migration):
    dependencies = [("party", "0001_organisations_members_meetings_points")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
