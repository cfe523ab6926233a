"""Assessment pages: rounds (setup, seed, sample, progress, results, ratings), duties, one-off tasks,
the street's weighting, staff profiles, agreements, the two-way evaluation and a worker's own results."""

from __future__ import annotations

import io
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from linli.accounts.models import User
from linli.accounts.roles import Capability
from linli.assessment import forms, selectors, services
from linli.assessment.models import (
    Agreement,
    Duty,
    EntryState,
    Grade,
    OneOffTask,
    Rating,
    Round,
    RoundStatus,
    RoundWorker,
    SampleEntry,
    TaskStatus,
    Validity,
)
from linli.core.errors import DomainError
from linli.core.forms import add_domain_error
from linli.core.http import HttpRequest, acting_user, paginate
from linli.core.validation import parse_id

SAMPLE_PAGE = 100  # a street's sample is thousands of residents: a page of them, and a worker filter
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _require(user: User, capability: Capability) -> None:
    if not user.can(capability):
        raise PermissionDenied


def _round(user: User, pk: int) -> Round:
    return get_object_or_404(Round.objects.visible_to(user).select_related("area", "auditor", "task"), pk=pk)


def _in_round(user: User, round: Round) -> bool:
    return RoundWorker.objects.filter(round=round, worker=user).exists()


def _sample_hidden(user: User, round: Round) -> bool:
    """A worker may not see who was sampled for them until the round closes."""
    return round.status == RoundStatus.OPEN and _in_round(user, round)


@login_required
def round_list(request: HttpRequest) -> HttpResponseBase:
    user = acting_user(request)
    rounds = list(Round.objects.visible_to(user).select_related("area")[:200])
    return render(request, "assessment/rounds.html", {"rounds": rounds})


@login_required
def round_new(request: HttpRequest) -> HttpResponseBase:
    user = acting_user(request)
    _require(user, Capability.ASSESS)
    form = forms.RoundForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            workers = list(d["workers"]) or services.eligible_workers(d["area"])
            round_ = services.round_create(
                actor=user,
                area=d["area"],
                kind=d["kind"],
                title=d["title"],
                period_start=d["period_start"],
                period_end=d["period_end"],
                workers=workers,
                min_sample=d["min_sample"],
                auditor=d["auditor"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "考核已创建，请核对范围后开启。")
            return redirect("assessment:round", round_.pk)
    return render(
        request,
        "assessment/form.html",
        {"form": form, "title": "新建考核", "multipart": False, "back_url": "/assessment/"},
        status=400 if form.errors else 200,
    )


@login_required
def round_edit(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = acting_user(request)
    round_ = _round(user, pk)
    _require(user, Capability.ASSESS)
    initial = {
        "title": round_.title,
        "period_start": round_.period_start,
        "period_end": round_.period_end,
        "min_sample": round_.min_sample,
        "auditor": round_.auditor,
        "workers": list(round_.members.values_list("worker_id", flat=True)),
    }
    form = forms.RoundForm(request.POST or None, user=user, editing=True, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.round_update(
                actor=user,
                round=round_,
                title=d["title"],
                period_start=d["period_start"],
                period_end=d["period_end"],
                workers=list(d["workers"]) or services.eligible_workers(round_.area),
                min_sample=d["min_sample"],
                auditor=d["auditor"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "已保存。")
            return redirect("assessment:round", round_.pk)
    return render(
        request,
        "assessment/form.html",
        {"form": form, "title": f"修改：{round_.title}", "back": round_},
        status=400 if form.errors else 200,
    )


@login_required
def round_detail(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = acting_user(request)
    round_ = _round(user, pk)
    context = {
        "round": round_,
        "members": round_.members.select_related("worker").order_by("worker__full_name"),
        "progress": selectors.progress(round_) if round_.status != RoundStatus.DRAFT else [],
        "open_form": forms.OpenForm(),
        "cancel_form": forms.ReasonForm(),
        "hidden": _sample_hidden(user, round_),
    }
    return render(request, "assessment/round_detail.html", context)


def _post(
    request: HttpRequest, pk: int, action: Any, done: str, target: str = "assessment:round"
) -> HttpResponseBase:
    user = acting_user(request)
    round_ = _round(user, pk)
    try:
        result = action(user, round_)
    except DomainError as exc:
        if exc.code == "forbidden":
            raise PermissionDenied(exc.message) from exc
        messages.error(request, exc.message)
    else:
        messages.success(request, done.format(result=result))
    return redirect(target, round_.pk)


@login_required
@require_POST
def round_open(request: HttpRequest, pk: int) -> HttpResponseBase:
    seed = request.POST.get("seed", "")[:80]
    return _post(
        request,
        pk,
        lambda u, r: services.round_open(actor=u, round=r, seed=seed).seed,
        "考核已开启，随机种子 {result} 已公布。",
    )


@login_required
@require_POST
def round_close(request: HttpRequest, pk: int) -> HttpResponseBase:
    return _post(request, pk, lambda u, r: services.round_close(actor=u, round=r), "考核已结束。")


@login_required
@require_POST
def round_cancel(request: HttpRequest, pk: int) -> HttpResponseBase:
    reason = request.POST.get("reason", "")
    return _post(
        request, pk, lambda u, r: services.round_cancel(actor=u, round=r, reason=reason), "考核已取消。"
    )


@login_required
@require_POST
def invitations_send(request: HttpRequest, pk: int) -> HttpResponseBase:
    return _post(
        request,
        pk,
        lambda u, r: services.invitations_send(actor=u, round=r),
        "已向 {result} 位居民发送评议短信。",
        "assessment:sample",
    )


@login_required
@require_POST
def invitation_slips(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = acting_user(request)
    round_ = _round(user, pk)
    try:
        data = services.invitation_slips(actor=user, round=round_)
    except DomainError as exc:
        if exc.code == "forbidden":
            raise PermissionDenied(exc.message) from exc
        messages.error(request, exc.message)
        return redirect("assessment:sample", round_.pk)
    return FileResponse(
        io.BytesIO(data),
        as_attachment=True,
        filename=f"invitations-{round_.pk}.pdf",
        content_type="application/pdf",
    )


@login_required
def sample(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = acting_user(request)
    round_ = _round(user, pk)
    _require(user, Capability.ASSESS)
    if _sample_hidden(user, round_):
        raise PermissionDenied("被考核人在考核结束前不能查看抽样名单。")
    entries = (
        SampleEntry.objects.filter(round=round_)
        .exclude(state=EntryState.RESERVE)
        .select_related("worker", "resident")
        .order_by("worker__full_name", "worker_id", "rank")
    )
    if (worker := parse_id(request.GET.get("worker"))) is not None:
        entries = entries.filter(worker_id=worker)
    page, querystring = paginate(request, entries, SAMPLE_PAGE)
    context = {
        "round": round_,
        "entries": page,
        "page": page,
        "querystring": querystring,
        "members": round_.members.select_related("worker").order_by("worker__full_name"),
        "worker": worker,
        "reserves": SampleEntry.objects.filter(round=round_, state=EntryState.RESERVE).count(),
    }
    return render(request, "assessment/sample.html", context)


@login_required
def entry_phone(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = acting_user(request)
    entry = get_object_or_404(
        SampleEntry.objects.visible_to(user).select_related("round", "round__area", "worker", "resident"),
        pk=pk,
    )
    _require(user, Capability.ASSESS)
    if _sample_hidden(user, entry.round):
        raise PermissionDenied
    form = forms.RatingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.rating_record_by_phone(
                actor=user, entry=entry, grade=form.cleaned_data["grade"], reason=form.cleaned_data["reason"]
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "电话评议已录入（标记为电话代录）。")
            return redirect("assessment:sample", entry.round_id)
    intro = (
        f"为 {entry.resident.name} 录入对 {entry.worker.display_name} 的评议。服务记录：{entry.service_text}"
    )
    return render(
        request,
        "assessment/form.html",
        {
            "form": form,
            "title": "电话代录评议",
            "intro": intro,
            "back_url": f"/assessment/{entry.round_id}/sample/",
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def entry_no_response(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = acting_user(request)
    entry = get_object_or_404(
        SampleEntry.objects.visible_to(user).select_related("round", "round__area"), pk=pk
    )
    _require(user, Capability.ASSESS)
    if _sample_hidden(user, entry.round):
        raise PermissionDenied
    try:
        nxt = services.entry_no_response(actor=user, entry=entry)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            f"已按抽样顺序递补第 {nxt.rank} 位。" if nxt else "该人员的服务对象已全部抽完，无可递补。",
        )
    return redirect("assessment:sample", entry.round_id)


def _results_context(round_: Round) -> dict[str, Any]:
    scores = selectors.scores(round_)
    return {
        "round": round_,
        "scores": scores,
        "pay": selectors.pay_spread(round_, scores),
        "weighting": services.weighting_for(round_.area),
        "departments": selectors.department_results(None, round_),
    }


@login_required
def results(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = acting_user(request)
    round_ = _round(user, pk)
    _require(user, Capability.ASSESS)
    fmt = request.GET.get("format", "")
    if fmt in ("xlsx", "pdf"):
        _require(user, Capability.EXPORT)
        from linli.assessment.export import results_pdf, results_xlsx

        if fmt == "pdf":
            return results_pdf(actor=user, round=round_)
        buffer = io.BytesIO()
        results_xlsx(actor=user, round=round_, target=buffer)
        buffer.seek(0)
        return FileResponse(
            buffer, as_attachment=True, filename=f"assessment-{round_.pk}.xlsx", content_type=XLSX
        )
    return render(request, "assessment/results.html", _results_context(round_))


@login_required
def ratings(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = acting_user(request)
    round_ = _round(user, pk)
    _require(user, Capability.ASSESS)
    rows = list(Rating.objects.filter(round=round_).select_related("worker", "recorded_by", "checked_by"))
    # Not in arrival order: next to the sample's states that order would help tell who gave which.
    grades = list(Grade.values)
    rows.sort(key=lambda r: (r.worker.full_name, r.worker_id, grades.index(r.grade), r.reason, r.channel))
    context = {
        "round": round_,
        "valid": [r for r in rows if r.validity == Validity.VALID],
        "invalid": [r for r in rows if r.validity != Validity.VALID],
        "own": user.pk,
    }
    return render(request, "assessment/ratings.html", context)


@login_required
@require_POST
def rating_check(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = acting_user(request)
    rating = get_object_or_404(Rating.objects.visible_to(user).select_related("round", "round__area"), pk=pk)
    form = forms.CheckForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请填写核查说明。")
    else:
        try:
            if form.cleaned_data["action"] == "untrue":
                services.rating_mark_untrue(actor=user, rating=rating, note=form.cleaned_data["note"])
            else:
                services.rating_restore(actor=user, rating=rating, note=form.cleaned_data["note"])
        except DomainError as exc:
            if exc.code == "forbidden":
                raise PermissionDenied(exc.message) from exc
            messages.error(request, exc.message)
        else:
            messages.success(request, "核查结果已记录。")
    return redirect("assessment:ratings", rating.round_id)


@login_required
def raters(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = acting_user(request)
    round_ = _round(user, pk)
    try:
        seals = services.rating_seals(actor=user, round=round_)
    except DomainError as exc:
        raise PermissionDenied(exc.message) from exc
    return render(request, "assessment/raters.html", {"round": round_, "seals": seals})


@login_required
def member_scores(request: HttpRequest, pk: int, member_pk: int) -> HttpResponseBase:
    user = acting_user(request)
    round_ = _round(user, pk)
    member = get_object_or_404(
        RoundWorker.objects.filter(round=round_).select_related("worker", "round", "round__area"),
        pk=member_pk,
    )
    _require(user, Capability.ASSESS)
    form = forms.ScoresForm(
        request.POST or None, initial={"street_score": member.street_score, "peer_score": member.peer_score}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.scores_set(
                actor=user,
                member=member,
                street_score=form.cleaned_data["street_score"],
                peer_score=form.cleaned_data["peer_score"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "评分已保存。")
            return redirect("assessment:results", round_.pk)
    return render(
        request,
        "assessment/form.html",
        {"form": form, "title": f"{member.worker.display_name}：街道评分与同事互评", "back": round_},
        status=400 if form.errors else 200,
    )


@login_required
def round_departments(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = acting_user(request)
    round_ = _round(user, pk)
    _require(user, Capability.ASSESS)
    form = forms.DepartmentReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.department_review_save(
                actor=user,
                round=round_,
                department=d["department"],
                basis=d["basis"],
                grade=d["grade"],
                reason=d["reason"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "部门评价已保存。")
            return redirect("assessment:round_departments", round_.pk)
    from linli.cases.models import Case
    from linli.cases.selectors import period_bounds

    start, end = period_bounds(round_.period_start, round_.period_end)
    to_review = (
        Case.objects.visible_to(user)
        .filter(department__isnull=False, dispatched_at__gte=start, dispatched_at__lt=end)
        .filter(department_review__isnull=True)
        .select_related("department")
        .order_by("dispatched_at")[:50]
    )
    context = {
        "round": round_,
        "form": form,
        "to_review": list(to_review),
        "rows": selectors.department_results(user, round_),
        "reviews": round_.department_reviews.select_related("department", "by"),
    }
    return render(request, "assessment/round_departments.html", context, status=400 if form.errors else 200)


@login_required
def duties(request: HttpRequest) -> HttpResponseBase:
    user = acting_user(request)
    form = forms.DutyForm(request.POST or None, user=user)
    if request.method == "POST":
        _require(user, Capability.ASSESS)
        if form.is_valid():
            d = form.cleaned_data
            try:
                services.duty_create(
                    actor=user,
                    area=d["area"],
                    kind=d["kind"],
                    title=d["title"],
                    standard=d["standard"],
                    role=d["role"],
                    department=d["department"],
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, "已发布。")
                return redirect("assessment:duties")
    rows = selectors.published_duties(user)
    from linli.accounts.roles import Role

    roles = dict(Role.choices)
    editable = (
        set(Duty.objects.visible_to(user).values_list("pk", flat=True))
        if user.can(Capability.ASSESS)
        else set()
    )
    for duty in rows:
        duty.role_label = roles.get(duty.role, "")  # type: ignore[attr-defined]
        duty.editable = duty.pk in editable  # type: ignore[attr-defined]
    return render(
        request,
        "assessment/duties.html",
        {"form": form, "duties": rows, "can_assess": user.can(Capability.ASSESS)},
        status=400 if form.errors else 200,
    )


@login_required
def duty_edit(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = acting_user(request)
    duty = get_object_or_404(Duty.objects.visible_to(user).select_related("area"), pk=pk)
    _require(user, Capability.ASSESS)
    form = forms.DutyEditForm(
        request.POST or None, initial={"title": duty.title, "standard": duty.standard, "active": duty.active}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.duty_update(actor=user, duty=duty, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "已保存。")
            return redirect("assessment:duties")
    return render(
        request,
        "assessment/form.html",
        {"form": form, "title": f"修改职责：{duty.title}", "back_url": "/assessment/duties/"},
        status=400 if form.errors else 200,
    )


@login_required
def tasks(request: HttpRequest) -> HttpResponseBase:
    user = acting_user(request)
    form = forms.TaskForm(request.POST or None, user=user)
    if request.method == "POST":
        _require(user, Capability.ASSESS)
        if form.is_valid():
            d = form.cleaned_data
            try:
                services.task_create(
                    actor=user,
                    area=d["area"],
                    title=d["title"],
                    standard=d["standard"],
                    start_date=d["start_date"],
                    deadline=d["deadline"],
                    workers=list(d["workers"]),
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, "突击任务已下达。")
                return redirect("assessment:tasks")
    rows = OneOffTask.objects.visible_to(user).select_related("area").prefetch_related("workers")
    return render(
        request,
        "assessment/tasks.html",
        {"form": form, "tasks": rows, "open": TaskStatus.OPEN},
        status=400 if form.errors else 200,
    )


@login_required
def task_close(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = acting_user(request)
    task = get_object_or_404(OneOffTask.objects.visible_to(user).select_related("area"), pk=pk)
    _require(user, Capability.ASSESS)
    form = forms.TaskCloseForm(request.POST or None, initial={"closed_on": services._today()})
    if request.method == "POST" and form.is_valid():
        try:
            round_ = services.task_close(
                actor=user,
                task=task,
                result=form.cleaned_data["result"],
                closed_on=form.cleaned_data["closed_on"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "任务已完成，已建立该任务的考核。")
            return redirect("assessment:round", round_.pk)
    return render(
        request,
        "assessment/form.html",
        {
            "form": form,
            "title": f"完成任务：{task.title}",
            "intro": f"考核标准：{task.standard}",
            "back_url": "/assessment/tasks/",
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def task_cancel(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = acting_user(request)
    task = get_object_or_404(OneOffTask.objects.visible_to(user).select_related("area"), pk=pk)
    try:
        services.task_cancel(actor=user, task=task, reason=request.POST.get("reason", ""))
    except DomainError as exc:
        if exc.code == "forbidden":
            raise PermissionDenied(exc.message) from exc
        messages.error(request, exc.message)
    else:
        messages.success(request, "任务已取消。")
    return redirect("assessment:tasks")


def _street(user: User) -> Any:
    from linli.areas.models import Area

    return Area.objects.visible_to(user).filter(kind=Area.Kind.STREET).order_by("path").first()


@login_required
def weighting(request: HttpRequest) -> HttpResponseBase:
    user = acting_user(request)
    street = _street(user)
    if street is None:
        raise PermissionDenied("权重由街道设定。")
    w = services.weighting_for(street)
    form = forms.WeightingForm(
        request.POST or None,
        initial={
            "residents": w.residents,
            "indicators": w.indicators,
            "street": w.street,
            "peers": w.peers,
            "assessed_share": w.assessed_share,
            "floor_score": w.floor_score,
        },
    )
    if request.method == "POST":
        _require(user, Capability.CONFIGURE)
        if form.is_valid():
            d = form.cleaned_data
            try:
                services.weighting_set(
                    actor=user,
                    street=street,
                    residents=d["residents"],
                    indicators=d["indicators"],
                    street_weight=d["street"],
                    peers=d["peers"],
                    assessed_share=d["assessed_share"],
                    floor_score=d["floor_score"],
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, "权重已保存。")
                return redirect("assessment:weighting")
    return render(
        request,
        "assessment/form.html",
        {
            "form": form,
            "title": f"{street.name}：考核权重与收入挂钩",
            "intro": "四项权重合计 100。例：居民评议 60、街道评分 30、同事互评 10。",
            "readonly": not user.can(Capability.CONFIGURE),
        },
        status=400 if form.errors else 200,
    )


@login_required
def profiles(request: HttpRequest) -> HttpResponseBase:
    user = acting_user(request)
    from linli.assessment.models import WorkerProfile

    people = list(
        User.objects.visible_to(user)
        .filter(is_active=True, role__in=[r.value for r in services.WORKER_ROLES])
        .order_by("full_name", "username")
    )
    profiles = {
        p.user_id: p for p in WorkerProfile.objects.filter(user__in=people).select_related("resident")
    }
    rows = [(p, profiles.get(p.pk)) for p in people]
    return render(request, "assessment/profiles.html", {"rows": rows})


@login_required
def profile_edit(request: HttpRequest, user_pk: int) -> HttpResponseBase:
    user = acting_user(request)
    person = get_object_or_404(User.objects.visible_to(user), pk=user_pk)
    _require(user, Capability.ASSESS)
    from linli.assessment.models import WorkerProfile

    profile = WorkerProfile.objects.filter(user=person).first()
    form = forms.ProfileForm(
        request.POST or None,
        request.FILES or None,
        initial={
            "resident": profile.resident_id if profile else None,
            "base_annual_pay": profile.base_annual_pay if profile else None,
        },
    )
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["photo"]
        try:
            services.profile_update(
                actor=user,
                user=person,
                resident_id=form.cleaned_data["resident"],
                base_annual_pay=form.cleaned_data["base_annual_pay"],
                photo=upload.read() if upload else None,
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "已保存。")
            return redirect("assessment:profiles")
    return render(
        request,
        "assessment/form.html",
        {
            "form": form,
            "title": f"考核档案：{person.display_name}",
            "multipart": True,
            "back_url": "/assessment/staff/",
        },
        status=400 if form.errors else 200,
    )


@login_required
def agreements(request: HttpRequest) -> HttpResponseBase:
    user = acting_user(request)
    form = forms.AgreementForm(request.POST or None, user=user)
    if request.method == "POST":
        _require(user, Capability.ASSESS)
        if form.is_valid():
            d = form.cleaned_data
            try:
                services.agreement_create(
                    actor=user,
                    area=d["area"],
                    department=d["department"],
                    title=d["title"],
                    signed_on=d["signed_on"],
                    terms=d["terms"],
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, "协议已登记。")
                return redirect("assessment:agreements")
    rows = Agreement.objects.visible_to(user).select_related("area", "department")
    return render(
        request,
        "assessment/agreements.html",
        {"form": form, "agreements": rows},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def agreement_end(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = acting_user(request)
    agreement = get_object_or_404(Agreement.objects.visible_to(user).select_related("area"), pk=pk)
    try:
        services.agreement_end(actor=user, agreement=agreement)
    except DomainError as exc:
        if exc.code == "forbidden":
            raise PermissionDenied(exc.message) from exc
        messages.error(request, exc.message)
    else:
        messages.success(request, "协议已终止。")
    return redirect("assessment:agreements")


@login_required
def case_review(request: HttpRequest, case_pk: int) -> HttpResponseBase:
    user = acting_user(request)
    from linli.cases.models import Case

    case = get_object_or_404(Case.objects.visible_to(user).select_related("area", "department"), pk=case_pk)
    _require(user, Capability.DISPATCH)
    review = getattr(case, "department_review", None)
    initial = {
        "on_time": "1" if (review.on_time if review else not case.was_overdue) else "0",
        "wrongly_returned": review.wrongly_returned if review else False,
        "note": review.note if review else "",
    }
    form = forms.CaseReviewForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.case_review_save(actor=user, case=case, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "已评价部门办理情况。")
            back = parse_id(request.GET.get("round"))
            return (
                redirect("assessment:round_departments", back)
                if back is not None
                else redirect("cases:detail", case.pk)
            )
    intro = f"工单 {case.number}「{case.title}」，派遣部门：{case.department.name if case.department else '（未派遣）'}"
    return render(
        request,
        "assessment/form.html",
        {"form": form, "title": "评价部门办理", "intro": intro, "back_url": f"/cases/{case.pk}/"},
        status=400 if form.errors else 200,
    )


@login_required
def mine(request: HttpRequest) -> HttpResponseBase:
    """A worker's own results, for closed rounds only."""
    user = acting_user(request)
    rounds = (
        Round.objects.filter(status=RoundStatus.CLOSED, members__worker=user)
        .select_related("area")
        .order_by("-period_end")
    )
    rows = []
    for r in rounds[:12]:
        own = selectors.scores(r, user.pk)
        if own:
            rows.append((r, own[0], selectors.pay_spread(r, own).awards[0]))
    return render(request, "assessment/mine.html", {"rows": rows})


@login_required
def departments(request: HttpRequest) -> HttpResponseBase:
    user = acting_user(request)
    rows = selectors.department_results(user)
    return render(
        request,
        "assessment/departments.html",
        {"rows": rows, "reviews": selectors.department_round_reviews(user, [r.department_id for r in rows])},
    )
