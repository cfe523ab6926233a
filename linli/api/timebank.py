"""The time bank and help requests in the JSON API: accounts with their balances, transfers (double
entry, reversals), and help requests from open to paid. The same services as the pages, in scope."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status

from linli.accounts.models import User
from linli.api.schemas import ErrorOut, Id, PageNumber
from linli.cases.models import Case
from linli.core.errors import DomainError
from linli.core.http import acting_user
from linli.registry.models import Household, Resident
from linli.timebank import services
from linli.timebank.models import Account, HelpRequest, Transfer
from linli.visits.models import Visit
from linli.volunteers.models import Skill, Volunteer

router = Router(tags=["time bank"])
PAGE_SIZE = 50
ERRORS: dict[int, Any] = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut}
Minutes = Annotated[int, Field(ge=-(10**9), le=10**9)]  # the service says what is allowed, in words
Text200 = Annotated[str, Field(max_length=200)]


def _page(qs: QuerySet[Any], page: int) -> QuerySet[Any]:
    start = (page - 1) * PAGE_SIZE
    return qs[start : start + PAGE_SIZE]


# --- accounts ------------------------------------------------------------------------------------


class TimeAccountOut(Schema):
    id: int
    kind: str
    kind_label: str
    name: str
    community_path: str
    area_path: str
    resident_id: int | None
    household_id: int | None
    volunteer_id: int | None
    balance_minutes: int
    debt_limit_minutes: int | None  # the effective limit; null: none (the issuing account)
    credit_limit_minutes: int | None  # the effective limit; null: none (a pool)
    closed: bool


def _account_out(a: Account) -> dict[str, Any]:
    return {
        "id": a.pk,
        "kind": a.kind,
        "kind_label": a.get_kind_display(),
        "name": a.name,
        "community_path": a.community.path,
        "area_path": a.area.path,
        "resident_id": a.resident_id,
        "household_id": a.household_id,
        "volunteer_id": a.volunteer_id,
        "balance_minutes": a.balance_minutes,
        "debt_limit_minutes": a.debt_limit(),
        "credit_limit_minutes": a.credit_limit(),
        "closed": a.closed_at is not None,
    }


def _accounts(user: User) -> QuerySet[Account]:
    return Account.objects.visible_to(user).select_related("community", "area")


class TimeAccountFilter(Schema):
    kind: str | None = None  # volunteer | resident | household | issuing | pool
    q: Annotated[str, Field(max_length=50)] = ""  # part of the holder's name
    resident_id: Id | None = None
    volunteer_id: Id | None = None
    page: PageNumber = 1


class TimeAccountPage(Schema):
    items: list[TimeAccountOut]
    count: int


@router.get(
    "/time-bank/accounts", response={200: TimeAccountPage, **ERRORS}, summary="Time-bank accounts in scope"
)
def list_accounts(request: HttpRequest, filters: Query[TimeAccountFilter]) -> dict[str, Any]:
    qs = _accounts(acting_user(request))
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.q.strip():
        qs = qs.filter(name__contains=filters.q.strip())
    if filters.resident_id:
        qs = qs.filter(resident_id=filters.resident_id)
    if filters.volunteer_id:
        qs = qs.filter(volunteer_id=filters.volunteer_id)
    qs = qs.order_by("community__path", "kind", "name", "pk")
    return {"items": [_account_out(a) for a in _page(qs, filters.page)], "count": qs.count()}


@router.get(
    "/time-bank/accounts/{account_id}", response={200: TimeAccountOut, **ERRORS}, summary="One account"
)
def get_account(request: HttpRequest, account_id: Id) -> dict[str, Any]:
    return _account_out(get_object_or_404(_accounts(acting_user(request)), pk=account_id))


class TimeAccountIn(Schema):
    resident_id: Id | None = None
    household_id: Id | None = None
    volunteer_id: Id | None = None


@router.post(
    "/time-bank/accounts",
    response={201: TimeAccountOut, **ERRORS},
    summary="Open (or find) the account of a resident, a household or a volunteer",
)
def open_account(request: HttpRequest, payload: TimeAccountIn) -> Status[dict[str, Any]]:
    user = acting_user(request)
    resident = household = volunteer = None
    if payload.resident_id is not None:
        resident = get_object_or_404(
            Resident.objects.visible_to(user).select_related("grid"), pk=payload.resident_id
        )
    if payload.household_id is not None:
        household = get_object_or_404(
            Household.objects.visible_to(user).select_related("house__building__grid"),
            pk=payload.household_id,
        )
    if payload.volunteer_id is not None:
        volunteer = get_object_or_404(Volunteer.objects.visible_to(user), pk=payload.volunteer_id)
    account = services.account_open(actor=user, resident=resident, household=household, volunteer=volunteer)
    return Status(201, _account_out(_accounts(user).get(pk=account.pk)))


# --- transfers -------------------------------------------------------------------------------------


class TimeTransferOut(Schema):
    id: int
    kind: str
    kind_label: str
    source_id: int
    source_name: str
    target_id: int
    target_name: str
    minutes: int
    note: str
    created_at: datetime
    actor: str
    acted_by: str  # holder | family | worker
    proxy: str  # who acted for the holder, when someone did
    reverses_id: int | None
    reversed_by_id: int | None
    help_request_id: int | None


def _transfer_out(t: Transfer) -> dict[str, Any]:
    reversal = getattr(t, "reversed_by", None)
    return {
        "id": t.pk,
        "kind": t.kind,
        "kind_label": t.get_kind_display(),
        "source_id": t.source_id,
        "source_name": t.source.name,
        "target_id": t.target_id,
        "target_name": t.target.name,
        "minutes": t.minutes,
        "note": t.note,
        "created_at": t.created_at,
        "actor": t.actor_label,
        "acted_by": t.acted_by,
        "proxy": t.proxy_label,
        "reverses_id": t.reverses_id,
        "reversed_by_id": reversal.pk if reversal is not None else None,
        "help_request_id": t.help_request_id,
    }


def _transfers(user: User) -> QuerySet[Transfer]:
    """Transfers touching an account the user can see (a transfer's community may be another's)."""
    visible = Account.objects.visible_to(user).values("pk")
    return (
        Transfer.objects.filter(Q(source__in=visible) | Q(target__in=visible))
        .select_related("source", "target", "reversed_by")
        .distinct()
    )


class TimeTransferFilter(Schema):
    account_id: Id | None = None  # transfers in or out of this account
    kind: str | None = None
    page: PageNumber = 1


class TimeTransferPage(Schema):
    items: list[TimeTransferOut]
    count: int


@router.get(
    "/time-bank/transfers", response={200: TimeTransferPage, **ERRORS}, summary="Transfers, newest first"
)
def list_transfers(request: HttpRequest, filters: Query[TimeTransferFilter]) -> dict[str, Any]:
    qs = _transfers(acting_user(request))
    if filters.account_id:
        qs = qs.filter(Q(source_id=filters.account_id) | Q(target_id=filters.account_id))
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    qs = qs.order_by("-created_at", "-pk")
    return {"items": [_transfer_out(t) for t in _page(qs, filters.page)], "count": qs.count()}


@router.get(
    "/time-bank/transfers/{transfer_id}", response={200: TimeTransferOut, **ERRORS}, summary="One transfer"
)
def get_transfer(request: HttpRequest, transfer_id: Id) -> dict[str, Any]:
    return _transfer_out(get_object_or_404(_transfers(acting_user(request)), pk=transfer_id))


class TimeTransferIn(Schema):
    source_id: Id
    target_id: Id  # another member's account, or a community pool (a donation)
    minutes: Minutes
    note: Text200 = ""
    acted_by: str = "holder"  # holder | family | worker (代办)
    proxy_id: Id | None = None  # the family member acting, from the holder's household


@router.post(
    "/time-bank/transfers",
    response={201: TimeTransferOut, **ERRORS},
    summary="Transfer minutes to another member or donate them to a pool; refused beyond the limits",
)
def create_transfer(request: HttpRequest, payload: TimeTransferIn) -> Status[dict[str, Any]]:
    user = acting_user(request)
    source = get_object_or_404(_accounts(user), pk=payload.source_id)
    target = get_object_or_404(_accounts(user), pk=payload.target_id)
    proxy = None
    if payload.proxy_id is not None:
        proxy = get_object_or_404(Resident.objects.visible_to(user), pk=payload.proxy_id)
    transfer = services.transfer_create(
        actor=user,
        source=source,
        target=target,
        minutes=payload.minutes,
        note=payload.note,
        acted_by=payload.acted_by,
        proxy=proxy,
    )
    return Status(201, _transfer_out(_transfers(user).get(pk=transfer.pk)))


class TimeBankReasonIn(Schema):
    reason: Text200


@router.post(
    "/time-bank/transfers/{transfer_id}/reverse",
    response={201: TimeTransferOut, **ERRORS},
    summary="Reverse a transfer with a new one the other way (the original stays)",
)
def reverse_transfer(
    request: HttpRequest, transfer_id: Id, payload: TimeBankReasonIn
) -> Status[dict[str, Any]]:
    user = acting_user(request)
    transfer = get_object_or_404(_transfers(user), pk=transfer_id)
    reversal = services.transfer_reverse(actor=user, transfer=transfer, reason=payload.reason)
    return Status(201, _transfer_out(_transfers(user).get(pk=reversal.pk)))


# --- help requests -----------------------------------------------------------------------------------


class HelpRequestOut(Schema):
    id: int
    status: str
    status_label: str
    need: str
    need_label: str
    title: str
    description: str
    place: str
    resident_id: int
    resident_name: str
    grid_path: str
    wanted_at: datetime
    estimated_minutes: int
    skill: str | None
    pay_from: str
    volunteer_id: int | None
    volunteer_name: str | None
    served_minutes: int | None
    served_on: date | None
    payment_id: int | None
    visit_id: int | None
    case_number: str | None
    cancel_reason: str


def _request_out(r: HelpRequest) -> dict[str, Any]:
    return {
        "id": r.pk,
        "status": r.status,
        "status_label": r.get_status_display(),
        "need": r.need,
        "need_label": r.get_need_display(),
        "title": r.title,
        "description": r.description,
        "place": r.place,
        "resident_id": r.resident_id,
        "resident_name": r.resident.name,
        "grid_path": r.grid.path,
        "wanted_at": r.wanted_at,
        "estimated_minutes": r.estimated_minutes,
        "skill": r.skill.code if r.skill else None,
        "pay_from": r.pay_from,
        "volunteer_id": r.volunteer_id,
        "volunteer_name": r.volunteer.name if r.volunteer else None,
        "served_minutes": r.served_minutes,
        "served_on": r.served_on,
        "payment_id": r.payment_id,
        "visit_id": r.visit_id,
        "case_number": r.case.number if r.case else None,
        "cancel_reason": r.cancel_reason,
    }


def _requests(user: User) -> QuerySet[HelpRequest]:
    return HelpRequest.objects.visible_to(user).select_related(
        "resident", "grid", "skill", "volunteer", "case"
    )


class HelpFilter(Schema):
    status: str | None = None  # open | matched | served | paid | cancelled
    resident_id: Id | None = None
    volunteer_id: Id | None = None
    page: PageNumber = 1


class HelpPage(Schema):
    items: list[HelpRequestOut]
    count: int


@router.get(
    "/help-requests", response={200: HelpPage, **ERRORS}, summary="Help requests in scope, soonest first"
)
def list_help_requests(request: HttpRequest, filters: Query[HelpFilter]) -> dict[str, Any]:
    qs = _requests(acting_user(request))
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.resident_id:
        qs = qs.filter(resident_id=filters.resident_id)
    if filters.volunteer_id:
        qs = qs.filter(volunteer_id=filters.volunteer_id)
    qs = qs.order_by("wanted_at", "pk")
    return {"items": [_request_out(r) for r in _page(qs, filters.page)], "count": qs.count()}


@router.get(
    "/help-requests/{request_id}", response={200: HelpRequestOut, **ERRORS}, summary="One help request"
)
def get_help_request(request: HttpRequest, request_id: Id) -> dict[str, Any]:
    return _request_out(get_object_or_404(_requests(acting_user(request)), pk=request_id))


def _skill(code: str | None) -> Skill | None:
    if not code:
        return None
    skill = Skill.objects.filter(code=code.strip()).first()
    if skill is None:
        raise DomainError(f"Unknown skill '{code[:32]}'.", field="skill")
    return skill


class HelpIn(Schema):
    resident_id: Id
    need: str  # shopping | hospital | company | housework | repair | errand | tutoring | other
    title: Annotated[str, Field(max_length=100)]
    wanted_at: datetime
    estimated_minutes: Minutes
    description: Annotated[str, Field(max_length=2000)] = ""
    place: Text200 = ""
    skill: str | None = None  # a volunteer skill code
    pay_from: str = "requester"  # requester | household | pool
    visit_id: Id | None = None  # the visit the need was found on
    case_id: Id | None = None  # the case it came from


@router.post("/help-requests", response={201: HelpRequestOut, **ERRORS}, summary="Record a help request")
def create_help_request(request: HttpRequest, payload: HelpIn) -> Status[dict[str, Any]]:
    user = acting_user(request)
    resident = get_object_or_404(
        Resident.objects.visible_to(user).select_related("grid"), pk=payload.resident_id
    )
    visit = (
        get_object_or_404(Visit.objects.visible_to(user), pk=payload.visit_id) if payload.visit_id else None
    )
    case = get_object_or_404(Case.objects.visible_to(user), pk=payload.case_id) if payload.case_id else None
    created = services.help_request_create(
        actor=user,
        resident=resident,
        need=payload.need,
        title=payload.title,
        wanted_at=payload.wanted_at,
        estimated_minutes=payload.estimated_minutes,
        description=payload.description,
        place=payload.place,
        skill=_skill(payload.skill),
        pay_from=payload.pay_from,
        visit=visit,
        case=case,
    )
    return Status(201, _request_out(_requests(user).get(pk=created.pk)))


class HelpUpdateIn(Schema):
    title: Annotated[str, Field(max_length=100)] | None = None
    description: Annotated[str, Field(max_length=2000)] | None = None
    place: Text200 | None = None
    wanted_at: datetime | None = None
    estimated_minutes: Minutes | None = None
    pay_from: str | None = None


@router.patch(
    "/help-requests/{request_id}",
    response={200: HelpRequestOut, **ERRORS},
    summary="Correct an open or matched request",
)
def update_help_request(request: HttpRequest, request_id: Id, payload: HelpUpdateIn) -> dict[str, Any]:
    user = acting_user(request)
    found = get_object_or_404(_requests(user), pk=request_id)
    services.help_request_update(
        actor=user,
        request=found,
        title=payload.title,
        description=payload.description,
        place=payload.place,
        wanted_at=payload.wanted_at,
        estimated_minutes=payload.estimated_minutes,
        pay_from=payload.pay_from,
    )
    return _request_out(_requests(user).get(pk=request_id))


class HelpSuggestionOut(Schema):
    volunteer_id: int
    name: str
    grid_path: str | None
    score: int
    reasons: list[str]
    busy: bool


@router.get(
    "/help-requests/{request_id}/suggestions",
    response={200: list[HelpSuggestionOut], **ERRORS},
    summary="Volunteers suggested for a request: skill, same grid, free at that time",
)
def help_request_suggestions(request: HttpRequest, request_id: Id) -> list[dict[str, Any]]:
    found = get_object_or_404(_requests(acting_user(request)), pk=request_id)
    return [
        {
            "volunteer_id": s.volunteer.pk,
            "name": s.volunteer.name,
            "grid_path": s.volunteer.grid.path if s.volunteer.grid else None,
            "score": s.score,
            "reasons": s.reasons,
            "busy": s.busy,
        }
        for s in services.suggest_volunteers(found, limit=20)
    ]


class HelpMatchIn(Schema):
    volunteer_id: Id


@router.post(
    "/help-requests/{request_id}/match", response={200: HelpRequestOut, **ERRORS}, summary="Match a volunteer"
)
def match_help_request(request: HttpRequest, request_id: Id, payload: HelpMatchIn) -> dict[str, Any]:
    user = acting_user(request)
    found = get_object_or_404(_requests(user), pk=request_id)
    volunteer = get_object_or_404(
        Volunteer.objects.filter(community=found.community), pk=payload.volunteer_id
    )
    services.help_request_match(actor=user, request=found, volunteer=volunteer)
    return _request_out(_requests(user).get(pk=request_id))


@router.post(
    "/help-requests/{request_id}/unmatch",
    response={200: HelpRequestOut, **ERRORS},
    summary="The volunteer cannot come: open again",
)
def unmatch_help_request(request: HttpRequest, request_id: Id, payload: TimeBankReasonIn) -> dict[str, Any]:
    user = acting_user(request)
    found = get_object_or_404(_requests(user), pk=request_id)
    services.help_request_unmatch(actor=user, request=found, reason=payload.reason)
    return _request_out(_requests(user).get(pk=request_id))


class HelpServeIn(Schema):
    minutes: Minutes
    served_on: date | None = None  # default today


@router.post(
    "/help-requests/{request_id}/serve",
    response={200: HelpRequestOut, **ERRORS},
    summary="Record (or correct) the minutes served",
)
def serve_help_request(request: HttpRequest, request_id: Id, payload: HelpServeIn) -> dict[str, Any]:
    user = acting_user(request)
    found = get_object_or_404(_requests(user), pk=request_id)
    services.help_request_serve(
        actor=user, request=found, minutes=payload.minutes, served_on=payload.served_on
    )
    return _request_out(_requests(user).get(pk=request_id))


class HelpConfirmIn(Schema):
    pay_from: str | None = None  # requester | household | pool (pool: community leaders only)
    acted_by: str = "worker"  # holder | family | worker
    proxy_id: Id | None = None


@router.post(
    "/help-requests/{request_id}/confirm",
    response={200: HelpRequestOut, **ERRORS},
    summary="Confirm the service and pay it from the time bank",
)
def confirm_help_request(request: HttpRequest, request_id: Id, payload: HelpConfirmIn) -> dict[str, Any]:
    user = acting_user(request)
    found = get_object_or_404(_requests(user), pk=request_id)
    proxy = (
        get_object_or_404(Resident.objects.visible_to(user), pk=payload.proxy_id)
        if payload.proxy_id
        else None
    )
    services.help_request_confirm(
        actor=user, request=found, pay_from=payload.pay_from, acted_by=payload.acted_by, proxy=proxy
    )
    return _request_out(_requests(user).get(pk=request_id))


@router.post(
    "/help-requests/{request_id}/cancel", response={200: HelpRequestOut, **ERRORS}, summary="Cancel a request"
)
def cancel_help_request(request: HttpRequest, request_id: Id, payload: TimeBankReasonIn) -> dict[str, Any]:
    user = acting_user(request)
    found = get_object_or_404(_requests(user), pk=request_id)
    services.help_request_cancel(actor=user, request=found, reason=payload.reason)
    return _request_out(_requests(user).get(pk=request_id))
