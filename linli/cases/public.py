"""Residents file and follow their own case without an account: tracking number + phone.

Failed lookups lock further lookups (per number and per address, in their own lockout bucket,
apart from staff sign-in), so the phone check cannot be brute-forced; submissions are limited per
address per hour.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from linli.accounts import lockout
from linli.cases import services
from linli.cases.forms import PublicCaseForm, question_field
from linli.cases.models import Case, CaseEvent, Channel, Status
from linli.core.audit import Action
from linli.core.context import current_origin
from linli.core.errors import DomainError
from linli.core.forms import add_domain_error
from linli.core.models import AuditEntry
from linli.core.validation import parse_id

SESSION_KEY = "linli_tracked_cases"
# Moves whose note is written for the resident (reasons and results); other notes stay internal.
PUBLIC_NOTES = frozenset(
    {
        CaseEvent.Action.REJECT,
        CaseEvent.Action.PASS,
        CaseEvent.Action.REWORK,
        CaseEvent.Action.RESIDENT_CONFIRM,
        CaseEvent.Action.RESIDENT_DISPUTE,
    }
)


def _ip() -> str | None:
    return current_origin().ip


def track(request: HttpRequest) -> HttpResponseBase:
    from linli.cases.forms import TrackForm

    form = TrackForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        number = form.cleaned_data["number"].strip()
        key = f"track:{number}"
        if lockout.is_locked(key, _ip(), bucket=lockout.Bucket.TRACK):
            form.add_error(None, "查询失败次数过多，请 15 分钟后再试。")
        else:
            case = services.tracking_match(number, form.cleaned_data["phone"])
            lockout.record(key, _ip(), succeeded=case is not None, bucket=lockout.Bucket.TRACK)
            if case is None:
                form.add_error(None, "工单编号或手机号不正确。")
            else:
                tracked = set(request.session.get(SESSION_KEY, []))
                tracked.add(case.pk)
                request.session[SESSION_KEY] = sorted(tracked)
                return redirect("track_case", number=case.number)
    status = 400 if request.method == "POST" else 200
    return render(request, "cases/public/track.html", {"form": form}, status=status)


def _tracked(request: HttpRequest, number: str) -> Case:
    case = get_object_or_404(Case.objects.select_related("category", "area"), number=number)
    if case.pk not in request.session.get(SESSION_KEY, []):
        raise Http404
    return case


def track_case(request: HttpRequest, number: str) -> HttpResponse:
    case = _tracked(request, number)
    events = (
        CaseEvent.objects.filter(case=case, public=True)
        .exclude(action=CaseEvent.Action.COMMENT)
        .order_by("at", "id")
    )
    context = {
        "case": case,
        "events": events,
        "can_verdict": case.status in (Status.HANDLED, Status.VERIFYING),
        "can_reopen": services.may_resident_reopen(case),
        "reopen_days": settings.LINLI_RESIDENT_REOPEN_DAYS,
        "note_actions": PUBLIC_NOTES,
    }
    return render(request, "cases/public/track_case.html", context)


@require_POST
def track_verdict(request: HttpRequest, number: str) -> HttpResponseBase:
    case = _tracked(request, number)
    try:
        services.resident_verdict(
            case=case, solved=request.POST.get("solved") == "1", note=request.POST.get("note", "")
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "感谢反馈，我们已记录。")
    return redirect("track_case", number=case.number)


def _submissions_from(ip: str | None) -> int:
    if not ip:
        return 0
    return AuditEntry.objects.filter(
        action=Action.CREATE,
        object_type="cases.case",
        ip=ip,
        actor__isnull=True,
        at__gte=timezone.now() - timedelta(hours=1),
    ).count()


def submit(request: HttpRequest) -> HttpResponseBase:
    form = PublicCaseForm(request.POST or None)
    chosen = request.POST.get("category", "")
    categories = form.fields["category"].queryset  # type: ignore[attr-defined]
    category = categories.filter(pk=pk).first() if (pk := parse_id(chosen)) is not None else None
    for q in category.questions if category else []:
        form.fields[f"attribute[{q['code']}]"] = question_field(q)
    if request.method == "POST" and form.is_valid():
        if _submissions_from(_ip()) >= settings.LINLI_PUBLIC_SUBMISSIONS_PER_HOUR:
            form.add_error(None, "提交过于频繁，请稍后再试或拨打社区电话。")
        else:
            data = form.cleaned_data
            answers = {
                n[len("attribute[") : -1]: v for n, v in data.items() if n.startswith("attribute[") and v
            }
            try:
                with transaction.atomic():
                    case = services.case_create(
                        actor=None,
                        actor_label="居民网上提交",
                        category=data["category"],
                        channel=Channel.ONLINE,
                        title=data["title"],
                        description=data["description"],
                        area=data["community"],
                        address=data["address"],
                        reporter_name=data["reporter_name"],
                        reporter_phone=data["reporter_phone"],
                        attributes=answers,
                    )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                tracked = set(request.session.get(SESSION_KEY, []))
                tracked.add(case.pk)
                request.session[SESSION_KEY] = sorted(tracked)
                messages.success(request, f"已提交。您的工单编号是 {case.number}，请记下以便查询进度。")
                return redirect("track_case", number=case.number)
    status = 400 if request.method == "POST" else 200
    return render(request, "cases/public/submit.html", {"form": form}, status=status)
