"""Opinions (社情民意) and open days (社情民意联系日) in the JSON API: the same services and selectors as
the pages; everything limited to the caller's data scope."""

from datetime import date, datetime, time
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema, Status

from linli.accounts.models import User
from linli.api.schemas import ErrorOut, Id, PageNumber
from linli.areas.models import Area
from linli.areas.services import area_by_path
from linli.cases.forms import leaf_categories
from linli.core.errors import DomainError
from linli.core.http import acting_user
from linli.core.permissions import Capability, require
from linli.core.scoping import subtree_q
from linli.opinions import selectors, services
from linli.opinions.models import OpenDay, Opinion

router = Router(tags=["opinions"])
PAGE_SIZE = 50
ERRORS: dict[int, Any] = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut}


def _page(qs: QuerySet[Any], page: int) -> QuerySet[Any]:
    start = (page - 1) * PAGE_SIZE
    return qs[start : start + PAGE_SIZE]


class OpinionOut(Schema):
    id: int
    number: str
    area_path: str
    speaker: str
    channel: str
    open_day_id: int | None
    topics: list[str]
    summary: str
    status: str
    disposition: str
    case_number: str | None
    received_at: datetime
    reply_due_at: datetime
    replied_at: datetime | None
    reply: str
    outcome: str


def _out(o: Opinion) -> dict[str, Any]:
    return {
        "id": o.pk,
        "number": o.number,
        "area_path": o.area.path,
        "speaker": o.speaker_label,
        "channel": o.channel,
        "open_day_id": o.open_day_id,
        "topics": sorted(t.topic for t in o.topic_rows.all()),
        "summary": o.summary,
        "status": o.status,
        "disposition": o.disposition,
        "case_number": o.case.number if o.case_id and o.case else None,
        "received_at": o.received_at,
        "reply_due_at": o.reply_due_at,
        "replied_at": o.replied_at,
        "reply": o.reply,
        "outcome": o.outcome,
    }


def _opinions(user: User) -> QuerySet[Opinion]:
    return (
        Opinion.objects.visible_to(user)
        # Names by id after the page is read, not joined (see opinions.views.opinion_list).
        .prefetch_related("area", "resident", "case", "topic_rows")
    )


class OpinionFilter(Schema):
    area: str | None = None  # code path; its subtree
    status: str | None = None
    channel: str | None = None
    topic: str | None = None
    month: str | None = None  # YYYY-MM
    page: PageNumber = 1


class OpinionPage(Schema):
    items: list[OpinionOut]
    count: int


def _area(user: User, path: str | None) -> Area | None:
    if not path:
        return None
    return area_by_path(path, actor=user)


@router.get(
    "/opinions", response={200: OpinionPage, **ERRORS}, summary="The opinion ledger in scope, newest first"
)
def list_opinions(request: HttpRequest, filters: Query[OpinionFilter]) -> dict[str, Any]:
    user = acting_user(request)
    qs = _opinions(user)
    if (area := _area(user, filters.area)) is not None:
        qs = qs.filter(subtree_q([area.path], "area__path"))
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.channel:
        qs = qs.filter(channel=filters.channel)
    if filters.topic:
        qs = qs.filter(topic_rows__topic=filters.topic)
    if filters.month:
        start, end = selectors.month_bounds(selectors.parse_month(filters.month))
        qs = qs.filter(received_at__gte=start, received_at__lt=end)
    qs = qs.order_by("-received_at", "-pk")
    return {"items": [_out(o) for o in _page(qs, filters.page)], "count": qs.count()}


class OpinionIn(Schema):
    area: str  # code path of a community or grid
    channel: str = "hotline"  # open_day | visit | hotline | online | meeting
    open_day_id: Id | None = None
    topics: list[str]
    summary: str
    speaker_name: str = ""
    anonymous: bool = False


@router.post("/opinions", response={201: OpinionOut, **ERRORS}, summary="Record an opinion")
def create_opinion(request: HttpRequest, payload: OpinionIn) -> Status[dict[str, Any]]:
    user = acting_user(request)
    area = _area(user, payload.area)
    if area is None:
        raise DomainError("'area' is required: the code path of a community or grid.", field="area")
    day = None
    if payload.open_day_id is not None:
        day = get_object_or_404(OpenDay.objects.visible_to(user), pk=payload.open_day_id)
    opinion = services.opinion_record(
        actor=user,
        area=area,
        channel=payload.channel,
        open_day=day,
        topics=payload.topics,
        summary=payload.summary,
        speaker_name=payload.speaker_name,
        anonymous=payload.anonymous,
    )
    return Status(201, _out(_opinions(user).get(pk=opinion.pk)))


@router.get("/opinions/{opinion_id}", response={200: OpinionOut, **ERRORS}, summary="One opinion")
def get_opinion(request: HttpRequest, opinion_id: Id) -> dict[str, Any]:
    return _out(get_object_or_404(_opinions(acting_user(request)), pk=opinion_id))


class ReplyIn(Schema):
    reply: str
    mode: str = "phone"  # in_person | phone | sms | written | notice


@router.post(
    "/opinions/{opinion_id}/reply", response={200: OpinionOut, **ERRORS}, summary="Reply to the resident"
)
def reply_opinion(request: HttpRequest, opinion_id: Id, payload: ReplyIn) -> dict[str, Any]:
    user = acting_user(request)
    opinion = get_object_or_404(_opinions(user), pk=opinion_id)
    services.opinion_reply(actor=user, opinion=opinion, reply=payload.reply, mode=payload.mode)
    return _out(_opinions(user).get(pk=opinion.pk))


class ToCaseIn(Schema):
    category: str  # leaf code
    title: str
    urgency: str = "normal"


class CaseRef(Schema):
    id: int
    number: str


@router.post(
    "/opinions/{opinion_id}/case",
    response={201: CaseRef, **ERRORS},
    summary="Turn the opinion into a case (GB/T 30428 workflow; linked both ways)",
)
def opinion_to_case(request: HttpRequest, opinion_id: Id, payload: ToCaseIn) -> Status[dict[str, Any]]:
    user = acting_user(request)
    require(user, Capability.WRITE)
    opinion = get_object_or_404(_opinions(user), pk=opinion_id)
    category = leaf_categories().filter(code=payload.category.strip().upper()).first()
    if category is None:
        raise DomainError(f"Unknown case category '{payload.category}'.", field="category")
    case = services.opinion_to_case(
        actor=user, opinion=opinion, category=category, title=payload.title, urgency=payload.urgency
    )
    return Status(201, {"id": case.pk, "number": case.number})


class ReportOut(Schema):
    month: date
    total: int
    to_case: int
    case_share: str
    on_time: int
    late: int
    on_time_share: str
    topics: dict[str, int]


@router.get("/opinions-report", response={200: ReportOut, **ERRORS}, summary="The monthly report (YYYY-MM)")
def opinion_report(request: HttpRequest, month: str = "", area: str = "") -> dict[str, Any]:
    user = acting_user(request)
    report = selectors.monthly_report(user, selectors.parse_month(month), _area(user, area))
    return {
        "month": report.month,
        "total": report.total,
        "to_case": report.to_case,
        "case_share": report.case_share,
        "on_time": report.on_time,
        "late": report.late,
        "on_time_share": report.on_time_share,
        "topics": {code: n for code, _, n in report.topics},
    }


class OpenDayOut(Schema):
    id: int
    area_path: str
    held_on: date
    start_time: time | None
    place: str
    theme: str
    status: str
    cancel_reason: str
    residents_met: int
    summary: str
    street_attendees: list[str]
    department_attendees: list[str]
    opinions: int
    open: int
    replied: int
    done: int


@router.get(
    "/open-days", response={200: list[OpenDayOut], **ERRORS}, summary="Open days in scope with follow-up"
)
def list_open_days(request: HttpRequest, page: PageNumber = 1) -> list[dict[str, Any]]:
    user = acting_user(request)
    days = list(
        _page(OpenDay.objects.visible_to(user).select_related("area").order_by("-held_on", "-pk"), page)
    )
    follow = selectors.followups(days)
    return [_day_out(d, follow[d.pk]) for d in days]


class ReasonIn(Schema):
    reason: str


def _day_out(d: OpenDay, follow: dict[str, int]) -> dict[str, Any]:
    return {
        "id": d.pk,
        "area_path": d.area.path,
        "held_on": d.held_on,
        "start_time": d.start_time,
        "place": d.place,
        "theme": d.theme,
        "status": d.status,
        "cancel_reason": d.cancel_reason,
        "residents_met": d.residents_met,
        "summary": d.summary,
        "street_attendees": OpenDay.lines(d.street_attendees),
        "department_attendees": OpenDay.lines(d.department_attendees),
        "opinions": follow["total"],
        "open": follow["open"],
        "replied": follow["replied"],
        "done": follow["done"],
    }


def _day(user: User, day_id: int) -> OpenDay:
    return get_object_or_404(OpenDay.objects.visible_to(user).select_related("area"), pk=day_id)


def _day_one(user: User, day_id: int) -> dict[str, Any]:
    day = _day(user, day_id)
    return _day_out(day, selectors.followups([day])[day.pk])


@router.get(
    "/open-days/{day_id}", response={200: OpenDayOut, **ERRORS}, summary="One open day with follow-up"
)
def get_open_day(request: HttpRequest, day_id: Id) -> dict[str, Any]:
    return _day_one(acting_user(request), day_id)


class OpenDayIn(Schema):
    area: str  # code path of a community
    held_on: date
    start_time: time = time(9)
    place: str
    theme: str = ""


@router.post("/open-days", response={201: OpenDayOut, **ERRORS}, summary="Plan a one-off open day")
def create_open_day(request: HttpRequest, payload: OpenDayIn) -> Status[dict[str, Any]]:
    user = acting_user(request)
    area = _area(user, payload.area)
    if area is None:
        raise DomainError("'area' is required: the code path of a community.", field="area")
    day = services.open_day_create(
        actor=user,
        area=area,
        held_on=payload.held_on,
        start_time=payload.start_time,
        place=payload.place,
        theme=payload.theme,
    )
    return Status(201, _day_one(user, day.pk))


class OpenDayRuleIn(Schema):
    area: str  # code path of a community
    week_of_month: int  # 1–4, or -1 for the last week
    weekday: int  # 0 = Monday … 6 = Sunday
    start_time: time = time(9)
    place: str
    months: int = 3  # plan the days of the next 1–12 months


@router.post(
    "/open-day-rules",
    response={201: list[OpenDayOut], **ERRORS},
    summary="Set a community's open-day rule (e.g. every 2nd Sunday) and plan its next days",
)
def set_open_day_rule(request: HttpRequest, payload: OpenDayRuleIn) -> Status[list[dict[str, Any]]]:
    user = acting_user(request)
    area = _area(user, payload.area)
    if area is None:
        raise DomainError("'area' is required: the code path of a community.", field="area")
    if not 1 <= payload.months <= 12:
        raise DomainError("一次排期 1 至 12 个月。", field="months")
    with transaction.atomic():
        rule = services.open_day_rule_set(
            actor=user,
            area=area,
            week_of_month=payload.week_of_month,
            weekday=payload.weekday,
            place=payload.place,
            start_time=payload.start_time,
        )
        days = services.open_days_schedule(actor=user, rule=rule, months=payload.months)
    follow = selectors.followups(days)
    return Status(201, [_day_out(d, follow[d.pk]) for d in days])


class AttendanceIn(Schema):
    # One person a line on the page; one per item here ("王强 街道办副主任").
    street_attendees: list[str] = []
    department_attendees: list[str] = []
    residents_met: int = 0
    summary: str = ""
    theme: str = ""
    held: bool = True  # false: record the plan's attendees before the day, without marking it held


@router.post(
    "/open-days/{day_id}/attendance",
    response={200: OpenDayOut, **ERRORS},
    summary="Record who attended, residents met and a summary (marks the day held)",
)
def record_attendance(request: HttpRequest, day_id: Id, payload: AttendanceIn) -> dict[str, Any]:
    user = acting_user(request)
    services.open_day_update(
        actor=user,
        day=_day(user, day_id),
        street_attendees="\n".join(payload.street_attendees),
        department_attendees="\n".join(payload.department_attendees),
        residents_met=payload.residents_met,
        summary=payload.summary,
        theme=payload.theme,
        held=payload.held,
    )
    return _day_one(user, day_id)


@router.post(
    "/open-days/{day_id}/cancel",
    response={200: OpenDayOut, **ERRORS},
    summary="Cancel a planned open day, with a reason (not once opinions are recorded on it)",
)
def cancel_open_day(request: HttpRequest, day_id: Id, payload: ReasonIn) -> dict[str, Any]:
    user = acting_user(request)
    services.open_day_cancel(actor=user, day=_day(user, day_id), reason=payload.reason)
    return _day_one(user, day_id)


class DayOpinionIn(Schema):
    area: str | None = None  # code path of a grid or the community; the day's community if left out
    topics: list[str]
    summary: str
    speaker_name: str = ""
    anonymous: bool = False


@router.post(
    "/open-days/{day_id}/opinions",
    response={201: OpinionOut, **ERRORS},
    summary="Record an opinion collected at the open day (the page's fast entry)",
)
def record_day_opinion(request: HttpRequest, day_id: Id, payload: DayOpinionIn) -> Status[dict[str, Any]]:
    user = acting_user(request)
    day = _day(user, day_id)
    opinion = services.opinion_record(
        actor=user,
        area=_area(user, payload.area) or day.area,
        channel="open_day",
        open_day=day,
        topics=payload.topics,
        summary=payload.summary,
        speaker_name=payload.speaker_name,
        anonymous=payload.anonymous,
        received_at=day.collection_time(),
    )
    return Status(201, _out(_opinions(user).get(pk=opinion.pk)))
