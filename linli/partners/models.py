"""Partner units (驻区单位) and co-building (共建): the units stationed in a community, their agreements with
dated commitments and how each was fulfilled, the resources they offer, the community's needs, joint
activities, and their members reporting to the community (在职党员报到)."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from linli.core.scoping import ScopedQuerySet


class PartnerScopedQuerySet(ScopedQuerySet):
    scope_lookup = "area__path"


class UnitChildQuerySet(ScopedQuerySet):
    scope_lookup = "unit__area__path"


class CommitmentQuerySet(ScopedQuerySet):
    scope_lookup = "agreement__unit__area__path"


class UnitKind(models.TextChoices):
    GOVERNMENT = "government", "机关"
    INSTITUTION = "institution", "事业单位"
    STATE_ENTERPRISE = "soe", "国有企业"
    PRIVATE_ENTERPRISE = "private", "非公企业"
    SCHOOL = "school", "学校"
    HOSPITAL = "hospital", "医院"
    MILITARY = "military", "部队"
    SOCIAL_ORG = "social_org", "社会组织"
    OTHER = "other", "其他"


class ResourceKind(models.TextChoices):
    ROOM = "room", "场地"
    EQUIPMENT = "equipment", "设备"
    SKILL = "skill", "技能服务"
    MONEY = "money", "资金"
    OTHER = "other", "其他"


class PartnerUnit(models.Model):
    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="partner_units")
    name = models.CharField("单位名称", max_length=100)
    kind = models.CharField("类型", max_length=12, choices=UnitKind.choices)
    contact_name = models.CharField("联系人", max_length=50, blank=True)
    contact_phone = models.CharField("联系电话", max_length=20, blank=True)
    address = models.CharField("地址", max_length=200, blank=True)
    party_organisation = models.CharField("党组织", max_length=100, blank=True)
    party_members = models.PositiveIntegerField("党员人数", default=0)
    staff_count = models.PositiveIntegerField("职工人数", default=0)
    notes = models.TextField("备注", blank=True)
    active = models.BooleanField(default=True)
    left_on = models.DateField(null=True, blank=True)
    left_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects: ClassVar[PartnerScopedQuerySet] = PartnerScopedQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = "驻区单位"
        verbose_name_plural = "驻区单位"
        ordering = ["area__path", "name"]
        constraints = [
            models.UniqueConstraint(fields=["area", "name"], name="partnerunit_name_unique_in_area"),
            models.CheckConstraint(condition=Q(kind__in=UnitKind.values), name="partnerunit_kind_valid"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def audit_area_path(self) -> str:
        return self.area.path


class Agreement(models.Model):
    """共建协议: signed for a period; ended early with a reason, or it simply runs out."""

    class Status(models.TextChoices):
        ACTIVE = "active", "履行中"
        ENDED = "ended", "已终止"

    unit = models.ForeignKey(PartnerUnit, on_delete=models.CASCADE, related_name="agreements")
    title = models.CharField("协议名称", max_length=100)
    signed_on = models.DateField("签订日期")
    starts_on = models.DateField("开始日期")
    ends_on = models.DateField("结束日期")
    content = models.TextField("主要内容", blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.ACTIVE)
    ended_on = models.DateField(null=True, blank=True)
    end_reason = models.CharField(max_length=200, blank=True)

    objects: ClassVar[UnitChildQuerySet] = UnitChildQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["-starts_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["active", "ended"]), name="agreement_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="agreement_period_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def audit_area_path(self) -> str:
        return self.unit.area.path


class Commitment(models.Model):
    """One promise of an agreement with its date (e.g. "每季度开放会议室两次", due 2026-03-31)."""

    class Status(models.TextChoices):
        PENDING = "pending", "待履行"
        FULFILLED = "fulfilled", "已履行"
        MISSED = "missed", "未履行"
        CANCELLED = "cancelled", "已取消"

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="commitments")
    text = models.CharField("承诺事项", max_length=200)
    due_on = models.DateField("完成时限")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    done_on = models.DateField(null=True, blank=True)
    outcome = models.CharField("履行情况", max_length=300, blank=True)

    objects: ClassVar[CommitmentQuerySet] = CommitmentQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["due_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["pending", "fulfilled", "missed", "cancelled"]),
                name="commitment_status_valid",
            )
        ]

    def __str__(self) -> str:
        return self.text

    @property
    def audit_area_path(self) -> str:
        return self.agreement.unit.area.path


class Resource(models.Model):
    """What a unit offers: a room, equipment, a skill, money."""

    unit = models.ForeignKey(PartnerUnit, on_delete=models.CASCADE, related_name="resources")
    kind = models.CharField("类别", max_length=10, choices=ResourceKind.choices)
    description = models.CharField("内容", max_length=200)
    amount = models.DecimalField("金额（元）", max_digits=12, decimal_places=2, null=True, blank=True)
    available = models.BooleanField(default=True)

    objects: ClassVar[UnitChildQuerySet] = UnitChildQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["kind", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=ResourceKind.values), name="resource_kind_valid")
        ]

    def __str__(self) -> str:
        return self.description

    @property
    def audit_area_path(self) -> str:
        return self.unit.area.path


class Need(models.Model):
    """需求: what the community asks partner units for; met by a unit (and the resource it used) or closed."""

    class Status(models.TextChoices):
        OPEN = "open", "待认领"
        MET = "met", "已对接"
        CLOSED = "closed", "已关闭"

    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="partner_needs")
    kind = models.CharField("类别", max_length=10, choices=ResourceKind.choices)
    title = models.CharField("需求", max_length=100)
    description = models.TextField("说明", blank=True)
    posted_on = models.DateField(default=timezone.localdate)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    unit = models.ForeignKey(
        PartnerUnit, null=True, blank=True, on_delete=models.SET_NULL, related_name="needs_met"
    )
    resource = models.ForeignKey(Resource, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    closed_on = models.DateField(null=True, blank=True)
    note = models.CharField(max_length=200, blank=True)

    objects: ClassVar[PartnerScopedQuerySet] = PartnerScopedQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["-posted_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["open", "met", "closed"]), name="need_status_valid"
            ),
            models.CheckConstraint(condition=Q(kind__in=ResourceKind.values), name="need_kind_valid"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def audit_area_path(self) -> str:
        return self.area.path


class JointActivity(models.Model):
    """共建活动: held with one or more units. A record here; the volunteers module keeps volunteer hours."""

    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="joint_activities")
    title = models.CharField("活动名称", max_length=100)
    held_on = models.DateField("日期")
    place = models.CharField("地点", max_length=100, blank=True)
    units = models.ManyToManyField(PartnerUnit, related_name="activities")
    participants = models.PositiveIntegerField("参与人数", default=0)
    description = models.TextField("内容", blank=True)
    # The volunteer activity it was run as, if any: its sign-ups and service hours stay in the volunteers
    # module (counted once, there); this record says which units took part.
    volunteer_activity = models.ForeignKey(
        "volunteers.Activity", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects: ClassVar[PartnerScopedQuerySet] = PartnerScopedQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["-held_on", "-pk"]

    def __str__(self) -> str:
        return self.title

    @property
    def audit_area_path(self) -> str:
        return self.area.path


class MemberCheckIn(models.Model):
    """A unit's members reporting to the community (在职党员到社区报到): how many, and who if the unit lists them."""

    unit = models.ForeignKey(PartnerUnit, on_delete=models.CASCADE, related_name="member_checkins")
    reported_on = models.DateField("报到日期")
    count = models.PositiveIntegerField("人数")
    names = models.TextField("名单（每行一人，可不填）", blank=True)
    note = models.CharField("备注", max_length=200, blank=True)

    objects: ClassVar[UnitChildQuerySet] = UnitChildQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["-reported_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.reported_on} · {self.count}"

    @property
    def audit_area_path(self) -> str:
        return self.unit.area.path
