from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from linli.core.models import AuditEntry
from linli.registry.models import Resident
from linli.transfers.models import ImportJob


def upload(
    client,
    community,
    ledger: Path | None = None,
    *,
    name: str = "台账.xlsx",
    content: bytes = b"",
    dry_run: bool = False,
):
    data = {
        "community": community.pk,
        "file": SimpleUploadedFile(name, ledger.read_bytes() if ledger else content),
    }
    if dry_run:
        data["dry_run"] = "on"
    return client.post(reverse("transfers:import_new"), data)


# The worker commits and closes its connection as in production, so these tests run on committed data.
@pytest.mark.django_db(transaction=True)
def test_an_uploaded_ledger_is_imported_in_the_background(
    world, sample_community, sample_ledger, client_for, django_capture_on_commit_callbacks, expected
):
    client = client_for(world.c01_worker)
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, sample_community, sample_ledger)
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("transfers:import", args=[job.pk])
    assert job.status == "pending"
    waiting = client.get(response["Location"], HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 1s"' in waiting  # the page polls while the job waits or runs
    call_command("db_worker", batch=True, no_startup_delay=True, verbosity=0)
    job.refresh_from_db()
    assert job.status == "done"
    assert job.summary["created"] == expected["created"]
    assert job.created_by == world.c01_worker
    page = client.get(response["Location"]).content.decode()
    assert 'hx-trigger="every 1s"' not in page
    assert "网格“G99”不在本社区" in page
    assert Resident.objects.count() == expected["created"]


# The worker commits and closes its connection as in production, so these tests run on committed data.
@pytest.mark.django_db(transaction=True)
def test_the_problem_report_downloads_and_is_audited(
    world, sample_community, sample_ledger, client_for, django_capture_on_commit_callbacks, expected
):
    client = client_for(world.c01_worker)
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, sample_community, sample_ledger, dry_run=True)
    call_command("db_worker", batch=True, no_startup_delay=True, verbosity=0)
    job = ImportJob.objects.get()
    assert not Resident.objects.exists()  # a dry run
    response = client.get(reverse("transfers:import_report", args=[job.pk]))
    rows = list(openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.values)
    assert sum(1 for r in rows[1:] if r[1] == "未导入") == expected["errors"]
    assert AuditEntry.objects.filter(action="export", object_id=str(job.pk)).exists()


def test_bad_uploads_are_explained_and_nothing_is_queued(world, sample_community, client_for):
    client = client_for(world.c01_worker)
    response = upload(client, sample_community, name="台账.docx", content=b"x")
    assert response.status_code == 400
    assert "只支持 Excel" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_imports_are_scoped(
    world, sample_community, sample_ledger, client_for, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        upload(client_for(world.c01_worker), sample_community, sample_ledger)
    job = ImportJob.objects.get()
    assert (
        client_for(world.grid_worker_c02_g01).get(reverse("transfers:import", args=[job.pk])).status_code
        == 404
    )
    other = upload(client_for(world.grid_worker_c02_g01), sample_community, sample_ledger)
    assert other.status_code == 400  # C01 is not among the communities they may choose
    assert client_for(world.viewer).get(reverse("transfers:import_new")).status_code == 403
