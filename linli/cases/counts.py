"""The cases' running counts (`CaseCount`, core/running_counts.py): per area and month of receipt (UTC), the
cases received, closed, closed on time, closed with a deadline that counts (registered, not extended), followed
up and satisfied — kept by database triggers, read by the dashboards' 12-month trend and the community profile's
year.

Counting a street's 100,000 cases for the year after every case write cost ~115 ms of CPU on SQLite (the
profile) and the trend ~30–45 ms; the counts are a row per area, month and kind.

Local months are not UTC months: a local month [a, b) is the kept UTC months between the UTC month starts
nearest to a and to b (for a bound not yet reached, the one after it), corrected by counting live the cases
between each bound and its month start (`_corrections`): exact for any time zone, and the live part is an
index range of hours.

What moves with the clock alone is counted live too: open cases whose closing deadline has passed count as due
(`due_open`), as in `selectors.indicators`.
"""

# ruff: noqa: S608  (statements are built from the table's own column names, never from input)

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING

from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from linli.core.running_counts import RunningCounts, sqlite_add, sqlite_sub

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from linli.accounts.models import User
    from linli.cases.models import Case, CaseCount

TABLE, C = "cases_casecount", "cases_case"
COLUMNS = (
    "area_id",
    "received_at",
    "status",
    "registered_at",
    "extended",
    "closed_at",
    "close_due_at",
    "satisfaction",
)


def _kinds(x: str, vendor: str) -> dict[str, str]:
    """Each kept kind and the condition on case row `x` under which the case counts for it."""
    not_extended = f"{x}.extended = 0" if vendor == "sqlite" else f"NOT {x}.extended"
    closed_due = f"{x}.status = 'closed' AND {x}.registered_at IS NOT NULL AND {not_extended}"
    return {
        "received": "1 = 1",
        "closed": f"{x}.status = 'closed'",
        # registered, closed and not extended: the closed part of 应结案数 − 缓办数
        "closed_due": closed_due,
        "on_time": f"{closed_due} AND {x}.closed_at <= {x}.close_due_at",
        "followed_up": f"{x}.satisfaction <> ''",
        "satisfied": f"{x}.satisfaction IN ('satisfied', 'basically')",
    }


def _month(x: str, vendor: str) -> str:
    # SQLite keeps datetimes as UTC text (YYYY-MM-DD HH:MM:SS…); PostgreSQL as timestamptz.
    return (
        f"substr({x}.received_at, 1, 7)"
        if vendor == "sqlite"
        else f"to_char({x}.received_at AT TIME ZONE 'UTC', 'YYYY-MM')"
    )


def _direct(vendor: str) -> str:
    return " UNION ALL ".join(
        f"SELECT c.area_id, '{kind}', {_month('c', vendor)}, COUNT(*) FROM {C} c WHERE {cond} "
        f"GROUP BY c.area_id, {_month('c', vendor)}"
        for kind, cond in _kinds("c", vendor).items()
    )


def _sqlite_triggers() -> dict[str, str]:
    def changes(row: str, sign: str) -> str:
        step = sqlite_add if sign == "+" else sqlite_sub
        return "".join(
            step(TABLE, "area_id", f"{row}.area_id", kind, _month(row, "sqlite"), cond=cond)
            for kind, cond in _kinds(row, "sqlite").items()
        )

    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in COLUMNS)
    return {
        "insert": f"AFTER INSERT ON {C} BEGIN\n" + changes("NEW", "+"),
        "delete": f"AFTER DELETE ON {C} BEGIN\n" + changes("OLD", "-"),
        "update": f"AFTER UPDATE OF {', '.join(COLUMNS)} ON {C} WHEN {changed} BEGIN\n"
        + changes("OLD", "-")
        + changes("NEW", "+"),
    }


def _pg_rows(table: str, rows: str, sign: str) -> str:
    kinds = ", ".join(f"('{kind}', {cond})" for kind, cond in _kinds("c", "postgresql").items())
    return (
        f"SELECT c.area_id, k.kind, {_month('c', 'postgresql')}, {sign}1 FROM {rows} c "
        f"CROSS JOIN LATERAL (VALUES {kinds}) AS k(kind, yes) WHERE k.yes"
    )


COUNTS = RunningCounts(
    table=TABLE,
    area_col="area_id",
    direct_sql=_direct,
    writers=(C,),
    sqlite=_sqlite_triggers,
    postgres={C: ("INSERT", "DELETE", "UPDATE")},
    rows=_pg_rows,
)
mismatches, rebuild, compact = COUNTS.mismatches, COUNTS.rebuild, COUNTS.compact
KEPT = tuple(_kinds("c", "sqlite"))


# --- reading ----------------------------------------------------------------------------------------------


@dataclass
class Period:
    """The kept kinds of the cases received in one period, and those due while still open (live)."""

    counts: dict[str, int] = field(default_factory=dict)
    due_open: int = 0

    def get(self, kind: str) -> int:
        return self.counts.get(kind, 0)

    @property
    def on_time_rate(self) -> float | None:
        """按期结案率, as `IndicatorRow.compute_rates`: on time ÷ (due − deferred)."""
        due = self.get("closed_due") + self.due_open
        return round(self.get("on_time") / due, 4) if due else None

    @property
    def satisfaction_rate(self) -> float | None:
        followed = self.get("followed_up")
        return round(self.get("satisfied") / followed, 4) if followed else None


def _utc_month(t: datetime) -> tuple[int, int]:
    t = t.astimezone(UTC)
    return t.year, t.month


def _month_start(year: int, month: int) -> datetime:
    return datetime(year, month, 1, tzinfo=UTC)


def _next(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


def _nearest(t: datetime, now: datetime) -> tuple[tuple[int, int], datetime]:
    """The UTC month boundary to read `t` from: (the UTC month starting there, its start). The nearest one;
    for a bound not yet reached (the end of this month or year), the one after it: what lies between is
    cases received in the future, an empty index range, where the nearest could be days of cases back."""
    here = _utc_month(t)
    after = _next(*here)
    low, high = _month_start(*here), _month_start(*after)
    return (here, low) if t < now and t - low <= high - t else (after, high)


def periods(
    cases: QuerySet[Case],
    kept_rows: QuerySet[CaseCount],
    bounds: list[datetime],
    *,
    kinds: tuple[str, ...] = (),
    due: bool = False,
) -> list[Period]:
    """The cases received in each [bounds[i], bounds[i+1]) of `cases` (already scoped; `kept_rows` are the
    kept counts of the same scope, see `kept`): `kinds` (default all) from the kept UTC months
    between the boundaries chosen for each bound, plus the cases between each bound and its boundary counted
    live (one query for all bounds); with `due`, the live `due_open` too (for the on-time rate)."""
    kinds = kinds or KEPT
    now = timezone.now()
    edges = [_nearest(t, now) for t in bounds]
    first, last = min(m for m, _ in edges), max(m for m, _ in edges)
    by_month: dict[tuple[int, int], dict[str, int]] = {}
    if first < last:
        rows = (
            kept_rows.filter(kind__in=kinds, key__gte=f"{first[0]:04d}-{first[1]:02d}")
            .filter(key__lt=f"{last[0]:04d}-{last[1]:02d}")
            .order_by()
            .values_list("key", "kind")
            .annotate(total=Sum("n"))
        )
        for key, kind, n in rows:  # one row per (month, kind)
            by_month.setdefault((int(key[:4]), int(key[5:7])), {})[kind] = int(n)
    corrections = _corrections(cases, bounds, [start for _, start in edges], kinds)
    found = []
    for i in range(len(bounds) - 1):
        counts: dict[str, int] = {}
        month = edges[i][0]
        while month < edges[i + 1][0]:
            for kind, n in by_month.get(month, {}).items():
                counts[kind] = counts.get(kind, 0) + n
            month = _next(*month)
        for kind in kinds:
            counts[kind] = counts.get(kind, 0) + corrections[i + 1][kind] - corrections[i][kind]
        found.append(Period(counts, _due_open(cases, bounds[i], bounds[i + 1], now) if due else 0))
    return found


def _corrections(
    cases: QuerySet[Case], bounds: list[datetime], starts: list[datetime], kinds: tuple[str, ...]
) -> list[dict[str, int]]:
    """For each bound, the cases received between its UTC month boundary and it (+ when the bound is after
    the boundary, − before), by kind: one aggregate over the few hours around every bound."""
    from linli.cases.models import Status

    closed_due = Q(status=Status.CLOSED, registered_at__isnull=False, extended=False)
    conditions = {
        "received": Q(),
        "closed": Q(status=Status.CLOSED),
        "closed_due": closed_due,
        "on_time": closed_due & Q(closed_at__lte=F("close_due_at")),
        "followed_up": ~Q(satisfaction=""),
        "satisfied": Q(satisfaction__in=["satisfied", "basically"]),
    }
    ranges = [(min(t, s), max(t, s), 1 if t > s else -1) for t, s in zip(bounds, starts, strict=True)]
    measures, where = {}, Q(pk__in=[])
    for i, (low, high, _) in enumerate(ranges):
        if low == high:
            continue
        span = Q(received_at__gte=low, received_at__lt=high)
        where |= span
        for kind in kinds:
            measures[f"{kind}_{i}"] = Count("pk", filter=span & conditions[kind])
    got = cases.filter(where).order_by().aggregate(**measures) if measures else {}
    return [
        {kind: sign * int(got.get(f"{kind}_{i}") or 0) for kind in kinds}
        for i, (_, _, sign) in enumerate(ranges)
    ]


def _due_open(cases: QuerySet[Case], start: datetime, end: datetime, now: datetime) -> int:
    """Registered cases received in [start, end), not extended, not closed (nor rejected or merged), whose
    closing deadline has passed: the part of 应结案数 − 缓办数 that moves with the clock."""
    from linli.cases.models import OPEN_STATUSES

    return (
        cases.filter(
            received_at__gte=start,
            received_at__lt=end,
            status__in=OPEN_STATUSES,
            registered_at__isnull=False,
            extended=False,
            close_due_at__lte=now,
        )
        .order_by()
        .count()
    )


def kept(user: User, area: str) -> QuerySet[CaseCount]:
    """The kept counts of the areas in `user`'s scope (under `area`, a code path, if given)."""
    from linli.cases.models import CaseCount

    return CaseCount.objects.visible_to(user).under(area)


def local_months(first: date, n: int) -> list[datetime]:
    """The n + 1 bounds of n local months from `first` (the first day of a month)."""
    tz = timezone.get_current_timezone()
    out = []
    year, month = first.year, first.month
    for _ in range(n + 1):
        out.append(timezone.make_aware(datetime.combine(date(year, month, 1), time.min), tz))
        year, month = _next(year, month)
    return out
