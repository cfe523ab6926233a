from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models.functions import Upper
from django.utils import timezone

from linli.core.scoping import ScopedQuerySet


class AuditQuerySet(ScopedQuerySet):
    scope_lookup = "area_path"

    def update(self, **kwargs: Any) -> int:
        raise TypeError("The audit log is append-only.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise TypeError("The audit log is append-only.")


class AuditAction(models.TextChoices):
    CREATE = "create", "新增"
    UPDATE = "update", "修改"
    DELETE = "delete", "删除"
    LOGIN = "login", "登录"
    LOGOUT = "logout", "退出"
    LOGIN_FAILED = "login_failed", "登录失败"
    LOCKED_OUT = "locked_out", "账户锁定"
    PASSWORD_CHANGE = "password_change", "修改密码"
    REVEAL = "reveal", "查看明文"
    EXPORT = "export", "导出"
    IMPORT = "import", "导入"
    TOKEN_CREATE = "token_create", "创建令牌"
    TOKEN_REVOKE = "token_revoke", "吊销令牌"
    BACKUP = "backup", "备份"
    RESTORE = "restore", "恢复"
    SEARCH_DIGITS = "search_digits", "按号码查找"
    SEARCH_LIMITED = "search_limited", "号码查找超限"


# The actions that change data: their entries carry `written_app`.
WRITE_ACTIONS = frozenset(
    {AuditAction.CREATE, AuditAction.UPDATE, AuditAction.DELETE, AuditAction.IMPORT, AuditAction.RESTORE}
)


class AuditEntry(models.Model):
    """One line of the append-only audit log.

    Updates are refused here and by a database trigger (see the migration), so
    not even raw SQL through Django can rewrite history.
    """

    Action = AuditAction

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The name at the time, kept because users are renamed and anonymous attempts have no user.
    actor_label = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=20, choices=Action.choices)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(max_length=200, blank=True)
    # Area the entry concerns; scopes who may read it. Empty: visible to admins of a root area only.
    area_path = models.CharField(max_length=255, blank=True, db_index=True)
    changes = models.JSONField(default=dict, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    via = models.CharField(max_length=10, default="system")
    # The app whose data a write changed ("cases" for cases.case; "" for a write of no app, e.g. a
    # restore); NULL for everything that is not a write (sign-ins, reveals, exports, searches). The
    # dashboards keep each module's figures until a write of an app they read: the largest id per app
    # is one look-up in audit_written_app_idx (dashboards.selectors.stamps).
    written_app = models.CharField(max_length=40, null=True, blank=True)  # noqa: DJ001  (NULL: no write)

    objects: ClassVar[AuditQuerySet] = AuditQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = "审计日志"
        verbose_name_plural = "审计日志"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(action__in=AuditAction.values), name="auditentry_action_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="audit_object_idx"),
            # A user's searches by identity or phone digits in the last hour (the rate limit) are a
            # range of this index, however long the user's history.
            models.Index(fields=["actor", "action", "at"], name="audit_actor_action_at_idx"),
            # The audit page's searches at city scale (migration 0006 says what each is for).
            models.Index(fields=["action", "at"], name="audit_action_at_idx"),
            models.Index(fields=["object_id"], name="audit_object_id_idx"),
            models.Index(Upper("actor_label"), name="audit_actor_label_upper_idx"),
            models.Index(
                fields=["area_path"], name="audit_area_path_prefix_idx", opclasses=["varchar_pattern_ops"]
            ),
            models.Index(fields=["ip"], name="audit_ip_idx", condition=models.Q(ip__isnull=False)),
            models.Index(fields=["written_app", "id"], name="audit_written_app_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_label} {self.action} {self.object_repr}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise TypeError("The audit log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise TypeError("The audit log is append-only.")


class Heartbeat(models.Model):
    """When a periodic job last ran (`linli tick`, the sweeps): `linli check` reports one that went quiet.

    One row per job name, overwritten each round; with several app servers each one's sweep writes the same row.
    """

    name = models.CharField(max_length=80, primary_key=True)
    at = models.DateTimeField()

    class Meta:
        verbose_name = "心跳"

    def __str__(self) -> str:
        return f"{self.name} {self.at:%Y-%m-%d %H:%M}"

    @classmethod
    def beat(cls, name: str) -> None:
        cls.objects.update_or_create(name=name, defaults={"at": timezone.now()})

    @classmethod
    def last(cls, name: str) -> Any:
        return cls.objects.filter(name=name).values_list("at", flat=True).first()


class RunningCount(models.Model):
    """A row of a module's running counts (core/running_counts.py): `n` more (or, appended on PostgreSQL, fewer)
    of `kind` with `key` in one area. Each module's table adds its area column (`grid`, `area`) and an index.
    Derived data: backups leave it out (`derived`), a restore's own writes rebuild it through the triggers."""

    kind = models.CharField(max_length=12)
    key = models.CharField(max_length=40)
    n = models.IntegerField()

    derived = True

    class Meta:
        abstract = True
