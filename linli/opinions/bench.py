"""`linli bench` workload for the opinion ledger: a year of a street's opinions, then the monthly report
and the ledger's first page through Linli's scoped selectors, against the same queries in raw SQL."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta
from typing import Any

# Opinions collected in a year: a street of ten communities with monthly open days of some 100 opinions
# each and the other channels on top is about 24,000 (the seeds: "hundreds of suggestions" a day).
OPINIONS = {"small": 2_000, "street": 24_000, "city": 100_000}


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def build(street: Any, n: int, seed: int) -> None:
    from django.db import transaction
    from django.utils import timezone

    from linli.areas.models import Area
    from linli.opinions.models import Disposition, Opinion, OpinionStatus, OpinionTopic, Topic

    rng = random.Random(seed)  # noqa: S311  (bench data, not secrets)
    grids = list(
        Area.objects.filter(kind="grid", path__startswith=street.path + "/").values_list("pk", flat=True)
    )
    now = timezone.now()
    topics = list(Topic.values)
    channels = ["open_day", "visit", "hotline", "online", "meeting"]
    with transaction.atomic():
        rows = []
        for i in range(n):
            received = now - timedelta(minutes=rng.randint(0, 365 * 24 * 60))
            due = received + timedelta(days=7)
            replied = received + timedelta(days=rng.randint(1, 10)) if rng.random() < 0.85 else None
            rows.append(
                Opinion(
                    number=f"BENCH-{i:07d}",
                    area_id=rng.choice(grids),
                    speaker_name="居民",
                    channel=rng.choice(channels),
                    summary="意见内容",
                    received_at=received,
                    reply_due_at=due,
                    replied_at=replied,
                    reply="已答复" if replied else "",
                    status=OpinionStatus.REPLIED if replied else OpinionStatus.NEW,
                    disposition=Disposition.DIRECT if replied else "",
                    updated_at=received,
                )
            )
        Opinion.objects.bulk_create(rows, batch_size=5000)
        OpinionTopic.objects.bulk_create(
            [OpinionTopic(opinion=o, topic=rng.choice(topics)) for o in rows], batch_size=5000
        )


def workload(
    scale: str, seed: int, street: Any, timed: Callable[[Callable[[], Any]], tuple[float, Any]]
) -> dict[str, Any]:
    from django.db import connection
    from django.utils import timezone

    from linli.accounts.models import User
    from linli.opinions import selectors
    from linli.opinions.models import Opinion
    from linli.opinions.views import filtered

    # No ANALYZE after the load, on purpose: a deployment's opinions grow day by day after `linli init`
    # analysed an empty table, so the ledger must be fast on a planner without statistics for it.
    build_s, _ = timed(lambda: build(street, OPINIONS[scale], seed))
    admin = User.objects.get(username="bench-admin")
    month = (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=1)
    start, end = selectors.month_bounds(month)
    now = timezone.now()

    def linli_report() -> None:
        selectors.monthly_report(admin, month)

    def linli_ledger() -> None:
        qs = (
            filtered(admin, {"month": f"{month:%Y-%m}"})
            .prefetch_related("area", "resident")
            .order_by("-received_at", "-pk")
        )
        list(qs[:50])
        qs.count()

    def raw(sql: str, params: tuple[Any, ...]) -> None:
        # As the ORM would send them (SQLite stores naive UTC text; a raw aware datetime compares wrongly).
        adapted = tuple(connection.ops.adapt_datetimefield_value(p) for p in params)
        with connection.cursor() as cursor:
            cursor.execute(sql, adapted)
            cursor.fetchall()

    def limit_report() -> None:
        raw(
            "SELECT COUNT(*), SUM(CASE WHEN o.case_id IS NOT NULL THEN 1 ELSE 0 END),"
            " SUM(CASE WHEN o.replied_at IS NOT NULL THEN 1 ELSE 0 END),"
            " SUM(CASE WHEN o.replied_at <= o.reply_due_at THEN 1 ELSE 0 END),"
            " SUM(CASE WHEN o.replied_at > o.reply_due_at THEN 1 ELSE 0 END),"
            " SUM(CASE WHEN o.replied_at IS NULL AND o.reply_due_at < %s THEN 1 ELSE 0 END)"
            " FROM opinions_opinion o WHERE o.received_at >= %s AND o.received_at < %s",
            (now, start, end),
        )
        raw(
            "SELECT t.topic, COUNT(*) FROM opinions_opiniontopic t JOIN opinions_opinion o ON o.id = t.opinion_id"
            " WHERE o.received_at >= %s AND o.received_at < %s GROUP BY t.topic",
            (start, end),
        )
        raw(
            "SELECT o.channel, COUNT(*) FROM opinions_opinion o WHERE o.received_at >= %s AND o.received_at < %s GROUP BY o.channel",
            (start, end),
        )
        raw(
            "SELECT o.disposition, COUNT(*) FROM opinions_opinion o WHERE o.received_at >= %s AND o.received_at < %s GROUP BY o.disposition",
            (start, end),
        )
        raw(
            "SELECT o.area_id, COUNT(*) FROM opinions_opinion o WHERE o.received_at >= %s AND o.received_at < %s GROUP BY o.area_id",
            (start, end),
        )

    def limit_ledger() -> None:
        raw(
            "SELECT o.*, a.name FROM opinions_opinion o JOIN areas_area a ON a.id = o.area_id WHERE o.received_at >= %s AND o.received_at < %s"
            " ORDER BY o.received_at DESC, o.id DESC LIMIT 50",
            (start, end),
        )
        raw(
            "SELECT COUNT(*) FROM opinions_opinion o WHERE o.received_at >= %s AND o.received_at < %s",
            (start, end),
        )

    result: dict[str, Any] = {
        "workload": "opinions",
        "scale": scale,
        "opinions": Opinion.objects.count(),
        "build_s": round(build_s, 1),
        "parts": {},
    }
    for name, ours_fn, limit_fn in (
        ("monthly_report", linli_report, limit_report),
        ("ledger_page", linli_ledger, limit_ledger),
    ):
        ours_fn(), limit_fn()  # warm caches alike
        ours = [timed(ours_fn)[0] * 1000 for _ in range(30)]
        base = [timed(limit_fn)[0] * 1000 for _ in range(30)]
        result["parts"][name] = {
            "p50_ms": round(_pct(ours, 50), 1),
            "p95_ms": round(_pct(ours, 95), 1),
            "limit_p50_ms": round(_pct(base, 50), 1),
            "limit_p95_ms": round(_pct(base, 95), 1),
            "ratio_p50": round(_pct(ours, 50) / max(_pct(base, 50), 1e-6), 2),
        }
    result["worst_p95_ms"] = max(p["p95_ms"] for p in result["parts"].values())
    result["limit"] = "the same aggregates and page in raw SQL, no scope, no ORM"
    return result
