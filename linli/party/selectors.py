"""Reads for party work: the compliance calendar, the pipeline's due list, points, rankings, appraisal."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Count, Q, Sum
from django.utils import timezone

from linli.party import rules
from linli.party.models import (
    ACTIVE_STATUSES,
    Applicant,
    Attendance,
    EntryStatus,
    Meeting,
    MeetingAttendance,
    MeetingKind,
    MeetingRule,
    OrgKind,
    PartyMember,
    PartyOrganisation,
    PointEntry,
    PointRule,
    Stage,
)
from linli.party.rules import add_months

BRANCH_KINDS = (OrgKind.BRANCH, OrgKind.GENERAL_BRANCH)


@dataclass
class Period:
    start: date
    end: date
    label: str
    state: str  # held | due | overdue | future
    meetings: list[int] = field(default_factory=list)

    @property
    def state_label(self) -> str:
        return {"held": "已召开", "due": "本期待开", "overdue": "超期未开", "future": "未到期"}[self.state]


@dataclass
class ComplianceRow:
    kind: str
    label: str
    every_months: int
    periods: list[Period]

    @property
    def held(self) -> int:
        return sum(p.state == "held" for p in self.periods)

    @property
    def overdue(self) -> int:
        return sum(p.state == "overdue" for p in self.periods)

    @property
    def due(self) -> int:
        return sum(p.state == "due" for p in self.periods)

    @property
    def last_overdue(self) -> Period | None:
        past = [p for p in self.periods if p.state == "overdue"]
        return past[-1] if past else None

    @property
    def frequency(self) -> str:
        return {1: "每月", 3: "每季度", 6: "每半年", 12: "每年"}.get(
            self.every_months, f"每 {self.every_months} 个月"
        )


def _period_label(start: date, months: int) -> str:
    if months == 1:
        return f"{start.month}月"
    if months == 3:
        return f"第{(start.month - 1) // 3 + 1}季度"
    if months == 12:
        return f"{start.year}年"
    return f"{start.month}–{start.month + months - 1}月"


def _kinds(has_groups: bool) -> list[str]:
    """A branch answers for its own meetings and, if it has party groups, for their group meetings."""
    kinds: list[str] = [
        MeetingKind.GENERAL,
        MeetingKind.COMMITTEE,
        MeetingKind.LECTURE,
        MeetingKind.THEMED_DAY,
    ]
    if has_groups:
        kinds.insert(2, MeetingKind.GROUP)
    return kinds


def compliance(org: PartyOrganisation, year: int, today: date | None = None) -> list[ComplianceRow]:
    """Each required kind's periods in `year`: held, due (the current one, not yet held), overdue, future.
    A period before the branch was founded is not counted."""
    return compliance_of([org], year, today)[org.pk]


def compliance_of(
    orgs: list[PartyOrganisation], year: int, today: date | None = None
) -> dict[int, list[ComplianceRow]]:
    """`compliance` for several branches in three queries (rules, their groups, the year's meetings)."""
    today = today or timezone.localdate()
    rules_by_kind = {r.kind: r for r in MeetingRule.objects.filter(active=True)}
    owner = {o.pk: o.pk for o in orgs}
    active_groups: set[int] = set()
    for pk, parent, dissolved in PartyOrganisation.objects.filter(
        parent_id__in=list(owner), kind=OrgKind.GROUP
    ).values_list("pk", "parent_id", "dissolved_on"):
        owner[pk] = parent
        if dissolved is None:
            active_groups.add(parent)
    held: dict[tuple[int, str], list[tuple[date, int]]] = {}
    for org_id, kind, day, pk in Meeting.objects.filter(
        organisation_id__in=list(owner), cancelled=False, held_on__year=year, held_on__lte=today
    ).values_list("organisation_id", "kind", "held_on", "pk"):
        held.setdefault((owner[org_id], kind), []).append((day, pk))
    out: dict[int, list[ComplianceRow]] = {}
    for org in orgs:
        start_from = org.founded_on or date(year, 1, 1)
        rows = []
        for kind in _kinds(org.pk in active_groups):
            rule = rules_by_kind.get(kind)
            if rule is None:
                continue
            periods = []
            for month in range(1, 13, rule.every_months):
                start = date(year, month, 1)
                end = date.fromordinal(add_months(start, rule.every_months).toordinal() - 1)
                if end < start_from:
                    continue
                ids = [pk for day, pk in held.get((org.pk, kind), []) if start <= day <= end]
                if ids:
                    state = "held"
                elif start > today:
                    state = "future"
                elif end >= today:
                    state = "due"
                else:
                    state = "overdue"
                periods.append(Period(start, end, _period_label(start, rule.every_months), state, ids))
            rows.append(ComplianceRow(kind, MeetingKind(kind).label, rule.every_months, periods))
        out[org.pk] = rows
    return out


def branches(user: Any) -> Any:
    return PartyOrganisation.objects.visible_to(user).filter(kind__in=BRANCH_KINDS, dissolved_on__isnull=True)


def overdue_count(user: Any) -> int:
    """How many (branch, kind) have an overdue period this year: the menu badge."""
    today = timezone.localdate()
    calendars = compliance_of(list(branches(user)[:200]), today.year, today)
    return sum(1 for rows in calendars.values() for row in rows if row.last_overdue is not None)


def home_summary(user: Any) -> dict[str, Any]:
    members = PartyMember.objects.visible_to(user).filter(status__in=ACTIVE_STATUSES)
    return {
        "members": members.count(),
        "branches": branches(user).count(),
        "overdue": overdue_count(user),
        "due_applicants": pipeline_due(user).count(),
    }


def pipeline_due(user: Any, today: date | None = None) -> Any:
    """Applicants whose next step may be taken now (its waiting period is over)."""
    today = today or timezone.localdate()
    return (
        Applicant.objects.visible_to(user)
        .exclude(stage__in=[Stage.FULL, Stage.STOPPED])
        .filter(next_due_on__lte=today)
    )


def next_stage_label(applicant: Applicant) -> str:
    rule = rules.PIPELINE.get(applicant.stage)
    return Stage(rule.to_stage).label if rule else ""


def totals(members: Any, year: int) -> dict[int, int]:
    return dict(
        PointEntry.objects.filter(member__in=members, status=EntryStatus.APPROVED, earned_on__year=year)
        .values("member_id")
        .annotate(s=Sum("points"))
        .values_list("member_id", "s")
    )


def ranking(user: Any, organisation: PartyOrganisation | None, year: int) -> list[dict[str, Any]]:
    # `user` None is the console operator (an export from the CLI): everyone.
    scoped = PartyMember.objects.all() if user is None else PartyMember.objects.visible_to(user)
    members = scoped.filter(status__in=ACTIVE_STATUSES)
    if organisation is not None:
        members = members.filter(organisation=organisation)
    members = members.select_related("organisation")
    sums = totals(members, year)
    rows: list[dict[str, Any]] = [
        {"member": m, "points": sums.get(m.pk, 0), "organisation": m.organisation.name} for m in members
    ]
    rows.sort(key=lambda r: (-r["points"], r["member"].name))
    rank = 0
    previous = None
    for i, row in enumerate(rows, start=1):
        if row["points"] != previous:
            rank, previous = i, row["points"]
        row["rank"] = rank
    return rows


def appraisal(member: PartyMember, year: int) -> dict[str, Any]:
    """党员目标管理量化考评: a member's year — points by rule, meetings attended, the grade."""
    entries = PointEntry.objects.filter(member=member, earned_on__year=year, status=EntryStatus.APPROVED)
    by_rule = {
        r["rule_id"]: (r["n"], r["s"])
        for r in entries.values("rule_id").annotate(n=Count("pk"), s=Sum("points"))
    }
    lines = [
        {"rule": rule, "count": by_rule[rule.pk][0], "points": by_rule[rule.pk][1]}
        for rule in PointRule.objects.filter(pk__in=list(by_rule)).order_by("manual", "code")
    ]
    attendance = dict(
        MeetingAttendance.objects.filter(member=member, meeting__held_on__year=year)
        .values("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    expected = sum(attendance.values())
    attended = attendance.get(Attendance.PRESENT, 0) + attendance.get(Attendance.LATE, 0)
    total = sum(line["points"] for line in lines)
    return {
        "member": member,
        "year": year,
        "lines": lines,
        "total": total,
        "attendance": {Attendance(k).label: v for k, v in attendance.items()},
        "attendance_rate": f"{attended * 100 // expected}%" if expected else "—",
        "grade": grade(total),
        "pending": PointEntry.objects.filter(member=member, status=EntryStatus.PENDING).count(),
    }


# Grades of the yearly appraisal (优秀 / 合格 / 基本合格 / 不合格), by points.
GRADES = [(60, "优秀"), (30, "合格"), (10, "基本合格")]


def grade(total: int) -> str:
    for floor, label in GRADES:
        if total >= floor:
            return label
    return "不合格"


def member_filter(qs: Any, *, organisation: Any = None, kind: str = "", status: str = "", q: str = "") -> Any:
    if organisation is not None:
        qs = qs.filter(organisation=organisation)
    if kind:
        qs = qs.filter(kind=kind)
    if status == "active" or not status:
        qs = qs.filter(status__in=ACTIVE_STATUSES)
    elif status != "all":
        qs = qs.filter(status=status)
    if q:
        qs = qs.filter(Q(name__contains=q) | Q(work_unit__contains=q))
    return qs


def card_counts(cards: Any) -> dict[str, int]:
    """三卡 by kind (label → count) for the list's header, and the feedback cards still open."""
    from django.db.models import Count

    from linli.party.models import CardKind, CardStatus

    found = dict(cards.exclude(status=CardStatus.VOIDED).values_list("kind").annotate(n=Count("pk")))
    counts = {str(label): found.get(value, 0) for value, label in CardKind.choices}
    counts["待办结"] = cards.filter(status=CardStatus.OPEN).count()
    return counts
