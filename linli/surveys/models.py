"""Surveys (问卷 · 调研): questions with display conditions, who is asked (an area, key groups or a sample
drawn from the registry with a published seed), one-time invitations, and the answers.

Answers are stored one row per value (`Answer`), with the survey, question and grid copied onto the row, so
a survey's results are one GROUP BY over an index. A response does not point to the invitation it used:
the invitation only records that it was used, so who answered is known and what they answered is not
linked to them ("anonymized responses"); the response keeps the grid and the key groups for breakdowns.
"""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from linli.surveys.querysets import InvitationQuerySet, ResponseQuerySet, SurveyQuerySet


class Status(models.TextChoices):
    DRAFT = "draft", "草稿"
    OPEN = "open", "收集中"
    CLOSED = "closed", "已结束"


# Allowed moves: (from, to). Reopening needs a reason (services).
TRANSITIONS: frozenset[tuple[str, str]] = frozenset(
    {(Status.DRAFT, Status.OPEN), (Status.OPEN, Status.CLOSED), (Status.CLOSED, Status.OPEN)}
)


class Target(models.TextChoices):
    AREA = "area", "辖区全体"
    GROUPS = "groups", "重点人群"
    SAMPLE = "sample", "抽样"


class SampleUnit(models.TextChoices):
    HOUSEHOLD = "household", "按户"
    RESIDENT = "resident", "按人"


class Kind(models.TextChoices):
    SINGLE = "single", "单选"
    MULTIPLE = "multiple", "多选"
    TEXT = "text", "填空"
    NUMBER = "number", "数字"
    RATING = "rating", "评分"
    MATRIX = "matrix", "矩阵单选"
    DATE = "date", "日期"


CHOICE_KINDS = frozenset({Kind.SINGLE, Kind.MULTIPLE, Kind.MATRIX})


class Channel(models.TextChoices):
    INVITATION = "invitation", "专属链接"
    OPEN_LINK = "open_link", "公开链接"
    DOOR = "door", "入户填报"


class Survey(models.Model):
    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="surveys")
    title = models.CharField("标题", max_length=100)
    description = models.TextField("说明", blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.DRAFT)
    target = models.CharField("调查对象", max_length=8, choices=Target.choices, default=Target.AREA)
    target_tags = models.ManyToManyField("registry.Tag", blank=True, related_name="+")
    sample_unit = models.CharField(max_length=10, choices=SampleUnit.choices, default=SampleUnit.HOUSEHOLD)
    sample_size = models.PositiveIntegerField(default=0)
    # Published with the sample: anyone may re-run the draw (core/sampling.py) and get the same list.
    sample_seed = models.CharField(max_length=64, blank=True)
    sample_drawn_at = models.DateTimeField(null=True, blank=True)
    frame_size = models.PositiveIntegerField(default=0)
    # Answering through the open link (anyone with the link or QR code) is allowed.
    open_link = models.BooleanField("开放公开链接", default=False)
    link_key = models.CharField(max_length=32, unique=True)
    copied_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    response_count = models.PositiveIntegerField(default=0)

    objects: ClassVar[SurveyQuerySet] = SurveyQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = "问卷"
        verbose_name_plural = "问卷"
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=Status.values), name="survey_status_valid"),
            models.CheckConstraint(condition=Q(target__in=Target.values), name="survey_target_valid"),
            models.CheckConstraint(
                condition=Q(sample_unit__in=SampleUnit.values), name="survey_sample_unit_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def audit_area_path(self) -> str:
        return self.area.path

    @property
    def uses_invitations(self) -> bool:
        return self.target in (Target.GROUPS, Target.SAMPLE)


class SurveyEvent(models.Model):
    """One status change: who, when, from, to, why."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=8, blank=True)
    to_status = models.CharField(max_length=8)
    note = models.CharField(max_length=200, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=150, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.from_status}→{self.to_status}"

    @property
    def from_label(self) -> str:
        return Status(self.from_status).label if self.from_status in Status.values else ""

    @property
    def to_label(self) -> str:
        return Status(self.to_status).label if self.to_status in Status.values else self.to_status


class Question(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    order = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField("题型", max_length=8, choices=Kind.choices)
    text = models.CharField("题目", max_length=200)
    help_text = models.CharField("说明", max_length=200, blank=True)
    required = models.BooleanField("必答", default=False)
    # Choices (single, multiple, the matrix's columns); the matrix's rows.
    options = models.JSONField(default=list, blank=True)
    rows = models.JSONField(default=list, blank=True)
    # Number: allowed range; rating: 1..scale_max.
    min_value = models.FloatField(null=True, blank=True)
    max_value = models.FloatField(null=True, blank=True)
    # Shown only if `condition_question` was answered with `condition_value` (one of its options).
    condition_question = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="dependents"
    )
    condition_value = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["order", "pk"]
        constraints = [models.CheckConstraint(condition=Q(kind__in=Kind.values), name="question_kind_valid")]

    def __str__(self) -> str:
        return self.text

    @property
    def number(self) -> int:
        """Q1, Q2 … as shown: the position in the survey (set by the services, 1-based)."""
        return self.order

    @property
    def scale(self) -> list[int]:
        return list(range(1, int(self.max_value or 5) + 1))


class Invitation(models.Model):
    """One unit of the drawn list (a household or a resident) and its one-time answer token."""

    class State(models.TextChoices):
        WAITING = "waiting", "待答"
        ANSWERED = "answered", "已答"
        DECLINED = "declined", "拒答/无法联系"

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="invitations")
    grid = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+")
    household = models.ForeignKey("registry.Household", null=True, blank=True, on_delete=models.SET_NULL)
    resident = models.ForeignKey("registry.Resident", null=True, blank=True, on_delete=models.SET_NULL)
    label = models.CharField(max_length=120)  # "3栋2单元301 · 王** 户": what the grid worker looks for
    rank = models.PositiveIntegerField()  # position in the published draw order
    # In the sample; the others are replacements, used in rank order within the grid.
    in_sample = models.BooleanField(default=True)
    token = models.CharField(max_length=24, unique=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.WAITING)
    answered_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=200, blank=True)

    objects: ClassVar[InvitationQuerySet] = InvitationQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["rank"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "rank"], name="invitation_rank_unique"),
            models.CheckConstraint(
                condition=Q(state__in=["waiting", "answered", "declined"]), name="invitation_state_valid"
            ),
        ]
        indexes = [models.Index(fields=["survey", "grid", "in_sample"], name="invitation_grid_idx")]

    def __str__(self) -> str:
        return self.label

    @property
    def audit_area_path(self) -> str:
        return self.grid.path


class Response(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")
    # Made by the client (the offline form) or the server: an upload retried is recognised, never counted twice.
    uuid = models.UUIDField(unique=True, default=uuid.uuid4)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    grid = models.ForeignKey("areas.Area", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    collected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField()  # when the answer was given (on the phone, maybe offline)
    received_at = models.DateTimeField(default=timezone.now)
    # Open link only: hashes (never the raw address) for the duplicate check.
    client_hash = models.CharField(max_length=64, blank=True)
    ip_hash = models.CharField(max_length=64, blank=True)

    objects: ClassVar[ResponseQuerySet] = ResponseQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["received_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(channel__in=Channel.values), name="response_channel_valid")
        ]
        indexes = [
            models.Index(fields=["survey", "ip_hash", "received_at"], name="response_ip_idx"),
            models.Index(fields=["survey", "grid", "channel"], name="response_grid_idx"),
        ]

    def __str__(self) -> str:
        return f"答卷 {self.uuid}"

    @property
    def audit_area_path(self) -> str:
        return self.survey.area.path


class ResponseTag(models.Model):
    """The key groups of who answered, copied when the answer arrived (for the breakdown by key group)."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="tag_links")
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="+")
    tag = models.ForeignKey("registry.Tag", on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["response", "tag"], name="responsetag_unique")]
        indexes = [models.Index(fields=["survey", "tag", "response"], name="responsetag_survey_idx")]

    def __str__(self) -> str:
        return f"{self.response_id}:{self.tag_id}"


class Answer(models.Model):
    """One value: a choice (`option`, with `row` for a matrix), a number, a date or a text. A rating is kept
    as its number and as the option `rating - 1`, so its distribution is counted with the choices.

    A multiple choice of three options is three rows. `survey` and `grid` are copies of the response's, so
    counting by question, option and grid reads this table's index alone."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="+")
    # Indexed by `answer_question_idx` (question, id), which also pages a question's text answers newest first.
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers", db_index=False)
    grid = models.ForeignKey("areas.Area", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    row = models.PositiveSmallIntegerField(default=0)
    option = models.PositiveSmallIntegerField(null=True, blank=True)
    number = models.FloatField(null=True, blank=True)
    day = models.DateField(null=True, blank=True)
    text = models.TextField(blank=True)
    # True on one row per (response, question, matrix row): summing it counts who answered, so a multiple
    # choice needs no COUNT(DISTINCT response).
    first = models.BooleanField(default=True)

    class Meta:
        indexes = [
            # Results are one pass over this index alone: counts per option and grid, and who answered.
            models.Index(
                fields=["survey", "question", "row", "option", "grid", "first"], name="answer_count_idx"
            ),
            models.Index(fields=["question", "id"], name="answer_question_idx"),
            # A number or date question's smallest and largest value: two index lookups, not a scan.
            models.Index(fields=["question", "number"], name="answer_number_idx"),
            models.Index(fields=["question", "day"], name="answer_day_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.response_id}:{self.question_id}"


NO_OPTION = -1  # a tally of values that are not choices (numbers, dates, texts)


class Tally(models.Model):
    """Running counts of a survey's answers, so its results cost the same at 20 or 20,000 answer sheets.

    One row per (question, matrix row, option, grid) — `tag` 0 — and per (question, option, key group) —
    `grid` 0 — for the breakdown by key group. The services change these rows in the same transaction as
    the answer sheet they count (`surveys.services.tally`), so they are never out of date; `linli check`
    recounts every survey from its answers and compares (`surveys.selectors.tally_mismatches`).
    `grid` and `tag` are plain ids (0 = unknown grid / all grids) so that the unique key has no NULLs,
    which both databases would treat as all different."""

    # Both indexed by the unique key, which begins with them.
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="+", db_index=False)
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="+", db_index=False)
    row = models.PositiveSmallIntegerField(default=0)
    option = models.SmallIntegerField(default=NO_OPTION)
    grid = models.IntegerField(default=0)
    tag = models.IntegerField(default=0)
    # Answer rows (a multiple choice counts each option picked), respondents (`Answer.first`), and the sum
    # of the numbers (numbers and ratings) for means.
    answers = models.IntegerField(default=0)
    respondents = models.IntegerField(default=0)
    number_sum = models.FloatField(default=0.0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "question", "row", "option", "grid", "tag"], name="tally_cell_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.question_id}:{self.row}:{self.option}:{self.grid}:{self.tag}"


class RespondentTally(models.Model):
    """Answer sheets per grid (0 = unknown) and channel: the survey's respondents, kept with the sheets."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="+", db_index=False)
    grid = models.IntegerField(default=0)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    sheets = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["survey", "grid", "channel"], name="respondenttally_unique")
        ]

    def __str__(self) -> str:
        return f"{self.survey_id}:{self.grid}:{self.channel}"
