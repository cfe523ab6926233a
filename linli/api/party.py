"""Party-building work in the JSON API: organisations, members, the pipeline, meetings and their
attendance, the compliance calendar and points. Only callers with the `party` capability reach any of
it (the module's access section); everything is limited to their data scope and written by the same
services as the pages."""

from datetime import date
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Query, Router, Schema, Status

from linli.api.schemas import ErrorOut, Id, PageNumber
from linli.areas.models import Area
from linli.core.errors import DomainError
from linli.core.http import acting_user
from linli.party import selectors, services
from linli.party.models import (
    Applicant,
    Meeting,
    MemberCard,
    MinutesStatus,
    PartyMember,
    PartyOrganisation,
    PointRule,
)
from linli.registry.models import Resident

router = Router(tags=["party"])
PAGE_SIZE = 50
ERRORS: dict[int, Any] = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut}


def _org(user: Any, pk: int) -> PartyOrganisation:
    return get_object_or_404(
        PartyOrganisation.objects.visible_to(user).select_related("area", "parent"), pk=pk
    )


# --- organisations -----------------------------------------------------------------------------


class OrganisationOut(Schema):
    id: int
    name: str
    kind: str
    kind_label: str
    parent_id: int | None
    area_path: str
    joint: bool
    joint_area_paths: list[str]
    partner_units: str
    founded_on: date | None
    dissolved_on: date | None
    secretary: str


def _org_out(o: PartyOrganisation) -> dict[str, Any]:
    secretary = next((p for p in o.positions.all() if p.role == "secretary" and p.end_date is None), None)
    return {
        "id": o.pk,
        "name": o.name,
        "kind": o.kind,
        "kind_label": o.get_kind_display(),
        "parent_id": o.parent_id,
        "area_path": o.area.path,
        "joint": o.joint,
        "joint_area_paths": [a.path for a in o.joint_areas.all()],
        "partner_units": o.partner_units,
        "founded_on": o.founded_on,
        "dissolved_on": o.dissolved_on,
        "secretary": secretary.member.name if secretary else "",
    }


@router.get(
    "/party-organisations",
    response={200: list[OrganisationOut], **ERRORS},
    summary="Party organisations in scope",
)
def list_organisations(request: HttpRequest) -> list[dict[str, Any]]:
    user = acting_user(request)
    qs = (
        PartyOrganisation.objects.visible_to(user)
        .select_related("area")
        .prefetch_related("joint_areas", "positions__member")
        .order_by("area__path", "name")
    )
    return [_org_out(o) for o in qs[:500]]


class OrganisationIn(Schema):
    name: str
    kind: str  # committee | general_branch | branch | group
    area_path: str  # the community (or street) it belongs to
    parent_id: Id | None = None
    joint_area_paths: list[str] = []
    partner_units: str = ""
    founded_on: date | None = None


def _area(user: Any, path: str) -> Area:
    return get_object_or_404(Area.objects.visible_to(user), path=str(path)[:200])


@router.post(
    "/party-organisations", response={201: OrganisationOut, **ERRORS}, summary="Set up an organisation"
)
def create_organisation(request: HttpRequest, payload: OrganisationIn) -> Status[dict[str, Any]]:
    user = acting_user(request)
    org = services.organisation_create(
        actor=user,
        name=payload.name,
        kind=payload.kind,
        area=_area(user, payload.area_path),
        parent=_org(user, payload.parent_id) if payload.parent_id else None,
        joint_areas=[_area(user, p) for p in payload.joint_area_paths[:20]],
        partner_units=payload.partner_units,
        founded_on=payload.founded_on,
    )
    return Status(201, _org_out(org))


# --- members -----------------------------------------------------------------------------------


class MemberOut(Schema):
    id: int
    name: str
    organisation_id: int
    organisation: str
    kind: str
    kind_label: str
    status: str
    status_label: str
    joined_on: date
    probation_end: date | None
    work_unit: str
    reported_on: date | None
    hardship: bool
    resident_id: int | None
    ended_on: date | None


def _member_out(m: PartyMember) -> dict[str, Any]:
    return {
        "id": m.pk,
        "name": m.name,
        "organisation_id": m.organisation_id,
        "organisation": m.organisation.name,
        "kind": m.kind,
        "kind_label": m.get_kind_display(),
        "status": m.status,
        "status_label": m.get_status_display(),
        "joined_on": m.joined_on,
        "probation_end": m.probation_end,
        "work_unit": m.work_unit,
        "reported_on": m.reported_on,
        "hardship": m.hardship,
        "resident_id": m.resident_id,
        "ended_on": m.ended_on,
    }


class MemberFilter(Schema):
    organisation_id: Id | None = None
    kind: str = ""
    status: str = ""  # active (default) | all | probationary | full | transferred_out | ended
    q: str = ""
    page: PageNumber = 1


class MemberPage(Schema):
    items: list[MemberOut]
    count: int


@router.get("/party-members", response={200: MemberPage, **ERRORS}, summary="The member ledger in scope")
def list_members(request: HttpRequest, filters: Query[MemberFilter]) -> dict[str, Any]:
    user = acting_user(request)
    org = _org(user, filters.organisation_id) if filters.organisation_id else None
    qs = selectors.member_filter(
        PartyMember.objects.visible_to(user).select_related("organisation"),
        organisation=org,
        kind=filters.kind[:20],
        status=filters.status[:20],
        q=filters.q.strip()[:50],
    ).order_by("organisation__name", "name", "pk")
    start = (filters.page - 1) * PAGE_SIZE
    return {"items": [_member_out(m) for m in qs[start : start + PAGE_SIZE]], "count": qs.count()}


class MemberIn(Schema):
    organisation_id: Id
    joined_on: date
    name: str = ""
    resident_id: Id | None = None
    kind: str = "resident"  # resident | reporting | floating | retired
    status: str = "full"  # probationary | full
    work_unit: str = ""
    reported_on: date | None = None
    hardship: bool = False
    hardship_note: str = ""
    transferred_in_on: date | None = None
    transferred_from: str = ""


@router.post(
    "/party-members", response={201: MemberOut, **ERRORS}, summary="Enter a member on a branch's roll"
)
def create_member(request: HttpRequest, payload: MemberIn) -> Status[dict[str, Any]]:
    user = acting_user(request)
    resident = (
        get_object_or_404(Resident.objects.visible_to(user).select_related("grid"), pk=payload.resident_id)
        if payload.resident_id
        else None
    )
    member = services.member_create(
        actor=user,
        organisation=_org(user, payload.organisation_id),
        resident=resident,
        name=payload.name,
        kind=payload.kind,
        status=payload.status,
        joined_on=payload.joined_on,
        work_unit=payload.work_unit,
        reported_on=payload.reported_on,
        hardship=payload.hardship,
        hardship_note=payload.hardship_note,
        transferred_in_on=payload.transferred_in_on,
        transferred_from=payload.transferred_from,
    )
    return Status(201, _member_out(member))


def _member(user: Any, pk: int) -> PartyMember:
    return get_object_or_404(PartyMember.objects.visible_to(user).select_related("organisation__area"), pk=pk)


@router.get("/party-members/{member_id}", response={200: MemberOut, **ERRORS}, summary="One member (audited)")
def get_member(request: HttpRequest, member_id: Id) -> dict[str, Any]:
    from linli.core.audit import Action, audit_record

    user = acting_user(request)
    m = _member(user, member_id)
    audit_record(actor=user, action=Action.REVEAL, obj=m, changes={"viewed": "party_member"})
    return _member_out(m)


class TransferIn(Schema):
    direction: str  # within | out
    date: date
    to_organisation_id: Id | None = None
    outside_unit: str = ""
    note: str = ""


@router.post(
    "/party-members/{member_id}/transfer",
    response={200: MemberOut, **ERRORS},
    summary="Transfer a member's relationship (组织关系转接) within or out of the community",
)
def transfer_member(request: HttpRequest, member_id: Id, payload: TransferIn) -> dict[str, Any]:
    user = acting_user(request)
    m = _member(user, member_id)
    services.member_transfer(
        actor=user,
        member=m,
        direction=payload.direction,
        date=payload.date,
        to_organisation=_org(user, payload.to_organisation_id) if payload.to_organisation_id else None,
        outside_unit=payload.outside_unit,
        note=payload.note,
    )
    return _member_out(_member(user, member_id))


# --- the pipeline ------------------------------------------------------------------------------


class ApplicantOut(Schema):
    id: int
    name: str
    organisation_id: int
    stage: str
    stage_label: str
    stage_since: date
    next_stage: str
    next_due_on: date | None
    applied_on: date
    activist_on: date | None
    candidate_on: date | None
    admitted_on: date | None
    full_on: date | None
    introducers: str
    member_id: int | None


def _applicant_out(a: Applicant) -> dict[str, Any]:
    from linli.party import rules

    rule = rules.PIPELINE.get(a.stage)
    return {
        "id": a.pk,
        "name": a.name,
        "organisation_id": a.organisation_id,
        "stage": a.stage,
        "stage_label": a.get_stage_display(),
        "stage_since": a.stage_since,
        "next_stage": rule.to_stage if rule else "",
        "next_due_on": a.next_due_on,
        "applied_on": a.applied_on,
        "activist_on": a.activist_on,
        "candidate_on": a.candidate_on,
        "admitted_on": a.admitted_on,
        "full_on": a.full_on,
        "introducers": a.introducers,
        "member_id": a.member_id,
    }


@router.get(
    "/party-applicants",
    response={200: list[ApplicantOut], **ERRORS},
    summary="The membership pipeline; due first",
)
def list_applicants(request: HttpRequest, due: bool = False) -> list[dict[str, Any]]:
    user = acting_user(request)
    qs = selectors.pipeline_due(user) if due else Applicant.objects.visible_to(user)
    return [_applicant_out(a) for a in qs.order_by("next_due_on", "pk")[:500]]


class ApplicantIn(Schema):
    organisation_id: Id
    applied_on: date
    name: str = ""
    birth_date: date | None = None
    resident_id: Id | None = None


@router.post("/party-applicants", response={201: ApplicantOut, **ERRORS}, summary="Record an application")
def create_applicant(request: HttpRequest, payload: ApplicantIn) -> Status[dict[str, Any]]:
    user = acting_user(request)
    resident = (
        get_object_or_404(Resident.objects.visible_to(user).select_related("grid"), pk=payload.resident_id)
        if payload.resident_id
        else None
    )
    a = services.applicant_create(
        actor=user,
        organisation=_org(user, payload.organisation_id),
        applied_on=payload.applied_on,
        name=payload.name,
        birth_date=payload.birth_date,
        resident=resident,
    )
    return Status(201, _applicant_out(a))


class AdvanceIn(Schema):
    to_stage: str  # activist | candidate | probationary | full
    date: date
    resolution: str = ""
    introducers: str = ""
    note: str = ""


@router.post(
    "/party-applicants/{applicant_id}/advance",
    response={200: ApplicantOut, **ERRORS},
    summary="The next step; refused out of order or before the rule's waiting period",
)
def advance_applicant(request: HttpRequest, applicant_id: Id, payload: AdvanceIn) -> dict[str, Any]:
    user = acting_user(request)
    a = get_object_or_404(
        Applicant.objects.visible_to(user).select_related("organisation__area"), pk=applicant_id
    )
    a = services.applicant_advance(
        actor=user,
        applicant=a,
        to_stage=payload.to_stage,
        date=payload.date,
        resolution=payload.resolution,
        introducers=payload.introducers,
        note=payload.note,
    )
    return _applicant_out(a)


# --- meetings ----------------------------------------------------------------------------------


class AttendanceOut(Schema):
    member_id: int
    name: str
    status: str
    via_qr: bool


class MeetingOut(Schema):
    id: int
    organisation_id: int
    kind: str
    kind_label: str
    held_on: date
    place: str
    topic: str
    host: str
    minutes: str
    minutes_status: str  # "" (draft) | submitted | approved | returned
    cancelled: bool
    attendance: list[AttendanceOut]


def _meeting_out(m: Meeting) -> dict[str, Any]:
    return {
        "id": m.pk,
        "organisation_id": m.organisation_id,
        "kind": m.kind,
        "kind_label": m.get_kind_display(),
        "held_on": m.held_on,
        "place": m.place,
        "topic": m.topic,
        "host": m.host,
        "minutes": m.minutes,
        "minutes_status": m.minutes_status,
        "cancelled": m.cancelled,
        "attendance": [
            {"member_id": a.member_id, "name": a.member.name, "status": a.status, "via_qr": a.via_qr}
            for a in m.attendance.all()
        ],
    }


class MeetingPage(Schema):
    items: list[MeetingOut]
    count: int


def _meetings(user: Any) -> Any:
    return Meeting.objects.visible_to(user).prefetch_related("attendance__member")


@router.get("/party-meetings", response={200: MeetingPage, **ERRORS}, summary="三会一课 meetings in scope")
def list_meetings(
    request: HttpRequest, organisation_id: Id | None = None, year: int | None = None, page: PageNumber = 1
) -> dict[str, Any]:
    user = acting_user(request)
    qs = _meetings(user)
    if organisation_id:
        org = _org(user, organisation_id)
        qs = qs.filter(organisation__in=[org, *org.children.all()])
    if year is not None:
        if not 2000 <= year <= 2100:
            raise DomainError("'year' must be between 2000 and 2100.", field="year")
        qs = qs.filter(held_on__year=year)
    qs = qs.order_by("-held_on", "-pk")
    start = (page - 1) * PAGE_SIZE
    return {"items": [_meeting_out(m) for m in qs[start : start + PAGE_SIZE]], "count": qs.count()}


class MeetingIn(Schema):
    organisation_id: Id
    kind: str  # general | committee | group | lecture | themed_day
    held_on: date
    place: str
    topic: str
    host: str = ""
    minutes: str = ""


@router.post("/party-meetings", response={201: MeetingOut, **ERRORS}, summary="Record or schedule a meeting")
def create_meeting(request: HttpRequest, payload: MeetingIn) -> Status[dict[str, Any]]:
    user = acting_user(request)
    m = services.meeting_create(
        actor=user,
        organisation=_org(user, payload.organisation_id),
        kind=payload.kind,
        held_on=payload.held_on,
        place=payload.place,
        topic=payload.topic,
        host=payload.host,
        minutes=payload.minutes,
    )
    return Status(201, _meeting_out(_meetings(user).get(pk=m.pk)))


@router.get("/party-meetings/{meeting_id}", response={200: MeetingOut, **ERRORS}, summary="One meeting")
def get_meeting(request: HttpRequest, meeting_id: Id) -> dict[str, Any]:
    user = acting_user(request)
    return _meeting_out(get_object_or_404(_meetings(user), pk=meeting_id))


class RollItem(Schema):
    member_id: Id
    status: str  # present | late | leave | absent


class RollIn(Schema):
    items: list[RollItem]


@router.post(
    "/party-meetings/{meeting_id}/attendance",
    response={200: MeetingOut, **ERRORS},
    summary="Roll call; refused for a meeting not yet held; all or nothing",
)
def roll_call(request: HttpRequest, meeting_id: Id, payload: RollIn) -> dict[str, Any]:
    user = acting_user(request)
    m = get_object_or_404(
        Meeting.objects.visible_to(user).select_related("organisation__area", "organisation__parent"),
        pk=meeting_id,
    )
    services.attendance_roll_call(
        actor=user, meeting=m, statuses={item.member_id: item.status for item in payload.items[:500]}
    )
    return _meeting_out(get_object_or_404(_meetings(user), pk=meeting_id))


# --- compliance and points ---------------------------------------------------------------------


class PeriodOut(Schema):
    start: date
    end: date
    label: str
    state: str  # held | due | overdue | future
    meeting_ids: list[int]


class ComplianceRowOut(Schema):
    kind: str
    label: str
    every_months: int
    held: int
    due: int
    overdue: int
    periods: list[PeriodOut]


class ComplianceOut(Schema):
    organisation_id: int
    organisation: str
    year: int
    rows: list[ComplianceRowOut]


def _year(year: int | None) -> int:
    if year is None:
        return timezone.localdate().year
    if not 2000 <= year <= 2100:
        raise DomainError("'year' must be between 2000 and 2100.", field="year")
    return year


@router.get(
    "/party-compliance",
    response={200: list[ComplianceOut], **ERRORS},
    summary="三会一课 compliance per branch: each kind's periods held, due or overdue",
)
def compliance(
    request: HttpRequest, organisation_id: Id | None = None, year: int | None = None
) -> list[dict[str, Any]]:
    user = acting_user(request)
    y = _year(year)
    orgs = (
        [_org(user, organisation_id)]
        if organisation_id
        else list(selectors.branches(user).order_by("name")[:200])
    )
    calendars = selectors.compliance_of(orgs, y)
    out = []
    for org in orgs:
        rows = calendars[org.pk]
        out.append(
            {
                "organisation_id": org.pk,
                "organisation": org.name,
                "year": y,
                "rows": [
                    {
                        "kind": r.kind,
                        "label": r.label,
                        "every_months": r.every_months,
                        "held": r.held,
                        "due": r.due,
                        "overdue": r.overdue,
                        "periods": [
                            {
                                "start": p.start,
                                "end": p.end,
                                "label": p.label,
                                "state": p.state,
                                "meeting_ids": p.meetings,
                            }
                            for p in r.periods
                        ],
                    }
                    for r in rows
                ],
            }
        )
    return out


class RankOut(Schema):
    rank: int
    member_id: int
    name: str
    organisation: str
    points: int
    grade: str


@router.get("/party-points", response={200: list[RankOut], **ERRORS}, summary="Points ranking for a year")
def points(
    request: HttpRequest, organisation_id: Id | None = None, year: int | None = None
) -> list[dict[str, Any]]:
    user = acting_user(request)
    org = _org(user, organisation_id) if organisation_id else None
    rows = selectors.ranking(user, org, _year(year))
    return [
        {
            "rank": r["rank"],
            "member_id": r["member"].pk,
            "name": r["member"].name,
            "organisation": r["organisation"],
            "points": r["points"],
            "grade": selectors.grade(r["points"]),
        }
        for r in rows[:500]
    ]


class ManualPointIn(Schema):
    member_id: Id
    rule: str  # a manual rule's code: merit | demerit
    earned_on: date
    reason: str


class PointEntryOut(Schema):
    id: int
    member_id: int
    rule: str
    points: int
    earned_on: date
    status: str
    reason: str


@router.post(
    "/party-points",
    response={201: PointEntryOut, **ERRORS},
    summary="A manual award or deduction (waits for approval)",
)
def create_point(request: HttpRequest, payload: ManualPointIn) -> Status[dict[str, Any]]:
    user = acting_user(request)
    member = _member(user, payload.member_id)
    rule = PointRule.objects.filter(code=payload.rule[:24]).first()
    if rule is None:
        raise DomainError(f"Unknown rule '{payload.rule[:24]}'.", field="rule")
    e = services.point_manual_create(
        actor=user, member=member, rule=rule, earned_on=payload.earned_on, reason=payload.reason
    )
    return Status(
        201,
        {
            "id": e.pk,
            "member_id": e.member_id,
            "rule": rule.code,
            "points": e.points,
            "earned_on": e.earned_on,
            "status": e.status,
            "reason": e.reason,
        },
    )


# --- probation, minutes, 三卡 ---------------------------------------------------------------------


class ExtendIn(Schema):
    resolved_on: date
    months: int  # 6 … 12
    resolution: str
    reason: str


class ExtensionOut(Schema):
    member_id: int
    resolved_on: date
    months: int
    previous_end: date
    new_end: date


@router.post(
    "/party-members/{member_id}/extend-probation",
    response={200: ExtensionOut, **ERRORS},
    summary="延长预备期: once, 6–12 months, by the branch general meeting when probation ends",
)
def extend_probation(request: HttpRequest, member_id: Id, payload: ExtendIn) -> dict[str, Any]:
    user = acting_user(request)
    e = services.member_extend_probation(
        actor=user,
        member=_member(user, member_id),
        resolved_on=payload.resolved_on,
        months=payload.months,
        resolution=payload.resolution,
        reason=payload.reason,
    )
    return {
        "member_id": e.member_id,
        "resolved_on": e.resolved_on,
        "months": e.months,
        "previous_end": e.previous_end,
        "new_end": e.new_end,
    }


class MinutesIn(Schema):
    text: str | None = None  # the draft on the meeting when left out
    reason: str = ""  # required for a correction of approved minutes


class MinutesDecisionIn(Schema):
    approve: bool
    reason: str = ""  # required to return


class MinutesVersionOut(Schema):
    meeting_id: int
    number: int
    status: str
    text: str
    correction_reason: str
    return_reason: str


def _version_out(v: Any) -> dict[str, Any]:
    return {
        "meeting_id": v.meeting_id,
        "number": v.number,
        "status": v.status,
        "text": v.text,
        "correction_reason": v.correction_reason,
        "return_reason": v.return_reason,
    }


def _meeting_for_write(user: Any, meeting_id: int) -> Meeting:
    return get_object_or_404(
        Meeting.objects.visible_to(user).select_related("organisation__area", "organisation__parent"),
        pk=meeting_id,
    )


@router.post(
    "/party-meetings/{meeting_id}/minutes",
    response={201: MinutesVersionOut, **ERRORS},
    summary="Submit the minutes (or a correction, with its reason) for the secretary's approval",
)
def submit_minutes(request: HttpRequest, meeting_id: Id, payload: MinutesIn) -> Status[dict[str, Any]]:
    user = acting_user(request)
    v = services.minutes_submit(
        actor=user, meeting=_meeting_for_write(user, meeting_id), text=payload.text, reason=payload.reason
    )
    return Status(201, _version_out(v))


@router.post(
    "/party-meetings/{meeting_id}/minutes/decision",
    response={200: MinutesVersionOut, **ERRORS},
    summary="The branch secretary approves the submitted minutes or returns them with a reason",
)
def decide_minutes(request: HttpRequest, meeting_id: Id, payload: MinutesDecisionIn) -> dict[str, Any]:
    user = acting_user(request)
    m = _meeting_for_write(user, meeting_id)
    pending = m.minutes_versions.filter(status=MinutesStatus.SUBMITTED).select_related("meeting").first()
    if pending is None:
        raise DomainError("没有待审定的会议记录。")
    return _version_out(
        services.minutes_decide(actor=user, version=pending, approve=payload.approve, reason=payload.reason)
    )


class CardOut(Schema):
    id: int
    member_id: int
    member: str
    kind: str
    kind_label: str
    day: date
    resident_id: int | None
    resident: str
    way: str
    title: str
    content: str
    place: str
    passed_to: str
    outcome: str
    closed_on: date | None
    status: str


def _card_out(c: MemberCard) -> dict[str, Any]:
    return {
        "id": c.pk,
        "member_id": c.member_id,
        "member": c.member.name,
        "kind": c.kind,
        "kind_label": c.get_kind_display(),
        "day": c.day,
        "resident_id": c.resident_id,
        "resident": c.resident.name if c.resident else "",
        "way": c.way,
        "title": c.title,
        "content": c.content,
        "place": c.place,
        "passed_to": c.passed_to,
        "outcome": c.outcome,
        "closed_on": c.closed_on,
        "status": c.status,
    }


class CardPage(Schema):
    items: list[CardOut]
    count: int


def _cards(user: Any) -> Any:
    return MemberCard.objects.visible_to(user).select_related("member__organisation__area", "resident")


@router.get(
    "/party-cards",
    response={200: CardPage, **ERRORS},
    summary="三卡 (contact/activity/feedback cards) in scope",
)
def list_cards(
    request: HttpRequest,
    member_id: Id | None = None,
    kind: str = "",
    year: int | None = None,
    page: PageNumber = 1,
) -> dict[str, Any]:
    user = acting_user(request)
    qs = _cards(user)
    if member_id:
        qs = qs.filter(member_id=member_id)
    if kind:
        qs = qs.filter(kind=kind[:10])
    if year is not None:
        qs = qs.filter(day__year=_year(year))
    qs = qs.order_by("-day", "-pk")
    start = (page - 1) * PAGE_SIZE
    return {"items": [_card_out(c) for c in qs[start : start + PAGE_SIZE]], "count": qs.count()}


class CardIn(Schema):
    member_id: Id
    kind: str  # contact | activity | feedback
    day: date
    title: str
    content: str = ""
    resident_id: Id | None = None
    way: str = ""  # contact: phone | wechat | in_person | errand
    place: str = ""  # activity
    passed_to: str = ""  # feedback


@router.post("/party-cards", response={201: CardOut, **ERRORS}, summary="Record a card for a member")
def create_card(request: HttpRequest, payload: CardIn) -> Status[dict[str, Any]]:
    user = acting_user(request)
    member = _member(user, payload.member_id)
    resident = None
    if payload.resident_id:
        resident = services.contact_households(member, payload.day).filter(pk=payload.resident_id).first()
        if resident is None:
            raise DomainError(f"{member.name}的责任区和联系户中没有该居民。", field="resident_id")
    c = services.card_create(
        actor=user,
        member=member,
        kind=payload.kind,
        day=payload.day,
        title=payload.title,
        content=payload.content,
        resident=resident,
        way=payload.way,
        place=payload.place,
        passed_to=payload.passed_to,
    )
    return Status(201, _card_out(_cards(user).get(pk=c.pk)))


class CardCloseIn(Schema):
    outcome: str
    closed_on: date


class ReasonIn(Schema):
    reason: str


@router.post(
    "/party-cards/{card_id}/close", response={200: CardOut, **ERRORS}, summary="A feedback card's outcome"
)
def close_card(request: HttpRequest, card_id: Id, payload: CardCloseIn) -> dict[str, Any]:
    user = acting_user(request)
    c = get_object_or_404(_cards(user), pk=card_id)
    services.card_close(actor=user, card=c, outcome=payload.outcome, closed_on=payload.closed_on)
    return _card_out(_cards(user).get(pk=c.pk))


@router.post(
    "/party-cards/{card_id}/void", response={200: CardOut, **ERRORS}, summary="Void a card entered by mistake"
)
def void_card(request: HttpRequest, card_id: Id, payload: ReasonIn) -> dict[str, Any]:
    user = acting_user(request)
    c = get_object_or_404(_cards(user), pk=card_id)
    services.card_void(actor=user, card=c, reason=payload.reason)
    return _card_out(_cards(user).get(pk=c.pk))
