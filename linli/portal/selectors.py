"""What the portal shows a resident: always about the resident in front of it (or the relative they act
for), never looked up by an id from the request."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Max, Q

from linli.areas.geometry import contains_point
from linli.areas.models import Area, GridAssignment
from linli.cases.models import Case, CaseEvent, CasePhoto
from linli.core.masking import mask_id, mask_phone
from linli.portal.models import CorrectionRequest, LinkStatus, ProxyLink
from linli.registry.models import Resident, ResidentStatus
from linli.visits.models import Visit

# Moves whose note is written for the resident (as on /track/); other notes stay internal.
PUBLIC_NOTES = frozenset(
    {
        CaseEvent.Action.REJECT,
        CaseEvent.Action.PASS,
        CaseEvent.Action.REWORK,
        CaseEvent.Action.RESIDENT_CONFIRM,
        CaseEvent.Action.RESIDENT_DISPUTE,
    }
)


@dataclass(frozen=True)
class Member:
    name: str
    relation: str
    gender: str
    birth_year: int
    id_number: str  # masked
    phone: str  # masked
    is_me: bool


def household(principal: Resident) -> dict[str, Any]:
    """The principal's household as the registry holds it, numbers masked. Without a household: the
    principal alone."""
    hh = principal.household
    people = (
        list(
            Resident.objects.filter(household=hh, status=ResidentStatus.ACTIVE).order_by(
                "-relation_to_head", "birth_date"
            )
        )
        if hh is not None
        else [principal]
    )
    members = [
        Member(
            name=r.name,
            relation=r.relation_to_head or ("户主" if hh is not None and hh.head_id == r.pk else ""),
            gender=r.get_gender_display(),
            birth_year=r.birth_date.year,
            id_number=mask_id(r.id_number),
            phone=mask_phone(r.phone) if r.phone else "",
            is_me=r.pk == principal.pk,
        )
        for r in people
    ]
    members.sort(key=lambda m: (not m.is_me, m.relation != "户主"))
    house = principal.house
    return {
        "household": hh,
        "address": str(house) if house is not None else "",
        "building_address": house.building.address if house is not None else "",
        "grid": principal.grid.qualified_name,
        "members": members,
        "corrections": CorrectionRequest.objects.filter(resident=principal).order_by("-created_at")[:10],
    }


@dataclass(frozen=True)
class GridWorker:
    name: str
    duty: str
    phone: str  # a work phone: staff phones are not personal data of the resident's
    initial: str


def grid_workers(principal: Resident) -> list[GridWorker]:
    assignments = (
        GridAssignment.objects.current()
        .filter(grid=principal.grid, user__is_active=True)
        .select_related("user")
        .order_by("-duty", "start_date")
    )
    seen: set[int] = set()
    out = []
    for a in assignments:
        if a.user_id in seen:
            continue
        seen.add(a.user_id)
        name = a.user.full_name or "网格员"
        out.append(GridWorker(name=name, duty=a.get_duty_display(), phone=a.user.phone, initial=name[:1]))
    return out


def last_visit(principal: Resident) -> date | None:
    """When the principal (or their household) was last visited; the visit's notes stay with staff."""
    q = Q(resident=principal)
    if principal.household_id:
        q |= Q(household_id=principal.household_id)
    return Visit.objects.filter(q).aggregate(last=Max("visited_on"))["last"]


def case_events(case: Case) -> list[CaseEvent]:
    return list(
        CaseEvent.objects.filter(case=case, public=True)
        .exclude(action=CaseEvent.Action.COMMENT)
        .order_by("at", "id")
    )


def case_photos(case: Case) -> list[CasePhoto]:
    return list(CasePhoto.objects.filter(case=case).order_by("id"))


def links_as_agent(agent: Resident) -> list[ProxyLink]:
    return list(
        ProxyLink.objects.filter(agent=agent)
        .exclude(status=LinkStatus.ENDED)
        .select_related("principal")
        .order_by("-requested_at")
    )


def links_as_principal(principal: Resident) -> list[ProxyLink]:
    return list(
        ProxyLink.objects.filter(principal=principal, status__in=[LinkStatus.REQUESTED, LinkStatus.APPROVED])
        .select_related("agent")
        .order_by("-requested_at")
    )


def open_corrections_count(user: Any) -> int:
    return CorrectionRequest.objects.visible_to(user).filter(status="open").count()


def open_links_count(user: Any) -> int:
    return ProxyLink.objects.visible_to(user).filter(status=LinkStatus.REQUESTED).count()


# --- the map pick when filing a case -----------------------------------------------------------------


def _street_path(resident: Resident) -> str:
    """The resident's street (the grid's path without its community and grid parts)."""
    parts = resident.grid.path.split("/")
    return "/".join(parts[:-2]) if len(parts) > 2 else resident.grid.path


def _drawn_areas(resident: Resident) -> Any:
    return (
        Area.objects.filter(
            path__startswith=_street_path(resident) + "/",
            kind__in=(Area.Kind.COMMUNITY, Area.Kind.GRID),
            boundary__isnull=False,
        )
        .only("pk", "path", "name", "kind", "boundary")
        .order_by("path")
    )


def map_areas(resident: Resident) -> list[dict[str, Any]]:
    """The boundaries of the resident's street's communities and grids, for the map pick to draw."""
    return [{"kind": a.kind, "name": a.name, "boundary": a.boundary} for a in _drawn_areas(resident)]


def community_at(resident: Resident, lat: float, lng: float) -> Area | None:
    """The community of the resident's street whose boundary holds the point (or whose grid does)."""
    for area in _drawn_areas(resident).order_by("-depth", "path"):
        if contains_point(area.boundary, lng, lat):
            if area.kind == Area.Kind.COMMUNITY:
                return area
            return Area.objects.filter(kind=Area.Kind.COMMUNITY, path__in=area.ancestor_paths()).first()
    return None
