from __future__ import annotations

import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import FileResponse, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from linli.accounts.models import User
from linli.accounts.roles import Capability
from linli.areas.models import Area
from linli.cases.models import Case
from linli.core.errors import DomainError, Forbidden, RateLimited
from linli.core.forms import add_domain_error
from linli.core.http import HttpRequest, acting_user, paginate
from linli.core.validation import parse_id
from linli.registry import services
from linli.registry.forms import (
    ALL_STATUSES,
    ExportForm,
    MergeForm,
    MoveDateForm,
    PlaceForm,
    ResidentFilterForm,
    ResidentForm,
    StatusForm,
    ordered,
)
from linli.registry.models import House, Household, Resident, ResidentChange, Tag
from linli.registry.selectors import (
    PinyinResults,
    describe_changes,
    digit_query,
    hidden_tag_names,
    present,
    search,
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
    refused = _refused_search(user, form) if valid else None
    if refused is not None:
        residents = shown.none()
    elif valid and (letters := form.pinyin_only()) and _all_on_register(form, qs):
        # Letters typed into the live search box: read from the pinyin indexes, not sorted
        # (zh on a 260,000-resident street: 132 → 26 ms a keystroke).
        grid = form.cleaned_data.get("grid")
        residents = PinyinResults(user, letters, shown, grid=grid.path if grid else "")
    else:
        residents = form.apply(shown) if valid else ordered(shown.filter(status=Resident.Status.ACTIVE))
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
        "can_keep": user.can(Capability.KEEP_REGISTRY),
        "filters_active": any(request.GET.get(f) for f in form.fields if f not in {"q", "sort"}),
        "search_error": refused.message if refused else "",
    }
    if request.htmx:
        # htmx swaps only 2xx answers: the refusal must arrive as one to be read where the list was.
        return render(request, "registry/resident_list.html#results", context)
    status = 200 if refused is None else 429 if isinstance(refused, RateLimited) else 400
    return render(request, "registry/resident_list.html", context, status=status)


def _refused_search(user: User, form: ResidentFilterForm) -> DomainError | None:
    """Why the list's search may not run (digits beyond what the mask shows, or too many searches by
    digits this hour), or None; a search by digits that may run is audited and counted here."""
    try:
        services.resident_search_digits(actor=user, query=form.cleaned_data.get("q") or "")
    except DomainError as exc:
        return exc
    return None


def _all_on_register(form: ResidentFilterForm, qs: QuerySet[Resident]) -> bool:
    """Whether the list asked for is every resident in `qs` as far as status goes: all statuses, or
    the default 在册 when nobody in scope has left (one probe of the grid-status index). Only then
    may the pinyin indexes, which know nothing of status, answer it."""
    if form.cleaned_data.get("status") == ALL_STATUSES:
        return True
    return not qs.exclude(status=Resident.Status.ACTIVE).exists()


def _active(qs: QuerySet[Resident]) -> QuerySet[Resident]:
    """What the list shows without filters: the residents on the register."""
    return qs.filter(status=Resident.Status.ACTIVE)


def _resident(request: HttpRequest, pk: int) -> Resident:
    user = acting_user(request)
    qs = with_visible_tags(Resident.objects.visible_to(user).select_related("grid", "house__building"), user)
    return get_object_or_404(qs, pk=pk)


def _without_party(user: User, changes: dict[str, Any]) -> dict[str, Any]:
    if user.can(Capability.PARTY) or "political_status" not in changes:
        return changes
    return {k: v for k, v in changes.items() if k != "political_status"}


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
        "can_party": user.can(Capability.PARTY),
        "history": [
            (h, describe_changes(_without_party(user, h.changes), hidden))
            for h in ResidentChange.objects.visible_to(user)
            .filter(resident=resident)
            .order_by("-at", "-id")[:50]
        ],
        "can_reveal": user.can(Capability.REVEAL_PERSONAL),
        "cases": Case.objects.visible_to(user).filter(resident=resident).select_related("category")[:20],
        "can_write": user.can(Capability.WRITE),
        "can_keep": user.can(Capability.KEEP_REGISTRY) and resident.status != Resident.Status.MERGED,
        "can_merge": user.can(Capability.KEEP_REGISTRY)
        and user.can(Capability.REVEAL_PERSONAL)
        and resident.status != Resident.Status.MERGED,
        "tag_choices": _tag_choices(user, resident),
        "merged_into": Resident.objects.visible_to(user).filter(pk=resident.merged_into_id).first()
        if resident.merged_into_id
        else None,
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
@require_http_methods(["GET", "HEAD", "POST"])
def resident_card(request: HttpRequest, pk: int) -> HttpResponseBase:
    """居民信息卡 (A4 PDF): GET prints it masked, as the page shows it; POST with reveal=1 prints the full
    numbers for users who may reveal (audited as a reveal and as a print)."""
    from linli.core import pdf
    from linli.registry.printing import resident_card as card

    user = acting_user(request)
    resident = _resident(request, pk)
    reveal = request.method == "POST" and request.POST.get("reveal") == "1"
    try:
        doc = card(user, resident, reveal=reveal)
    except DomainError as exc:
        raise PermissionDenied(exc.message) from exc
    return pdf.response(doc, f"居民信息卡-{resident.name}.pdf")


@login_required
def resident_ledger_pdf(request: HttpRequest) -> HttpResponseBase:
    """人口台账 in the inspection layout (A4 landscape PDF) for the list's filters: the same queryset
    as the list, masked; needs EXPORT; audited. A refused digit search or too long a ledger goes back to
    the list with the reason."""
    from linli.core import pdf
    from linli.registry.printing import ledger

    user = acting_user(request)
    if not user.can(Capability.EXPORT):
        raise PermissionDenied("您没有导出台账的权限。")
    form = ResidentFilterForm(request.GET or None, user=user)
    filtered = form.is_bound and form.is_valid()
    listing = f"{reverse('registry:residents')}?{request.GET.urlencode()}"
    if filtered and _refused_search(user, form) is not None:
        return redirect(listing)
    qs = Resident.objects.visible_to(user)
    residents = form.apply(qs) if filtered else _active(qs)
    described = "，".join(
        f"{form.fields[name].label}：{_shown(form, name)}"
        for name in form.fields
        if name != "sort" and filtered and form.cleaned_data.get(name)
    )
    try:
        doc = ledger(user, residents, filters=described)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(listing)
    return pdf.response(doc, f"人口台账-{timezone.localtime():%Y%m%d}.pdf")


def _shown(form: ResidentFilterForm, name: str) -> str:
    """A filter's value as the form shows it (a choice's label, a grid's name)."""
    value = form.cleaned_data.get(name)
    if name == "q" and (digits := digit_query(str(value))) is not None:
        return digits.masked()  # no more of a number than the mask shows, on paper or in the audit log
    field = form.fields[name]
    choices = dict(getattr(field, "choices", []) or [])
    return str(choices.get(value, value))


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
        "can_keep": user.can(Capability.KEEP_REGISTRY),
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
    if filtered and _refused_search(user, form) is not None:
        # The list shows why; exporting everything instead of the refused search would surprise.
        return redirect(f"{reverse('registry:residents')}?{request.GET.urlencode()}")
    export = ExportForm(request.POST)
    reveal = export.is_valid() and export.cleaned_data["reveal"]
    areas = list(Area.objects.filter(path__in=user.scope_paths()).order_by("path"))
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    tmp = Path(tempfile.mkdtemp(prefix="linli-export-")) / f"residents-{stamp}.xlsx"
    try:
        export_residents(
            actor=user, areas=areas, path=tmp, reveal=reveal, refine=form.apply if filtered else _active
        )
    except DomainError as exc:
        raise PermissionDenied(exc.message) from exc
    filename = f"人口台账-{areas[0].name if len(areas) == 1 else '导出'}-{stamp}.xlsx"
    return FileResponse(tmp.open("rb"), as_attachment=True, filename=filename)


def _keeper(request: HttpRequest) -> User:
    """The user, if they may keep the registry (a viewer or a department handler may not): else 403."""
    user = acting_user(request)
    if not user.can(Capability.KEEP_REGISTRY):
        raise PermissionDenied("您没有维护人口台账的权限。")
    return user


def _kept(request: HttpRequest, pk: int) -> tuple[User, Resident]:
    user = _keeper(request)
    resident = get_object_or_404(
        Resident.objects.visible_to(user).select_related("grid__parent", "house__building", "household"),
        pk=pk,
    )
    return user, resident


def _refused(form: forms.Form, exc: DomainError) -> None:
    add_domain_error(form, exc)


@login_required
def place_fields(request: HttpRequest) -> HttpResponse:
    """The place fieldset again, for the choices the user has made so far (htmx)."""
    user = _keeper(request)
    form = PlaceForm(request.GET, user=user, place_url=reverse("registry:place"))
    return render(request, "registry/_place.html", {"place": form})


def _resident_form(user: User, *args: Any, **kwargs: Any) -> ResidentForm:
    """Political status (政治面貌) says who is a party member: only users with `party` see or set it."""
    form = ResidentForm(*args, **kwargs)
    if not user.can(Capability.PARTY):
        form.fields.pop("political_status", None)
    return form


@login_required
def resident_new(request: HttpRequest) -> HttpResponseBase:
    """登记居民: the person, then where they live; a new house or household is created on the way."""
    user = _keeper(request)
    place_url = reverse("registry:place")
    if request.method != "POST":
        form = _resident_form(user)
        place = PlaceForm(initial=_place_initial(request), user=user, place_url=place_url)
        return render(request, "registry/resident_new.html", {"form": form, "place": place})
    form = _resident_form(user, request.POST)
    place = PlaceForm(request.POST, user=user, place_url=place_url)
    if form.is_valid() and place.is_valid():
        data = form.cleaned_data
        try:
            grid, house, household = place.place()
            resident = services.resident_create(
                actor=user,
                grid=grid,
                house=house,
                household=household,
                relation_to_head=place.cleaned_data.get("relation_to_head") or "",
                **data,
            )
        except DomainError as exc:
            _refused(place if exc.field in place.fields else form, exc)
        else:
            messages.success(request, f"已登记居民{resident.name}。")
            if request.POST.get("next") == "another":
                url = reverse("registry:resident_new")
                params = {"grid": grid.pk, "building": resident.house.building_id if resident.house else ""}
                if resident.house_id:
                    params["house"] = resident.house_id
                return redirect(f"{url}?{urlencode(params)}")
            return redirect("registry:resident", pk=resident.pk)
    return render(request, "registry/resident_new.html", {"form": form, "place": place}, status=400)


def _place_initial(request: HttpRequest) -> dict[str, str]:
    return {k: v for k in ("grid", "building", "house") if parse_id(v := request.GET.get(k, "")) is not None}


@login_required
def resident_edit(request: HttpRequest, pk: int) -> HttpResponseBase:
    """修改: the resident's own fields; the history records old → new."""
    user, resident = _kept(request, pk)
    if resident.status == Resident.Status.MERGED:
        raise PermissionDenied("该记录已合并，不能修改。")
    initial = {f: getattr(resident, f) for f in ResidentForm.base_fields}
    if request.method != "POST":
        return render(
            request,
            "registry/resident_edit.html",
            {"r": resident, "form": _resident_form(user, initial=initial)},
        )
    form = _resident_form(user, request.POST, initial=initial)
    if form.is_valid():
        try:
            changed = services.resident_update(actor=user, resident=resident, **form.cleaned_data)
        except DomainError as exc:
            _refused(form, exc)
        else:
            messages.success(request, "已保存。" if changed else "没有改动。")
            return redirect("registry:resident", pk=resident.pk)
    return render(request, "registry/resident_edit.html", {"r": resident, "form": form}, status=400)


@login_required
def resident_move_view(request: HttpRequest, pk: int) -> HttpResponseBase:
    """迁居: to another house of the street (new house or household on the way)."""
    user, resident = _kept(request, pk)
    place_url = reverse("registry:place")
    today = timezone.localdate()
    if request.method != "POST":
        place = PlaceForm(initial={"grid": resident.grid_id}, user=user, place_url=place_url)
        form = MoveDateForm(initial={"effective_date": today})
        return render(request, "registry/resident_move.html", {"r": resident, "place": place, "form": form})
    place = PlaceForm(request.POST, user=user, place_url=place_url)
    form = MoveDateForm(request.POST)
    if place.is_valid() and form.is_valid():
        try:
            grid, house, household = place.place()
            if house is None:
                raise DomainError("请选择或新建要迁入的房屋。", field="house")
            services.resident_move(
                actor=user,
                resident=resident,
                grid=grid,
                house=house,
                household=household,
                relation_to_head=place.cleaned_data.get("relation_to_head") or None,
                effective_date=form.cleaned_data["effective_date"],
                note=form.cleaned_data["note"],
            )
        except DomainError as exc:
            _refused(form if exc.field in form.fields else place, exc)
        else:
            messages.success(request, f"{resident.name}已迁居。")
            return redirect("registry:resident", pk=resident.pk)
    context = {"r": resident, "place": place, "form": form}
    return render(request, "registry/resident_move.html", context, status=400)


@login_required
def resident_leave(request: HttpRequest, pk: int, kind: str) -> HttpResponseBase:
    """迁出 (`kind` moved_out) or 登记死亡 (`kind` deceased), as of a date."""
    user, resident = _kept(request, pk)
    form = StatusForm(request.POST or None, initial={"effective_date": timezone.localdate()})
    context = {"r": resident, "form": form, "kind": kind}
    if request.method != "POST":
        return render(request, "registry/resident_leave.html", context)
    if form.is_valid():
        data = form.cleaned_data
        try:
            if kind == Resident.Status.DECEASED:
                services.resident_record_death(
                    actor=user, resident=resident, date_of_death=data["effective_date"], note=data["note"]
                )
            else:
                services.resident_move_out(
                    actor=user,
                    resident=resident,
                    effective_date=data["effective_date"],
                    destination=data["destination"],
                    note=data["note"],
                )
        except DomainError as exc:
            _refused(form, exc)
        else:
            messages.success(request, f"已登记{resident.name}{Resident.Status(kind).label}。")
            return redirect("registry:resident", pk=resident.pk)
    return render(request, "registry/resident_leave.html", context, status=400)


@login_required
def resident_merge_view(request: HttpRequest, pk: int) -> HttpResponseBase:
    """合并重复: find the duplicate, compare the two in full (each look audited), confirm."""
    user, survivor = _kept(request, pk)
    if not user.can(Capability.REVEAL_PERSONAL):
        raise PermissionDenied("合并重复记录需要查看完整证件号码的权限（社区负责人或街道管理员）。")
    scoped = Resident.objects.visible_to(user).select_related("grid", "house__building", "house__entrance")
    candidates: list[Resident] = []
    query = request.GET.get("q", "").strip()[:50]
    if query:
        found = search(scoped.exclude(pk=survivor.pk).exclude(status=Resident.Status.MERGED), query)
        candidates = list(found.order_by("pk")[:20])
    elif survivor.status != Resident.Status.MERGED:
        # Same name in scope: the usual shape of a duplicate registration.
        candidates = list(
            scoped.filter(name=survivor.name)
            .exclude(pk=survivor.pk)
            .exclude(status=Resident.Status.MERGED)[:20]
        )
    form = MergeForm(request.POST or None)
    duplicate = None
    raw = request.POST.get("duplicate") or request.GET.get("duplicate") or ""
    if (duplicate_id := parse_id(raw)) is not None:
        duplicate = get_object_or_404(scoped.exclude(pk=survivor.pk), pk=duplicate_id)
    if request.method == "POST" and duplicate is not None and form.is_valid():
        try:
            services.resident_merge(
                actor=user, survivor=survivor, duplicate=duplicate, note=form.cleaned_data["note"]
            )
        except DomainError as exc:
            _refused(form, exc)
        else:
            messages.success(request, f"已将重复记录合并到{survivor.name}。")
            return redirect("registry:resident", pk=survivor.pk)
    pair = None
    if duplicate is not None:
        # Judging a duplicate needs both numbers in full: each view is a reveal, audited.
        both = with_visible_tags(scoped, user).in_bulk([survivor.pk, duplicate.pk])
        pair = [present(both[survivor.pk], user, reveal=True), present(both[duplicate.pk], user, reveal=True)]
        form = form if request.method == "POST" else MergeForm(initial={"duplicate": duplicate.pk})
    context = {
        "r": survivor,
        "query": query,
        "candidates": [
            present(c, user)
            for c in with_visible_tags(scoped.filter(pk__in=[c.pk for c in candidates]), user)
        ],
        "duplicate": duplicate,
        "pair": pair,
        "form": form,
    }
    return render(request, "registry/resident_merge.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def resident_tags(request: HttpRequest, pk: int) -> HttpResponseBase:
    """Add (`add`=tag id) or remove (`remove`=tag id) one tag; htmx swaps the tags card."""
    user, resident = _kept(request, pk)
    error = ""
    raw = request.POST.get("add") or request.POST.get("remove") or ""
    tag = _visible_tag(user, raw)
    try:
        if tag is None:
            raise DomainError("请选择标签。", field="tags")
        if request.POST.get("add"):
            services.resident_tag_add(actor=user, resident=resident, tag=tag)
        else:
            services.resident_tag_remove(actor=user, resident=resident, tag=tag)
    except DomainError as exc:
        if isinstance(exc, Forbidden):
            raise PermissionDenied(exc.message) from exc
        error = exc.message
    if not request.htmx:
        if error:
            messages.error(request, error)
        return redirect("registry:resident", pk=resident.pk)
    resident = _resident(request, pk)
    context = {"r": present(resident, user), "tag_choices": _tag_choices(user, resident), "tag_error": error}
    context["can_keep"] = True
    return render(request, "registry/resident_detail.html#tags", context, status=400 if error else 200)


def _visible_tag(user: User, raw: str) -> Tag | None:
    if (pk := parse_id(raw)) is None:
        return None
    tags = Tag.objects.exclude(Tag.hidden_q(user))
    return tags.filter(pk=pk).first()


def _tag_choices(user: User, resident: Resident) -> list[Tag]:
    tags = Tag.objects.order_by("group__order", "order")
    tags = tags.exclude(Tag.hidden_q(user))
    return list(tags.exclude(pk__in=resident.tag_links.values("tag_id")))


def _qualified(residents: Iterable[Resident]) -> list[Resident]:
    """The page's residents with their grids named by community (one query for the page)."""
    rows = list(residents)
    Area.qualify(r.grid for r in rows)
    return rows
