from collections.abc import Callable
from datetime import date

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
from linli.registry.models import (
    House,
    Household,
    HouseUse,
    ResidenceType,
    Resident,
    ResidentStatus,
    ResidentTag,
    Tag,
)
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


@router.get(
    "/residents",
    response={200: ResidentPage, 400: ErrorOut, 429: ErrorOut},
    summary="Residents in scope; ID numbers and phones masked",
    description="`search` takes a name, pinyin or initials, a place (8-2-1401) or digits. Without the "
    "reveal capability, digits match the last 4 of an identity number or phone (what the masked view "
    "shows) or a complete number exactly; longer endings answer 400. Every search by digits is audited "
    "and counts towards LINLI_DIGIT_SEARCHES_PER_HOUR per user (then 429).",
)
def list_residents(request: HttpRequest, filters: Query[ResidentFilter]) -> ResidentPage:
    return resident_page(acting_user(request), filters)


def resident_page(
    user: User,
    filters: ResidentFilter,
    searcher: Callable[..., QuerySet[Resident]] = search,
) -> ResidentPage:
    """One page of the resident list as the API returns it. `searcher` is swappable for the benchmarks.

    A search by identity or phone digits is checked, audited and counted first (services.resident_search_digits).
    """
    if filters.search:
        services.resident_search_digits(actor=user, query=filters.search)
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
        tag &= ~Tag.hidden_q(user, "tag__")
        # A subquery, not a join: no duplicate rows, so no DISTINCT over the whole match set.
        qs = qs.filter(pk__in=ResidentTag.objects.filter(tag).values("resident_id"))
    if filters.residence_type:
        qs = qs.filter(residence_type=filters.residence_type)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.search:
        qs = searcher(qs, filters.search, any_suffix=user.can(Capability.REVEAL_PERSONAL))
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


class NewHouseIn(Schema):
    building: str  # building number, e.g. "8"
    room: str  # room number, e.g. "1401"
    entrance: str = ""  # unit (单元), if the building has units
    use: HouseUse = HouseUse.OWNER_OCCUPIED


class ResidentIn(Schema):
    grid: str  # code path of the grid, e.g. S01/C01/G01
    name: str
    id_number: str
    phone: str = ""
    ethnicity: str = ""
    education: str = ""
    political_status: str = ""
    residence_type: ResidenceType = ResidenceType.PERMANENT
    house_id: Id | None = None
    new_house: NewHouseIn | None = Field(
        None, description="a house to create in the grid (instead of house_id)"
    )
    household_id: Id | None = None
    new_household: bool = Field(False, description="open a new household in the house, the resident its head")
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


def _place(
    user: User,
    house_id: int | None,
    new_house: NewHouseIn | None,
    household_id: int | None,
    new_household: bool,
) -> tuple[House | services.NewHouse | None, Household | str | None]:
    """The house and household a payload names, looked up in the caller's scope (else 404)."""
    if house_id is not None and new_house is not None:
        raise DomainError("Give house_id or new_house, not both.", field="house")
    if household_id is not None and new_household:
        raise DomainError("Give household_id or new_household, not both.", field="household")
    house: House | services.NewHouse | None = None
    if new_house is not None:
        house = services.NewHouse(**new_house.dict())
    elif house_id is not None:
        house = get_object_or_404(
            House.objects.visible_to(user).select_related("building__grid"), pk=house_id
        )
    household: Household | str | None = services.NEW_HOUSEHOLD if new_household else None
    if household_id is not None:
        household = get_object_or_404(Household.objects.visible_to(user), pk=household_id)
    return house, household


def _fresh(user: User, resident_id: int) -> ResidentOut:
    qs = with_visible_tags(Resident.objects.visible_to(user).select_related("grid", "house__building"), user)
    return _out(present(get_object_or_404(qs, pk=resident_id), user))


def _in_scope(user: User, resident_id: int) -> Resident:
    return get_object_or_404(Resident.objects.visible_to(user).select_related("grid"), pk=resident_id)


WRITE_ERRORS = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut}


@router.post("/residents", response={201: ResidentOut, **WRITE_ERRORS})
def create_resident(request: HttpRequest, payload: ResidentIn) -> Status[ResidentOut]:
    """Register a resident, in a house and household (new ones created on the way). An ID number
    registered elsewhere is refused; if elsewhere is outside the caller's scope, the answer does not
    say where, and the supervisors over both places are told."""
    user = acting_user(request)
    data = payload.dict()
    grid = area_by_path(data.pop("grid"), actor=user)
    tags = _tags(data.pop("tags"))
    house, household = _place(
        user,
        data.pop("house_id"),
        payload.new_house,
        data.pop("household_id"),
        data.pop("new_household"),
    )
    data.pop("new_house")
    # Not in a transaction of ours: the service is all-or-nothing itself, and a refusal's report to
    # the supervisors must outlive the refusal.
    resident = services.resident_create(
        actor=user, grid=grid, tags=tags, house=house, household=household, **data
    )
    return Status(201, _fresh(user, resident.pk))


@router.patch("/residents/{resident_id}", response={200: ResidentOut, **WRITE_ERRORS})
def update_resident(request: HttpRequest, resident_id: Id, payload: ResidentPatch) -> ResidentOut:
    user = acting_user(request)
    resident = _in_scope(user, resident_id)
    data = payload.dict(exclude_unset=True)
    if "grid" in data:
        if data["grid"] is None:
            raise DomainError("grid cannot be null.", field="grid")
        data["grid"] = area_by_path(data["grid"], actor=user)
    tags = data.pop("tags", None)
    services.resident_update(
        actor=user, resident=resident, tags=None if tags is None else _tags(tags), **data
    )
    return _fresh(user, resident_id)


class MoveIn(Schema):
    grid: str  # code path of the destination grid (same street)
    house_id: Id | None = None
    new_house: NewHouseIn | None = None
    household_id: Id | None = None
    new_household: bool = False
    relation_to_head: str | None = None
    effective_date: date | None = None
    note: str = ""


@router.post("/residents/{resident_id}/move", response={200: ResidentOut, **WRITE_ERRORS})
def move_resident(request: HttpRequest, resident_id: Id, payload: MoveIn) -> ResidentOut:
    """迁居: move within the street to another house (created on the way with new_house)."""
    user = acting_user(request)
    resident = _in_scope(user, resident_id)
    grid = area_by_path(payload.grid, actor=user)
    house, household = _place(
        user, payload.house_id, payload.new_house, payload.household_id, payload.new_household
    )
    if house is None:
        raise DomainError("house_id or new_house is required.", field="house")
    services.resident_move(
        actor=user,
        resident=resident,
        grid=grid,
        house=house,
        household=household,
        relation_to_head=payload.relation_to_head,
        effective_date=payload.effective_date,
        note=payload.note,
    )
    return _fresh(user, resident_id)


class MoveOutIn(Schema):
    effective_date: date
    destination: str = ""
    note: str = ""


@router.post("/residents/{resident_id}/move-out", response={200: ResidentOut, **WRITE_ERRORS})
def move_out_resident(request: HttpRequest, resident_id: Id, payload: MoveOutIn) -> ResidentOut:
    """迁出: leaves the active list; the record and its history stay (filter status=moved_out)."""
    user = acting_user(request)
    services.resident_move_out(actor=user, resident=_in_scope(user, resident_id), **payload.dict())
    return _fresh(user, resident_id)


class DeathIn(Schema):
    date_of_death: date
    note: str = ""


@router.post("/residents/{resident_id}/death", response={200: ResidentOut, **WRITE_ERRORS})
def record_death(request: HttpRequest, resident_id: Id, payload: DeathIn) -> ResidentOut:
    """登记死亡: final; the record and its history stay (filter status=deceased)."""
    user = acting_user(request)
    services.resident_record_death(actor=user, resident=_in_scope(user, resident_id), **payload.dict())
    return _fresh(user, resident_id)


class MergeIn(Schema):
    duplicate_id: Id
    note: str = ""


class MergeOut(Schema):
    survivor: ResidentOut
    moved: dict[str, int]


@router.post("/residents/{resident_id}/merge", response={200: MergeOut, **WRITE_ERRORS})
def merge_resident(request: HttpRequest, resident_id: Id, payload: MergeIn) -> MergeOut:
    """Fold `duplicate_id` into this resident (not reversible). Needs reveal_personal."""
    user = acting_user(request)
    survivor = _in_scope(user, resident_id)
    duplicate = _in_scope(user, payload.duplicate_id)
    moved = services.resident_merge(actor=user, survivor=survivor, duplicate=duplicate, note=payload.note)
    return MergeOut(survivor=_fresh(user, resident_id), moved=moved)


class TagIn(Schema):
    tag: str  # tag name or code


def _tag(user: User, name: str) -> Tag:
    tag = Tag.objects.filter(Q(name=name) | Q(code=name)).first()
    if tag is None or tag.hidden_from(user):
        raise DomainError(f"未知标签：{name}。", field="tag")
    return tag


@router.post("/residents/{resident_id}/tags", response={200: ResidentOut, **WRITE_ERRORS})
def add_tag(request: HttpRequest, resident_id: Id, payload: TagIn) -> ResidentOut:
    user = acting_user(request)
    services.resident_tag_add(actor=user, resident=_in_scope(user, resident_id), tag=_tag(user, payload.tag))
    return _fresh(user, resident_id)


@router.delete("/residents/{resident_id}/tags/{tag}", response={200: ResidentOut, **WRITE_ERRORS})
def remove_tag(request: HttpRequest, resident_id: Id, tag: str) -> ResidentOut:
    user = acting_user(request)
    services.resident_tag_remove(actor=user, resident=_in_scope(user, resident_id), tag=_tag(user, tag))
    return _fresh(user, resident_id)
