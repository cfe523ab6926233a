"""`linli worker`: django-tasks-db's worker, kept alive through a busy database.

The library's worker ends on any database error outside a task — on SQLite, "database is locked" when a
long write elsewhere outlasted the busy timeout while it polled the queue — and the imports it would have
run then wait for ever. Here such an error is logged and the worker goes on after a pause; anything else
still ends it (and `linli serve` starts it again, see core/server.py).
"""

from __future__ import annotations

import logging
import time

from django.db import OperationalError, close_old_connections, connection
from django.utils.crypto import get_random_string

from linli.core.db import is_busy

logger = logging.getLogger("linli.worker")
MAX_PAUSE = 30.0


def run_worker(*, batch: bool = False, interval: float = 1.0, verbosity: int = 1) -> None:
    from django_tasks_db.management.commands.db_worker import Command, Worker

    Command().configure_logging(verbosity)
    worker = Worker(
        queue_names=["default"],
        interval=interval,
        batch=batch,
        backend_name="default",
        startup_delay=not batch,
        max_tasks=None,
        worker_id=get_random_string(32),
        excluded_queue_names=[],
    )
    worker.configure_signals()
    pause, last_error = 0.5, 0.0
    while True:
        try:
            worker.run()
            return
        except OperationalError as exc:
            if not is_busy(exc):
                raise
            if time.monotonic() - last_error > 5 * MAX_PAUSE:
                pause = 0.5  # a new spell of contention, not the same one going on
            last_error = time.monotonic()
            logger.warning("database busy (%s); the worker goes on in %.1f s", exc, pause)
            # The failed statement may have left the connection inside a broken transaction.
            if connection.in_atomic_block:
                connection.needs_rollback = True
            close_old_connections()
            connection.close()
            time.sleep(pause)
            pause = min(MAX_PAUSE, pause * 2)
