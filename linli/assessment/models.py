"""Assessment of community workers (考核激励, seed 004 第2篇).

Published duties and their standards; rounds (quarter, year, one-off task) with the workers in scope; a
sample of the residents each worker served, drawn reproducibly from a published seed; ratings collected by
one-time link or by phone; scores, pay spread; and the two-way evaluation of departments (政社互动).

Ratings are unlinkable: `Rating` has no reference to the sampled resident. The one link (`RatingSeal`)
is read only by the round's auditor (see services.rating_seals). Ratings carry their day, not their time,
so the order of answers cannot be matched against the invitations either.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from linli.assessment.querysets import AssessmentAreaQuerySet, CaseReviewQuerySet, RoundChildQuerySet

DEFAULT_MIN_SAMPLE = 30


class Grade(models.TextChoices):
    EXCELLENT = "excellent", "优"
    GOOD = "good", "良"
    FAIR = "fair", "中"
    POOR = "poor", "差"


# Grades whose reason is mandatory (004: "评价为优和差的，要求参评人填写理由").
REASON_REQUIRED = frozenset({Grade.EXCELLENT, Grade.POOR})
# Points of each grade for the residents' part of the combined score (documented in docs/assessment.md).
GRADE_POINTS = {Grade.EXCELLENT: 100, Grade.GOOD: 80, Grade.FAIR: 60, Grade.POOR: 0}


class DutyKind(models.TextChoices):
    ROUTINE = "routine", "日常工作"
    ONE_OFF = "one_off", "突击任务"
    BY_LAW = "by_law", "依法履职事项"
    ASSISTING = "assisting", "协助政府事项"


WORKER_DUTY_KINDS = (DutyKind.ROUTINE, DutyKind.ONE_OFF)
DEPARTMENT_DUTY_KINDS = (DutyKind.BY_LAW, DutyKind.ASSISTING)


class Duty(models.Model):
    """One line of a published list: a worker role's duty (daily / one-off) with the standard it is measured
    by, or a duty of a department towards communities (by law / assisting government, 两份清单)."""

    Kind = DutyKind
    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=DutyKind.choices)
    role = models.CharField(max_length=24, blank=True)  # worker lists: accounts.roles.Role
    department = models.ForeignKey(
        "cases.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(max_length=100)
    standard = models.CharField(max_length=300)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = AssessmentAreaQuerySet.as_manager()

    class Meta:
        ordering = ["kind", "role", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=DutyKind.values), name="assessment_duty_kind_valid"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def audit_area_path(self) -> str:
        return self.area.path


class TaskStatus(models.TextChoices):
    OPEN = "open", "进行中"
    CLOSED = "closed", "已完成"
    CANCELLED = "cancelled", "已取消"


class OneOffTask(models.Model):
    """突击任务: assessed when it ends ("任务完成时立即进行考核评价，结果列入年度考核中")."""

    Status = TaskStatus
    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+")
    title = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    standard = models.CharField(max_length=300)
    start_date = models.DateField()
    deadline = models.DateField()
    workers = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+")
    status = models.CharField(max_length=10, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    closed_on = models.DateField(null=True, blank=True)
    result = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = AssessmentAreaQuerySet.as_manager()

    class Meta:
        ordering = ["-deadline", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=TaskStatus.values), name="assessment_task_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(deadline__gte=models.F("start_date")), name="assessment_task_dates"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def audit_area_path(self) -> str:
        return self.area.path


class RoundKind(models.TextChoices):
    QUARTER = "quarter", "季度考核"
    YEAR = "year", "年度考核"
    TASK = "task", "突击任务考核"


class RoundStatus(models.TextChoices):
    DRAFT = "draft", "准备中"
    OPEN = "open", "评议中"
    CLOSED = "closed", "已结束"
    CANCELLED = "cancelled", "已取消"


class Round(models.Model):
    Kind = RoundKind
    Status = RoundStatus
    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=8, choices=RoundKind.choices)
    title = models.CharField(max_length=100)
    period_start = models.DateField()
    period_end = models.DateField()
    task = models.OneToOneField(
        OneOffTask, null=True, blank=True, on_delete=models.PROTECT, related_name="round"
    )
    status = models.CharField(max_length=10, choices=RoundStatus.choices, default=RoundStatus.DRAFT)
    min_sample = models.PositiveSmallIntegerField(
        default=DEFAULT_MIN_SAMPLE, validators=[MinValueValidator(1), MaxValueValidator(500)]
    )
    # Published when the round opens; never changed after (services refuse and audit a changed seed).
    seed = models.CharField(max_length=64, blank=True)
    seed_published_at = models.DateTimeField(null=True, blank=True)
    auditor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    workers = models.ManyToManyField(settings.AUTH_USER_MODEL, through="RoundWorker", related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = AssessmentAreaQuerySet.as_manager()

    class Meta:
        ordering = ["-period_end", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=RoundKind.values), name="assessment_round_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=RoundStatus.values), name="assessment_round_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")), name="assessment_round_dates"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def audit_area_path(self) -> str:
        return self.area.path


class RoundWorker(models.Model):
    """A worker in scope of a round, with the street's and the peers' scores (0–100) when given."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="members")
    worker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    frame_size = models.PositiveIntegerField(default=0)
    street_score = models.DecimalField(
        max_digits=5, decimal_places=1, null=True, blank=True, validators=[MaxValueValidator(100)]
    )
    peer_score = models.DecimalField(
        max_digits=5, decimal_places=1, null=True, blank=True, validators=[MaxValueValidator(100)]
    )

    objects = RoundChildQuerySet.as_manager()

    class Meta:
        ordering = ["round", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["round", "worker"], name="assessment_roundworker_once")
        ]

    def __str__(self) -> str:
        return f"{self.round} · {self.worker}"


class EntryState(models.TextChoices):
    RESERVE = "reserve", "候补"
    INVITED = "invited", "待邀请"
    SENT = "sent", "已发送"
    RESPONDED = "responded", "已评议"
    NO_RESPONSE = "no_response", "未回应"


class SampleEntry(models.Model):
    """One resident of a worker's frame, in draw order. The first `min_sample` are invited; a non-respondent
    is replaced by the next reserve of the same worker ("drawn in order from the same frame")."""

    State = EntryState
    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="entries")
    worker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    resident = models.ForeignKey("registry.Resident", on_delete=models.PROTECT, related_name="+")
    stratum = models.CharField(max_length=255)  # the resident's grid path
    rank = models.PositiveIntegerField()
    state = models.CharField(max_length=12, choices=EntryState.choices, default=EntryState.RESERVE)
    replaces = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replaced_by"
    )
    service_on = models.DateField()
    service_text = models.CharField(max_length=160)
    token_hash = models.CharField(max_length=64, null=True, blank=True, unique=True)
    sent_on = models.DateField(null=True, blank=True)

    objects = RoundChildQuerySet.as_manager()

    class Meta:
        ordering = ["round", "worker", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["round", "worker", "resident"], name="assessment_entry_once"),
            models.UniqueConstraint(fields=["round", "worker", "rank"], name="assessment_entry_rank_once"),
            models.CheckConstraint(
                condition=Q(state__in=EntryState.values), name="assessment_entry_state_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.round} #{self.rank}"

    @property
    def audit_area_path(self) -> str:
        return self.stratum


class Channel(models.TextChoices):
    LINK = "link", "链接/二维码"
    PHONE = "phone", "电话代录"


class Validity(models.TextChoices):
    VALID = "valid", "有效"
    NO_REASON = "no_reason", "无效：优/差未填理由"
    UNTRUE = "untrue", "无效：理由经查不实"


class Rating(models.Model):
    """One resident's rating of one worker. No reference to the resident (see RatingSeal)."""

    Grade = Grade
    Channel = Channel
    Validity = Validity
    round = models.ForeignKey(Round, on_delete=models.PROTECT, related_name="ratings")
    worker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    grade = models.CharField(max_length=10, choices=Grade.choices)
    reason = models.CharField(max_length=500, blank=True)
    channel = models.CharField(max_length=6, choices=Channel.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_on = models.DateField()
    validity = models.CharField(max_length=10, choices=Validity.choices)
    check_note = models.CharField(max_length=300, blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    checked_on = models.DateField(null=True, blank=True)

    objects = RoundChildQuerySet.as_manager()

    class Meta:
        ordering = ["round", "worker", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(grade__in=Grade.values), name="assessment_rating_grade_valid"),
            models.CheckConstraint(
                condition=Q(validity__in=Validity.values), name="assessment_rating_validity"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_grade_display()}（{self.get_validity_display()}）"

    @property
    def audit_area_path(self) -> str:
        return self.round.area.path


class RatingSeal(models.Model):
    """Which sampled resident gave which rating: read by the round's auditor only (services.rating_seals)."""

    rating = models.OneToOneField(Rating, on_delete=models.CASCADE, related_name="+")
    entry = models.OneToOneField(SampleEntry, on_delete=models.CASCADE, related_name="+")

    def __str__(self) -> str:
        return f"seal {self.pk}"


class WorkerProfile(models.Model):
    """What assessment needs of a staff member: the photo residents see, pay, and their own registry record.

    `resident` is the one link between a staff account and the registry (accounts has none): the worker's own
    record, so that their household and the relatives recorded in it are left out of their frames."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assessment_profile"
    )
    resident = models.ForeignKey(
        "registry.Resident", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    photo = models.BinaryField(null=True, blank=True)
    photo_type = models.CharField(max_length=30, blank=True)
    base_annual_pay = models.DecimalField(max_digits=9, decimal_places=0, null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return str(self.user)


class Weighting(models.Model):
    """A street's weights for the combined score and the pay rule (e.g. residents 60 / street 30 / peers 10)."""

    area = models.OneToOneField("areas.Area", on_delete=models.PROTECT, related_name="+")
    residents = models.PositiveSmallIntegerField(default=60, validators=[MaxValueValidator(100)])
    indicators = models.PositiveSmallIntegerField(default=0, validators=[MaxValueValidator(100)])
    street = models.PositiveSmallIntegerField(default=30, validators=[MaxValueValidator(100)])
    peers = models.PositiveSmallIntegerField(default=10, validators=[MaxValueValidator(100)])
    # Share of annual pay tied to assessment, and the score at which that share's award is zero.
    assessed_share = models.PositiveSmallIntegerField(default=30, validators=[MaxValueValidator(100)])
    floor_score = models.PositiveSmallIntegerField(default=60, validators=[MaxValueValidator(99)])
    updated_at = models.DateTimeField(default=timezone.now)

    objects = AssessmentAreaQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(residents__lte=100)
                & Q(indicators__lte=100)
                & Q(street__lte=100)
                & Q(peers__lte=100),
                name="assessment_weighting_range",
            )
        ]

    def __str__(self) -> str:
        return f"{self.residents}/{self.indicators}/{self.street}/{self.peers}"

    @property
    def audit_area_path(self) -> str:
        return self.area.path


class Agreement(models.Model):
    """A signed agreement between a community and a department (the third basis of the two-way evaluation)."""

    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+")  # the community
    department = models.ForeignKey("cases.Department", on_delete=models.PROTECT, related_name="+")
    title = models.CharField(max_length=100)
    signed_on = models.DateField()
    terms = models.TextField(blank=True)
    active = models.BooleanField(default=True)

    objects = AssessmentAreaQuerySet.as_manager()

    class Meta:
        ordering = ["-signed_on", "pk"]

    def __str__(self) -> str:
        return self.title

    @property
    def audit_area_path(self) -> str:
        return self.area.path


class CaseReview(models.Model):
    """The community's view of how a department handled one dispatched case."""

    case = models.OneToOneField("cases.Case", on_delete=models.CASCADE, related_name="department_review")
    department = models.ForeignKey("cases.Department", on_delete=models.PROTECT, related_name="+")
    on_time = models.BooleanField()
    wrongly_returned = models.BooleanField(default=False)
    note = models.CharField(max_length=300, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    objects = CaseReviewQuerySet.as_manager()

    def __str__(self) -> str:
        return f"{self.case} → {self.department}"


class Basis(models.TextChoices):
    BY_LAW = "by_law", "依法履职事项清单"
    ASSISTING = "assisting", "协助政府事项清单"
    AGREEMENT = "agreement", "签订的协议"


class DepartmentReview(models.Model):
    """A community's rating of a department in a round, against one basis."""

    Basis = Basis
    round = models.ForeignKey(Round, on_delete=models.PROTECT, related_name="department_reviews")
    department = models.ForeignKey("cases.Department", on_delete=models.PROTECT, related_name="+")
    basis = models.CharField(max_length=10, choices=Basis.choices)
    grade = models.CharField(max_length=10, choices=Grade.choices)
    reason = models.CharField(max_length=500, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    objects = RoundChildQuerySet.as_manager()

    class Meta:
        ordering = ["department", "basis"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "department", "basis"], name="assessment_deptreview_once"
            ),
            models.CheckConstraint(condition=Q(basis__in=Basis.values), name="assessment_deptreview_basis"),
            models.CheckConstraint(condition=Q(grade__in=Grade.values), name="assessment_deptreview_grade"),
        ]

    def __str__(self) -> str:
        return f"{self.department} {self.get_basis_display()} {self.get_grade_display()}"

    @property
    def audit_area_path(self) -> str:
        return self.round.area.path
