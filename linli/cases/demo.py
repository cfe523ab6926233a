"""Demo cases: `count` appeals over the last 60 days of a street, in every state they can be in.

Built in bulk with their timelines, deadlines and outcomes already consistent (as if the
workflow and the sweep had run), so indicators and benchmarks have realistic data in seconds.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from faker import Faker

from linli.accounts.models import User
from linli.areas.models import Area, GridAssignment
from linli.cases import deadlines
from linli.cases.models import (
    URGENCY_FACTOR,
    Case,
    CaseCounter,
    CaseEvent,
    Category,
    Channel,
    Department,
    Satisfaction,
    Stage,
    Status,
    Urgency,
)
from linli.cases.services import person_label
from linli.cases.workcalendar import WorkCalendar
from linli.core.db import insert_objects, insert_rows, refresh_statistics
from linli.core.demo import DemoContext
from linli.registry.models import Building

A = CaseEvent.Action
DAYS = 60
BATCH = 2000

PROBLEMS = {
    "ENV-SANITATION": ["楼下垃圾桶满溢无人清运", "小区化粪池冒水", "绿化带堆积建筑垃圾"],
    "ENV-FLYERS": ["单元门上贴满小广告", "电梯里乱贴开锁广告"],
    "ENV-PETS": ["邻居家狗夜里一直叫", "小区内遛狗不牵绳", "宠物粪便无人清理"],
    "ENV-GREEN": ["有人在绿地里种菜", "行道树被砍"],
    "ORDER-STALLS": ["小区门口流动摊贩占道", "早市摊位堵塞人行道"],
    "ORDER-PARKING": ["电动车停在消防通道", "私家车长期占用消防通道"],
    "ORDER-NOISE": ["楼上夜里装修噪声", "广场舞音响声音太大"],
    "BUILD-ILLEGAL": ["顶楼住户搭建阳光房", "一楼住户私自扩建院墙"],
    "BUILD-SITE": ["工地渣土车遗撒", "工地夜间施工"],
    "SAFETY-THROWING": ["楼上扔下烟头和果皮", "高空坠物砸到车"],
    "SAFETY-FIRE": ["楼道堆放纸箱杂物", "电动车飞线充电"],
    "SAFETY-FACILITY": ["井盖松动", "路灯不亮", "单元门门禁损坏"],
    "NEIGHBOUR-DISPUTE": ["楼上漏水邻里协商不成", "邻居占用公共走道"],
    "NEIGHBOUR-PROPERTY": ["物业不及时维修电梯", "物业费收支不公开"],
    "NEIGHBOUR-LEAK": ["卫生间天花板渗水", "外墙渗水"],
    "SERVICE-BENEFITS": ["咨询低保申请条件", "咨询医保报销"],
    "SERVICE-ELDERLY": ["独居老人需要助餐服务", "老人需要上门理发"],
    "SERVICE-OTHER": ["建议增设健身器材", "希望开设四点半课堂"],
}


DETAILS = [
    "已经持续一周多了，希望社区尽快处理。",
    "多次反映未见改善，请帮忙协调。",
    "影响老人和孩子出行，请尽快派人查看。",
    "晚上尤其严重，邻居们意见很大。",
    "请网格员上门看一下。",
]


@dataclass
class _Staff:
    worker: User | None


DEMO_AFTER = ("areas", "registry")


def demo_build(ctx: DemoContext) -> None:
    ctx.counts["cases"] = build_demo_cases(
        street=ctx.street, count=ctx.sizes.get("cases", 1000), seed=ctx.seed
    )


def build_demo_cases(*, street: Area, count: int, seed: int, now: datetime | None = None) -> int:
    if count <= 0:
        return 0
    now = now or timezone.now()
    rng = random.Random(seed + 7)
    fake = Faker("zh_CN")
    fake.seed_instance(seed + 7)
    calendar = WorkCalendar()
    grids = list(
        Area.objects.filter(path__startswith=street.path + "/", kind=Area.Kind.GRID, children__isnull=True)
    )
    # The department first: it routes its categories to itself, and the categories read below must see that
    # (read before, no demo case ever went to a department).
    department = _demo_department(street)
    categories = list(Category.objects.filter(active=True, children__isnull=True, parent__isnull=False))
    if not grids or not categories:
        return 0
    staff = _staff(grids)
    community_staff = {
        path: u
        for u in User.objects.filter(role="community_worker", bindings__area__path__startswith=street.path)
        for path in u.scope_paths()
    }
    buildings: dict[int, list[Building]] = {}
    for b in Building.objects.filter(grid__in=grids):
        buildings.setdefault(b.grid_id, []).append(b)
    limits = {c.pk: deadlines.limits_of(c.pk) for c in categories}
    step = max(1, round(settings.LINLI_ESCALATION_STEP_HOURS * 60))
    numbers: dict[str, int] = {}
    for number in Case.objects.filter(number__contains="-").values_list("number", flat=True).iterator():
        day, seq = number.rsplit("-", 1)
        numbers[day] = max(numbers.get(day, 0), int(seq))

    def due(case: Case, stage: str, start: datetime) -> datetime:
        amount, unit = limits[case.category_id][stage]
        return calendar.deadline(start, amount, unit, URGENCY_FACTOR[case.urgency])

    def later(start: datetime, limit_share: float, case: Case, stage: str) -> datetime:
        """A moment after `start`: within the stage's limit for share < 1, late for share > 1."""
        span = (due(case, stage, start) - start) * limit_share
        return min(now - timedelta(minutes=1), start + span * rng.uniform(0.3, 1.0))

    made = 0
    while made < count:
        cases: list[Case] = []
        events: list[tuple[Case, list[tuple[str, datetime, str, str, str]]]] = []
        for _ in range(min(BATCH, count - made)):
            category = rng.choice(categories)
            grid = rng.choice(grids)
            received = now - timedelta(minutes=rng.randrange(DAYS * 24 * 60))
            hour = rng.choice([8, 9, 10, 11, 14, 15, 16, 19])  # local office hours, mostly
            received = timezone.localtime(received).replace(hour=hour, minute=rng.randrange(60))
            if received >= now:
                received = now - timedelta(hours=1)
            day = timezone.localtime(received).strftime("%Y%m%d")
            numbers[day] = numbers.get(day, 0) + 1
            building = rng.choice(buildings[grid.pk]) if buildings.get(grid.pk) else None
            lat, lng = grid.latitude, grid.longitude
            case = Case(
                number=f"{day}-{numbers[day]:04d}",
                area=grid,
                category=category,
                channel=rng.choices(Channel.values, weights=[30, 30, 15, 20, 3, 0, 2])[0],
                urgency=rng.choices(Urgency.values, weights=[88, 10, 2])[0],
                title=(title := rng.choice(PROBLEMS.get(category.code, [category.name]))),
                description=f"{title}。{rng.choice(DETAILS)}",
                building=building,
                address=building.address if building else "",
                latitude=(lat + Decimal(rng.uniform(-0.002, 0.002))).quantize(Decimal("0.000001"))
                if lat
                else None,
                longitude=(lng + Decimal(rng.uniform(-0.002, 0.002))).quantize(Decimal("0.000001"))
                if lng
                else None,
                reporter_name=fake.name(),
                reporter_phone=fake.phone_number(),
                first_receiver=community_staff.get(grid.path.rsplit("/", 1)[0]),
                received_at=received,
                attributes=_answers(category, rng),
            )
            if category.questions and not case.attributes:
                case.attributes = {}
            history = _simulate(case, rng, now, staff.get(grid.pk), department, calendar, due, later, step)
            case.refresh_handling_seconds()
            cases.append(case)
            events.append((case, history))
        with transaction.atomic():
            # Plain inserts (bulk_create compiled SQL per value: a quarter of the generator's time).
            insert_objects(Case, cases)
            ids = dict(Case.objects.filter(number__in=[c.number for c in cases]).values_list("number", "pk"))
            insert_rows(
                CaseEvent,
                [
                    "case_id",
                    "at",
                    "action",
                    "from_status",
                    "to_status",
                    "actor_label",
                    "note",
                    "data",
                    "public",
                ],
                (
                    (ids[case.number], at, action, frm, to, label, "", {}, True)
                    for case, history in events
                    for action, at, frm, to, label in history
                ),
            )
        made += len(cases)
    # Intake continues the days' numbering after the demo's cases.
    for day_key, last in numbers.items():
        when = datetime.strptime(day_key, "%Y%m%d").date()  # noqa: DTZ007  (a calendar day)
        CaseCounter.objects.update_or_create(day=when, defaults={"last": last})
    refresh_statistics()
    return made


def _answers(category: Category, rng: random.Random) -> dict[str, object]:
    out: dict[str, object] = {}
    for q in category.questions:
        if q["datatype"] == "singlevaluelist":
            out[q["code"]] = rng.choice(q["values"])["key"]
        elif q.get("required"):
            out[q["code"]] = "1"
    return out


def _demo_department(street: Area) -> Department:
    department = Department.objects.filter(code="DEMO-CG").first()
    if department is None:
        department = Department.objects.create(area=street, code="DEMO-CG", name="城管执法中队")
        department.members.set(User.objects.filter(role="department_handler", bindings__area=street))
        Category.objects.filter(code__in=["ORDER-STALLS", "BUILD-ILLEGAL"]).update(department=department)
    return department


def _staff(grids: list[Area]) -> dict[int, _Staff]:
    out: dict[int, _Staff] = {}
    paths = {g.path: g for g in grids}
    for a in GridAssignment.objects.filter(grid__in=grids, end_date__isnull=True).select_related(
        "user", "grid"
    ):
        entry = out.setdefault(a.grid_id, _Staff(None))
        if a.duty == GridAssignment.Duty.WORKER:
            entry.worker = a.user
    for path in paths:
        out.setdefault(paths[path].pk, _Staff(None))
    return out


def _simulate(case, rng, now, staff, department, calendar, due, later, step):
    """Walk the case through the workflow at plausible times; return its events."""
    history: list[tuple[str, datetime, str, str, str]] = []
    label = person_label(case.first_receiver) if case.first_receiver else "系统"
    status: str = Status.RECEIVED
    t = case.received_at
    history.append((A.RECEIVE, t, "", status, label))

    def move(action: str, to: str, at: datetime, who: str = label) -> None:
        nonlocal status, t
        history.append((action, at, status, to, who))
        status, t = to, at

    def stop_here(stage: str, started: datetime) -> None:
        case.status = status
        case.stage_started_at = started
        case.stage_due_at = due(case, stage, started)
        case.warn_at = started + (case.stage_due_at - started) * deadlines.WARN_SHARE
        if case.warn_at <= now:
            case.warned_at = case.warn_at
        if case.stage_due_at <= now:
            case.overdue_since = case.stage_due_at
            case.was_overdue = True
            steps = calendar.working_minutes_between(case.stage_due_at, now) // step
            case.escalation_level = min(3, 1 + steps)
            case.next_escalation_at = (
                calendar.add_working_minutes(case.stage_due_at, step * case.escalation_level)
                if case.escalation_level < 3
                else None
            )

    def outcome(p_done: float) -> bool:
        return rng.random() < p_done

    age_days = (now - case.received_at).days
    done = min(0.97, 0.25 + age_days / 12)  # older cases are further along
    late = 1.4 if rng.random() < 0.1 else 0.9
    if not outcome(done):
        stop_here(Stage.REGISTER, t)
        return history
    if rng.random() < 0.04:
        move(A.REJECT, Status.REJECTED, later(t, 0.9, case, Stage.REGISTER))
        case.status, case.closed_at = status, t
        return history
    move(A.REGISTER, Status.REGISTERED, later(t, late, case, Stage.REGISTER))
    case.registered_at = t
    case.close_due_at = deadlines.case_deadline(case, t, calendar)
    if t > due(case, Stage.REGISTER, case.received_at):
        case.was_overdue = True
    if not outcome(done):
        stop_here(Stage.DISPATCH, t)
        return history
    to_department = case.category.department_id is not None
    worker = None if to_department else (staff.worker if staff else None)
    if worker is None and not to_department:
        stop_here(Stage.DISPATCH, t)
        return history
    move(A.DISPATCH, Status.DISPATCHED, later(t, late, case, Stage.DISPATCH))
    case.dispatched_at = t
    case.assignee, case.department = (None, department) if to_department else (worker, None)
    handler = department.name if to_department else person_label(worker)
    handle_start = t
    if rng.random() < 0.05:
        move(A.RETURN, Status.REGISTERED, later(t, 0.3, case, Stage.HANDLE), handler)
        case.return_count = 1
        move(A.DISPATCH, Status.DISPATCHED, later(t, 0.5, case, Stage.DISPATCH))
        handle_start = t
    if not outcome(done):
        stop_here(Stage.HANDLE, handle_start)
        return history
    move(A.ACCEPT, Status.HANDLING, later(t, 0.1, case, Stage.HANDLE), handler)
    if not outcome(done):
        stop_here(Stage.HANDLE, handle_start)
        return history
    slow = rng.random() < 0.12
    move(A.FINISH, Status.HANDLED, later(handle_start, 1.5 if slow else 0.8, case, Stage.HANDLE), handler)
    if slow:
        case.was_overdue = True
    case.handled_at = t
    case.result = "已现场处置，问题已解决。"
    case.handler = case.assignee
    if rng.random() < 0.08:
        move(A.VERIFY, Status.VERIFYING, later(t, 0.2, case, Stage.VERIFY))
        move(A.REWORK, Status.HANDLING, later(t, 0.3, case, Stage.VERIFY))
        case.rework_count = 1
        rework_start = t
        if not outcome(done):
            stop_here(Stage.HANDLE, rework_start)
            return history
        move(A.FINISH, Status.HANDLED, later(t, 0.7, case, Stage.HANDLE), handler)
        case.handled_at = t
    if not outcome(done):
        stop_here(Stage.VERIFY, t)
        return history
    move(A.VERIFY, Status.VERIFYING, later(t, 0.3, case, Stage.VERIFY))
    move(A.PASS, Status.CLOSED, later(t, 0.6, case, Stage.VERIFY))
    case.status, case.closed_at = status, t
    case.stage_due_at = case.warn_at = None
    if rng.random() < 0.6:
        at = min(now - timedelta(minutes=1), t + timedelta(hours=rng.uniform(2, 72)))
        case.satisfaction = rng.choices(Satisfaction.values, weights=[75, 18, 7])[0]
        case.followed_up_at = at
        history.append((A.FOLLOW_UP, at, status, status, label))
    return history
