"""Cases in the JSON API: everything staff do on the pages, scoped and masked the same way."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Query, Router, Schema, Status
from pydantic import BaseModel, Field

from linli.accounts.models import User
from linli.api.schemas import ErrorOut, Id, PageNumber
from linli.areas.services import area_by_path
from linli.cases import actions, selectors, services
from linli.cases.export import period_bounds
from linli.cases.forms import leaf_categories
from linli.cases.models import OPEN_STATUSES, Case, ExtensionRequest, Notification
from linli.core.db import count_upto
from linli.core.errors import DomainError, Forbidden
from linli.core.http import acting_user
from linli.registry.models import Building, House, Resident

router = Router(tags=["cases"])
PAGE_SIZE = 50
ERRORS: dict[int, Any] = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut}


class CaseOut(Schema):
    id: int
    number: str
    title: str
    description: str
    status: str
    status_label: str
    category: str
    category_name: str
    channel: str
    urgency: str
    area_path: str
    address: str
    latitude: Decimal | None
    longitude: Decimal | None
    building_id: int | None
    house_id: int | None
    resident_id: int | None
    reporter_name: str
    reporter_phone: str  # masked unless revealed
    attributes: dict[str, Any]
    first_receiver: str | None
    assignee: str | None
    department: str | None
    result: str
    received_at: datetime
    stage_due_at: datetime | None
    close_due_at: datetime | None
    closed_at: datetime | None
    overdue: bool
    escalation_level: int
    rework_count: int
    return_count: int
    satisfaction: str


class EventOut(Schema):
    at: datetime
    action: str
    action_label: str
    actor: str
    from_status: str
    to_status: str
    note: str
    data: dict[str, Any]


class CaseDetailOut(CaseOut):
    events: list[EventOut]
    available_actions: list[str]
    possible_duplicates: list[str]
    pending_extension_id: int | None


def _out(case: Case, user: User, *, reveal: bool = False) -> dict[str, Any]:
    return {
        "id": case.pk,
        "number": case.number,
        "title": case.title,
        "description": case.description,
        "status": case.status,
        "status_label": case.get_status_display(),
        "category": case.category.code,
        "category_name": case.category.name,
        "channel": case.channel,
        "urgency": case.urgency,
        "area_path": case.area.path,
        "address": case.address,
        "latitude": case.latitude,
        "longitude": case.longitude,
        "building_id": case.building_id,
        "house_id": case.house_id,
        "resident_id": case.resident_id,
        "reporter_name": case.reporter_name,
        "reporter_phone": selectors.reporter_phone(case, user, reveal=reveal),
        "attributes": case.attributes,
        "first_receiver": case.first_receiver.username if case.first_receiver else None,
        "assignee": case.assignee.username if case.assignee else None,
        "department": case.department.code if case.department else None,
        "result": case.result,
        "received_at": case.received_at,
        "stage_due_at": case.stage_due_at,
        "close_due_at": case.close_due_at,
        "closed_at": case.closed_at,
        "overdue": case.is_overdue,
        "escalation_level": case.escalation_level,
        "rework_count": case.rework_count,
        "return_count": case.return_count,
        "satisfaction": case.satisfaction,
    }


def _cases(user: User) -> QuerySet[Case]:
    return Case.objects.visible_to(user).select_related(
        "area", "category", "first_receiver", "assignee", "department"
    )


def _detail(case: Case, user: User, *, reveal: bool = False) -> dict[str, Any]:
    data = _out(case, user, reveal=reveal)
    data["events"] = [
        {
            "at": e.at,
            "action": e.action,
            "action_label": e.get_action_display(),
            "actor": e.who,  # type: ignore[attr-defined]
            "from_status": e.from_status,
            "to_status": e.to_status,
            "note": e.note,
            "data": e.data,
        }
        for e in selectors.history(case)
    ]
    data["available_actions"] = selectors.available_actions(case, user)
    data["possible_duplicates"] = [d.number for d in selectors.possible_duplicates(case, user)]
    pending = case.extensions.filter(decision=ExtensionRequest.Decision.PENDING).first()
    data["pending_extension_id"] = pending.pk if pending else None
    return data


class CaseFilter(Schema):
    search: str | None = None  # number prefix, words of the title, or the reporter's name
    status: str | None = None  # a status, or "open"
    category: str | None = None  # leaf code
    area: str | None = None  # code path; its subtree
    overdue: bool = False
    channel: str | None = None  # walk_in, phone, online, patrol, open_day, visit, api
    alert: str | None = None  # "overdue" (overdue now) or "red" (on a red card)
    start: date | None = None  # received on or after this day
    end: date | None = None  # received on or before this day
    sort: str | None = None  # "received" (newest first, the default) or "deadline" (soonest first)
    mine: bool = False  # only what waits for me
    page: PageNumber = 1


# List rows are plain pydantic models, not ninja Schemas: ninja wraps every value of a Schema for
# attribute access, 6 ms of a 50-row case page's 18 ms. (Also ResidentOut.)
class CaseSummaryOut(BaseModel):
    """A row of the case list: what a list shows. The case itself (GET /cases/{id}) has everything."""

    id: int
    number: str
    title: str
    status: str
    status_label: str
    category: str
    category_name: str
    urgency: str
    area_path: str
    area_name: str
    assignee: str | None
    department: str | None
    received_at: datetime
    stage_due_at: datetime | None
    overdue: bool
    escalation_level: int


class CasePage(BaseModel):
    items: list[CaseSummaryOut]
    count: int
    count_exact: bool = Field(
        True,
        description="false when more than 10,000 cases match: count is then 10,000 and means "
        "'more than 10,000' (pages beyond it are still served)",
    )


# The list's own columns; names of the category, area, assignee and department are looked up after.
SUMMARY_COLUMNS = (
    "pk",
    "number",
    "title",
    "status",
    "category_id",
    "urgency",
    "area_id",
    "assignee_id",
    "department_id",
    "received_at",
    "stage_due_at",
    "overdue_since",
    "escalation_level",
)


def summaries(qs: QuerySet[Case]) -> list[dict[str, Any]]:
    """List rows: the page from the case table alone, then its rows' names in one small query.

    With the four joins in the page query PostgreSQL spent 3.6 ms planning it (the case table's
    indexes give every join order many paths) to run it in 0.8 ms; without them, 0.25 ms.
    """
    labels = dict(Case.Status.choices)
    page = list(qs.values(*SUMMARY_COLUMNS))
    names = selectors.summary_names(page)
    rows = []
    for c in page:
        area_path, area_name = names.areas[c["area_id"]]  # "锦绣社区 · 第一网格"
        category, category_name = names.categories[c["category_id"]]
        rows.append(
            {
                "id": c["pk"],
                "number": c["number"],
                "title": c["title"],
                "status": c["status"],
                "status_label": labels[c["status"]],
                "category": category,
                "category_name": category_name,
                "urgency": c["urgency"],
                "area_path": area_path,
                "area_name": area_name,
                "assignee": names.users.get(c["assignee_id"]),
                "department": names.departments.get(c["department_id"]),
                "received_at": c["received_at"],
                "stage_due_at": c["stage_due_at"],
                "overdue": c["overdue_since"] is not None and c["status"] in OPEN_STATUSES,
                "escalation_level": c["escalation_level"],
            }
        )
    return rows


@router.get("/cases", response=CasePage, summary="Cases in scope, newest first; reporters' phones masked")
def list_cases(request: HttpRequest, filters: Query[CaseFilter]) -> dict[str, Any]:
    user = acting_user(request)
    qs = selectors.todo(user) if filters.mine else Case.objects.visible_to(user)
    qs = selectors.filter_cases(
        qs,
        search=filters.search or "",
        status=filters.status or "",
        category=filters.category or "",
        area=filters.area or "",
        overdue=filters.overdue,
        channel=filters.channel or "",
        alert=filters.alert or "",
        start=filters.start,
        end=filters.end,
    )
    start = (filters.page - 1) * PAGE_SIZE
    # The count stops after LINLI_SEARCH_COUNT_CAP cases, as a resident search's does: an exact count
    # reads every match (a street's 24,000 open cases: 2.1 ms of PostgreSQL's time, against 0.9 ms for
    # 10,001), and no one pages through 200 pages of 50.
    cap = settings.LINLI_SEARCH_COUNT_CAP
    count = count_upto(qs, cap)
    return {
        "items": summaries(selectors.ordered(qs, filters.sort or "")[start : start + PAGE_SIZE]),
        "count": min(count, cap),
        "count_exact": count <= cap,
    }


class CaseIn(Schema):
    category: str  # leaf code, e.g. ENV-PETS
    channel: str
    title: str
    description: str
    urgency: str = "normal"
    area: str | None = None  # code path of a grid or community
    building_id: Id | None = None
    house_id: Id | None = None
    resident_id: Id | None = None
    address: str = ""
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    reporter_name: str = ""
    reporter_phone: str = ""
    attributes: dict[str, Any] = {}


@router.post("/cases", response={201: CaseDetailOut, **ERRORS}, summary="Receive (受理) a case")
def create_case(request: HttpRequest, payload: CaseIn) -> Status[dict[str, Any]]:
    user = acting_user(request)
    category = leaf_categories().filter(code=payload.category.strip().upper()).first()
    if category is None:
        raise DomainError(f"Unknown case category '{payload.category}'.", field="category")
    building = (
        get_object_or_404(Building.objects.visible_to(user), pk=payload.building_id)
        if payload.building_id
        else None
    )
    house = (
        get_object_or_404(House.objects.visible_to(user), pk=payload.house_id) if payload.house_id else None
    )
    resident = (
        get_object_or_404(Resident.objects.visible_to(user), pk=payload.resident_id)
        if payload.resident_id
        else None
    )
    with transaction.atomic():
        case = services.case_create(
            actor=user,
            category=category,
            channel=payload.channel,
            urgency=payload.urgency,
            title=payload.title,
            description=payload.description,
            area=area_by_path(payload.area, actor=user) if payload.area else None,
            building=building,
            house=house,
            resident=resident,
            address=payload.address,
            latitude=payload.latitude,
            longitude=payload.longitude,
            reporter_name=payload.reporter_name,
            reporter_phone=payload.reporter_phone,
            attributes=payload.attributes,
        )
    return Status(201, _detail(get_object_or_404(_cases(user), pk=case.pk), user))


@router.get("/cases/{case_id}", response={200: CaseDetailOut, **ERRORS})
def get_case(request: HttpRequest, case_id: Id, reveal: bool = False) -> dict[str, Any]:
    """One case with its timeline. `reveal=true` shows the reporter's phone to those allowed, audited."""
    user = acting_user(request)
    case = get_object_or_404(_cases(user), pk=case_id)
    try:
        return _detail(case, user, reveal=reveal)
    except DomainError as exc:
        raise Forbidden(exc.message) from exc


class ActionIn(Schema):
    action: str  # register, reject, dispatch, accept, return, finish, verify, pass, rework, follow_up, reopen, merge, extension_request
    note: str = ""  # the reason, where the move needs one
    assignee: str | None = None  # username (dispatch)
    department: str | None = None  # department code (dispatch)
    result: str | None = None  # finish
    satisfaction: str | None = None  # follow_up: satisfied, basically, dissatisfied
    into: str | None = None  # merge: number of the open case this one repeats
    amount: int | None = None  # extension_request
    unit: str | None = None  # extension_request: hours or days


@router.post("/cases/{case_id}/actions", response={200: CaseDetailOut, 409: ErrorOut, **ERRORS})
def act_on_case(request: HttpRequest, case_id: Id, payload: ActionIn) -> Any:
    """Make one move of the workflow. A move the case's status does not allow (someone was faster) is 409."""
    user = acting_user(request)
    case = get_object_or_404(_cases(user), pk=case_id)
    if payload.action not in actions.ACTIONS:
        raise DomainError(f"Unknown action '{payload.action}'.", field="action")
    try:
        actions.perform(actor=user, case=case, action=payload.action, data=payload.dict())
    except DomainError as exc:
        if exc.code == "conflict":
            return Status(409, {"detail": exc.message, "field": None, "code": "conflict"})
        raise
    return _detail(get_object_or_404(_cases(user), pk=case_id), user)


class LocationIn(Schema):
    area: str | None = None  # code path of a grid or community
    building_id: Id | None = None
    house_id: Id | None = None
    address: str | None = None  # the address text; left out = unchanged
    note: str = ""


@router.post("/cases/{case_id}/location", response={200: CaseDetailOut, 409: ErrorOut, **ERRORS})
def relocate_case(request: HttpRequest, case_id: Id, payload: LocationIn) -> Any:
    """Set or correct where an open case is (dispatchers). A building or house puts it in its grid;
    the routing suggestion follows. Recorded in the case's history."""
    user = acting_user(request)
    case = get_object_or_404(_cases(user), pk=case_id)
    building = (
        get_object_or_404(Building.objects.visible_to(user), pk=payload.building_id)
        if payload.building_id
        else None
    )
    house = (
        get_object_or_404(House.objects.visible_to(user), pk=payload.house_id) if payload.house_id else None
    )
    try:
        services.case_relocate(
            actor=user,
            case=case,
            area=area_by_path(payload.area, actor=user) if payload.area else None,
            building=building,
            house=house,
            address=payload.address,
            note=payload.note,
        )
    except DomainError as exc:
        if exc.code == "conflict":
            return Status(409, {"detail": exc.message, "field": None, "code": "conflict"})
        raise
    return _detail(get_object_or_404(_cases(user), pk=case_id), user)


class CommentIn(Schema):
    note: str


@router.post("/cases/{case_id}/comments", response={201: EventOut, **ERRORS})
def comment_case(request: HttpRequest, case_id: Id, payload: CommentIn) -> Status[dict[str, Any]]:
    user = acting_user(request)
    case = get_object_or_404(_cases(user), pk=case_id)
    event = services.case_comment(actor=user, case=case, note=payload.note)
    return Status(
        201,
        {
            "at": event.at,
            "action": event.action,
            "action_label": event.get_action_display(),
            "actor": event.actor_label,
            "from_status": event.from_status,
            "to_status": event.to_status,
            "note": event.note,
            "data": event.data,
        },
    )


class DecisionIn(Schema):
    approve: bool
    note: str = ""


@router.post("/case-extensions/{extension_id}/decision", response={200: CaseDetailOut, **ERRORS})
def decide_extension(request: HttpRequest, extension_id: Id, payload: DecisionIn) -> dict[str, Any]:
    """Approve or deny a pending extension request (community leaders, street admins)."""
    user = acting_user(request)
    extension = get_object_or_404(ExtensionRequest.objects.visible_to(user), pk=extension_id)
    services.extension_decide(actor=user, extension=extension, approve=payload.approve, note=payload.note)
    return _detail(get_object_or_404(_cases(user), pk=extension.case_id), user)


class LimitOut(Schema):
    stage: str
    amount: int
    unit: str


class CategoryOut(Schema):
    code: str
    name: str
    group: str
    department: str | None
    limits: list[LimitOut]
    questions: list[dict[str, Any]]


@router.get("/case-categories", response=list[CategoryOut], summary="Leaf categories cases are filed under")
def list_categories(request: HttpRequest) -> list[dict[str, Any]]:
    acting_user(request)
    return [
        {
            "code": c.code,
            "name": c.name,
            "group": c.parent.name if c.parent else "",
            "department": c.department.code if c.department else None,
            "limits": [
                {"stage": s, "amount": a, "unit": u}
                for s, (a, u) in services.deadlines.limits_of(c.pk).items()
            ],
            "questions": c.questions,
        }
        for c in leaf_categories().select_related("department")
    ]


class NotificationOut(Schema):
    id: int
    kind: str
    text: str
    case_id: int | None
    created_at: datetime
    read: bool


class InboxOut(Schema):
    todo: list[CaseSummaryOut]
    notifications: list[NotificationOut]


@router.get("/inbox", response=InboxOut, summary="What waits for me, and my latest notifications")
def inbox(request: HttpRequest) -> dict[str, Any]:
    user = acting_user(request)
    notes = Notification.objects.filter(user=user)[:100]
    return {
        "todo": summaries(selectors.todo(user)[:200]),
        "notifications": [
            {
                "id": n.pk,
                "kind": n.kind,
                "text": n.text,
                "case_id": n.case_id,
                "created_at": n.created_at,
                "read": n.read_at is not None,
            }
            for n in notes
        ],
    }


class ReadIn(Schema):
    ids: list[Id] | None = None  # none = all


@router.post("/inbox/read", response={200: dict[str, int]})
def inbox_read(request: HttpRequest, payload: ReadIn) -> dict[str, int]:
    return {"marked": services.mark_read(user=acting_user(request), ids=payload.ids)}


class IndicatorFilter(Schema):
    group: str = "grid"  # grid, worker, department, category
    start: date | None = None  # received on or after; default the 1st of this month
    end: date | None = None  # received on or before; default today


class IndicatorOut(Schema):
    key: str
    label: str
    values: dict[str, float | int | None]


class IndicatorsOut(Schema):
    start: date
    end: date
    group: str
    rows: list[IndicatorOut]
    total: IndicatorOut


@router.get(
    "/case-indicators", response={200: IndicatorsOut, **ERRORS}, summary="On-time closure and other rates"
)
def case_indicators(request: HttpRequest, filters: Query[IndicatorFilter]) -> dict[str, Any]:
    user = acting_user(request)
    if filters.group not in selectors.GROUPS:
        raise DomainError("group must be grid, worker, department or category.", field="group")
    today = timezone.localdate()
    start, end = filters.start or today.replace(day=1), filters.end or today
    if end < start:
        raise DomainError("end is before start.", field="end")
    since, until = period_bounds(start, end)
    rows, total = selectors.indicators(
        Case.objects.visible_to(user), group=filters.group, start=since, end=until
    )

    def out(row: selectors.IndicatorRow) -> dict[str, Any]:
        names = [n for n, _ in selectors.INDICATOR_TITLES]
        return {
            "key": row.key,
            "label": row.label,
            "values": {n: selectors.indicator_value(row, n) for n in names},
        }

    return {
        "start": start,
        "end": end,
        "group": filters.group,
        "rows": [out(r) for r in rows],
        "total": out(total),
    }
