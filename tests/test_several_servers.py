"""Several app servers on one PostgreSQL database (issue #24.5): every server runs the sweeps and a worker, and
still each deadline warning, escalation, visit reminder and import happens exactly once; a server killed in
the middle of an import leaves a job another server resumes.

Each "server" is a real process (`linli tick`, `linli worker`) on the committed test database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from linli.cases.models import Case, CaseEvent, Notification
from linli.cases.tests.conftest import build_case_world, new_case
from linli.core.models import AuditEntry
from linli.registry.models import Resident
from linli.transfers.services import import_job_create, import_job_resume
from linli.transfers.tasks import run_import
from linli.visits import services as visits
from linli.visits.models import VisitTask
from linli.visits.tests.conftest import build_visit_world
from tests.factories import make_id_number

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="several app servers share one PostgreSQL database (SQLite is one server's database)",
    ),
    pytest.mark.django_db(transaction=True),
]


def server_env(tmp_path: Path) -> dict[str, str]:
    """What each child process needs to reach this test's (committed) database."""
    s = connection.settings_dict
    url = f"postgresql://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
    return {**os.environ, "DATABASE_URL": url, "LINLI_VAR_DIR": str(tmp_path / "var")}


def linli(*args: str, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "linli.core.cli", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def three_at_once(*args: str, env: dict[str, str]) -> list[str]:
    procs = [linli(*args, env=env) for _ in range(3)]
    outputs = [p.communicate(timeout=300)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], outputs
    return outputs


def test_three_servers_sweeping_at_once_warn_escalate_and_remind_exactly_once(world, tmp_path):
    cw = build_case_world(world)
    vw = build_visit_world(world)
    now = timezone.now()
    warned = [new_case(cw, title=f"临期 {i}") for i in range(12)]
    overdue = [new_case(cw, title=f"超期 {i}") for i in range(12)]
    Case.objects.filter(pk__in=[c.pk for c in warned]).update(
        warn_at=now - timedelta(hours=1), stage_due_at=now + timedelta(hours=2), warned_at=None
    )
    Case.objects.filter(pk__in=[c.pk for c in overdue]).update(
        warn_at=now - timedelta(hours=3), stage_due_at=now - timedelta(hours=1), overdue_since=None
    )
    tasks = [
        visits.task_create(actor=None, resident=r, trigger="accident", note=f"事件 {i}")
        for i, r in enumerate([vw.alone, vw.dibao, vw.g02_alone])
    ]
    VisitTask.objects.filter(pk__in=[t.pk for t in tasks]).update(due_at=now - timedelta(hours=1))

    three_at_once("tick", env=server_env(tmp_path))

    events = Counter(
        CaseEvent.objects.filter(case__in=warned + overdue, action__in=["warn", "overdue"]).values_list(
            "case_id", "action"
        )
    )
    assert {(c.pk, "warn") for c in warned} <= set(events)
    assert {(c.pk, "overdue") for c in overdue} <= set(events)
    assert max(events.values()) == 1, "a case was warned or marked overdue twice"
    notes = Counter(Notification.objects.values_list("user_id", "case_id", "kind", "text"))
    assert notes, "the sweeps notified nobody"
    assert max(notes.values()) == 1, [n for n, k in notes.items() if k > 1]
    assert VisitTask.objects.filter(pk__in=[t.pk for t in tasks], overdue_since__isnull=False).count() == 3
    visit_due = Notification.objects.filter(kind="visit_due", text__contains="八必访超期")
    assert visit_due.count() == visit_due.values("user_id", "text").distinct().count() >= 3


def id_number(i: int) -> str:
    born = date(1970, 1, 1) + timedelta(days=i // 400)
    return make_id_number(f"{born:%Y%m%d}", 2 * (i % 400) + 1)


def ledger(path: Path, rows: int, start: int = 0) -> Path:
    path.write_text(
        "姓名,身份证号,网格\n" + "".join(f"居民{i},{id_number(i)},G01\n" for i in range(start, start + rows)),
        encoding="utf-8",
    )
    return path


def test_three_workers_run_each_queued_import_once(world, tmp_path):
    jobs = []
    for n in range(3):
        job = import_job_create(
            actor=world.c01_worker, community=world.c01, path=ledger(tmp_path / f"{n}.csv", 40, start=100 * n)
        )
        run_import.enqueue(job.pk, world.c01_worker.pk)
        jobs.append(job)

    three_at_once("worker", "--batch", "--interval", "0.2", env=server_env(tmp_path))

    for job in jobs:
        job.refresh_from_db()
        assert (job.status, job.attempt, job.summary.get("created")) == ("done", 0, 40)
    assert Resident.objects.count() == 120
    # Each job ran once: one import entry in the audit log per job, not one per server that saw it.
    runs = Counter(AuditEntry.objects.filter(action="import").values_list("object_id", flat=True))
    assert runs == Counter({str(job.pk): 1 for job in jobs})


def readers(var_dir: str) -> list[int]:
    """The import reading processes of the servers using `var_dir` (not another test run's)."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if b"linli.transfers.planner_child" not in (proc / "cmdline").read_bytes():
                continue
            if f"LINLI_VAR_DIR={var_dir}".encode() in (proc / "environ").read_bytes().split(b"\0"):
                found.append(int(proc.name))
        except (OSError, ValueError):
            continue
    return found


def test_a_server_killed_mid_import_leaves_a_job_another_server_resumes(world, tmp_path):
    rows = 6000
    job = import_job_create(
        actor=world.c01_worker, community=world.c01, path=ledger(tmp_path / "big.csv", rows)
    )
    run_import.enqueue(job.pk, world.c01_worker.pk)
    env = server_env(tmp_path)
    # The first server reads the file in a second process (transfers/planner.py), as a large file is.
    first = linli("worker", "--interval", "0.2", env={**env, "LINLI_IMPORT_PARALLEL_BYTES": "0"})
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            job.refresh_from_db()
            if 0 < job.rows_done < rows:
                break
            assert job.status != "done", "the import finished before the server could be killed"
            time.sleep(0.05)
        else:
            pytest.fail("the first server never started the import")
    finally:
        first.send_signal(signal.SIGKILL)  # the machine died: no cleanup, no final heartbeat
        first.wait(30)
    # Its reading process ends with it (the pipe it writes to is gone), rather than living on.
    deadline = time.monotonic() + 30
    while readers(env["LINLI_VAR_DIR"]) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not readers(env["LINLI_VAR_DIR"])
    job.refresh_from_db()
    assert job.status == "running"
    written = Resident.objects.count()
    assert 0 < written < rows

    job.refresh_from_db()
    assert not job.stalled  # killed a moment ago: not yet told apart from a slow batch
    # Five minutes later (LINLI_WORKER_STALL_SECONDS is 120) staff see it stalled and resume it.
    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        job.refresh_from_db()
        assert job.stalled
        job = import_job_resume(actor=world.c01_worker, job=job)
        run_import.enqueue(job.pk, world.c01_worker.pk)

    second = linli("worker", "--batch", "--interval", "0.2", env=env)
    out = second.communicate(timeout=300)[0]
    assert second.returncode == 0, out
    job.refresh_from_db()
    assert (job.status, job.attempt) == ("done", 1)
    assert (
        Resident.objects.count() == rows
    )  # the rows written before the crash came back unchanged, none twice
    assert job.summary["created"] + job.summary.get("unchanged", 0) == rows
