"""The residents' own Linli: sign-in codes, resident sessions, correction requests, relative links
(代办) and which cases were filed from the portal, by whom, for whom."""

from __future__ import annotations

import hashlib
from typing import ClassVar

from django.db import models
from django.db.models import Q
from django.utils import timezone

from linli.portal.querysets import GridRowQuerySet


def digest(value: str) -> str:
    """SHA-256 of a code or session key: the database never holds either in the clear."""
    return hashlib.sha256(value.encode()).hexdigest()


class SignInCode(models.Model):
    """One sign-in request. Every request is kept for the rate limits, matched or not; only a matched
    one (resident set) had a code sent. The code itself is stored as its hash."""

    phone = models.CharField(max_length=20, db_index=True)
    resident = models.ForeignKey(
        "registry.Resident", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    code_hash = models.CharField(max_length=64, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "居民登录验证码"
        verbose_name_plural = "居民登录验证码"
        indexes = [
            models.Index(fields=["phone", "created_at"], name="signincode_phone_idx"),
            models.Index(fields=["ip", "created_at"], name="signincode_ip_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.pk} {self.created_at:%Y-%m-%d %H:%M}"


class PortalSession(models.Model):
    """A resident signed in to the portal: its own cookie (`linli_portal`), apart from the staff session.
    Only the key's hash is stored; signing out or the idle limit ends it."""

    key_hash = models.CharField(max_length=64, unique=True)
    resident = models.ForeignKey("registry.Resident", on_delete=models.CASCADE, related_name="+")
    # The relative the resident is acting for (代办) at the moment, through an approved link.
    acting_for = models.ForeignKey(
        "registry.Resident", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "居民会话"
        verbose_name_plural = "居民会话"

    def __str__(self) -> str:
        return f"{self.resident_id} {self.created_at:%Y-%m-%d %H:%M}"


class CorrectionStatus(models.TextChoices):
    OPEN = "open", "待处理"
    DONE = "done", "已更正"
    DECLINED = "declined", "无需更正"


class CorrectionRequest(models.Model):
    """A resident says the registry has their household wrong. It reaches the grid worker as a to-do;
    the worker checks and edits the registry (or explains why not) — the resident never edits it."""

    Status = CorrectionStatus

    household = models.ForeignKey(
        "registry.Household", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resident = models.ForeignKey("registry.Resident", on_delete=models.CASCADE, related_name="+")
    reported_by = models.ForeignKey("registry.Resident", on_delete=models.CASCADE, related_name="+")
    grid = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    status = models.CharField(max_length=10, choices=CorrectionStatus.choices, default=CorrectionStatus.OPEN)
    created_at = models.DateTimeField(default=timezone.now)
    handled_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    handled_at = models.DateTimeField(null=True, blank=True)
    reply = models.CharField(max_length=200, blank=True)

    objects: ClassVar[GridRowQuerySet] = GridRowQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = "信息更正申请"
        verbose_name_plural = "信息更正申请"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=CorrectionStatus.values), name="correction_status_valid"
            ),
        ]
        indexes = [models.Index(fields=["status", "grid"], name="correction_status_grid_idx")]

    def __str__(self) -> str:
        return f"信息更正 #{self.pk}"

    @property
    def audit_area_path(self) -> str:
        return self.grid.path


class LinkStatus(models.TextChoices):
    REQUESTED = "requested", "待审核"
    APPROVED = "approved", "已批准"
    REFUSED = "refused", "未批准"
    ENDED = "ended", "已解除"


class ProxyLink(models.Model):
    """代办: `agent` may act in the portal for `principal`, an elderly or disabled relative, once a
    community worker of the relative's grid approved it. Either side or staff may end it."""

    Status = LinkStatus

    agent = models.ForeignKey("registry.Resident", on_delete=models.CASCADE, related_name="+")
    principal = models.ForeignKey("registry.Resident", on_delete=models.CASCADE, related_name="+")
    grid = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+")
    relation = models.CharField(max_length=20)
    status = models.CharField(max_length=10, choices=LinkStatus.choices, default=LinkStatus.REQUESTED)
    requested_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=200, blank=True)

    objects: ClassVar[GridRowQuerySet] = GridRowQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = "代办关系"
        verbose_name_plural = "代办关系"
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=LinkStatus.values), name="proxylink_status_valid"),
            models.CheckConstraint(condition=~Q(agent=models.F("principal")), name="proxylink_not_self"),
            # One live link (asked or approved) per pair.
            models.UniqueConstraint(
                fields=["agent", "principal"],
                condition=Q(status__in=["requested", "approved"]),
                name="proxylink_one_live",
            ),
        ]

    def __str__(self) -> str:
        return f"代办 #{self.pk}"

    @property
    def audit_area_path(self) -> str:
        return self.grid.path


class PortalFiling(models.Model):
    """A case filed in the portal: whose it is (`principal`) and who filed it (`agent`, the same person
    unless acting for a relative). "My cases" in the portal are read from here and the verified phone."""

    case = models.OneToOneField("cases.Case", on_delete=models.CASCADE, related_name="portal_filing")
    principal = models.ForeignKey("registry.Resident", on_delete=models.CASCADE, related_name="+")
    agent = models.ForeignKey("registry.Resident", on_delete=models.CASCADE, related_name="+")
    filed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "居民端工单"
        verbose_name_plural = "居民端工单"

    def __str__(self) -> str:
        return f"{self.case_id}"
