"""Cases (诉求工单): one resident appeal or found problem, from intake to follow-up.

The workflow follows GB/T 30428 (digital urban management): receive → register →
dispatch → handle → verify → close, with a time limit per stage. Every move is a
`CaseEvent`; the current stage's deadline is a stored column the sweep reads.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from linli.cases.querysets import (
    CaseChildQuerySet,
    CaseCountQuerySet,
    CaseQuerySet,
    DepartmentQuerySet,
    NotificationQuerySet,
)
from linli.cases.statuses import OPEN_STATUSES, Status
from linli.core.models import RunningCount


class Channel(models.TextChoices):
    WALK_IN = "walk_in", "来访（一站式大厅）"
    PHONE = "phone", "电话"
    ONLINE = "online", "网上 / 手机"
    PATROL = "patrol", "网格巡查"
    OPEN_DAY = "open_day", "社情民意联系日"
    VISIT = "visit", "入户走访"
    API = "api", "接口 / Open311"


class Urgency(models.TextChoices):
    NORMAL = "normal", "一般"
    URGENT = "urgent", "紧急"
    CRITICAL = "critical", "特急"


# Share of each stage's time limit that applies at each urgency.
URGENCY_FACTOR: dict[str, float] = {Urgency.NORMAL: 1.0, Urgency.URGENT: 0.5, Urgency.CRITICAL: 0.25}


class Stage(models.TextChoices):
    REGISTER = "register", "立案"
    DISPATCH = "dispatch", "派遣"
    HANDLE = "handle", "处置"
    VERIFY = "verify", "核查"


# The stage whose clock runs while a case is in each open status.
STAGE_OF_STATUS = {
    Status.RECEIVED: Stage.REGISTER,
    Status.REGISTERED: Stage.DISPATCH,
    Status.DISPATCHED: Stage.HANDLE,
    Status.HANDLING: Stage.HANDLE,
    Status.HANDLED: Stage.VERIFY,
    Status.VERIFYING: Stage.VERIFY,
}


class LimitUnit(models.TextChoices):
    HOURS = "hours", "工作小时"
    DAYS = "days", "工作日"


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", "满意"
    BASICALLY = "basically", "基本满意"
    DISSATISFIED = "dissatisfied", "不满意"


class Department(models.Model):
    """职能部门: a government body cases can be dispatched to. Its members handle them."""

    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="departments")
    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=60)
    phone = models.CharField(max_length=20, blank=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="departments", blank=True)
    active = models.BooleanField(default=True)

    objects: ClassVar[DepartmentQuerySet] = DepartmentQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["code"]
        verbose_name = "职能部门"
        verbose_name_plural = "职能部门"

    def __str__(self) -> str:
        return self.name

    @property
    def audit_area_path(self) -> str:
        return self.area.path


class Category(models.Model):
    """A node of the case category tree (大类 → 小类). Cases are filed under leaves.

    Leaves carry the time limits (in `CategoryLimit`), an optional default department
    and the extra questions (Open311 "attributes") asked at intake.
    """

    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=60)
    description = models.CharField(max_length=200, blank=True)
    keywords = models.CharField(max_length=200, blank=True)
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.SET_NULL, related_name="categories"
    )
    # [{"code", "label", "datatype", "required", "description", "order", "values": [{"key", "name"}]}]
    questions = models.JSONField(default=list, blank=True)
    active = models.BooleanField(default=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = "诉求类别"
        verbose_name_plural = "诉求类别"

    def __str__(self) -> str:
        return f"{self.parent.name} / {self.name}" if self.parent_id and self.parent else self.name

    @property
    def audit_area_path(self) -> str:
        return ""


class CategoryLimit(models.Model):
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="limits")
    stage = models.CharField(max_length=10, choices=Stage.choices)
    amount = models.PositiveIntegerField()
    unit = models.CharField(max_length=6, choices=LimitUnit.choices)

    class Meta:
        verbose_name = "办理时限"
        verbose_name_plural = "办理时限"
        constraints = [
            models.UniqueConstraint(fields=["category", "stage"], name="categorylimit_one_per_stage"),
            models.CheckConstraint(condition=Q(stage__in=Stage.values), name="categorylimit_stage_valid"),
            models.CheckConstraint(condition=Q(unit__in=LimitUnit.values), name="categorylimit_unit_valid"),
            models.CheckConstraint(condition=Q(amount__gte=1), name="categorylimit_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.get_stage_display()} {self.amount}{self.get_unit_display()}"


class CalendarOverride(models.Model):
    """A day the statutory calendar gets wrong for us (or does not know yet): workday or not."""

    day = models.DateField(unique=True)
    is_workday = models.BooleanField()
    note = models.CharField(max_length=60, blank=True)

    class Meta:
        ordering = ["day"]
        verbose_name = "工作日调整"
        verbose_name_plural = "工作日调整"

    def __str__(self) -> str:
        return f"{self.day} {'工作日' if self.is_workday else '休息日'}"

    @property
    def audit_area_path(self) -> str:
        return ""


class CaseCounter(models.Model):
    """The last tracking number given out on a day. Intake increments it with an UPDATE, whose row lock
    makes concurrent intakes take numbers one after another instead of colliding."""

    day = models.DateField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "工单编号计数"
        verbose_name_plural = "工单编号计数"

    def __str__(self) -> str:
        return f"{self.day}: {self.last}"


# What the indicators read of a case, received-at first (see case_indicators_idx).
INDICATOR_COLUMNS = (
    "received_at",
    "area",
    "category",
    "assignee",
    "department",
    "status",
    "registered_at",
    "dispatched_at",
    "handled_at",
    "closed_at",
    "close_due_at",
    "handling_seconds",
    "extended",
    "rework_count",
    "return_count",
    "satisfaction",
    "was_overdue",
    "overdue_since",
)


class Case(models.Model):
    Status = Status
    Channel = Channel
    Urgency = Urgency

    # Public tracking number, e.g. 20261122-0007: what a resident quotes on the phone.
    number = models.CharField(max_length=20, unique=True)
    # Open311 token handed to the app that filed the case (GET tokens/{token} → the number).
    token = models.CharField(max_length=40, blank=True, db_index=True)
    # Where the case belongs: a grid when the location is known, else a community or street.
    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="cases")
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="cases")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    urgency = models.CharField(max_length=10, choices=Urgency.choices, default=Urgency.NORMAL)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.RECEIVED)
    title = models.CharField(max_length=100)
    description = models.TextField()
    attributes = models.JSONField(default=dict, blank=True)

    # Location.
    building = models.ForeignKey(
        "registry.Building", null=True, blank=True, on_delete=models.SET_NULL, related_name="cases"
    )
    house = models.ForeignKey(
        "registry.House", null=True, blank=True, on_delete=models.SET_NULL, related_name="cases"
    )
    address = models.CharField(max_length=200, blank=True)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)

    # Who raised it. The phone is personal data: masked like residents' phones.
    reporter_name = models.CharField(max_length=50, blank=True)
    reporter_phone = models.CharField(max_length=20, blank=True)
    resident = models.ForeignKey(
        "registry.Resident", null=True, blank=True, on_delete=models.SET_NULL, related_name="cases"
    )

    # Who owns it.
    first_receiver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases_received",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases_assigned",
    )
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.PROTECT, related_name="cases"
    )
    handler = models.ForeignKey(  # who reported it handled; may not verify it
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases_handled",
    )
    verifier = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases_verified",
    )
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_cases"
    )
    result = models.TextField(blank=True)

    # Time: milestones, the running stage's deadline and the whole case's.
    received_at = models.DateTimeField(default=timezone.now)
    registered_at = models.DateTimeField(null=True, blank=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    handled_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    stage_started_at = models.DateTimeField(default=timezone.now)
    stage_due_at = models.DateTimeField(null=True, blank=True)
    warn_at = models.DateTimeField(null=True, blank=True)
    warned_at = models.DateTimeField(null=True, blank=True)
    overdue_since = models.DateTimeField(null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(default=0)  # 0 none, 1 yellow, 2 red, 3 red to street
    next_escalation_at = models.DateTimeField(null=True, blank=True)
    close_due_at = models.DateTimeField(null=True, blank=True)
    # closed_at − received_at, kept with closed_at (see refresh_handling_seconds): the indicators sum it
    # rather than parse two datetimes per case (a quarter of their time on SQLite).
    handling_seconds = models.PositiveIntegerField(null=True, blank=True)
    # Counters the indicators read.
    was_overdue = models.BooleanField(default=False)
    extended = models.BooleanField(default=False)
    rework_count = models.PositiveSmallIntegerField(default=0)
    return_count = models.PositiveSmallIntegerField(default=0)
    reopen_count = models.PositiveSmallIntegerField(default=0)
    satisfaction = models.CharField(max_length=14, choices=Satisfaction.choices, blank=True)
    followed_up_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    objects: ClassVar[CaseQuerySet] = CaseQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = "诉求工单"
        verbose_name_plural = "诉求工单"
        constraints = [
            models.CheckConstraint(condition=Q(status__in=Status.values), name="case_status_valid"),
            models.CheckConstraint(condition=Q(channel__in=Channel.values), name="case_channel_valid"),
            models.CheckConstraint(condition=Q(urgency__in=Urgency.values), name="case_urgency_valid"),
            models.CheckConstraint(
                condition=Q(satisfaction="") | Q(satisfaction__in=Satisfaction.values),
                name="case_satisfaction_valid",
            ),
            models.CheckConstraint(condition=Q(escalation_level__lte=3), name="case_escalation_level_range"),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
                name="case_latitude_range",
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
                name="case_longitude_range",
            ),
            models.CheckConstraint(
                condition=Q(closed_at__isnull=True, handling_seconds__isnull=True)
                | Q(closed_at__isnull=False, handling_seconds__isnull=False),
                name="case_handling_seconds_with_closed_at",
            ),
        ]
        indexes = [
            # Lists and their counts filter by status within a scope: an index-only count (open cases of
            # a community: 40 ms of a parallel table scan → 1.4 ms at 100,000 cases on PostgreSQL).
            models.Index(fields=["status", "area"], name="case_status_area_idx"),
            # The sweep's three questions, each over open cases only.
            models.Index(
                fields=["warn_at"],
                name="case_warn_due_idx",
                condition=Q(warned_at__isnull=True, status__in=OPEN_STATUSES),
            ),
            models.Index(
                fields=["stage_due_at"],
                name="case_stage_due_idx",
                condition=Q(overdue_since__isnull=True, status__in=OPEN_STATUSES),
            ),
            models.Index(
                fields=["next_escalation_at"],
                name="case_escalation_due_idx",
                condition=Q(next_escalation_at__isnull=False),
            ),
            models.Index(fields=["area", "status"], name="case_area_status_idx"),
            models.Index(fields=["assignee", "status"], name="case_assignee_status_idx"),
            models.Index(fields=["category", "received_at"], name="case_category_received_idx"),
            models.Index(fields=["building", "received_at"], name="case_building_received_idx"),
            # Lists walk this one newest-first. (SQLite will not walk the wide index below for that:
            # without this one a community's open cases were sorted whole, 2 → 36 ms.)
            models.Index(fields=["received_at"], name="case_received_idx"),
            # Received-at first (the period), then every column the indicators read: their GROUP BY
            # is answered from this index alone, without reading the wide case rows (titles,
            # descriptions, answers): a street's 100,000 cases on SQLite, 0.44 → 0.15 s.
            models.Index(fields=[*INDICATOR_COLUMNS], name="case_indicators_idx"),
            models.Index(fields=["close_due_at"], name="case_close_due_idx"),
            # The list sorted by deadline walks this one from the first non-null deadline (see
            # selectors.ordered); with area and status in it, that list's count is read from it alone.
            # Not a partial index: SQLite cannot match a partial index's condition to bound parameters.
            models.Index(fields=["stage_due_at", "area", "status"], name="case_deadline_list_idx"),
            # The list's filters by channel and by overdue / red card: their counts are read from these
            # alone (a street's 100,000 cases on SQLite: 150–190 ms reading the table → a few ms).
            models.Index(fields=["channel", "area"], name="case_channel_area_idx"),
            # The residents' portal: "my cases" are the cases reported with the phone the sign-in proved,
            # wherever they are (a sequential scan of the table otherwise; see docs/portal.md).
            models.Index(fields=["reporter_phone"], name="case_reporter_phone_idx"),
            # A department handler's dashboard and inbox: the department's cases by status, read from this
            # alone (a street's 100,000 cases on SQLite: the status counts read every case row, 286 → 99 ms
            # of CPU for the handler's first read after a write).
            models.Index(fields=["department", "status", "area"], name="case_department_status_idx"),
            # The map's open cases with a location, newest first: walking every case by date for the few
            # with a point read a street's 100,000 rows on SQLite (3.4 s under load) when none had one.
            models.Index(
                fields=["received_at", "status", "area"],
                name="case_located_received_idx",
                condition=Q(latitude__isnull=False),
            ),
            models.Index(fields=["overdue_since", "status", "area"], name="case_overdue_list_idx"),
            models.Index(fields=["escalation_level", "status", "area"], name="case_escalation_list_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def refresh_handling_seconds(self) -> None:
        """handling_seconds follows closed_at: the seconds from receipt to the end, None while open."""
        self.handling_seconds = (
            max(0, round((self.closed_at - self.received_at).total_seconds())) if self.closed_at else None
        )

    @property
    def audit_area_path(self) -> str:
        return self.area.path

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_overdue(self) -> bool:
        return self.overdue_since is not None and self.is_open


class CaseEvent(models.Model):
    """One thing that happened to a case. Append-only (a database trigger refuses UPDATE)."""

    class Action(models.TextChoices):
        RECEIVE = "receive", "受理"
        REGISTER = "register", "立案"
        REJECT = "reject", "不予立案"
        DISPATCH = "dispatch", "派遣"
        ACCEPT = "accept", "签收处置"
        RETURN = "return", "退单"
        FINISH = "finish", "处置完成"
        VERIFY = "verify", "开始核查"
        PASS = "pass", "核查通过并结案"
        REWORK = "rework", "核查不通过（返工）"
        EXTENSION_REQUEST = "extension_request", "申请延期"
        EXTENSION_APPROVE = "extension_approve", "批准延期"
        EXTENSION_DENY = "extension_deny", "驳回延期"
        FOLLOW_UP = "follow_up", "回访"
        REOPEN = "reopen", "重新办理"
        MERGE = "merge", "合并"
        COMMENT = "comment", "备注"
        PHOTO = "photo", "上传照片"
        WARN = "warn", "临期预警"
        OVERDUE = "overdue", "超期"
        ESCALATE = "escalate", "督办"
        RESIDENT_CONFIRM = "resident_confirm", "居民确认解决"
        RESIDENT_DISPUTE = "resident_dispute", "居民反映未解决"
        RELOCATE = "relocate", "更正位置"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=20, choices=Action.choices)
    from_status = models.CharField(max_length=12, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=Status.choices, blank=True)
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    # Whether the resident sees this event on the tracking page.
    public = models.BooleanField(default=True)

    objects: ClassVar[CaseChildQuerySet] = CaseChildQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["at", "id"]
        verbose_name = "工单记录"
        verbose_name_plural = "工单记录"
        indexes = [
            models.Index(fields=["case", "at"], name="caseevent_case_at_idx"),
            models.Index(fields=["action", "at"], name="caseevent_action_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.get_action_display()}"


class ExtensionRequest(models.Model):
    class Decision(models.TextChoices):
        PENDING = "pending", "待审批"
        APPROVED = "approved", "已批准"
        DENIED = "denied", "已驳回"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="extensions")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    amount = models.PositiveIntegerField()
    unit = models.CharField(max_length=6, choices=LimitUnit.choices)
    reason = models.CharField(max_length=500)
    decision = models.CharField(max_length=10, choices=Decision.choices, default=Decision.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=500, blank=True)

    objects: ClassVar[CaseChildQuerySet] = CaseChildQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["-requested_at"]
        verbose_name = "延期申请"
        verbose_name_plural = "延期申请"
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=Q(decision="pending"), name="extension_one_pending_per_case"
            ),
            models.CheckConstraint(
                condition=Q(decision__in=["pending", "approved", "denied"]), name="extension_decision_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} +{self.amount}{self.get_unit_display()} {self.get_decision_display()}"


def photo_path(instance: CasePhoto, filename: str) -> str:
    return f"cases/{instance.case_id}/{timezone.now():%Y%m%d%H%M%S}-{filename}"


class CasePhoto(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(upload_to=photo_path)
    content_type = models.CharField(max_length=30)
    caption = models.CharField(max_length=100, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    objects: ClassVar[CaseChildQuerySet] = CaseChildQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = "工单照片"
        verbose_name_plural = "工单照片"

    def __str__(self) -> str:
        return self.caption or str(self.file.name)


class Notification(models.Model):
    """An item in a user's inbox. Outbound channels (SMS, WeChat, console) copy it on commit."""

    class Kind(models.TextChoices):
        ASSIGNED = "assigned", "新派单"
        RETURNED = "returned", "退单待改派"
        TO_VERIFY = "to_verify", "待核查"
        REWORK = "rework", "返工"
        WARNING = "warning", "临期预警"
        OVERDUE = "overdue", "超期"
        SUPERVISION = "supervision", "督办"
        EXTENSION = "extension", "延期"
        NEW_CASE = "new_case", "新诉求"
        REOPENED = "reopened", "重新办理"
        VISIT_TASK = "visit_task", "八必访任务"
        VISIT_DUE = "visit_due", "走访超期"
        # Someone tried to register a resident whose identity number is registered in a scope they
        # cannot see; a supervisor who sees both checks it (registry.services.resident_create).
        DUPLICATE_ID = "duplicate_id", "重复登记待核实"
        SECURITY = "security", "安全提醒"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    text = models.CharField(max_length=300)
    # Where the item leads when it is not about a case (a visit task, say): a path inside Linli.
    link = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    sent_via = models.CharField(max_length=100, blank=True)

    objects: ClassVar[NotificationQuerySet] = NotificationQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "通知"
        verbose_name_plural = "通知"
        indexes = [models.Index(fields=["user", "read_at"], name="notification_user_read_idx")]

    def __str__(self) -> str:
        return self.text


class CaseCount(RunningCount):
    """The cases' running counts (linli/cases/counts.py): per area, UTC month of receipt (`key`, "YYYY-MM")
    and `kind` (received, closed, closed_due, on_time, followed_up, satisfied), kept by database triggers in
    the transaction of every write to cases. On PostgreSQL each statement appends its change as rows of its
    own, summed when read and folded by the sweep. Derived data: not backed up (a restore's own writes
    rebuild it), rebuilt by `linli case recount`."""

    area = models.ForeignKey("areas.Area", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")

    objects: ClassVar[CaseCountQuerySet] = CaseCountQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        indexes = [models.Index(fields=["key", "area", "kind"], name="casecount_key_area_kind")]

    def __str__(self) -> str:
        return f"{self.area_id}:{self.key}:{self.kind}={self.n}"
