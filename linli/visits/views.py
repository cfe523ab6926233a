from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import FileResponse, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from linli.accounts.models import User
from linli.accounts.roles import Capability
from linli.areas.models import Area
from linli.core.errors import DomainError, RateLimited
from linli.core.forms import add_domain_error
from linli.core.http import HttpRequest, acting_user, paginate, photo_response
from linli.core.modules import record_actions
from linli.core.scoping import PATH_SEPARATOR
from linli.core.validation import parse_id
from linli.registry import services as registry_services
from linli.registry.models import Household, Resident, Tag
from linli.registry.selectors import search
from linli.visits import selectors, services
from linli.visits.export import export_coverage, export_visits
from linli.visits.forms import (
    CancelForm,
    CarePlanForm,
    CoverageForm,
    DiaryForm,
    NeedToCaseForm,
    PairingForm,
    PersonPlanForm,
    TargetFilterForm,
    TaskForm,
    VisitFilterForm,
    VisitForm,
)
from linli.visits.models import (
    CarePlan,
    DiaryEntry,
    Pairing,
    TaskStatus,
    Visit,
    VisitPhoto,
    VisitTarget,
    VisitTask,
)

PAGE_SIZE = 30
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _require(user: User, capability: Capability) -> None:
    if not user.can(capability):
        raise PermissionDenied


def _in_area(qs: QuerySet[Any], area: Any, lookup: str = "grid__path") -> QuerySet[Any]:
    if area is None:
        return qs
    return qs.filter(Q(**{lookup: area.path}) | Q(**{f"{lookup}__startswith": area.path + PATH_SEPARATOR}))


def _resident(user: User, pk: int | str) -> Resident:
    return get_object_or_404(Resident.objects.visible_to(user).select_related("grid", "household"), pk=pk)


@login_required
def todo(request: HttpRequest) -> HttpResponse:
    """我的走访: what the signed-in worker must do, most urgent first."""
    user = acting_user(request)
    todo = selectors.todo(user)
    after = request.GET.get("after", "")
    Area.qualify([*(t.grid for t in todo.tasks), *(t.grid for t in [*todo.overdue, *todo.soon])])
    context = {
        "todo": todo,
        "today": timezone.localdate(),
        "now": timezone.now(),
        "can_write": user.can(Capability.WRITE),
        # Just saved a visit (?after=resident): offer the next person on the list.
        "next": (
            selectors.next_visit(todo, after=parse_id(after))
            if "after" in request.GET and user.can(Capability.WRITE)
            else None
        ),
    }
    return render(request, "visits/todo.html", context)


@login_required
def visit_new(request: HttpRequest) -> HttpResponseBase:
    """Log a visit to `?resident=` or `?household=`; without either, find the person first."""
    user = acting_user(request)
    _require(user, Capability.WRITE)
    resident = household = None
    if (rid := parse_id(request.GET.get("resident"))) is not None:
        resident = _resident(user, rid)
    elif (hid := parse_id(request.GET.get("household"))) is not None:
        household = get_object_or_404(
            Household.objects.visible_to(user).select_related("house__building__grid"), pk=hid
        )
    if resident is None and household is None:
        query = request.GET.get("q", "").strip()
        try:
            registry_services.resident_search_digits(actor=user, query=query)
        except DomainError as exc:
            status = 429 if isinstance(exc, RateLimited) else 400
            return render(
                request, "visits/visit_pick.html", {"query": query, "error": exc.message}, status=status
            )
        reveal = user.can(Capability.REVEAL_PERSONAL)
        found = (
            list(
                search(Resident.objects.visible_to(user), query, any_suffix=reveal).select_related("grid")[
                    :20
                ]
            )
            if query
            else []
        )
        Area.qualify(r.grid for r in found)
        return render(request, "visits/visit_pick.html", {"query": query, "found": found})
    if request.method != "POST":
        return render(request, "visits/visit_new.html", _new_context(user, VisitForm(), resident, household))
    form = VisitForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            visit = services.visit_create(
                actor=user,
                resident=resident,
                household=household,
                mode=data["mode"],
                visited_on=data["visited_on"],
                observations=data["observations"],
                needs=data["needs"],
                latitude=data["latitude"],
                longitude=data["longitude"],
                photo=data.get("photo"),
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"已记录对{visit.subject_label}的走访。")
            if visit.needs and user.can(Capability.WRITE):
                return redirect("visits:detail", pk=visit.pk)
            return redirect(f"{reverse('visits:todo')}?after={visit.resident_id or ''}")
    context = _new_context(user, form, resident, household)
    return render(request, "visits/visit_new.html", context, status=400)


def _new_context(
    user: User, form: VisitForm, resident: Resident | None, household: Household | None
) -> dict[str, Any]:
    target = VisitTarget.objects.visible_to(user).filter(resident=resident).first() if resident else None
    tasks = (
        VisitTask.objects.visible_to(user).filter(resident=resident, status=TaskStatus.OPEN)
        if resident
        else []
    )
    return {
        "form": form,
        "resident": resident,
        "household": household,
        "target": target,
        "reason": selectors.reason_text(target.reasons, user) if target else "",
        "tasks": tasks,
        "last": Visit.objects.visible_to(user).filter(resident=resident).first() if resident else None,
    }


def _visit(user: User, pk: int) -> Visit:
    qs = Visit.objects.visible_to(user).select_related(
        "resident", "household__house__building", "grid", "visitor"
    )
    return get_object_or_404(qs, pk=pk)


@login_required
def visit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    visit = _visit(user, pk)
    return render(request, "visits/visit_detail.html", _detail_context(user, visit, NeedToCaseForm()))


@login_required
def visit_print(request: HttpRequest, pk: int) -> HttpResponse:
    """走访记录 on paper (A4 PDF, core.pdf): the visit as its page shows it; printing is audited."""
    from linli.core import pdf
    from linli.visits.printing import visit_record

    user = acting_user(request)
    visit = _visit(user, pk)
    return pdf.response(visit_record(user, visit), f"走访记录-{visit.visited_on:%Y%m%d}-{visit.pk}.pdf")


def _detail_context(user: User, visit: Visit, form: NeedToCaseForm) -> dict[str, Any]:
    return {
        "visit": visit,
        "photos": VisitPhoto.objects.visible_to(user).filter(visit=visit),
        "cases": [link.case for link in visit.case_links.select_related("case")],
        "tasks": visit.tasks.all(),
        "form": form,
        "can_write": user.can(Capability.WRITE),
        # What other modules offer on a visit ("转为互助需求"), without this module importing them.
        "record_actions": record_actions(user, visit),
    }


@login_required
@require_POST
def visit_to_case(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = acting_user(request)
    _require(user, Capability.WRITE)
    visit = _visit(user, pk)
    form = NeedToCaseForm(request.POST)
    if form.is_valid():
        try:
            case = services.visit_need_to_case(
                actor=user,
                visit=visit,
                category=form.cleaned_data["category"],
                title=form.cleaned_data["title"],
                urgency=form.cleaned_data["urgency"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"已转为诉求，工单编号 {case.number}。")
            return redirect("cases:detail", pk=case.pk)
    return render(request, "visits/visit_detail.html", _detail_context(user, visit, form), status=400)


@login_required
def photo(request: HttpRequest, pk: int) -> FileResponse:
    return photo_response(VisitPhoto.objects.visible_to(acting_user(request)), pk)


@login_required
def visit_list(request: HttpRequest) -> HttpResponseBase:
    """走访记录: the log, filtered; the same filters export to Excel."""
    user = acting_user(request)
    form = VisitFilterForm(request.GET or None, user=user)
    qs: QuerySet[Visit] = Visit.objects.visible_to(user)
    today = timezone.localdate()
    start, end = today - timedelta(days=29), today
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        start, end = data.get("start") or start, data.get("end") or end
        qs = _in_area(qs, data.get("area"))
        if data.get("mode"):
            qs = qs.filter(mode=data["mode"])
        if data.get("mine"):
            qs = qs.filter(visitor=user)
        if request.GET.get("format") == "xlsx":
            _require(user, Capability.EXPORT)
            buffer = io.BytesIO()
            export_visits(actor=user, target=buffer, start=start, end=end, area=data.get("area"))
            response = HttpResponse(buffer.getvalue(), content_type=XLSX)
            response["Content-Disposition"] = (
                f'attachment; filename="visits-{start:%Y%m%d}-{end:%Y%m%d}.xlsx"'
            )
            return response
    qs = qs.filter(visited_on__gte=start, visited_on__lte=end)
    qs = qs.select_related("resident", "household__house__building", "grid").order_by("-visited_on", "-pk")
    page, querystring = paginate(request, qs, PAGE_SIZE)
    Area.qualify(v.grid for v in page)
    context = {
        "form": form,
        "page": page,
        "start": start,
        "end": end,
        "querystring": querystring,
        "can_export": user.can(Capability.EXPORT),
    }
    return render(request, "visits/visit_list.html", context)


@login_required
def target_list(request: HttpRequest) -> HttpResponse:
    """走访对象: everyone a plan covers, filterable by state (the coverage page links here)."""
    user = acting_user(request)
    form = TargetFilterForm(request.GET or None, user=user)
    today = timezone.localdate()
    qs: QuerySet[VisitTarget] = VisitTarget.objects.visible_to(user)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        qs = selectors.filter_targets(_in_area(qs, data.get("area")), data.get("state") or "", today)
        if data.get("mine"):
            qs = qs.filter(visitor=user)
    qs = qs.select_related("resident", "grid", "visitor").order_by("due_on", "pk")
    page, querystring = paginate(request, qs, PAGE_SIZE)
    tags = {t.code: t for t in Tag.objects.all()}
    rows = [(t, selectors.reason_text(t.reasons, user, tags)) for t in page]
    Area.qualify(t.grid for t, _ in rows)
    context = {"form": form, "page": page, "rows": rows, "today": today, "querystring": querystring}
    return render(request, "visits/target_list.html", context)


@login_required
def coverage(request: HttpRequest) -> HttpResponseBase:
    user = acting_user(request)
    form = CoverageForm(request.GET or None)
    group, start, end = "grid", None, None
    if form.is_bound and form.is_valid():
        group = form.cleaned_data.get("group") or "grid"
        start, end = form.cleaned_data.get("start"), form.cleaned_data.get("end")
        if request.GET.get("format") == "xlsx":
            _require(user, Capability.EXPORT)
            buffer = io.BytesIO()
            export_coverage(actor=user, target=buffer, group=group, start=start, end=end)
            response = HttpResponse(buffer.getvalue(), content_type=XLSX)
            response["Content-Disposition"] = f'attachment; filename="visit-coverage-{group}.xlsx"'
            return response
    rows, total = selectors.coverage(user, group=group, start=start, end=end)
    names = [name for name, _ in selectors.COVERAGE_TITLES]
    table = [(row, [selectors.coverage_text(row, n) for n in names]) for row in [*rows, total]]
    context = {
        "form": form,
        "table": table,
        "titles": selectors.COVERAGE_TITLES,
        "group": group,
        "group_label": selectors.GROUP_LABELS[group],
        "total": total,
        "rate": selectors.coverage_text(total, "on_time_rate"),
        "can_export": user.can(Capability.EXPORT),
        "querystring": request.GET.urlencode(),
    }
    return render(request, "visits/coverage.html", context)


# --- 八必访 ---------------------------------------------------------------------------------------


@login_required
def task_list(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    status = request.GET.get("status", "open")
    qs = VisitTask.objects.visible_to(user).select_related("resident", "grid", "assignee", "visit")
    if status in TaskStatus.values:
        qs = qs.filter(status=status)
    if request.GET.get("mine"):
        qs = qs.filter(assignee=user)
    page, querystring = paginate(request, qs.order_by("due_at", "pk"), PAGE_SIZE)
    context = {
        "page": page,
        "status": status,
        "statuses": TaskStatus.choices,
        "now": timezone.now(),
        "querystring": querystring,
        "can_write": user.can(Capability.WRITE),
    }
    return render(request, "visits/task_list.html", context)


@login_required
def task_new(request: HttpRequest, resident_pk: int) -> HttpResponseBase:
    user = acting_user(request)
    _require(user, Capability.WRITE)
    resident = _resident(user, resident_pk)
    form = TaskForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            task = services.task_create(
                actor=user,
                resident=resident,
                trigger=form.cleaned_data["trigger"],
                note=form.cleaned_data["note"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            due = timezone.localtime(task.due_at)
            who = task.assignee.display_name if task.assignee else "—"
            messages.success(request, f"已登记八必访事件，{who} 须于 {due:%m-%d %H:%M} 前走访。")
            return redirect("registry:resident", pk=resident.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "visits/task_new.html", {"form": form, "resident": resident}, status=status)


@login_required
@require_POST
def task_cancel(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = acting_user(request)
    task = get_object_or_404(VisitTask.objects.visible_to(user), pk=pk)
    form = CancelForm(request.POST)
    try:
        if not form.is_valid():
            raise DomainError("请填写撤销原因。", field="reason")
        services.task_cancel(actor=user, task=task, reason=form.cleaned_data["reason"])
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "已撤销该八必访任务。")
    return redirect("visits:tasks")


# --- care plans and pairings ------------------------------------------------------------------------


@login_required
def plan_list(request: HttpRequest) -> HttpResponseBase:
    user = acting_user(request)
    can_edit = user.can(Capability.SUPERVISE)
    form = CarePlanForm(request.POST or None, user=user)
    if request.method == "POST":
        _require(user, Capability.SUPERVISE)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.care_plan_create(
                    actor=user,
                    area=data["area"],
                    tag=data["tag"],
                    interval_days=data["interval_days"],
                    note=data["note"],
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, "已保存关怀计划，走访对象已更新。")
                return redirect("visits:plans")
    plans = (
        CarePlan.objects.visible_to(user)
        .select_related("area", "tag", "resident")
        .order_by("resident", "area__path", "tag__order")
    )
    hidden = set(Tag.objects.filter(Tag.hidden_q(user)).values_list("pk", flat=True))
    shown = [p for p in plans if p.tag_id not in hidden]
    Area.qualify(p.area for p in shown)
    context = {
        "plans": shown,
        "form": form,
        "can_edit": can_edit,
    }
    return render(request, "visits/plans.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def plan_set(request: HttpRequest, pk: int) -> HttpResponseBase:
    """Change a plan's interval or switch it off/on."""
    user = acting_user(request)
    plan = get_object_or_404(
        CarePlan.objects.visible_to(user).select_related("area", "tag", "resident"), pk=pk
    )
    try:
        services.care_plan_update(
            actor=user,
            plan=plan,
            interval_days=request.POST.get("interval_days") or None,
            active={"on": True, "off": False}.get(request.POST.get("active", "")),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "已更新关怀计划。")
    if plan.resident_id:
        return redirect("registry:resident", pk=plan.resident_id)
    return redirect("visits:plans")


@login_required
def resident_care(request: HttpRequest, pk: int) -> HttpResponseBase:
    """A resident's own plan and pairing (结对), from their registry page."""
    user = acting_user(request)
    _require(user, Capability.WRITE)
    resident = _resident(user, pk)
    plan = CarePlan.objects.visible_to(user).filter(resident=resident).first()
    plan_form = PersonPlanForm(
        request.POST if request.POST.get("form") == "plan" else None,
        initial={"interval_days": plan.interval_days if plan else 30, "note": plan.note if plan else ""},
    )
    pairing_form = PairingForm(
        request.POST if request.POST.get("form") == "pairing" else None, user=user, grid=resident.grid
    )
    if request.method == "POST":
        try:
            if request.POST.get("form") == "plan" and plan_form.is_valid():
                data = plan_form.cleaned_data
                if plan:
                    services.care_plan_update(
                        actor=user,
                        plan=plan,
                        interval_days=data["interval_days"],
                        note=data["note"],
                        active=True,
                    )
                else:
                    services.care_plan_create(
                        actor=user, resident=resident, interval_days=data["interval_days"], note=data["note"]
                    )
                messages.success(request, "已保存个人关怀计划。")
                return redirect("registry:resident", pk=resident.pk)
            if request.POST.get("form") == "pairing" and pairing_form.is_valid():
                data = pairing_form.cleaned_data
                services.pairing_create(
                    actor=user,
                    resident=resident,
                    visitor=data["visitor"],
                    kind=data["kind"],
                    note=data["note"],
                )
                messages.success(request, f"已与{data['visitor'].display_name}结对。")
                return redirect("registry:resident", pk=resident.pk)
            if request.POST.get("form") == "unpair":
                pairing = (
                    Pairing.objects.visible_to(user).filter(resident=resident, end_date__isnull=True).first()
                )
                if pairing is None:
                    raise DomainError("当前没有结对。")
                services.pairing_end(actor=user, pairing=pairing)
                messages.success(request, "已结束结对。")
                return redirect("registry:resident", pk=resident.pk)
        except DomainError as exc:
            add_domain_error(plan_form if request.POST.get("form") == "plan" else pairing_form, exc)
    context = {
        "resident": resident,
        "plan": plan,
        "plan_form": plan_form,
        "pairing_form": pairing_form,
        "pairing": Pairing.objects.visible_to(user)
        .filter(resident=resident, end_date__isnull=True)
        .select_related("visitor")
        .first(),
    }
    return render(
        request, "visits/resident_care.html", context, status=400 if request.method == "POST" else 200
    )


# --- the field diary ---------------------------------------------------------------------------------


@login_required
def diary(request: HttpRequest) -> HttpResponseBase:
    """民情日记: write today's notes; read and search the diaries in scope."""
    user = acting_user(request)
    form = DiaryForm(request.POST or None)
    if request.method == "POST":
        _require(user, Capability.WRITE)
        if form.is_valid():
            try:
                services.diary_create(
                    actor=user, day=form.cleaned_data["day"], text=form.cleaned_data["text"]
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, "已记入民情日记。")
                return redirect("visits:diary")
    qs = DiaryEntry.objects.visible_to(user).select_related("author", "area")
    query = request.GET.get("q", "").strip()[:50]
    if query:
        qs = qs.filter(text__icontains=query)
    if request.GET.get("mine"):
        qs = qs.filter(author=user)
    page, querystring = paginate(request, qs.order_by("-day", "-pk"), PAGE_SIZE)
    Area.qualify(e.area for e in page)
    context = {
        "form": form,
        "page": page,
        "query": query,
        "mine": bool(request.GET.get("mine")),
        "querystring": querystring,
        "can_write": user.can(Capability.WRITE),
    }
    return render(request, "visits/diary.html", context, status=400 if form.errors else 200)


@login_required
def diary_edit(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = acting_user(request)
    entry = get_object_or_404(DiaryEntry.objects.visible_to(user).filter(author=user), pk=pk)
    form = DiaryForm(request.POST or None, initial={"day": entry.day, "text": entry.text})
    if request.method == "POST" and form.is_valid():
        try:
            services.diary_update(actor=user, entry=entry, text=form.cleaned_data["text"])
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "已修改。")
            return redirect("visits:diary")
    form.fields["day"].disabled = True
    status = 400 if request.method == "POST" else 200
    return render(request, "visits/diary_edit.html", {"form": form, "entry": entry}, status=status)


def resident_visits_context(user: User, resident: Resident) -> dict[str, Any]:
    """The registry's resident page shows their visiting state with this."""
    # Scoped like everything else: visits logged in a grid the resident lived in before stay with that grid.
    target = VisitTarget.objects.visible_to(user).filter(resident=resident).select_related("visitor").first()
    visits = Visit.objects.visible_to(user).filter(
        Q(resident=resident) | Q(household_id=resident.household_id, household__isnull=False)
    )
    return {
        "visit_target": target,
        "visit_reason": selectors.reason_text(target.reasons, user) if target else "",
        "visit_recent": visits.select_related("resident", "household__house__building")[:5],
        "visit_tasks": VisitTask.objects.visible_to(user)
        .filter(resident=resident, status=TaskStatus.OPEN)
        .select_related("assignee"),
        "visit_pairing": Pairing.objects.visible_to(user)
        .filter(resident=resident, end_date__isnull=True)
        .select_related("visitor")
        .first(),
        "visit_plan": CarePlan.objects.visible_to(user).filter(resident=resident).first(),
        "today": timezone.localdate(),
    }
