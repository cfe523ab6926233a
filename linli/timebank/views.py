"""Time-bank pages: accounts with their movements, the transfer form, the pools, and the help-request
board with its matching page. Every page reads through `visible_to` and writes through services."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from linli.accounts.models import User
from linli.accounts.roles import Capability
from linli.areas.models import Area
from linli.cases.models import Case
from linli.core.errors import DomainError
from linli.core.forms import add_domain_error
from linli.core.http import HttpRequest, acting_user, paginate
from linli.core.validation import parse_id
from linli.registry.models import Resident, ResidentStatus
from linli.timebank import services
from linli.timebank.forms import ConfirmForm, HelpRequestForm, LimitsForm, ReasonForm, ServeForm, TransferForm
from linli.timebank.models import (
    PERSONAL_KINDS,
    Account,
    AccountKind,
    HelpRequest,
    HelpStatus,
    Movement,
    Transfer,
)
from linli.visits.models import Visit
from linli.volunteers.models import Volunteer

PAGE_SIZE = 30


def _require(user: User, capability: Capability) -> None:
    if not user.can(capability):
        raise PermissionDenied


def _account(user: User, pk: int) -> Account:
    return get_object_or_404(
        Account.objects.visible_to(user).select_related(
            "area", "community", "resident", "household", "volunteer"
        ),
        pk=pk,
    )


def _request(user: User, pk: int) -> HelpRequest:
    return get_object_or_404(
        HelpRequest.objects.visible_to(user).select_related(
            "grid", "community", "resident", "volunteer", "skill", "payment", "visit", "case"
        ),
        pk=pk,
    )


def _refused(request: HttpRequest, exc: DomainError) -> None:
    if exc.code == "forbidden":
        raise PermissionDenied(exc.message)
    messages.error(request, exc.message)


def _family(account: Account) -> QuerySet[Resident]:
    """The members of the holder's household, who may act for them (家属代办)."""
    household = services._holder_household_id(account)
    if household is None:
        return Resident.objects.none()
    qs = Resident.objects.filter(household_id=household, status=ResidentStatus.ACTIVE)
    if account.resident_id:
        qs = qs.exclude(pk=account.resident_id)
    return qs.order_by("name")


# --- accounts -----------------------------------------------------------------------------------


@login_required
def accounts(request: HttpRequest) -> HttpResponse:
    """时间银行: the accounts in scope with their balances, searchable by the holder's name."""
    user = acting_user(request)
    _require(user, Capability.READ_SCOPE)
    qs = Account.objects.visible_to(user).select_related("area", "community")
    query = request.GET.get("q", "").strip()[:50]
    kind = request.GET.get("kind", "")
    if query:
        qs = qs.filter(name__contains=query)
    if kind in AccountKind.values:
        qs = qs.filter(kind=kind)
    page, querystring = paginate(request, qs.order_by("community__path", "kind", "name", "pk"), PAGE_SIZE)
    Area.qualify([a.area for a in page.object_list])
    return render(
        request,
        "timebank/accounts.html",
        {"page": page, "querystring": querystring, "q": query, "kind": kind, "kinds": AccountKind.choices},
    )


@login_required
def account_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One account: balance, limits and every movement, newest first."""
    user = acting_user(request)
    _require(user, Capability.READ_SCOPE)
    account = _account(user, pk)
    movements = (
        Movement.objects.filter(account=account)
        .select_related("transfer__source", "transfer__target", "transfer__reversed_by")
        .order_by("-created_at", "-pk")
    )
    page, querystring = paginate(request, movements, PAGE_SIZE)
    can_supervise = user.can(Capability.SUPERVISE)
    return render(
        request,
        "timebank/account.html",
        {
            "account": account,
            "page": page,
            "querystring": querystring,
            "debt_limit": account.debt_limit(),
            "credit_limit": account.credit_limit(),
            "can_write": user.can(Capability.WRITE),
            "can_supervise": can_supervise,
            "limits_form": LimitsForm(
                initial={
                    "debt_limit": account.debt_limit_minutes,
                    "credit_limit": account.credit_limit_minutes,
                }
            ),
        },
    )


def _targets(user: User, source: Account) -> QuerySet[Account]:
    return (
        Account.objects.visible_to(user)
        .open()
        .filter(community=source.community)
        .filter(Q(kind__in=PERSONAL_KINDS) | Q(kind=AccountKind.POOL))
        .exclude(pk=source.pk)
        .order_by("-kind", "name")
    )


@login_required
def transfer_new(request: HttpRequest, pk: int) -> HttpResponseBase:
    """转赠 / 捐赠: move minutes out of one person's account, themselves or through a proxy."""
    user = acting_user(request)
    _require(user, Capability.WRITE)
    source = _account(user, pk)
    if not source.is_personal:
        raise PermissionDenied("只能从志愿者、居民或家庭户的账户转出。")
    form = TransferForm(request.POST or None, targets=_targets(user, source), family=_family(source))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            transfer = services.transfer_create(
                actor=user,
                source=source,
                target=data["target"],
                minutes=data["minutes"],
                note=data["note"],
                acted_by=data["acted_by"],
                proxy=data["proxy"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(
                request,
                f"已{transfer.get_kind_display()}：{source.name} → {transfer.target.name} "
                f"{services.hours_label(transfer.minutes)}。",
            )
            return redirect("timebank:account", pk=source.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "timebank/transfer_new.html", {"form": form, "account": source}, status=status)


@login_required
@require_POST
def transfer_reverse(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = acting_user(request)
    _require(user, Capability.SUPERVISE)
    transfer = get_object_or_404(Transfer.objects.visible_to(user), pk=pk)
    back = request.POST.get("account", "")
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请填写冲正原因。")
    else:
        try:
            services.transfer_reverse(actor=user, transfer=transfer, reason=form.cleaned_data["reason"])
            messages.success(request, "已冲正，原记录保留。")
        except DomainError as exc:
            _refused(request, exc)
    if (back_id := parse_id(back)) is not None and Account.objects.visible_to(user).filter(
        pk=back_id
    ).exists():
        return redirect("timebank:account", pk=back_id)
    return redirect("timebank:account", pk=transfer.source_id)


@login_required
@require_POST
def account_limits(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = acting_user(request)
    _require(user, Capability.SUPERVISE)
    account = _account(user, pk)
    form = LimitsForm(request.POST)
    if not form.is_valid():
        messages.error(request, "额度应为非负整数（分钟）。")
    else:
        try:
            services.account_set_limits(
                actor=user,
                account=account,
                debt_limit=form.cleaned_data["debt_limit"],
                credit_limit=form.cleaned_data["credit_limit"],
            )
            messages.success(request, "额度已保存。")
        except DomainError as exc:
            _refused(request, exc)
    return redirect("timebank:account", pk=account.pk)


@login_required
@require_POST
def account_close(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = acting_user(request)
    _require(user, Capability.SUPERVISE)
    account = _account(user, pk)
    try:
        if account.closed_at is None:
            services.account_close(actor=user, account=account, reason=request.POST.get("reason", ""))
            messages.success(request, "账户已销户。")
        else:
            services.account_reopen(actor=user, account=account)
            messages.success(request, "账户已恢复。")
    except DomainError as exc:
        _refused(request, exc)
    return redirect("timebank:account", pk=account.pk)


@login_required
@require_POST
def account_open(request: HttpRequest) -> HttpResponseBase:
    """开户 for a resident (from the help-request or account pages)."""
    user = acting_user(request)
    _require(user, Capability.WRITE)
    resident = get_object_or_404(Resident.objects.visible_to(user), pk=request.POST.get("resident") or 0)
    try:
        account = services.account_open(actor=user, resident=resident)
    except DomainError as exc:
        _refused(request, exc)
        return redirect("timebank:accounts")
    return redirect("timebank:account", pk=account.pk)


@login_required
def pools(request: HttpRequest) -> HttpResponse:
    """互助池: each community's pool and issuing account, with the latest donations and payments."""
    user = acting_user(request)
    _require(user, Capability.READ_SCOPE)
    rows = list(
        Account.objects.visible_to(user)
        .filter(kind__in=[AccountKind.POOL, AccountKind.ISSUING])
        .select_related("community")
        .order_by("community__path", "kind")
    )
    communities: dict[int, dict[str, Any]] = {}
    for account in rows:
        entry = communities.setdefault(account.community_id, {"community": account.community})
        entry[account.kind] = account
    pool_ids = [a.pk for a in rows if a.kind == AccountKind.POOL]
    recent = (
        Movement.objects.filter(account_id__in=pool_ids)
        .select_related("transfer__source", "transfer__target", "account__community")
        .order_by("-created_at", "-pk")[:20]
    )
    return render(
        request,
        "timebank/pools.html",
        {"communities": list(communities.values()), "recent": recent},
    )


# --- help requests ---------------------------------------------------------------------------------


BOARD_STATES = [
    ("active", "进行中"),
    (HelpStatus.OPEN, HelpStatus.OPEN.label),
    (HelpStatus.MATCHED, HelpStatus.MATCHED.label),
    (HelpStatus.SERVED, HelpStatus.SERVED.label),
    (HelpStatus.PAID, HelpStatus.PAID.label),
    (HelpStatus.CANCELLED, HelpStatus.CANCELLED.label),
]


@login_required
def requests(request: HttpRequest) -> HttpResponse:
    """互助需求: the board of requests in scope, as cards on a phone."""
    user = acting_user(request)
    _require(user, Capability.READ_SCOPE)
    state = request.GET.get("status", "active")
    qs = HelpRequest.objects.visible_to(user).select_related("grid", "resident", "volunteer")
    if state == "active":
        qs = qs.filter(status__in=[HelpStatus.OPEN, HelpStatus.MATCHED, HelpStatus.SERVED])
    elif state in HelpStatus.values:
        qs = qs.filter(status=state)
    page, querystring = paginate(request, qs.order_by("wanted_at", "pk"), PAGE_SIZE)
    Area.qualify([r.grid for r in page.object_list])
    return render(
        request,
        "timebank/requests.html",
        {
            "page": page,
            "querystring": querystring,
            "status": state,
            "states": BOARD_STATES,
            "can_write": user.can(Capability.WRITE),
        },
    )


def _origin_resident(user: User, source: Any) -> str:
    """From "转为互助需求" on a visit or a case: the person it concerns, when the link names no resident."""
    if (visit_pk := parse_id(source.get("visit"))) is not None:
        visit = Visit.objects.visible_to(user).select_related("household").filter(pk=visit_pk).first()
        if visit is not None:
            person = visit.resident_id or (visit.household.head_id if visit.household else None)
            return str(person or "")
    if (case_pk := parse_id(source.get("case"))) is not None:
        case = Case.objects.visible_to(user).filter(pk=case_pk).first()
        if case is not None and case.resident_id:
            return str(case.resident_id)
    return ""


@login_required
def request_new(request: HttpRequest) -> HttpResponseBase:
    """Record a need as a help request: pick the resident (search by name), then what, when, how long."""
    user = acting_user(request)
    _require(user, Capability.WRITE)
    source = request.POST if request.method == "POST" else request.GET
    resident_pk = parse_id(source.get("resident", "") or _origin_resident(user, source))
    if resident_pk is None:
        query = request.GET.get("q", "").strip()[:50]
        found: list[Resident] = (
            list(
                Resident.objects.visible_to(user)
                .filter(status=ResidentStatus.ACTIVE, name__contains=query)
                .select_related("grid")
                .order_by("name", "pk")[:20]
            )
            if query
            else []
        )
        if found:
            Area.qualify([r.grid for r in found])
        return render(request, "timebank/request_pick.html", {"q": query, "found": found})
    resident = get_object_or_404(Resident.objects.visible_to(user).select_related("grid"), pk=resident_pk)
    visit = None
    if (visit_pk := parse_id(source.get("visit"))) is not None:
        visit = get_object_or_404(Visit.objects.visible_to(user), pk=visit_pk)
    case = None
    if (case_pk := parse_id(source.get("case"))) is not None:
        case = get_object_or_404(Case.objects.visible_to(user), pk=case_pk)
    initial: dict[str, Any] = {}
    if visit is not None and visit.needs:
        initial["description"] = visit.needs
    form = HelpRequestForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created = services.help_request_create(
                actor=user,
                resident=resident,
                need=data["need"],
                title=data["title"],
                description=data["description"],
                place=data["place"],
                wanted_at=data["wanted_at"],
                estimated_minutes=data["estimated_minutes"],
                skill=data["skill"],
                pay_from=data["pay_from"],
                visit=visit,
                case=case,
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "已登记互助需求，请为其匹配志愿者。")
            return redirect("timebank:match", pk=created.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "timebank/request_new.html",
        {"form": form, "resident": resident, "visit": visit, "case": case},
        status=status,
    )


@login_required
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    _require(user, Capability.READ_SCOPE)
    help_request = _request(user, pk)
    payer_family = (
        Resident.objects.filter(
            household_id=help_request.resident.household_id, status=ResidentStatus.ACTIVE
        ).exclude(pk=help_request.resident_id)
        if help_request.resident.household_id
        else Resident.objects.none()
    )
    return render(
        request,
        "timebank/request_detail.html",
        {
            "r": help_request,
            "events": help_request.events.all(),
            "can_write": user.can(Capability.WRITE),
            "serve_form": ServeForm(
                initial={"minutes": help_request.served_minutes or help_request.estimated_minutes}
            ),
            "confirm_form": ConfirmForm(initial={"pay_from": help_request.pay_from}, family=payer_family),
            "balance": Account.objects.filter(resident=help_request.resident)
            .values_list("balance_minutes", flat=True)
            .first(),
        },
    )


@login_required
def request_edit(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = acting_user(request)
    _require(user, Capability.WRITE)
    help_request = _request(user, pk)
    initial = {
        "need": help_request.need,
        "title": help_request.title,
        "description": help_request.description,
        "place": help_request.place,
        "wanted_at": timezone_local(help_request.wanted_at),
        "estimated_minutes": help_request.estimated_minutes,
        "skill": help_request.skill,
        "pay_from": help_request.pay_from,
    }
    form = HelpRequestForm(request.POST or None, initial=initial)
    form.fields["need"].disabled = True
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.help_request_update(
                actor=user,
                request=help_request,
                title=data["title"],
                description=data["description"],
                place=data["place"],
                wanted_at=data["wanted_at"],
                estimated_minutes=data["estimated_minutes"],
                pay_from=data["pay_from"],
                skill=data["skill"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "已保存。")
            return redirect("timebank:request", pk=help_request.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "timebank/request_edit.html", {"form": form, "r": help_request}, status=status)


def timezone_local(value: Any) -> Any:
    from django.utils import timezone

    return timezone.localtime(value)


@login_required
def request_match(request: HttpRequest, pk: int) -> HttpResponseBase:
    """匹配: the suggested volunteers (skill, nearness, time) and a button to match each."""
    user = acting_user(request)
    _require(user, Capability.READ_SCOPE)
    help_request = _request(user, pk)
    if request.method == "POST":
        _require(user, Capability.WRITE)
        volunteer = Volunteer.objects.filter(
            community=help_request.community, pk=request.POST.get("volunteer") or 0
        ).first()
        if volunteer is None:
            messages.error(request, "请选择要匹配的志愿者。")
        else:
            try:
                services.help_request_match(actor=user, request=help_request, volunteer=volunteer)
            except DomainError as exc:
                _refused(request, exc)
            else:
                messages.success(request, f"已匹配志愿者{volunteer.name}。")
                return redirect("timebank:request", pk=help_request.pk)
        return redirect("timebank:match", pk=help_request.pk)
    suggestions = services.suggest_volunteers(help_request, limit=20)
    Area.qualify([s.volunteer.grid for s in suggestions])
    return render(
        request,
        "timebank/match.html",
        {"r": help_request, "suggestions": suggestions, "can_write": user.can(Capability.WRITE)},
    )


@login_required
@require_POST
def request_action(request: HttpRequest, pk: int, action: str) -> HttpResponseBase:
    """One URL per action on a request: serve, confirm, unmatch, cancel."""
    user = acting_user(request)
    _require(user, Capability.WRITE)
    help_request = _request(user, pk)
    try:
        if action == "serve":
            serve = ServeForm(request.POST)
            if not serve.is_valid():
                messages.error(request, "; ".join(str(e) for errs in serve.errors.values() for e in errs))
                return redirect("timebank:request", pk=pk)
            services.help_request_serve(
                actor=user,
                request=help_request,
                minutes=serve.cleaned_data["minutes"],
                served_on=serve.cleaned_data["served_on"],
                note=serve.cleaned_data["note"],
            )
            messages.success(request, "已登记服务时长。")
        elif action == "confirm":
            family = Resident.objects.filter(household_id=help_request.resident.household_id or 0)
            confirm = ConfirmForm(request.POST, family=family)
            if not confirm.is_valid():
                messages.error(request, "请选择支付方式和确认人。")
                return redirect("timebank:request", pk=pk)
            done = services.help_request_confirm(
                actor=user,
                request=help_request,
                pay_from=confirm.cleaned_data["pay_from"],
                acted_by=confirm.cleaned_data["acted_by"],
                proxy=confirm.cleaned_data["proxy"],
            )
            minutes = done.served_minutes or 0
            messages.success(request, f"已确认并支付 {services.hours_label(minutes)}。")
        elif action == "unmatch":
            services.help_request_unmatch(
                actor=user, request=help_request, reason=request.POST.get("reason", "")
            )
            messages.success(request, "已取消匹配，需求重新待匹配。")
        elif action == "cancel":
            services.help_request_cancel(
                actor=user, request=help_request, reason=request.POST.get("reason", "")
            )
            messages.success(request, "需求已取消。")
    except DomainError as exc:
        _refused(request, exc)
    return redirect("timebank:request", pk=pk)
