"""The time bank (时间银行): a zero-sum ledger in minutes, kept apart from the volunteers' service record.

Every transfer moves minutes from one account to another and writes two movements, −m and +m, in one
transaction; an account's stored balance is the sum of its movements, so the sum over all accounts is
always zero. The community's issuing account is the only one that goes negative by design: its debt is
the minutes in circulation. Transfers and movements are never changed or deleted; a mistake is undone
by a reversal, a new transfer the other way that names the one it reverses.

Help requests (互助需求) are the demand side: a need of a resident, often found on a visit or a case,
matched to a volunteer, served, confirmed and paid from the time bank.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from linli.timebank.querysets import (
    AccountQuerySet,
    HelpRequestChildQuerySet,
    HelpRequestQuerySet,
    MovementQuerySet,
    TransferQuerySet,
)


class AccountKind(models.TextChoices):
    VOLUNTEER = "volunteer", "志愿者"
    RESIDENT = "resident", "居民"
    HOUSEHOLD = "household", "家庭户"
    ISSUING = "issuing", "社区发行账户"
    POOL = "pool", "社区互助池"


PERSONAL_KINDS = (AccountKind.VOLUNTEER, AccountKind.RESIDENT, AccountKind.HOUSEHOLD)
COMMUNITY_KINDS = (AccountKind.ISSUING, AccountKind.POOL)


class TransferKind(models.TextChoices):
    SERVICE_CREDIT = "service_credit", "服务入账"
    HELP_PAYMENT = "help_payment", "互助支付"
    TRANSFER = "transfer", "转赠"
    DONATION = "donation", "捐入互助池"
    REVERSAL = "reversal", "冲正"


class ActedBy(models.TextChoices):
    """Who asked for a transfer out of a person's account: themselves, or a proxy for someone without a phone."""

    HOLDER = "holder", "本人"
    FAMILY = "family", "家属代办"
    WORKER = "worker", "工作人员代办"


class Account(models.Model):
    Kind = AccountKind

    kind = models.CharField(max_length=10, choices=Kind.choices)
    community = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+")
    # Scope: the holder's grid for a person's account (or the community when the grid is unknown),
    # the community for its own accounts.
    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="time_accounts")
    resident = models.ForeignKey(
        "registry.Resident", null=True, blank=True, on_delete=models.PROTECT, related_name="time_accounts"
    )
    household = models.ForeignKey(
        "registry.Household", null=True, blank=True, on_delete=models.PROTECT, related_name="time_accounts"
    )
    volunteer = models.ForeignKey(
        "volunteers.Volunteer",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="time_accounts",
    )
    name = models.CharField(max_length=100)  # the holder's name when opened, for lists and the audit log
    # Kept equal to the sum of the movements by every transfer, under this row's lock.
    balance_minutes = models.IntegerField(default=0)
    # None: the deployment's default (settings.LINLI_TIME_BANK_*_LIMIT_MINUTES).
    debt_limit_minutes = models.PositiveIntegerField(null=True, blank=True)
    credit_limit_minutes = models.PositiveIntegerField(null=True, blank=True)
    opened_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    close_reason = models.CharField(max_length=200, blank=True)

    objects: ClassVar[AccountQuerySet] = AccountQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = "时间银行账户"
        verbose_name_plural = "时间银行账户"
        ordering = ["community__path", "kind", "name", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=AccountKind.values), name="tb_account_kind_valid"),
            models.CheckConstraint(
                condition=(
                    Q(kind="resident", resident__isnull=False, household__isnull=True, volunteer__isnull=True)
                    | Q(
                        kind="household",
                        resident__isnull=True,
                        household__isnull=False,
                        volunteer__isnull=True,
                    )
                    | Q(
                        kind="volunteer",
                        resident__isnull=True,
                        household__isnull=True,
                        volunteer__isnull=False,
                    )
                    | Q(
                        kind__in=["issuing", "pool"],
                        resident__isnull=True,
                        household__isnull=True,
                        volunteer__isnull=True,
                    )
                ),
                name="tb_account_holder_matches_kind",
            ),
            # A community's pool never owes; its issuing account never holds more than it issued.
            models.CheckConstraint(
                condition=~Q(kind="pool") | Q(balance_minutes__gte=0), name="tb_pool_not_negative"
            ),
            models.CheckConstraint(
                condition=~Q(kind="issuing") | Q(balance_minutes__lte=0), name="tb_issuing_not_positive"
            ),
            models.UniqueConstraint(
                fields=["resident"], condition=Q(resident__isnull=False), name="tb_one_account_per_resident"
            ),
            models.UniqueConstraint(
                fields=["household"],
                condition=Q(household__isnull=False),
                name="tb_one_account_per_household",
            ),
            models.UniqueConstraint(
                fields=["volunteer"],
                condition=Q(volunteer__isnull=False),
                name="tb_one_account_per_volunteer",
            ),
            models.UniqueConstraint(
                fields=["community", "kind"],
                condition=Q(kind__in=["issuing", "pool"]),
                name="tb_one_issuing_and_pool_per_community",
            ),
        ]
        indexes = [models.Index(fields=["area", "kind"], name="tb_account_area_kind_idx")]

    def __str__(self) -> str:
        return f"{self.name}（{self.get_kind_display()}）"

    @property
    def audit_area_path(self) -> str:
        return self.area.path

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    @property
    def is_personal(self) -> bool:
        return self.kind in PERSONAL_KINDS

    def debt_limit(self) -> int | None:
        """How far below zero the balance may go; None: no floor (the issuing account)."""
        if self.kind == AccountKind.ISSUING:
            return None
        if self.kind == AccountKind.POOL:
            return 0
        if self.debt_limit_minutes is not None:
            return self.debt_limit_minutes
        return int(settings.LINLI_TIME_BANK_DEBT_LIMIT_MINUTES)

    def credit_limit(self) -> int | None:
        """How far above zero the balance may go; None: no ceiling (the pool)."""
        if self.kind == AccountKind.ISSUING:
            return 0
        if self.kind == AccountKind.POOL:
            return None
        if self.credit_limit_minutes is not None:
            return self.credit_limit_minutes
        return int(settings.LINLI_TIME_BANK_CREDIT_LIMIT_MINUTES)


class Transfer(models.Model):
    """One movement of minutes between two accounts (the business event); its two `Movement`s are the
    double entry. Written once, never changed: `TransferQuerySet` and `save` refuse it."""

    Kind = TransferKind
    ActedBy = ActedBy

    kind = models.CharField(max_length=16, choices=Kind.choices)
    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+")  # the community
    source = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="transfers_out")
    target = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="transfers_in")
    minutes = models.PositiveIntegerField()
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=150)
    # Who asked for it: the holder of the source account, or a proxy acting for them (代办).
    acted_by = models.CharField(max_length=8, choices=ActedBy.choices, default=ActedBy.HOLDER)
    proxy = models.ForeignKey(
        "registry.Resident", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )  # the family member, from the holder's household
    proxy_label = models.CharField(max_length=150, blank=True)
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )
    # What the transfer pays for: the service record a credit comes from (one credit each, ever: the
    # column is unique, so a second confirmation signal cannot credit twice), or the help request paid.
    service_record = models.OneToOneField(
        "volunteers.ServiceRecord",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="time_credit",
    )
    help_request = models.ForeignKey(
        "HelpRequest", null=True, blank=True, on_delete=models.PROTECT, related_name="transfers"
    )

    objects: ClassVar[TransferQuerySet] = TransferQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = "时间银行转账"
        verbose_name_plural = "时间银行转账"
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=TransferKind.values), name="tb_transfer_kind_valid"),
            models.CheckConstraint(
                condition=Q(acted_by__in=ActedBy.values), name="tb_transfer_acted_by_valid"
            ),
            models.CheckConstraint(condition=Q(minutes__gt=0), name="tb_transfer_minutes_positive"),
            models.CheckConstraint(condition=~Q(source=models.F("target")), name="tb_transfer_not_to_itself"),
            models.CheckConstraint(
                condition=Q(kind="reversal", reverses__isnull=False)
                | (~Q(kind="reversal") & Q(reverses__isnull=True)),
                name="tb_transfer_reversal_names_original",
            ),
            models.CheckConstraint(
                condition=Q(service_record__isnull=True) | Q(kind="service_credit"),
                name="tb_transfer_record_only_on_credit",
            ),
        ]
        indexes = [models.Index(fields=["area", "created_at"], name="tb_transfer_area_time_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.minutes} 分钟"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not kwargs.get("force_insert"):
            raise TypeError("Time-bank transfers are never changed; reverse them instead.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("Time-bank transfers are never deleted; reverse them instead.")

    @property
    def audit_area_path(self) -> str:
        return self.area.path


class Movement(models.Model):
    """One side of a transfer on one account: −minutes on the source, +minutes on the target."""

    transfer = models.ForeignKey(Transfer, on_delete=models.PROTECT, related_name="movements")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="movements")
    amount = models.IntegerField()
    balance_after = models.IntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    objects: ClassVar[MovementQuerySet] = MovementQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = "时间银行流水"
        verbose_name_plural = "时间银行流水"
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="tb_movement_not_zero"),
            models.UniqueConstraint(fields=["transfer", "account"], name="tb_movement_one_per_side"),
        ]
        indexes = [models.Index(fields=["account", "created_at"], name="tb_movement_account_time_idx")]

    def __str__(self) -> str:
        return f"{self.amount:+d}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not kwargs.get("force_insert"):
            raise TypeError("Time-bank movements are never changed; reverse the transfer instead.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("Time-bank movements are never deleted; reverse the transfer instead.")


# --- help requests (互助需求) -------------------------------------------------------------------


class NeedKind(models.TextChoices):
    SHOPPING = "shopping", "代购买菜"
    HOSPITAL = "hospital", "陪同就医"
    COMPANY = "company", "陪伴聊天"
    HOUSEWORK = "housework", "家务清洁"
    REPAIR = "repair", "小修小补"
    ERRAND = "errand", "代办跑腿"
    TUTORING = "tutoring", "学业辅导"
    OTHER = "other", "其他"


class HelpStatus(models.TextChoices):
    OPEN = "open", "待匹配"
    MATCHED = "matched", "已匹配"
    SERVED = "served", "已服务"
    PAID = "paid", "已确认支付"
    CANCELLED = "cancelled", "已取消"


class PayFrom(models.TextChoices):
    REQUESTER = "requester", "求助人账户"
    HOUSEHOLD = "household", "家庭户账户"
    POOL = "pool", "社区互助池"


# What may follow what; every other move is refused.
HELP_TRANSITIONS: dict[str, frozenset[str]] = {
    HelpStatus.OPEN: frozenset({HelpStatus.MATCHED, HelpStatus.CANCELLED}),
    HelpStatus.MATCHED: frozenset({HelpStatus.OPEN, HelpStatus.SERVED, HelpStatus.CANCELLED}),
    HelpStatus.SERVED: frozenset({HelpStatus.SERVED, HelpStatus.PAID, HelpStatus.CANCELLED}),
    HelpStatus.PAID: frozenset(),
    HelpStatus.CANCELLED: frozenset(),
}

MAX_HELP_MINUTES = 8 * 60  # one request's service, at most a working day


class HelpRequest(models.Model):
    Status = HelpStatus
    NeedKind = NeedKind
    PayFrom = PayFrom

    community = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+")
    grid = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="help_requests")
    resident = models.ForeignKey("registry.Resident", on_delete=models.PROTECT, related_name="help_requests")
    need = models.CharField(max_length=12, choices=NeedKind.choices)
    # The skill a volunteer should have (suggestions rank by it); optional.
    skill = models.ForeignKey(
        "volunteers.Skill", null=True, blank=True, on_delete=models.PROTECT, related_name="help_requests"
    )
    title = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    place = models.CharField(max_length=200, blank=True)
    wanted_at = models.DateTimeField()
    estimated_minutes = models.PositiveIntegerField()
    pay_from = models.CharField(max_length=10, choices=PayFrom.choices, default=PayFrom.REQUESTER)
    # Where it came from, when it came from a visit or a case.
    visit = models.ForeignKey(
        "visits.Visit", null=True, blank=True, on_delete=models.SET_NULL, related_name="help_requests"
    )
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="help_requests"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    volunteer = models.ForeignKey(
        "volunteers.Volunteer", null=True, blank=True, on_delete=models.PROTECT, related_name="help_requests"
    )
    served_minutes = models.PositiveIntegerField(null=True, blank=True)
    served_on = models.DateField(null=True, blank=True)
    payment = models.OneToOneField(
        Transfer, null=True, blank=True, on_delete=models.PROTECT, related_name="paid_request"
    )
    cancel_reason = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    objects: ClassVar[HelpRequestQuerySet] = HelpRequestQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = "互助需求"
        verbose_name_plural = "互助需求"
        ordering = ["wanted_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=HelpStatus.values), name="tb_help_status_valid"),
            models.CheckConstraint(condition=Q(need__in=NeedKind.values), name="tb_help_need_valid"),
            models.CheckConstraint(condition=Q(pay_from__in=PayFrom.values), name="tb_help_pay_from_valid"),
            models.CheckConstraint(
                condition=Q(estimated_minutes__gt=0, estimated_minutes__lte=MAX_HELP_MINUTES),
                name="tb_help_estimate_range",
            ),
            models.CheckConstraint(
                condition=Q(status="open") | Q(status="cancelled") | Q(volunteer__isnull=False),
                name="tb_help_matched_has_volunteer",
            ),
            models.CheckConstraint(
                condition=~Q(status="paid") | Q(payment__isnull=False), name="tb_help_paid_has_payment"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "grid"], name="tb_help_status_grid_idx"),
            models.Index(fields=["volunteer", "status"], name="tb_help_volunteer_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_need_display()}：{self.title}"

    @property
    def audit_area_path(self) -> str:
        return self.grid.path


class HelpRequestEvent(models.Model):
    """The history of a help request: who moved it from what to what, when, and why."""

    request = models.ForeignKey(HelpRequest, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=150)
    from_status = models.CharField(max_length=10, blank=True)
    to_status = models.CharField(max_length=10)
    note = models.CharField(max_length=300, blank=True)

    objects: ClassVar[HelpRequestChildQuerySet] = HelpRequestChildQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = "互助需求记录"
        verbose_name_plural = "互助需求记录"
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.from_status}→{self.to_status}"

    @property
    def from_label(self) -> str:
        return HelpStatus(self.from_status).label if self.from_status in HelpStatus.values else ""

    @property
    def to_label(self) -> str:
        return HelpStatus(self.to_status).label if self.to_status in HelpStatus.values else self.to_status
