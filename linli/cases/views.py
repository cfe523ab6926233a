from __future__ import annotations

import io
from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from linli.accounts.models import User
from linli.accounts.roles import Capability
from linli.areas.models import Area
from linli.cases import actions, selectors, services
from linli.cases.export import export_cases, export_indicators, period_bounds
from linli.cases.forms import ActionForm, CaseFilterForm, CaseForm, IndicatorForm, LocationForm
from linli.cases.models import (
    CalendarOverride,
    Case,
    CaseEvent,
    CasePhoto,
    Category,
    Department,
    ExtensionRequest,
    LimitUnit,
    Notification,
    Stage,
)
from linli.cases.workcalendar import WorkCalendar, statutory_year_known
from linli.core.errors import DomainError
from linli.core.forms import add_domain_error
from linli.core.http import HttpRequest, acting_user, paginate, photo_response
from linli.core.modules import linked_from, record_actions
from linli.core.validation import parse_id
from linli.registry.models import Building, Resident
from linli.visits.models import Visit

PAGE_SIZE = 30


@login_required
def case_list(request: HttpRequest) -> HttpResponseBase:
    user = acting_user(request)
    form = CaseFilterForm(request.GET or None, user=user)
    qs: QuerySet[Case] = Case.objects.visible_to(user)
    sort = ""
    if form.is_bound and form.is_valid():
        qs = selectors.todo(user) if form.cleaned_data.get("mine") else qs
        qs = form.apply(qs)
        sort = form.cleaned_data.get("sort") or ""
        if request.GET.get("format") == "xlsx":
            if not user.can(Capability.EXPORT):
                raise PermissionDenied
            return _case_workbook(user, selectors.ordered(qs, sort), form.describe())
    qs = selectors.ordered(qs, sort).select_related("area__parent", "category", "assignee", "department")
    page, querystring = paginate(request, qs, PAGE_SIZE)
    Area.qualify(c.area for c in page)  # "滨河社区 · 第四网格西片": the page's places named in one query
    context = {
        "form": form,
        "page": page,
        "querystring": querystring,
        "can_create": user.can(Capability.WRITE),
        "can_export": user.can(Capability.EXPORT),
        "now": timezone.now(),
    }
    template = "cases/case_list.html#results" if request.htmx else "cases/case_list.html"
    return render(request, template, context)


def _case_workbook(user: User, qs: QuerySet[Case], filters: str) -> HttpResponse:
    buffer = io.BytesIO()
    export_cases(actor=user, target=buffer, cases=qs, filters=filters)
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="cases-{timezone.localdate():%Y%m%d}.xlsx"'
    return response


def _linked_resident(request: HttpRequest, user: User) -> Resident | None:
    """The resident the case is raised for, when started from their page (?resident=ID)."""
    rid = parse_id(request.GET.get("resident"))
    if rid is None:
        return None
    return Resident.objects.visible_to(user).select_related("grid", "house__building").filter(pk=rid).first()


@login_required
def case_new(request: HttpRequest) -> HttpResponseBase:
    user = acting_user(request)
    require_write(user)
    resident = _linked_resident(request, user)
    if request.method != "POST":
        initial: dict[str, Any] = {}
        if resident is not None:
            initial.update(area=resident.grid, reporter_name=resident.name)
            if resident.house_id and resident.house:
                initial.update(building=resident.house.building.number, room=resident.house.room_number)
        if user.role == "grid_worker":
            initial.setdefault("channel", "patrol")
        form = CaseForm(initial=initial, user=user)
        areas = form.fields["area"].queryset  # type: ignore[attr-defined]
        if "area" not in initial and areas.count() == 1:
            form.initial["area"] = areas.first()
        return render(request, "cases/case_new.html", {"form": form, "resident": resident})
    form = CaseForm(request.POST, request.FILES, user=user)
    if form.is_valid():
        place = form.place()
        if not form.errors:
            data = form.cleaned_data
            try:
                with transaction.atomic():
                    case = services.case_create(
                        actor=user,
                        category=data["category"],
                        channel=data["channel"],
                        urgency=data["urgency"],
                        title=data["title"],
                        description=data["description"],
                        resident=resident,
                        address=data["address"],
                        latitude=data["latitude"],
                        longitude=data["longitude"],
                        reporter_name=data["reporter_name"],
                        reporter_phone=data["reporter_phone"],
                        attributes=form.answers(),
                        **place,
                    )
                    if data.get("photo"):
                        services.photo_add(actor=user, case=case, upload=data["photo"])
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, f"已受理，工单编号 {case.number}。")
                return redirect("cases:detail", pk=case.pk)
    return render(request, "cases/case_new.html", {"form": form, "resident": resident}, status=400)


def require_write(user: User) -> None:
    if not user.can(Capability.WRITE):
        raise PermissionDenied


@login_required
def case_questions(request: HttpRequest) -> HttpResponse:
    """The chosen category's extra questions, swapped into the intake form by htmx."""
    user = acting_user(request)
    form = CaseForm(initial={"category": request.GET.get("category")}, user=user)
    return render(request, "cases/case_new.html#questions", {"form": form})


def _case(request: HttpRequest, pk: int) -> Case:
    user = acting_user(request)
    qs = Case.objects.visible_to(user).select_related(
        "area", "category__parent", "assignee", "department", "first_receiver", "handler", "verifier",
        "building", "house__building", "house__entrance", "resident", "merged_into",
    )  # fmt: skip
    return get_object_or_404(qs, pk=pk)


def _detail_context(request: HttpRequest, case: Case, **extra: Any) -> dict[str, Any]:
    user = acting_user(request)
    calendar = WorkCalendar()
    remaining = None
    if case.stage_due_at and case.is_open:
        now = timezone.now()
        remaining = (
            -calendar.working_minutes_between(case.stage_due_at, now)
            if case.stage_due_at < now
            else calendar.working_minutes_between(now, case.stage_due_at)
        )
    assignees = (
        User.objects.visible_to(user)
        .filter(is_active=True, role__in=["grid_worker", "community_worker", "community_leader"])
        .filter(bindings__area__path__in=[*case.area.ancestor_paths(), case.area.path])
        .distinct()
        .order_by("role", "username")
        if user.can(Capability.DISPATCH)
        else User.objects.none()
    )
    context = {
        "case": case,
        "events": selectors.history(case),
        "photos": CasePhoto.objects.filter(case=case),
        "actions": [(a, CaseEvent.Action(a).label) for a in selectors.available_actions(case, user)],
        "reporter_phone": selectors.reporter_phone(case, user),
        "can_reveal": bool(case.reporter_phone) and selectors.may_reveal_reporter(user, case),
        "duplicates": selectors.possible_duplicates(case, user) if user.can(Capability.DISPATCH) else [],
        "pending_extension": case.extensions.filter(decision=ExtensionRequest.Decision.PENDING).first(),
        "can_supervise": user.can(Capability.SUPERVISE),
        "can_write": user.can(Capability.WRITE),
        "suggestion": services.routing.suggest(case) if case.status in ("registered", "dispatched") else None,
        "assignees": assignees,
        "departments": services.routing.departments_for(case.area),
        "remaining_minutes": remaining,
        "remaining_hours": f"{remaining / 60:.1f}" if remaining is not None else None,
        "form": ActionForm(),
        "limit_units": LimitUnit.choices,
        "merged": case.merged_cases.all(),
        "answers": selectors.answers(case),
        "reason_actions": actions.REASON_REQUIRED,
        # A need found on a home visit: the visit it came from (if the user may see it).
        "source_visit": Visit.objects.visible_to(user).filter(case_links__case=case).first(),
        # Records of other modules this case came from (an opinion …), contributed by those modules.
        "linked_from": linked_from(user, case),
        # What other modules offer on this case ("转为互助需求"), without this module importing them.
        "record_actions": record_actions(user, case),
    }
    if "location_form" not in extra:
        context["location_form"] = LocationForm(initial=_location_initial(case), user=user)
    context["can_relocate"] = case.is_open and user.can(Capability.DISPATCH)
    if context["can_relocate"]:
        context["building_choices"] = _building_choices(user, case)
    context.update(extra)
    return context


def _location_initial(case: Case) -> dict[str, Any]:
    initial: dict[str, Any] = {"area": case.area, "address": case.address}
    if case.house_id and case.house:
        entrance = case.house.entrance.number if case.house.entrance_id else ""  # type: ignore[union-attr]
        initial.update(
            building=case.house.building.number,
            room=f"{entrance}-{case.house.room_number}" if entrance else case.house.room_number,
        )
    elif case.building_id and case.building:
        initial["building"] = case.building.number
    return initial


def _building_choices(user: User, case: Case) -> list[tuple[str, str]]:
    """The buildings of the case's community, for the location form's search-as-you-type list."""
    area = case.area
    community = Area.objects.filter(path__in=area.ancestor_paths(), kind=Area.Kind.COMMUNITY).first()
    path = community.path if community is not None and area.kind == Area.Kind.GRID else area.path
    buildings = (
        Building.objects.visible_to(user)
        .filter(grid__path__startswith=path + "/")
        .select_related("grid")
        .order_by("grid__path", "number")[:500]
    )
    return [(b.number, f"{b.grid.name} · {b.address or b.number + ' 号楼'}") for b in buildings]


@login_required
@require_POST
def case_location(request: HttpRequest, pk: int) -> HttpResponseBase:
    """更正位置: set or correct where a case is; the grid (and the routing suggestion) follow."""
    user = acting_user(request)
    case = _case(request, pk)
    if not user.can(Capability.DISPATCH):
        # Before the form: a department handler has no areas to choose, so the form alone would answer
        # with a form error, as if they might relocate a case with another choice.
        raise PermissionDenied("只有派单的社区或街道工作人员可以更正位置。")
    form = LocationForm(request.POST, user=user)
    if form.is_valid():
        place = form.place()
        if not form.errors:
            try:
                point = (form.cleaned_data.get("latitude"), form.cleaned_data.get("longitude"))
                services.case_relocate(
                    actor=user,
                    case=case,
                    address=form.cleaned_data["address"],
                    note=form.cleaned_data["note"],
                    **({"latitude": point[0], "longitude": point[1]} if None not in point else {}),
                    **place,
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, "已更正位置。")
                return redirect("cases:detail", pk=pk)
    context = _detail_context(request, _case(request, pk), location_form=form, failed_action="location")
    return render(request, "cases/case_detail.html", context, status=400)


@login_required
def case_print(request: HttpRequest, pk: int) -> HttpResponse:
    """工单 on paper (A4 PDF, core.pdf): the case as its page shows it — the reporter's phone masked —
    with its history; printing is audited like an export."""
    from linli.core import pdf
    from linli.core.audit import Action, audit_record

    user = acting_user(request)
    case = _case(request, pk)
    Area.qualify([case.area])
    doc = pdf.Document("诉求工单", scope=case.area.qualified_name)
    doc.heading(f"{case.number}  {case.title}")
    doc.fields(
        [
            ("状态", case.get_status_display()),
            ("类别", str(case.category)),
            ("受理渠道", case.get_channel_display()),
            ("紧急程度", case.get_urgency_display()),
            ("受理时间", f"{timezone.localtime(case.received_at):%Y-%m-%d %H:%M}"),
            ("地点", services.place_label(case.area, case.building, case.house)),
            ("地址", case.address or "—"),
            ("反映人", case.reporter_name or "—"),
            ("联系电话", selectors.reporter_phone(case, user) or "—"),
            ("职能部门", case.department.name if case.department else "—"),
            ("处置人", case.assignee.display_name if case.assignee else "—"),
            (
                "结案时限",
                f"{timezone.localtime(case.close_due_at):%Y-%m-%d %H:%M}" if case.close_due_at else "—",
            ),
        ],
        label_width=28,
    )
    doc.heading("诉求内容")
    doc.paragraph(case.description)
    for label, value in selectors.answers(case):
        doc.fields([(label, value)], label_width=28)
    doc.heading("办理经过")
    doc.table_rows(
        ["时间", "环节", "办理人", "说明"],
        [
            [f"{timezone.localtime(e.at):%m-%d %H:%M}", e.get_action_display(), e.who, e.note]  # type: ignore[attr-defined]
            for e in selectors.history(case)
        ],
        widths=[26, 26, 40, 88],
    )
    audit_record(actor=user, action=Action.EXPORT, obj=case, object_repr=f"打印工单 {case.number}")
    return pdf.response(doc, f"工单-{case.number}.pdf")


@login_required
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case(request, pk)
    return render(request, "cases/case_detail.html", _detail_context(request, case))


@login_required
@require_POST
def case_act(request: HttpRequest, pk: int, action: str) -> HttpResponseBase:
    """One URL per move; a refusal re-renders the page with the reason and what was typed."""
    user = acting_user(request)
    case = _case(request, pk)
    if action not in actions.ACTIONS:
        raise Http404
    form = ActionForm(request.POST)
    if form.is_valid():
        try:
            moved = actions.perform(actor=user, case=case, action=action, data=form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"{CaseEvent.Action(action).label}：已完成。")
            return redirect("cases:detail", pk=moved.pk)
    case = _case(request, pk)
    context = _detail_context(request, case, form=form, failed_action=action)
    return render(request, "cases/case_detail.html", context, status=400)


@login_required
@require_POST
def case_comment(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = acting_user(request)
    case = _case(request, pk)
    form = ActionForm(request.POST)
    if form.is_valid():
        try:
            services.case_comment(actor=user, case=case, note=form.cleaned_data["note"])
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            return redirect("cases:detail", pk=pk)
    return render(
        request,
        "cases/case_detail.html",
        _detail_context(request, case, form=form, failed_action="comment"),
        status=400,
    )


@login_required
@require_POST
def photo_add(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = acting_user(request)
    case = _case(request, pk)
    upload = request.FILES.get("photo")
    try:
        if upload is None:
            raise DomainError("请选择照片。", field="photo")
        services.photo_add(actor=user, case=case, upload=upload, caption=request.POST.get("caption", ""))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("cases:detail", pk=pk)


@login_required
def photo(request: HttpRequest, pk: int) -> FileResponse:
    return photo_response(CasePhoto.objects.visible_to(acting_user(request)), pk)


@login_required
@require_POST
def case_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    case = _case(request, pk)
    try:
        phone = selectors.reporter_phone(case, user, reveal=True)
    except DomainError as exc:
        raise PermissionDenied(exc.message) from exc
    return render(request, "cases/case_detail.html#reporter", {"case": case, "reporter_phone": phone})


@login_required
@require_POST
def extension_decide(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = acting_user(request)
    extension = get_object_or_404(ExtensionRequest.objects.visible_to(user), pk=pk)
    approve = request.POST.get("decision") == "approve"
    try:
        services.extension_decide(
            actor=user, extension=extension, approve=approve, note=request.POST.get("note", "")
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "已批准延期。" if approve else "已驳回延期。")
    return redirect("cases:detail", pk=extension.case_id)


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    todo = list(selectors.todo(user).select_related("area", "category", "assignee", "department")[:200])
    Area.qualify(c.area for c in todo)
    notes = Notification.objects.filter(user=user).select_related("case")[:100]
    context = {"todo": todo, "notifications": notes, "now": timezone.now()}
    return render(request, "cases/inbox.html", context)


@login_required
@require_POST
def inbox_read(request: HttpRequest) -> HttpResponseBase:
    user = acting_user(request)
    ids = [pk for i in request.POST.getlist("id") if (pk := parse_id(i)) is not None] or None
    services.mark_read(user=user, ids=ids)
    return redirect("cases:inbox")


@login_required
def indicator_view(request: HttpRequest) -> HttpResponseBase:
    user = acting_user(request)
    # The page opens on this month so far, written into the form: the figures always say their period.
    today = timezone.localdate()
    data = request.GET.copy()
    data.setdefault("group", "grid")
    data.setdefault("start", f"{today.replace(day=1):%Y-%m-%d}")
    data.setdefault("end", f"{today:%Y-%m-%d}")
    form = IndicatorForm(data)
    rows: list[selectors.IndicatorRow] = []
    total = None
    if form.is_valid():
        start, end = period_bounds(*form.period())
        group = form.cleaned_data["group"]
        rows, total = selectors.indicators(Case.objects.visible_to(user), group=group, start=start, end=end)
        if request.GET.get("format") == "xlsx":
            if not user.can(Capability.EXPORT):
                raise PermissionDenied
            return _indicator_workbook(user, group, form)
    names = [name for name, _ in selectors.INDICATOR_TITLES]
    table = [
        (row, [selectors.indicator_text(row, n) for n in names])
        for row in [*rows, *([total] if total else [])]
    ]
    context = {
        "form": form,
        "table": table,
        "total": total,
        "summary": {n: selectors.indicator_text(total, n) for n in names} if total else {},
        "titles": selectors.INDICATOR_TITLES,
        "group_label": selectors.GROUP_LABELS.get(
            form.cleaned_data.get("group", "grid") if form.is_valid() else "grid"
        ),
        "can_export": user.can(Capability.EXPORT),
        "querystring": data.urlencode(),
        "period": form.period() if form.is_valid() else None,
    }
    return render(request, "cases/indicators.html", context)


def _indicator_workbook(user: User, group: str, form: IndicatorForm) -> HttpResponse:
    start, end = form.period()
    buffer = io.BytesIO()
    export_indicators(actor=user, target=buffer, group=group, start=start, end=end)
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="case-indicators-{start:%Y%m%d}-{end:%Y%m%d}.xlsx"'
    )
    return response


@login_required
def category_list(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    parents = Category.objects.filter(parent__isnull=True).prefetch_related(
        "children__limits", "children__department"
    )
    context = {
        "parents": parents,
        "stages": Stage.choices,
        "can_configure": user.can(Capability.CONFIGURE),
        "departments": Department.objects.visible_to(user).prefetch_related("members"),
    }
    return render(request, "cases/categories.html", context)


@login_required
@require_POST
def category_limits(request: HttpRequest, pk: int) -> HttpResponseBase:
    """Set a leaf's time limits and department in one go (nothing is saved if one value is wrong)."""
    user = acting_user(request)
    if not user.can(Capability.CONFIGURE):
        raise PermissionDenied
    category = get_object_or_404(Category, pk=pk, parent__isnull=False)
    try:
        with transaction.atomic():
            for stage, label in Stage.choices:
                amount = request.POST.get(f"{stage}_amount", "").strip()
                unit = request.POST.get(f"{stage}_unit", "")
                if amount:
                    try:
                        services.category_set_limit(
                            actor=user, category=category, stage=stage, amount=amount, unit=unit
                        )
                    except DomainError as exc:
                        raise DomainError(f"{label}时限：{exc.message}", field=stage) from exc
            code = request.POST.get("department", "")
            department = Department.objects.filter(code=code).first() if code else None
            if department != category.department:
                services.category_update(actor=user, category=category, department=department)
    except DomainError as exc:
        messages.error(request, f"{category.name}：{exc.message}")
    else:
        messages.success(request, f"已保存“{category.name}”的时限。")
    return redirect("cases:categories")


@login_required
def calendar_view(request: HttpRequest) -> HttpResponseBase:
    user = acting_user(request)
    if request.method == "POST":
        try:
            day = date.fromisoformat(request.POST.get("day", ""))
        except ValueError:
            messages.error(request, "请填写正确的日期（年-月-日）。")
            return redirect("cases:calendar")
        try:
            if request.POST.get("remove"):
                services.calendar_override_delete(actor=user, day=day)
                messages.success(request, f"已取消 {day} 的调整。")
            else:
                workday = request.POST.get("is_workday") == "1"
                services.calendar_override_set(
                    actor=user, day=day, is_workday=workday, note=request.POST.get("note", "")
                )
                messages.success(request, f"已将 {day} 设为{'工作日' if workday else '休息日'}。")
        except DomainError as exc:
            if exc.code == "forbidden":
                raise PermissionDenied(exc.message) from exc
            messages.error(request, exc.message)
        return redirect("cases:calendar")
    year = timezone.localdate().year
    context = {
        "overrides": CalendarOverride.objects.all(),
        "can_configure": user.can(Capability.CONFIGURE),
        "known": {y: statutory_year_known(y) for y in (year, year + 1)},
    }
    return render(request, "cases/calendar.html", context)
