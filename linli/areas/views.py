from __future__ import annotations

import json
from collections.abc import Iterable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q, QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from linli.accounts.models import User
from linli.accounts.roles import Capability
from linli.areas import services
from linli.areas.forms import AreaCreateForm, AreaEditForm, AssignForm
from linli.areas.models import Area, GridAssignment
from linli.core.errors import DomainError
from linli.core.forms import add_domain_error, submit
from linli.core.http import HttpRequest, acting_user


def _with_counts(qs: QuerySet[Area]) -> QuerySet[Area]:
    today = timezone.localdate()
    current = Q(assignments__start_date__lte=today) & (
        Q(assignments__end_date__isnull=True) | Q(assignments__end_date__gte=today)
    )
    return qs.annotate(
        child_count=Count("children", distinct=True),
        worker_count=Count("assignments__user", filter=current, distinct=True),
    )


@login_required
def tree(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    roots = _with_counts(Area.objects.visible_to(user).filter(path__in=user.scope_paths()))
    return render(request, "areas/tree.html", {"roots": roots})


@login_required
def children(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    area = get_object_or_404(Area.objects.visible_to(user), pk=pk)
    kids = _with_counts(area.children.all()).order_by("code")
    return render(request, "areas/tree.html#nodes", {"nodes": kids})


def _detail_context(user: User, area: Area) -> dict[str, object]:
    visible = Area.objects.visible_to(user)
    ancestors = visible.filter(path__in=area.ancestor_paths()).order_by("depth")
    assignments = (
        GridAssignment.objects.visible_to(user)
        .filter(grid__path__startswith=area.path)
        .filter(Q(grid=area) | Q(grid__path__startswith=area.path + "/"))
        .current()
        .select_related("grid", "user")
        .order_by("grid__path", "duty")
    )
    return {
        "area": area,
        "ancestors": ancestors,
        "children": _with_counts(area.children.all()).order_by("code"),
        "assignments": _qualified(assignments),
        "can_manage": user.can(Capability.MANAGE_AREAS),
        "can_assign": user.can(Capability.MANAGE_USERS) and area.kind == Area.Kind.GRID,
    }


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    area = get_object_or_404(Area.objects.visible_to(user), pk=pk)
    context = _detail_context(user, area)
    if context["can_manage"]:
        context["create_form"] = AreaCreateForm(parent=area)
        context["edit_form"] = AreaEditForm(
            initial={
                "name": area.name,
                "latitude": area.latitude,
                "longitude": area.longitude,
                "boundary": json.dumps(area.boundary, ensure_ascii=False) if area.boundary else "",
                "description": area.description,
            }
        )
    if context["can_assign"]:
        context["assign_form"] = AssignForm(initial={"start_date": timezone.localdate()})
    return render(request, "areas/detail.html", context)


@login_required
@require_POST
def create_child(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    parent = get_object_or_404(Area.objects.visible_to(user), pk=pk)
    form = AreaCreateForm(request.POST, parent=parent)
    child = submit(form, lambda data: services.area_create(actor=user, parent=parent, **data))
    if child is not None:
        messages.success(request, f"已新增{child.get_kind_display()}：{child.name}")
        return redirect("areas:detail", pk=parent.pk)
    context = _detail_context(user, parent) | {"create_form": form, "edit_form": None}
    return render(request, "areas/detail.html", context, status=400)


@login_required
@require_POST
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    area = get_object_or_404(Area.objects.visible_to(user), pk=pk)
    form = AreaEditForm(request.POST)
    if submit(form, lambda data: services.area_update(actor=user, area=area, **data)) is not None:
        messages.success(request, "区域信息已保存。")
        return redirect("areas:detail", pk=area.pk)
    context = _detail_context(user, area) | {"edit_form": form, "create_form": None}
    return render(request, "areas/detail.html", context, status=400)


@login_required
@require_POST
def assign(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    grid = get_object_or_404(Area.objects.visible_to(user), pk=pk)
    form = AssignForm(request.POST)
    if form.is_valid():
        # Only users already visible to the manager can be made responsible for a grid.
        assignee = (
            User.objects.visible_to(user)
            .filter(username=form.cleaned_data["username"].strip().lower())
            .first()
        )
        if assignee is None:
            form.add_error("username", "找不到该用户，或该用户不在您的管辖范围内。")
        else:
            try:
                services.grid_assign(
                    actor=user,
                    grid=grid,
                    user=assignee,
                    duty=form.cleaned_data["duty"],
                    start_date=form.cleaned_data["start_date"],
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, f"已指定 {assignee.display_name} 负责 {grid.qualified_name}。")
                return redirect("areas:detail", pk=grid.pk)
    context = _detail_context(user, grid) | {"assign_form": form}
    return render(request, "areas/detail.html", context, status=400)


def _qualified(assignments: Iterable[GridAssignment]) -> list[GridAssignment]:
    """Assignments with their grids named by community: a street's page lists every 第一网格."""
    rows = list(assignments)
    Area.qualify(a.grid for a in rows)
    return rows
