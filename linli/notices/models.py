"""Public notices (居务公开 · 财务公开): what a community must post for residents to see, for a set period.

A published notice is never edited: a correction is a new version that supersedes it (the old one stays,
marked, in the history). A finance disclosure lists its income and expense lines; their sums must equal
the totals it declares. Residents may ask a question on a notice without signing in; staff answer it
within a set number of working days.
"""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from linli.notices.querysets import NoticeChildQuerySet, NoticeQuerySet


class NoticeCategory(models.TextChoices):
    AFFAIRS = "affairs", "居务公开"
    FINANCE = "finance", "财务公开"
    PARTY = "party", "党务公开"
    SERVICE = "service", "服务公开"
    PLANNING = "planning", "规划公示"


class NoticeStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    PUBLISHED = "published", "已发布"
    SUPERSEDED = "superseded", "已被更正"
    WITHDRAWN = "withdrawn", "已撤回"


class Notice(models.Model):
    Category = NoticeCategory
    Status = NoticeStatus

    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+")
    category = models.CharField("类别", max_length=12, choices=NoticeCategory.choices)
    title = models.CharField("标题", max_length=100)
    body = models.TextField("正文")
    status = models.CharField(max_length=12, choices=NoticeStatus.choices, default=NoticeStatus.DRAFT)
    # Versions: the first of a series is its own `series`; a correction points to the version it replaces.
    series = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    version = models.PositiveSmallIntegerField(default=1)
    supersedes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by"
    )
    correction_reason = models.CharField("更正原因", max_length=200, blank=True)
    publish_from = models.DateField("公示开始")
    publish_until = models.DateField("公示截止", null=True, blank=True)  # none: stays up
    # Finance disclosures: the totals the community declares; the lines must add up to them.
    period_label = models.CharField("所属期间", max_length=40, blank=True)
    declared_income = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    declared_expense = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by_label = models.CharField(max_length=100, blank=True)
    withdraw_reason = models.CharField(max_length=200, blank=True)

    objects: ClassVar[NoticeQuerySet] = NoticeQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = "公开事项"
        verbose_name_plural = "公开事项"
        ordering = ["-publish_from", "-pk"]
        indexes = [models.Index(fields=["status", "area", "publish_from"], name="notice_board_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=NoticeStatus.values), name="notice_status_valid"),
            models.CheckConstraint(
                condition=Q(category__in=NoticeCategory.values), name="notice_category_valid"
            ),
            models.CheckConstraint(
                condition=Q(publish_until__isnull=True) | Q(publish_until__gte=models.F("publish_from")),
                name="notice_period_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title}（第 {self.version} 版）" if self.version > 1 else self.title

    @property
    def audit_area_path(self) -> str:
        return self.area.path

    @property
    def is_finance(self) -> bool:
        return self.category == NoticeCategory.FINANCE

    def days_left(self) -> int | None:
        """公示 countdown: days left including today; None when it has no end; 0 once over."""
        if self.publish_until is None:
            return None
        return max((self.publish_until - timezone.localdate()).days + 1, 0)

    def on_board(self) -> bool:
        today = timezone.localdate()
        return (
            self.status == NoticeStatus.PUBLISHED
            and self.publish_from <= today
            and (self.publish_until is None or self.publish_until >= today)
        )


class Attachment(models.Model):
    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="notices/%Y/%m/")
    name = models.CharField(max_length=100)
    content_type = models.CharField(max_length=80)
    size = models.PositiveIntegerField(default=0)

    objects: ClassVar[NoticeChildQuerySet] = NoticeChildQuerySet.as_manager()  # type: ignore[assignment]

    def __str__(self) -> str:
        return self.name


class LineKind(models.TextChoices):
    INCOME = "income", "收入"
    EXPENSE = "expense", "支出"


class FinanceLine(models.Model):
    Kind = LineKind

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="lines")
    order = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField("收支", max_length=8, choices=LineKind.choices)
    occurred_on = models.DateField("日期", null=True, blank=True)
    purpose = models.CharField("事由", max_length=200)
    amount = models.DecimalField("金额（元）", max_digits=14, decimal_places=2)
    voucher_no = models.CharField("凭证号", max_length=40)

    objects: ClassVar[NoticeChildQuerySet] = NoticeChildQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["order", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=LineKind.values), name="financeline_kind_valid"),
            models.CheckConstraint(condition=Q(amount__gt=Decimal("0")), name="financeline_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} {self.purpose}"


class QuestionStatus(models.TextChoices):
    OPEN = "open", "待答复"
    ANSWERED = "answered", "已答复"


class Question(models.Model):
    """A resident's question on a notice, asked on the public board. No name is shown publicly."""

    Status = QuestionStatus

    notice = models.ForeignKey(Notice, on_delete=models.PROTECT, related_name="questions")
    text = models.TextField("问题")
    asker_name = models.CharField("称呼", max_length=30, blank=True)  # optional; staff see it, the board not
    asked_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField("答复期限")
    status = models.CharField(max_length=10, choices=QuestionStatus.choices, default=QuestionStatus.OPEN)
    answer = models.TextField("答复", blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answered_by_label = models.CharField(max_length=100, blank=True)

    objects: ClassVar[NoticeChildQuerySet] = NoticeChildQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["asked_at", "pk"]
        indexes = [models.Index(fields=["status", "due_at"], name="question_due_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=QuestionStatus.values), name="question_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.text[:30]

    @property
    def audit_area_path(self) -> str:
        return self.notice.area.path

    @property
    def overdue(self) -> bool:
        return self.status == QuestionStatus.OPEN and timezone.now() > self.due_at
