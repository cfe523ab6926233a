"""Surveys and partner units in the JSON API: the same services and selectors as the pages, limited to the
caller's data scope. Door-to-door answers may be uploaded here in batches, idempotently by their UUID."""

from datetime import date, datetime
from typing import Annotated, Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status

from linli.accounts.roles import Capability
from linli.api.schemas import ErrorOut, Id, PageNumber
from linli.areas.services import area_by_path
from linli.core.errors import Forbidden
from linli.core.http import acting_user
from linli.partners import services as partner_services
from linli.partners.models import PartnerUnit
from linli.registry.idnumber import mask_phone
from linli.surveys import selectors, services
from linli.surveys.models import Kind, Question, Survey

router = Router(tags=["surveys", "partners"])
PAGE_SIZE = 50
ERRORS: dict[int, Any] = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut}
Text = Annotated[str, Field(max_length=2000)]


class QuestionOut(Schema):
    id: int
    number: int
    kind: str
    text: str
    required: bool
    options: list[str]
    rows: list[str]
    min_value: float | None
    max_value: float | None
    condition_question_id: int | None
    condition_value: str


class SurveyOut(Schema):
    id: int
    title: str
    area_path: str
    status: str
    target: str
    sample_unit: str
    sample_size: int
    sample_seed: str
    frame_size: int
    open_link: bool
    responses: int
    opened_at: datetime | None
    closed_at: datetime | None


class SurveyDetail(SurveyOut):
    description: str
    questions: list[QuestionOut]


class SurveyPage(Schema):
    items: list[SurveyOut]
    count: int


def _out(s: Survey) -> dict[str, Any]:
    return {
        "id": s.pk,
        "title": s.title,
        "area_path": s.area.path,
        "status": s.status,
        "target": s.target,
        "sample_unit": s.sample_unit,
        "sample_size": s.sample_size,
        "sample_seed": s.sample_seed,
        "frame_size": s.frame_size,
        "open_link": s.open_link,
        "responses": s.response_count,
        "opened_at": s.opened_at,
        "closed_at": s.closed_at,
    }


class SurveyFilter(Schema):
    status: str | None = None
    page: PageNumber = 1


@router.get("/surveys", response={200: SurveyPage, **ERRORS}, summary="Surveys in scope, newest first")
def list_surveys(request: HttpRequest, filters: Query[SurveyFilter]) -> dict[str, Any]:
    user = acting_user(request)
    qs = Survey.objects.visible_to(user).select_related("area")
    if filters.status:
        qs = qs.filter(status=filters.status)
    start = (filters.page - 1) * PAGE_SIZE
    return {"items": [_out(s) for s in qs[start : start + PAGE_SIZE]], "count": qs.count()}


@router.get(
    "/surveys/{survey_id}", response={200: SurveyDetail, **ERRORS}, summary="A survey and its questions"
)
def get_survey(request: HttpRequest, survey_id: Id) -> dict[str, Any]:
    user = acting_user(request)
    s = get_object_or_404(Survey.objects.visible_to(user).select_related("area"), pk=survey_id)
    questions = [
        {
            "id": q.pk,
            "number": q.order,
            "kind": q.kind,
            "text": q.text,
            "required": q.required,
            "options": q.options,
            "rows": q.rows,
            "min_value": q.min_value,
            "max_value": q.max_value,
            "condition_question_id": q.condition_question_id,
            "condition_value": q.condition_value,
        }
        for q in s.questions.all()
    ]
    return {**_out(s), "description": s.description, "questions": questions}


class BarOut(Schema):
    label: str
    count: int
    share: float


class GroupOut(Schema):
    label: str
    answered: int
    counts: list[int]


class MatrixRowOut(Schema):
    row: str
    bars: list[BarOut]


class QuestionResultOut(Schema):
    question_id: int
    number: int
    kind: str
    text: str
    answered: int
    bars: list[BarOut]
    matrix: list[MatrixRowOut]
    mean: float | None
    minimum: float | None
    maximum: float | None
    by_grid: list[GroupOut]
    by_key_group: list[GroupOut]


class ResultsOut(Schema):
    survey_id: int
    responses: int
    by_channel: dict[str, int]
    invited: int
    answered_invitations: int
    questions: list[QuestionResultOut]


@router.get(
    "/surveys/{survey_id}/results",
    response={200: ResultsOut, **ERRORS},
    summary="Results: counts per option, overall, by grid and by key group; means of numbers and ratings",
)
def survey_results(request: HttpRequest, survey_id: Id) -> dict[str, Any]:
    user = acting_user(request)
    s = get_object_or_404(Survey.objects.visible_to(user), pk=survey_id)
    r = selectors.results(s, sensitive=user.can(Capability.VIEW_SENSITIVE), texts=0)

    def bars(items: list[Any]) -> list[dict[str, Any]]:
        return [{"label": b.label, "count": b.count, "share": round(b.share, 4)} for b in items]

    def groups(items: list[Any]) -> list[dict[str, Any]]:
        return [{"label": g.label, "answered": g.answered, "counts": g.counts} for g in items]

    return {
        "survey_id": s.pk,
        "responses": r.responses,
        "by_channel": r.by_channel,
        "invited": r.invited,
        "answered_invitations": r.answered_invitations,
        "questions": [
            {
                "question_id": q.question.pk,
                "number": q.question.order,
                "kind": q.question.kind,
                "text": q.question.text,
                "answered": q.answered,
                "bars": bars(q.bars),
                "matrix": [{"row": row, "bars": bars(b)} for row, b in q.matrix],
                "mean": q.mean,
                "minimum": q.minimum,
                "maximum": q.maximum,
                "by_grid": groups(q.by_grid),
                "by_key_group": groups(q.by_tag),
            }
            for q in r.questions
        ],
    }


class TextAnswerOut(Schema):
    id: int
    text: str


class TextPageOut(Schema):
    items: list[TextAnswerOut]
    next_before: int | None  # pass as `before` for the next (older) page; null on the last


TEXT_PAGE = 50


@router.get(
    "/surveys/{survey_id}/questions/{question_id}/texts",
    response={200: TextPageOut, **ERRORS},
    summary="A text question's answers, newest first, 50 a page (keyset: `before` = the last page's next_before)",
)
def survey_texts(
    request: HttpRequest, survey_id: Id, question_id: Id, before: Id | None = None
) -> dict[str, Any]:
    user = acting_user(request)
    s = get_object_or_404(Survey.objects.visible_to(user), pk=survey_id)
    question = get_object_or_404(Question, survey=s, pk=question_id, kind=Kind.TEXT)
    page = selectors.text_page(question, before=before, size=TEXT_PAGE)
    return {"items": [{"id": pk, "text": t} for pk, t in page.items], "next_before": page.next_before}


class AnswerSheetIn(Schema):
    uuid: Annotated[str, Field(max_length=40)]
    token: Annotated[str, Field(max_length=24)] = ""
    grid: Id | None = None  # area id of the grid (surveys of an area); sampled surveys give the token
    submitted_at: datetime | None = None
    fields: dict[Annotated[str, Field(max_length=20)], list[Text]]


class UploadIn(Schema):
    items: Annotated[list[AnswerSheetIn], Field(max_length=500)]


class UploadResultOut(Schema):
    uuid: str
    status: str
    message: str


class UploadOut(Schema):
    results: list[UploadResultOut]


@router.post(
    "/surveys/{survey_id}/responses",
    response={200: UploadOut, **ERRORS},
    summary="Upload door-to-door answer sheets; each is saved once by its UUID (a resend is reported as duplicate)",
)
def upload_responses(request: HttpRequest, survey_id: Id, payload: UploadIn) -> dict[str, Any]:
    user = acting_user(request)
    if not user.can(Capability.WRITE):
        raise Forbidden()
    s = get_object_or_404(Survey.objects.visible_to(user), pk=survey_id)
    items = [
        {**i.dict(), "submitted_at": i.submitted_at.isoformat() if i.submitted_at else ""}
        for i in payload.items
    ]
    return {"results": [o.__dict__ for o in services.responses_upload(actor=user, survey=s, items=items)]}


# --- partner units ----------------------------------------------------------------------------------


class PartnerOut(Schema):
    id: int
    name: str
    kind: str
    kind_label: str
    area_path: str
    contact_name: str
    contact_phone: str  # masked unless the caller may reveal personal data
    address: str
    party_organisation: str
    party_members: int
    staff_count: int
    active: bool
    left_on: date | None


class PartnerPage(Schema):
    items: list[PartnerOut]
    count: int


def _partner(u: PartnerUnit, reveal: bool) -> dict[str, Any]:
    return {
        "id": u.pk,
        "name": u.name,
        "kind": u.kind,
        "kind_label": u.get_kind_display(),
        "area_path": u.area.path,
        "contact_name": u.contact_name,
        "contact_phone": u.contact_phone if reveal else mask_phone(u.contact_phone),
        "address": u.address,
        "party_organisation": u.party_organisation,
        "party_members": u.party_members,
        "staff_count": u.staff_count,
        "active": u.active,
        "left_on": u.left_on,
    }


class PartnerFilter(Schema):
    area: Annotated[str, Field(max_length=200)] | None = None
    include_left: bool = False
    page: PageNumber = 1


@router.get("/partners", response={200: PartnerPage, **ERRORS}, summary="Partner units (驻区单位) in scope")
def list_partners(request: HttpRequest, filters: Query[PartnerFilter]) -> dict[str, Any]:
    user = acting_user(request)
    qs = PartnerUnit.objects.visible_to(user).select_related("area")
    if filters.area:
        area = area_by_path(filters.area, actor=user)
        qs = qs.filter(area__path__startswith=area.path)
    if not filters.include_left:
        qs = qs.filter(active=True)
    start = (filters.page - 1) * PAGE_SIZE
    reveal = user.can(Capability.REVEAL_PERSONAL)
    return {"items": [_partner(u, reveal) for u in qs[start : start + PAGE_SIZE]], "count": qs.count()}


@router.get("/partners/{unit_id}", response={200: PartnerOut, **ERRORS}, summary="One partner unit")
def get_partner(request: HttpRequest, unit_id: Id) -> dict[str, Any]:
    user = acting_user(request)
    u = get_object_or_404(PartnerUnit.objects.visible_to(user).select_related("area"), pk=unit_id)
    return _partner(u, user.can(Capability.REVEAL_PERSONAL))


class PartnerIn(Schema):
    area: Annotated[str, Field(max_length=200)]  # code path of the community, e.g. S01/C01
    name: Annotated[str, Field(max_length=100)]
    kind: Annotated[str, Field(max_length=20)]
    contact_name: Annotated[str, Field(max_length=50)] = ""
    contact_phone: Annotated[str, Field(max_length=20)] = ""
    address: Annotated[str, Field(max_length=200)] = ""
    party_organisation: Annotated[str, Field(max_length=100)] = ""
    party_members: Annotated[int, Field(ge=0, le=1_000_000)] = 0
    staff_count: Annotated[int, Field(ge=0, le=1_000_000)] = 0
    notes: Annotated[str, Field(max_length=2000)] = ""


@router.post("/partners", response={201: PartnerOut, **ERRORS}, summary="Register a partner unit")
def create_partner(request: HttpRequest, payload: PartnerIn) -> Status[dict[str, Any]]:
    user = acting_user(request)
    area = area_by_path(payload.area, actor=user)
    data = payload.dict()
    del data["area"]
    unit = partner_services.unit_create(actor=user, area=area, data=data)
    return Status(201, _partner(unit, user.can(Capability.REVEAL_PERSONAL)))
