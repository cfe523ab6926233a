from datetime import date

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema

from linli.accounts.roles import Capability
from linli.api.schemas import ErrorOut
from linli.core.http import acting_user
from linli.core.scoping import subtree_q
from linli.registry.models import ResidenceType, Resident, ResidentStatus
from linli.registry.selectors import ResidentView, present, search, with_visible_tags

router = Router(tags=["residents"])
PAGE_SIZE = 50


class ResidentOut(Schema):
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
    page: int = Field(1, ge=1)


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


class ResidentPage(Schema):
    items: list[ResidentOut]
    count: int


@router.get("/residents", response=ResidentPage, summary="Residents in scope; ID numbers and phones masked")
def list_residents(request: HttpRequest, filters: Query[ResidentFilter]) -> ResidentPage:
    user = acting_user(request)
    qs: QuerySet[Resident] = Resident.objects.visible_to(user)
    if filters.grid:
        qs = qs.filter(subtree_q([filters.grid.strip("/").upper()], "grid__path"))
    if filters.tag:
        tag = Q(tag_links__tag__name=filters.tag) | Q(tag_links__tag__code=filters.tag)
        if not user.can(Capability.VIEW_SENSITIVE):
            tag &= Q(tag_links__tag__sensitive=False)
        qs = qs.filter(tag)
    if filters.residence_type:
        qs = qs.filter(residence_type=filters.residence_type)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.search:
        qs = search(qs, filters.search)
    qs = qs.distinct()
    start = (filters.page - 1) * PAGE_SIZE
    rows = with_visible_tags(
        qs.select_related("grid", "house__building", "house__entrance").order_by("grid__path", "name", "pk"),
        user,
    )[start : start + PAGE_SIZE]
    return ResidentPage(items=[_out(present(r, user)) for r in rows], count=qs.count())


@router.get("/residents/{resident_id}", response={200: ResidentOut, 403: ErrorOut, 404: ErrorOut})
def get_resident(request: HttpRequest, resident_id: int, reveal: bool = False) -> ResidentOut:
    """One resident. `reveal=true` shows the full ID number and phone to roles allowed to, and is audited."""
    user = acting_user(request)
    qs = with_visible_tags(Resident.objects.visible_to(user).select_related("grid", "house__building"), user)
    resident = get_object_or_404(qs, pk=resident_id)
    return _out(present(resident, user, reveal=reveal))
