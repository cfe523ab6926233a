"""A ledger's rows read, checked and made ready to write, a batch at a time; for a large file in a second
process, so that both cores work (issue #24.1).

Per row, an import does two kinds of work. Reading and checking — the cells normalised, the ID number
parsed, the grid and tags looked up, the name's pinyin and grams, the row report's JSON — needs nothing
from the database once the community's grids and tags are known. Writing needs the database. For a file
of at least LINLI_IMPORT_PARALLEL_BYTES the first kind runs in a process of its own, started fresh
(spawned: a forked copy of a server or worker would inherit its threads and connections), which reads
ahead of the writer by at most a batch or two: the pipe between them holds little, and the reader waits
when it is full. The writer alone writes, one batch per transaction, so what a crash leaves and how a job
resumes are the same either way.

The reader touches no database and no job: what it finds wrong with the file comes back as the same
DomainError the in-process reading raises, and the writer's process keeps the job's heartbeat while it
waits.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import subprocess
import sys
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from django.conf import settings

from linli.core.errors import DomainError
from linli.registry.models import name_grams
from linli.registry.normalise import name_keys
from linli.transfers import ledger
from linli.transfers.resident_rows import RowContext, RowPlan, plan_row, snapshot

# What the reading process must see as this process does (a test's override_settings included).
_SETTINGS = (
    "LINLI_IMPORT_MAX_ROWS",
    "LINLI_IMPORT_MAX_SECONDS",
    "LINLI_IMPORT_MAX_UNZIPPED_MB",
    "LINLI_IMPORT_MAX_RATIO",
    "LINLI_IMPORT_SYNONYMS",
)


@dataclass
class Plans:
    """A ledger being read: its size (for progress), its unknown columns, and its rows' plans in batches.
    `blank_rows` is known once the batches are exhausted; `close` stops the reading early."""

    total_hint: int
    unknown_columns: list[str]
    batches: Iterator[list[RowPlan]]
    blank_rows: Callable[[], int]
    close: Callable[[], None]


def finish(plan: RowPlan) -> RowPlan:
    """What the writer would otherwise work out itself: the name's search keys and grams, and the row as
    the report keeps it (JSON text)."""
    if plan.values:
        plan.keys = name_keys(plan.values["name"])
        plan.grams = sorted(name_grams(plan.values["name"]))
        plan.snapshot_json = json.dumps(snapshot(plan), ensure_ascii=False)
    plan.original_json = json.dumps(plan.original, ensure_ascii=False)
    return plan


def _planned(sheet: ledger.Sheet, ctx: RowContext, size: int) -> Iterator[list[RowPlan]]:
    rows = (finish(plan_row(n, values, original, ctx)) for n, values, original in ledger.records(sheet))
    while batch := list(itertools.islice(rows, size)):
        yield batch


def read_plans(path: Path, bounds: ledger.Bounds, ctx: RowContext, size: int) -> Plans:
    """The plans of the ledger at `path`, read here or, for a large file, in a second process."""
    threshold = settings.LINLI_IMPORT_PARALLEL_BYTES
    if threshold >= 0 and path.stat().st_size >= threshold:
        plans = _in_second_process(path, bounds, ctx, size)
        if plans is not None:
            return plans
        # No second process could be started (a process limit, say): read here, as a small file is.
    sheet = ledger.read_ledger(path, bounds)
    return Plans(
        total_hint=sheet.total_hint,
        unknown_columns=sheet.unknown_columns,
        batches=_planned(sheet, ctx, size),
        blank_rows=lambda: sheet.blank_rows,
        close=lambda: None,
    )


def _in_second_process(path: Path, bounds: ledger.Bounds, ctx: RowContext, size: int) -> Plans | None:
    # Started as a command, not with multiprocessing: its spawn runs the parent's main script again in
    # the child, and a fork would copy a server's threads and open connections.
    to_child_r, to_child_w = os.pipe()
    from_child_r, from_child_w = os.pipe()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE") or "linli.settings",
        "PYTHONPATH": os.pathsep.join(p for p in sys.path if p),
    }
    try:
        process = subprocess.Popen(  # noqa: S603  (our own module, this interpreter)
            [sys.executable, "-m", "linli.transfers.planner_child", str(to_child_r), str(from_child_w)],
            pass_fds=(to_child_r, from_child_w),
            env=env,
            stdout=subprocess.DEVNULL,  # `linli import --json` prints the summary there; errors go to stderr
        )
    except OSError:
        os.close(to_child_w)
        os.close(from_child_r)
        return None
    finally:
        os.close(to_child_r)
        os.close(from_child_w)
    ours_out = Connection(to_child_w, readable=False)
    ours = Connection(from_child_r, writable=False)

    def close() -> None:
        ours_out.close()
        ours.close()
        if process.poll() is None:
            process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    try:
        limits = (bounds.max_rows, bounds.max_seconds, bounds.deadline)
        overrides = {name: getattr(settings, name) for name in _SETTINGS if hasattr(settings, name)}
        ours_out.send((str(path), limits, overrides, size, ctx))
        _, total_hint, unknown_columns = _receive(ours, process, bounds)
    except BaseException:
        close()
        raise
    blank = [0]

    def batches() -> Iterator[list[RowPlan]]:
        try:
            while True:
                message = _receive(ours, process, bounds)
                if message[0] == "done":
                    blank[0] = message[1]
                    return
                yield message[1]
        finally:
            close()

    return Plans(total_hint, unknown_columns, batches(), lambda: blank[0], close)


def _receive(conn: Connection, process: Any, bounds: ledger.Bounds) -> tuple[Any, ...]:
    """The reader's next message; meanwhile the job's heartbeat goes on and the deadline holds."""
    while not conn.poll(1.0):
        bounds.check_time()
        if process.poll() is not None and not conn.poll(0):
            raise RuntimeError(f"读取文件的进程意外退出（退出码 {process.returncode}）")
    try:
        message: tuple[Any, ...] = conn.recv()
    except (EOFError, OSError) as exc:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(5)
        raise RuntimeError(f"读取文件的进程意外退出（退出码 {process.returncode}）") from exc
    if message[0] == "error":
        raise DomainError(message[1], field=message[2])
    if message[0] == "crash":
        raise RuntimeError(f"读取文件时出错：{message[1]}")
    return message


def read_in_child(incoming: Connection, conn: Connection) -> None:
    """The second process (started by planner_child, Django set up): what to read comes from `incoming`,
    the batches go to `conn`; no database touched."""
    try:
        path, limits, overrides, size, ctx = incoming.recv()
        for name, value in overrides.items():
            setattr(settings, name, value)
        # The same clock as the writer's: CLOCK_MONOTONIC is one for the whole machine.
        bounds = ledger.Bounds(*limits)
        sheet = ledger.read_ledger(Path(path), bounds)
        conn.send(("sheet", sheet.total_hint, sheet.unknown_columns))
        for batch in _planned(sheet, ctx, size):
            conn.send(("rows", batch))
        conn.send(("done", sheet.blank_rows))
    except (BrokenPipeError, EOFError, KeyboardInterrupt):
        return  # the writer has gone (failed, finished early or was stopped): nothing to tell
    except DomainError as exc:
        _tell(conn, ("error", exc.message, exc.field))
    except BaseException as exc:  # noqa: BLE001  (reported to the writer, which fails the job with it)
        last = traceback.format_exception_only(exc)[-1].strip()
        _tell(conn, ("crash", last))


def _tell(conn: Connection, message: tuple[Any, ...]) -> None:
    with contextlib.suppress(OSError):  # the writer has gone
        conn.send(message)
