"""Public notices (居务公开 · 财务公开) in the JSON API: read, and the same writes as the staff pages through
the same services — a draft is edited freely, a published notice only corrected by a new version (which
supersedes it when published) or withdrawn with a reason; finance lines must add up to the declared totals.
Attachments are added on the page (their bytes are checked there); the API lists none."""

from datetime import date, datetime
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema, Status

from linli.accounts.models import User
from linli.api.schemas import ErrorOut, Id, PageNumber
from linli.areas.services import area_by_path
from linli.core.http import acting_user
from linli.notices import services
from linli.notices.models import Notice
from linli.notices.models import Question as NoticeQuestion

router = Router(tags=["notices"])
PAGE_SIZE = 50
ERRORS: dict[int, Any] = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut}


class LineOut(Schema):
    kind: str
    occurred_on: date | None
    purpose: str
    amount: str  # decimal, as text: never a float
    voucher_no: str


class QuestionOut(Schema):
    id: int
    text: str
    status: str
    answer: str
    answer_due_at: datetime
    overdue: bool


class NoticeOut(Schema):
    id: int
    area_path: str
    category: str
    title: str
    body: str
    status: str
    version: int
    supersedes_id: int | None
    publish_from: date
    publish_until: date | None
    period_label: str
    days_left: int | None
    declared_income: str | None
    declared_expense: str | None
    lines: list[LineOut]
    open_questions: int
    questions: list[QuestionOut]


def _notices(user: User) -> QuerySet[Notice]:
    return Notice.objects.visible_to(user).select_related("area").prefetch_related("lines", "questions")


def _out(n: Notice) -> dict[str, Any]:
    questions = sorted(n.questions.all(), key=lambda q: q.pk)
    return {
        "id": n.pk,
        "area_path": n.area.path,
        "category": n.category,
        "title": n.title,
        "body": n.body,
        "status": n.status,
        "version": n.version,
        "supersedes_id": n.supersedes_id,
        "publish_from": n.publish_from,
        "publish_until": n.publish_until,
        "period_label": n.period_label,
        "days_left": n.days_left() if n.status == "published" else None,
        "declared_income": None if n.declared_income is None else f"{n.declared_income}",
        "declared_expense": None if n.declared_expense is None else f"{n.declared_expense}",
        "lines": [
            {
                "kind": line.kind,
                "occurred_on": line.occurred_on,
                "purpose": line.purpose,
                "amount": f"{line.amount}",
                "voucher_no": line.voucher_no,
            }
            for line in n.lines.all()
        ],
        "open_questions": sum(1 for q in questions if q.status == "open"),
        # Residents ask without an account and their names are never published: text and answer only.
        "questions": [
            {
                "id": q.pk,
                "text": q.text,
                "status": q.status,
                "answer": q.answer,
                "answer_due_at": q.due_at,
                "overdue": q.overdue,
            }
            for q in questions
        ],
    }


def _one(user: User, notice_id: int) -> dict[str, Any]:
    return _out(get_object_or_404(_notices(user), pk=notice_id))


class NoticeFilter(Schema):
    status: str = ""  # draft | published | superseded | withdrawn
    page: PageNumber = 1


@router.get("/notices", response={200: list[NoticeOut], **ERRORS}, summary="Public notices in scope")
def list_notices(request: HttpRequest, filters: Query[NoticeFilter]) -> list[dict[str, Any]]:
    qs = _notices(acting_user(request))
    if filters.status:
        qs = qs.filter(status=filters.status)
    start = (filters.page - 1) * PAGE_SIZE
    return [_out(n) for n in qs.order_by("-publish_from", "-pk")[start : start + PAGE_SIZE]]


@router.get("/notices/{notice_id}", response={200: NoticeOut, **ERRORS}, summary="One notice")
def get_notice(request: HttpRequest, notice_id: Id) -> dict[str, Any]:
    return _one(acting_user(request), notice_id)


class LineIn(Schema):
    kind: str  # income | expense
    purpose: str
    amount: str  # yuan, at most two decimals, as text ("1200.50")
    voucher_no: str
    occurred_on: date | None = None


class NoticeIn(Schema):
    area: str  # code path of a community (or the street)
    category: str  # affairs | finance | party | service | planning
    title: str
    body: str
    publish_from: date
    publish_until: date | None = None
    period_label: str = ""  # e.g. 2026年第三季度
    # Finance disclosures only: the lines and the declared totals they must add up to.
    lines: list[LineIn] = []
    declared_income: str | None = None
    declared_expense: str | None = None


@router.post("/notices", response={201: NoticeOut, **ERRORS}, summary="Draft a notice (not yet on display)")
def create_notice(request: HttpRequest, payload: NoticeIn) -> Status[dict[str, Any]]:
    user = acting_user(request)
    notice = services.notice_create(
        actor=user,
        area=area_by_path(payload.area, actor=user),
        category=payload.category,
        title=payload.title,
        body=payload.body,
        publish_from=payload.publish_from,
        publish_until=payload.publish_until,
        period_label=payload.period_label,
        lines=[line.dict() for line in payload.lines],
        declared_income=payload.declared_income,
        declared_expense=payload.declared_expense,
    )
    return Status(201, _one(user, notice.pk))


class NoticeEditIn(Schema):
    title: str
    body: str
    publish_from: date
    publish_until: date | None = None
    period_label: str = ""


def _notice(user: User, notice_id: int) -> Notice:
    return get_object_or_404(Notice.objects.visible_to(user), pk=notice_id)


@router.put(
    "/notices/{notice_id}",
    response={200: NoticeOut, **ERRORS},
    summary="Edit a draft (a published notice is corrected, never edited)",
)
def edit_notice(request: HttpRequest, notice_id: Id, payload: NoticeEditIn) -> dict[str, Any]:
    user = acting_user(request)
    services.notice_update(
        actor=user,
        notice=_notice(user, notice_id),
        title=payload.title,
        body=payload.body,
        publish_from=payload.publish_from,
        publish_until=payload.publish_until,
        period_label=payload.period_label,
    )
    return _one(user, notice_id)


class LinesIn(Schema):
    lines: list[LineIn]
    declared_income: str | None = None
    declared_expense: str | None = None


@router.put(
    "/notices/{notice_id}/lines",
    response={200: NoticeOut, **ERRORS},
    summary="Replace a draft finance disclosure's lines and totals (they must add up)",
)
def set_lines(request: HttpRequest, notice_id: Id, payload: LinesIn) -> dict[str, Any]:
    user = acting_user(request)
    services.finance_lines_set(
        actor=user,
        notice=_notice(user, notice_id),
        lines=[line.dict() for line in payload.lines],
        declared_income=payload.declared_income,
        declared_expense=payload.declared_expense,
    )
    return _one(user, notice_id)


@router.post(
    "/notices/{notice_id}/publish",
    response={200: NoticeOut, **ERRORS},
    summary="Publish a draft (a correction supersedes the version it corrects)",
)
def publish_notice(request: HttpRequest, notice_id: Id) -> dict[str, Any]:
    user = acting_user(request)
    services.notice_publish(actor=user, notice=_notice(user, notice_id))
    return _one(user, notice_id)


class ReasonIn(Schema):
    reason: str


@router.post(
    "/notices/{notice_id}/correct",
    response={201: NoticeOut, **ERRORS},
    summary="Open a correction: a new draft version of a published notice",
)
def correct_notice(request: HttpRequest, notice_id: Id, payload: ReasonIn) -> Status[dict[str, Any]]:
    user = acting_user(request)
    draft = services.notice_correct(actor=user, notice=_notice(user, notice_id), reason=payload.reason)
    return Status(201, _one(user, draft.pk))


@router.post(
    "/notices/{notice_id}/withdraw",
    response={200: NoticeOut, **ERRORS},
    summary="Withdraw a published notice, with a reason",
)
def withdraw_notice(request: HttpRequest, notice_id: Id, payload: ReasonIn) -> dict[str, Any]:
    user = acting_user(request)
    services.notice_withdraw(actor=user, notice=_notice(user, notice_id), reason=payload.reason)
    return _one(user, notice_id)


@router.delete(
    "/notices/{notice_id}", response={204: None, **ERRORS}, summary="Discard a draft (never a published one)"
)
def discard_notice(request: HttpRequest, notice_id: Id) -> Status[None]:
    user = acting_user(request)
    services.notice_discard(actor=user, notice=_notice(user, notice_id))
    return Status(204, None)


class AnswerIn(Schema):
    answer: str


@router.post(
    "/notices/{notice_id}/questions/{question_id}/answer",
    response={200: NoticeOut, **ERRORS},
    summary="Answer a resident's question on a notice (shown on the public board)",
)
def answer_question(
    request: HttpRequest, notice_id: Id, question_id: Id, payload: AnswerIn
) -> dict[str, Any]:
    user = acting_user(request)
    notice = _notice(user, notice_id)
    question = get_object_or_404(NoticeQuestion, notice=notice, pk=question_id)
    services.question_answer(actor=user, question=question, answer=payload.answer)
    return _one(user, notice_id)
