"""Reading volunteers: search (the registry's building blocks), rows for lists, statistics, rankings."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from django.db.models import CharField, Count, Q, QuerySet, Sum
from django.db.models.functions import Cast, Substr
from django.utils import timezone

from linli.areas.models import Area
from linli.core.masking import mask_id, mask_phone
from linli.core.permissions import Capability
from linli.registry import normalise
from linli.registry.models import Resident, ResidentStatus
from linli.registry.selectors import VISIBLE_DIGITS, DigitQuery, pinyin_terms, prefix, query_kind
from linli.volunteers.models import (
    HOLDING_STATUSES,
    Activity,
    ActivityStatus,
    RecordStatus,
    ServiceRecord,
    Team,
    TeamMembership,
    Volunteer,
    VolunteerStatus,
)
from linli.volunteers.services import star_level

if TYPE_CHECKING:
    from linli.accounts.models import User


def search(qs: QuerySet[Volunteer], query: str, *, any_suffix: bool = False) -> QuerySet[Volunteer]:
    """One box, as the residents' list reads it: a name substring, pinyin or initials, the last digits of
    an ID or phone (stored reversed, so "ends with" is an indexed prefix), or a whole phone number.

    Digits match as the masked view shows them unless `any_suffix` (users who may reveal); callers
    refuse and audit digit searches first (`registry.services.resident_search_digits`)."""
    q = normalise.text(query).replace(" ", "")
    kind = query_kind(q)
    if kind == "":
        return qs
    if kind == "phone":
        return qs.filter(phone=q.replace("-", ""))
    if kind == "digits":
        upper = q.upper()
        if not any_suffix and len(upper) != VISIBLE_DIGITS:
            exact = DigitQuery(upper)
            found = Q(pk__in=[])
            if exact.complete_id:
                found |= Q(id_number=upper)
            if exact.complete_phone:
                found |= Q(phone=upper)
            return qs.filter(found)
        reversed_q = upper[::-1]
        found = prefix("id_reversed", reversed_q)
        if upper.isdigit() and len(upper) <= 11:
            found |= prefix("phone_reversed", reversed_q)
        return qs.filter(found)
    if kind == "letters":
        full, initials = pinyin_terms(q)
        return qs.filter(full | initials)
    return qs.filter(name__contains=q)


@dataclass
class VolunteerRow:
    pk: int
    name: str
    id_number: str
    phone: str
    community: str
    grid: str
    kind: str
    status: str
    status_code: str
    skills: list[str]
    hours: float
    stars: int


def list_rows(user: User, volunteers: list[Volunteer], *, reveal: bool = False) -> list[VolunteerRow]:
    """Rows for a page of volunteers: masked unless revealed, hours of confirmed service, star level."""
    ids = [v.pk for v in volunteers]
    minutes = dict(
        ServiceRecord.objects.filter(volunteer_id__in=ids, status=RecordStatus.CONFIRMED)
        .values("volunteer_id")
        .annotate(m=Sum("minutes"))
        .values_list("volunteer_id", "m")
    )
    skills: dict[int, list[str]] = defaultdict(list)
    for vid, name in Volunteer.skills.through.objects.filter(volunteer_id__in=ids).values_list(
        "volunteer_id", "skill__name"
    ):
        skills[vid].append(name)
    areas = {
        a.pk: a
        for a in Area.objects.filter(
            pk__in={v.community_id for v in volunteers} | {v.grid_id for v in volunteers if v.grid_id}
        )
    }
    Area.qualify(list(areas.values()))
    rows = []
    for v in volunteers:
        m = int(minutes.get(v.pk) or 0)
        rows.append(
            VolunteerRow(
                pk=v.pk,
                name=v.name,
                id_number=v.id_number if reveal else mask_id(v.id_number),
                phone=v.phone if reveal else mask_phone(v.phone),
                community=areas[v.community_id].name,
                grid=areas[v.grid_id].qualified_name if v.grid_id else "",
                kind=v.get_kind_display(),
                status=v.get_status_display(),
                status_code=v.status,
                skills=skills.get(v.pk, []),
                hours=round(m / 60, 1),
                stars=star_level(m),
            )
        )
    return rows


def may_reveal(user: User) -> bool:
    return user.can(Capability.REVEAL_PERSONAL)


# --- statistics ----------------------------------------------------------------------------------


@dataclass
class CommunityFigures:
    path: str
    name: str
    residents: int = 0
    volunteers: int = 0
    active: int = 0
    serving: int = 0  # active volunteers with confirmed service in the year

    @property
    def per_thousand(self) -> float:
        return round(self.volunteers * 1000 / self.residents, 1) if self.residents else 0.0

    @property
    def active_share(self) -> float:
        return round(self.serving * 100 / self.active, 1) if self.active else 0.0


@dataclass
class Statistics:
    year: int
    communities: list[CommunityFigures]
    total: CommunityFigures
    months: list[int]
    by_team: list[tuple[str, list[float], float]] = field(default_factory=list)
    by_grid: list[tuple[str, list[float], float]] = field(default_factory=list)


def statistics(user: User, *, year: int) -> Statistics:
    """Volunteers per 1,000 residents, the share of active volunteers who served this year, and confirmed
    hours per month by team and by grid — each one GROUP BY over the scoped table, named afterwards."""
    communities = list(Area.objects.visible_to(user).filter(kind=Area.Kind.COMMUNITY).order_by("path"))
    figures = {c.pk: CommunityFigures(c.path, c.name) for c in communities}
    by_path = {c.path: c.pk for c in communities}
    # Residents per community: grouped by grid, folded into communities by path.
    grids = dict(Area.objects.visible_to(user).filter(kind=Area.Kind.GRID).values_list("pk", "path"))
    for grid_id, n in (
        Resident.objects.visible_to(user)
        .filter(status=ResidentStatus.ACTIVE)
        .order_by()
        .values("grid_id")
        .annotate(n=Count("pk"))
        .values_list("grid_id", "n")
    ):
        path = grids.get(grid_id, "")
        for cpath, cpk in by_path.items():
            if path.startswith(cpath + "/"):
                figures[cpk].residents += n
                break
    for cid, status, n in (
        Volunteer.objects.visible_to(user)
        .order_by()
        .values("community_id", "status")
        .annotate(n=Count("pk"))
        .values_list("community_id", "status", "n")
    ):
        if cid in figures and status != VolunteerStatus.LEFT:
            figures[cid].volunteers += n
            if status == VolunteerStatus.ACTIVE:
                figures[cid].active += n
    start, end = date(year, 1, 1), date(year, 12, 31)
    records = (
        ServiceRecord.objects.visible_to(user)
        .filter(status=RecordStatus.CONFIRMED, day__gte=start, day__lte=end)
        .order_by()
    )
    for cid, n in (
        records.filter(volunteer__status=VolunteerStatus.ACTIVE, minutes__gt=0)
        .values("community_id")
        .annotate(n=Count("volunteer_id", distinct=True))
        .values_list("community_id", "n")
    ):
        if cid in figures:
            figures[cid].serving += n
    total = CommunityFigures("", "合计")
    for f in figures.values():
        total.residents += f.residents
        total.volunteers += f.volunteers
        total.active += f.active
        total.serving += f.serving
    months = list(range(1, 13))
    # One pass: confirmed minutes by team, grid and month, folded both ways here. The month is the text of
    # the date's characters 6–7 (native SQL on both databases; SQLite's date functions are Python calls).
    teams: dict[Any, list[float]] = defaultdict(lambda: [0.0] * 12)
    gridded: dict[Any, list[float]] = defaultdict(lambda: [0.0] * 12)
    for team_id, grid_id, month, m in (
        records.annotate(month=Substr(Cast("day", CharField()), 6, 2))
        .values("team_id", "grid_id", "month")
        .annotate(m=Sum("minutes"))
        .values_list("team_id", "grid_id", "month", "m")
        .order_by()
    ):
        hours = (m or 0) / 60
        teams[team_id][int(month) - 1] += hours
        gridded[grid_id][int(month) - 1] += hours
    for table in (teams, gridded):
        for key, values in table.items():
            table[key] = [round(v, 1) for v in values]
    names = dict(Team.objects.filter(pk__in=[k for k in teams if k]).values_list("pk", "name"))
    by_team = sorted(
        (
            (names.get(k, "（无队伍）") if k else "社区直接组织", v, round(sum(v), 1))
            for k, v in teams.items()
        ),
        key=lambda row: (-row[2], row[0]),
    )
    grid_rows = list(Area.objects.filter(pk__in=[k for k in gridded if k]).values_list("pk", "path", "name"))
    labels = Area.qualified_names([(path, name) for _, path, name in grid_rows])
    paths = {pk: path for pk, path, _ in grid_rows}
    by_grid = sorted(
        (
            (labels.get(paths[k], "") if k else "（未定网格）", v, round(sum(v), 1))
            for k, v in gridded.items()
        ),
        key=lambda row: (row[0] == "（未定网格）", row[0]),
    )
    return Statistics(
        year=year,
        communities=list(figures.values()),
        total=total,
        months=months,
        by_team=by_team,
        by_grid=by_grid,
    )


def team_ranking(team: Team, *, year: int, limit: int = 50) -> list[tuple[int, str, float, int]]:
    """年度排行: the team's members by confirmed hours in the year (rank, name, hours, stars)."""
    rows = (
        ServiceRecord.objects.filter(
            team=team, status=RecordStatus.CONFIRMED, day__gte=date(year, 1, 1), day__lte=date(year, 12, 31)
        )
        .values("volunteer_id", "volunteer__name")
        .annotate(m=Sum("minutes"))
        .filter(m__gt=0)
        .order_by("-m", "volunteer__name")[:limit]
    )
    totals = dict(
        ServiceRecord.objects.filter(
            volunteer_id__in=[r["volunteer_id"] for r in rows], status=RecordStatus.CONFIRMED
        )
        .values("volunteer_id")
        .annotate(m=Sum("minutes"))
        .values_list("volunteer_id", "m")
    )
    return [
        (
            i + 1,
            r["volunteer__name"],
            round(r["m"] / 60, 1),
            star_level(int(totals.get(r["volunteer_id"]) or 0)),
        )
        for i, r in enumerate(rows)
    ]


def team_tree(user: User) -> list[tuple[Team, str, int]]:
    """Teams in scope as an indented tree: (team, indent marks, current members)."""
    teams = list(
        Team.objects.visible_to(user).select_related("community").order_by("community__path", "name")
    )
    counts = dict(
        TeamMembership.objects.filter(team__in=teams, left_on__isnull=True)
        .values("team_id")
        .annotate(n=Count("pk"))
        .values_list("team_id", "n")
    )
    children: dict[int | None, list[Team]] = defaultdict(list)
    ids = {t.pk for t in teams}
    for t in teams:
        children[t.parent_id if t.parent_id in ids else None].append(t)
    out: list[tuple[Team, str, int]] = []

    def walk(parent: int | None, depth: int) -> None:
        for t in children.get(parent, []):
            out.append((t, "　" * (depth - 1) + "└ " if depth else "", counts.get(t.pk, 0)))
            walk(t.pk, depth + 1)

    walk(None, 0)
    return out


def pending_count(user: User) -> int:
    """Self-registrations waiting for approval in scope (the menu badge)."""
    if not user.can(Capability.MANAGE_VOLUNTEERS):
        return 0
    return Volunteer.objects.visible_to(user).filter(status=VolunteerStatus.APPLIED).count()


# --- the volunteer's own view (the card link, the residents' portal) ------------------------------

OPEN_DAYS = 30  # how far ahead a volunteer sees open activities to sign up for


def own_bookings(volunteer: Volunteer, *, limit: int = 20) -> list[ServiceRecord]:
    """The volunteer's bookings from yesterday on (not cancelled), soonest first."""
    return list(
        ServiceRecord.objects.filter(
            volunteer=volunteer, activity__ends_at__gte=timezone.now() - timedelta(days=1)
        )
        .exclude(status=RecordStatus.CANCELLED)
        .select_related("activity")
        .order_by("activity__starts_at")[:limit]
    )


def open_activities(
    volunteer: Volunteer, *, exclude: set[int] | None = None, limit: int = 20
) -> QuerySet[Activity]:
    """Published activities of the volunteer's community starting in the next OPEN_DAYS days, with the
    places taken (`taken`), leaving out those in `exclude` (already booked)."""
    now = timezone.now()
    return (
        Activity.objects.filter(
            community=volunteer.community_id,
            status=ActivityStatus.PUBLISHED,
            starts_at__gte=now,
            starts_at__lt=now + timedelta(days=OPEN_DAYS),
        )
        .exclude(pk__in=exclude or set())
        .annotate(taken=Count("records", filter=Q(records__status__in=HOLDING_STATUSES)))
        .order_by("starts_at")[:limit]
    )
