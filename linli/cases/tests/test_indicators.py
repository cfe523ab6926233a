"""Indicators as GB/T 30428 defines them, on cases whose outcome the test controls."""

from __future__ import annotations

from datetime import datetime

from linli.cases import services
from linli.cases.models import Case
from linli.cases.selectors import indicators
from linli.cases.tests.conftest import SHANGHAI, CaseWorld, new_case, run_to_handled

START = datetime(2026, 11, 1, tzinfo=SHANGHAI)
END = datetime(2026, 12, 1, tzinfo=SHANGHAI)


def close(cw: CaseWorld, case: Case) -> Case:
    case = services.case_verify(actor=cw.w.c01_leader, case=case)
    return services.case_pass(actor=cw.w.c01_leader, case=case)


def test_on_time_closure_rework_return_and_satisfaction(cw: CaseWorld, clock) -> None:
    w = cw.w
    on_time = close(cw, run_to_handled(cw, new_case(cw)))
    services.case_follow_up(actor=w.c01_worker, case=on_time, satisfaction="satisfied")

    reworked = run_to_handled(cw, new_case(cw))
    reworked = services.case_rework(
        actor=w.c01_leader, case=services.case_verify(actor=w.c01_leader, case=reworked), reason="未整改到位"
    )
    reworked = services.case_finish(actor=w.grid_worker_c01_g01, case=reworked, result="二次整改")
    late = new_case(cw)
    late = services.case_dispatch(
        actor=w.c01_worker, case=services.case_register(actor=w.c01_worker, case=late)
    )
    services.case_return(actor=w.grid_worker_c01_g01, case=late, reason="不属于本网格")
    services.case_reject(actor=w.c01_worker, case=new_case(cw), reason="重复")

    # Two weeks later the open cases are past their closing deadline; the reworked one closes late.
    clock.move_to(datetime(2026, 11, 30, 10, 0, tzinfo=SHANGHAI))
    services.tick()
    reworked = close(cw, reworked)
    services.case_follow_up(actor=w.c01_worker, case=reworked, satisfaction="dissatisfied")

    rows, total = indicators(Case.objects.visible_to(w.street_admin), group="grid", start=START, end=END)
    assert [r.key for r in rows] == ["S01/C01/G01"]
    assert total.received == 4
    assert total.registered == 3  # the rejected one is not
    assert total.due == 3  # two closed, one past its deadline
    assert total.on_time == 1
    assert total.rates["on_time_rate"] == round(1 / 3, 4)
    assert total.rates["closure_rate"] == round(2 / 3, 4)
    assert total.rates["rework_rate"] == 0.5  # one of the two handled cases
    assert total.rates["return_rate"] == round(1 / 3, 4)  # one of three dispatched
    assert total.rates["satisfaction_rate"] == 0.5
    assert total.ever_overdue >= 1
    assert total.overdue_now == 1
    assert total.mean_handling_hours is not None
    assert total.mean_handling_hours > 0


def test_extended_cases_are_deferred_out_of_the_denominator(cw: CaseWorld, clock) -> None:
    w = cw.w
    case = services.case_dispatch(
        actor=w.c01_worker, case=services.case_register(actor=w.c01_worker, case=new_case(cw))
    )
    req = services.extension_request(
        actor=w.grid_worker_c01_g01, case=case, amount=1, unit="days", reason="等待配件"
    )
    services.extension_decide(actor=w.c01_leader, extension=req, approve=True)
    clock.move_to(datetime(2026, 11, 30, 10, 0, tzinfo=SHANGHAI))
    _, total = indicators(Case.objects.visible_to(w.street_admin), group="worker", start=START, end=END)
    assert (total.due, total.deferred, total.rates["on_time_rate"]) == (1, 1, None)


def test_indicators_only_count_cases_in_the_users_scope(cw: CaseWorld) -> None:
    new_case(cw)
    _, total = indicators(
        Case.objects.visible_to(cw.w.grid_worker_c02_g01), group="category", start=START, end=END
    )
    assert total.received == 0


def test_the_total_is_the_sum_of_the_groups(cw: CaseWorld, clock) -> None:
    w = cw.w
    close(cw, run_to_handled(cw, new_case(cw)))
    services.case_reject(actor=w.c01_worker, case=new_case(cw), reason="重复")  # never dispatched
    clock.move_to(datetime(2026, 11, 30, 10, 0, tzinfo=SHANGHAI))
    rows, total = indicators(Case.objects.visible_to(w.street_admin), group="worker", start=START, end=END)
    assert len(rows) == 2
    assert "（未派遣）" in {r.label for r in rows}
    assert total.received == sum(r.received for r in rows) == 2
    assert total.closed == 1
    closed = next(r for r in rows if r.closed)
    assert total.mean_handling_hours == closed.mean_handling_hours is not None
    assert total.rates["closure_rate"] == 1.0


def test_the_mean_handling_time_is_receipt_to_close_and_the_upgrade_fills_it_for_old_cases(
    cw: CaseWorld, clock
) -> None:
    import importlib

    from django.db import connection

    case = new_case(cw)
    clock.move_to(datetime(2026, 11, 18, 10, 0, tzinfo=SHANGHAI))
    case = close(cw, run_to_handled(cw, case))
    assert case.closed_at is not None
    hours = (case.closed_at - case.received_at).total_seconds() / 3600
    _, total = indicators(Case.objects.visible_to(cw.w.street_admin), group="grid", start=START, end=END)
    assert total.mean_handling_hours == round(hours, 1)

    # Cases closed before the column existed get it from the data migration, on either database.
    Case.objects.filter(pk=case.pk).update(handling_seconds=0)
    fill = importlib.import_module("linli.cases.migrations.0008_fill_case_handling_seconds").fill

    class Editor:
        def __init__(self) -> None:
            self.connection = connection

        def execute(self, sql: str) -> None:
            with connection.cursor() as cursor:
                cursor.execute(sql)

    fill(None, Editor())
    case.refresh_from_db()
    assert case.handling_seconds is not None
    assert abs(case.handling_seconds - hours * 3600) <= 1
