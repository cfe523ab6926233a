from __future__ import annotations

from datetime import timedelta
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from linli.core.scoping import ScopedQuerySet


class ImportJobQuerySet(ScopedQuerySet):
    scope_lookup = "community__path"


class ImportStatus(models.TextChoices):
    PENDING = "pending", "等待中"
    RUNNING = "running", "导入中"
    DONE = "done", "已完成"
    FAILED = "failed", "失败"


class ImportJob(models.Model):
    """One import of a ledger file: the original file, the outcome of every row, the summary."""

    Status = ImportStatus

    kind = models.CharField(max_length=20, default="residents")
    community = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="import_jobs")
    original_name = models.CharField(max_length=255)
    stored_file = models.CharField(max_length=500)  # path under LINLI_VAR_DIR/media
    dry_run = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=ImportStatus.choices, default=ImportStatus.PENDING)
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    summary = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by_label = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Liveness: whoever runs the job (worker or CLI) writes heartbeat_at while it reads and writes; a
    # running job whose heartbeat is older than LINLI_WORKER_STALL_SECONDS has lost its worker. `attempt`
    # counts resumptions: a runner keeps writing only while the job is still at the attempt it started.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    attempt = models.PositiveIntegerField(default=0)

    objects: ClassVar[ImportJobQuerySet] = ImportJobQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "导入任务"
        verbose_name_plural = "导入任务"
        constraints = [
            models.CheckConstraint(condition=Q(status__in=ImportStatus.values), name="importjob_status_valid")
        ]

    def __str__(self) -> str:
        return f"{self.original_name}（{self.created_at:%Y-%m-%d %H:%M}）"

    @property
    def audit_area_path(self) -> str:
        return self.community.path

    @property
    def stalled(self) -> bool:
        """Running without a heartbeat for LINLI_WORKER_STALL_SECONDS, or waiting that long with no
        worker alive to take it: the worker died (or none runs). Such a job may be resumed."""
        cutoff = timezone.now() - timedelta(seconds=settings.LINLI_WORKER_STALL_SECONDS)
        last_sign = self.heartbeat_at or self.created_at  # a resumed job is queued with a fresh heartbeat
        if self.status == ImportStatus.RUNNING:
            return last_sign < cutoff
        if self.status == ImportStatus.PENDING and last_sign < cutoff:
            return not ImportJob.objects.filter(
                status=ImportStatus.RUNNING, heartbeat_at__gte=cutoff
            ).exists()
        return False


class RowOutcome(models.TextChoices):
    CREATED = "created", "新增"
    UPDATED = "updated", "更新"
    UNCHANGED = "unchanged", "无变化"
    ERROR = "error", "错误"


class ImportRow(models.Model):
    """What happened to one row of the file, with its original values, so nothing is lost."""

    Outcome = RowOutcome

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="rows")
    row_number = models.PositiveIntegerField()  # as the worker sees it in Excel (1-based)
    outcome = models.CharField(max_length=10, choices=RowOutcome.choices)
    errors = models.JSONField(default=list, blank=True)
    warnings = models.JSONField(default=list, blank=True)
    values = models.JSONField(default=dict)
    resident = models.ForeignKey(
        "registry.Resident", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["job", "row_number"]
        constraints = [
            models.UniqueConstraint(fields=["job", "row_number"], name="importrow_unique"),
            models.CheckConstraint(
                condition=Q(outcome__in=RowOutcome.values), name="importrow_outcome_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.job_id}#{self.row_number} {self.outcome}"
