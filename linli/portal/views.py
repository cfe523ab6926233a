"""The residents' pages under /portal/. Each personal page reads the resident from the portal's own
session (auth.resident_required) and shows only what is theirs or the relative's they act for."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from linli.cases import selectors as case_selectors
from linli.cases import services as case_services
from linli.cases.models import Case, CasePhoto, Satisfaction, Status
from linli.core.errors import DomainError, NotFound
from linli.core.forms import add_domain_error
from linli.core.http import photo_response
from linli.core.modules import portal_cards
from linli.core.validation import parse_id
from linli.portal import selectors, services
from linli.portal.auth import clear_cookie, current_session, resident_required, set_cookie
from linli.portal.forms import CaseForm, CodeForm, CorrectionForm, LinkForm, SignInForm
from linli.portal.models import LinkStatus, PortalSession, ProxyLink

CHALLENGE_SALT = "linli.portal.signin"
TEXT_COOKIE = "linli_portal_text"


def _context(request: HttpRequest, session: PortalSession | None, **more: Any) -> dict[str, Any]:
    who = services.acting(session) if session is not None else None
    return {"portal_session": session, "who": who, "code_minutes": settings.LINLI_PORTAL_CODE_MINUTES, **more}


def _safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target.startswith("/portal/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}
    ):
        return target
    return default


# --- shell: manifest, service worker, offline page, text size ----------------------------------


def manifest(request: HttpRequest) -> JsonResponse:
    data = {
        "name": "邻里 居民服务",
        "short_name": "邻里",
        "lang": "zh-CN",
        "start_url": "/portal/",
        "scope": "/portal/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#1f6feb",
        "icons": [
            {"src": static("linli/portal/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static("linli/portal/icon-512.png"), "sizes": "512x512", "type": "image/png"},
            {"src": static("linli/favicon.svg"), "sizes": "any", "type": "image/svg+xml"},
        ],
    }
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/manifest+json"
    return response


def service_worker(request: HttpRequest) -> HttpResponse:
    """Served from /portal/ so its scope is /portal/. It caches the shell (offline page, styles, script,
    icon) and nothing personal: pages are fetched from the network, the offline page shown without it."""
    shell = [
        reverse("portal:offline"),
        static("linli/app.css"),
        static("linli/portal/portal.css"),
        static("linli/portal/portal.js"),
        static("linli/favicon.svg"),
    ]
    body = render(
        request, "portal/sw.js", {"shell": shell, "version": settings.LINLI_PORTAL_SHELL_VERSION}
    ).content
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    response["Service-Worker-Allowed"] = "/portal/"
    return response


def offline(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/offline.html", _context(request, None))


@require_POST
def text_size(request: HttpRequest) -> HttpResponseBase:
    """Large text for elderly users, kept in a cookie of the portal's own (no sign-in needed)."""
    large = request.POST.get("large") == "1"
    response = redirect(_safe_next(request, reverse("portal:home")))
    if large:
        response.set_cookie(TEXT_COOKIE, "large", max_age=3 * 365 * 86400, path="/portal/", samesite="Lax")
    else:
        response.delete_cookie(TEXT_COOKIE, path="/portal/", samesite="Lax")
    return response


# --- sign-in ------------------------------------------------------------------------------------


def signin(request: HttpRequest) -> HttpResponseBase:
    if request.method == "POST":
        form = SignInForm(request.POST)
        if form.is_valid():
            try:
                attempt = services.signin_start(**form.cleaned_data)
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                challenge = signing.dumps(attempt.pk, salt=CHALLENGE_SALT)
                code_form = CodeForm(initial={"challenge": challenge})
                context = _context(
                    request, None, form=code_form, next=_safe_next(request, ""), phone=attempt.phone
                )
                return render(request, "portal/signin_code.html", context)
        return render(
            request,
            "portal/signin.html",
            _context(request, None, form=form, next=_safe_next(request, "")),
            status=400,
        )
    if current_session(request) is not None:
        return redirect("portal:home")
    return render(
        request,
        "portal/signin.html",
        _context(request, None, form=SignInForm(), next=_safe_next(request, "")),
    )


@require_POST
def signin_code(request: HttpRequest) -> HttpResponseBase:
    form = CodeForm(request.POST)
    if form.is_valid():
        try:
            request_id = signing.loads(
                form.cleaned_data["challenge"],
                salt=CHALLENGE_SALT,
                max_age=settings.LINLI_PORTAL_CODE_MINUTES * 60,
            )
        except signing.BadSignature:
            request_id = None
        try:
            _, key = services.signin_verify(
                request_id=request_id if isinstance(request_id, int) else None, code=form.cleaned_data["code"]
            )
        except DomainError as exc:
            form.add_error("code" if exc.field == "code" else None, exc.message)
        else:
            response = redirect(_safe_next(request, reverse("portal:home")))
            set_cookie(response, key)
            return response
    context = _context(request, None, form=form, next=_safe_next(request, ""))
    return render(request, "portal/signin_code.html", context, status=400)


@require_POST
def signout(request: HttpRequest) -> HttpResponseBase:
    session = current_session(request)
    if session is not None:
        services.session_end(session=session)
    response = redirect("portal:signin")
    clear_cookie(response)
    return response


# --- home, household ------------------------------------------------------------------------------


@resident_required
def home(request: HttpRequest, session: PortalSession) -> HttpResponse:
    who = services.acting(session)
    principal = who.principal
    cases = list(services.my_cases(principal).select_related("category").order_by("-received_at")[:3])
    context = _context(
        request,
        session,
        workers=selectors.grid_workers(principal),
        last_visit=selectors.last_visit(principal),
        cases=cases,
        links=[
            link for link in selectors.links_as_agent(session.resident) if link.status == LinkStatus.APPROVED
        ],
        cards=portal_cards(principal),
    )
    return render(request, "portal/home.html", context)


@resident_required
def household(request: HttpRequest, session: PortalSession) -> HttpResponse:
    who = services.acting(session)
    form = CorrectionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.correction_create(session=session, text=form.cleaned_data["text"])
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "已提交，网格员核实后会更正。")
            return redirect("portal:household")
    context = _context(request, session, form=form, **selectors.household(who.principal))
    return render(request, "portal/household.html", context, status=400 if form.errors else 200)


@resident_required
def grid_worker(request: HttpRequest, session: PortalSession) -> HttpResponse:
    principal = services.acting(session).principal
    context = _context(
        request,
        session,
        workers=selectors.grid_workers(principal),
        last_visit=selectors.last_visit(principal),
    )
    return render(request, "portal/grid_worker.html", context)


# --- cases ---------------------------------------------------------------------------------------


@resident_required
def case_list(request: HttpRequest, session: PortalSession) -> HttpResponse:
    principal = services.acting(session).principal
    cases = services.my_cases(principal).select_related("category").order_by("-received_at")[:100]
    return render(request, "portal/case_list.html", _context(request, session, cases=cases))


@resident_required
def case_new(request: HttpRequest, session: PortalSession) -> HttpResponse:
    who = services.acting(session)
    form = CaseForm(request.POST or None, initial={"where": "home" if who.principal.house_id else "address"})
    questions = form.add_questions()
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        answers = {code: data[name] for code, name in questions if data.get(name)}
        try:
            case = services.case_file(
                session=session,
                category=data["category"],
                title=data["title"],
                description=data["description"],
                at_home=data["where"] == "home",
                address=data["address"],
                community=data["community"],
                photos=request.FILES.getlist("photos"),
                attributes=answers,
                latitude=data["latitude"],
                longitude=data["longitude"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"已提交。工单编号 {case.number}，办理进度可在“我的诉求”查看。")
            return redirect("portal:case", number=case.number)
    context = _context(request, session, form=form, home=who.principal.house, max_photos=services.MAX_PHOTOS)
    return render(request, "portal/case_new.html", context, status=400 if form.errors else 200)


@resident_required
def map_areas(request: HttpRequest, session: PortalSession) -> JsonResponse:
    """The boundaries the map pick draws: the communities and grids of the resident's street (public
    geography, nothing personal)."""
    return JsonResponse({"areas": selectors.map_areas(services.acting(session).principal)})


@resident_required
def map_locate(request: HttpRequest, session: PortalSession) -> JsonResponse:
    """Which community of the resident's street holds the picked point (?lat=&lng=): the form selects it;
    the case is then placed in the grid at that point by the cases service."""
    try:
        lat, lng = float(request.GET.get("lat", "")), float(request.GET.get("lng", ""))
    except ValueError:
        return JsonResponse({"error": "请提供经纬度。"}, status=400)
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        return JsonResponse({"error": "经纬度超出范围。"}, status=400)
    found = selectors.community_at(services.acting(session).principal, lat, lng)
    if found is None:
        return JsonResponse(
            {"area": None, "message": "该位置不在本街道已落图的社区内，请选择社区并填写地点。"}
        )
    return JsonResponse({"area": found.pk, "name": found.name})


def _case(session: PortalSession, number: str) -> Case:
    try:
        return services.my_case(services.acting(session).principal, number)
    except NotFound as exc:
        raise Http404 from exc


@resident_required
def case_detail(request: HttpRequest, session: PortalSession, number: str) -> HttpResponse:
    case = _case(session, number)
    duplicates = case_selectors.nearby_duplicates(case, Case.objects.all())
    context = _context(
        request,
        session,
        case=case,
        events=selectors.case_events(case),
        photos=selectors.case_photos(case),
        note_actions=selectors.PUBLIC_NOTES,
        can_verdict=case.status in (Status.HANDLED, Status.VERIFYING),
        can_reopen=case_services.may_resident_reopen(case),
        can_rate=case.status == Status.CLOSED and case.followed_up_at is None,
        can_add_photo=case.is_open,
        satisfactions=Satisfaction.choices,
        reopen_days=settings.LINLI_RESIDENT_REOPEN_DAYS,
        duplicates=len(duplicates),
    )
    return render(request, "portal/case_detail.html", context)


@require_POST
@resident_required
def case_verdict(request: HttpRequest, session: PortalSession, number: str) -> HttpResponseBase:
    case = _case(session, number)
    try:
        services.case_verdict(
            session=session,
            case=case,
            solved=request.POST.get("solved") == "1",
            note=request.POST.get("note", ""),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "感谢反馈，我们已记录。")
    return redirect("portal:case", number=case.number)


@require_POST
@resident_required
def case_rate(request: HttpRequest, session: PortalSession, number: str) -> HttpResponseBase:
    case = _case(session, number)
    try:
        services.case_rate(
            session=session,
            case=case,
            satisfaction=request.POST.get("satisfaction", ""),
            note=request.POST.get("note", ""),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "感谢您的评价。")
    return redirect("portal:case", number=case.number)


@require_POST
@resident_required
def case_photo_add(request: HttpRequest, session: PortalSession, number: str) -> HttpResponseBase:
    case = _case(session, number)
    upload = request.FILES.get("photo")
    if upload is None:
        messages.error(request, "请选择一张照片。")
    else:
        try:
            services.case_add_photo(session=session, case=case, upload=upload)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "照片已添加。")
    return redirect("portal:case", number=case.number)


@resident_required
def case_photo(request: HttpRequest, session: PortalSession, number: str, pk: int) -> HttpResponseBase:
    case = _case(session, number)
    return photo_response(CasePhoto.objects.filter(case=case), pk)


# --- relatives (代办) --------------------------------------------------------------------------------


@resident_required
def relatives(request: HttpRequest, session: PortalSession) -> HttpResponse:
    form = LinkForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.link_request(session=session, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "已提交申请。社区工作人员与亲属核实后批准，批准后即可代办。")
            return redirect("portal:relatives")
    context = _context(
        request,
        session,
        form=form,
        as_agent=selectors.links_as_agent(session.resident),
        as_principal=selectors.links_as_principal(session.resident),
    )
    return render(request, "portal/relatives.html", context, status=400 if form.errors else 200)


def _own_link(session: PortalSession, pk: int) -> ProxyLink:
    link = get_object_or_404(ProxyLink.objects.select_related("agent", "principal", "grid"), pk=pk)
    if session.resident_id not in (link.agent_id, link.principal_id):
        raise Http404
    return link


@require_POST
@resident_required
def relative_end(request: HttpRequest, session: PortalSession, pk: int) -> HttpResponseBase:
    link = _own_link(session, pk)
    try:
        services.link_end(session=session, link=link)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "代办关系已解除。")
    return redirect("portal:relatives")


@require_POST
@resident_required
def act_for(request: HttpRequest, session: PortalSession) -> HttpResponseBase:
    """Switch whose affairs the portal shows: a linked relative (by link id) or oneself."""
    chosen = request.POST.get("link", "")
    principal = None
    if (link_id := parse_id(chosen)) is not None:
        link = _own_link(session, link_id)
        if link.agent_id != session.resident_id or link.status != LinkStatus.APPROVED:
            raise Http404
        principal = link.principal
    try:
        services.act_for(session=session, principal=principal)
    except NotFound as exc:
        raise Http404 from exc
    if principal is not None:
        messages.info(request, f"您正在代 {principal.name} 办理，每项操作都会记录并短信告知对方。")
    return redirect("portal:home")
