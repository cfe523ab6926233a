"""Volunteering and the time bank in the residents' portal (居民端 · 志愿服务与时间银行).

The portal sits above volunteers and timebank: it reads their models and writes only through their
services (`volunteers.services`, `timebank.services`), with the checks staff get (capacity, overlapping
bookings, the sign-in window, the place's code). Neither module knows the portal.

Who is who. A resident's volunteer registrations are the `Volunteer` rows linked to them or holding their
identity number — the number the portal's sign-in proved. Volunteering is personal: signing up, signing
in and registering are the signed-in resident's own, never done while acting for a relative (the page says
so). The time bank is the principal's: balances, movements and help requests of the relative one acts for
are shown, and asking for help for them is recorded like every act-for action (who for whom, the relative
told by text).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet

from linli.core.audit import Action, audit_record
from linli.core.context import current_origin
from linli.core.errors import DomainError, NotFound
from linli.portal.models import PortalSession
from linli.portal.services import Acting, _tell_principal, acting, resident_label
from linli.registry.models import Resident
from linli.timebank import services as bank
from linli.timebank.models import Account, HelpRequest, Movement
from linli.volunteers import selectors as volunteer_selectors
from linli.volunteers import services as volunteering
from linli.volunteers.models import (
    Activity,
    ActivityStatus,
    Proof,
    RecordStatus,
    ServiceRecord,
    SignMethod,
    Skill,
    Volunteer,
    VolunteerKind,
    VolunteerStatus,
)

PERSONAL_ONLY = "志愿服务须本人办理：请先点“回到本人”。"


def my_volunteers(resident: Resident) -> list[Volunteer]:
    """The resident's volunteer registrations (any status), those of their own community first."""
    found = list(
        Volunteer.objects.filter(Q(resident=resident) | Q(id_number=resident.id_number))
        .select_related("community", "grid")
        .order_by("pk")
    )
    home = resident.grid.path
    return sorted(
        found,
        key=lambda v: (
            v.status != VolunteerStatus.ACTIVE,
            not home.startswith(v.community.path),
            v.pk,
        ),
    )


def active_volunteer(resident: Resident) -> Volunteer | None:
    """The registration the resident serves under: active, their own community's first."""
    found = my_volunteers(resident)
    return found[0] if found and found[0].status == VolunteerStatus.ACTIVE else None


def _own(session: PortalSession) -> Resident:
    who = acting(session)
    if who.for_relative:
        raise DomainError(PERSONAL_ONLY, code="personal")
    return who.agent


def _audit(who: Acting, obj: Any, **changes: Any) -> None:
    audit_record(
        actor=None,
        action=Action.UPDATE,
        obj=obj,
        changes=who.audit_changes(portal=True, **changes),
        actor_label=who.label,
    )


# --- registering -----------------------------------------------------------------------------------


def register(
    *,
    session: PortalSession,
    skills: Iterable[Skill] = (),
    preferences: str = "",
    availability: Iterable[str] = (),
    photo_consent: bool = False,
) -> Volunteer:
    """Register as a volunteer of one's own community with what the registry holds (name, number,
    phone: proved at sign-in). Like the community's QR registration it waits for approval (待审核)."""
    resident = _own(session)
    if my_volunteers(resident):
        raise DomainError("您已登记为志愿者。", code="duplicate")
    if not resident.phone:
        raise DomainError("登记信息中没有您的手机号，请到社区登记。", field="phone")
    community = bank.community_of(resident.grid)
    with transaction.atomic():
        volunteer = volunteering.volunteer_self_register(
            community=community,
            ip=current_origin().ip,
            name=resident.name,
            id_number=resident.id_number,
            phone=resident.phone,
            kind=VolunteerKind.RESIDENT,
            skills=list(skills),
            preferences=preferences,
            availability=list(availability),
            photo_consent=photo_consent,
        )
        _audit(acting(session), volunteer, portal_registration=True)
    return volunteer


# --- activities, sign-in -----------------------------------------------------------------------------


def _serving(session: PortalSession) -> tuple[Acting, Volunteer]:
    resident = _own(session)
    volunteer = active_volunteer(resident)
    if volunteer is None:
        raise DomainError("您还不是在册志愿者（登记后须社区审核通过）。", code="not_volunteer")
    return acting(session), volunteer


def open_activity(volunteer: Volunteer, pk: int) -> Activity:
    """An activity the volunteer may sign up for: published, of their community."""
    found = Activity.objects.filter(
        pk=pk, community=volunteer.community_id, status=ActivityStatus.PUBLISHED
    ).first()
    if found is None:
        raise NotFound()
    return found


def sign_up(*, session: PortalSession, activity_id: int) -> ServiceRecord:
    """Sign up for an activity of one's community: capacity, duplicates and overlapping bookings are
    refused by the volunteers' service with its message, and nothing is written."""
    _, volunteer = _serving(session)
    return volunteering.activity_sign_up(volunteer=volunteer, activity=open_activity(volunteer, activity_id))


def own_record(resident: Resident, pk: int) -> ServiceRecord:
    record = (
        ServiceRecord.objects.filter(pk=pk, volunteer__in=[v.pk for v in my_volunteers(resident)])
        .select_related("activity", "volunteer")
        .first()
    )
    if record is None:
        raise NotFound()
    return record


def cancel(*, session: PortalSession, record_id: int) -> ServiceRecord:
    """Withdraw one's booking before the activity starts (as from the volunteer's card)."""
    resident = _own(session)
    record = own_record(resident, record_id)
    return volunteering.record_cancel(actor=None, record=record, by_volunteer=True)


def checkin_activity(token: str) -> Activity:
    activity = (
        Activity.objects.select_related("community").filter(checkin_token=token).first() if token else None
    )
    if activity is None:
        raise NotFound()
    return activity


def checkin_record(resident: Resident, activity: Activity) -> ServiceRecord | None:
    """The resident's booking for this activity (under any of their registrations), if any."""
    return (
        ServiceRecord.objects.filter(activity=activity, volunteer__in=[v.pk for v in my_volunteers(resident)])
        .select_related("volunteer")
        .first()
    )


def checkin(*, session: PortalSession, token: str, action: str) -> ServiceRecord:
    """At the place: sign up (if places are left), sign in or sign out with the place's code — the
    volunteers' QR sign-in, the resident identified by their portal session instead of a card link."""
    resident = _own(session)
    activity = checkin_activity(token)
    record = checkin_record(resident, activity)
    if action == "signup":
        volunteer = active_volunteer(resident)
        if volunteer is None or volunteer.community_id != activity.community_id:
            raise DomainError("您不是本社区的在册志愿者，不能报名本活动。", code="not_volunteer")
        return volunteering.activity_sign_up(volunteer=volunteer, activity=activity)
    if record is None:
        raise DomainError("您没有报名本活动。", code="not_booked")
    if action == "in":
        return volunteering.record_sign_in(actor=None, record=record, method=SignMethod.QR, token=token)
    if action == "out":
        return volunteering.record_sign_out(actor=None, record=record, method=SignMethod.QR, token=token)
    raise DomainError("操作不正确。")


# --- hours, proofs -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hours:
    minutes: int
    services: int
    stars: int

    @property
    def hours(self) -> float:
        return round(self.minutes / 60, 1)


def hours(volunteers: Iterable[Volunteer]) -> Hours:
    """Confirmed service minutes kept by each registration's community, added up."""
    minutes = count = 0
    for v in volunteers:
        m, c = volunteering.confirmed_minutes(v)
        minutes, count = minutes + m, count + c
    return Hours(minutes=minutes, services=count, stars=volunteering.star_level(minutes))


def past_records(volunteers: Iterable[Volunteer], *, limit: int = 20) -> list[ServiceRecord]:
    """Service that happened: signed in or later, newest first."""
    return list(
        ServiceRecord.objects.filter(
            volunteer__in=[v.pk for v in volunteers],
            status__in=(
                RecordStatus.SIGNED_IN,
                RecordStatus.SIGNED_OUT,
                RecordStatus.CONFIRMED,
                RecordStatus.ABSENT,
            ),
        )
        .select_related("activity", "community")
        .order_by("-day", "-pk")[:limit]
    )


def bookings(volunteer: Volunteer) -> list[ServiceRecord]:
    return volunteer_selectors.own_bookings(volunteer)


def open_activities(volunteer: Volunteer, booked: set[int]) -> QuerySet[Activity]:
    return volunteer_selectors.open_activities(volunteer, exclude=booked)


def proofs(resident: Resident) -> QuerySet[Proof]:
    return Proof.objects.filter(volunteer__in=[v.pk for v in my_volunteers(resident)]).select_related(
        "community", "volunteer"
    )


def own_proof(resident: Resident, pk: int) -> Proof:
    proof = proofs(resident).filter(pk=pk).first()
    if proof is None:
        raise NotFound()
    return proof


@transaction.atomic
def proof_downloaded(*, session: PortalSession, proof: Proof) -> None:
    """A proof prints the masked ID number; the download is audited like a staff one is served."""
    audit_record(
        actor=None,
        action=Action.EXPORT,
        obj=proof,
        object_repr=f"{proof.number} {proof.volunteer.name}",
        changes=acting(session).audit_changes(portal=True),
        actor_label=resident_label(session.resident),
    )


# --- time bank -------------------------------------------------------------------------------------


def accounts(resident: Resident) -> list[Account]:
    """The resident's own time-bank accounts: as a resident, their household's, and as a volunteer."""
    holders = Q(resident=resident)
    if resident.household_id:
        holders |= Q(household=resident.household_id)
    volunteers = [v.pk for v in my_volunteers(resident)]
    if volunteers:
        holders |= Q(volunteer__in=volunteers)
    return list(Account.objects.filter(holders).select_related("community").order_by("kind", "pk"))


def movements(accounts: Iterable[Account], *, limit: int = 30) -> list[Movement]:
    return list(
        Movement.objects.filter(account__in=[a.pk for a in accounts])
        .select_related("transfer", "account")
        .order_by("-created_at", "-pk")[:limit]
    )


def help_requests(resident: Resident) -> QuerySet[HelpRequest]:
    return HelpRequest.objects.filter(resident=resident).select_related("volunteer").order_by("-created_at")


def own_help_request(resident: Resident, pk: int) -> HelpRequest:
    found = help_requests(resident).filter(pk=pk).first()
    if found is None:
        raise NotFound()
    return found


def withdraw_help(*, session: PortalSession, request_id: int, reason: str = "") -> HelpRequest:
    """Withdraw one's own help request (or the relative's one acts for) while no volunteer has served it."""
    who = acting(session)
    request = own_help_request(who.principal, request_id)
    with transaction.atomic():
        withdrawn = bank.help_request_withdraw(
            request=request, label=who.label, reason=reason, audit_changes=who.audit_changes(portal=True)
        )
        _tell_principal(who, f"撤回了互助服务“{withdrawn.title}”")
    return withdrawn


def ask_help(*, session: PortalSession, **fields: Any) -> HelpRequest:
    """A help request for the resident — or the relative they act for (代办) — through the time bank's
    service; it lands on the community's board as one recorded by staff does."""
    who = acting(session)
    with transaction.atomic():
        request = bank.help_request_ask(
            resident=who.principal,
            label=who.label,
            audit_changes=who.audit_changes(portal=True),
            **fields,
        )
        _tell_principal(who, f"申请了互助服务“{request.title}”")
    return request
