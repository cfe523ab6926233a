"""Volunteer service counted for party work: one record, counted in both places.

A member's community service (在职党员报到 above all) is recorded in volunteers as a `ServiceRecord` — the
volunteer hours stay there. When the activity's leader confirms the records, volunteers sends
`service_confirmed` (linli/volunteers/signals.py) inside its transaction; this receiver gives each
confirmed record with service minutes a `volunteer` point entry (source `volunteer:<record id>`, so it
counts once) for the active party member linked to that volunteer. A failure here rolls the confirmation
back, so the two never disagree.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from linli.party.models import ACTIVE_STATUSES, PartyMember


def member_for(volunteer: Any) -> PartyMember | None:
    """The active member this volunteer is: linked explicitly, else the same resident or the same login."""
    members = PartyMember.objects.filter(status__in=ACTIVE_STATUSES)
    linked = members.filter(volunteer_id=volunteer.pk).first()
    if linked is not None:
        return linked
    same = Q(pk__in=[])
    if volunteer.resident_id:
        same |= Q(resident_id=volunteer.resident_id)
    if volunteer.user_id:
        same |= Q(user_id=volunteer.user_id)
    return members.filter(same).order_by("pk").first()


def on_service_confirmed(sender: Any, records: list[Any], actor: Any = None, **kwargs: Any) -> None:
    from linli.party.services import award

    for record in records:
        if not record.minutes:
            continue
        member = member_for(record.volunteer)
        if member is None:
            continue
        award(
            member=member,
            code="volunteer",
            earned_on=record.day,
            source=f"volunteer:{record.pk}",
            actor=actor,
            reason=f"志愿服务：{record.activity.title}（{record.minutes} 分钟）",
        )
