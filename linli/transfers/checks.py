"""`linli check` lines of the import module: imports whose worker died, tasks no worker is taking."""

from __future__ import annotations

from collections.abc import Iterator

from django.conf import settings
from django.db import DatabaseError


def worker_checks() -> Iterator[tuple[bool, str]]:
    """Background jobs: imports whose worker died, and queued tasks no worker is taking. Says nothing on a
    database not yet migrated: the migrations line of `linli check` already tells the operator."""
    try:
        yield from _worker_checks()
    except DatabaseError:
        return


def _worker_checks() -> Iterator[tuple[bool, str]]:
    from datetime import timedelta

    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from linli.transfers.models import ImportJob

    stall = settings.LINLI_WORKER_STALL_SECONDS
    cutoff = timezone.now() - timedelta(seconds=stall)
    active = ImportJob.objects.filter(status__in=[ImportJob.Status.PENDING, ImportJob.Status.RUNNING])
    stalled = [job for job in active.select_related("community") if job.stalled]
    waiting = DBTaskResult.objects.ready().filter(enqueued_at__lt=cutoff).count()
    busy = ImportJob.objects.filter(status=ImportJob.Status.RUNNING, heartbeat_at__gte=cutoff).exists()
    if stalled:
        ids = ", ".join(str(job.pk) for job in stalled[:10])
        yield (
            False,
            f"{len(stalled)} import(s) stalled (no worker heard from for {stall} s): job {ids}; "
            "is `linli serve` (or `linli worker`) running? Resume them on their import page",
        )
    elif waiting and not busy:
        yield (
            False,
            f"{waiting} background task(s) queued for over {stall} s and no worker busy: "
            "start `linli serve` or `linli worker`",
        )
    else:
        running = active.filter(status=ImportJob.Status.RUNNING).count()
        yield True, f"background jobs: {running} import(s) running, {waiting} task(s) waiting long"
