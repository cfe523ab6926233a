"""Visits in the JSON API: the log, to-do lists, coverage, 八必访, care plans, pairings, the field diary.

The same services and selectors as the pages; everything is limited to the caller's data scope.
"""

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Query, Router, Schema, Status

from linli.accounts.models import User
from linli.accounts.roles import Capability
from linli.api.schemas import ErrorOut, Id, PageNumber
from linli.areas.services import area_by_path
from linli.cases.forms import leaf_categories
from linli.core.errors import DomainError
from linli.core.http import acting_user
from linli.core.scoping import subtree_q
from linli.registry.models import Household, Resident, Tag
from linli.visits import selectors, services
from linli.visits.models import CarePlan, DiaryEntry, Pairing, TaskStatus, Visit, VisitTarget, VisitTask

router = Router(tags=["visits"])
PAGE_SIZE = 50
ERRORS: dict[int, Any] = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut}


def _area(user: User, path: str | None) -> Any:
    if not path:
        return None
    return area_by_path(path, actor=user)


def _page(qs: QuerySet[Any], page: int) -> QuerySet[Any]:
    start = (page - 1) * PAGE_SIZE
    return qs[start : start + PAGE_SIZE]


# --- the log ---------------------------------------------------------------------------------


class VisitOut(Schema):
    id: int
    resident_id: int | None
    household_id: int | None
    subject: str
    grid_path: str
    mode: str
    mode_label: str
    visited_on: date
    visitor: str
    observations: str
    needs: str
    latitude: Decimal | None
    longitude: Decimal | None
    case_numbers: list[str]


def _visit_out(v: Visit) -> dict[str, Any]:
    return {
        "id": v.pk,
        "resident_id": v.resident_id,
        "household_id": v.household_id,
        "subject": v.subject_label,
        "grid_path": v.grid.path,
        "mode": v.mode,
        "mode_label": v.get_mode_display(),
        "visited_on": v.visited_on,
        "visitor": v.visitor_label,
        "observations": v.observations,
        "needs": v.needs,
        "latitude": v.latitude,
        "longitude": v.longitude,
        "case_numbers": [link.case.number for link in v.case_links.all()],
    }


def _visits(user: User) -> QuerySet[Visit]:
    return (
        Visit.objects.visible_to(user)
        .select_related("resident", "household__house__building", "grid")
        .prefetch_related("case_links__case")
    )


class VisitFilter(Schema):
    start: date | None = None  # default: 30 days before `end`
    end: date | None = None  # default: today
    area: str | None = None  # code path; its subtree
    resident_id: Id | None = None
    mode: str | None = None
    mine: bool = False
    page: PageNumber = 1


class VisitPage(Schema):
    items: list[VisitOut]
    count: int


@router.get("/visits", response={200: VisitPage, **ERRORS}, summary="The visit log in scope, newest first")
def list_visits(request: HttpRequest, filters: Query[VisitFilter]) -> dict[str, Any]:
    user = acting_user(request)
    end = filters.end or timezone.localdate()
    start = filters.start or end - timedelta(days=29)
    if end < start:
        raise DomainError("'end' is before 'start'.", field="end")
    qs = _visits(user).filter(visited_on__gte=start, visited_on__lte=end)
    if (area := _area(user, filters.area)) is not None:
        qs = qs.filter(subtree_q([area.path], "grid__path"))
    if filters.resident_id:
        qs = qs.filter(resident_id=filters.resident_id)
    if filters.mode:
        qs = qs.filter(mode=filters.mode)
    if filters.mine:
        qs = qs.filter(visitor=user)
    qs = qs.order_by("-visited_on", "-pk")
    return {"items": [_visit_out(v) for v in _page(qs, filters.page)], "count": qs.count()}


class VisitIn(Schema):
    resident_id: Id | None = None
    household_id: Id | None = None  # a household visit counts for every member
    mode: str = "in_person"  # in_person | phone | neighbour
    visited_on: date | None = None  # default today; up to a year back
    observations: str
    needs: str = ""
    latitude: Decimal | None = None
    longitude: Decimal | None = None


@router.post("/visits", response={201: VisitOut, **ERRORS}, summary="Log a visit")
def create_visit(request: HttpRequest, payload: VisitIn) -> Status[dict[str, Any]]:
    user = acting_user(request)
    resident = household = None
    if payload.resident_id is not None:
        resident = get_object_or_404(
            Resident.objects.visible_to(user).select_related("grid"), pk=payload.resident_id
        )
    if payload.household_id is not None:
        household = get_object_or_404(
            Household.objects.visible_to(user).select_related("house__building__grid"),
            pk=payload.household_id,
        )
    visit = services.visit_create(
        actor=user,
        resident=resident,
        household=household,
        mode=payload.mode,
        visited_on=payload.visited_on,
        observations=payload.observations,
        needs=payload.needs,
        latitude=payload.latitude,
        longitude=payload.longitude,
    )
    return Status(201, _visit_out(_visits(user).get(pk=visit.pk)))


@router.get("/visits/{visit_id}", response={200: VisitOut, **ERRORS}, summary="One visit")
def get_visit(request: HttpRequest, visit_id: Id) -> dict[str, Any]:
    return _visit_out(get_object_or_404(_visits(acting_user(request)), pk=visit_id))


class NeedIn(Schema):
    category: str  # leaf code
    title: str
    description: str = ""  # default: the visit's needs
    urgency: str = "normal"


class CaseRef(Schema):
    id: int
    number: str


@router.post(
    "/visits/{visit_id}/case",
    response={201: CaseRef, **ERRORS},
    summary="Turn a need found on the visit into a case (linked both ways)",
)
def visit_to_case(request: HttpRequest, visit_id: Id, payload: NeedIn) -> Status[dict[str, Any]]:
    user = acting_user(request)
    visit = get_object_or_404(_visits(user), pk=visit_id)
    category = leaf_categories().filter(code=payload.category.strip().upper()).first()
    if category is None:
        raise DomainError(f"Unknown case category '{payload.category}'.", field="category")
    case = services.visit_need_to_case(
        actor=user,
        visit=visit,
        category=category,
        title=payload.title,
        description=payload.description,
        urgency=payload.urgency,
    )
    return Status(201, {"id": case.pk, "number": case.number})


# --- who is due --------------------------------------------------------------------------------


class TargetOut(Schema):
    resident_id: int
    resident_name: str
    grid_path: str
    reasons: str
    interval_days: int
    last_visited_on: date | None
    due_on: date
    overdue: bool
    visitor: str | None


def _target_out(t: VisitTarget, user: User, tags: dict[str, Tag], today: date) -> dict[str, Any]:
    return {
        "resident_id": t.resident_id,
        "resident_name": t.resident.name,
        "grid_path": t.grid.path,
        "reasons": selectors.reason_text(t.reasons, user, tags),
        "interval_days": t.interval_days,
        "last_visited_on": t.last_visited_on,
        "due_on": t.due_on,
        "overdue": t.due_on < today,
        "visitor": t.visitor.username if t.visitor else None,
    }


class TaskOut(Schema):
    id: int
    resident_id: int
    resident_name: str
    grid_path: str
    trigger: str
    trigger_label: str
    note: str
    status: str
    reported_at: datetime
    due_at: datetime
    overdue: bool
    assignee: str | None
    visit_id: int | None


def _task_out(t: VisitTask, now: datetime) -> dict[str, Any]:
    return {
        "id": t.pk,
        "resident_id": t.resident_id,
        "resident_name": t.resident.name,
        "grid_path": t.grid.path,
        "trigger": t.trigger,
        "trigger_label": t.get_trigger_display(),
        "note": t.note,
        "status": t.status,
        "reported_at": t.reported_at,
        "due_at": t.due_at,
        "overdue": t.status == TaskStatus.OPEN and t.due_at <= now,
        "assignee": t.assignee.username if t.assignee else None,
        "visit_id": t.visit_id,
    }


class TodoOut(Schema):
    tasks: list[TaskOut]
    overdue: list[TargetOut]
    due_soon: list[TargetOut]
    unassigned: int


@router.get(
    "/visits-todo",
    response=TodoOut,
    summary="My visits: open 八必访 tasks, people overdue, due within 7 days",
)
def visits_todo(request: HttpRequest) -> dict[str, Any]:
    user = acting_user(request)
    todo = selectors.todo(user)
    tags = {t.code: t for t in Tag.objects.all()}
    today, now = timezone.localdate(), timezone.now()
    return {
        "tasks": [_task_out(t, now) for t in todo.tasks],
        "overdue": [_target_out(t, user, tags, today) for t in todo.overdue],
        "due_soon": [_target_out(t, user, tags, today) for t in todo.soon],
        "unassigned": todo.unassigned,
    }


class TargetFilter(Schema):
    state: str | None = None  # overdue | soon | never | ok
    area: str | None = None
    mine: bool = False
    page: PageNumber = 1


class TargetPage(Schema):
    items: list[TargetOut]
    count: int


@router.get(
    "/visit-targets", response={200: TargetPage, **ERRORS}, summary="People care plans cover, by due date"
)
def list_targets(request: HttpRequest, filters: Query[TargetFilter]) -> dict[str, Any]:
    user = acting_user(request)
    today = timezone.localdate()
    if filters.state and filters.state not in selectors.TARGET_STATES:
        raise DomainError(f"'state' must be one of {', '.join(selectors.TARGET_STATES)}.", field="state")
    qs: QuerySet[VisitTarget] = VisitTarget.objects.visible_to(user).select_related(
        "resident", "grid", "visitor"
    )
    if (area := _area(user, filters.area)) is not None:
        qs = qs.filter(subtree_q([area.path], "grid__path"))
    qs = selectors.filter_targets(qs, filters.state or "", today)
    if filters.mine:
        qs = qs.filter(visitor=user)
    qs = qs.order_by("due_on", "pk")
    tags = {t.code: t for t in Tag.objects.all()}
    return {
        "items": [_target_out(t, user, tags, today) for t in _page(qs, filters.page)],
        "count": qs.count(),
    }


class CoverageRowOut(Schema):
    key: str
    label: str
    targets: int
    on_time: int
    on_time_rate: float | None
    overdue: int
    never: int
    visits: int
    in_person: int
    tasks_open: int
    tasks_overdue: int


class CoverageOut(Schema):
    group: str
    rows: list[CoverageRowOut]
    total: CoverageRowOut


def _row(r: selectors.CoverageRow) -> dict[str, Any]:
    return {**{name: getattr(r, name) for name in CoverageRowOut.model_fields}}


@router.get(
    "/visit-coverage",
    response={200: CoverageOut, **ERRORS},
    summary="Coverage per grid or community: on time, overdue, never visited; visits made in the period",
)
def visit_coverage(
    request: HttpRequest,
    group: str = "grid",
    area: str | None = None,
    start: date | None = None,
    end: date | None = None,
) -> dict[str, Any]:
    user = acting_user(request)
    if group not in selectors.GROUP_LABELS:
        raise DomainError("'group' must be grid or community.", field="group")
    if start and end and end < start:
        raise DomainError("'end' is before 'start'.", field="end")
    rows, total = selectors.coverage(user, group=group, area=_area(user, area), start=start, end=end)
    return {"group": group, "rows": [_row(r) for r in rows], "total": _row(total)}


# --- 八必访 ------------------------------------------------------------------------------------------


class TaskPage(Schema):
    items: list[TaskOut]
    count: int


@router.get(
    "/visit-tasks", response={200: TaskPage, **ERRORS}, summary="Mandatory-visit (八必访) tasks in scope"
)
def list_tasks(
    request: HttpRequest, status: str = "open", mine: bool = False, page: PageNumber = 1
) -> dict[str, Any]:
    user = acting_user(request)
    if status not in TaskStatus.values:
        raise DomainError(f"'status' must be one of {', '.join(TaskStatus.values)}.", field="status")
    qs = (
        VisitTask.objects.visible_to(user)
        .filter(status=status)
        .select_related("resident", "grid", "assignee")
    )
    if mine:
        qs = qs.filter(assignee=user)
    qs = qs.order_by("due_at", "pk")
    now = timezone.now()
    return {"items": [_task_out(t, now) for t in _page(qs, page)], "count": qs.count()}


class TaskIn(Schema):
    resident_id: Id
    trigger: str  # hospitalised | hardship | accident | family_conflict | neighbour_dispute | benefits | worries | major_event
    note: str


@router.post(
    "/visit-tasks", response={201: TaskOut, **ERRORS}, summary="Record a 八必访 event: creates a visit task"
)
def create_task(request: HttpRequest, payload: TaskIn) -> Status[dict[str, Any]]:
    user = acting_user(request)
    resident = get_object_or_404(
        Resident.objects.visible_to(user).select_related("grid"), pk=payload.resident_id
    )
    task = services.task_create(actor=user, resident=resident, trigger=payload.trigger, note=payload.note)
    return Status(201, _task_out(task, timezone.now()))


class ReasonIn(Schema):
    reason: str


@router.post(
    "/visit-tasks/{task_id}/cancel", response={200: TaskOut, **ERRORS}, summary="Cancel a 八必访 task"
)
def cancel_task(request: HttpRequest, task_id: Id, payload: ReasonIn) -> dict[str, Any]:
    user = acting_user(request)
    task = get_object_or_404(
        VisitTask.objects.visible_to(user).select_related("resident", "grid"), pk=task_id
    )
    return _task_out(services.task_cancel(actor=user, task=task, reason=payload.reason), timezone.now())


# --- care plans and pairings ------------------------------------------------------------------------


class PlanOut(Schema):
    id: int
    area_path: str
    tag: str | None
    resident_id: int | None
    interval_days: int
    active: bool
    note: str


def _plan_out(p: CarePlan) -> dict[str, Any]:
    return {
        "id": p.pk,
        "area_path": p.area.path,
        "tag": p.tag.code if p.tag else None,
        "resident_id": p.resident_id,
        "interval_days": p.interval_days,
        "active": p.active,
        "note": p.note,
    }


@router.get(
    "/care-plans",
    response=list[PlanOut],
    summary="Care plans in scope (sensitive tags only if you may see them)",
)
def list_plans(request: HttpRequest) -> list[dict[str, Any]]:
    user = acting_user(request)
    plans = CarePlan.objects.visible_to(user).select_related("area", "tag").order_by("area__path", "pk")
    if not user.can(Capability.VIEW_SENSITIVE):
        plans = plans.exclude(tag__sensitive=True)
    return [_plan_out(p) for p in plans]


class PlanIn(Schema):
    interval_days: int
    area: str | None = None  # code path, for a tag plan
    tag: str | None = None  # tag code
    resident_id: Id | None = None  # or a plan for one person
    note: str = ""


@router.post(
    "/care-plans", response={201: PlanOut, **ERRORS}, summary="Add a care plan (by tag, or for one resident)"
)
def create_plan(request: HttpRequest, payload: PlanIn) -> Status[dict[str, Any]]:
    user = acting_user(request)
    tag = None
    if payload.tag:
        tag = Tag.objects.filter(code=payload.tag.strip()).first()
        if tag is None:
            raise DomainError(f"Unknown tag '{payload.tag}'.", field="tag")
    resident = None
    if payload.resident_id is not None:
        resident = get_object_or_404(
            Resident.objects.visible_to(user).select_related("grid"), pk=payload.resident_id
        )
    plan = services.care_plan_create(
        actor=user,
        area=_area(user, payload.area),
        tag=tag,
        resident=resident,
        interval_days=payload.interval_days,
        note=payload.note,
    )
    return Status(201, _plan_out(plan))


class PlanPatch(Schema):
    interval_days: int | None = None
    active: bool | None = None
    note: str | None = None


@router.patch("/care-plans/{plan_id}", response={200: PlanOut, **ERRORS}, summary="Change a care plan")
def update_plan(request: HttpRequest, plan_id: Id, payload: PlanPatch) -> dict[str, Any]:
    user = acting_user(request)
    plan = get_object_or_404(CarePlan.objects.visible_to(user).select_related("area", "tag"), pk=plan_id)
    plan = services.care_plan_update(
        actor=user, plan=plan, interval_days=payload.interval_days, active=payload.active, note=payload.note
    )
    return _plan_out(plan)


class PairingOut(Schema):
    id: int
    resident_id: int
    visitor: str
    kind: str
    start_date: date
    end_date: date | None


def _pairing_out(p: Pairing) -> dict[str, Any]:
    return {
        "id": p.pk,
        "resident_id": p.resident_id,
        "visitor": p.visitor.username,
        "kind": p.kind,
        "start_date": p.start_date,
        "end_date": p.end_date,
    }


class PairingIn(Schema):
    resident_id: Id
    visitor: str  # username
    kind: str = "worker"  # worker | party_member | volunteer
    start_date: date | None = None
    note: str = ""


@router.post(
    "/pairings", response={201: PairingOut, **ERRORS}, summary="Pair a resident with a visitor (结对)"
)
def create_pairing(request: HttpRequest, payload: PairingIn) -> Status[dict[str, Any]]:
    user = acting_user(request)
    resident = get_object_or_404(
        Resident.objects.visible_to(user).select_related("grid"), pk=payload.resident_id
    )
    visitor = User.objects.visible_to(user).filter(username=payload.visitor.strip()).first()
    if visitor is None:
        raise DomainError(f"Unknown user '{payload.visitor}'.", field="visitor")
    pairing = services.pairing_create(
        actor=user,
        resident=resident,
        visitor=visitor,
        kind=payload.kind,
        start_date=payload.start_date,
        note=payload.note,
    )
    return Status(201, _pairing_out(pairing))


@router.post(
    "/pairings/{pairing_id}/end", response={200: PairingOut, **ERRORS}, summary="End a pairing today"
)
def end_pairing(request: HttpRequest, pairing_id: Id) -> dict[str, Any]:
    user = acting_user(request)
    pairing = get_object_or_404(
        Pairing.objects.visible_to(user).select_related("resident__grid", "visitor"), pk=pairing_id
    )
    return _pairing_out(services.pairing_end(actor=user, pairing=pairing))


# --- the field diary ------------------------------------------------------------------------------


class DiaryOut(Schema):
    id: int
    day: date
    author: str
    area_path: str
    text: str


def _diary_out(e: DiaryEntry) -> dict[str, Any]:
    return {"id": e.pk, "day": e.day, "author": e.author.username, "area_path": e.area.path, "text": e.text}


class DiaryPage(Schema):
    items: list[DiaryOut]
    count: int


@router.get("/diary", response=DiaryPage, summary="Field diaries (民情日记) in scope; q searches the text")
def list_diary(request: HttpRequest, q: str = "", mine: bool = False, page: PageNumber = 1) -> dict[str, Any]:
    user = acting_user(request)
    qs = DiaryEntry.objects.visible_to(user).select_related("author", "area")
    if q.strip():
        qs = qs.filter(text__icontains=q.strip()[:50])
    if mine:
        qs = qs.filter(author=user)
    qs = qs.order_by("-day", "-pk")
    return {"items": [_diary_out(e) for e in _page(qs, page)], "count": qs.count()}


class DiaryIn(Schema):
    text: str
    day: date | None = None
    area: str | None = None  # default: the author's own (most specific) area


@router.post("/diary", response={201: DiaryOut, **ERRORS}, summary="Write a field-diary entry")
def create_diary(request: HttpRequest, payload: DiaryIn) -> Status[dict[str, Any]]:
    user = acting_user(request)
    entry = services.diary_create(
        actor=user, text=payload.text, day=payload.day, area=_area(user, payload.area)
    )
    return Status(201, _diary_out(entry))
