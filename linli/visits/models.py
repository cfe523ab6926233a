"""Visits (走访): the log, care plans and pairings that say who must be seen how often, the stored
visit targets that turn those plans into due dates, mandatory visits (八必访) and the field diary."""

from __future__ import annotations

from datetime import date, timedelta
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from linli.visits.querysets import (
    CarePlanQuerySet,
    DiaryQuerySet,
    GridRowQuerySet,
    PairingQuerySet,
    VisitChildQuerySet,
)


class Mode(models.TextChoices):
    IN_PERSON = "in_person", "入户"
    PHONE = "phone", "电话"
    NEIGHBOUR = "neighbour", "邻里访"


class Trigger(models.TextChoices):
    """八必访: the events that oblige a visit."""

    HOSPITALISED = "hospitalised", "住院"
    HARDSHIP = "hardship", "生活困难"
    ACCIDENT = "accident", "家庭变故"
    FAMILY_CONFLICT = "family_conflict", "家庭矛盾"
    NEIGHBOUR_DISPUTE = "neighbour_dispute", "邻里纠纷"
    BENEFITS = "benefits", "政策未落实"
    WORRIES = "worries", "有思想顾虑"
    MAJOR_EVENT = "major_event", "重大事项（婚丧嫁娶等）"


# Working days the responsible worker has for each trigger; urgent family matters first.
TRIGGER_DAYS: dict[str, int] = {
    Trigger.HOSPITALISED: 2,
    Trigger.HARDSHIP: 3,
    Trigger.ACCIDENT: 1,
    Trigger.FAMILY_CONFLICT: 1,
    Trigger.NEIGHBOUR_DISPUTE: 1,
    Trigger.BENEFITS: 3,
    Trigger.WORRIES: 3,
    Trigger.MAJOR_EVENT: 2,
}


class PairingKind(models.TextChoices):
    WORKER = "worker", "社区工作者"
    PARTY_MEMBER = "party_member", "党员"
    VOLUNTEER = "volunteer", "志愿者"


class TaskStatus(models.TextChoices):
    OPEN = "open", "待走访"
    DONE = "done", "已走访"
    CANCELLED = "cancelled", "已撤销"


MAX_INTERVAL_DAYS = 366


class CarePlan(models.Model):
    """关怀计划: everyone with `tag` in `area`'s subtree, or one `resident`, is visited every `interval_days`."""

    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="care_plans")
    tag = models.ForeignKey(
        "registry.Tag", null=True, blank=True, on_delete=models.PROTECT, related_name="care_plans"
    )
    resident = models.ForeignKey(
        "registry.Resident", null=True, blank=True, on_delete=models.CASCADE, related_name="care_plans"
    )
    interval_days = models.PositiveSmallIntegerField()
    note = models.CharField(max_length=200, blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects: ClassVar[CarePlanQuerySet] = CarePlanQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = "关怀计划"
        verbose_name_plural = "关怀计划"
        ordering = ["area__path", "tag__order", "resident__name"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(tag__isnull=False) & Q(resident__isnull=True))
                | (Q(tag__isnull=True) & Q(resident__isnull=False)),
                name="careplan_tag_or_resident",
            ),
            models.CheckConstraint(
                condition=Q(interval_days__gte=1, interval_days__lte=MAX_INTERVAL_DAYS),
                name="careplan_interval_range",
            ),
            models.UniqueConstraint(
                fields=["area", "tag"], condition=Q(tag__isnull=False), name="careplan_tag_unique_in_area"
            ),
            models.UniqueConstraint(
                fields=["resident"], condition=Q(resident__isnull=False), name="careplan_one_per_resident"
            ),
        ]

    def __str__(self) -> str:
        who = self.tag.name if self.tag_id and self.tag else (self.resident.name if self.resident else "")
        return f"{who}：每 {self.interval_days} 天"

    @property
    def audit_area_path(self) -> str:
        return self.area.path


class Pairing(models.Model):
    """结对 / 联系户: a visitor (worker, party member or volunteer with an account) owns a resident's visits."""

    Kind = PairingKind

    resident = models.ForeignKey("registry.Resident", on_delete=models.CASCADE, related_name="pairings")
    visitor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="pairings")
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.WORKER)
    start_date = models.DateField(default=timezone.localdate)
    end_date = models.DateField(null=True, blank=True)
    note = models.CharField(max_length=200, blank=True)

    objects: ClassVar[PairingQuerySet] = PairingQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = "结对"
        verbose_name_plural = "结对"
        ordering = ["resident", "-start_date"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=PairingKind.values), name="pairing_kind_valid"),
            models.UniqueConstraint(
                fields=["resident"], condition=Q(end_date__isnull=True), name="pairing_one_open_per_resident"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.resident_id}↔{self.visitor_id}"

    @property
    def audit_area_path(self) -> str:
        return self.resident.grid.path


class VisitTarget(models.Model):
    """One resident some care plan covers, with the stored due date of their next visit.

    Kept by `services.targets_sync` (plans, tags, pairings, grid duty) and by each visit;
    the to-do lists and coverage figures are plain indexed reads of this table.
    """

    resident = models.OneToOneField(
        "registry.Resident", on_delete=models.CASCADE, related_name="visit_target"
    )
    grid = models.ForeignKey("areas.Area", on_delete=models.CASCADE, related_name="+")
    interval_days = models.PositiveSmallIntegerField()
    # Codes of the tags whose plans cover this person ("person" for a plan of their own). Stored as
    # codes, not names: sensitive tags (低保 …) are named only to users who may see them.
    reasons = models.JSONField(default=list)
    visitor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="visit_targets",
    )
    since = models.DateField()
    last_visited_on = models.DateField(null=True, blank=True)
    due_on = models.DateField()
    # The due date the visitor was last told is overdue; the sweep tells them once per due date.
    notified_due_on = models.DateField(null=True, blank=True)

    objects: ClassVar[GridRowQuerySet] = GridRowQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = "走访对象"
        verbose_name_plural = "走访对象"
        indexes = [
            models.Index(fields=["visitor", "due_on"], name="visittarget_visitor_due_idx"),
            models.Index(fields=["grid", "due_on"], name="visittarget_grid_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.resident_id} due {self.due_on}"

    def overdue_on(self, today: date) -> bool:
        return self.due_on < today

    @staticmethod
    def due_after(start: date, interval_days: int) -> date:
        return start + timedelta(days=interval_days)


def visit_photo_path(instance: VisitPhoto, filename: str) -> str:
    return f"visits/{instance.visit_id}/{timezone.now():%Y%m%d%H%M%S}-{filename}"


class Visit(models.Model):
    """One visit: to a resident, or to a household (it then counts for each member)."""

    Mode = Mode

    resident = models.ForeignKey(
        "registry.Resident", null=True, blank=True, on_delete=models.PROTECT, related_name="visits"
    )
    household = models.ForeignKey(
        "registry.Household", null=True, blank=True, on_delete=models.PROTECT, related_name="visits"
    )
    grid = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="visits")
    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.IN_PERSON)
    visited_on = models.DateField()
    visitor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="visits"
    )
    visitor_label = models.CharField(max_length=150)
    observations = models.TextField()
    needs = models.TextField(blank=True)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects: ClassVar[GridRowQuerySet] = GridRowQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = "走访记录"
        verbose_name_plural = "走访记录"
        ordering = ["-visited_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(mode__in=Mode.values), name="visit_mode_valid"),
            models.CheckConstraint(
                condition=Q(resident__isnull=False) | Q(household__isnull=False), name="visit_has_someone"
            ),
        ]
        indexes = [
            models.Index(fields=["resident", "visited_on"], name="visit_resident_day_idx"),
            models.Index(fields=["household", "visited_on"], name="visit_household_day_idx"),
            models.Index(fields=["grid", "visited_on"], name="visit_grid_day_idx"),
            models.Index(fields=["visitor", "visited_on"], name="visit_visitor_day_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.visited_on} {self.get_mode_display()} {self.subject_label}"

    @property
    def subject_label(self) -> str:
        if self.resident_id and self.resident:
            return self.resident.name
        return str(self.household) if self.household else ""

    @property
    def audit_area_path(self) -> str:
        return self.grid.path


class VisitPhoto(models.Model):
    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(upload_to=visit_photo_path)
    content_type = models.CharField(max_length=30)
    caption = models.CharField(max_length=100, blank=True)
    uploaded_at = models.DateTimeField(default=timezone.now)

    objects: ClassVar[VisitChildQuerySet] = VisitChildQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = "走访照片"
        verbose_name_plural = "走访照片"

    def __str__(self) -> str:
        return self.caption or str(self.file.name)


class VisitCaseLink(models.Model):
    """A need found on a visit, turned into a case: the visit lists its cases, the case names its visit."""

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="case_links")
    case = models.OneToOneField("cases.Case", on_delete=models.CASCADE, related_name="visit_link")

    class Meta:
        verbose_name = "走访转诉求"
        verbose_name_plural = "走访转诉求"

    def __str__(self) -> str:
        return f"{self.visit_id}→{self.case_id}"


class VisitTask(models.Model):
    """八必访: an event recorded on a resident obliges their responsible worker to visit by `due_at`."""

    Trigger = Trigger
    Status = TaskStatus

    resident = models.ForeignKey("registry.Resident", on_delete=models.PROTECT, related_name="visit_tasks")
    grid = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+")
    trigger = models.CharField(max_length=20, choices=Trigger.choices)
    note = models.TextField()
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reported_at = models.DateTimeField(default=timezone.now)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="visit_tasks"
    )
    due_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    visit = models.ForeignKey(Visit, null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks")
    done_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=200, blank=True)
    overdue_since = models.DateTimeField(null=True, blank=True)

    objects: ClassVar[GridRowQuerySet] = GridRowQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = "八必访任务"
        verbose_name_plural = "八必访任务"
        ordering = ["due_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(trigger__in=Trigger.values), name="visittask_trigger_valid"),
            models.CheckConstraint(condition=Q(status__in=TaskStatus.values), name="visittask_status_valid"),
        ]
        indexes = [
            models.Index(
                fields=["due_at"],
                condition=Q(status="open", overdue_since__isnull=True),
                name="visittask_open_due_idx",
            ),
            models.Index(fields=["assignee", "status"], name="visittask_assignee_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_trigger_display()}：{self.resident_id}"

    @property
    def audit_area_path(self) -> str:
        return self.grid.path

    def is_overdue(self, now: object = None) -> bool:
        return self.status == TaskStatus.OPEN and self.due_at <= (now or timezone.now())  # type: ignore[operator]


class DiaryEntry(models.Model):
    """民情日记: a worker's dated notes of what residents said. Scoped by the area it concerns."""

    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="diary_entries"
    )
    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="diary_entries")
    day = models.DateField(default=timezone.localdate)
    text = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    objects: ClassVar[DiaryQuerySet] = DiaryQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = "民情日记"
        verbose_name_plural = "民情日记"
        ordering = ["-day", "-id"]
        indexes = [models.Index(fields=["author", "day"], name="diary_author_day_idx")]

    def __str__(self) -> str:
        return f"{self.day} {self.text[:20]}"

    @property
    def audit_area_path(self) -> str:
        return self.area.path
