from __future__ import annotations

import tempfile
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import FileResponse, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render

from linli.accounts.roles import Capability
from linli.core.audit import Action, audit_record
from linli.core.errors import DomainError
from linli.core.forms import add_domain_error
from linli.core.http import HttpRequest, acting_user
from linli.transfers.forms import ImportForm
from linli.transfers.models import ImportJob
from linli.transfers.report import mask_text, write_import_report
from linli.transfers.services import import_job_create, import_job_resume
from linli.transfers.tasks import run_import


@login_required
def import_list(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    jobs = ImportJob.objects.visible_to(user).select_related("community")[:100]
    return render(
        request,
        "transfers/import_list.html",
        {"jobs": jobs, "can_import": user.can(Capability.KEEP_REGISTRY)},
    )


@login_required
def import_new(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    if not user.can(Capability.KEEP_REGISTRY):
        raise PermissionDenied
    form = ImportForm(request.POST or None, request.FILES or None, user=user)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        with tempfile.TemporaryDirectory(prefix="linli-upload-") as tmp:
            path = Path(tmp) / Path(upload.name).name
            with path.open("wb") as fh:
                for chunk in upload.chunks():
                    fh.write(chunk)
            try:
                with transaction.atomic():
                    job = import_job_create(
                        actor=user,
                        community=form.cleaned_data["community"],
                        path=path,
                        original_name=upload.name,
                        dry_run=form.cleaned_data["dry_run"],
                    )
                    # Enqueued on commit: the worker must find the job row when it picks the task up.
                    transaction.on_commit(lambda: run_import.enqueue(job.pk, user.pk))
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                return redirect("transfers:import", pk=job.pk)
    return render(request, "transfers/import_new.html", {"form": form}, status=400 if form.errors else 200)


@login_required
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    job = get_object_or_404(ImportJob.objects.visible_to(user).select_related("community"), pk=pk)
    problems = (
        job.rows.exclude(errors=[], warnings=[]).order_by("row_number")[:200] if job.status == "done" else []
    )
    rows = [p for p in problems if p.errors or p.warnings]
    if not user.can(Capability.REVEAL_PERSONAL):
        for row in rows:  # a warning may quote the phone it could not read
            row.errors = [mask_text(e) for e in row.errors]
            row.warnings = [mask_text(w) for w in row.warnings]
    context = {
        "job": job,
        "problems": rows,
        "can_download": user.can(Capability.EXPORT),
        "can_resume": user.can(Capability.KEEP_REGISTRY),
    }
    template = "transfers/import_detail.html#status" if request.htmx else "transfers/import_detail.html"
    return render(request, template, context)


@login_required
def import_report(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The problem rows as a workbook to fix and re-import. It holds original values, so it is an export:
    only for those who may export, numbers masked unless they may reveal, every download audited."""
    user = acting_user(request)
    job = get_object_or_404(ImportJob.objects.visible_to(user).select_related("community"), pk=pk)
    if not user.can(Capability.EXPORT):
        raise PermissionDenied("只读账号不能下载导入文件。")
    if job.status != ImportJob.Status.DONE:
        raise PermissionDenied("导入尚未完成。")
    reveal = user.can(Capability.REVEAL_PERSONAL)
    path = Path(tempfile.mkdtemp(prefix="linli-report-")) / f"import-{job.pk}-report.xlsx"
    count = write_import_report(job, path, reveal=reveal)
    audit_record(
        actor=user,
        action=Action.EXPORT,
        obj=job,
        changes={"what": "import report", "rows": count, "masked": not reveal},
    )
    return FileResponse(path.open("rb"), as_attachment=True, filename=f"导入问题行-{job.pk}.xlsx")


@login_required
def import_resume(request: HttpRequest, pk: int) -> HttpResponseBase:
    """继续导入: queue a stalled or failed job again (POST)."""
    user = acting_user(request)
    job = get_object_or_404(ImportJob.objects.visible_to(user).select_related("community"), pk=pk)
    if request.method != "POST":
        return redirect("transfers:import", pk=job.pk)
    try:
        with transaction.atomic():
            job = import_job_resume(actor=user, job=job)
            transaction.on_commit(lambda: run_import.enqueue(job.pk, user.pk))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("transfers:import", pk=job.pk)
