"""Party-building work (社区党建): organisations, members, the membership pipeline, 三会一课 meetings with
their attendance, the compliance rules, and members' points. All of it is sensitive: see querysets."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from linli.party.querysets import (
    MeetingChildQuerySet,
    MemberChildQuerySet,
    OrganisationQuerySet,
    OrgChildQuerySet,
)


class OrgKind(models.TextChoices):
    COMMITTEE = "committee", "党委"
    GENERAL_BRANCH = "general_branch", "党总支"
    BRANCH = "branch", "党支部"
    GROUP = "group", "党小组"


# Which kind may sit under which: a committee holds general branches and branches, and so on down.
CHILD_KINDS: dict[str, set[str]] = {
    OrgKind.COMMITTEE: {OrgKind.GENERAL_BRANCH, OrgKind.BRANCH},
    OrgKind.GENERAL_BRANCH: {OrgKind.BRANCH},
    OrgKind.BRANCH: {OrgKind.GROUP},
    OrgKind.GROUP: set(),
}


class PartyOrganisation(models.Model):
    """党组织. `area` is the community (or street) it belongs to and that scopes it; a joint branch
    (联合党支部) also spans `joint_areas` and partner units (parks, enterprises) named in `partner_units`."""

    Kind = OrgKind

    name = models.CharField(max_length=80)
    kind = models.CharField(max_length=16, choices=OrgKind.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="party_organisations")
    joint = models.BooleanField(default=False)
    joint_areas = models.ManyToManyField("areas.Area", blank=True, related_name="joint_party_organisations")
    partner_units = models.CharField(max_length=300, blank=True)
    founded_on = models.DateField(null=True, blank=True)
    dissolved_on = models.DateField(null=True, blank=True)

    objects: ClassVar[OrganisationQuerySet] = OrganisationQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = "党组织"
        verbose_name_plural = "党组织"
        ordering = ["area__path", "kind", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=OrgKind.values), name="partyorg_kind_valid"),
            models.UniqueConstraint(fields=["area", "name"], name="partyorg_name_unique_in_area"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def audit_area_path(self) -> str:
        return self.area.path

    @property
    def active(self) -> bool:
        return self.dissolved_on is None


class PositionRole(models.TextChoices):
    SECRETARY = "secretary", "书记"
    DEPUTY = "deputy", "副书记"
    COMMITTEE = "committee", "委员"
    GROUP_LEADER = "group_leader", "党小组组长"


class OrgPosition(models.Model):
    """A term of office: a member as secretary, deputy or committee member of an organisation."""

    Role = PositionRole

    organisation = models.ForeignKey(PartyOrganisation, on_delete=models.CASCADE, related_name="positions")
    member = models.ForeignKey("PartyMember", on_delete=models.PROTECT, related_name="positions")
    role = models.CharField(max_length=14, choices=PositionRole.choices)
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)

    objects: ClassVar[OrgChildQuerySet] = OrgChildQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = "任职"
        verbose_name_plural = "任职"
        ordering = ["organisation", "role", "-start_date"]
        constraints = [
            models.CheckConstraint(condition=Q(role__in=PositionRole.values), name="orgposition_role_valid"),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="orgposition_dates_ordered",
            ),
            # One secretary at a time.
            models.UniqueConstraint(
                fields=["organisation"],
                condition=Q(role="secretary", end_date__isnull=True),
                name="orgposition_one_secretary",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} {self.get_role_display()}"

    @property
    def audit_area_path(self) -> str:
        return self.organisation.area.path


class MemberKind(models.TextChoices):
    RESIDENT = "resident", "居住地党员"
    REPORTING = "reporting", "在职党员报到"
    FLOATING = "floating", "流动党员"
    RETIRED = "retired", "离退休党员"


class MemberStatus(models.TextChoices):
    PROBATIONARY = "probationary", "预备党员"
    FULL = "full", "正式党员"
    TRANSFERRED_OUT = "transferred_out", "已转出"
    ENDED = "ended", "已注销"


ACTIVE_STATUSES = (MemberStatus.PROBATIONARY, MemberStatus.FULL)


class PartyMember(models.Model):
    """党员. `organisation` is the one branch the member belongs to now (one at a time, by construction);
    `resident` links them to the registry when they live in the street; `user` is their login, if any
    (it lets them be paired with contact households in visits)."""

    Kind = MemberKind
    Status = MemberStatus

    organisation = models.ForeignKey(PartyOrganisation, on_delete=models.PROTECT, related_name="members")
    resident = models.ForeignKey(
        "registry.Resident", null=True, blank=True, on_delete=models.PROTECT, related_name="party_memberships"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    name = models.CharField(max_length=50)
    kind = models.CharField(max_length=12, choices=MemberKind.choices, default=MemberKind.RESIDENT)
    status = models.CharField(max_length=16, choices=MemberStatus.choices, default=MemberStatus.FULL)
    joined_on = models.DateField()
    probation_end = models.DateField(null=True, blank=True)
    # 在职党员报到: the unit they work in and the day they reported to the community.
    work_unit = models.CharField(max_length=100, blank=True)
    reported_on = models.DateField(null=True, blank=True)
    hardship = models.BooleanField(default=False)
    hardship_note = models.CharField(max_length=200, blank=True)
    # The member's volunteer record (在职党员报到 service is recorded in volunteers: one record, counted in
    # both places — hours there, points here). Without it, a volunteer who is the same resident or login
    # is taken as the member.
    volunteer = models.OneToOneField(
        "volunteers.Volunteer", null=True, blank=True, on_delete=models.SET_NULL, related_name="party_member"
    )
    note = models.CharField(max_length=200, blank=True)
    ended_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects: ClassVar[OrgChildQuerySet] = OrgChildQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = "党员"
        verbose_name_plural = "党员"
        ordering = ["organisation", "name", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=MemberKind.values), name="partymember_kind_valid"),
            models.CheckConstraint(
                condition=Q(status__in=MemberStatus.values), name="partymember_status_valid"
            ),
            # A person is a member of one branch at a time.
            models.UniqueConstraint(
                fields=["resident"],
                condition=Q(status__in=["probationary", "full"], resident__isnull=False),
                name="partymember_one_branch_per_resident",
            ),
            models.CheckConstraint(
                condition=~Q(kind="reporting") | (~Q(work_unit="") & Q(reported_on__isnull=False)),
                name="partymember_reporting_has_unit",
            ),
        ]
        indexes = [models.Index(fields=["organisation", "status"], name="partymember_org_status_idx")]

    def __str__(self) -> str:
        return self.name

    @property
    def audit_area_path(self) -> str:
        return self.organisation.area.path

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_STATUSES


class TransferDirection(models.TextChoices):
    IN = "in", "转入"
    OUT = "out", "转出"
    WITHIN = "within", "内部调整"


class MemberTransfer(models.Model):
    """组织关系转接: a member's relationship moved into, out of or within the community."""

    Direction = TransferDirection

    member = models.ForeignKey(PartyMember, on_delete=models.CASCADE, related_name="transfers")
    direction = models.CharField(max_length=8, choices=TransferDirection.choices)
    date = models.DateField()
    from_organisation = models.ForeignKey(
        PartyOrganisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_organisation = models.ForeignKey(
        PartyOrganisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    outside_unit = models.CharField(max_length=100, blank=True)  # where from / to, outside the community
    note = models.CharField(max_length=200, blank=True)
    recorded_by = models.CharField(max_length=150, blank=True)

    objects: ClassVar[MemberChildQuerySet] = MemberChildQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = "组织关系转接"
        verbose_name_plural = "组织关系转接"
        ordering = ["-date", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(direction__in=TransferDirection.values), name="membertransfer_direction_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} {self.get_direction_display()} {self.date}"

    @property
    def audit_area_path(self) -> str:
        return self.member.organisation.area.path


# --- the membership pipeline (发展党员) --------------------------------------------------------


class Stage(models.TextChoices):
    APPLICANT = "applicant", "入党申请人"
    ACTIVIST = "activist", "入党积极分子"
    CANDIDATE = "candidate", "发展对象"
    PROBATIONARY = "probationary", "预备党员"
    FULL = "full", "正式党员"
    STOPPED = "stopped", "终止培养"


STAGE_ORDER = [Stage.APPLICANT, Stage.ACTIVIST, Stage.CANDIDATE, Stage.PROBATIONARY, Stage.FULL]


class Applicant(models.Model):
    """One person's way through the pipeline, applicant to full member; each step is a `PipelineStep`."""

    Stage = Stage

    organisation = models.ForeignKey(PartyOrganisation, on_delete=models.PROTECT, related_name="applicants")
    resident = models.ForeignKey(
        "registry.Resident",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="party_applications",
    )
    name = models.CharField(max_length=50)
    birth_date = models.DateField()
    stage = models.CharField(max_length=14, choices=Stage.choices, default=Stage.APPLICANT)
    applied_on = models.DateField()
    activist_on = models.DateField(null=True, blank=True)
    candidate_on = models.DateField(null=True, blank=True)
    admitted_on = models.DateField(null=True, blank=True)  # 预备党员 from
    full_on = models.DateField(null=True, blank=True)
    introducers = models.CharField(max_length=100, blank=True)  # 入党介绍人
    member = models.OneToOneField(
        PartyMember, null=True, blank=True, on_delete=models.SET_NULL, related_name="application"
    )
    # The date the current stage began: the pipeline list sorts on when the next step falls due.
    stage_since = models.DateField()
    next_due_on = models.DateField(null=True, blank=True)

    objects: ClassVar[OrgChildQuerySet] = OrgChildQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = "发展党员"
        verbose_name_plural = "发展党员"
        ordering = ["next_due_on", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(stage__in=Stage.values), name="applicant_stage_valid"),
            models.UniqueConstraint(
                fields=["resident"],
                condition=Q(resident__isnull=False) & ~Q(stage__in=["full", "stopped"]),
                name="applicant_one_open_per_resident",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.get_stage_display()}）"

    @property
    def audit_area_path(self) -> str:
        return self.organisation.area.path


class PipelineStep(models.Model):
    """One move in the pipeline (the event row): who, when, from, to, the resolution that decided it."""

    applicant = models.ForeignKey(Applicant, on_delete=models.CASCADE, related_name="steps")
    from_stage = models.CharField(max_length=14, choices=Stage.choices, blank=True)
    to_stage = models.CharField(max_length=14, choices=Stage.choices)
    date = models.DateField()
    resolution = models.CharField(max_length=200, blank=True)  # 支部委员会 / 支部大会决议
    introducers = models.CharField(max_length=100, blank=True)
    note = models.CharField(max_length=200, blank=True)
    recorded_by = models.CharField(max_length=150, blank=True)
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "发展步骤"
        verbose_name_plural = "发展步骤"
        ordering = ["date", "pk"]

    def __str__(self) -> str:
        return f"{self.applicant_id} {self.from_stage}→{self.to_stage}"


# --- 三会一课 -------------------------------------------------------------------------------------


class MeetingKind(models.TextChoices):
    GENERAL = "general", "支部党员大会"
    COMMITTEE = "committee", "支部委员会"
    GROUP = "group", "党小组会"
    LECTURE = "lecture", "党课"
    THEMED_DAY = "themed_day", "主题党日"


class MeetingRule(models.Model):
    """How often each kind must be held (configuration; seeded with the usual rules, see docs/party.md)."""

    kind = models.CharField(max_length=12, choices=MeetingKind.choices, unique=True)
    every_months = models.PositiveSmallIntegerField()
    note = models.CharField(max_length=200, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        verbose_name = "组织生活频次"
        verbose_name_plural = "组织生活频次"
        ordering = ["kind"]
        constraints = [
            models.CheckConstraint(
                condition=Q(every_months__in=[1, 2, 3, 4, 6, 12]), name="meetingrule_months_divide_year"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}：每 {self.every_months} 个月"


class Attendance(models.TextChoices):
    PRESENT = "present", "出席"
    LATE = "late", "迟到"
    LEAVE = "leave", "请假（已批准）"
    ABSENT = "absent", "缺席"


class Meeting(models.Model):
    """A 三会一课 meeting. `checkin_code` is what the sign-in QR carries (members scan it on the day)."""

    Kind = MeetingKind

    organisation = models.ForeignKey(PartyOrganisation, on_delete=models.PROTECT, related_name="meetings")
    kind = models.CharField(max_length=12, choices=MeetingKind.choices)
    held_on = models.DateField()
    place = models.CharField(max_length=100)
    topic = models.CharField(max_length=200)
    host = models.CharField(max_length=50, blank=True)
    # The minutes: a draft while none is approved; once a version is approved, the approved text (locked:
    # a correction is a new version with its reason, see MinutesVersion).
    minutes = models.TextField(blank=True)
    minutes_status = models.CharField(
        max_length=10,
        choices=[("", "未提交")] + [("submitted", "待审定"), ("approved", "已审定"), ("returned", "已退回")],
        blank=True,
        default="",
    )
    checkin_code = models.CharField(max_length=32, unique=True)
    cancelled = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    objects: ClassVar[OrgChildQuerySet] = OrgChildQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = "组织生活"
        verbose_name_plural = "组织生活"
        ordering = ["-held_on", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=MeetingKind.values), name="meeting_kind_valid"),
        ]
        indexes = [models.Index(fields=["organisation", "kind", "held_on"], name="meeting_org_kind_day_idx")]

    def __str__(self) -> str:
        return f"{self.held_on} {self.get_kind_display()}：{self.topic}"

    @property
    def audit_area_path(self) -> str:
        return self.organisation.area.path


class MinutesStatus(models.TextChoices):
    SUBMITTED = "submitted", "待审定"
    APPROVED = "approved", "已审定"
    RETURNED = "returned", "已退回"


class MinutesVersion(models.Model):
    """会议记录的一个版本: submitted by the recorder, approved (or returned with a reason) by the branch
    secretary. An approved version locks the minutes; a correction is a new version with its reason."""

    Status = MinutesStatus

    meeting = models.ForeignKey("Meeting", on_delete=models.CASCADE, related_name="minutes_versions")
    number = models.PositiveSmallIntegerField()
    text = models.TextField()
    correction_reason = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=MinutesStatus.choices, default=MinutesStatus.SUBMITTED)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_by_name = models.CharField(max_length=150, blank=True)
    submitted_at = models.DateTimeField(default=timezone.now)
    decided_by_name = models.CharField(max_length=150, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    return_reason = models.CharField(max_length=200, blank=True)

    objects: ClassVar[MeetingChildQuerySet] = MeetingChildQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = "会议记录版本"
        verbose_name_plural = "会议记录版本"
        ordering = ["meeting", "-number"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=MinutesStatus.values), name="minutesversion_status_valid"
            ),
            models.UniqueConstraint(fields=["meeting", "number"], name="minutesversion_number_once"),
            models.UniqueConstraint(
                fields=["meeting"], condition=Q(status="submitted"), name="minutesversion_one_pending"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.meeting_id} v{self.number}"

    @property
    def audit_area_path(self) -> str:
        return self.meeting.organisation.area.path


class MeetingAttendance(models.Model):
    Status = Attendance

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendance")
    member = models.ForeignKey(PartyMember, on_delete=models.PROTECT, related_name="attendance")
    status = models.CharField(max_length=8, choices=Attendance.choices)
    via_qr = models.BooleanField(default=False)
    signed_at = models.DateTimeField(default=timezone.now)

    objects: ClassVar[MeetingChildQuerySet] = MeetingChildQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = "出席情况"
        verbose_name_plural = "出席情况"
        ordering = ["member__name", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=Attendance.values), name="attendance_status_valid"),
            models.UniqueConstraint(fields=["meeting", "member"], name="attendance_once_per_meeting"),
        ]

    def __str__(self) -> str:
        return f"{self.member} {self.get_status_display()}"


def meeting_photo_path(instance: MeetingPhoto, filename: str) -> str:
    return f"party/{instance.meeting_id}/{timezone.now():%Y%m%d%H%M%S}-{filename}"


class MeetingPhoto(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(upload_to=meeting_photo_path)
    content_type = models.CharField(max_length=30)
    uploaded_at = models.DateTimeField(default=timezone.now)

    objects: ClassVar[MeetingChildQuerySet] = MeetingChildQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = "组织生活照片"
        verbose_name_plural = "组织生活照片"
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return str(self.file.name)


class ComplianceNotice(models.Model):
    """The sweep told the secretary and the leaders that this kind is overdue for this period: once."""

    organisation = models.ForeignKey(PartyOrganisation, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=12, choices=MeetingKind.choices)
    period_start = models.DateField()
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "kind", "period_start"], name="compliancenotice_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation_id} {self.kind} {self.period_start}"


# --- points (党员积分) ----------------------------------------------------------------------------


class PointPeriod(models.TextChoices):
    MONTH = "month", "每月"
    YEAR = "year", "每年"


class PointRule(models.Model):
    """积分规则: an activity kind, the points one occurrence earns, and a cap per period (0 = none)."""

    code = models.CharField(max_length=24, unique=True)
    label = models.CharField(max_length=60)
    points = models.SmallIntegerField()
    cap = models.PositiveSmallIntegerField(default=0)
    period = models.CharField(max_length=6, choices=PointPeriod.choices, default=PointPeriod.MONTH)
    manual = models.BooleanField(default=False)  # entered by hand, with a reason, and approved
    active = models.BooleanField(default=True)

    class Meta:
        verbose_name = "积分规则"
        verbose_name_plural = "积分规则"
        ordering = ["manual", "code"]

    def __str__(self) -> str:
        return self.label


class EntryStatus(models.TextChoices):
    PENDING = "pending", "待审核"
    APPROVED = "approved", "已计入"
    REJECTED = "rejected", "未通过"


class PointEntry(models.Model):
    """One award. `source` names what earned it ("meeting:12", "visit:40", "volunteer:7") so the same
    activity never counts twice; manual entries have none and wait for approval."""

    Status = EntryStatus

    member = models.ForeignKey(PartyMember, on_delete=models.CASCADE, related_name="points")
    rule = models.ForeignKey(PointRule, on_delete=models.PROTECT, related_name="entries")
    points = models.SmallIntegerField()
    earned_on = models.DateField()
    source = models.CharField(max_length=40, blank=True)
    reason = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=EntryStatus.choices, default=EntryStatus.APPROVED)
    entered_by = models.CharField(max_length=150, blank=True)
    decided_by = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects: ClassVar[MemberChildQuerySet] = MemberChildQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = "积分记录"
        verbose_name_plural = "积分记录"
        ordering = ["-earned_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=EntryStatus.values), name="pointentry_status_valid"
            ),
            models.UniqueConstraint(
                fields=["member", "source"], condition=~Q(source=""), name="pointentry_source_once"
            ),
        ]
        indexes = [models.Index(fields=["member", "earned_on"], name="pointentry_member_day_idx")]

    def __str__(self) -> str:
        return f"{self.member} {self.points:+d}"

    @property
    def audit_area_path(self) -> str:
        return self.member.organisation.area.path


# --- probation extended (延长预备期) --------------------------------------------------------------


class ProbationExtension(models.Model):
    """延长预备期: when probation ends, the branch general meeting may extend it once, by six months to a
    year (《中国共产党发展党员工作细则》第三十条; rules.PROBATION_EXTENSION)."""

    member = models.OneToOneField(PartyMember, on_delete=models.CASCADE, related_name="probation_extension")
    resolved_on = models.DateField()  # the branch general meeting (支部党员大会) that decided it
    resolution = models.CharField(max_length=200)
    reason = models.CharField(max_length=200)
    months = models.PositiveSmallIntegerField()
    previous_end = models.DateField()
    new_end = models.DateField()
    recorded_by = models.CharField(max_length=150, blank=True)
    recorded_at = models.DateTimeField(default=timezone.now)

    objects: ClassVar[MemberChildQuerySet] = MemberChildQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = "延长预备期"
        verbose_name_plural = "延长预备期"
        constraints = [
            models.CheckConstraint(condition=Q(months__gte=6, months__lte=12), name="probext_six_to_twelve"),
            models.CheckConstraint(condition=Q(new_end__gt=models.F("previous_end")), name="probext_later"),
        ]

    def __str__(self) -> str:
        return f"{self.member} → {self.new_end}"

    @property
    def audit_area_path(self) -> str:
        return self.member.organisation.area.path


# --- 三卡: contact, activity and feedback cards ----------------------------------------------------


class CardKind(models.TextChoices):
    CONTACT = "contact", "联系卡"
    ACTIVITY = "activity", "活动卡"
    FEEDBACK = "feedback", "反馈卡"


class CardStatus(models.TextChoices):
    RECORDED = "recorded", "已登记"
    OPEN = "open", "待办结"  # a feedback card until its outcome is known
    CLOSED = "closed", "已办结"
    VOIDED = "voided", "已作废"


class ContactWay(models.TextChoices):
    PHONE = "phone", "电话"
    WECHAT = "wechat", "微信"
    IN_PERSON = "in_person", "当面（非入户走访）"
    ERRAND = "errand", "代办事项"


class MemberCard(models.Model):
    """三卡 (联系卡、活动卡、反馈卡): what a member did outside the branch's meetings — above all a reporting
    member's "8 hours outside work". A contact card is a contact with a household in the member's
    responsibility area or paired with them (door visits are logged in visits instead, which count there);
    an activity card, a community activity taken part in that is not volunteer service; a feedback card,
    a matter passed on (from a resident or seen by the member) and its outcome."""

    Kind = CardKind
    Status = CardStatus

    member = models.ForeignKey(PartyMember, on_delete=models.PROTECT, related_name="cards")
    kind = models.CharField(max_length=10, choices=CardKind.choices)
    day = models.DateField()
    resident = models.ForeignKey(
        "registry.Resident", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    way = models.CharField(max_length=10, choices=ContactWay.choices, blank=True)
    title = models.CharField(max_length=100)
    content = models.TextField(blank=True)
    place = models.CharField(max_length=100, blank=True)
    passed_to = models.CharField(max_length=100, blank=True)  # feedback: to whom it was passed on
    outcome = models.CharField(max_length=300, blank=True)
    closed_on = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=CardStatus.choices, default=CardStatus.RECORDED)
    void_reason = models.CharField(max_length=200, blank=True)
    recorded_by = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects: ClassVar[MemberChildQuerySet] = MemberChildQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = "党员三卡"
        verbose_name_plural = "党员三卡"
        ordering = ["-day", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=CardKind.values), name="membercard_kind_valid"),
            models.CheckConstraint(condition=Q(status__in=CardStatus.values), name="membercard_status_valid"),
            models.CheckConstraint(
                condition=~Q(kind="contact") | Q(resident__isnull=False),
                name="membercard_contact_has_household",
            ),
            models.CheckConstraint(
                condition=~Q(status="closed") | (Q(closed_on__isnull=False) & ~Q(outcome="")),
                name="membercard_closed_has_outcome",
            ),
        ]
        indexes = [models.Index(fields=["member", "kind", "day"], name="membercard_member_kind_day_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.member} {self.day}"

    @property
    def audit_area_path(self) -> str:
        return self.member.organisation.area.path


# --- responsibility areas (党员责任区) ------------------------------------------------------------


class ResponsibilityArea(models.Model):
    """党员责任区: a member looks after buildings (their contact households are paired in visits)."""

    member = models.ForeignKey(PartyMember, on_delete=models.CASCADE, related_name="responsibility_areas")
    building = models.ForeignKey("registry.Building", on_delete=models.PROTECT, related_name="+")
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)

    objects: ClassVar[MemberChildQuerySet] = MemberChildQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = "党员责任区"
        verbose_name_plural = "党员责任区"
        constraints = [
            models.UniqueConstraint(
                fields=["member", "building"], condition=Q(end_date__isnull=True), name="resparea_open_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.member} {self.building_id}"

    @property
    def audit_area_path(self) -> str:
        return self.member.organisation.area.path
