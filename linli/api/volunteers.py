"""Volunteers in the JSON API: volunteers, activities and service records.

The same services and selectors as the pages; everything is limited to the caller's data scope.
Identity numbers and phones are masked unless the caller may reveal them (the reveal is audited);
searches by their digits are refused or audited as on the residents' list.
"""

from collections import defaultdict
from datetime import date, datetime
from typing import Annotated, Any

from django.db.models import Sum
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from linli.accounts.models import User
from linli.api.schemas import ErrorOut, Id, PageNumber
from linli.areas.models import Area
from linli.areas.services import area_by_path
from linli.core.errors import DomainError
from linli.core.http import acting_user
from linli.core.masking import mask_id, mask_phone
from linli.registry import services as registry_services
from linli.registry.models import House, Resident
from linli.volunteers import selectors, services
from linli.volunteers.models import (
    Activity,
    RecordStatus,
    ServiceRecord,
    SignMethod,
    Skill,
    Team,
    Volunteer,
    VolunteerKind,
    VolunteerStatus,
)

router = Router(tags=["volunteers"])
PAGE_SIZE = 50
ERRORS: dict[int, Any] = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 429: ErrorOut}
Capacity = Annotated[int, Field(ge=1, le=10000)]
Percent = Annotated[int, Field(ge=1, le=100)]


def _page(items: Any, page: int) -> Any:
    start = (page - 1) * PAGE_SIZE
    return items[start : start + PAGE_SIZE]


def _skills(codes: list[str]) -> list[Skill]:
    found = list(Skill.objects.filter(code__in=codes))
    if len(found) != len(set(codes)):
        known = {s.code for s in found}
        raise DomainError(f"Unknown skill: {', '.join(sorted(set(codes) - known))[:100]}", field="skills")
    return found


def _community(user: User, path: str) -> Area:
    area = area_by_path(path, actor=user)
    if area.kind != Area.Kind.COMMUNITY:
        raise DomainError(
            "'community' must be the code path of a community, e.g. S01/C01.", field="community"
        )
    return area


def _grid(user: User, path: str | None) -> Area | None:
    return area_by_path(path, actor=user) if path else None


# --- volunteers ----------------------------------------------------------------------------------


class VolunteerOut(Schema):
    id: int
    name: str
    id_number: str  # masked unless revealed
    phone: str  # masked unless revealed
    community: str  # code path
    grid: str | None
    kind: str
    unit_name: str
    status: str
    skills: list[str]
    preferences: str
    availability: list[str]
    photo_consent: bool
    resident_id: int | None
    confirmed_minutes: int
    stars: int


def _volunteer_out(v: Volunteer, *, reveal: bool = False) -> dict[str, Any]:
    minutes, _ = services.confirmed_minutes(v)
    return {
        "id": v.pk,
        "name": v.name,
        "id_number": v.id_number if reveal else mask_id(v.id_number),
        "phone": v.phone if reveal else mask_phone(v.phone),
        "community": v.community.path,
        "grid": v.grid.path if v.grid_id and v.grid else None,
        "kind": v.kind,
        "unit_name": v.unit_name,
        "status": v.status,
        "skills": [s.code for s in v.skills.all()],
        "preferences": v.preferences,
        "availability": list(v.availability),
        "photo_consent": v.photo_consent,
        "resident_id": v.resident_id,
        "confirmed_minutes": minutes,
        "stars": services.star_level(minutes),
    }


def _volunteers(user: User) -> Any:
    return Volunteer.objects.visible_to(user).select_related("community", "grid").prefetch_related("skills")


class VolunteerFilter(Schema):
    q: str = ""  # name, pinyin, initials, last 4 of ID or phone, a whole phone number
    status: str | None = None
    community: str | None = None  # code path
    page: PageNumber = 1


class VolunteerPage(Schema):
    items: list[VolunteerOut]
    count: int


@router.get("/volunteers", response={200: VolunteerPage, **ERRORS}, summary="Volunteers in scope, searched")
def list_volunteers(request: HttpRequest, filters: Query[VolunteerFilter]) -> dict[str, Any]:
    user = acting_user(request)
    registry_services.resident_search_digits(actor=user, query=filters.q)
    qs = selectors.search(selectors.in_scope(user), filters.q, any_suffix=selectors.may_reveal(user))
    if filters.status:
        if filters.status not in VolunteerStatus.values:
            raise DomainError(f"'status' must be one of {', '.join(VolunteerStatus.values)}.", field="status")
        qs = qs.filter(status=filters.status)
    if filters.community:
        qs = qs.filter(community=_community(user, filters.community))
    qs = qs.order_by("name_pinyin", "pk")
    items = _rows(_page(qs, filters.page))
    # A first page that is not full holds every match: no second query to count them.
    count = len(items) if filters.page == 1 and len(items) < PAGE_SIZE else qs.count()
    return {"items": items, "count": count}


ROW_FIELDS = (
    "pk",
    "name",
    "id_number",
    "phone",
    "community_id",
    "grid_id",
    "kind",
    "unit_name",
    "status",
    "preferences",
    "availability",
    "photo_consent",
    "resident_id",
)


def _rows(page: Any) -> list[dict[str, Any]]:
    """A page as plain dicts (docs/architecture.md: list rows are never model instances): the volunteers'
    columns, their skills, area paths and confirmed minutes each in one query."""
    rows = [dict(zip(ROW_FIELDS, values, strict=True)) for values in page.values_list(*ROW_FIELDS)]
    ids = [r["pk"] for r in rows]
    skills: dict[int, list[str]] = defaultdict(list)
    for vid, code in Volunteer.skills.through.objects.filter(volunteer_id__in=ids).values_list(
        "volunteer_id", "skill__code"
    ):
        skills[vid].append(code)
    paths = dict(
        Area.objects.filter(
            pk__in={r["community_id"] for r in rows} | {r["grid_id"] for r in rows if r["grid_id"]}
        ).values_list("pk", "path")
    )
    # Confirmed minutes kept by each volunteer's own community, as proofs count them.
    minutes: dict[tuple[int, int], int] = defaultdict(int)
    for vid, community, m in (
        ServiceRecord.objects.filter(volunteer_id__in=ids, status=RecordStatus.CONFIRMED)
        .values("volunteer_id", "community_id")
        .annotate(m=Sum("minutes"))
        .values_list("volunteer_id", "community_id", "m")
        .order_by()
    ):
        minutes[(vid, community)] += int(m or 0)
    out = []
    for r in rows:
        m = minutes.get((r["pk"], r["community_id"]), 0)
        out.append(
            {
                "id": r["pk"],
                "name": r["name"],
                "id_number": mask_id(r["id_number"]),
                "phone": mask_phone(r["phone"]),
                "community": paths.get(r["community_id"], ""),
                "grid": paths.get(r["grid_id"]) if r["grid_id"] else None,
                "kind": r["kind"],
                "unit_name": r["unit_name"],
                "status": r["status"],
                "skills": skills.get(r["pk"], []),
                "preferences": r["preferences"],
                "availability": list(r["availability"] or []),
                "photo_consent": r["photo_consent"],
                "resident_id": r["resident_id"],
                "confirmed_minutes": m,
                "stars": services.star_level(m),
            }
        )
    return out


class VolunteerIn(Schema):
    community: str  # code path of the community that keeps the record
    name: str
    id_number: str
    phone: str
    kind: str = VolunteerKind.RESIDENT  # resident | unit | party_member | other
    unit_name: str = ""
    grid: str | None = None
    skills: list[str] = []  # skill codes
    preferences: str = ""
    availability: list[str] = []  # mon_am … sun_eve
    photo_consent: bool = False
    notes: str = ""


@router.post("/volunteers", response={201: VolunteerOut, **ERRORS}, summary="Register a volunteer")
def create_volunteer(request: HttpRequest, payload: VolunteerIn) -> Status[dict[str, Any]]:
    user = acting_user(request)
    v = services.volunteer_register(
        actor=user,
        community=_community(user, payload.community),
        name=payload.name,
        id_number=payload.id_number,
        phone=payload.phone,
        kind=payload.kind,
        unit_name=payload.unit_name,
        grid=_grid(user, payload.grid),
        skills=_skills(payload.skills),
        preferences=payload.preferences,
        availability=payload.availability,
        photo_consent=payload.photo_consent,
        notes=payload.notes,
    )
    return Status(201, _volunteer_out(_volunteers(user).get(pk=v.pk)))


@router.get("/volunteers/{volunteer_id}", response={200: VolunteerOut, **ERRORS}, summary="One volunteer")
def get_volunteer(request: HttpRequest, volunteer_id: Id, reveal: bool = False) -> dict[str, Any]:
    user = acting_user(request)
    v = get_object_or_404(_volunteers(user), pk=volunteer_id)
    if reveal:
        services.volunteer_reveal(actor=user, volunteer=v)
    return _volunteer_out(v, reveal=reveal)


class VolunteerPatch(Schema):
    name: str | None = None
    id_number: str | None = None
    phone: str | None = None
    kind: str | None = None
    unit_name: str | None = None
    grid: str | None = None
    skills: list[str] | None = None
    preferences: str | None = None
    availability: list[str] | None = None
    photo_consent: bool | None = None
    notes: str | None = None


@router.patch(
    "/volunteers/{volunteer_id}", response={200: VolunteerOut, **ERRORS}, summary="Change a volunteer"
)
def update_volunteer(request: HttpRequest, volunteer_id: Id, payload: VolunteerPatch) -> dict[str, Any]:
    user = acting_user(request)
    v = get_object_or_404(_volunteers(user), pk=volunteer_id)
    fields = payload.dict(exclude_unset=True)
    fields = {k: val for k, val in fields.items() if val is not None or k == "grid"}
    if "grid" in fields:
        fields["grid"] = _grid(user, fields["grid"])
    if "skills" in fields:
        fields["skills"] = _skills(fields["skills"])
    services.volunteer_update(actor=user, volunteer=v, **fields)
    return _volunteer_out(_volunteers(user).get(pk=v.pk))


class StatusIn(Schema):
    status: str  # active | suspended | left
    note: str = ""


@router.post(
    "/volunteers/{volunteer_id}/status",
    response={200: VolunteerOut, **ERRORS},
    summary="Approve, suspend, reinstate or record leaving",
)
def set_volunteer_status(request: HttpRequest, volunteer_id: Id, payload: StatusIn) -> dict[str, Any]:
    user = acting_user(request)
    v = get_object_or_404(_volunteers(user), pk=volunteer_id)
    services.volunteer_set_status(actor=user, volunteer=v, status=payload.status, note=payload.note)
    return _volunteer_out(_volunteers(user).get(pk=v.pk))


# --- activities ----------------------------------------------------------------------------------


class ActivityOut(Schema):
    id: int
    community: str
    team_id: int | None
    team: str
    title: str
    description: str
    place: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    taken: int
    skills: list[str]
    target_note: str
    target_resident_ids: list[int]  # the residents it serves (names: GET /api/v1/residents/{id})
    target_house_ids: list[int]
    leader: str
    min_attendance_percent: int
    status: str


def _activity_out(a: Activity) -> dict[str, Any]:
    return {
        "id": a.pk,
        "community": a.community.path,
        "team_id": a.team_id,
        "team": a.team.name if a.team_id and a.team else "",
        "title": a.title,
        "description": a.description,
        "place": a.place,
        "starts_at": a.starts_at,
        "ends_at": a.ends_at,
        "capacity": a.capacity,
        "taken": a.records.filter(status__in=("booked", "signed_in", "signed_out", "confirmed")).count(),
        "skills": [s.code for s in a.skills.all()],
        "target_note": a.target_note,
        "target_resident_ids": sorted(r.pk for r in a.target_residents.all()),
        "target_house_ids": sorted(h.pk for h in a.target_houses.all()),
        "leader": a.leader.display_name if a.leader_id and a.leader else "",
        "min_attendance_percent": a.min_attendance_percent,
        "status": a.status,
    }


def _activities(user: User) -> Any:
    return (
        Activity.objects.visible_to(user)
        .select_related("community", "team", "leader")
        .prefetch_related("skills", "target_residents", "target_houses")
    )


class ActivityFilter(Schema):
    start: date | None = None  # activities starting on or after (default: today)
    end: date | None = None  # starting on or before
    team_id: Id | None = None
    status: str | None = None
    page: PageNumber = 1


class ActivityPage(Schema):
    items: list[ActivityOut]
    count: int


@router.get(
    "/volunteer-activities", response={200: ActivityPage, **ERRORS}, summary="Volunteer activities in scope"
)
def list_activities(request: HttpRequest, filters: Query[ActivityFilter]) -> dict[str, Any]:
    user = acting_user(request)
    qs = _activities(user).filter(starts_at__date__gte=filters.start or timezone.localdate())
    if filters.end:
        qs = qs.filter(starts_at__date__lte=filters.end)
    if filters.team_id:
        qs = qs.filter(team_id=filters.team_id)
    if filters.status:
        qs = qs.filter(status=filters.status)
    qs = qs.order_by("starts_at", "pk")
    return {"items": [_activity_out(a) for a in _page(qs, filters.page)], "count": qs.count()}


class ActivityIn(Schema):
    community: str
    title: str
    place: str
    starts_at: datetime
    ends_at: datetime
    capacity: Capacity
    team_id: Id | None = None
    grid: str | None = None
    description: str = ""
    skills: list[str] = []
    target_note: str = ""
    target_resident_ids: list[Id] = []  # residents of the community in the caller's scope
    target_house_ids: list[Id] = []
    min_attendance_percent: Percent | None = None


def _chosen(qs: Any, ids: list[int], field: str) -> list[Any]:
    """The targets named by id, read through the caller's scope; an id it cannot see is refused as unknown."""
    found = list(qs.filter(pk__in=ids))
    if missing := sorted(set(ids) - {x.pk for x in found}):
        raise DomainError(f"Unknown or out of scope: {', '.join(map(str, missing[:10]))}.", field=field)
    return found


def _aware(value: datetime) -> datetime:
    return timezone.make_aware(value) if timezone.is_naive(value) else value


@router.post(
    "/volunteer-activities", response={201: ActivityOut, **ERRORS}, summary="Publish a volunteer activity"
)
def create_activity(request: HttpRequest, payload: ActivityIn) -> Status[dict[str, Any]]:
    user = acting_user(request)
    team = get_object_or_404(Team.objects.visible_to(user), pk=payload.team_id) if payload.team_id else None
    a = services.activity_create(
        actor=user,
        community=_community(user, payload.community),
        team=team,
        grid=_grid(user, payload.grid),
        title=payload.title,
        place=payload.place,
        starts_at=_aware(payload.starts_at),
        ends_at=_aware(payload.ends_at),
        capacity=payload.capacity,
        description=payload.description,
        skills=_skills(payload.skills),
        target_note=payload.target_note,
        target_residents=_chosen(
            Resident.objects.visible_to(user).select_related("grid"),
            payload.target_resident_ids,
            "target_resident_ids",
        ),
        target_houses=_chosen(
            House.objects.visible_to(user).select_related("building__grid"),
            payload.target_house_ids,
            "target_house_ids",
        ),
        min_attendance_percent=payload.min_attendance_percent,
    )
    return Status(201, _activity_out(_activities(user).get(pk=a.pk)))


@router.get(
    "/volunteer-activities/{activity_id}", response={200: ActivityOut, **ERRORS}, summary="One activity"
)
def get_activity(request: HttpRequest, activity_id: Id) -> dict[str, Any]:
    return _activity_out(get_object_or_404(_activities(acting_user(request)), pk=activity_id))


class ReasonIn(Schema):
    reason: str


@router.post(
    "/volunteer-activities/{activity_id}/cancel",
    response={200: ActivityOut, **ERRORS},
    summary="Call the activity off (its bookings are cancelled)",
)
def cancel_activity(request: HttpRequest, activity_id: Id, payload: ReasonIn) -> dict[str, Any]:
    user = acting_user(request)
    a = get_object_or_404(_activities(user), pk=activity_id)
    services.activity_cancel(actor=user, activity=a, reason=payload.reason)
    return _activity_out(_activities(user).get(pk=a.pk))


class ConfirmIn(Schema):
    record_ids: list[Id] | None = None  # default: every record of the activity


class ConfirmOut(Schema):
    confirmed: list[int]


@router.post(
    "/volunteer-activities/{activity_id}/confirm",
    response={200: ConfirmOut, **ERRORS},
    summary="Confirm the activity's service records after the event (bulk)",
)
def confirm(request: HttpRequest, activity_id: Id, payload: ConfirmIn) -> dict[str, Any]:
    user = acting_user(request)
    a = get_object_or_404(_activities(user), pk=activity_id)
    records = list(a.records.filter(pk__in=payload.record_ids)) if payload.record_ids is not None else None
    done = services.records_confirm(actor=user, activity=a, records=records)
    return {"confirmed": [r.pk for r in done]}


# --- service records -----------------------------------------------------------------------------


class RecordOut(Schema):
    id: int
    volunteer_id: int
    volunteer: str
    activity_id: int
    activity: str
    day: date
    status: str
    signed_in_at: datetime | None
    sign_in_method: str
    signed_out_at: datetime | None
    sign_out_method: str
    auto_closed: bool
    corrected: bool
    minutes: int
    confirmed_at: datetime | None


def _record_out(r: ServiceRecord) -> dict[str, Any]:
    return {
        "id": r.pk,
        "volunteer_id": r.volunteer_id,
        "volunteer": r.volunteer.name,
        "activity_id": r.activity_id,
        "activity": r.activity.title,
        "day": r.day,
        "status": r.status,
        "signed_in_at": r.signed_in_at,
        "sign_in_method": r.sign_in_method,
        "signed_out_at": r.signed_out_at,
        "sign_out_method": r.sign_out_method,
        "auto_closed": r.auto_closed,
        "corrected": r.corrected,
        "minutes": r.minutes,
        "confirmed_at": r.confirmed_at,
    }


def _records(user: User) -> Any:
    return ServiceRecord.objects.visible_to(user).select_related(
        "volunteer", "activity__community", "activity__team"
    )


class RecordFilter(Schema):
    volunteer_id: Id | None = None
    activity_id: Id | None = None
    status: str | None = None
    start: date | None = None
    end: date | None = None
    page: PageNumber = 1


class RecordPage(Schema):
    items: list[RecordOut]
    count: int


@router.get("/service-records", response={200: RecordPage, **ERRORS}, summary="Service records in scope")
def list_records(request: HttpRequest, filters: Query[RecordFilter]) -> dict[str, Any]:
    user = acting_user(request)
    qs = _records(user)
    if filters.volunteer_id:
        qs = qs.filter(volunteer_id=filters.volunteer_id)
    if filters.activity_id:
        qs = qs.filter(activity_id=filters.activity_id)
    if filters.status:
        if filters.status not in RecordStatus.values:
            raise DomainError(f"'status' must be one of {', '.join(RecordStatus.values)}.", field="status")
        qs = qs.filter(status=filters.status)
    if filters.start:
        qs = qs.filter(day__gte=filters.start)
    if filters.end:
        qs = qs.filter(day__lte=filters.end)
    qs = qs.order_by("-day", "-pk")
    return {"items": [_record_out(r) for r in _page(qs, filters.page)], "count": qs.count()}


@router.get("/service-records/{record_id}", response={200: RecordOut, **ERRORS}, summary="One service record")
def get_record(request: HttpRequest, record_id: Id) -> dict[str, Any]:
    return _record_out(get_object_or_404(_records(acting_user(request)), pk=record_id))


class SignIn(Schema):
    action: str  # in | out (the leader's roll call)


@router.post(
    "/service-records/{record_id}/roll-call",
    response={200: RecordOut, **ERRORS},
    summary="Roll call: the activity's leader signs a volunteer in or out",
)
def roll_call(request: HttpRequest, record_id: Id, payload: SignIn) -> dict[str, Any]:
    user = acting_user(request)
    r = get_object_or_404(_records(user), pk=record_id)
    if payload.action == "in":
        services.record_sign_in(actor=user, record=r, method=SignMethod.ROLL_CALL)
    elif payload.action == "out":
        services.record_sign_out(actor=user, record=r, method=SignMethod.ROLL_CALL)
    else:
        raise DomainError("'action' must be 'in' or 'out'.", field="action")
    return _record_out(_records(user).get(pk=r.pk))


class CorrectIn(Schema):
    signed_in_at: datetime
    signed_out_at: datetime
    reason: str


@router.post(
    "/service-records/{record_id}/correct",
    response={200: RecordOut, **ERRORS},
    summary="Correct a record's times inside the slot, with a reason (kept in its history)",
)
def correct(request: HttpRequest, record_id: Id, payload: CorrectIn) -> dict[str, Any]:
    user = acting_user(request)
    r = get_object_or_404(_records(user), pk=record_id)
    services.record_correct(
        actor=user,
        record=r,
        signed_in_at=_aware(payload.signed_in_at),
        signed_out_at=_aware(payload.signed_out_at),
        reason=payload.reason,
    )
    return _record_out(_records(user).get(pk=r.pk))


class AssignIn(Schema):
    volunteer_id: Id


@router.post(
    "/volunteer-activities/{activity_id}/assign",
    response={201: RecordOut, **ERRORS},
    summary="Place a volunteer in the activity (capacity and overlapping bookings checked)",
)
def assign(request: HttpRequest, activity_id: Id, payload: AssignIn) -> Status[dict[str, Any]]:
    user = acting_user(request)
    a = get_object_or_404(_activities(user), pk=activity_id)
    v = get_object_or_404(Volunteer.objects.visible_to(user), pk=payload.volunteer_id)
    record = services.activity_assign(actor=user, activity=a, volunteer=v)
    return Status(201, _record_out(_records(user).get(pk=record.pk)))
