"""The yearly fulfilment report of a unit (年度共建履约情况): commitments due in the year and how each went,
resources offered, needs it met, joint activities and members reporting."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Sum

from linli.partners.models import Commitment, JointActivity, MemberCheckIn, Need, PartnerUnit, Resource


@dataclass
class YearReport:
    unit: PartnerUnit
    year: int
    commitments: list[Commitment]
    due: int
    fulfilled: int
    missed: int
    pending: int
    cancelled: int
    resources: list[Resource]
    needs_met: list[Need]
    activities: list[JointActivity]
    participants: int
    member_checkins: list[MemberCheckIn]
    members_reported: int

    @property
    def fulfilment_rate(self) -> float | None:
        counted = self.fulfilled + self.missed + self.pending
        return self.fulfilled / counted if counted else None


def year_report(unit: PartnerUnit, year: int) -> YearReport:
    start, end = date(year, 1, 1), date(year, 12, 31)
    commitments = list(
        Commitment.objects.filter(agreement__unit=unit, due_on__range=(start, end)).select_related(
            "agreement"
        )
    )
    status = [c.status for c in commitments]
    activities = list(JointActivity.objects.filter(units=unit, held_on__range=(start, end)))
    reports = list(MemberCheckIn.objects.filter(unit=unit, reported_on__range=(start, end)))
    return YearReport(
        unit=unit,
        year=year,
        commitments=commitments,
        due=len(commitments),
        fulfilled=status.count(Commitment.Status.FULFILLED),
        missed=status.count(Commitment.Status.MISSED),
        pending=status.count(Commitment.Status.PENDING),
        cancelled=status.count(Commitment.Status.CANCELLED),
        resources=list(Resource.objects.filter(unit=unit)),
        needs_met=list(Need.objects.filter(unit=unit, status=Need.Status.MET, closed_on__range=(start, end))),
        activities=activities,
        participants=sum(a.participants for a in activities),
        member_checkins=reports,
        members_reported=MemberCheckIn.objects.filter(unit=unit, reported_on__range=(start, end)).aggregate(
            n=Sum("count")
        )["n"]
        or 0,
    )
