"""Background jobs of the transfers app. Tasks take ids, never objects."""

from __future__ import annotations

from django_tasks import task

from linli.accounts.models import User
from linli.core.context import Origin, origin
from linli.core.errors import DomainError
from linli.transfers.models import ImportJob
from linli.transfers.services import import_job_run


@task()
def run_import(job_id: int, actor_id: int | None) -> dict[str, object]:
    job = ImportJob.objects.select_related("community").get(pk=job_id)
    actor = User.objects.get(pk=actor_id) if actor_id else None
    with origin(Origin(via="worker", operator=job.created_by_label or "worker")):
        try:
            return import_job_run(actor=actor, job=job)
        except DomainError as exc:
            # The job row already says why (status failed, error); the task itself ends normally.
            return {"error": exc.message}
