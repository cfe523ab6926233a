"""Reading volunteers: search (the registry's building blocks), rows for lists, statistics, rankings."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.utils import timezone

from linli.areas.models import Area
from linli.core.errors import DomainError
from linli.core.masking import mask_id, mask_name, mask_phone
from linli.core.permissions import Capability
from linli.core.scoping import subtree_q
from linli.registry import normalise
from linli.registry.models import House, RegisterCount, Resident, ResidentStatus, house_label, name_grams
from linli.registry.selectors import (
    ROOM_RE,
    VISIBLE_DIGITS,
    DigitQuery,
    pinyin_terms,
    prefix,
    query_kind,
)
from linli.registry.selectors import search as registry_search
from linli.volunteers.models import (
    HOLDING_STATUSES,
    Activity,
    ActivityStatus,
    RecordStatus,
    ServiceMonth,
    ServiceRecord,
    Team,
    TeamMembership,
    Volunteer,
    VolunteerNameGram,
    VolunteerStatus,
)
from linli.volunteers.services import star_level

if TYPE_CHECKING:
    from linli.accounts.models import User


def community_ids(user: User) -> list[int]:
    """The communities in `user`'s scope, as a list of ids."""
    return list(Area.objects.visible_to(user).filter(kind=Area.Kind.COMMUNITY).values_list("pk", flat=True))


def in_scope(user: User) -> QuerySet[Volunteer]:
    """Volunteers `user` may see — the same rows as `Volunteer.objects.visible_to(user)`, filtered by a list
    of community ids rather than a subquery on area paths. With the subquery SQLite's planner took the
    community index and read every volunteer of the community row by row for a pinyin search; with the
    ids it knows how little the filter selects and walks the pinyin index (as residents do by grid ids,
    registry.selectors._grid_ids)."""
    return Volunteer.objects.filter(community_id__in=community_ids(user))


def search(qs: QuerySet[Volunteer], query: str, *, any_suffix: bool = False) -> QuerySet[Volunteer]:
    """One box, as the residents' list reads it: a name substring (through the name grams), pinyin or
    initials, the last digits of an ID or phone (stored reversed, so "ends with" is an indexed prefix), or a
    whole phone number. Every kind is an index lookup; none reads the volunteers it does not return.

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
    return _name_contains(qs, q)


def _name_contains(qs: QuerySet[Volunteer], q: str) -> QuerySet[Volunteer]:
    """A name substring through the gram index (as registry.selectors._name_contains): one or two
    characters are one lookup; longer strings must hold all their bigrams, then the name is checked."""
    if len(q) <= 2:
        return qs.filter(pk__in=VolunteerNameGram.objects.filter(gram=q).values("volunteer_id"))
    for gram in sorted(name_grams(q) - set(q)):
        qs = qs.filter(pk__in=VolunteerNameGram.objects.filter(gram=gram).values("volunteer_id"))
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
    hours per month by team and by grid: residents counted by grid, one GROUP BY over the volunteers (with
    whether each served, an EXISTS answered from `record_volunteer_sum_idx`), and the year's rows of the
    monthly roll-up (`ServiceMonth`, written by `records_confirm`), each filtered by lists of ids in scope and
    named afterwards.

    Before (issue #19 item 9): the hours were summed from the year's records on every view (~250,000 index
    entries at the street scale: 37 ms of the page's 83 ms CPU on SQLite)."""
    communities = list(
        Area.objects.visible_to(user)
        .filter(kind=Area.Kind.COMMUNITY)
        .order_by("path")
        .only("pk", "path", "name")
    )
    figures = {c.pk: CommunityFigures(c.path, c.name) for c in communities}
    by_path = {c.path: c.pk for c in communities}
    # Residents per community: the register's running counts per grid (registry/counts.py: a few rows a
    # grid, where counting a street's residents took ~23 ms of CPU on SQLite), folded into communities by path.
    grids = dict(Area.objects.visible_to(user).filter(kind=Area.Kind.GRID).values_list("pk", "path"))
    for grid_id, n in (
        RegisterCount.objects.filter(grid_id__in=list(grids), kind="type")
        .order_by()
        .values("grid_id")
        .annotate(n=Sum("n"))
        .values_list("grid_id", "n")
    ):
        path = grids.get(grid_id, "")
        for cpath, cpk in by_path.items():
            if path.startswith(cpath + "/"):
                figures[cpk].residents += n
                break
    start, end = date(year, 1, 1), date(year, 12, 31)
    # "Served this year": a confirmed record with minutes, kept by the volunteer's own community.
    served = Exists(
        ServiceRecord.objects.filter(
            volunteer_id=OuterRef("pk"),
            status=RecordStatus.CONFIRMED,
            day__gte=start,
            day__lte=end,
            community_id=OuterRef("community_id"),
            minutes__gt=0,
        )
    )
    for cid, status, n, serving in (
        Volunteer.objects.filter(community_id__in=list(figures))
        .order_by()
        .annotate(served=served)
        .values("community_id", "status")
        .annotate(n=Count("pk"), serving=Count("pk", filter=Q(served=True)))
        .values_list("community_id", "status", "n", "serving")
    ):
        if status != VolunteerStatus.LEFT:
            figures[cid].volunteers += n
        if status == VolunteerStatus.ACTIVE:
            figures[cid].active += n
            figures[cid].serving += serving
    total = CommunityFigures("", "合计")
    for f in figures.values():
        total.residents += f.residents
        total.volunteers += f.volunteers
        total.active += f.active
        total.serving += f.serving
    months = list(range(1, 13))
    # Hours per month by team and by grid from the monthly roll-up (`ServiceMonth`, written with each
    # confirmation): a street's year is at most a few thousand rows, however many records it holds.
    teams: dict[Any, list[float]] = defaultdict(lambda: [0.0] * 12)
    gridded: dict[Any, list[float]] = defaultdict(lambda: [0.0] * 12)
    for month, team_id, grid_id, m in (
        ServiceMonth.objects.filter(community_id__in=list(figures), month__gte=start, month__lte=end)
        .exclude(records=0)
        .order_by()
        .values_list("month", "team", "grid", "minutes")
    ):
        hours = m / 60
        teams[team_id or None][month.month - 1] += hours
        gridded[grid_id or None][month.month - 1] += hours
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


# --- target residents and houses (服务对象) -------------------------------------------------------


@dataclass(frozen=True)
class TargetRow:
    """A resident or a house an activity serves, as the picker and the pages show it: no identity number,
    no phone; `label` is the name (masked for volunteers) or the house, `place` the house it is in."""

    kind: str  # "resident" | "house"
    pk: int
    label: str
    place: str
    detail: str = ""


TARGET_LIMIT = 20


def _house_labels(house_ids: set[int]) -> dict[int, str]:
    rows = House.objects.filter(pk__in=house_ids).values_list(
        "pk", "building__number", "entrance__number", "room_number"
    )
    return {pk: house_label(b, e, r) for pk, b, e, r in rows}


def _age(born: date | None, today: date) -> str:
    if born is None:
        return ""
    years = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    return f"{years}岁"


def target_rows(
    resident_ids: Iterable[int], house_ids: Iterable[int], *, masked: bool = False
) -> list[TargetRow]:
    """Rows for targets already chosen (ids the caller read through the user's scope or the activity):
    residents first, by name, then houses. `masked` for volunteers: 张*丰 and the house, nothing else."""
    from django.utils import timezone

    today = timezone.localdate()
    residents = list(
        Resident.objects.filter(pk__in=list(resident_ids))
        .order_by("name_pinyin", "pk")
        .values_list("pk", "name", "house_id", "birth_date")
    )
    houses = list(house_ids)
    labels = _house_labels({h for _, _, h, _ in residents if h} | set(houses))
    rows = [
        TargetRow(
            "resident",
            pk,
            mask_name(name) if masked else name,
            labels.get(house or 0, ""),
            "" if masked else _age(born, today),
        )
        for pk, name, house, born in residents
    ]
    rows += sorted(
        (TargetRow("house", pk, labels[pk], labels[pk]) for pk in houses if pk in labels),
        key=lambda r: r.label,
    )
    return rows


def target_search(user: User, community: Area, query: str) -> list[TargetRow]:
    """Residents and houses of `community` in `user`'s scope matching a name (characters, pinyin or
    initials) or a door number (3-2-501 or 3-501: the house and the people living in it), at most
    TARGET_LIMIT each. Digits of identity numbers or phones are refused: choosing whom an activity serves
    needs a name or an address, not a search that would confirm a number."""
    q = normalise.text(query).replace(" ", "")
    kind = query_kind(q)
    if kind == "":
        return []
    if kind in ("digits", "phone"):
        raise DomainError("请按姓名、拼音或门牌（如 3-2-501）查找服务对象。", field="target_q")
    under = subtree_q([community.path], "path")
    residents: QuerySet[Resident] = (
        Resident.objects.visible_to(user)
        .filter(status=ResidentStatus.ACTIVE, grid_id__in=Area.objects.filter(under).values("pk"))
        .order_by()
    )
    house_ids: list[int] = []
    if kind == "place" and (match := ROOM_RE.match(q)):
        houses = House.objects.visible_to(user).filter(
            building__grid_id__in=Area.objects.filter(under).values("pk"),
            building__number=match["building"],
            room_number=match["room"],
        )
        if match["entrance"]:
            houses = houses.filter(entrance__number=match["entrance"])
        house_ids = list(houses.values_list("pk", flat=True)[:TARGET_LIMIT])
        residents = residents.filter(house_id__in=house_ids)
    else:
        residents = registry_search(residents, q)
    found = list(residents.values_list("pk", flat=True)[:TARGET_LIMIT])
    return target_rows(found, house_ids)


def activity_targets(activity_ids: Iterable[int], *, masked: bool = False) -> dict[int, list[TargetRow]]:
    """The targets of several activities ({activity id: rows}) in four queries, for a list of them.
    `masked` for the volunteers' own pages: what they need at the door — 张*丰 and 3-2-501."""
    ids = list(activity_ids)
    residents: dict[int, list[int]] = defaultdict(list)
    houses: dict[int, list[int]] = defaultdict(list)
    for aid, rid in Activity.target_residents.through.objects.filter(activity_id__in=ids).values_list(
        "activity_id", "resident_id"
    ):
        residents[aid].append(rid)
    for aid, hid in Activity.target_houses.through.objects.filter(activity_id__in=ids).values_list(
        "activity_id", "house_id"
    ):
        houses[aid].append(hid)
    rows = {
        (r.kind, r.pk): r
        for r in target_rows(
            {r for rs in residents.values() for r in rs},
            {h for hs in houses.values() for h in hs},
            masked=masked,
        )
    }
    out: dict[int, list[TargetRow]] = {}
    for aid in ids:
        found = [rows[("resident", r)] for r in residents.get(aid, []) if ("resident", r) in rows]
        found += [rows[("house", h)] for h in houses.get(aid, []) if ("house", h) in rows]
        if found:
            out[aid] = found
    return out
