"""The cases' running counts (cases/counts.py) equal a direct count after every kind of case write, and the
figures read from them — the 12-month trend and the profile's year — equal `selectors.indicators` and a
direct count per local month, also for a case received in the hours where the local month and the UTC month
differ."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from linli.cases import counts, services
from linli.cases.dashboard import profile, trend
from linli.cases.models import Case, CaseCount
from linli.cases.selectors import filter_cases, indicators
from linli.cases.tests.conftest import SHANGHAI, CaseWorld, new_case, run_to_handled
from linli.cases.tests.test_indicators import close
from linli.core.checks import run_checks
from tests.test_cli import run

START = datetime(2026, 11, 1, tzinfo=SHANGHAI)
END = datetime(2026, 12, 1, tzinfo=SHANGHAI)


def agree() -> None:
    assert counts.mismatches() == []


def year_figures(user, area: str = "") -> dict[str, object]:
    return {f.label: f.value for f in profile(user, area)}


def test_the_workflow_keeps_the_counts_and_the_profile_equals_the_indicators(cw: CaseWorld, clock) -> None:
    w = cw.w
    on_time = close(cw, run_to_handled(cw, new_case(cw)))
    agree()
    services.case_follow_up(actor=w.c01_worker, case=on_time, satisfaction="satisfied")
    agree()
    reworked = run_to_handled(cw, new_case(cw))
    reworked = services.case_rework(
        actor=w.c01_leader, case=services.case_verify(actor=w.c01_leader, case=reworked), reason="未整改到位"
    )
    services.case_reject(actor=w.c01_worker, case=new_case(cw), reason="重复")
    extended = services.case_dispatch(
        actor=w.c01_worker, case=services.case_register(actor=w.c01_worker, case=new_case(cw))
    )
    request = services.extension_request(
        actor=w.grid_worker_c01_g01, case=extended, amount=1, unit="days", reason="等待配件"
    )
    services.extension_decide(actor=w.c01_leader, extension=request, approve=True)
    late = services.case_dispatch(
        actor=w.c01_worker, case=services.case_register(actor=w.c01_worker, case=new_case(cw))
    )
    agree()
    # Two weeks later the open cases are past their deadline (due, counted live); one closes late.
    clock.move_to(datetime(2026, 11, 30, 10, 0, tzinfo=SHANGHAI))
    services.tick()
    reworked = services.case_finish(actor=w.grid_worker_c01_g01, case=reworked, result="二次整改")
    close(cw, reworked)
    services.case_follow_up(actor=w.c01_worker, case=reworked, satisfaction="dissatisfied")
    agree()
    assert late.pk

    for user, area in (
        (w.street_admin, ""),
        (w.c01_leader, ""),
        (w.street_admin, "S01/C01/G01"),
        (w.grid_worker_c02_g01, ""),
    ):
        start = datetime(2026, 1, 1, tzinfo=SHANGHAI)
        end = datetime(2026, 12, 1, tzinfo=SHANGHAI)
        _, total = indicators(
            filter_cases(Case.objects.visible_to(user), area=area), group="grid", start=start, end=end
        )
        assert year_figures(user, area) == {
            "今年受理诉求": total.received,
            "今年受理已结案": total.closed,
            "按期结案率（今年）": total.rates["on_time_rate"],
            "满意率（今年）": total.rates["satisfaction_rate"],
        }
    figures = year_figures(w.street_admin)
    assert figures["今年受理诉求"] == 5
    assert figures["按期结案率（今年）"] == round(1 / 3, 4)  # on time 1; due 4, one of them extended
    assert figures["满意率（今年）"] == 0.5


def test_a_case_in_the_hours_between_the_local_and_the_utc_month_counts_in_its_local_month(
    cw: CaseWorld, clock
) -> None:
    w = cw.w
    # 2026-12-01 03:00 in Shanghai is 2026-11-30 19:00 UTC: December here, November in UTC.
    clock.move_to(datetime(2026, 12, 1, 3, 0, tzinfo=SHANGHAI))
    early = new_case(cw)
    clock.move_to(datetime(2026, 11, 30, 23, 0, tzinfo=SHANGHAI))  # November in both
    new_case(cw)
    clock.move_to(datetime(2026, 12, 3, 9, 0, tzinfo=SHANGHAI))
    close(cw, run_to_handled(cw, early))
    agree()
    starts, series = trend(w.street_admin, "", timezone.localdate())
    by_month = dict(
        zip(
            [f"{s:%Y-%m}" for s in starts],
            zip(series["received"], series["closed"], strict=True),
            strict=True,
        )
    )
    assert by_month["2026-12"] == (1, 1)
    assert by_month["2026-11"] == (1, 0)
    # and every month equals a direct count of its local range
    for first, (received, closed) in zip(
        starts, zip(series["received"], series["closed"], strict=True), strict=True
    ):
        low = datetime(first.year, first.month, 1, tzinfo=SHANGHAI)
        high = datetime(first.year + (first.month == 12), first.month % 12 + 1, 1, tzinfo=SHANGHAI)
        cohort = Case.objects.filter(received_at__gte=low, received_at__lt=high)
        assert (received, closed) == (cohort.count(), cohort.filter(status="closed").count())


def test_bulk_updates_outside_the_services_keep_them_exact(cw: CaseWorld, clock) -> None:
    w = cw.w
    for _ in range(3):
        new_case(cw)
    close(cw, run_to_handled(cw, new_case(cw)))
    Case.objects.update(area=w.c02_g01)
    agree()
    Case.objects.update(received_at=timezone.now() - timedelta(days=40))
    agree()
    Case.objects.filter(status="closed").update(satisfaction="basically", extended=True)
    agree()


def test_compact_check_and_recount(cw: CaseWorld, clock, capsys) -> None:
    case = new_case(cw)
    for title in ("一", "二", "三"):  # each its own statement: rows of their own on PostgreSQL
        Case.objects.filter(pk=case.pk).update(satisfaction="satisfied" if title != "二" else "")
    before = counts.COUNTS.kept()
    counts.compact()
    assert counts.COUNTS.kept() == before
    keys = list(CaseCount.objects.values_list("area_id", "kind", "key"))
    assert len(keys) == len(set(keys))
    CaseCount.objects.filter(kind="received").delete()
    assert any(not ok and "linli case recount" in m for ok, m in run_checks())
    code, out, _ = run(capsys, "case", "recount")
    assert code == 0
    assert "rows" in out
    agree()
    assert any(ok and m.startswith("case counts") for ok, m in run_checks())
