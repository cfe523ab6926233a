from __future__ import annotations

import tempfile
from collections.abc import Iterable
from pathlib import Path

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import FileResponse, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from linli.accounts.models import User
from linli.accounts.roles import Capability
from linli.areas.models import Area
from linli.cases.models import Case
from linli.core.errors import DomainError
from linli.core.http import HttpRequest, acting_user, paginate
from linli.registry.forms import ExportForm, ResidentFilterForm, ordered
from linli.registry.models import House, Household, Resident, ResidentChange
from linli.registry.selectors import (
    PinyinResults,
    describe_changes,
    hidden_tag_names,
    present,
    with_visible_tags,
)
from linli.transfers.export import export_residents
from linli.visits.views import resident_visits_context

PAGE_SIZE = 50


@login_required
def resident_list(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    form = ResidentFilterForm(request.GET or None, user=user)
    qs: QuerySet[Resident] = Resident.objects.visible_to(user)
    valid = form.is_bound and form.is_valid()
    shown = with_visible_tags(qs.select_related("grid", "house__building", "house__entrance"), user)
    residents: QuerySet[Resident] | PinyinResults
    if valid and (letters := form.pinyin_only()):
        # Letters typed into the live search box: read from the pinyin indexes, not sorted
        # (zh on a 260,000-resident street: 132 → 26 ms a keystroke).
        grid = form.cleaned_data.get("grid")
        residents = PinyinResults(user, letters, shown, grid=grid.path if grid else "")
    else:
        residents = form.apply(shown) if valid else ordered(shown)
    page, querystring = paginate(request, residents, PAGE_SIZE)
    context = {
        "form": form,
        "page": page,
        "count_exact": getattr(residents, "count_exact", True),
        "rows": [present(r, user) for r in _qualified(page.object_list)],
        "querystring": querystring,
        "can_export": user.can(Capability.EXPORT),
        "export_form": ExportForm(),
        "can_reveal": user.can(Capability.REVEAL_PERSONAL),
        "filters_active": any(request.GET.get(f) for f in form.fields if f not in {"q", "sort"}),
    }
    template = "registry/resident_list.html#results" if request.htmx else "registry/resident_list.html"
    return render(request, template, context)


def _resident(request: HttpRequest, pk: int) -> Resident:
    user = acting_user(request)
    qs = with_visible_tags(Resident.objects.visible_to(user).select_related("grid", "house__building"), user)
    return get_object_or_404(qs, pk=pk)


@login_required
def resident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    resident = _resident(request, pk)
    hidden = hidden_tag_names(user)
    context = {
        "r": present(resident, user),
        "household": resident.household,
        # Members are people too: only those in the user's scope (a member may have moved grids).
        "members": Resident.objects.visible_to(user)
        .filter(household=resident.household_id)
        .exclude(pk=resident.pk)
        .order_by("pk")
        if resident.household_id
        else [],
        "history": [
            (h, describe_changes(h.changes, hidden))
            for h in ResidentChange.objects.visible_to(user)
            .filter(resident=resident)
            .order_by("-at", "-id")[:50]
        ],
        "can_reveal": user.can(Capability.REVEAL_PERSONAL),
        "cases": Case.objects.visible_to(user).filter(resident=resident).select_related("category")[:20],
        "can_write": user.can(Capability.WRITE),
    }
    context.update(resident_visits_context(user, resident))
    return render(request, "registry/resident_detail.html", context)


@login_required
@require_POST
def resident_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    """Show the full identity number and phone; one audited reveal per click."""
    user = acting_user(request)
    resident = _resident(request, pk)
    try:
        view = present(resident, user, reveal=True)
    except DomainError as exc:
        raise PermissionDenied(exc.message) from exc
    return render(request, "registry/resident_detail.html#personal", {"r": view, "can_reveal": True})


@login_required
def household_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    household = get_object_or_404(Household.objects.visible_to(user).select_related("house__building"), pk=pk)
    in_scope = Resident.objects.visible_to(user).filter(household=household).select_related("grid")
    members = [present(m, user) for m in with_visible_tags(in_scope.order_by("pk"), user)]
    head = next((m for m in members if m.pk == household.head_id), None)
    context = {"household": household, "head": head, "members": members}
    return render(request, "registry/household_detail.html", context)


@login_required
def house_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    house = get_object_or_404(
        House.objects.visible_to(user).select_related("building__grid", "entrance"), pk=pk
    )
    residents = with_visible_tags(Resident.objects.visible_to(user).filter(house=house).order_by("pk"), user)
    changes = (
        ResidentChange.objects.visible_to(user)
        .filter(resident__house=house)
        .select_related("resident")
        .order_by("-at", "-id")[:100]
    )
    hidden = hidden_tag_names(user)
    history = [(h, describe_changes(h.changes, hidden)) for h in changes]
    context = {
        "house": house,
        "residents": [present(r, user) for r in residents],
        "households": _with_visible_heads(user, house.households.all()),
        "history": history,
    }
    return render(request, "registry/house_detail.html", context)


def _with_visible_heads(
    user: User, households: QuerySet[Household]
) -> list[tuple[Household, Resident | None]]:
    """Each household with its head, if the head is in the user's scope (a head may have moved grids)."""
    rows = list(households)
    heads = Resident.objects.visible_to(user).in_bulk([h.head_id for h in rows if h.head_id])
    return [(h, heads.get(h.head_id) if h.head_id else None) for h in rows]


@login_required
@require_POST
def resident_export(request: HttpRequest) -> HttpResponseBase:
    """Export what the list shows (same filters), masked unless the user may and asks to reveal."""
    user = acting_user(request)
    if not user.can(Capability.EXPORT):
        raise PermissionDenied
    form = ResidentFilterForm(request.GET or None, user=user)
    filtered = form.is_bound and form.is_valid()
    export = ExportForm(request.POST)
    reveal = export.is_valid() and export.cleaned_data["reveal"]
    areas = list(Area.objects.filter(path__in=user.scope_paths()).order_by("path"))
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    tmp = Path(tempfile.mkdtemp(prefix="linli-export-")) / f"residents-{stamp}.xlsx"
    try:
        export_residents(
            actor=user, areas=areas, path=tmp, reveal=reveal, refine=form.apply if filtered else None
        )
    except DomainError as exc:
        raise PermissionDenied(exc.message) from exc
    filename = f"人口台账-{areas[0].name if len(areas) == 1 else '导出'}-{stamp}.xlsx"
    return FileResponse(tmp.open("rb"), as_attachment=True, filename=filename)


def _qualified(residents: Iterable[Resident]) -> list[Resident]:
    """The page's residents with their grids named by community (one query for the page)."""
    rows = list(residents)
    Area.qualify(r.grid for r in rows)
    return rows
