"""The background-job worker survives a busy database, and `linli serve` starts it again if it dies."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest
from django.db import connection, transaction

from linli.core.cli import main
from linli.transfers.services import import_job_create
from linli.transfers.tasks import run_import
from tests.factories import make_id_number
from tests.processes import children, start_serve


def _hold_write_lock(seconds: float, ready: threading.Event) -> None:
    """Another connection writing for `seconds`, as a long import in another process does."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("LOCK TABLE django_tasks_database_dbtaskresult IN EXCLUSIVE MODE")
            else:
                cursor.execute("UPDATE areas_area SET name = name WHERE id = -1")
            ready.set()
            time.sleep(seconds)
    finally:
        connection.close()


# The worker runs in this process on committed data, as `linli worker` would.
@pytest.mark.django_db(transaction=True)
def test_a_worker_that_finds_the_database_locked_waits_and_finishes_the_import(world, tmp_path):
    path = tmp_path / "two.csv"
    path.write_text(
        "姓名,身份证号,网格\n"
        + "".join(f"居民{i},{make_id_number('19880101', 2 * i + 1)},G01\n" for i in range(2)),
        encoding="utf-8",
    )
    job = import_job_create(actor=world.c01_worker, community=world.c01, path=path)
    run_import.enqueue(job.pk, world.c01_worker.pk)
    ready = threading.Event()
    holder = threading.Thread(target=_hold_write_lock, args=(2.0, ready))
    holder.start()
    ready.wait(10)
    try:
        # On SQLite the worker's poll finds the database locked (this test database answers at once,
        # a file after its 20 s busy timeout); the worker used to end there with the job pending.
        code = main(["worker", "--batch", "--interval", "0.1"])
    finally:
        holder.join()
    job.refresh_from_db()
    assert code == 0
    assert job.status == "done"
    assert job.summary["created"] == 2


def _workers(pid: int) -> set[int]:
    return {p for p, command in children(pid).items() if command.rstrip().endswith("cli worker")}


def _two_workers(pid: int) -> set[int] | None:
    workers = _workers(pid)
    return workers if len(workers) == 2 else None


def _until(condition, seconds: float):  # noqa: ANN001, ANN202  (a small polling helper)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.2)
    return condition()


def test_serve_starts_a_killed_worker_again(tmp_path: Path):
    proc, _ = start_serve(tmp_path, log=False, LINLI_TICK_SECONDS="0", LINLI_TASK_WORKERS="2")
    try:
        first = _until(lambda: _two_workers(proc.pid), 30)
        assert first, children(proc.pid)  # two workers, so one long import does not block the rest
        victim = min(first)
        os.kill(victim, signal.SIGKILL)
        again = _until(lambda: victim not in (w := _two_workers(proc.pid) or {victim}) and w, 20)
        assert again, children(proc.pid)
        assert victim not in again
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    assert not _workers(proc.pid)
