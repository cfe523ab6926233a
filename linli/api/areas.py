from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import PageNumberPagination, paginate

from linli.api.schemas import AreaCreateIn, AreaOut, AreaUpdateIn, AssignmentOut, ErrorOut, Id, PageNumber
from linli.areas import services
from linli.areas.models import Area, AreaKind, GridAssignment
from linli.core.http import acting_user
from linli.core.scoping import subtree_q

router = Router(tags=["areas"])


class AreaPages(PageNumberPagination):
    """ninja's page numbers, bounded like every other list's (see schemas.PageNumber)."""

    class Input(Schema):
        page: PageNumber = 1
        page_size: int | None = Field(None, ge=1, le=1000)


class AreaFilter(Schema):
    kind: AreaKind | None = None
    parent_id: Id | None = None
    under: str | None = None  # a code path; the area and its subtree
    q: str | None = None  # code or name contains


@router.get("/areas", response=list[AreaOut], summary="Areas in the caller's data scope")
@paginate(AreaPages, page_size=100)
def list_areas(request: HttpRequest, filters: Query[AreaFilter]) -> QuerySet[Area]:
    qs = Area.objects.visible_to(acting_user(request))
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.parent_id is not None:
        qs = qs.filter(parent_id=filters.parent_id)
    if filters.under:
        qs = qs.filter(subtree_q([filters.under.strip("/").upper()]))
    if filters.q:
        qs = qs.filter(name__icontains=filters.q) | qs.filter(code__iexact=filters.q)
    return qs.order_by("path")


@router.get("/areas/{area_id}", response={200: AreaOut, 404: ErrorOut})
def get_area(request: HttpRequest, area_id: Id) -> Area:
    return get_object_or_404(Area.objects.visible_to(acting_user(request)), pk=area_id)


@router.post("/areas", response={201: AreaOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut})
def create_area(request: HttpRequest, payload: AreaCreateIn) -> Status[Area]:
    actor = acting_user(request)
    parent = get_object_or_404(Area.objects.visible_to(actor), pk=payload.parent_id)
    data = payload.dict(exclude={"parent_id"})
    return Status(201, services.area_create(actor=actor, parent=parent, **data))


@router.patch("/areas/{area_id}", response={200: AreaOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut})
def update_area(request: HttpRequest, area_id: Id, payload: AreaUpdateIn) -> Area:
    actor = acting_user(request)
    area = get_object_or_404(Area.objects.visible_to(actor), pk=area_id)
    return services.area_update(actor=actor, area=area, **payload.dict(exclude_unset=True))


@router.get("/areas/{area_id}/assignments", response={200: list[AssignmentOut], 404: ErrorOut})
def area_assignments(request: HttpRequest, area_id: Id) -> QuerySet[GridAssignment]:
    actor = acting_user(request)
    area = get_object_or_404(Area.objects.visible_to(actor), pk=area_id)
    return (
        GridAssignment.objects.visible_to(actor)
        .filter(subtree_q([area.path], "grid__path"))
        .current()
        .select_related("grid", "user")
    )
