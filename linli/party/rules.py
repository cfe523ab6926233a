"""The rules party work is held to, in one place (docs/party.md prints them).

Pipeline waiting periods follow 《中国共产党发展党员工作细则》 (2014): an applicant must be 18; an activist
is educated and observed for at least a year before becoming a candidate (第十四条); a candidate needs
two full members as introducers and the branch general meeting's resolution to be admitted (第十五、
二十二条); probation lasts a year (第二十八条) and ends by the branch general meeting's resolution.

Meeting frequencies and point rules are configuration (`MeetingRule`, `PointRule`, editable by a street
admin); these are the values they are seeded with.
"""

from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass
from datetime import date

MIN_AGE = 18


def add_months(day: date, months: int) -> date:
    """The same day `months` later (the month's last day if it has no such day: 29 Feb → 28 Feb)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, monthrange(year, month)[1]))


@dataclass(frozen=True)
class StepRule:
    to_stage: str
    min_months: int  # since the current stage began
    introducers: int  # full members who must introduce
    resolution: bool  # a branch meeting resolution must be recorded
    text: str  # the rule, as the refusal quotes it


# From stage → the rule of its next step.
PIPELINE: dict[str, StepRule] = {
    "applicant": StepRule(
        "activist", 0, 0, True, "确定入党积极分子须经党支部委员会研究（《发展党员工作细则》第十条）"
    ),
    "activist": StepRule(
        "candidate",
        12,
        0,
        True,
        "入党积极分子须经一年以上培养教育和考察，方可列为发展对象（《发展党员工作细则》第十四条）",
    ),
    "candidate": StepRule(
        "probationary",
        0,
        2,
        True,
        "接收预备党员须有两名正式党员作入党介绍人，并经支部党员大会讨论通过（《发展党员工作细则》第十五、二十二条）",
    ),
    "probationary": StepRule(
        "full",
        12,
        0,
        True,
        "预备期为一年，期满后经支部党员大会讨论方可转为正式党员（《发展党员工作细则》第二十八、二十九条）",
    ),
}

# 延长预备期: once, at least six months and at most a year, decided by the branch general meeting when
# probation ends (《中国共产党章程》第七条; 《发展党员工作细则》第三十条).
PROBATION_EXTENSION_MONTHS = (6, 12)
PROBATION_EXTENSION_TEXT = (
    "预备期满需要继续考察的，经支部党员大会讨论可延长一次预备期，不少于半年，最长不超过一年"
    "（《中国共产党章程》第七条、《发展党员工作细则》第三十条）"
)

# MeetingRule seed: kind → (every N months, note).
MEETING_FREQUENCIES: dict[str, tuple[int, str]] = {
    "general": (3, "支部党员大会一般每季度召开一次"),
    "committee": (1, "支部委员会一般每月召开一次"),
    "group": (1, "党小组会一般每月召开一次"),
    "lecture": (3, "党课每季度至少一次"),
    "themed_day": (1, "主题党日每月一次"),
}

# PointRule seed: code → (label, points, cap per period (0 = none), period, manual).
POINT_RULES: dict[str, tuple[str, int, int, str, bool]] = {
    "meeting": ("参加组织生活", 2, 10, "month", False),
    "meeting_late": ("参加组织生活（迟到）", 1, 10, "month", False),
    "visit": ("走访联系户", 1, 8, "month", False),
    "volunteer": ("参加志愿服务（已确认）", 2, 20, "month", False),
    "card_contact": ("联系卡：联系责任区住户", 1, 4, "month", False),
    "card_activity": ("活动卡：参加社区活动", 1, 4, "month", False),
    "card_feedback": ("反馈卡：反映情况并办结", 1, 4, "month", False),
    "merit": ("表彰奖励、突出贡献", 5, 20, "year", True),
    "demerit": ("违反纪律、无故缺席", -5, 0, "year", True),
}

# Points earned by a roll-call status.
ATTENDANCE_RULE = {"present": "meeting", "late": "meeting_late"}
