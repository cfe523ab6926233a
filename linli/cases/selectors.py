"""Reads of cases: masking, what a user must do next, possible duplicates, indicators."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from django.db import connection
from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils import timezone

from linli.accounts.roles import Capability
from linli.areas.models import Area
from linli.cases import routing, services
from linli.cases.models import (
    OPEN_STATUSES,
    Case,
    CaseEvent,
    ExtensionRequest,
    Notification,
    Satisfaction,
    Status,
)
from linli.core.audit import Action, audit_record
from linli.core.db import count_upto
from linli.core.errors import Forbidden
from linli.registry.idnumber import mask_phone

if TYPE_CHECKING:
    from linli.accounts.models import User


def may_reveal_reporter(user: User, case: Case) -> bool:
    """Leaders and admins may; so may the people who must call the reporter back (need to know)."""
    return (
        user.can(Capability.REVEAL_PERSONAL)
        or case.first_receiver_id == user.pk
        or services.is_handler(user, case)
    )


def reporter_phone(case: Case, user: User, *, reveal: bool = False) -> str:
    if not reveal:
        return mask_phone(case.reporter_phone) if case.reporter_phone else ""
    if not may_reveal_reporter(user, case):
        raise Forbidden("您无权查看反映人的完整电话。")
    audit_record(actor=user, action=Action.REVEAL, obj=case, changes={"fields": ["reporter_phone"]})
    return case.reporter_phone


def answers(case: Case) -> list[tuple[str, str]]:
    """The category's questions with this case's answers, choice keys shown by their names."""
    out = []
    for q in case.category.questions:
        value = case.attributes.get(q["code"])
        if value in (None, "", []):
            continue
        names = {v["key"]: v["name"] for v in q.get("values", [])}
        values = value if isinstance(value, list) else [value]
        out.append((q.get("label") or q["code"], "、".join(str(names.get(str(v), v)) for v in values)))
    return out


def history(case: Case) -> list[CaseEvent]:
    """The case's events, oldest first, each with `who`: the person's name and role ("梁建华（网格员）"),
    read from the user where the event has one, so histories written before names were recorded
    (or by the demo) show names too."""
    events = list(CaseEvent.objects.filter(case=case).select_related("actor").order_by("at", "id"))
    for event in events:
        event.who = services.person_label(event.actor) if event.actor else event.actor_label  # type: ignore[attr-defined]
    return events


# --- what a user can do on a case ---------------------------------------------------------

A = CaseEvent.Action


def available_actions(case: Case, user: User) -> list[str]:
    """The moves this user may make now, in the order the page offers them."""
    if not user.can(Capability.WRITE) or not case.is_open and case.status != Status.CLOSED:
        return []
    dispatcher = user.can(Capability.DISPATCH)
    handler = services.is_handler(user, case) or user.can(Capability.SUPERVISE)
    verifier = dispatcher and case.handler_id != user.pk
    # The usual next step first (the page shows it open); the exceptional moves after it.
    offer = {
        A.REGISTER: dispatcher,
        A.DISPATCH: dispatcher,
        A.ACCEPT: handler,
        A.FINISH: handler,
        A.VERIFY: verifier,
        A.PASS: verifier,
        A.FOLLOW_UP: dispatcher,
        A.REWORK: verifier,
        A.RETURN: handler,
        A.EXTENSION_REQUEST: handler,
        A.REJECT: dispatcher,
        A.MERGE: dispatcher,
        A.REOPEN: dispatcher,
    }
    # One follow-up per case: once the resident was asked, the form is gone (reopening clears it).
    offer[A.FOLLOW_UP] = offer[A.FOLLOW_UP] and case.followed_up_at is None
    return [action for action, ok in offer.items() if ok and case.status in services.TRANSITIONS[action][0]]


def filter_cases(
    qs: QuerySet[Case],
    *,
    search: str = "",
    status: str = "",
    category: str = "",
    area: str = "",
    overdue: bool = False,
    channel: str = "",
    alert: str = "",
    start: date | None = None,
    end: date | None = None,
) -> QuerySet[Case]:
    """The list filters the page, its export and the API share. `status` may be "open" for every open
    status; `area` is a code path (its subtree); `alert` is "overdue" (overdue now) or "red" (a red
    card: overdue past the first supervision step); `start`/`end` bound the day received (inclusive)."""
    from linli.core.scoping import scope_q

    term = search.strip()
    if term:
        qs = qs.filter(Q(number__startswith=term) | Q(title__contains=term) | Q(reporter_name=term))
    if status == "open":
        qs = qs.filter(status__in=OPEN_STATUSES)
    elif status:
        qs = qs.filter(status=status)
    if category:
        qs = qs.filter(category__code=category.strip().upper())
    if area:
        # The area's subtree as a subquery of ids, like visible_to (see scoping.scope_q).
        qs = qs.filter(
            scope_q(["/".join(p.strip().upper() for p in area.strip().strip("/").split("/"))], "area__path")
        )
    if channel:
        qs = qs.filter(channel=channel)
    if overdue or alert == "overdue":
        qs = qs.filter(overdue_since__isnull=False, status__in=OPEN_STATUSES)
    elif alert == "red":
        qs = qs.filter(escalation_level__gte=2, status__in=OPEN_STATUSES)
    if start is not None:
        qs = qs.filter(received_at__gte=period_bounds(start, start)[0])
    if end is not None:
        qs = qs.filter(received_at__lt=period_bounds(end, end)[1])
    return qs


def ordered(qs: QuerySet[Case], sort: str = "") -> QuerySet[Case]:
    """Newest first, or by the running stage's deadline: soonest (so the overdue) first. Only cases with a
    running deadline — open ones — have a place in that order, so it lists only them; it then walks
    `case_deadline_list_idx` from the first non-null deadline instead of sorting the scope (a street's
    100,000 cases: 1.2 s with the ended cases sorted last)."""
    if sort == "deadline":
        return qs.filter(stage_due_at__isnull=False, status__in=OPEN_STATUSES).order_by("stage_due_at", "pk")
    return qs.order_by("-received_at", "-pk")


def todo(user: User) -> QuerySet[Case]:
    """Cases waiting for this user: assigned to them or their department, or (for dispatchers)
    waiting to be registered, dispatched, verified or followed up in their scope."""
    handling = [Status.DISPATCHED, Status.HANDLING]
    mine = Q(assignee=user, status__in=handling)
    # The user's departments as ids, not a join through the members table: the join can repeat a
    # case, and the DISTINCT that undid it made every page's 待办 badge count whole case rows
    # (80 ms for a street admin at 100,000 cases).
    if departments := list(user.departments.values_list("pk", flat=True)):
        mine |= Q(department_id__in=departments, status__in=handling)
    if user.can(Capability.DISPATCH):
        mine |= Q(status__in=[Status.RECEIVED, Status.REGISTERED])
        mine |= Q(status__in=[Status.HANDLED, Status.VERIFYING]) & ~Q(handler=user)
    if user.can(Capability.SUPERVISE):
        mine |= Q(pk__in=ExtensionRequest.objects.filter(decision="pending").values("case_id"))
    return Case.objects.visible_to(user).filter(mine).order_by("stage_due_at", "pk")


def inbox_counts(user: User, *, upto: int | None = None) -> dict[str, int]:
    """What waits for `user`: cases to do and unread notifications. With `upto`, each count stops
    after `upto` + 1 rows (a badge says "99+"; a street admin's exact 待办 count reads ~18,000 cases)."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if upto is None:
        return {"todo": todo(user).count(), "unread": unread.count()}
    return {"todo": count_upto(todo(user), upto), "unread": count_upto(unread, upto)}


# --- duplicates -----------------------------------------------------------------------------

DUPLICATE_RADIUS_M = 50
DUPLICATE_DAYS = 7


def possible_duplicates(case: Case, user: User) -> list[Case]:
    """Open cases of the same category near this one (same building, or within 50 m) from the last 7 days."""
    return nearby_duplicates(case, Case.objects.visible_to(user))


def nearby_duplicates(case: Case, among: QuerySet[Case]) -> list[Case]:
    """`possible_duplicates` among any set of cases (the residents' portal counts them street-wide and shows
    only how many, never which)."""
    if case.status not in (Status.RECEIVED, Status.REGISTERED):
        return []
    near = Q(pk__in=[])
    if case.building_id:
        near |= Q(building_id=case.building_id)
    box: tuple[float, float, float, float] | None = None
    if case.latitude is not None and case.longitude is not None:
        lat, lng = float(case.latitude), float(case.longitude)
        dlat = DUPLICATE_RADIUS_M / 111_320
        dlng = dlat / max(0.01, math.cos(math.radians(lat)))
        box = (lat - dlat, lat + dlat, lng - dlng, lng + dlng)
        near |= Q(latitude__range=box[:2], longitude__range=box[2:])
    if not case.building_id and box is None:
        return []
    candidates = (
        among.filter(near, category_id=case.category_id, status__in=OPEN_STATUSES)
        .filter(received_at__gte=case.received_at - timedelta(days=DUPLICATE_DAYS))
        .exclude(pk=case.pk)
        .select_related("area")
        .order_by("received_at")[:20]
    )
    found = []
    for other in candidates:
        same_building = case.building_id is not None and other.building_id == case.building_id
        close = False
        if box is not None and other.latitude is not None and other.longitude is not None:
            here = (float(case.latitude or 0), float(case.longitude or 0))
            close = (
                routing.distance_m(*here, float(other.latitude), float(other.longitude)) <= DUPLICATE_RADIUS_M
            )
        if same_building or close:
            found.append(other)
    return found


# --- indicators -------------------------------------------------------------------------------


# Group → (foreign key on Case, the related row's key field, its label field).
GROUPS = {
    "grid": ("area", "path", "name"),
    "worker": ("assignee", "username", "full_name"),
    "department": ("department", "code", "name"),
    "category": ("category", "code", "name"),
}
GROUP_LABELS = {"grid": "网格", "worker": "处置人", "department": "职能部门", "category": "类别"}


@dataclass
class IndicatorRow:
    key: str
    label: str
    received: int = 0
    registered: int = 0
    due: int = 0
    deferred: int = 0
    on_time: int = 0
    closed: int = 0
    handled: int = 0
    rework: int = 0
    dispatched: int = 0
    returned: int = 0
    followed_up: int = 0
    satisfied: int = 0
    ever_overdue: int = 0
    overdue_now: int = 0
    mean_handling_hours: float | None = None
    rates: dict[str, float | None] = field(default_factory=dict)

    def compute_rates(self) -> None:
        def ratio(a: int, b: int) -> float | None:
            return round(a / b, 4) if b else None

        self.rates = {
            "on_time_rate": ratio(self.on_time, self.due - self.deferred),
            "closure_rate": ratio(self.closed, self.registered),
            "rework_rate": ratio(self.rework, self.handled),
            "return_rate": ratio(self.returned, self.dispatched),
            "satisfaction_rate": ratio(self.satisfied, self.followed_up),
        }


INDICATOR_TITLES = [
    ("received", "受理数"),
    ("registered", "立案数"),
    ("due", "应结案数"),
    ("deferred", "缓办数"),
    ("on_time", "按期结案数"),
    ("on_time_rate", "按期结案率"),
    ("closed", "结案数"),
    ("closure_rate", "结案率"),
    ("rework_rate", "返工率"),
    ("return_rate", "退单率"),
    ("satisfaction_rate", "满意率"),
    ("mean_handling_hours", "平均办结时长（小时）"),
    ("ever_overdue", "超期数"),
    ("overdue_now", "当前超期"),
]


def indicators(
    cases: QuerySet[Case], *, group: str, start: datetime, end: datetime, now: datetime | None = None
) -> tuple[list[IndicatorRow], IndicatorRow]:
    """Indicators of the cases received in [start, end), per group, and the total.

    应结案数 counts registered cases that are closed or whose closing deadline has passed;
    缓办数 those of them with an approved extension; 按期结案率 = 按期结案数 ÷ (应结案数 − 缓办数).
    """
    if group not in GROUPS:
        raise ValueError(f"unknown group {group}")
    now = now or timezone.now()
    fk, key, label = GROUPS[group]
    cohort = cases.filter(received_at__gte=start, received_at__lt=end)
    registered = Q(registered_at__isnull=False) & ~Q(status__in=[Status.REJECTED, Status.MERGED])
    due = registered & (Q(status=Status.CLOSED) | Q(close_due_at__lte=now))
    not_deferred = due & Q(extended=False)
    measures = {
        "received": Count("pk"),
        "registered": Count("pk", filter=registered),
        "due": Count("pk", filter=due),
        "deferred": Count("pk", filter=due & Q(extended=True)),
        "on_time": Count(
            "pk", filter=not_deferred & Q(status=Status.CLOSED, closed_at__lte=F("close_due_at"))
        ),
        "closed": Count("pk", filter=Q(status=Status.CLOSED)),
        "handled": Count("pk", filter=Q(handled_at__isnull=False) | Q(rework_count__gt=0)),
        "rework": Count("pk", filter=Q(rework_count__gt=0)),
        "dispatched": Count("pk", filter=Q(dispatched_at__isnull=False)),
        "returned": Count("pk", filter=Q(return_count__gt=0)),
        "followed_up": Count("pk", filter=~Q(satisfaction="")),
        "satisfied": Count("pk", filter=Q(satisfaction__in=[Satisfaction.SATISFIED, Satisfaction.BASICALLY])),
        "ever_overdue": Count("pk", filter=Q(was_overdue=True)),
        "overdue_now": Count("pk", filter=Q(overdue_since__isnull=False, status__in=OPEN_STATUSES)),
        "timed": Count("pk", filter=Q(status=Status.CLOSED, closed_at__isnull=False)),
        "handling_seconds": Sum("handling_seconds", filter=Q(status=Status.CLOSED)),
    }
    # One GROUP BY pass over the cases alone, by the foreign key: joining the group's table to group by
    # its name made SQLite loop over that table and re-read the cases once per row of it. The total is
    # the sum of the groups (every case of the cohort is in one), not a second pass over the same rows.
    grouped = list(cohort.order_by().values(f"{fk}_id").annotate(**measures))
    related: Any = Case._meta.get_field(fk).related_model
    ids = [v[f"{fk}_id"] for v in grouped if v[f"{fk}_id"] is not None]
    names = {
        pk: (k, n) for pk, k, n in related._base_manager.filter(pk__in=ids).values_list("pk", key, label)
    }
    if fk == "area":  # every community has a 第一网格: name grids with their community
        qualified = Area.qualified_names(names.values())
        names = {pk: (path, qualified[path]) for pk, (path, _) in names.items()}
    rows: list[IndicatorRow] = []
    sums = dict.fromkeys(COUNTED, 0) | {"timed": 0, "handling_seconds": 0.0}
    for values in grouped:
        row_key, row_label = names.get(values[f"{fk}_id"], ("", ""))
        row = IndicatorRow(key=row_key or "", label=row_label or row_key or "（未派遣）")
        _fill(row, values)
        rows.append(row)
        for name in sums:
            sums[name] += values[name] or 0
    rows.sort(key=lambda r: (r.key == "", r.key))
    total = IndicatorRow(key="", label="合计")
    _fill(total, sums)
    return rows, total


@dataclass(frozen=True)
class SummaryNames:
    areas: dict[int, tuple[str, str]]  # id → (path, qualified name: "锦绣社区 · 第一网格")
    categories: dict[int, tuple[str, str]]  # id → (code, name)
    users: dict[int, str]  # id → username
    departments: dict[int, str]  # id → code


SUMMARY_LOOKUPS = (
    ("area", "path", "name"),
    ("category", "code", "name"),
    ("assignee", "username", None),
    ("department", "code", None),
)


def _column(meta: Any, field: str) -> str:
    return str(connection.ops.quote_name(meta.get_field(field).column))


def summary_names(rows: list[dict[str, Any]]) -> SummaryNames:
    """The names a page of case rows (with area_id, category_id, assignee_id, department_id) shows,
    in one query: a UNION ALL of the lookups by id. Written out, not composed with the ORM: composing
    the four querysets cost 0.85 ms a page on SQLite, more than the joins it replaces.

    Areas come with their qualified names (`Area.qualified_names`): the same query reads the
    communities that are parents of the page's areas, which is where a grid's community is. Only a
    grid under another grid needs a second look, by path.
    """
    sql, params = [], []
    for fk, key, label in SUMMARY_LOOKUPS:
        ids = sorted({r[f"{fk}_id"] for r in rows} - {None})
        if not ids:
            continue
        meta: Any = Case._meta.get_field(fk).related_model._meta  # type: ignore[union-attr]
        pk, table = _column(meta, meta.pk.name), connection.ops.quote_name(meta.db_table)
        second = _column(meta, label) if label else "''"
        third = _column(meta, "kind") if fk == "area" else "''"
        marks = ", ".join(["%s"] * len(ids))
        sql.append(
            f"SELECT '{fk}', {pk}, {_column(meta, key)}, {second}, {third} FROM {table}"  # noqa: S608  (names are ours)
            f" WHERE {pk} IN ({marks})"
        )
        params += ids
        if fk == "area":
            parent, kind = _column(meta, "parent"), _column(meta, "kind")
            sql.append(
                f"SELECT 'community', {pk}, {_column(meta, key)}, {second}, '' FROM {table}"  # noqa: S608
                f" WHERE {kind} = %s AND {pk} IN (SELECT {parent} FROM {table} WHERE {pk} IN ({marks}))"
            )
            params += [Area.Kind.COMMUNITY, *ids]
    found: dict[str, dict[int, tuple[str, str, str]]] = {
        fk: {} for fk in [*(fk for fk, _, _ in SUMMARY_LOOKUPS), "community"]
    }
    if sql:
        with connection.cursor() as cursor:
            cursor.execute(" UNION ALL ".join(sql), params)
            for fk, pk, key, label, kind in cursor.fetchall():
                found[fk][pk] = (key, label, kind)
    communities = {path: name for path, name, _ in found["community"].values()}
    # A grid whose community is not its parent (a grid within a grid) is named the slow way.
    unplaced = [
        (path, name)
        for path, name, kind in found["area"].values()
        if kind == Area.Kind.GRID and not Area.community_among_ancestors(path, communities)
    ]
    qualified = Area.qualified_names(unplaced) if unplaced else {}
    for path, name, _ in found["area"].values():
        qualified.setdefault(path, Area.label(path, name, communities))
    return SummaryNames(
        areas={pk: (path, qualified[path]) for pk, (path, _, _) in found["area"].items()},
        categories={pk: (key, label) for pk, (key, label, _) in found["category"].items()},
        users={pk: key for pk, (key, _, _) in found["assignee"].items()},
        departments={pk: key for pk, (key, _, _) in found["department"].items()},
    )


COUNTED = (
    "received", "registered", "due", "deferred", "on_time", "closed", "handled", "rework",
    "dispatched", "returned", "followed_up", "satisfied", "ever_overdue", "overdue_now",
)  # fmt: skip


def _fill(row: IndicatorRow, values: dict[str, Any]) -> None:
    for name in COUNTED:
        setattr(row, name, values[name] or 0)
    if values["timed"]:
        row.mean_handling_hours = round(float(values["handling_seconds"]) / values["timed"] / 3600, 1)
    row.compute_rates()


def indicator_value(row: IndicatorRow, name: str) -> Any:
    if name in row.rates:
        return row.rates[name]
    return getattr(row, name)


def indicator_text(row: IndicatorRow, name: str) -> str:
    value = indicator_value(row, name)
    if value is None:
        return "—"
    if name.endswith("_rate"):
        return f"{value * 100:.1f}%"
    return str(value)


def period_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """[start 00:00, the day after end 00:00) in local time."""
    tz = timezone.get_current_timezone()
    return (
        timezone.make_aware(datetime.combine(start, time.min), tz),
        timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min), tz),
    )
