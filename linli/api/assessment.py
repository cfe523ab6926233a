"""Assessment in the JSON API: rounds, a round's sample (draw order) and its results.

The same services and selectors as the pages; a worker in an open round cannot read its sample."""

from datetime import date
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema

from linli.accounts.roles import Capability
from linli.api.schemas import ErrorOut
from linli.assessment import selectors
from linli.assessment.models import EntryState, Round, RoundStatus, RoundWorker, SampleEntry
from linli.core.errors import Forbidden
from linli.core.http import acting_user

router = Router(tags=["assessment"])
ERRORS: dict[int, Any] = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut}


class RoundOut(Schema):
    id: int
    area_path: str
    area: str
    kind: str
    title: str
    period_start: date
    period_end: date
    status: str
    min_sample: int
    seed: str
    workers: int


def _round_out(r: Round) -> dict[str, Any]:
    return {
        "id": r.pk,
        "area_path": r.area.path,
        "area": r.area.qualified_name,
        "kind": r.kind,
        "title": r.title,
        "period_start": r.period_start,
        "period_end": r.period_end,
        "status": r.status,
        "min_sample": r.min_sample,
        "seed": r.seed,
        "workers": r.members.count(),
    }


def _round(request: HttpRequest, round_id: int) -> Round:
    user = acting_user(request)
    if not user.can(Capability.ASSESS):
        raise Forbidden()
    return get_object_or_404(Round.objects.visible_to(user).select_related("area"), pk=round_id)


@router.get("/assessment-rounds", response={200: list[RoundOut], **ERRORS})
def round_list(request: HttpRequest) -> Any:
    user = acting_user(request)
    if not user.can(Capability.ASSESS):
        raise Forbidden()
    return [_round_out(r) for r in Round.objects.visible_to(user).select_related("area")[:200]]


@router.get("/assessment-rounds/{round_id}", response={200: RoundOut, **ERRORS})
def round_get(request: HttpRequest, round_id: int) -> Any:
    return _round_out(_round(request, round_id))


class SampleOut(Schema):
    worker_id: int
    worker: str
    rank: int
    grid_path: str
    resident_id: int
    state: str
    replaces_rank: int | None
    service: str


class SampleListOut(Schema):
    round_id: int
    seed: str
    entries: list[SampleOut]


@router.get("/assessment-rounds/{round_id}/sample", response={200: SampleListOut, **ERRORS})
def round_sample(request: HttpRequest, round_id: int) -> Any:
    """Every drawn resident in draw order (reserves included), per worker. Not to a worker of an open round."""
    round_ = _round(request, round_id)
    user = acting_user(request)
    if round_.status == RoundStatus.OPEN and RoundWorker.objects.filter(round=round_, worker=user).exists():
        raise Forbidden("被考核人在考核结束前不能查看抽样名单。")
    entries = (
        SampleEntry.objects.filter(round=round_)
        .select_related("worker", "replaces")
        .order_by("worker_id", "rank")
    )
    return {
        "round_id": round_.pk,
        "seed": round_.seed,
        "entries": [
            {
                "worker_id": e.worker_id,
                "worker": e.worker.display_name,
                "rank": e.rank,
                "grid_path": e.stratum,
                "resident_id": e.resident_id,
                "state": e.state if e.state != EntryState.RESERVE else "reserve",
                "replaces_rank": e.replaces.rank if e.replaces else None,
                "service": e.service_text,
            }
            for e in entries[:5000]
        ],
    }


class ScoreOut(Schema):
    worker_id: int
    worker: str
    excellent: int
    good: int
    fair: int
    poor: int
    valid: int
    invalid_no_reason: int
    invalid_untrue: int
    invited: int
    responded: int
    response_rate: float | None
    good_share: float | None
    good_share_ci_low: float | None
    good_share_ci_high: float | None
    resident_score: float | None
    indicator_score: float | None
    street_score: float | None
    peer_score: float | None
    combined: float | None
    award: float | None
    income: float | None


class ResultsOut(Schema):
    round_id: int
    status: str
    workers: list[ScoreOut]
    pay_spread: float | None
    pay_spread_percent: float | None


@router.get("/assessment-rounds/{round_id}/results", response={200: ResultsOut, **ERRORS})
def round_results(request: HttpRequest, round_id: int) -> Any:
    round_ = _round(request, round_id)
    scores = selectors.scores(round_)
    pay = selectors.pay_spread(round_, scores)
    awards = {a.worker_id: a for a in pay.awards}
    out = []
    for s in scores:
        a = awards[s.worker_id]
        out.append(
            {
                "worker_id": s.worker_id,
                "worker": s.name,
                **{g: s.counts[g] for g in s.counts},
                "valid": s.valid,
                "invalid_no_reason": s.invalid_no_reason,
                "invalid_untrue": s.invalid_untrue,
                "invited": s.invited,
                "responded": s.responded,
                "response_rate": s.response_rate,
                "good_share": s.good_share,
                "good_share_ci_low": s.ci[0] if s.ci else None,
                "good_share_ci_high": s.ci[1] if s.ci else None,
                "resident_score": s.resident_score,
                "indicator_score": s.indicator_score,
                "street_score": s.street_score,
                "peer_score": s.peer_score,
                "combined": s.combined,
                "award": float(a.award) if a.award is not None else None,
                "income": float(a.income) if a.income is not None else None,
            }
        )
    return {
        "round_id": round_.pk,
        "status": round_.status,
        "workers": out,
        "pay_spread": float(pay.spread) if pay.spread is not None else None,
        "pay_spread_percent": pay.spread_percent,
    }
