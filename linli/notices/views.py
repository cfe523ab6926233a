from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import FileResponse, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from linli.accounts.models import User
from linli.accounts.roles import Capability
from linli.areas.models import Area
from linli.core.errors import DomainError
from linli.core.forms import add_domain_error
from linli.core.http import HttpRequest, acting_user, paginate
from linli.notices import selectors, services
from linli.notices.forms import (
    AnswerForm,
    AttachmentForm,
    FinanceLinesForm,
    NoticeFilterForm,
    NoticeForm,
    ReasonForm,
    lines_text,
    parse_lines,
)
from linli.notices.models import Attachment, LineKind, Notice, NoticeStatus, Question

PAGE_SIZE = 30


def _require(user: User, capability: Capability) -> None:
    if not user.can(capability):
        raise PermissionDenied


def _notice(user: User, pk: int) -> Notice:
    return get_object_or_404(Notice.objects.visible_to(user).select_related("area"), pk=pk)


@login_required
def notice_list(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    form = NoticeFilterForm(request.GET or None)
    qs: QuerySet[Notice] = Notice.objects.visible_to(user).select_related("area")
    if form.is_bound and form.is_valid():
        if form.cleaned_data["status"]:
            qs = qs.filter(status=form.cleaned_data["status"])
        if form.cleaned_data["category"]:
            qs = qs.filter(category=form.cleaned_data["category"])
    page, querystring = paginate(request, qs.order_by("-publish_from", "-pk"), PAGE_SIZE)
    Area.qualify(n.area for n in page)
    communities = Area.objects.visible_to(user).filter(kind="community").order_by("path")
    context = {
        "form": form,
        "page": page,
        "querystring": querystring,
        "can_edit": user.can(Capability.DISPATCH),
        "communities": communities,
        "open_questions": selectors.todo(user),
    }
    return render(request, "notices/list.html", context)


@login_required
def notice_new(request: HttpRequest) -> HttpResponseBase:
    user = acting_user(request)
    _require(user, Capability.DISPATCH)
    form = NoticeForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            notice = services.notice_create(
                actor=user,
                area=d["area"],
                category=d["category"],
                title=d["title"],
                body=d["body"],
                publish_from=d["publish_from"],
                publish_until=d["publish_until"],
                period_label=d["period_label"],
                lines=parse_lines(d["lines"]),
                declared_income=d["declared_income"],
                declared_expense=d["declared_expense"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "已保存草稿。添加附件、核对后即可发布。")
            return redirect("notices:detail", pk=notice.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "notices/new.html", {"form": form}, status=status)


def _detail_context(user: User, notice: Notice, **forms: Any) -> dict[str, Any]:
    Area.qualify([notice.area])
    lines = list(notice.lines.all())
    draft = notice.status == NoticeStatus.DRAFT
    context: dict[str, Any] = {
        "notice": notice,
        "lines": lines,
        "income": [line for line in lines if line.kind == LineKind.INCOME],
        "expense": [line for line in lines if line.kind == LineKind.EXPENSE],
        "attachments": notice.attachments.all(),
        "versions": selectors.versions(notice),
        "questions": Question.objects.filter(notice__series_id=notice.series_id).select_related("notice"),
        "can_edit": user.can(Capability.DISPATCH),
        "can_answer": user.can(Capability.WRITE),
        "draft": draft,
        "now": timezone.now(),
        "answer_form": AnswerForm(),
        "reason_form": ReasonForm(),
        "attachment_form": AttachmentForm(),
    }
    if draft:
        context["edit_form"] = NoticeForm(
            user=user,
            edit=True,
            initial={
                "title": notice.title,
                "body": notice.body,
                "publish_from": notice.publish_from,
                "publish_until": notice.publish_until,
                "period_label": notice.period_label,
            },
        )
        for name in ("lines", "declared_income", "declared_expense"):
            del context["edit_form"].fields[name]
        context["lines_form"] = FinanceLinesForm(
            initial={
                "lines": lines_text(lines),
                "declared_income": notice.declared_income,
                "declared_expense": notice.declared_expense,
            }
        )
    context.update(forms)
    return context


@login_required
def notice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    return render(request, "notices/detail.html", _detail_context(user, _notice(user, pk)))


def _post(
    request: HttpRequest, pk: int, form: Any, key: str, run: Any, done: str, capability: Capability
) -> HttpResponseBase:
    user = acting_user(request)
    _require(user, capability)
    notice = _notice(user, pk)
    if form.is_valid():
        try:
            result = run(user, notice, form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, done)
            return redirect("notices:detail", pk=result.pk if isinstance(result, Notice) else notice.pk)
    return render(request, "notices/detail.html", _detail_context(user, notice, **{key: form}), status=400)


@login_required
@require_POST
def notice_edit(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = acting_user(request)
    form = NoticeForm(request.POST, user=user, edit=True)
    for name in ("lines", "declared_income", "declared_expense"):
        del form.fields[name]
    return _post(
        request,
        pk,
        form,
        "edit_form",
        lambda u, n, d: services.notice_update(
            actor=u,
            notice=n,
            title=d["title"],
            body=d["body"],
            publish_from=d["publish_from"],
            publish_until=d["publish_until"],
            period_label=d["period_label"],
        ),
        "已保存草稿。",
        Capability.DISPATCH,
    )


@login_required
@require_POST
def notice_lines(request: HttpRequest, pk: int) -> HttpResponseBase:
    return _post(
        request,
        pk,
        FinanceLinesForm(request.POST),
        "lines_form",
        lambda u, n, d: services.finance_lines_set(
            actor=u,
            notice=n,
            lines=parse_lines(d["lines"]),
            declared_income=d["declared_income"],
            declared_expense=d["declared_expense"],
        ),
        "已保存收支明细，合计核对无误。",
        Capability.DISPATCH,
    )


@login_required
@require_POST
def notice_attach(request: HttpRequest, pk: int) -> HttpResponseBase:
    return _post(
        request,
        pk,
        AttachmentForm(request.POST, request.FILES),
        "attachment_form",
        lambda u, n, d: services.attachment_add(actor=u, notice=n, upload=d["file"]),
        "已添加附件。",
        Capability.DISPATCH,
    )


@login_required
@require_POST
def attachment_remove(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = acting_user(request)
    _require(user, Capability.DISPATCH)
    item = get_object_or_404(Attachment.objects.visible_to(user), pk=pk)
    try:
        services.attachment_remove(actor=user, attachment=item)
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("notices:detail", pk=item.notice_id)


@login_required
def attachment(request: HttpRequest, pk: int) -> FileResponse:
    item = get_object_or_404(Attachment.objects.visible_to(acting_user(request)), pk=pk)
    return _file(item)


def _file(item: Attachment) -> FileResponse:
    response = FileResponse(
        item.file.open("rb"), content_type=item.content_type, as_attachment=True, filename=item.name
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_POST
def notice_publish(request: HttpRequest, pk: int) -> HttpResponseBase:
    return _post(
        request,
        pk,
        ReasonForm({"reason": "-"}),
        "reason_form",
        lambda u, n, d: services.notice_publish(actor=u, notice=n),
        "已发布，居民可在公开栏查看。",
        Capability.DISPATCH,
    )


@login_required
@require_POST
def notice_correct(request: HttpRequest, pk: int) -> HttpResponseBase:
    return _post(
        request,
        pk,
        ReasonForm(request.POST),
        "reason_form",
        lambda u, n, d: services.notice_correct(actor=u, notice=n, reason=d["reason"]),
        "已生成更正稿（新版本），修改后发布即替换原版本。",
        Capability.DISPATCH,
    )


@login_required
@require_POST
def notice_withdraw(request: HttpRequest, pk: int) -> HttpResponseBase:
    return _post(
        request,
        pk,
        ReasonForm(request.POST),
        "reason_form",
        lambda u, n, d: services.notice_withdraw(actor=u, notice=n, reason=d["reason"]),
        "已撤回。",
        Capability.DISPATCH,
    )


@login_required
@require_POST
def notice_discard(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = acting_user(request)
    _require(user, Capability.DISPATCH)
    notice = _notice(user, pk)
    try:
        services.notice_discard(actor=user, notice=notice)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("notices:detail", pk=notice.pk)
    messages.success(request, "已删除草稿。")
    return redirect("notices:list")


@login_required
@require_POST
def question_answer(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = acting_user(request)
    _require(user, Capability.WRITE)
    question = get_object_or_404(Question.objects.visible_to(user).select_related("notice"), pk=pk)
    form = AnswerForm(request.POST)
    if form.is_valid():
        try:
            services.question_answer(actor=user, question=question, answer=form.cleaned_data["answer"])
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "已答复，答复将显示在公开栏。")
            return redirect("notices:detail", pk=question.notice_id)
    notice = _notice(user, question.notice_id)
    context = _detail_context(user, notice, answer_form=form, answering=question.pk)
    return render(request, "notices/detail.html", context, status=400)
