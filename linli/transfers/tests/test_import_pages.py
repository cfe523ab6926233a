from __future__ import annotations

import io
from datetime import timedelta
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


ID_NUMBER = "110101199003077777"  # invalid check character: refused, and shown back in the report
PHONE = "13912345678"


@pytest.fixture
def problem_job(world, tmp_path):
    """A finished import by the community worker whose problem rows carry an identity number, an
    unreadable phone (quoted back in its warning) and a phone in a column Linli does not know."""
    from linli.transfers.services import import_job_create, import_job_run
    from tests.factories import make_id_number

    wb = openpyxl.Workbook()
    wb.active.append(["姓名", "身份证号", "联系电话", "网格", "监护人电话"])
    wb.active.append(["甲", ID_NUMBER, PHONE, "G01", PHONE])
    wb.active.append(["乙", make_id_number("19900101", 3), "1380013800", "G01", ""])
    path = tmp_path / "problems.xlsx"
    wb.save(path)
    job = import_job_create(actor=world.c01_worker, community=world.c01, path=path)
    import_job_run(actor=world.c01_worker, job=job)
    return job


def report_text(client, job) -> tuple[int, str]:
    response = client.get(reverse("transfers:import_report", args=[job.pk]))
    if response.status_code != 200:
        return response.status_code, ""
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return 200, " ".join(str(v) for ws in book for row in ws.values for v in row if v is not None)


def test_a_viewer_cannot_download_import_reports(world, client_for, problem_job):
    client = client_for(world.viewer)
    assert report_text(client, problem_job)[0] == 403
    page = client.get(reverse("transfers:import", args=[problem_job.pk])).content.decode()
    assert "report.xlsx" not in page
    assert not [n for n in ("1380013800", PHONE) if n in page]  # the warnings it may read are masked too
    assert not AuditEntry.objects.filter(action="export").exists()


def test_import_reports_are_masked_for_a_community_worker_and_audited(world, client_for, problem_job):
    status, text = report_text(client_for(world.c01_worker), problem_job)
    assert status == 200
    assert not [n for n in (ID_NUMBER, PHONE, "1380013800") if n in text]
    assert "1101**********7777" in text
    assert "139****5678" in text  # in its own column and in the unknown one
    page = client_for(world.c01_worker).get(reverse("transfers:import", args=[problem_job.pk]))
    assert "1380013800" not in page.content.decode()
    entry = AuditEntry.objects.get(action="export", object_id=str(problem_job.pk))
    assert entry.changes["masked"] is True


def test_import_reports_show_full_numbers_to_those_who_may_reveal(world, client_for, problem_job):
    status, text = report_text(client_for(world.c01_leader), problem_job)
    assert status == 200
    assert [n for n in (ID_NUMBER, PHONE, "1380013800") if n in text] == [ID_NUMBER, PHONE, "1380013800"]
    entry = AuditEntry.objects.get(action="export", object_id=str(problem_job.pk))
    assert (entry.actor, entry.changes["masked"]) == (world.c01_leader, False)


# The worker commits and closes its connection as in production, so this test runs on committed data.
@pytest.mark.django_db(transaction=True)
def test_a_job_whose_worker_died_is_shown_stalled_and_can_be_resumed(
    world, sample_community, sample_ledger, client_for, django_capture_on_commit_callbacks, expected
):
    import time_machine
    from django.utils import timezone

    from linli.transfers.checks import worker_checks

    client = client_for(world.c01_worker)
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, sample_community, sample_ledger)
    job = ImportJob.objects.get()
    # What a worker killed mid-import leaves behind: the job running, its last heartbeat at the kill.
    started = timezone.now()
    ImportJob.objects.filter(pk=job.pk).update(status="running", heartbeat_at=started, rows_done=0)
    url = reverse("transfers:import", args=[job.pk])
    assert "已停滞" not in client.get(url).content.decode()
    assert all(ok for ok, _ in worker_checks())
    with time_machine.travel(started + timedelta(seconds=121), tick=False):
        page = client.get(url).content.decode()
        assert "导入已停滞" in page
        assert "继续导入" in page
        assert "已停滞" in client.get(reverse("transfers:imports")).content.decode()
        assert [ok for ok, _ in worker_checks()] == [False]
        assert (
            client_for(world.viewer).post(reverse("transfers:import_resume", args=[job.pk])).status_code
            == 302
        )
        job.refresh_from_db()
        assert job.status == "running"  # a viewer cannot resume
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("transfers:import_resume", args=[job.pk]))
        assert response.status_code == 302
    job.refresh_from_db()
    assert (job.status, job.attempt) == ("pending", 1)
    call_command("db_worker", batch=True, no_startup_delay=True, verbosity=0)
    job.refresh_from_db()
    assert job.status == "done"
    assert job.summary["created"] == expected["created"]
    assert AuditEntry.objects.filter(action="update", object_id=str(job.pk), changes__resumed=True).exists()


def test_a_department_handler_may_not_import_or_resume_even_outside_the_pages(world, problem_job, tmp_path):
    """An import registers residents: keep_registry, which a department handler lacks though they may
    write (on their cases). The pages keep them out of /transfers/; the services must too."""
    from linli.core.errors import Forbidden
    from linli.transfers.services import import_job_create, import_job_resume

    path = tmp_path / "ledger.csv"
    path.write_text("姓名,身份证号\n", encoding="utf-8")
    with pytest.raises(Forbidden):
        import_job_create(actor=world.department, community=world.c01, path=path)
    with pytest.raises(Forbidden):
        import_job_resume(actor=world.department, job=problem_job)
    assert ImportJob.objects.count() == 1
