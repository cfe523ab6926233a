"""Limits hold at write time under concurrent transfers: real threads, each with its own PostgreSQL
connection, move minutes both ways between the same accounts at once. (SQLite serialises writers, so
the race this guards against exists only on PostgreSQL.)"""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connection, connections

from linli.core.errors import DomainError
from linli.timebank import services
from linli.timebank.models import Account, Transfer
from linli.timebank.tests.conftest import build_bank_world, credit

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are PostgreSQL's"),
    pytest.mark.django_db(transaction=True),
]

THREADS = 8
ROUNDS = 6


def _run(jobs: list[tuple[int, int, int]], outcomes: Counter[str]) -> None:
    start = threading.Barrier(len(jobs))
    lock = threading.Lock()

    def work(source_id: int, target_id: int, minutes: int) -> None:
        try:
            start.wait()
            for _ in range(ROUNDS):
                source, target = Account.objects.get(pk=source_id), Account.objects.get(pk=target_id)
                try:
                    services.transfer_create(actor=None, source=source, target=target, minutes=minutes)
                    result = "done"
                except DomainError as exc:
                    result = exc.code
                with lock:
                    outcomes[result] += 1
        except Exception as exc:  # a deadlock or any other database error fails the test below
            with lock:
                outcomes[f"error: {type(exc).__name__}: {exc}"] += 1
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=job) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a transfer thread hung (deadlock?)"


def test_concurrent_transfers_never_overdraw_and_never_deadlock(world, settings):
    settings.LINLI_TIME_BANK_DEBT_LIMIT_MINUTES = 0
    settings.LINLI_TIME_BANK_CREDIT_LIMIT_MINUTES = 10_000
    bw = build_bank_world(world)
    credit(bw.near, 100)
    credit(bw.far, 100)
    a = Account.objects.get(volunteer=bw.near)
    b = Account.objects.get(volunteer=bw.far)
    c = services.account_open(actor=None, resident=bw.elder)
    # Half the threads drain A into B and C, half B into A: opposite directions on the same rows.
    jobs = [(a.pk, b.pk, 10), (a.pk, c.pk, 10), (b.pk, a.pk, 7), (a.pk, c.pk, 10)] * (THREADS // 4)
    outcomes: Counter[str] = Counter()
    _run(jobs, outcomes)
    errors = [k for k in outcomes if k.startswith("error")]
    assert errors == []
    assert outcomes["done"] + outcomes["limit"] == THREADS * ROUNDS
    assert outcomes["limit"] > 0  # A ran dry: some transfers had to be refused
    balances = dict(Account.objects.values_list("pk", "balance_minutes"))
    assert min(balances[a.pk], balances[b.pk], balances[c.pk]) >= 0
    assert sum(balances.values()) == 0
    assert services.ledger_problems() == []
    # Every transfer that went through left its two movements; each account's balance is their sum.
    assert Transfer.objects.count() == 2 + outcomes["done"]


def test_a_resident_cannot_pass_the_open_requests_limit_by_asking_twice_at_once(world):
    """The portal's limit of open help requests is counted under a lock on the resident: eight asks sent
    at the same moment by someone one below the limit leave exactly one more request."""
    from datetime import timedelta

    from django.utils import timezone

    from linli.timebank.models import HelpRequest

    bw = build_bank_world(world)
    wanted = timezone.now() + timedelta(days=2)

    def ask(title: str) -> None:
        services.help_request_ask(
            resident=bw.elder,
            label="居民",
            need="shopping",
            title=title,
            wanted_at=wanted,
            estimated_minutes=60,
        )

    for i in range(services.RESIDENT_OPEN_REQUESTS - 1):
        ask(f"第{i}次")
    outcomes: Counter[str] = Counter()
    start = threading.Barrier(THREADS)
    lock = threading.Lock()

    def work(n: int) -> None:
        try:
            start.wait()
            try:
                ask(f"同时{n}")
                result = "done"
            except DomainError as exc:
                result = exc.code
        except Exception as exc:  # noqa: BLE001  (reported below)
            result = f"error: {type(exc).__name__}: {exc}"
        finally:
            connections.close_all()
        with lock:
            outcomes[result] += 1

    threads = [threading.Thread(target=work, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert outcomes == Counter({"done": 1, "throttled": THREADS - 1}), outcomes
    assert HelpRequest.objects.filter(resident=bw.elder).count() == services.RESIDENT_OPEN_REQUESTS
