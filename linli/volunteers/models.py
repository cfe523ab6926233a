"""Volunteers (志愿服务): who serves, in which teams, at which activities, and the honest record of it.

The rules followed are those of 《志愿服务记录与证明出具办法（试行）》(民政部, 2021): records are 真实、准确、
完整、无偿、及时; 谁组织谁记录、谁记录谁证明. So service minutes are never typed: they come from a sign-in
and a sign-out (QR code at the place, or the leader's roll call), count only when the attendance covers a
set share of the slot, and a correction is the organiser's, with a reason, kept in the record's history.
A record's community is the one that keeps it (the activity's); proofs are issued by that community.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from linli.volunteers.querysets import (
    ActivityQuerySet,
    CommunityScopedQuerySet,
    ServiceRecordQuerySet,
    TeamChildQuerySet,
    VolunteerChildQuerySet,
    VolunteerQuerySet,
)


class VolunteerStatus(models.TextChoices):
    APPLIED = "applied", "待审核"
    ACTIVE = "active", "在册"
    SUSPENDED = "suspended", "暂停"
    LEFT = "left", "已退出"


# Which status may follow which; a change outside this table is refused.
VOLUNTEER_TRANSITIONS: dict[str, frozenset[str]] = {
    VolunteerStatus.APPLIED: frozenset({VolunteerStatus.ACTIVE, VolunteerStatus.LEFT}),
    VolunteerStatus.ACTIVE: frozenset({VolunteerStatus.SUSPENDED, VolunteerStatus.LEFT}),
    VolunteerStatus.SUSPENDED: frozenset({VolunteerStatus.ACTIVE, VolunteerStatus.LEFT}),
    VolunteerStatus.LEFT: frozenset({VolunteerStatus.ACTIVE}),
}


class VolunteerKind(models.TextChoices):
    RESIDENT = "resident", "社区居民"
    UNIT = "unit", "共建单位"
    PARTY_MEMBER = "party_member", "在职党员报到"
    OTHER = "other", "其他"


class RegistrationChannel(models.TextChoices):
    STAFF = "staff", "社区登记"
    SELF = "self", "扫码自助"
    IMPORT = "import", "名册导入"


class Weekday(models.TextChoices):
    MON = "mon", "周一"
    TUE = "tue", "周二"
    WED = "wed", "周三"
    THU = "thu", "周四"
    FRI = "fri", "周五"
    SAT = "sat", "周六"
    SUN = "sun", "周日"


class DayPart(models.TextChoices):
    AM = "am", "上午"
    PM = "pm", "下午"
    EVE = "eve", "晚上"


# Availability is a set of codes "<weekday>_<part>" (mon_am … sun_eve).
AVAILABILITY_CHOICES: list[tuple[str, str]] = [
    (f"{day.value}_{part.value}", f"{day.label}{part.label}") for day in Weekday for part in DayPart
]
AVAILABILITY_CODES = frozenset(code for code, _ in AVAILABILITY_CHOICES)


def day_part(moment: datetime) -> str:
    """The availability code a moment falls in (local time): mon_am, tue_eve …"""
    local = timezone.localtime(moment)
    day = list(Weekday)[local.weekday()].value
    part = DayPart.AM if local.hour < 12 else DayPart.PM if local.hour < 18 else DayPart.EVE
    return f"{day}_{part.value}"


class Skill(models.Model):
    """服务技能 / 服务类别: what a volunteer can do and an activity wants (助老, 医护, 维修 …)."""

    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=40, unique=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = "服务技能"
        verbose_name_plural = "服务技能"
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.name


class Volunteer(models.Model):
    """A registered volunteer (注册志愿者), kept by one community.

    The identity number is stored as the registry stores it (18 characters, validated by
    `registry.idnumber`); it and the phone are masked on every page unless revealed (audited).
    """

    Status = VolunteerStatus
    Kind = VolunteerKind
    Channel = RegistrationChannel

    community = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="volunteers")
    # The grid they live in (the resident's) or serve in, for statistics by grid; optional.
    grid = models.ForeignKey(
        "areas.Area", null=True, blank=True, on_delete=models.PROTECT, related_name="grid_volunteers"
    )
    resident = models.ForeignKey(
        "registry.Resident", null=True, blank=True, on_delete=models.SET_NULL, related_name="volunteer_roles"
    )
    # An account, when the volunteer has one (a team leader who confirms records on a phone).
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="volunteer"
    )
    kind = models.CharField(max_length=14, choices=Kind.choices, default=Kind.RESIDENT)
    unit_name = models.CharField("所在单位", max_length=100, blank=True)
    name = models.CharField("姓名", max_length=50)
    id_number = models.CharField("身份证号", max_length=18)
    gender = models.CharField(max_length=6, blank=True)
    birth_date = models.DateField(null=True, blank=True)
    phone = models.CharField("手机号", max_length=20)
    skills = models.ManyToManyField(Skill, blank=True, related_name="volunteers")
    preferences = models.CharField("服务意向", max_length=200, blank=True)
    # Codes of AVAILABILITY_CHOICES ("sat_am", …); empty means "not stated".
    availability = models.JSONField("可服务时间", default=list, blank=True)
    photo_consent = models.BooleanField("同意使用服务照片", default=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.APPLIED)
    status_since = models.DateTimeField(default=timezone.now)
    channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.STAFF)
    notes = models.CharField("备注", max_length=200, blank=True)
    # Search keys, as the registry keeps them for residents (see registry.normalise).
    name_pinyin = models.CharField(max_length=200, blank=True)
    name_initials = models.CharField(max_length=50, blank=True)
    id_reversed = models.CharField(max_length=18)
    phone_reversed = models.CharField(max_length=20, blank=True)
    # Bumped to revoke the volunteer's personal card link (签到卡).
    card_version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    objects: ClassVar[VolunteerQuerySet] = VolunteerQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = "志愿者"
        verbose_name_plural = "志愿者"
        ordering = ["community__path", "name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=VolunteerStatus.values), name="volunteer_status_valid"
            ),
            models.CheckConstraint(condition=Q(kind__in=VolunteerKind.values), name="volunteer_kind_valid"),
            models.CheckConstraint(
                condition=Q(channel__in=RegistrationChannel.values), name="volunteer_channel_valid"
            ),
            # One registration per person per community; they may serve in another community too.
            models.UniqueConstraint(
                fields=["community", "id_number"], name="volunteer_id_unique_in_community"
            ),
        ]
        indexes = [
            models.Index(fields=["community", "status"], name="volunteer_community_status_idx"),
            models.Index(
                fields=["name_pinyin", "community", "name_initials"],
                name="volunteer_pinyin_idx",
                include=["id"],
            ),
            models.Index(
                fields=["name_initials", "community", "name_pinyin"],
                name="volunteer_initials_idx",
                include=["id"],
            ),
            models.Index(fields=["id_reversed"], name="volunteer_id_reversed_idx"),
            models.Index(fields=["phone_reversed"], name="volunteer_phone_reversed_idx"),
            models.Index(fields=["name"], name="volunteer_name_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def audit_area_path(self) -> str:
        return self.community.path

    def available_at(self, moment: datetime) -> bool:
        """True when the volunteer said they can serve at that time (or said nothing)."""
        return not self.availability or day_part(moment) in self.availability


class VolunteerNameGram(models.Model):
    """One- and two-character pieces of volunteers' names (张三丰 → 张, 三, 丰, 张三, 三丰), so a name substring
    is an index lookup, as the registry keeps them for residents (registry.NameGram). Kept by the services
    that register and rename volunteers, and by the bulk builders (demo, bench); `community` is copied so
    the scope filter needs no join."""

    volunteer = models.ForeignKey(Volunteer, on_delete=models.CASCADE, related_name="+")
    community = models.ForeignKey("areas.Area", on_delete=models.CASCADE, related_name="+")
    gram = models.CharField(max_length=2)

    class Meta:
        indexes = [models.Index(fields=["gram", "community", "volunteer"], name="volunteer_gram_idx")]
        constraints = [models.UniqueConstraint(fields=["volunteer", "gram"], name="volunteer_gram_unique")]

    def __str__(self) -> str:
        return f"{self.gram}:{self.volunteer_id}"


class VolunteerChange(models.Model):
    """One line of a volunteer's history: registration, edits, approval, suspension, leaving."""

    class Kind(models.TextChoices):
        CREATE = "create", "登记"
        UPDATE = "update", "修改"
        STATUS = "status", "状态变更"
        IMPORT = "import", "名册导入"

    volunteer = models.ForeignKey(Volunteer, on_delete=models.CASCADE, related_name="changes")
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=150, blank=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    changes = models.JSONField(default=dict)
    note = models.CharField(max_length=200, blank=True)

    objects: ClassVar[VolunteerChildQuerySet] = VolunteerChildQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = "志愿者变更记录"
        verbose_name_plural = "志愿者变更记录"
        ordering = ["volunteer", "-at", "-id"]

    def __str__(self) -> str:
        return f"{self.volunteer_id} {self.kind} {self.at:%Y-%m-%d}"


class TeamLevel(models.TextChoices):
    ASSOCIATION = "association", "志愿者协会"
    CORPS = "corps", "志愿服务总队"
    TEAM = "team", "志愿服务队"


# Which level may sit directly under which (None: a root).
TEAM_PARENTS: dict[str, set[str | None]] = {
    TeamLevel.ASSOCIATION: {None},
    TeamLevel.CORPS: {None, TeamLevel.ASSOCIATION},
    TeamLevel.TEAM: {None, TeamLevel.ASSOCIATION, TeamLevel.CORPS},
}


class Team(models.Model):
    """The organisation tree: association → corps → team, each kept by a community."""

    Level = TeamLevel

    community = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="volunteer_teams")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    level = models.CharField(max_length=12, choices=Level.choices, default=Level.TEAM)
    name = models.CharField("名称", max_length=60)
    description = models.CharField("简介", max_length=300, blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects: ClassVar[CommunityScopedQuerySet] = CommunityScopedQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = "志愿服务队伍"
        verbose_name_plural = "志愿服务队伍"
        ordering = ["community__path", "level", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(level__in=TeamLevel.values), name="team_level_valid"),
            models.UniqueConstraint(fields=["community", "name"], name="team_name_unique_in_community"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def audit_area_path(self) -> str:
        return self.community.path


class TeamMembership(models.Model):
    """A volunteer in a team (they may be in several); `is_leader` marks the team's leaders (队长)."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    volunteer = models.ForeignKey(Volunteer, on_delete=models.CASCADE, related_name="memberships")
    is_leader = models.BooleanField(default=False)
    joined_on = models.DateField(default=timezone.localdate)
    left_on = models.DateField(null=True, blank=True)

    objects: ClassVar[TeamChildQuerySet] = TeamChildQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = "队员"
        verbose_name_plural = "队员"
        ordering = ["team", "-is_leader", "volunteer__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["team", "volunteer"], condition=Q(left_on__isnull=True), name="membership_one_open"
            )
        ]
        indexes = [models.Index(fields=["volunteer", "left_on"], name="membership_volunteer_idx")]

    def __str__(self) -> str:
        return f"{self.team_id}:{self.volunteer_id}"


class ActivityStatus(models.TextChoices):
    PUBLISHED = "published", "报名中"
    CANCELLED = "cancelled", "已取消"
    # The leader confirmed the records: the activity's hours are final.
    CONFIRMED = "confirmed", "已确认"


class Activity(models.Model):
    """A service activity (志愿服务活动) published by a team or the community: what, where, when, how many."""

    Status = ActivityStatus

    community = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="volunteer_activities")
    # The grid it takes place in, when it is one grid's (for statistics by grid); optional.
    grid = models.ForeignKey(
        "areas.Area", null=True, blank=True, on_delete=models.PROTECT, related_name="grid_activities"
    )
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.PROTECT, related_name="activities")
    title = models.CharField("活动名称", max_length=100)
    description = models.TextField("服务内容", blank=True)
    place = models.CharField("地点", max_length=150)
    starts_at = models.DateTimeField("开始时间")
    ends_at = models.DateTimeField("结束时间")
    capacity = models.PositiveIntegerField("名额")
    skills = models.ManyToManyField(Skill, blank=True, related_name="activities")
    target_note = models.CharField("服务对象", max_length=200, blank=True)
    target_residents = models.ManyToManyField("registry.Resident", blank=True, related_name="+")
    target_houses = models.ManyToManyField("registry.House", blank=True, related_name="+")
    # The account that runs the roll call and confirms the records (活动负责人).
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="led_activities",
    )
    # Share of the slot (percent) the attendance must cover for the minutes to count.
    min_attendance_percent = models.PositiveSmallIntegerField(default=60)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PUBLISHED)
    # Secret of the place's QR code (签到码); rotated if it leaks.
    checkin_token = models.CharField(max_length=32, unique=True)
    cancel_reason = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    objects: ClassVar[ActivityQuerySet] = ActivityQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = "志愿服务活动"
        verbose_name_plural = "志愿服务活动"
        ordering = ["-starts_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ActivityStatus.values), name="activity_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="activity_ends_after_start"
            ),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="activity_capacity_positive"),
            models.CheckConstraint(
                condition=Q(min_attendance_percent__gte=1, min_attendance_percent__lte=100),
                name="activity_attendance_percent_range",
            ),
        ]
        indexes = [
            models.Index(fields=["community", "starts_at"], name="activity_community_start_idx"),
            models.Index(fields=["team", "starts_at"], name="activity_team_start_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def audit_area_path(self) -> str:
        return self.community.path

    @property
    def slot_minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)


class RecordStatus(models.TextChoices):
    BOOKED = "booked", "已报名"
    SIGNED_IN = "signed_in", "已签到"
    SIGNED_OUT = "signed_out", "待确认"
    CONFIRMED = "confirmed", "已确认"
    ABSENT = "absent", "缺席"
    CANCELLED = "cancelled", "已取消报名"


# Statuses that hold a place in the activity (count against capacity and overlap).
HOLDING_STATUSES = frozenset(
    {RecordStatus.BOOKED, RecordStatus.SIGNED_IN, RecordStatus.SIGNED_OUT, RecordStatus.CONFIRMED}
)


class SignMethod(models.TextChoices):
    QR = "qr", "扫码"
    ROLL_CALL = "roll_call", "点名"
    SWEEP = "sweep", "到时自动签退"
    CORRECTION = "correction", "组织者更正"


class ServiceRecord(models.Model):
    """志愿服务记录: one volunteer at one activity, from booking to the confirmed minutes.

    `minutes` is derived, never typed: the attended time inside the slot when it covers the activity's
    share, else 0. `community` and `grid` are copied (the activity's, the volunteer's) so scope and the
    statistics read this table alone.
    """

    Status = RecordStatus
    Method = SignMethod

    volunteer = models.ForeignKey(Volunteer, on_delete=models.PROTECT, related_name="service_records")
    activity = models.ForeignKey(Activity, on_delete=models.PROTECT, related_name="records")
    community = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+")
    grid = models.ForeignKey("areas.Area", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    day = models.DateField()  # the activity's local date, for monthly figures
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.BOOKED)
    assigned = models.BooleanField(default=False)  # placed by the organiser rather than signed up
    signed_in_at = models.DateTimeField(null=True, blank=True)
    sign_in_method = models.CharField(max_length=10, choices=Method.choices, blank=True)
    signed_out_at = models.DateTimeField(null=True, blank=True)
    sign_out_method = models.CharField(max_length=10, choices=Method.choices, blank=True)
    # Closed at the slot's end by the sweep because nobody signed out: shown as a flag until corrected.
    auto_closed = models.BooleanField(default=False)
    corrected = models.BooleanField(default=False)
    minutes = models.PositiveIntegerField(default=0)
    booked_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects: ClassVar[ServiceRecordQuerySet] = ServiceRecordQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = "志愿服务记录"
        verbose_name_plural = "志愿服务记录"
        ordering = ["-day", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=RecordStatus.values), name="record_status_valid"),
            models.UniqueConstraint(fields=["volunteer", "activity"], name="record_one_per_activity"),
            models.CheckConstraint(
                condition=Q(signed_out_at__isnull=True)
                | (Q(signed_in_at__isnull=False) & Q(signed_out_at__gte=models.F("signed_in_at"))),
                name="record_out_after_in",
            ),
        ]
        indexes = [
            # A volunteer's confirmed minutes (lists, pages, proofs over a period, "served this year") are
            # read from the index alone: community and minutes ride along (a page of 50 volunteers sums
            # ~2,500 records at the street scale without touching the table).
            models.Index(
                fields=["volunteer", "status", "day", "community", "minutes"], name="record_volunteer_sum_idx"
            ),
            models.Index(fields=["activity", "status"], name="record_activity_idx"),
            # The statistics' hours per month by team and grid: one pass over the year's index entries,
            # never the table (the year of a 500,000-record street is ~250,000 entries).
            models.Index(
                fields=["community", "status", "day", "team", "grid", "minutes"],
                name="record_community_month_idx",
            ),
            # The forgotten sign-out sweep: records still signed in, by activity.
            models.Index(fields=["status", "activity"], name="record_status_activity_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.volunteer_id}@{self.activity_id}"

    @property
    def audit_area_path(self) -> str:
        return self.community.path


class ServiceRecordChange(models.Model):
    """A service record's history: sign-in, sign-out, sweep, correction (with its reason), confirmation."""

    class Kind(models.TextChoices):
        BOOK = "book", "报名"
        ASSIGN = "assign", "指派"
        CANCEL = "cancel", "取消报名"
        SIGN_IN = "sign_in", "签到"
        SIGN_OUT = "sign_out", "签退"
        AUTO_CLOSE = "auto_close", "到时自动签退"
        CORRECT = "correct", "更正"
        CONFIRM = "confirm", "确认"
        ABSENT = "absent", "记为缺席"

    record = models.ForeignKey(ServiceRecord, on_delete=models.CASCADE, related_name="changes")
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=150, blank=True)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    changes = models.JSONField(default=dict)
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = "服务记录变更"
        verbose_name_plural = "服务记录变更"
        ordering = ["record", "at", "id"]

    def __str__(self) -> str:
        return f"{self.record_id} {self.kind}"


class ServiceMonth(models.Model):
    """Confirmed service per community, team, grid and month: what the statistics page reads (hours per
    month by team and by grid), so it costs the same at 5,000 or 500,000 records.

    `records_confirm` adds the records it confirms in the same transaction (confirmed records never change
    afterwards: corrections are refused once confirmed), so the figures are exact as of the last write;
    `linli check` counts the records again and compares (`volunteers.rollup.mismatches`), and
    `linli volunteer recount` rebuilds the rows from the records. The key's `team` and `grid` are plain ids
    (0 = none) so the unique key has no NULLs, which both databases would treat as all different."""

    # Indexed by the unique key, which begins with it.
    community = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+", db_index=False)
    month = models.DateField()  # the first day of the records' month (ServiceRecord.day)
    team = models.IntegerField(default=0)  # ServiceRecord.team_id, 0 when the community organised it
    grid = models.IntegerField(default=0)  # ServiceRecord.grid_id, 0 when the volunteer has none
    minutes = models.BigIntegerField(default=0)
    records = models.IntegerField(default=0)

    class Meta:
        verbose_name = "月度服务汇总"
        verbose_name_plural = "月度服务汇总"
        constraints = [
            models.UniqueConstraint(
                fields=["community", "month", "team", "grid"], name="service_month_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.community_id}:{self.month:%Y-%m}:{self.team}:{self.grid}"


class Proof(models.Model):
    """志愿服务证明: numbered, dated, issued by the community that keeps the records, with a place for its seal.

    The public verification page shows only the masked name, the hours, the community and the date.
    """

    number = models.CharField(max_length=40, unique=True)
    volunteer = models.ForeignKey(Volunteer, on_delete=models.PROTECT, related_name="proofs")
    community = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+")
    period_start = models.DateField()
    period_end = models.DateField()
    minutes = models.PositiveIntegerField()
    records = models.PositiveIntegerField()
    purpose = models.CharField("用途", max_length=100, blank=True)
    verify_token = models.CharField(max_length=32, unique=True)
    issued_at = models.DateTimeField(default=timezone.now)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    issued_by_label = models.CharField(max_length=150, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoke_reason = models.CharField(max_length=200, blank=True)

    objects: ClassVar[CommunityScopedQuerySet] = CommunityScopedQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = "志愿服务证明"
        verbose_name_plural = "志愿服务证明"
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")), name="proof_period_order"
            )
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def audit_area_path(self) -> str:
        return self.community.path
