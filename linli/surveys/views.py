from __future__ import annotations

import json
import secrets
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from linli.accounts.models import User
from linli.accounts.roles import Capability
from linli.areas.models import Area
from linli.core import qr
from linli.core.context import current_origin
from linli.core.errors import DomainError, RateLimited
from linli.core.forms import add_domain_error
from linli.core.http import HttpRequest, acting_user, paginate
from linli.core.scoping import subtree_q
from linli.core.validation import parse_id
from linli.surveys import selectors, services
from linli.surveys.export import export_results
from linli.surveys.forms import DeclineForm, QuestionForm, ReasonForm, SeedForm, SurveyForm
from linli.surveys.models import Channel, Invitation, Kind, Question, Response, Status, Survey, Target

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
COOKIE = "linli_sv"
COOKIE_AGE = 60 * 60 * 24 * 365


def _require(user: User, capability: Capability) -> None:
    if not user.can(capability):
        raise PermissionDenied


TEXT_PAGE = 50  # text answers per page after the results page's newest 20


def _survey(user: User, pk: int) -> Survey:
    return get_object_or_404(Survey.objects.visible_to(user).select_related("area"), pk=pk)


def _managed(user: User, pk: int) -> Survey:
    _require(user, Capability.RUN_SURVEYS)
    return get_object_or_404(Survey.objects.managed_by(user).select_related("area"), pk=pk)


def _run(request: HttpRequest, survey: Survey, action: Any, done: str) -> HttpResponse:
    try:
        action()
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect("surveys:detail", survey.pk)


@login_required
def survey_list(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    qs = Survey.objects.visible_to(user).select_related("area")
    status = request.GET.get("status", "")
    if status in Status.values:
        qs = qs.filter(status=status)
    page, querystring = paginate(request, qs, 30)
    Area.qualify(s.area for s in page.object_list)
    return render(
        request,
        "surveys/survey_list.html",
        {
            "page": page,
            "querystring": querystring,
            "status": status,
            "statuses": Status.choices,
            "can_run": user.can(Capability.RUN_SURVEYS),
        },
    )


def _survey_args(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "title": data["title"],
        "description": data["description"],
        "target": data["target"],
        "target_tags": list(data["target_tags"]),
        "sample_unit": data["sample_unit"],
        "sample_size": data["sample_size"] or 0,
        "open_link": data["open_link"],
    }


@login_required
def survey_new(request: HttpRequest) -> HttpResponseBase:
    user = acting_user(request)
    _require(user, Capability.RUN_SURVEYS)
    form = SurveyForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            survey = services.survey_create(
                actor=user, area=form.cleaned_data["area"], **_survey_args(form.cleaned_data)
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "问卷已创建，请添加题目。")
            return redirect("surveys:detail", survey.pk)
    return render(
        request,
        "surveys/survey_form.html",
        {"form": form, "survey": None},
        status=400 if form.errors else 200,
    )


@login_required
def survey_edit(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = acting_user(request)
    survey = _managed(user, pk)
    initial = {
        "title": survey.title,
        "description": survey.description,
        "target": survey.target,
        "target_tags": list(survey.target_tags.all()),
        "sample_unit": survey.sample_unit,
        "sample_size": survey.sample_size,
        "open_link": survey.open_link,
    }
    form = SurveyForm(request.POST or None, user=user, survey=survey, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.survey_update(actor=user, survey=survey, **_survey_args(form.cleaned_data))
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "已保存。")
            return redirect("surveys:detail", survey.pk)
    return render(
        request,
        "surveys/survey_form.html",
        {"form": form, "survey": survey},
        status=400 if form.errors else 200,
    )


@login_required
def survey_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    survey = _survey(user, pk)
    managed = user.can(Capability.RUN_SURVEYS) and Survey.objects.managed_by(user).filter(pk=pk).exists()
    questions = list(survey.questions.select_related("condition_question"))
    invitations = survey.invitations.aggregate(
        sample=Count("pk", filter=Q(in_sample=True)),
        answered=Count("pk", filter=Q(state=Invitation.State.ANSWERED)),
        declined=Count("pk", filter=Q(state=Invitation.State.DECLINED)),
        replacements=Count("pk", filter=Q(in_sample=False, state=Invitation.State.WAITING)),
    )
    open_url = request.build_absolute_uri(reverse("surveys:answer_open", args=[survey.link_key]))
    return render(
        request,
        "surveys/survey_detail.html",
        {
            "survey": survey,
            "questions": questions,
            "managed": managed,
            "can_write": user.can(Capability.WRITE),
            "can_export": managed and user.can(Capability.EXPORT),
            "invitations": invitations,
            "events": survey.events.all(),
            "open_url": open_url,
            "open_qr": qr.svg(open_url, title="公开答题链接二维码") if survey.open_link else "",
            "seed_form": SeedForm(),
            "reason_form": ReasonForm(),
        },
    )


@login_required
def question_new(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = acting_user(request)
    survey = _managed(user, pk)
    form = QuestionForm(request.POST or None, survey=survey)
    if request.method == "POST" and form.is_valid():
        try:
            services.question_add(actor=user, survey=survey, data=form.as_input())
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "题目已添加。")
            return redirect("surveys:detail", survey.pk)
    return render(
        request,
        "surveys/question_form.html",
        {"form": form, "survey": survey, "question": None},
        status=400 if form.errors else 200,
    )


def _question(user: User, pk: int, qpk: int) -> tuple[Survey, Question]:
    survey = _managed(user, pk)
    return survey, get_object_or_404(Question, survey=survey, pk=qpk)


@login_required
def question_edit(request: HttpRequest, pk: int, qpk: int) -> HttpResponseBase:
    user = acting_user(request)
    survey, question = _question(user, pk, qpk)
    form = QuestionForm(request.POST or None, survey=survey, question=question)
    if request.method != "POST":
        form.initial_from(question)
    elif form.is_valid():
        try:
            services.question_update(actor=user, question=question, data=form.as_input())
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "题目已保存。")
            return redirect("surveys:detail", survey.pk)
    return render(
        request,
        "surveys/question_form.html",
        {"form": form, "survey": survey, "question": question},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def question_delete(request: HttpRequest, pk: int, qpk: int) -> HttpResponse:
    user = acting_user(request)
    survey, question = _question(user, pk, qpk)
    return _run(
        request, survey, lambda: services.question_delete(actor=user, question=question), "题目已删除。"
    )


@login_required
@require_POST
def question_move(request: HttpRequest, pk: int, qpk: int) -> HttpResponse:
    user = acting_user(request)
    survey, question = _question(user, pk, qpk)
    up = request.POST.get("direction") != "down"
    return _run(
        request, survey, lambda: services.question_move(actor=user, question=question, up=up), "顺序已调整。"
    )


@login_required
@require_POST
def survey_draw(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    survey = _managed(user, pk)
    seed = request.POST.get("seed", "")
    return _run(
        request,
        survey,
        lambda: services.survey_draw(actor=user, survey=survey, seed=seed),
        "调查名单已生成，随机种子已公开。",
    )


@login_required
@require_POST
def survey_open(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    survey = _managed(user, pk)
    return _run(
        request, survey, lambda: services.survey_open(actor=user, survey=survey), "问卷已发布，开始收集答卷。"
    )


@login_required
@require_POST
def survey_close(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    survey = _managed(user, pk)
    return _run(
        request,
        survey,
        lambda: services.survey_close(actor=user, survey=survey),
        "问卷已结束，不再接收答卷。",
    )


@login_required
@require_POST
def survey_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    survey = _managed(user, pk)
    reason = request.POST.get("reason", "")
    return _run(
        request,
        survey,
        lambda: services.survey_reopen(actor=user, survey=survey, reason=reason),
        "问卷已重新开放。",
    )


@login_required
@require_POST
def survey_copy(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    survey = _managed(user, pk)
    try:
        copy = services.survey_copy(actor=user, survey=survey)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("surveys:detail", survey.pk)
    messages.success(request, "已复制为新的草稿。")
    return redirect("surveys:detail", copy.pk)


@login_required
def invitation_list(request: HttpRequest, pk: int) -> HttpResponse:
    """The drawn list a grid worker works through (their grids only), with QR codes to print and hand out."""
    user = acting_user(request)
    survey = _survey(user, pk)
    qs = Invitation.objects.visible_to(user).filter(survey=survey).select_related("grid")
    show = request.GET.get("show", "sample")
    if show == "sample":
        qs = qs.filter(in_sample=True)
    printing = request.GET.get("print") == "1"
    page, querystring = paginate(request, qs, 200 if printing else 50)
    Area.qualify(i.grid for i in page.object_list)
    slips = []
    if printing:
        for i in page.object_list:
            url = request.build_absolute_uri(reverse("surveys:answer", args=[i.token]))
            slips.append((i, qr.svg(url, scale=3, title=i.label)))
    return render(
        request,
        "surveys/invitation_list.html",
        {
            "survey": survey,
            "page": page,
            "querystring": querystring,
            "show": show,
            "printing": printing,
            "slips": slips,
            "can_write": user.can(Capability.WRITE),
            "decline_form": DeclineForm(),
        },
    )


@login_required
@require_POST
def invitation_decline(request: HttpRequest, pk: int, ipk: int) -> HttpResponse:
    user = acting_user(request)
    survey = _survey(user, pk)
    invitation = get_object_or_404(
        Invitation.objects.visible_to(user).select_related("grid"), survey=survey, pk=ipk
    )
    try:
        replacement = services.invitation_decline(
            actor=user, invitation=invitation, note=request.POST.get("note", "")
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            f"已标记；替补对象：{replacement.label}" if replacement else "已标记；本网格已没有替补对象。",
        )
    return redirect(reverse("surveys:invitations", args=[survey.pk]))


def _form_context(survey: Survey) -> dict[str, Any]:
    return {"survey": survey, "questions": list(survey.questions.select_related("condition_question"))}


@login_required
def door(request: HttpRequest, pk: int) -> HttpResponse:
    """入户填报: the form a grid worker fills on a phone, offline if need be; answers queue on the phone and
    upload when there is a network (surveys.js)."""
    user = acting_user(request)
    _require(user, Capability.WRITE)
    survey = _survey(user, pk)
    invitations: list[Invitation] = []
    grids: list[Area] = []
    if survey.uses_invitations:
        invitations = list(
            Invitation.objects.visible_to(user)
            .filter(survey=survey, in_sample=True, state=Invitation.State.WAITING)
            .select_related("grid")[:2000]
        )
        Area.qualify(i.grid for i in invitations)
    else:
        grids = list(
            Area.objects.filter(kind=Area.Kind.GRID)
            .filter(subtree_q([survey.area.path]))
            .filter(subtree_q(user.scope_paths()))
            .order_by("path")
        )
        Area.qualify(grids)
    return render(
        request,
        "surveys/door.html",
        {
            **_form_context(survey),
            "invitations": invitations,
            "grids": grids,
            "open": survey.status == Status.OPEN,
        },
    )


@login_required
@require_POST
def door_upload(request: HttpRequest, pk: int) -> JsonResponse:
    user = acting_user(request)
    if not user.can(Capability.WRITE):
        return JsonResponse({"detail": "您没有填报权限。"}, status=403)
    survey = get_object_or_404(Survey.objects.visible_to(user), pk=pk)
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        return JsonResponse({"detail": "上传内容不是有效的 JSON。"}, status=400)
    items = body.get("items") if isinstance(body, dict) else None
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        return JsonResponse({"detail": "上传内容应为 {items: [...]}。"}, status=400)
    try:
        outcomes = services.responses_upload(actor=user, survey=survey, items=items)
    except DomainError as exc:
        return JsonResponse({"detail": exc.message}, status=400)
    return JsonResponse({"results": [o.__dict__ for o in outcomes]})


@login_required
def results(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    survey = _survey(user, pk)
    result = selectors.results(survey, sensitive=user.can(Capability.VIEW_SENSITIVE))
    managed = Survey.objects.managed_by(user).filter(pk=pk).exists()
    context = {"survey": survey, "r": result, "can_export": managed and user.can(Capability.EXPORT)}
    if request.htmx:
        return render(request, "surveys/results.html#figures", context)
    return render(request, "surveys/results.html", context)


@login_required
def results_texts(request: HttpRequest, pk: int, qpk: int) -> HttpResponse:
    """A text question's answers, one page older than `before` (the results page shows the newest)."""
    user = acting_user(request)
    survey = _survey(user, pk)
    question = get_object_or_404(Question, survey=survey, pk=qpk, kind=Kind.TEXT)
    before = parse_id(request.GET.get("before"))
    page = selectors.text_page(question, before=before, size=TEXT_PAGE)
    context = {"survey": survey, "question": question, "page": page}
    if request.htmx:
        return render(request, "surveys/results_texts.html#page", context)
    return render(request, "surveys/results_texts.html", context)


@login_required
def results_export(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    _require(user, Capability.EXPORT)
    survey = _managed(user, pk)
    data = export_results(actor=user, survey=survey)
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="survey-{survey.pk}-results.xlsx"'
    return response


# --- residents answering (no account) ---------------------------------------------------------


def _answer(request: HttpRequest, survey: Survey, channel: str, token: str = "") -> HttpResponseBase:
    error = ""
    values: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        values = {k: request.POST.getlist(k) for k in request.POST if k.startswith("q")}
        # The browser's mark from an earlier answer, or a new one it keeps after this answer.
        client = (
            (request.COOKIES.get(COOKIE, "")[:64] or secrets.token_hex(16))
            if channel == Channel.OPEN_LINK
            else ""
        )
        try:
            services.response_submit(
                actor=None,
                survey=survey,
                fields=values,
                channel=channel,
                token=token,
                client=f"{survey.pk}:{client}" if client else "",
                ip=current_origin().ip or "",
            )
        except DomainError as exc:
            error = exc.message
            status = 429 if isinstance(exc, RateLimited) else 400
        else:
            response = render(request, "surveys/answer_done.html", {"survey": survey})
            if channel == Channel.OPEN_LINK:
                response.set_cookie(COOKIE, client, max_age=COOKIE_AGE, httponly=True, samesite="Lax")
            return response
    if token:
        answered = Invitation.objects.filter(token=token, state=Invitation.State.ANSWERED).exists()
    else:  # the open link: this browser's mark from an earlier answer
        mark = request.COOKIES.get(COOKIE, "")[:64]
        answered = (
            bool(mark)
            and Response.objects.filter(
                survey=survey, client_hash=services.client_hash(f"{survey.pk}:{mark}")
            ).exists()
        )
    return render(
        request,
        "surveys/answer.html",
        {
            **_form_context(survey),
            "error": error,
            "values": values,
            "closed": survey.status != Status.OPEN,
            "used": bool(answered),
        },
        status=status,
    )


def answer(request: HttpRequest, token: str) -> HttpResponseBase:
    """A sampled resident's one-time link (from the QR code on the slip the grid worker left)."""
    invitation = Invitation.objects.select_related("survey").filter(token=token[:24]).first()
    if invitation is None or invitation.survey.status == Status.DRAFT:
        raise Http404
    return _answer(request, invitation.survey, Channel.INVITATION, invitation.token)


def answer_open(request: HttpRequest, key: str) -> HttpResponseBase:
    survey = Survey.objects.filter(link_key=key[:32], open_link=True).exclude(status=Status.DRAFT).first()
    if survey is None or survey.target != Target.AREA:
        raise Http404
    return _answer(request, survey, Channel.OPEN_LINK)
