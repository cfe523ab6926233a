from __future__ import annotations

import io
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from linli.accounts.models import User
from linli.accounts.roles import Capability
from linli.areas.models import Area
from linli.core.errors import DomainError
from linli.core.forms import add_domain_error
from linli.core.http import HttpRequest, acting_user, paginate
from linli.core.scoping import subtree_q
from linli.core.validation import parse_id
from linli.opinions import selectors, services
from linli.opinions.export import export_ledger, export_report
from linli.opinions.forms import (
    AttendanceForm,
    CloseForm,
    CorrectForm,
    MergeForm,
    OpenDayForm,
    OpinionFilterForm,
    OpinionForm,
    ReasonForm,
    ReplyForm,
    ReportForm,
    RuleForm,
    ToCaseForm,
    TriageForm,
)
from linli.opinions.models import OPEN_STATUSES, OpenDay, OpenDayRule, Opinion
from linli.registry.models import Resident

PAGE_SIZE = 30
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _require(user: User, capability: Capability) -> None:
    if not user.can(capability):
        raise PermissionDenied


def _xlsx(buffer: io.BytesIO, filename: str) -> HttpResponse:
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _opinion(user: User, pk: int) -> Opinion:
    qs = Opinion.objects.visible_to(user).select_related(
        "area", "resident", "case", "open_day", "merged_into"
    )
    return get_object_or_404(qs, pk=pk)


def filtered(user: User, data: dict[str, Any]) -> QuerySet[Opinion]:
    qs: QuerySet[Opinion] = Opinion.objects.visible_to(user)
    if area := data.get("area"):
        qs = qs.filter(subtree_q([area.path], "area__path"))
    status = data.get("status")
    if status == "due":
        qs = qs.filter(status__in=OPEN_STATUSES)
    elif status:
        qs = qs.filter(status=status)
    if data.get("channel"):
        qs = qs.filter(channel=data["channel"])
    if data.get("topic"):
        qs = qs.filter(topic_rows__topic=data["topic"])
    if data.get("month"):
        start, end = selectors.month_bounds(selectors.parse_month(data["month"]))
        qs = qs.filter(received_at__gte=start, received_at__lt=end)
    if q := (data.get("q") or "").strip():
        qs = qs.filter(Q(number__iexact=q) | Q(summary__contains=q))
    return qs


@login_required
def opinion_list(request: HttpRequest) -> HttpResponseBase:
    """社情民意台账: the ledger, filtered; the same filters export to Excel."""
    user = acting_user(request)
    form = OpinionFilterForm(request.GET or None, user=user)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    qs = filtered(user, data)
    if request.GET.get("format") == "xlsx":
        _require(user, Capability.EXPORT)
        buffer = io.BytesIO()
        export_ledger(actor=user, target=buffer, opinions=qs, title="社情民意台账", area=data.get("area"))
        return _xlsx(buffer, f"opinions-{timezone.localdate():%Y%m%d}.xlsx")
    # The page is read from the opinion table alone and its areas and speakers fetched by id afterwards:
    # joined, SQLite put the area table in the outer loop and read every opinion of every area.
    qs = qs.prefetch_related("area", "resident").order_by("-received_at", "-pk")
    page, querystring = paginate(request, qs, PAGE_SIZE)
    Area.qualify(o.area for o in page)
    context = {
        "form": form,
        "page": page,
        "querystring": querystring,
        "now": timezone.now(),
        "can_write": user.can(Capability.WRITE),
        "can_export": user.can(Capability.EXPORT),
    }
    return render(request, "opinions/list.html", context)


def _initial_area(user: User) -> Area | None:
    paths = user.scope_paths()
    return Area.objects.filter(path=paths[0]).first() if len(paths) == 1 else None


@login_required
def opinion_new(request: HttpRequest) -> HttpResponseBase:
    """登记: one short form. From a resident's page (`?resident=`) the speaker is that resident."""
    user = acting_user(request)
    _require(user, Capability.WRITE)
    resident = None
    if (rid := parse_id(request.GET.get("resident"))) is not None:
        resident = get_object_or_404(Resident.objects.visible_to(user).select_related("grid"), pk=rid)
    initial = {"area": resident.grid if resident else _initial_area(user)}
    form = OpinionForm(request.POST or None, user=user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            opinion = services.opinion_record(
                actor=user,
                area=data["area"],
                channel=data["channel"],
                topics=data["topics"],
                summary=data["summary"],
                resident=None if data["anonymous"] else resident,
                speaker_name="" if resident else data["speaker_name"],
                anonymous=data["anonymous"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"已登记社情民意 {opinion.number}。")
            return redirect("opinions:detail", pk=opinion.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "opinions/new.html", {"form": form, "resident": resident}, status=status)


def _detail_context(user: User, opinion: Opinion, **forms: Any) -> dict[str, Any]:
    Area.qualify([opinion.area])
    context: dict[str, Any] = {
        "opinion": opinion,
        "topics": [t.get_topic_display() for t in opinion.topic_rows.all()],
        "events": opinion.events.select_related("actor"),
        "merged": opinion.merged_opinions.all(),
        "can_write": user.can(Capability.WRITE),
        "now": timezone.now(),
        "triage_form": TriageForm(),
        "case_form": ToCaseForm(initial={"title": opinion.summary[:40]}),
        "merge_form": MergeForm(),
        "reply_form": ReplyForm(),
        "close_form": CloseForm(),
        "reopen_form": ReasonForm(),
        "correct_form": CorrectForm(
            initial={
                "summary": opinion.summary,
                "topics": list(opinion.topic_rows.values_list("topic", flat=True)),
                "speaker_name": opinion.speaker_name,
                "anonymous": opinion.anonymous,
            }
        ),
    }
    context.update(forms)
    return context


@login_required
def opinion_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    return render(request, "opinions/detail.html", _detail_context(user, _opinion(user, pk)))


def _act(request: HttpRequest, pk: int, form_class: Any, key: str, run: Any, done: str) -> HttpResponseBase:
    user = acting_user(request)
    _require(user, Capability.WRITE)
    opinion = _opinion(user, pk)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            result = run(user, opinion, form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, done.format(result=result))
            return redirect("opinions:detail", pk=opinion.pk)
    context = _detail_context(user, opinion, **{key: form}, open_form=key)
    return render(request, "opinions/detail.html", context, status=400)


@login_required
@require_POST
def opinion_triage(request: HttpRequest, pk: int) -> HttpResponseBase:
    return _act(
        request,
        pk,
        TriageForm,
        "triage_form",
        lambda u, o, d: services.opinion_triage(
            actor=u, opinion=o, disposition=d["disposition"], note=d["note"]
        ),
        "已研判。",
    )


@login_required
@require_POST
def opinion_to_case(request: HttpRequest, pk: int) -> HttpResponseBase:
    return _act(
        request,
        pk,
        ToCaseForm,
        "case_form",
        lambda u, o, d: (
            services.opinion_to_case(
                actor=u, opinion=o, category=d["category"], title=d["title"], urgency=d["urgency"]
            ).number
        ),
        "已转为诉求，工单编号 {result}。",
    )


def _merge(user: User, opinion: Opinion, data: dict[str, Any]) -> Opinion:
    into = Opinion.objects.visible_to(user).filter(number=data["into"].strip().upper()).first()
    if into is None:
        raise DomainError("找不到该编号的意见（或不在您的范围内）。", field="into")
    return services.opinion_merge(actor=user, opinion=opinion, into=into, note=data["note"])


@login_required
@require_POST
def opinion_merge(request: HttpRequest, pk: int) -> HttpResponseBase:
    return _act(request, pk, MergeForm, "merge_form", _merge, "已合并。")


@login_required
@require_POST
def opinion_reply(request: HttpRequest, pk: int) -> HttpResponseBase:
    return _act(
        request,
        pk,
        ReplyForm,
        "reply_form",
        lambda u, o, d: services.opinion_reply(actor=u, opinion=o, reply=d["reply"], mode=d["mode"]),
        "已记录答复。",
    )


@login_required
@require_POST
def opinion_close(request: HttpRequest, pk: int) -> HttpResponseBase:
    return _act(
        request,
        pk,
        CloseForm,
        "close_form",
        lambda u, o, d: services.opinion_close(actor=u, opinion=o, outcome=d["outcome"]),
        "已办结。",
    )


@login_required
@require_POST
def opinion_reopen(request: HttpRequest, pk: int) -> HttpResponseBase:
    return _act(
        request,
        pk,
        ReasonForm,
        "reopen_form",
        lambda u, o, d: services.opinion_reopen(actor=u, opinion=o, reason=d["reason"]),
        "已重新打开。",
    )


@login_required
@require_POST
def opinion_correct(request: HttpRequest, pk: int) -> HttpResponseBase:
    return _act(
        request,
        pk,
        CorrectForm,
        "correct_form",
        lambda u, o, d: services.opinion_correct(
            actor=u,
            opinion=o,
            reason=d["reason"],
            summary=d["summary"],
            topics=d["topics"],
            speaker_name=d["speaker_name"],
            anonymous=d["anonymous"],
        ),
        "已更正，原内容保留在办理记录中。",
    )


@login_required
def report(request: HttpRequest) -> HttpResponseBase:
    """月报: topics, counts, the share turned into cases, the share replied on time."""
    user = acting_user(request)
    form = ReportForm(request.GET or None, user=user)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    month = selectors.parse_month(data.get("month"))
    area = data.get("area")
    result = selectors.monthly_report(user, month, area)
    if request.GET.get("format") == "xlsx":
        _require(user, Capability.EXPORT)
        buffer = io.BytesIO()
        export_report(actor=user, target=buffer, report=result, area=area)
        return _xlsx(buffer, f"opinions-report-{month:%Y%m}.xlsx")
    context = {
        "form": form,
        "report": result,
        "month": month,
        "can_export": user.can(Capability.EXPORT),
        "reply_days": settings.LINLI_OPINION_REPLY_DAYS,
    }
    return render(request, "opinions/report.html", context)


# --- open days -------------------------------------------------------------------------------


@login_required
def open_day_list(request: HttpRequest) -> HttpResponseBase:
    user = acting_user(request)
    days = list(OpenDay.objects.visible_to(user).select_related("area").order_by("-held_on")[:60])
    Area.qualify(d.area for d in days)
    follow = selectors.followups(days)
    for d in days:
        d.followup = follow[d.pk]  # type: ignore[attr-defined]
    context = {
        "days": days,
        "rules": OpenDayRule.objects.visible_to(user).filter(active=True).select_related("area"),
        "rule_form": RuleForm(user=user),
        "day_form": OpenDayForm(user=user),
        "can_plan": user.can(Capability.DISPATCH),
        "today": timezone.localdate(),
    }
    return render(request, "opinions/open_days.html", context)


@login_required
@require_POST
def open_day_rule(request: HttpRequest) -> HttpResponseBase:
    user = acting_user(request)
    _require(user, Capability.DISPATCH)
    form = RuleForm(request.POST, user=user)
    if form.is_valid():
        d = form.cleaned_data
        try:
            rule = services.open_day_rule_set(
                actor=user,
                area=d["area"],
                week_of_month=d["week_of_month"],
                weekday=d["weekday"],
                place=d["place"],
                start_time=d["start_time"],
            )
            days = services.open_days_schedule(actor=user, rule=rule, months=d["months"])
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"已按“{rule}”排期 {len(days)} 次联系日。")
            return redirect("opinions:open_days")
    messages.error(request, "；".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect("opinions:open_days")


@login_required
@require_POST
def open_day_new(request: HttpRequest) -> HttpResponseBase:
    user = acting_user(request)
    _require(user, Capability.DISPATCH)
    form = OpenDayForm(request.POST, user=user)
    if form.is_valid():
        d = form.cleaned_data
        try:
            day = services.open_day_create(
                actor=user,
                area=d["area"],
                held_on=d["held_on"],
                start_time=d["start_time"],
                place=d["place"],
                theme=d["theme"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            return redirect("opinions:open_day", pk=day.pk)
    messages.error(request, "；".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect("opinions:open_days")


def _day(user: User, pk: int) -> OpenDay:
    return get_object_or_404(OpenDay.objects.visible_to(user).select_related("area", "rule"), pk=pk)


def _day_context(user: User, day: OpenDay, **forms: Any) -> dict[str, Any]:
    Area.qualify([day.area])
    opinions = list(day.opinions.select_related("area", "case").order_by("-received_at", "-pk"))
    Area.qualify(o.area for o in opinions)
    context: dict[str, Any] = {
        "day": day,
        "opinions": opinions,
        "followup": selectors.open_day_followup(day),
        "entry_form": OpinionForm(user=user, open_day=True, initial={"area": day.area}),
        "attendance_form": AttendanceForm(
            initial={
                "theme": day.theme,
                "street_attendees": day.street_attendees,
                "department_attendees": day.department_attendees,
                "residents_met": day.residents_met,
                "summary": day.summary,
            }
        ),
        "cancel_form": ReasonForm(),
        "can_write": user.can(Capability.WRITE),
        "can_plan": user.can(Capability.DISPATCH),
        "today": timezone.localdate(),
    }
    context.update(forms)
    return context


@login_required
def open_day_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    return render(request, "opinions/open_day.html", _day_context(user, _day(user, pk)))


@login_required
@require_POST
def open_day_entry(request: HttpRequest, pk: int) -> HttpResponseBase:
    """Fast entry at the meeting: one short form, saved, and the same form again, empty, for the next."""
    user = acting_user(request)
    _require(user, Capability.WRITE)
    day = _day(user, pk)
    form = OpinionForm(request.POST, user=user, open_day=True)
    if form.is_valid():
        data = form.cleaned_data
        try:
            opinion = services.opinion_record(
                actor=user,
                area=data["area"],
                channel="open_day",
                open_day=day,
                topics=data["topics"],
                summary=data["summary"],
                speaker_name=data["speaker_name"],
                anonymous=data["anonymous"],
                received_at=day.collection_time(),
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"已登记 {opinion.number}，请继续登记下一条。")
            return redirect(f"{reverse('opinions:open_day', args=[day.pk])}#entry")
    return render(request, "opinions/open_day.html", _day_context(user, day, entry_form=form), status=400)


@login_required
@require_POST
def open_day_attendance(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = acting_user(request)
    _require(user, Capability.WRITE)
    day = _day(user, pk)
    form = AttendanceForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            services.open_day_update(
                actor=user,
                day=day,
                theme=d["theme"],
                street_attendees=d["street_attendees"],
                department_attendees=d["department_attendees"],
                residents_met=d["residents_met"],
                summary=d["summary"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "已保存联系日情况。")
            return redirect("opinions:open_day", pk=day.pk)
    return render(
        request, "opinions/open_day.html", _day_context(user, day, attendance_form=form), status=400
    )


@login_required
@require_POST
def open_day_cancel(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = acting_user(request)
    _require(user, Capability.DISPATCH)
    day = _day(user, pk)
    form = ReasonForm(request.POST)
    if form.is_valid():
        try:
            services.open_day_cancel(actor=user, day=day, reason=form.cleaned_data["reason"])
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "已取消该联系日。")
            return redirect("opinions:open_days")
    return render(request, "opinions/open_day.html", _day_context(user, day, cancel_form=form), status=400)
