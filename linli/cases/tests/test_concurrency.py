"""Two people acting on one case at the same moment: exactly one wins (row lock + transition check)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from linli.cases import services
from linli.cases.models import Case, CaseEvent
from linli.cases.tests.conftest import CaseWorld, new_case
from linli.core.errors import DomainError


@pytest.mark.django_db(transaction=True)
def test_two_workers_registering_at_once_cannot_both_win(cw: CaseWorld) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks are a PostgreSQL matter; SQLite serialises writers whole")
    case = new_case(cw)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def act(actor) -> None:
        try:
            barrier.wait()
            services.case_register(actor=actor, case=case.pk)
            outcomes.append("won")
        except DomainError as exc:
            outcomes.append(exc.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=act, args=(u,)) for u in (cw.w.c01_worker, cw.w.c01_leader)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["conflict", "won"]
    assert CaseEvent.objects.filter(case_id=case.pk, action="register").count() == 1
    assert Case.objects.get(pk=case.pk).status == "registered"


@pytest.mark.django_db(transaction=True)
def test_a_reject_racing_a_register_leaves_one_consistent_outcome(cw: CaseWorld) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks are a PostgreSQL matter; SQLite serialises writers whole")
    case = new_case(cw)
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def run(name: str, fn) -> None:
        try:
            barrier.wait()
            fn()
            outcomes[name] = "won"
        except DomainError as exc:
            outcomes[name] = exc.code
        finally:
            connections.close_all()

    threads = [
        threading.Thread(
            target=run, args=("register", lambda: services.case_register(actor=cw.w.c01_worker, case=case.pk))
        ),
        threading.Thread(
            target=run,
            args=("reject", lambda: services.case_reject(actor=cw.w.c01_leader, case=case.pk, reason="重复")),
        ),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes.values()) == ["conflict", "won"]
    winner = next(k for k, v in outcomes.items() if v == "won")
    assert Case.objects.get(pk=case.pk).status == {"register": "registered", "reject": "rejected"}[winner]
    assert CaseEvent.objects.filter(case_id=case.pk).exclude(action="receive").count() == 1


@pytest.mark.django_db(transaction=True)
def test_simultaneous_intakes_get_consecutive_numbers(cw: CaseWorld) -> None:
    """Found by the API load benchmark: numbers taken as max + 1 collided under concurrent intake."""
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers are a PostgreSQL matter; SQLite serialises them whole")
    barrier = threading.Barrier(8)
    errors: list[str] = []

    def intake() -> None:
        try:
            barrier.wait()
            new_case(cw)
        except Exception as exc:  # the test reports every failure, of whatever kind
            errors.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=intake) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    numbers = sorted(Case.objects.values_list("number", flat=True))
    assert numbers == [f"20261116-{i:04d}" for i in range(1, 9)]


def test_numbering_continues_after_cases_that_came_without_the_counter(cw: CaseWorld) -> None:
    first = new_case(cw)
    Case.objects.filter(pk=first.pk).update(number="20261116-0041")  # as a restore or demo might leave it
    from linli.cases.models import CaseCounter

    CaseCounter.objects.all().delete()
    assert new_case(cw).number == "20261116-0042"
