"""Opinions (社情民意): what residents say, wherever they say it, kept in a ledger and followed up
("梳理汇总，建立台帐，细化措施，抓好落实"); and the monthly open day (社情民意联系日) where the street's
leaders and departments meet residents and collect them."""

from __future__ import annotations

from datetime import datetime, time
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from linli.opinions.querysets import OpinionAreaQuerySet, OpinionChildQuerySet


class OpinionChannel(models.TextChoices):
    OPEN_DAY = "open_day", "社情民意联系日"
    VISIT = "visit", "入户走访"
    HOTLINE = "hotline", "热线电话"
    ONLINE = "online", "网上留言"
    MEETING = "meeting", "会议座谈"


class Topic(models.TextChoices):
    ENVIRONMENT = "environment", "环境卫生"
    PROPERTY = "property", "物业管理"
    SAFETY = "safety", "治安安全"
    TRAFFIC = "traffic", "交通停车"
    ELDERLY = "elderly", "养老服务"
    HEALTH = "health", "医疗卫生"
    JOBS = "jobs", "就业社保"
    FACILITIES = "facilities", "基础设施"
    CULTURE = "culture", "文体活动"
    PLANNING = "planning", "社区规划"
    OTHER = "other", "其他"


class OpinionStatus(models.TextChoices):
    NEW = "new", "待研判"
    IN_PROGRESS = "in_progress", "办理中"
    REPLIED = "replied", "已答复"
    CLOSED = "closed", "已办结"
    MERGED = "merged", "已合并"


class Disposition(models.TextChoices):
    """研判: how an opinion is taken forward."""

    DIRECT = "direct", "直接答复"
    CASE = "case", "转为诉求工单"
    MERGED = "merged", "与同类意见合并"
    SUGGESTION = "suggestion", "纳入规划建议"


class ReplyMode(models.TextChoices):
    IN_PERSON = "in_person", "当面"
    PHONE = "phone", "电话"
    SMS = "sms", "短信"
    WRITTEN = "written", "书面"
    NOTICE = "notice", "公示栏"


OPEN_STATUSES = (OpinionStatus.NEW, OpinionStatus.IN_PROGRESS)


class Opinion(models.Model):
    Status = OpinionStatus
    Channel = OpinionChannel

    number = models.CharField("编号", max_length=20, unique=True)
    # Indexed with the collection time (`opinion_area_received_idx`): the scope filter is `area_id IN (…)`,
    # and a planner without statistics (a table that grew since the last ANALYZE) picked a bare area index,
    # read the street's whole year and sorted it (the ledger's month page 143 ms against 24 ms).
    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+", db_index=False)
    # Who said it: a resident of the registry, a name as given, or nobody (anonymous).
    resident = models.ForeignKey(
        "registry.Resident", null=True, blank=True, on_delete=models.SET_NULL, related_name="opinions"
    )
    speaker_name = models.CharField("反映人", max_length=50, blank=True)
    anonymous = models.BooleanField("匿名", default=False)
    channel = models.CharField("渠道", max_length=12, choices=OpinionChannel.choices)
    open_day = models.ForeignKey(
        "opinions.OpenDay", null=True, blank=True, on_delete=models.PROTECT, related_name="opinions"
    )
    summary = models.TextField("内容摘要")
    received_at = models.DateTimeField("收集时间", default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_by_label = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=12, choices=OpinionStatus.choices, default=OpinionStatus.NEW)
    disposition = models.CharField(max_length=12, choices=Disposition.choices, blank=True)
    triage_note = models.CharField("研判意见", max_length=500, blank=True)
    case = models.OneToOneField(
        "cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="source_opinion"
    )
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_opinions"
    )
    # The reply to the resident is due this many working days after it was collected (stored: the
    # monthly report and the to-do list read it without a calendar).
    reply_due_at = models.DateTimeField("答复期限")
    reply = models.TextField("答复内容", blank=True)
    reply_mode = models.CharField(max_length=12, choices=ReplyMode.choices, blank=True)
    replied_at = models.DateTimeField(null=True, blank=True)
    outcome = models.TextField("办理结果", blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    objects: ClassVar[OpinionAreaQuerySet] = OpinionAreaQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = "社情民意"
        verbose_name_plural = "社情民意"
        ordering = ["-received_at", "-pk"]
        indexes = [
            models.Index(fields=["received_at", "area"], name="opinion_received_idx"),
            models.Index(fields=["area", "received_at"], name="opinion_area_received_idx"),
            models.Index(fields=["status", "reply_due_at", "area"], name="opinion_due_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=OpinionStatus.values), name="opinion_status_valid"),
            models.CheckConstraint(
                condition=Q(channel__in=OpinionChannel.values), name="opinion_channel_valid"
            ),
            models.CheckConstraint(
                condition=Q(disposition__in=[*Disposition.values, ""]), name="opinion_disposition_valid"
            ),
            models.CheckConstraint(
                condition=Q(anonymous=False) | (Q(resident__isnull=True) & Q(speaker_name="")),
                name="opinion_anonymous_has_no_name",
            ),
            models.CheckConstraint(
                condition=~Q(status=OpinionStatus.MERGED) | Q(merged_into__isnull=False),
                name="opinion_merged_has_target",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.summary[:30]}"

    @property
    def audit_area_path(self) -> str:
        return self.area.path

    @property
    def speaker_label(self) -> str:
        if self.anonymous:
            return "匿名"
        if self.resident_id and self.resident:
            return self.resident.name
        return self.speaker_name or "未留名"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def answered_on_time(self) -> bool | None:
        """True/False once replied (or once overdue without a reply); None while still in time."""
        if self.replied_at is not None:
            return self.replied_at <= self.reply_due_at
        if self.status == OpinionStatus.MERGED:
            return None
        return False if timezone.now() > self.reply_due_at else None


class OpinionTopic(models.Model):
    """One topic tag of an opinion: a row each, so the monthly report counts them with one GROUP BY."""

    opinion = models.ForeignKey(Opinion, on_delete=models.CASCADE, related_name="topic_rows")
    topic = models.CharField(max_length=16, choices=Topic.choices)

    objects: ClassVar[OpinionChildQuerySet] = OpinionChildQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["opinion", "topic"], name="opinion_topic_once"),
            models.CheckConstraint(condition=Q(topic__in=Topic.values), name="opinion_topic_valid"),
        ]
        indexes = [models.Index(fields=["topic", "opinion"], name="opinion_topic_idx")]

    def __str__(self) -> str:
        return self.get_topic_display()


class OpinionEvent(models.Model):
    """Every move and correction of an opinion: who, when, from, to, what changed."""

    class Action(models.TextChoices):
        RECORD = "record", "登记"
        CORRECT = "correct", "更正"
        TRIAGE = "triage", "研判"
        TO_CASE = "to_case", "转为诉求"
        MERGE = "merge", "合并"
        REPLY = "reply", "答复"
        CLOSE = "close", "办结"
        REOPEN = "reopen", "重新打开"

    opinion = models.ForeignKey(Opinion, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=12, choices=Action.choices)
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=100, blank=True)
    at = models.DateTimeField(default=timezone.now)
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    objects: ClassVar[OpinionChildQuerySet] = OpinionChildQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.at:%Y-%m-%d %H:%M}"


class OpenDayStatus(models.TextChoices):
    PLANNED = "planned", "计划"
    HELD = "held", "已举行"
    CANCELLED = "cancelled", "已取消"


class OpenDayRule(models.Model):
    """每月第 n 个星期 x: the rule open days are scheduled by (e.g. every 2nd Sunday)."""

    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+")
    week_of_month = models.SmallIntegerField("第几周")  # 1–4, or -1 for the last
    weekday = models.SmallIntegerField("星期")  # 0 Monday … 6 Sunday
    place = models.CharField("地点", max_length=100)
    start_time = models.TimeField("开始时间")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects: ClassVar[OpinionAreaQuerySet] = OpinionAreaQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(week_of_month__in=[1, 2, 3, 4, -1]), name="openday_rule_week_valid"
            ),
            models.CheckConstraint(condition=Q(weekday__gte=0, weekday__lte=6), name="openday_rule_weekday"),
            models.UniqueConstraint(
                fields=["area"], condition=Q(active=True), name="openday_one_rule_per_area"
            ),
        ]

    WEEKDAYS = "一二三四五六日"

    def __str__(self) -> str:
        week = "最后一个" if self.week_of_month == -1 else f"第{self.week_of_month}个"
        return f"每月{week}星期{self.WEEKDAYS[self.weekday]} {self.start_time:%H:%M}，{self.place}"

    @property
    def audit_area_path(self) -> str:
        return self.area.path


class OpenDay(models.Model):
    """社情民意联系日: one meeting. Attendance is kept as names: visiting leaders have no accounts."""

    Status = OpenDayStatus

    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+")
    rule = models.ForeignKey(
        OpenDayRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="days"
    )
    held_on = models.DateField("日期")
    start_time = models.TimeField("开始时间")
    place = models.CharField("地点", max_length=100)
    theme = models.CharField("主题", max_length=100, blank=True)
    status = models.CharField(max_length=10, choices=OpenDayStatus.choices, default=OpenDayStatus.PLANNED)
    street_attendees = models.TextField("街道参加人员", blank=True)  # one "name（post）" a line
    department_attendees = models.TextField("部门参加人员", blank=True)
    residents_met = models.PositiveIntegerField("接待居民人次", default=0)
    summary = models.TextField("情况小结", blank=True)
    cancel_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects: ClassVar[OpinionAreaQuerySet] = OpinionAreaQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = "社情民意联系日"
        verbose_name_plural = "社情民意联系日"
        ordering = ["-held_on", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=OpenDayStatus.values), name="openday_status_valid"),
            models.UniqueConstraint(fields=["area", "held_on"], name="openday_one_per_area_day"),
        ]

    def __str__(self) -> str:
        return f"{self.held_on:%Y-%m-%d} 社情民意联系日"

    @property
    def audit_area_path(self) -> str:
        return self.area.path

    def collection_time(self) -> datetime:
        """When an opinion entered for this day was collected: on or before the day, now; entered later
        from the day's notes, the day's start (not the typing time, which would move its reply deadline)."""
        now = timezone.now()
        if self.held_on >= timezone.localdate():
            return now
        held = timezone.make_aware(datetime.combine(self.held_on, self.start_time or time(9)))
        return min(now, held)

    @staticmethod
    def lines(text: str) -> list[str]:
        return [line.strip() for line in text.splitlines() if line.strip()]


class OpinionCounter(models.Model):
    """The last ledger number given in a month: locked by the recording transaction, so numbers do not repeat."""

    month = models.CharField(max_length=6, unique=True)  # YYYYMM
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.month}: {self.last}"
