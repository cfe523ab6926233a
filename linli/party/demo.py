"""Demo party work: for each community a party committee, two branches (one with a party group) and a
joint branch with a park's enterprises; about 3% of adults as members of every kind; a year of
三会一课 with gaps (so the compliance calendar shows overdue periods); points; and people at every stage
of the membership pipeline. Deterministic for the seed; written in bulk so the street builds quickly."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from linli.accounts.models import User
from linli.areas.models import Area
from linli.core.db import insert_rows
from linli.core.demo import DemoContext
from linli.party import rules, services
from linli.party.models import (
    Attendance,
    Meeting,
    MeetingAttendance,
    MeetingKind,
    MemberKind,
    MemberStatus,
    OrgPosition,
    PartyMember,
    PartyOrganisation,
    PointEntry,
    PointRule,
    PositionRole,
)
from linli.registry.models import Resident, ResidentStatus
from linli.volunteers.models import ServiceRecord, Volunteer, VolunteerKind

DEMO_AFTER = ("areas", "registry", "cases", "visits", "volunteers")
SHARE = 0.03
PLACES = ["党群服务中心会议室", "社区活动室", "新时代文明实践站", "楼道党建角"]
TOPICS = {
    MeetingKind.GENERAL: ["学习党的二十大精神", "讨论发展党员", "民主评议党员", "年度工作总结"],
    MeetingKind.COMMITTEE: ["研究本月工作", "研究困难党员帮扶", "研究积极分子培养", "部署志愿服务"],
    MeetingKind.GROUP: ["学习党章", "交流联系户走访情况", "讨论楼道治理"],
    MeetingKind.LECTURE: ["书记讲党课：服务群众", "党史学习教育", "廉洁教育专题党课"],
    MeetingKind.THEMED_DAY: ["清洁家园志愿服务", "走访慰问老党员", "重温入党誓词", "垃圾分类宣传"],
}
UNITS = ["区税务局", "区人民医院", "市第三中学", "区市场监管局", "供电公司", "区图书馆"]
PARKS = ["锦绣科技园", "滨江创业园", "城东物流园", "智造产业园"]


def demo_build(ctx: DemoContext) -> None:
    if ctx.street is None:
        return
    ctx.counts["party_members"] = build_demo_party(street=ctx.street, seed=ctx.seed)


def _add_months(day: date, months: int) -> date:
    return services.add_months(day, months)


@transaction.atomic
def build_demo_party(*, street: Area, seed: int, today: date | None = None) -> int:
    today = today or timezone.localdate()
    rng = random.Random(seed + 20)
    total = 0
    rules_by_code = {r.code: r for r in PointRule.objects.all()}
    for c_index, community in enumerate(
        Area.objects.filter(parent=street, kind=Area.Kind.COMMUNITY).order_by("path")
    ):
        founded = date(today.year - 6, 7, 1)
        committee = PartyOrganisation.objects.create(
            name=f"{community.name}党委", kind="committee", area=community, founded_on=founded
        )
        first = PartyOrganisation.objects.create(
            name="第一党支部", kind="branch", area=community, parent=committee, founded_on=founded
        )
        second = PartyOrganisation.objects.create(
            name="第二党支部（离退休）", kind="branch", area=community, parent=committee, founded_on=founded
        )
        joint = PartyOrganisation.objects.create(
            name=f"{PARKS[c_index % len(PARKS)]}联合党支部",
            kind="branch",
            area=community,
            parent=committee,
            joint=True,
            partner_units=f"{PARKS[c_index % len(PARKS)]}入驻企业（{rng.randint(5, 12)} 家）",
            founded_on=date(today.year - 2, 3, 1),
        )
        group = PartyOrganisation.objects.create(
            name="第一党小组", kind="group", area=community, parent=first, founded_on=founded
        )
        branches = [first, second, joint]

        adults = list(
            Resident.objects.filter(
                grid__path__startswith=community.path + "/",
                status=ResidentStatus.ACTIVE,
                birth_date__lte=date(today.year - 20, today.month, 1),
            )
            .order_by("pk")
            .values_list("pk", "name", "birth_date", "political_status")
        )
        declared = [a for a in adults if a[3] == "中共党员"]
        others = [a for a in adults if a[3] != "中共党员"]
        wanted = max(6, round(len(adults) * SHARE))
        chosen = (rng.sample(declared, min(len(declared), wanted)) + rng.sample(others, len(others)))[:wanted]
        members: list[PartyMember] = []
        for pk, name, birth, _ in chosen:
            age = today.year - birth.year
            kind = (
                MemberKind.RETIRED
                if age >= 60
                else rng.choices([MemberKind.RESIDENT, MemberKind.FLOATING], [9, 1])[0]
            )
            earliest = max(birth.year + 19, today.year - 50)
            joined = date(rng.randint(earliest, max(earliest, today.year - 1)), rng.randint(1, 12), 1)
            probationary = joined > today - timedelta(days=365)
            org = second if kind == MemberKind.RETIRED else rng.choice([first, first, joint])
            members.append(
                PartyMember(
                    organisation=org,
                    resident_id=pk,
                    name=name,
                    kind=kind,
                    status=MemberStatus.PROBATIONARY if probationary else MemberStatus.FULL,
                    joined_on=joined,
                    probation_end=_add_months(joined, 12) if probationary else None,
                    hardship=rng.random() < 0.06,
                    hardship_note="独居、患慢性病" if rng.random() < 0.5 else "",
                )
            )
        # 在职党员到社区报到: members working elsewhere who registered as volunteers of kind 在职党员报到
        # (their service is recorded once, in volunteers); a few more without a volunteer record.
        reporting = list(
            Volunteer.objects.filter(community=community, kind=VolunteerKind.PARTY_MEMBER).order_by("pk")
        )
        for v in reporting:
            members.append(
                PartyMember(
                    organisation=first,
                    name=v.name,
                    kind=MemberKind.REPORTING,
                    status=MemberStatus.FULL,
                    joined_on=date(rng.randint(1995, today.year - 2), rng.randint(1, 12), 1),
                    work_unit=v.unit_name or rng.choice(UNITS),
                    reported_on=today - timedelta(days=rng.randint(30, 900)),
                    volunteer=v,
                )
            )
        for i in range(max(0, max(2, wanted // 8) - len(reporting))):
            members.append(
                PartyMember(
                    organisation=first,
                    name=f"{rng.choice('王李张刘陈杨黄赵吴周')}{rng.choice(['建华', '海燕', '志强', '晓东', '丽娟', '国庆'])}{i + 1}",
                    kind=MemberKind.REPORTING,
                    status=MemberStatus.FULL,
                    joined_on=date(rng.randint(1995, today.year - 2), rng.randint(1, 12), 1),
                    work_unit=rng.choice(UNITS),
                    reported_on=today - timedelta(days=rng.randint(30, 900)),
                )
            )
        # The community's grid workers who are members carry their own login (QR sign-in, contact households).
        for user in User.objects.filter(
            role="grid_worker", bindings__area__path__startswith=community.path + "/"
        ).order_by("pk")[:2]:
            members.append(
                PartyMember(
                    organisation=first,
                    user=user,
                    name=user.full_name or user.username,
                    kind=MemberKind.RESIDENT,
                    status=MemberStatus.FULL,
                    joined_on=date(rng.randint(2005, 2020), 7, 1),
                )
            )
        PartyMember.objects.bulk_create(members)
        members = list(PartyMember.objects.filter(organisation__in=branches).order_by("pk"))
        total += len(members)
        by_branch = {b.pk: [m for m in members if m.organisation_id == b.pk] for b in branches}

        # Secretaries and committee members, with dated terms (the grid worker member leads branch one).
        term = date(today.year - 2, 4, 1)
        leader_member = next((m for m in members if m.user_id), None)
        positions = []
        for b in branches:
            roll = by_branch[b.pk]
            if not roll:
                continue
            secretary = leader_member if b is first and leader_member else roll[0]
            positions.append(
                OrgPosition(organisation=b, member=secretary, role=PositionRole.SECRETARY, start_date=term)
            )
            for m in [m for m in roll if m.pk != secretary.pk][:2]:
                positions.append(
                    OrgPosition(organisation=b, member=m, role=PositionRole.COMMITTEE, start_date=term)
                )
        if members:
            positions.append(
                OrgPosition(
                    organisation=committee, member=members[0], role=PositionRole.SECRETARY, start_date=term
                )
            )
            first_roll = by_branch[first.pk]
            if len(first_roll) > 3:
                positions.append(
                    OrgPosition(
                        organisation=group,
                        member=first_roll[3],
                        role=PositionRole.GROUP_LEADER,
                        start_date=term,
                    )
                )
        OrgPosition.objects.bulk_create(positions)

        _meetings(rng, today, branches, group, by_branch, rules_by_code, lapse=c_index)
        _volunteer_points(members, rules_by_code.get("volunteer"))
        _pipeline(rng, today, first, c_index)
        _responsibility_and_cards(rng, today, community, by_branch[first.pk] + by_branch[second.pk])
        _minutes(today, first, by_branch[first.pk], term)
        if c_index % 2 == 0:
            _extend_probation(today, first)
    return total


CONTACT_TOPICS = [
    "问候独居老人",
    "提醒缴纳医保",
    "了解就业需求",
    "转告社区通知",
    "询问孩子入学",
    "帮忙预约体检",
]
ACTIVITIES = [
    ("文明劝导", "小区东门"),
    ("垃圾分类宣传", "社区广场"),
    ("义务理发", "党群服务中心"),
    ("防诈骗宣传", "社区活动室"),
    ("楼道清扫", "3 号楼"),
]
FEEDBACK = [
    ("楼道灯坏了", "物业公司", "物业已更换灯泡"),
    ("路灯不亮", "社区居委会", "已报城管修复"),
    ("井盖松动", "社区居委会", "市政已加固"),
    ("独居老人需要助餐", "社区居委会", "已纳入助餐名单"),
    ("噪音扰民", "物业公司", ""),
    ("电动车楼道充电", "社区居委会", ""),
]


def _responsibility_and_cards(
    rng: random.Random, today: date, community: Area, members: list[PartyMember]
) -> None:
    """党员责任区 and 联系户 for the members of branches one and two, and their 三卡 (through the services, so
    the contacts are checked against the responsibility area and points follow the rules)."""
    from linli.party.models import ResponsibilityArea
    from linli.registry.models import Building
    from linli.visits.models import Pairing

    buildings = list(
        Building.objects.filter(grid__path__startswith=community.path + "/")
        .select_related("grid")
        .order_by("pk")
    )
    if not buildings:
        return
    start = today - timedelta(days=300)
    active = [m for m in members if m.status in (MemberStatus.FULL, MemberStatus.PROBATIONARY)]
    with_login = [m for m in active if m.user_id]
    others = [m for m in active if not m.user_id][:12]
    areas = []
    chosen: dict[int, Building] = {}
    for i, m in enumerate(with_login + others):
        if m.user_id:
            own = [b for b in buildings if m.user is not None and b.grid.path in m.user.scope_paths()]
            building = own[i % len(own)] if own else buildings[i % len(buildings)]
        else:
            building = buildings[(i * 7) % len(buildings)]
        chosen[m.pk] = building
        areas.append(ResponsibilityArea(member=m, building=building, start_date=max(start, m.joined_on)))
    ResponsibilityArea.objects.bulk_create(areas)
    paired = set(Pairing.objects.filter(end_date__isnull=True).values_list("resident_id", flat=True))
    for m in with_login:  # 联系户: visits' pairings of kind 党员, so their visits count there and here
        residents = Resident.objects.filter(
            status=ResidentStatus.ACTIVE, house__building=chosen[m.pk]
        ).exclude(pk__in=paired)[:3]
        for r in residents:
            services.contact_pair(actor=None, member=m, resident=r, start_date=max(start, m.joined_on))
            paired.add(r.pk)
    for m in with_login + others:
        households = list(services.contact_households(m, today).order_by("pk")[:6])
        first_day = max(start, m.joined_on) + timedelta(days=1)
        span = max((today - first_day).days, 1)
        for k in range(rng.randint(2, 4)):
            if not households:
                break
            services.card_create(
                actor=None,
                member=m,
                kind="contact",
                day=first_day + timedelta(days=rng.randint(0, span)),
                title=rng.choice(CONTACT_TOPICS),
                resident=households[k % len(households)],
                way=rng.choice(["phone", "wechat", "in_person", "errand"]),
            )
        title, place = rng.choice(ACTIVITIES)
        services.card_create(
            actor=None,
            member=m,
            kind="activity",
            day=first_day + timedelta(days=rng.randint(0, span)),
            title=title,
            place=place,
            content="参加社区组织的活动（8 小时以外）。",
        )
        if rng.random() < 0.6:
            title, passed_to, outcome = rng.choice(FEEDBACK)
            day = first_day + timedelta(days=rng.randint(0, span))
            card = services.card_create(
                actor=None,
                member=m,
                kind="feedback",
                day=day,
                title=title,
                resident=households[0] if households else None,
                passed_to=passed_to,
            )
            closed = min(day + timedelta(days=rng.randint(2, 20)), today)
            if outcome:
                services.card_close(actor=None, card=card, outcome=outcome, closed_on=closed)


def _minutes(today: date, branch: PartyOrganisation, roll: list[PartyMember], term: date) -> None:
    """Branch one's minutes: the members with logins record and approve them (the second is made a
    committee member, the recorder); the latest waits for the secretary, one was returned once."""
    logins = [m for m in roll if m.user_id]
    secretary = OrgPosition.objects.filter(organisation=branch, role=PositionRole.SECRETARY).first()
    if len(logins) < 2 or secretary is None or secretary.member.user is None:
        return
    recorder_member = next(m for m in logins if m.pk != secretary.member_id)
    OrgPosition.objects.create(
        organisation=branch, member=recorder_member, role=PositionRole.COMMITTEE, start_date=term
    )
    recorder = User.objects.get(pk=recorder_member.user_id)
    approver = User.objects.get(pk=secretary.member.user_id)
    meetings = list(
        Meeting.objects.filter(organisation=branch, cancelled=False, held_on__lte=today)
        .exclude(minutes="")
        .order_by("-held_on")[:8]
    )
    for i, m in enumerate(meetings):
        version = services.minutes_submit(actor=recorder, meeting=m)
        if i == 0:
            continue  # waits for the secretary
        if i == 2:
            services.minutes_decide(
                actor=approver, version=version, approve=False, reason="请补充会议决议事项"
            )
            services.meeting_update(actor=recorder, meeting=m, minutes=m.minutes + "会议决议：同意上述事项。")
            version = services.minutes_submit(actor=recorder, meeting=m)
        services.minutes_decide(actor=approver, version=version, approve=True)
        if i == 4:
            m.refresh_from_db()
            fix = services.minutes_submit(
                actor=recorder, meeting=m, text=m.minutes + "（出席人数更正）", reason="出席人数记录有误"
            )
            services.minutes_decide(actor=approver, version=fix, approve=True)


def _extend_probation(today: date, branch: PartyOrganisation) -> None:
    """A probationary member whose year is up has it extended by the branch general meeting (延长预备期)."""
    member = (
        PartyMember.objects.filter(
            organisation=branch,
            status=MemberStatus.PROBATIONARY,
            probation_end__lte=today - timedelta(days=3),
        )
        .order_by("probation_end", "pk")
        .first()
    )
    if member is None or member.probation_end is None:
        return
    services.member_extend_probation(
        actor=None,
        member=member,
        resolved_on=min(member.probation_end + timedelta(days=3), today),
        months=6,
        resolution="支部党员大会讨论，决定延长预备期六个月",
        reason="预备期内参加组织生活不够经常，需继续考察",
    )


def _meetings(
    rng: random.Random,
    today: date,
    branches: list[PartyOrganisation],
    group: PartyOrganisation,
    by_branch: dict[int, list[PartyMember]],
    rules_by_code: dict[str, PointRule],
    *,
    lapse: int,
) -> None:
    """A year of meetings back from today. Most periods held; some skipped at random, and each
    community's `lapse`-th branch missed its last ended month (so the calendar shows red)."""
    frequencies = {k: v[0] for k, v in rules.MEETING_FREQUENCIES.items()}
    start = date(today.year - 1, today.month, 1)
    plans: list[tuple[PartyOrganisation, str, date, list[PartyMember]]] = []
    for b_index, branch in enumerate(branches):
        roll = by_branch[branch.pk]
        if not roll:
            continue
        for kind, months in frequencies.items():
            org = group if kind == MeetingKind.GROUP else branch
            if kind == MeetingKind.GROUP and branch.pk != group.parent_id:
                continue
            month = start
            while month <= today:
                period_end = _add_months(month, months) - timedelta(days=1)
                skip = rng.random() < 0.08 or (
                    b_index == lapse % len(branches)
                    and period_end < today
                    and period_end >= today - timedelta(days=31 * months)
                )
                if not skip:
                    day = month + timedelta(
                        days=rng.randint(0, max(0, min(period_end, today).toordinal() - month.toordinal()))
                    )
                    if day <= today:
                        plans.append((org, kind, day, roll))
                month = _add_months(month, months)
    meetings = [
        Meeting(
            organisation=org,
            kind=kind,
            held_on=day,
            place=rng.choice(PLACES),
            topic=rng.choice(TOPICS[MeetingKind(kind)]),
            host="",
            minutes=f"会议由支部书记主持，{rng.choice(['传达学习上级精神', '通报近期工作', '讨论并形成决议'])}。",
            checkin_code=f"demo{rng.getrandbits(96):024x}",
        )
        for org, kind, day, _ in plans
    ]
    Meeting.objects.bulk_create(meetings)
    now = timezone.now()
    attendance: list[tuple[Any, ...]] = []
    entries: list[tuple[Any, ...]] = []
    earned: dict[tuple[int, int, int], int] = {}
    for meeting, (_, _, day, roll) in zip(meetings, plans, strict=True):
        for m in roll:
            if m.joined_on > day:
                continue
            status = rng.choices(
                [Attendance.PRESENT, Attendance.LATE, Attendance.LEAVE, Attendance.ABSENT], [80, 5, 10, 5]
            )[0]
            attendance.append((meeting.pk, m.pk, status, status == "present" and rng.random() < 0.5, now))
            code = rules.ATTENDANCE_RULE.get(status)
            if code and code in rules_by_code:
                rule = rules_by_code[code]
                key = (m.pk, rule.pk, day.year * 12 + day.month)
                points = min(rule.points, rule.cap - earned.get(key, 0)) if rule.cap else rule.points
                if points > 0:
                    earned[key] = earned.get(key, 0) + points
                    entries.append(
                        (
                            m.pk,
                            rule.pk,
                            points,
                            day,
                            f"meeting:{meeting.pk}",
                            rule.label,
                            "approved",
                            "系统",
                            "",
                            now,
                        )
                    )
    # One prepared statement per table (core.db): bulk_create built an instance per row.
    insert_rows(MeetingAttendance, ["meeting", "member", "status", "via_qr", "signed_at"], attendance)
    # A few manual awards: most approved, some waiting for a second person's approval.
    merit = rules_by_code.get("merit")
    all_members = [m for roll in by_branch.values() for m in roll]
    if merit is not None:
        for m in rng.sample(all_members, min(len(all_members), 4)):
            approved = rng.random() < 0.6
            entries.append(
                (
                    m.pk,
                    merit.pk,
                    merit.points,
                    today - timedelta(days=rng.randint(5, 200)),
                    "",
                    rng.choice(["疫情防控突出贡献", "见义勇为", "获评优秀共产党员"]),
                    "approved" if approved else "pending",
                    "演示",
                    "演示审核人" if approved else "",
                    now,
                )
            )
    insert_rows(
        PointEntry,
        [
            "member",
            "rule",
            "points",
            "earned_on",
            "source",
            "reason",
            "status",
            "entered_by",
            "decided_by",
            "created_at",
        ],
        entries,
    )


def _volunteer_points(members: list[PartyMember], rule: PointRule | None) -> None:
    """Points for the linked members' confirmed service (the demo's records are confirmed in bulk,
    without the signal the live confirmation sends), within the rule's monthly cap."""
    linked = {m.volunteer_id: m for m in members if m.volunteer_id}
    if rule is None or not linked:
        return
    now = timezone.now()
    earned: dict[tuple[int, int], int] = {}
    rows = []
    for pk, volunteer_id, day in (
        ServiceRecord.objects.filter(volunteer_id__in=list(linked), status="confirmed", minutes__gt=0)
        .order_by("day", "pk")
        .values_list("pk", "volunteer_id", "day")
    ):
        member = linked[volunteer_id]
        key = (member.pk, day.year * 12 + day.month)
        points = min(rule.points, rule.cap - earned.get(key, 0)) if rule.cap else rule.points
        if points <= 0:
            continue
        earned[key] = earned.get(key, 0) + points
        rows.append(
            (member.pk, rule.pk, points, day, f"volunteer:{pk}", rule.label, "approved", "系统", "", now)
        )
    insert_rows(
        PointEntry,
        [
            "member",
            "rule",
            "points",
            "earned_on",
            "source",
            "reason",
            "status",
            "entered_by",
            "decided_by",
            "created_at",
        ],
        rows,
    )


def _pipeline(rng: random.Random, today: date, branch: PartyOrganisation, c_index: int) -> None:
    """People at every stage, moved through the real services (so their dates obey the rules)."""
    names = ["赵一鸣", "钱思远", "孙晓雨", "李嘉欣", "周子涵", "吴浩然", "郑雅静", "王博文"]
    plan = [
        ("applicant", 40),
        ("activist", 200),
        ("activist", 420),  # due to become a candidate
        ("candidate", 600),
        ("probationary", 800),
        ("probationary", 1200),  # probation over: due to become full
        ("full", 1300),
        ("stopped", 300),
    ]
    for i, (stage, days_ago) in enumerate(plan):
        applied = today - timedelta(days=days_ago)
        a = services.applicant_create(
            actor=None,
            organisation=branch,
            name=f"{names[i]}{c_index + 1}",
            birth_date=date(1990 + rng.randint(0, 8), rng.randint(1, 12), 1),
            applied_on=applied,
        )
        if stage == "stopped":
            services.applicant_stop(
                actor=None, applicant=a, date=applied + timedelta(days=60), reason="本人申请暂缓"
            )
            continue
        day = applied + timedelta(days=30)
        steps = ["activist", "candidate", "probationary", "full"]
        for step in steps[: steps.index(stage) + 1] if stage != "applicant" else []:
            if day > today:
                break
            a = services.applicant_advance(
                actor=None,
                applicant=a,
                to_stage=step,
                date=day,
                resolution="支部委员会研究同意"
                if step in ("activist", "candidate")
                else "支部党员大会讨论通过",
                introducers="" if step != "probationary" else "张建国、李红梅",
            )
            rule = rules.PIPELINE.get(step)
            day = _add_months(day, rule.min_months if rule else 0) + timedelta(days=rng.randint(5, 40))
