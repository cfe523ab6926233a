from collections.abc import Callable
from datetime import date

from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status
from pydantic import BaseModel

from linli.accounts.models import User
from linli.accounts.roles import Capability
from linli.api.schemas import ErrorOut, Id, PageNumber
from linli.areas.services import area_by_path
from linli.core.errors import DomainError
from linli.core.http import acting_user
from linli.core.scoping import subtree_q
from linli.registry import services
from linli.registry.models import ResidenceType, Resident, ResidentStatus, ResidentTag, Tag
from linli.registry.selectors import (
    ResidentView,
    SearchPage,
    is_pinyin_query,
    list_rows,
    name_index_page,
    pinyin_page,
    population_counts,
    present,
    search,
    short_name_query,
    with_visible_tags,
)

router = Router(tags=["residents"])
PAGE_SIZE = 50


# Plain pydantic, as list rows are (see CaseSummaryOut): ~10 ms less on a 50-row page.
class ResidentOut(BaseModel):
    id: int
    name: str
    id_number: str  # masked unless revealed
    phone: str  # masked unless revealed
    gender: str
    birth_date: date
    residence_type: str
    status: str
    grid_path: str
    house: str | None
    tags: list[str]
    revealed: bool


class ResidentFilter(Schema):
    search: str | None = None
    grid: str | None = None  # code path of an area; its subtree
    tag: str | None = None  # tag name or code
    residence_type: ResidenceType | None = None
    status: ResidentStatus | None = None
    page: PageNumber = 1


def _out(view: ResidentView) -> ResidentOut:
    r = view.resident
    return ResidentOut(
        id=r.pk,
        name=r.name,
        id_number=view.id_number,
        phone=view.phone,
        gender=r.gender,
        birth_date=r.birth_date,
        residence_type=r.residence_type,
        status=r.status,
        grid_path=r.grid.path,
        house=str(r.house) if r.house_id else None,
        tags=view.tags,
        revealed=view.revealed,
    )


class ResidentPage(BaseModel):
    items: list[ResidentOut]
    count: int
    count_exact: bool = Field(
        True,
        description="false when a search by one or two characters of a name, or by pinyin, matches more "
        "than 10,000 residents: count is then 10,000 and means 'more than 10,000'",
    )


@router.get("/residents", response=ResidentPage, summary="Residents in scope; ID numbers and phones masked")
def list_residents(request: HttpRequest, filters: Query[ResidentFilter]) -> ResidentPage:
    return resident_page(acting_user(request), filters)


def resident_page(
    user: User,
    filters: ResidentFilter,
    searcher: Callable[[QuerySet[Resident], str], QuerySet[Resident]] = search,
) -> ResidentPage:
    """One page of the resident list as the API returns it. `searcher` is swappable for the benchmarks."""
    start = (filters.page - 1) * PAGE_SIZE
    gram = short_name_query(filters.search or "") if searcher is search else None
    other_filters = filters.tag or filters.residence_type or filters.status
    if gram and not other_filters:
        # One or two characters of a name: the name index gives the page and the count by itself.
        return _search_page(
            user, name_index_page(user, gram, grid=filters.grid or "", start=start, size=PAGE_SIZE)
        )
    if searcher is search and is_pinyin_query(filters.search or "") and not other_filters:
        # Letters: a pinyin or initials prefix, up to a seventh of a street for "zh". Sorting those
        # whole rows by name took 250 of 400 ms; they list like a name search, from two indexes.
        found = pinyin_page(user, filters.search or "", grid=filters.grid or "", start=start, size=PAGE_SIZE)
        return _search_page(user, found)
    qs: QuerySet[Resident] = Resident.objects.visible_to(user)
    if filters.grid:
        qs = qs.filter(subtree_q([filters.grid.strip("/").upper()], "grid__path"))
    if filters.tag:
        tag = Q(tag__name=filters.tag) | Q(tag__code=filters.tag)
        if not user.can(Capability.VIEW_SENSITIVE):
            tag &= Q(tag__sensitive=False)
        # A subquery, not a join: no duplicate rows, so no DISTINCT over the whole match set.
        qs = qs.filter(pk__in=ResidentTag.objects.filter(tag).values("resident_id"))
    if filters.residence_type:
        qs = qs.filter(residence_type=filters.residence_type)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.search:
        qs = searcher(qs, filters.search)
    rows = list_rows(user, qs.order_by("grid__path", "name", "pk")[start : start + PAGE_SIZE])
    return ResidentPage.model_validate({"items": rows, "count": qs.count()})


class PopulationOut(BaseModel):
    path: str
    name: str
    total: int
    by_residence_type: dict[str, int]  # registered / permanent / floating / lodging
    by_tag: dict[str, int]  # tag name → residents; sensitive tags only for roles that may see them


class PopulationCountsOut(BaseModel):
    grids: list[PopulationOut]
    total: PopulationOut


@router.get(
    "/resident-counts",
    response={200: PopulationCountsOut, 404: ErrorOut},
    summary="Residents on the register per grid, by residence type and by tag (live)",
)
def resident_counts(request: HttpRequest, area: str | None = None) -> PopulationCountsOut:
    user = acting_user(request)
    path = area_by_path(area, actor=user).path if area else ""
    rows, total = population_counts(user, area=path)
    return PopulationCountsOut(
        grids=[PopulationOut(**vars(r)) for r in rows], total=PopulationOut(**vars(total))
    )


def _search_page(user: User, found: SearchPage) -> ResidentPage:
    """The page of a search answered from an index: its residents in the order found, as `user` may see them."""
    rows = {r["id"]: r for r in list_rows(user, Resident.objects.visible_to(user).filter(pk__in=found.ids))}
    return ResidentPage.model_validate(
        {
            "items": [rows[i] for i in found.ids if i in rows],
            "count": found.count,
            "count_exact": found.count_exact,
        }
    )


@router.get("/residents/{resident_id}", response={200: ResidentOut, 403: ErrorOut, 404: ErrorOut})
def get_resident(request: HttpRequest, resident_id: Id, reveal: bool = False) -> ResidentOut:
    """One resident. `reveal=true` shows the full ID number and phone to roles allowed to, and is audited."""
    user = acting_user(request)
    qs = with_visible_tags(Resident.objects.visible_to(user).select_related("grid", "house__building"), user)
    resident = get_object_or_404(qs, pk=resident_id)
    return _out(present(resident, user, reveal=reveal))


class ResidentIn(Schema):
    grid: str  # code path of the grid, e.g. S01/C01/G01
    name: str
    id_number: str
    phone: str = ""
    ethnicity: str = ""
    education: str = ""
    political_status: str = ""
    residence_type: ResidenceType = ResidenceType.PERMANENT
    relation_to_head: str = ""
    notes: str = ""
    tags: list[str] = []


class ResidentPatch(Schema):
    grid: str | None = None
    name: str | None = None
    id_number: str | None = None
    phone: str | None = None
    ethnicity: str | None = None
    education: str | None = None
    political_status: str | None = None
    residence_type: ResidenceType | None = None
    relation_to_head: str | None = None
    notes: str | None = None
    tags: list[str] | None = None


def _tags(names: list[str]) -> list[Tag]:
    found = {t.name: t for t in Tag.objects.filter(name__in=names)}
    unknown = [n for n in names if n not in found]
    if unknown:
        raise DomainError(f"未知标签：{'、'.join(unknown)}。", field="tags")
    return [found[n] for n in names]


@router.post("/residents", response={201: ResidentOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut})
def create_resident(request: HttpRequest, payload: ResidentIn) -> Status[ResidentOut]:
    user = acting_user(request)
    data = payload.dict()
    grid = area_by_path(data.pop("grid"), actor=user)
    tags = _tags(data.pop("tags"))
    with transaction.atomic():
        resident = services.resident_create(actor=user, grid=grid, tags=tags, **data)
    return Status(201, _out(present(resident, user)))


@router.patch(
    "/residents/{resident_id}", response={200: ResidentOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut}
)
def update_resident(request: HttpRequest, resident_id: Id, payload: ResidentPatch) -> ResidentOut:
    user = acting_user(request)
    resident = get_object_or_404(Resident.objects.visible_to(user), pk=resident_id)
    data = payload.dict(exclude_unset=True)
    if "grid" in data and not data["grid"]:
        raise DomainError("grid cannot be empty: give the code path of a grid in your scope.", field="grid")
    with transaction.atomic():
        if "grid" in data:
            data["grid"] = area_by_path(data["grid"], actor=user)
        tags = data.pop("tags", None)
        if data:
            services.resident_update(actor=user, resident=resident, **data)
        if tags is not None:
            services.resident_set_tags(actor=user, resident=resident, tags=_tags(tags))
    resident = get_object_or_404(with_visible_tags(Resident.objects.visible_to(user), user), pk=resident_id)
    return _out(present(resident, user))
