from __future__ import annotations

import hashlib
from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.utils import timezone

from linli.accounts.roles import ROLE_CAPABILITIES, Capability, Role
from linli.core.scoping import ScopedQuerySet, minimal_paths


class UserQuerySet(ScopedQuerySet):
    scope_lookup = "bindings__area__path"

    def visible_to(self, user: Any) -> UserQuerySet:
        # A user bound to several areas would otherwise appear once per binding.
        return super().visible_to(user).distinct()


class LinliUserManager(UserManager.from_queryset(UserQuerySet)):  # type: ignore[misc]
    pass


class User(AbstractUser):
    """A person who signs in. Their data scope is the union of their bound areas' subtrees."""

    role = models.CharField(max_length=24, choices=Role.choices, default=Role.VIEWER)
    full_name = models.CharField("姓名", max_length=60, blank=True)
    phone = models.CharField("手机号", max_length=20, blank=True)
    areas = models.ManyToManyField("areas.Area", through="AreaBinding", related_name="users", blank=True)
    # 部署运维: see Capability.OPERATE. Granted at the console only.
    is_operator = models.BooleanField("部署运维", default=False)

    objects: ClassVar[LinliUserManager] = LinliUserManager()

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"
        constraints = [
            models.CheckConstraint(condition=Q(role__in=[r.value for r in Role]), name="user_role_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.full_name}（{self.username}）" if self.full_name else self.username

    def scope_paths(self) -> list[str]:
        """Paths of the areas this user is bound to, ancestors-first, without redundant children."""
        cached: list[str] | None = getattr(self, "_scope_paths", None)
        if cached is None:
            if not self.pk:
                return []
            cached = minimal_paths(self.bindings.values_list("area__path", flat=True))
            self._scope_paths = cached
        return cached

    def forget_scope(self) -> None:
        self.__dict__.pop("_scope_paths", None)
        self.__dict__.pop("_granted", None)

    @property
    def capabilities(self) -> frozenset[Capability]:
        if not self.is_active:
            return frozenset()
        capabilities = ROLE_CAPABILITIES.get(self.role, frozenset())
        if self.is_operator:
            capabilities |= {Capability.OPERATE}
        return capabilities | self.granted_capabilities()

    def granted_capabilities(self) -> frozenset[Capability]:
        """What modules grant this person from their records (a sitting party secretary's `party_branch`),
        asked once per user object: a term that begins or ends shows at the next request."""
        cached: frozenset[Capability] | None = self.__dict__.get("_granted")
        if cached is None:
            if not self.pk:
                return frozenset()
            from linli.core.modules import granted_capabilities

            cached = granted_capabilities(self)
            self.__dict__["_granted"] = cached
        return cached

    def can(self, capability: Capability) -> bool:
        # What the role gives is answered without asking the modules: their grants cost a query (party's
        # sitting officers, 15% of an API case-list request), and a role that has the capability needs none.
        if not self.is_active:
            return False
        if capability in ROLE_CAPABILITIES.get(self.role, frozenset()):
            return True
        if capability == Capability.OPERATE and self.is_operator:
            return True
        return capability in self.granted_capabilities()

    @property
    def display_name(self) -> str:
        return self.full_name or self.username

    @property
    def audit_area_path(self) -> str:
        paths = self.scope_paths()
        return paths[0] if paths else ""


class AreaBinding(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="bindings")
    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="bindings")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "管辖区域"
        verbose_name_plural = "管辖区域"
        constraints = [models.UniqueConstraint(fields=["user", "area"], name="areabinding_unique")]

    def __str__(self) -> str:
        return f"{self.user} → {self.area}"


class ApiToken(models.Model):
    """A bearer token for the API. Only its SHA-256 is stored; the token is shown once."""

    PREFIX = "linli_"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=60, blank=True)
    # First characters of the token, so a person can tell their tokens apart.
    lookup_prefix = models.CharField(max_length=16)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API 令牌"
        verbose_name_plural = "API 令牌"

    def __str__(self) -> str:
        return f"{self.lookup_prefix}… ({self.user.username})"

    @staticmethod
    def hash_key(key: str) -> str:
        # A random 256-bit token needs no slow hash: brute force is already infeasible.
        return hashlib.sha256(key.encode()).hexdigest()

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @property
    def audit_area_path(self) -> str:
        return self.user.audit_area_path


class LoginAttempt(models.Model):
    """Recent sign-in attempts, read by the lockout rule; pruned after the window passes."""

    class Bucket(models.TextChoices):
        # Each bucket counts only its own failures: residents mistyping tracking numbers at a
        # shared address (a street office's hall) must not lock the staff there out of signing in.
        SIGN_IN = "sign_in", "登录"
        TRACK = "track", "工单查询"

    username = models.CharField(max_length=150, db_index=True)
    bucket = models.CharField(max_length=10, choices=Bucket.choices, default=Bucket.SIGN_IN)
    ip = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField(default=timezone.now)
    succeeded = models.BooleanField(default=False)

    class Meta:
        indexes = [
            models.Index(fields=["username", "at"], name="loginattempt_user_at_idx"),
            models.Index(fields=["ip", "at"], name="loginattempt_ip_at_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(bucket__in=["sign_in", "track"]), name="loginattempt_bucket_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.username}@{self.ip} {self.at:%Y-%m-%d %H:%M} {'ok' if self.succeeded else 'fail'}"
