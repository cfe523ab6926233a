"""Reads of assessment: progress, scores (with Wilson intervals), measured indicators, the year's roll-up,
the pay spread and the departments' results."""

from __future__ import annotations

import builtins
import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Q

from linli.assessment.models import (
    GRADE_POINTS,
    CaseReview,
    DepartmentReview,
    Duty,
    EntryState,
    Grade,
    Rating,
    Round,
    RoundKind,
    RoundStatus,
    RoundWorker,
    SampleEntry,
    Validity,
    Weighting,
    WorkerProfile,
)
from linli.core.scoping import subtree_q

if TYPE_CHECKING:
    from linli.accounts.models import User

Z95 = 1.959964


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float] | None:
    """Wilson score interval for a proportion: sound for small n and for shares near 0 or 1, where the
    normal approximation would claim certainty a sample of 30 does not have."""
    if n <= 0:
        return None
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass
class Progress:
    worker_id: int
    name: str
    frame: int = 0
    invited: int = 0  # invited, sent, responded or not responding: everyone who was asked
    sent: int = 0
    responded: int = 0
    no_response: int = 0
    reserves: int = 0

    @property
    def response_rate(self) -> float | None:
        asked = self.invited
        return self.responded / asked if asked else None


def progress(round: Round, worker_id: int | None = None) -> list[Progress]:
    only = {} if worker_id is None else {"worker_id": worker_id}
    members = (
        RoundWorker.objects.filter(round=round, **only)
        .select_related("worker")
        .order_by("worker__full_name", "worker_id")
    )
    rows = {m.worker_id: Progress(m.worker_id, m.worker.display_name, frame=m.frame_size) for m in members}
    for item in (
        SampleEntry.objects.filter(round=round, **only).values("worker_id", "state").annotate(n=Count("pk"))
    ):
        row = rows.get(item["worker_id"])
        if row is None:
            continue
        n, state = item["n"], item["state"]
        if state == EntryState.RESERVE:
            row.reserves += n
        else:
            row.invited += n
        if state == EntryState.SENT:
            row.sent += n
        elif state == EntryState.RESPONDED:
            row.responded += n
        elif state == EntryState.NO_RESPONSE:
            row.no_response += n
    return list(rows.values())


@dataclass
class Indicators:
    on_time_rate: float | None = None  # cases assigned to the worker, closed on time
    rework_rate: float | None = None
    visit_coverage: float | None = None  # the worker's visit targets visited in the period
    mandatory_on_time: float | None = None  # 八必访 done by their deadline

    def score(self) -> float | None:
        parts = [
            v
            for v in (
                self.on_time_rate,
                None if self.rework_rate is None else 1 - self.rework_rate,
                self.visit_coverage,
                self.mandatory_on_time,
            )
            if v is not None
        ]
        return round(100 * sum(parts) / len(parts), 1) if parts else None


def measured(round: Round, worker_ids: list[int]) -> dict[int, Indicators]:
    """What the other modules measured of each worker in the round's period (cases, visits)."""
    from linli.cases.models import Case
    from linli.cases.selectors import indicators, period_bounds
    from linli.visits.models import TaskStatus, Visit, VisitTarget, VisitTask

    out = {w: Indicators() for w in worker_ids}
    start, end = period_bounds(round.period_start, round.period_end)
    cases = Case.objects.filter(subtree_q([round.area.path], "area__path"), assignee_id__in=worker_ids)
    rows, _ = indicators(cases, group="worker", start=start, end=end)
    from linli.accounts.models import User

    by_username = dict(User.objects.filter(pk__in=worker_ids).values_list("username", "pk"))
    for row in rows:
        pk = by_username.get(row.key)
        if pk is not None:
            out[pk].on_time_rate = row.rates.get("on_time_rate")
            out[pk].rework_rate = row.rates.get("rework_rate")
    targets = VisitTarget.objects.filter(visitor_id__in=worker_ids).values("visitor_id", "resident_id")
    per_worker: dict[int, set[int]] = {}
    for t in targets:
        per_worker.setdefault(t["visitor_id"], set()).add(t["resident_id"])
    if per_worker:
        visited: dict[int, set[int]] = {}
        for v in Visit.objects.filter(
            visitor_id__in=list(per_worker),
            visited_on__gte=round.period_start,
            visited_on__lte=round.period_end,
        ).values("visitor_id", "resident_id"):
            visited.setdefault(v["visitor_id"], set()).add(v["resident_id"])
        for worker, residents in per_worker.items():
            out[worker].visit_coverage = round_(len(residents & visited.get(worker, set())) / len(residents))
    for task_counts in (
        VisitTask.objects.filter(assignee_id__in=worker_ids, due_at__gte=start, due_at__lt=end)
        .exclude(status=TaskStatus.CANCELLED)
        .values("assignee_id")
        .annotate(
            n=Count("pk"), ok=Count("pk", filter=Q(status=TaskStatus.DONE, done_at__lte=models_f("due_at")))
        )
    ):
        task_row: dict[str, Any] = dict(task_counts)
        if task_row["n"]:
            out[task_row["assignee_id"]].mandatory_on_time = round_(task_row["ok"] / task_row["n"])
    return out


def models_f(name: str) -> Any:
    from django.db.models import F

    return F(name)


def round_(value: float) -> float:
    return round(value, 4)


@dataclass
class WorkerScore:
    worker_id: int
    name: str
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(Grade.values, 0))
    valid: int = 0
    invalid_no_reason: int = 0
    invalid_untrue: int = 0
    invited: int = 0
    responded: int = 0
    frame: int = 0
    ci: tuple[float, float] | None = None
    resident_score: float | None = None
    indicators: Indicators = field(default_factory=Indicators)
    indicator_score: float | None = None
    street_score: float | None = None
    peer_score: float | None = None
    combined: float | None = None
    parts: list[tuple[str, float]] = field(default_factory=list)  # (label, score) of rounds rolled up
    member_id: int | None = None  # the RoundWorker row (for the street's and peers' scores form)

    def share(self, grade: str) -> float | None:
        return self.counts[grade] / self.valid if self.valid else None

    @property
    def good_share(self) -> float | None:
        return (self.counts[Grade.EXCELLENT] + self.counts[Grade.GOOD]) / self.valid if self.valid else None

    @property
    def response_rate(self) -> float | None:
        return self.responded / self.invited if self.invited else None

    @property
    def shares(self) -> dict[str, float | None]:
        return {g: self.share(g) for g in Grade.values}

    @property
    def bars(self) -> list[tuple[str, int]]:
        """(grade label, % of valid ratings) in grade order, for the results' bars."""
        return [(Grade(g).label, round(100 * (self.share(g) or 0))) for g in Grade.values]

    @property
    def percent(self) -> dict[str, int]:
        return {g: round(100 * (self.share(g) or 0)) for g in Grade.values}


def combine(score: WorkerScore, weighting: Weighting) -> float | None:
    """Weighted sum of the parts present; the weights of missing parts are spread over the others in
    proportion (a worker with no cases is not punished for the indicators' absence)."""
    parts = [
        (weighting.residents, score.resident_score),
        (weighting.indicators, score.indicator_score),
        (weighting.street, score.street_score),
        (weighting.peers, score.peer_score),
    ]
    present = [(w, v) for w, v in parts if v is not None and w > 0]
    total = sum(w for w, _ in present)
    if not total:
        return None
    return round(sum(w * v for w, v in present) / total, 1)


def scores(round: Round, worker_id: int | None = None) -> list[WorkerScore]:
    """Per worker of the round: counts and shares of valid ratings, invalid ones apart, response rate,
    Wilson 95% interval for 优+良, the residents' score, the measured indicators and the combined score.
    A year round adds the closed quarters and one-off tasks of its year (see `year_parts`). `worker_id`: that
    worker's row alone (their own page), without computing everyone's."""
    from linli.assessment.services import weighting_for

    weighting = weighting_for(round.area)
    only = {} if worker_id is None else {"worker_id": worker_id}
    members = list(
        RoundWorker.objects.filter(round=round, **only)
        .select_related("worker")
        .order_by("worker__full_name", "worker_id")
    )
    out = {
        m.worker_id: WorkerScore(
            m.worker_id,
            m.worker.display_name,
            frame=m.frame_size,
            street_score=float(m.street_score) if m.street_score is not None else None,
            peer_score=float(m.peer_score) if m.peer_score is not None else None,
            member_id=m.pk,
        )
        for m in members
    }
    for item in (
        Rating.objects.filter(round=round, **only)
        .values("worker_id", "grade", "validity")
        .annotate(n=Count("pk"))
    ):
        s = out.get(item["worker_id"])
        if s is None:
            continue
        if item["validity"] == Validity.VALID:
            s.counts[item["grade"]] += item["n"]
            s.valid += item["n"]
        elif item["validity"] == Validity.NO_REASON:
            s.invalid_no_reason += item["n"]
        else:
            s.invalid_untrue += item["n"]
    for p in progress(round, worker_id):
        if p.worker_id in out:
            out[p.worker_id].invited, out[p.worker_id].responded = p.invited, p.responded
    indicators = measured(round, list(out))
    for worker, s in out.items():
        if s.valid:
            s.ci = wilson(s.counts[Grade.EXCELLENT] + s.counts[Grade.GOOD], s.valid)
            s.resident_score = builtins.round(
                sum(GRADE_POINTS[Grade(g)] * n for g, n in s.counts.items()) / s.valid, 1
            )
        s.indicators = indicators[worker]
        s.indicator_score = s.indicators.score()
        s.combined = combine(s, weighting)
    if round.kind == RoundKind.YEAR:
        for worker, parts in year_parts(round, worker_id).items():
            s = out.get(worker)
            if s is None:
                continue
            s.parts = parts
            values = [v for _, v in parts] + ([s.combined] if s.combined is not None else [])
            s.combined = builtins.round(sum(values) / len(values), 1) if values else None
    return list(out.values())


def year_parts(round: Round, worker_id: int | None = None) -> dict[int, list[tuple[str, float]]]:
    """The closed quarter and one-off-task rounds of the same area ending in the year round's period:
    each worker's combined score in each ("季度考核和年度考核相结合"; one-off tasks "列入年度考核")."""
    parts: dict[int, list[tuple[str, float]]] = {}
    rounds = Round.objects.filter(
        area=round.area,
        status=RoundStatus.CLOSED,
        kind__in=[RoundKind.QUARTER, RoundKind.TASK],
        period_end__gte=round.period_start,
        period_end__lte=round.period_end,
    ).order_by("period_end", "pk")
    for r in rounds:
        for s in scores(r, worker_id):
            if s.combined is not None:
                parts.setdefault(s.worker_id, []).append((r.title, s.combined))
    return parts


@dataclass
class Award:
    worker_id: int
    name: str
    score: float | None
    base_pay: Decimal | None
    assessed_part: Decimal | None = None
    award: Decimal | None = None
    income: Decimal | None = None


@dataclass
class PaySpread:
    awards: list[Award]
    assessed_share: int
    floor_score: int
    spread: Decimal | None = None  # best − worst income
    spread_percent: float | None = None  # of the mean annual income of the two
    target_low: int = 20
    target_high: int = 30

    @property
    def on_target(self) -> bool | None:
        if self.spread_percent is None:
            return None
        return self.target_low <= self.spread_percent <= self.target_high


def pay_spread(round: Round, worker_scores: list[WorkerScore] | None = None) -> PaySpread:
    """Annual income = the fixed part (1 − share) of base pay + the assessed part × factor, where the factor
    runs linearly from 0 at the street's floor score to 1 at 100. Today's practice (a flat 20% share, at
    most 40% of it apart) keeps the spread under 8%; the page shows where the street's rule lands."""
    from linli.assessment.services import weighting_for

    weighting = weighting_for(round.area)
    worker_scores = worker_scores if worker_scores is not None else scores(round)
    pay = dict(
        WorkerProfile.objects.filter(user_id__in=[s.worker_id for s in worker_scores]).values_list(
            "user_id", "base_annual_pay"
        )
    )
    share = Decimal(weighting.assessed_share) / 100
    floor = weighting.floor_score
    awards = []
    for s in worker_scores:
        a = Award(s.worker_id, s.name, s.combined, pay.get(s.worker_id))
        if a.base_pay is not None and s.combined is not None:
            factor = Decimal(str(max(0.0, min(1.0, (s.combined - floor) / (100 - floor)))))
            a.assessed_part = (a.base_pay * share).quantize(Decimal(1))
            a.award = (a.assessed_part * factor).quantize(Decimal(1))
            a.income = a.base_pay - a.assessed_part + a.award
        awards.append(a)
    result = PaySpread(awards, weighting.assessed_share, floor)
    priced = sorted(
        (a for a in awards if a.income is not None and a.score is not None), key=lambda a: a.score or 0
    )
    if len(priced) >= 2:
        worst, best = priced[0], priced[-1]
        best_income, worst_income = best.income or Decimal(0), worst.income or Decimal(0)
        result.spread = best_income - worst_income
        mean = (best_income + worst_income) / 2
        result.spread_percent = builtins.round(float(result.spread / mean) * 100, 1) if mean else None
    return result


@dataclass
class DepartmentResult:
    department_id: int
    name: str
    cases: int = 0
    on_time: int = 0
    wrongly_returned: int = 0
    grades: dict[str, str] = field(default_factory=dict)  # basis → grade label


def department_results(user: User | None, round: Round | None = None) -> list[DepartmentResult]:
    """Per department: the communities' case-level reviews (in the round's period, if given) and the round's
    ratings against the two lists and the agreements. A department handler sees their departments only."""
    from linli.accounts.roles import Capability
    from linli.cases.models import Department

    reviews = CaseReview.objects.all()
    departments = Department.objects.all()
    if user is not None:
        if user.can(Capability.READ_SCOPE):
            reviews = CaseReview.objects.visible_to(user)
            departments = departments.filter(pk__in=reviews.values("department_id")) | departments.filter(
                subtree_q(user.scope_paths(), "area__path")
            )
        else:
            mine = list(user.departments.values_list("pk", flat=True))
            reviews = reviews.filter(department_id__in=mine)
            departments = departments.filter(pk__in=mine)
    if round is not None:
        from linli.cases.selectors import period_bounds

        start, end = period_bounds(round.period_start, round.period_end)
        reviews = reviews.filter(at__gte=start, at__lt=end)
    rows = {d.pk: DepartmentResult(d.pk, d.name) for d in departments.distinct().order_by("code")}
    for item in reviews.values("department_id").annotate(
        n=Count("pk"),
        ok=Count("pk", filter=Q(on_time=True)),
        bad=Count("pk", filter=Q(wrongly_returned=True)),
    ):
        row = rows.get(item["department_id"])
        if row:
            row.cases, row.on_time, row.wrongly_returned = item["n"], item["ok"], item["bad"]
    if round is not None:
        for review in DepartmentReview.objects.filter(round=round, department_id__in=list(rows)):
            rows[review.department_id].grades[review.basis] = review.get_grade_display()
    return list(rows.values())


def department_round_reviews(user: User | None, department_ids: list[int]) -> list[DepartmentReview]:
    """The communities' ratings of these departments against the two lists and the agreements, in rounds
    that have closed (the departments' side of 政社互动: they read how they were rated, not who is rating
    while a round runs). The rater is the community, named by the round's area."""
    return list(
        DepartmentReview.objects.filter(department_id__in=department_ids, round__status=RoundStatus.CLOSED)
        .select_related("department", "round", "round__area")
        .order_by("-round__period_end", "department__name", "basis")[:200]
    )


def published_duties(user: User) -> list[Duty]:
    """The lists that apply to the user: those published by the areas above them (the street's list binds
    its communities' and grids' workers) and within their scope. Everyone assessed may read the standard
    they are assessed by; editing stays with `assess` over the publishing area."""
    paths = user.scope_paths()
    if not paths:
        return []
    above = {"/".join(p.split("/")[: i + 1]) for p in paths for i in range(p.count("/") + 1)}
    return list(
        Duty.objects.filter(Q(area__path__in=above) | subtree_q(paths, "area__path"))
        .select_related("area", "department")
        .order_by("kind", "role", "pk")
    )
