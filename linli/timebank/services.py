"""Every write to the time bank goes through here: accounts, transfers (double entry), reversals, the
credit for confirmed service, and help requests from open to paid.

The ledger's rules, all enforced at write time inside one transaction:
- a transfer moves a positive whole number of minutes between two different open accounts and writes
  two movements, −m on the source and +m on the target, and the two balances — or nothing at all;
- both accounts are locked (SELECT … FOR UPDATE) in ascending id order, whoever asks, so two
  transfers between the same accounts in opposite directions queue instead of deadlocking; the limits
  are checked against the locked balances, so concurrent transfers cannot together overdraw;
- transfers and movements are never changed or deleted: a mistake is reversed by a new transfer;
- the sum over all accounts is zero (`ledger_problems` checks it for `linli check`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from linli.accounts.roles import Capability
from linli.areas.models import Area, AreaKind
from linli.cases.models import Case
from linli.cases.services import person_label
from linli.core import sms
from linli.core.audit import Action, audit_record
from linli.core.context import current_origin
from linli.core.errors import DomainError, Forbidden
from linli.core.permissions import require, require_path_in_scope
from linli.core.validation import clean_text
from linli.registry.models import Household, Resident, ResidentStatus
from linli.timebank.models import (
    HELP_TRANSITIONS,
    MAX_HELP_MINUTES,
    PERSONAL_KINDS,
    Account,
    AccountKind,
    ActedBy,
    HelpRequest,
    HelpRequestEvent,
    HelpStatus,
    Movement,
    NeedKind,
    PayFrom,
    Transfer,
    TransferKind,
)
from linli.visits.models import Visit
from linli.volunteers.models import ServiceRecord, Skill, Volunteer, VolunteerStatus

if TYPE_CHECKING:
    from linli.accounts.models import User

SYSTEM_LABEL = "系统"
MAX_TRANSFER_MINUTES = 100 * 60  # one transfer, at most 100 hours: a typo guard, far above any limit
# Requests a resident may have waiting (open or matched) when they ask themselves: the board is the
# community's, and a flood from one phone would bury the others.
RESIDENT_OPEN_REQUESTS = 5


def _label(actor: User | None) -> str:
    if actor is not None and actor.pk:
        return person_label(actor)
    return current_origin().operator or SYSTEM_LABEL


def hours_label(minutes: int) -> str:
    """ "2 小时 30 分钟", "-45 分钟": how minutes read on pages and in messages."""
    sign = "-" if minutes < 0 else ""
    hours, rest = divmod(abs(minutes), 60)
    if hours and rest:
        return f"{sign}{hours} 小时 {rest} 分钟"
    if hours:
        return f"{sign}{hours} 小时"
    return f"{sign}{rest} 分钟"


def parse_minutes(value: Any, *, field: str = "minutes", label: str = "时长") -> int:
    """A positive whole number of minutes, at most MAX_TRANSFER_MINUTES; refused with a message otherwise."""
    if isinstance(value, bool):
        raise DomainError(f"{label}应为正整数（分钟）。", field=field)
    try:
        minutes = int(str(value).strip())
    except (TypeError, ValueError) as exc:
        raise DomainError(f"{label}应为正整数（分钟）。", field=field) from exc
    if minutes <= 0:
        raise DomainError(f"{label}应大于零。", field=field)
    if minutes > MAX_TRANSFER_MINUTES:
        raise DomainError(f"{label}不能超过 {MAX_TRANSFER_MINUTES // 60} 小时。", field=field)
    return minutes


# --- accounts ---------------------------------------------------------------------------------


def community_of(area: Area) -> Area:
    """The community an area lies in (the area itself when it is one)."""
    if area.kind == AreaKind.COMMUNITY:
        return area
    found = (
        Area.objects.filter(kind=AreaKind.COMMUNITY, path__in=area.ancestor_paths())
        .order_by("-depth")
        .first()
    )
    if found is None:
        raise DomainError(f"{area.name}不属于任何社区，不能开设时间银行账户。")
    return found


def _get_or_open(lookup: dict[str, Any], defaults: dict[str, Any]) -> tuple[Account, bool]:
    """The account matching `lookup`, opened when missing. Two requests opening it at once: one insert
    wins the unique constraint, the other reads the winner's row."""
    found = Account.objects.filter(**lookup).first()
    if found is not None:
        return found, False
    try:
        with transaction.atomic():
            return Account.objects.create(**lookup, **defaults), True
    except IntegrityError:
        return Account.objects.get(**lookup), False


def _opened(actor: User | None, account: Account, created: bool) -> Account:
    if created:
        audit_record(
            actor=actor,
            action=Action.CREATE,
            obj=account,
            changes={"kind": account.kind, "community": account.community.path},
        )
    return account


def community_accounts(community: Area, *, actor: User | None = None) -> tuple[Account, Account]:
    """The community's issuing account and pool, opened on first use."""
    community = community_of(community)
    issuing, made = _get_or_open(
        {"community": community, "kind": AccountKind.ISSUING},
        {"area": community, "name": f"{community.name}发行账户"},
    )
    _opened(actor, issuing, made)
    pool, made = _get_or_open(
        {"community": community, "kind": AccountKind.POOL},
        {"area": community, "name": f"{community.name}互助池"},
    )
    _opened(actor, pool, made)
    return issuing, pool


def account_for_resident(resident: Resident, *, actor: User | None = None) -> Account:
    account, made = _get_or_open(
        {"resident": resident, "kind": AccountKind.RESIDENT},
        {"community": community_of(resident.grid), "area": resident.grid, "name": resident.name},
    )
    return _opened(actor, account, made)


def _household_grid(household: Household) -> Area:
    return household.house.building.grid


def account_for_household(household: Household, *, actor: User | None = None) -> Account:
    grid = _household_grid(household)
    head = household.head.name if household.head_id and household.head else household.number
    account, made = _get_or_open(
        {"household": household, "kind": AccountKind.HOUSEHOLD},
        {"community": community_of(grid), "area": grid, "name": f"{head}户"},
    )
    return _opened(actor, account, made)


def account_for_volunteer(volunteer: Volunteer, *, actor: User | None = None) -> Account:
    account, made = _get_or_open(
        {"volunteer": volunteer, "kind": AccountKind.VOLUNTEER},
        {
            "community": volunteer.community,
            "area": volunteer.grid or volunteer.community,
            "name": volunteer.name,
        },
    )
    return _opened(actor, account, made)


def account_open(
    *,
    actor: User | None,
    resident: Resident | None = None,
    household: Household | None = None,
    volunteer: Volunteer | None = None,
) -> Account:
    """Open (or find) the account of one holder: a resident, a household or a volunteer."""
    require(actor, Capability.WRITE)
    given = [x for x in (resident, household, volunteer) if x is not None]
    if len(given) != 1:
        raise DomainError("请选择一位居民、一户或一名志愿者开户（三选一）。", field="resident")
    with transaction.atomic():
        if resident is not None:
            require_path_in_scope(actor, resident.grid.path)
            if resident.status != ResidentStatus.ACTIVE:
                raise DomainError(
                    f"{resident.name}已{resident.get_status_display()}，不能开户。", field="resident"
                )
            return account_for_resident(resident, actor=actor)
        if household is not None:
            require_path_in_scope(actor, _household_grid(household).path)
            return account_for_household(household, actor=actor)
        if volunteer is None:  # unreachable: exactly one holder was given
            raise DomainError("请选择志愿者。", field="volunteer")
        require_path_in_scope(actor, volunteer.community.path)
        if volunteer.status != VolunteerStatus.ACTIVE:
            raise DomainError(f"志愿者{volunteer.name}不在册，不能开户。", field="volunteer")
        return account_for_volunteer(volunteer, actor=actor)


def _lock_pair(first: Account, second: Account) -> tuple[Account, Account]:
    """Lock two accounts, always in ascending id order (whatever order the caller names them), so that
    transfers A→B and B→A at the same moment wait for each other instead of deadlocking."""
    rows = {
        a.pk: a
        for a in Account.objects.select_for_update(of=("self",))
        .filter(pk__in=[first.pk, second.pk])
        .order_by("pk")
        .select_related("area", "community")
    }
    return rows[first.pk], rows[second.pk]


def _lock_one(account: Account) -> Account:
    return (
        Account.objects.select_for_update(of=("self",)).select_related("area", "community").get(pk=account.pk)
    )


def account_set_limits(
    *, actor: User | None, account: Account, debt_limit: Any = None, credit_limit: Any = None
) -> Account:
    """The community's own limits for one person's account (None or "": back to the default)."""
    require(actor, Capability.SUPERVISE)
    require_path_in_scope(actor, account.area.path)
    if not account.is_personal:
        raise DomainError("社区发行账户和互助池的额度由规则决定，不能单独设置。")

    def parse(value: Any, field: str, label: str) -> int | None:
        if value is None or str(value).strip() == "":
            return None
        try:
            number = int(str(value).strip())
        except ValueError as exc:
            raise DomainError(f"{label}应为分钟数（非负整数）。", field=field) from exc
        if not 0 <= number <= MAX_TRANSFER_MINUTES:
            raise DomainError(f"{label}应在 0 至 {MAX_TRANSFER_MINUTES} 分钟之间。", field=field)
        return number

    debt = parse(debt_limit, "debt_limit", "透支额度")
    credit = parse(credit_limit, "credit_limit", "存储上限")
    with transaction.atomic():
        locked = _lock_one(account)
        before = {"debt_limit": locked.debt_limit_minutes, "credit_limit": locked.credit_limit_minutes}
        locked.debt_limit_minutes, locked.credit_limit_minutes = debt, credit
        if (low := locked.debt_limit()) is not None and locked.balance_minutes < -low:
            raise DomainError(
                f"当前余额 {hours_label(locked.balance_minutes)} 已低于新的透支额度，不能调低。",
                field="debt_limit",
            )
        if (high := locked.credit_limit()) is not None and locked.balance_minutes > high:
            raise DomainError(
                f"当前余额 {hours_label(locked.balance_minutes)} 已超过新的存储上限，不能调低。",
                field="credit_limit",
            )
        locked.save(update_fields=["debt_limit_minutes", "credit_limit_minutes"])
        after = {"debt_limit": debt, "credit_limit": credit}
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            obj=locked,
            changes={k: [before[k], after[k]] for k in after if before[k] != after[k]},
        )
    return locked


def account_close(*, actor: User | None, account: Account, reason: str) -> Account:
    """Close a person's account (moved away, left): only at a zero balance, so no minutes are stranded."""
    require(actor, Capability.SUPERVISE)
    require_path_in_scope(actor, account.area.path)
    reason = clean_text(reason, field="reason", label="销户原因", required=True, limit=200)
    if not account.is_personal:
        raise DomainError("社区发行账户和互助池不能销户。")
    with transaction.atomic():
        locked = _lock_one(account)
        if locked.closed_at is not None:
            raise DomainError("该账户已销户。")
        if locked.balance_minutes != 0:
            raise DomainError(
                f"账户余额为 {hours_label(locked.balance_minutes)}，请先转出或结清后再销户。", field="reason"
            )
        locked.closed_at, locked.close_reason = timezone.now(), reason
        locked.save(update_fields=["closed_at", "close_reason"])
        audit_record(
            actor=actor, action=Action.UPDATE, obj=locked, changes={"closed": True, "reason": reason}
        )
    return locked


def account_reopen(*, actor: User | None, account: Account) -> Account:
    require(actor, Capability.SUPERVISE)
    require_path_in_scope(actor, account.area.path)
    with transaction.atomic():
        locked = _lock_one(account)
        if locked.closed_at is None:
            raise DomainError("该账户未销户。")
        locked.closed_at, locked.close_reason = None, ""
        locked.save(update_fields=["closed_at", "close_reason"])
        audit_record(actor=actor, action=Action.UPDATE, obj=locked, changes={"closed": False})
    return locked


# --- the double entry -------------------------------------------------------------------------


def _holder_household_id(account: Account) -> int | None:
    if account.kind == AccountKind.HOUSEHOLD:
        return account.household_id
    if account.kind == AccountKind.RESIDENT and account.resident is not None:
        return account.resident.household_id
    if account.kind == AccountKind.VOLUNTEER and account.volunteer is not None and account.volunteer.resident:
        return account.volunteer.resident.household_id
    return None


def _proxy(actor: User | None, source: Account, acted_by: str, proxy: Resident | None) -> str:
    """Check who asked for a transfer out of `source`, and say how the ledger names them."""
    if acted_by not in ActedBy.values:
        raise DomainError("请选择由谁办理：本人、家属代办或工作人员代办。", field="acted_by")
    if acted_by == ActedBy.HOLDER:
        if proxy is not None:
            raise DomainError("本人办理时不填代办人。", field="proxy")
        return ""
    if acted_by == ActedBy.WORKER:
        if proxy is not None:
            raise DomainError("工作人员代办时不填家属代办人。", field="proxy")
        if actor is None or not actor.pk:
            raise DomainError("工作人员代办须由工作人员本人登录办理。", field="acted_by")
        return _label(actor)
    # 家属代办: the family member must be in the holder's household in the registry.
    if proxy is None:
        raise DomainError("家属代办须选择代办的家属。", field="proxy")
    if proxy.status != ResidentStatus.ACTIVE:
        raise DomainError(f"{proxy.name}已{proxy.get_status_display()}，不能代办。", field="proxy")
    household = _holder_household_id(source)
    if household is None or proxy.household_id != household or proxy.pk == source.resident_id:
        raise DomainError(f"{proxy.name}不是账户持有人的同户家属，不能代办。", field="proxy")
    return f"{proxy.name}（家属）"


def _post(
    *,
    actor: User | None,
    kind: str,
    source: Account,
    target: Account,
    minutes: int,
    note: str = "",
    acted_by: str = ActedBy.HOLDER,
    proxy: Resident | None = None,
    proxy_label: str = "",
    reverses: Transfer | None = None,
    service_record: ServiceRecord | None = None,
    help_request: HelpRequest | None = None,
) -> Transfer:
    """Write one transfer and its two movements. The caller holds a transaction; this locks both accounts
    in id order, checks status and limits against the locked rows, and refuses with nothing written."""
    if minutes <= 0:
        raise DomainError("时长应大于零。", field="minutes")
    if source.pk == target.pk:
        raise DomainError("不能转给自己（转出和转入是同一个账户）。", field="target")
    src, dst = _lock_pair(source, target)
    if src.closed_at is not None:
        raise DomainError(f"{src.name}的账户已销户，不能转出。", field="source")
    if dst.closed_at is not None:
        raise DomainError(f"{dst.name}的账户已销户，不能转入。", field="target")
    low = src.debt_limit()
    if low is not None and src.balance_minutes - minutes < -low:
        room = src.balance_minutes + low
        raise DomainError(
            f"{src.name}的余额为 {hours_label(src.balance_minutes)}，透支额度 {hours_label(low)}，"
            f"最多还能转出 {hours_label(max(room, 0))}。",
            field="minutes",
            code="limit",
        )
    high = dst.credit_limit()
    if high is not None and dst.balance_minutes + minutes > high:
        room = high - dst.balance_minutes
        raise DomainError(
            f"{dst.name}的余额为 {hours_label(dst.balance_minutes)}，存储上限 {hours_label(high)}，"
            f"最多还能转入 {hours_label(max(room, 0))}。",
            field="minutes",
            code="limit",
        )
    now = timezone.now()
    transfer = Transfer.objects.create(
        kind=kind,
        area=src.community if src.kind != AccountKind.ISSUING else dst.community,
        source=src,
        target=dst,
        minutes=minutes,
        note=note,
        created_at=now,
        actor=actor if actor is not None and actor.pk else None,
        actor_label=_label(actor),
        acted_by=acted_by,
        proxy=proxy,
        proxy_label=proxy_label,
        reverses=reverses,
        service_record=service_record,
        help_request=help_request,
    )
    for account, amount in ((src, -minutes), (dst, minutes)):
        # The row is locked; the conditional update is a second guard that the balance is the one checked.
        updated = Account.objects.filter(pk=account.pk, balance_minutes=account.balance_minutes).update(
            balance_minutes=account.balance_minutes + amount
        )
        if updated != 1:
            raise DomainError("账户余额刚被其他操作更改，请重试。", code="conflict")
        account.balance_minutes += amount
        Movement.objects.create(
            transfer=transfer,
            account=account,
            amount=amount,
            balance_after=account.balance_minutes,
            created_at=now,
        )
    audit_record(
        actor=actor,
        action=Action.CREATE,
        obj=transfer,
        object_repr=f"{transfer.get_kind_display()}：{src.name} → {dst.name} {hours_label(minutes)}",
        changes={
            "kind": kind,
            "source": src.pk,
            "target": dst.pk,
            "minutes": minutes,
            **({"acted_by": acted_by, "proxy": proxy_label} if acted_by != ActedBy.HOLDER else {}),
            **({"reverses": reverses.pk} if reverses else {}),
        },
    )
    return transfer


def transfer_create(
    *,
    actor: User | None,
    source: Account,
    target: Account,
    minutes: Any,
    note: str = "",
    acted_by: str = ActedBy.HOLDER,
    proxy: Resident | None = None,
) -> Transfer:
    """A member gives minutes to another member (转赠) or to a community's pool (捐赠), themselves or
    through a proxy (a family member of their household, or the worker entering it)."""
    require(actor, Capability.WRITE)
    require_path_in_scope(actor, source.area.path)
    require_path_in_scope(actor, target.area.path)
    amount = parse_minutes(minutes)
    if source.pk == target.pk:
        raise DomainError("不能转给自己（转出和转入是同一个账户）。", field="target")
    if source.kind not in PERSONAL_KINDS:
        raise DomainError("只能从志愿者、居民或家庭户的账户转出。", field="source")
    if target.kind == AccountKind.ISSUING:
        raise DomainError("不能转入社区发行账户。", field="target")
    kind = TransferKind.DONATION if target.kind == AccountKind.POOL else TransferKind.TRANSFER
    note = clean_text(note, field="note", label="附言", limit=200)
    label = _proxy(actor, source, acted_by, proxy)
    with transaction.atomic():
        return _post(
            actor=actor,
            kind=kind,
            source=source,
            target=target,
            minutes=amount,
            note=note,
            acted_by=acted_by,
            proxy=proxy,
            proxy_label=label,
        )


def transfer_reverse(*, actor: User | None, transfer: Transfer, reason: str) -> Transfer:
    """Undo a transfer by a new one the other way (冲正). The original stays; it can be reversed once."""
    require(actor, Capability.SUPERVISE)
    require_path_in_scope(actor, transfer.area.path)
    reason = clean_text(reason, field="reason", label="冲正原因", required=True, limit=200)
    if transfer.kind == TransferKind.REVERSAL:
        raise DomainError("冲正记录不能再冲正；如有错误，请另行转账。")
    with transaction.atomic():
        # Lock the original so two reversals of it queue; the unique `reverses` column refuses the second.
        Transfer.objects.select_for_update(of=("self",)).filter(pk=transfer.pk).first()
        if Transfer.objects.filter(reverses=transfer).exists():
            raise DomainError("这笔转账已冲正过。")
        return _post(
            actor=actor,
            kind=TransferKind.REVERSAL,
            source=transfer.target,
            target=transfer.source,
            minutes=transfer.minutes,
            note=reason,
            reverses=transfer,
        )


def service_credit(*, record: ServiceRecord, actor: User | None = None) -> Transfer | None:
    """Credit one confirmed service record to its volunteer from the community's issuing account.

    Idempotent: a record is credited once, ever (the transfer's service_record is unique, and the check
    below runs after the volunteer's account is locked). A volunteer at their credit limit is credited
    up to it; the service record itself keeps every minute — the two ledgers are apart.
    """
    if record.status != "confirmed" or record.minutes <= 0:
        return None
    if Transfer.objects.filter(service_record=record).exists():
        return None
    issuing, _ = community_accounts(record.community, actor=actor)
    account = account_for_volunteer(record.volunteer, actor=actor)
    with transaction.atomic():
        _, locked = _lock_pair(issuing, account)
        if Transfer.objects.filter(service_record=record).exists():
            return None
        if locked.closed_at is not None:
            return None
        high = locked.credit_limit()
        minutes = record.minutes if high is None else min(record.minutes, high - locked.balance_minutes)
        if minutes <= 0:
            return None
        note = f"{record.activity.title}（{record.day:%Y-%m-%d}）"
        if minutes < record.minutes:
            note += f"；已达存储上限，{hours_label(record.minutes - minutes)}未入账"
        return _post(
            actor=actor,
            kind=TransferKind.SERVICE_CREDIT,
            source=issuing,
            target=locked,
            minutes=minutes,
            note=note[:200],
            service_record=record,
        )


# --- the ledger's invariants --------------------------------------------------------------------


def ledger_problems() -> list[str]:
    """What is wrong with the ledger, if anything: the sum over all accounts is not zero, an account's
    balance is not the sum of its movements, a transfer does not have two equal and opposite sides."""
    problems: list[str] = []
    total = Account.objects.aggregate(s=Sum("balance_minutes"))["s"] or 0
    if total != 0:
        problems.append(f"balances sum to {total} minutes, not 0")
    sums = dict(
        Movement.objects.order_by().values("account").annotate(s=Sum("amount")).values_list("account", "s")
    )
    for pk, balance in Account.objects.values_list("pk", "balance_minutes"):
        if sums.get(pk, 0) != balance:
            problems.append(f"account {pk}: balance {balance} but movements sum to {sums.get(pk, 0)}")
    unbalanced = (
        Movement.objects.order_by()
        .values("transfer")
        .annotate(s=Sum("amount"), n=Count("pk"))
        .filter(~Q(s=0) | ~Q(n=2))
        .values_list("transfer", flat=True)
    )
    problems.extend(
        f"transfer {pk}: its movements are not two equal opposite sides" for pk in unbalanced[:20]
    )
    missing = Transfer.objects.filter(movements__isnull=True).values_list("pk", flat=True)
    problems.extend(f"transfer {pk}: no movements" for pk in missing[:20])
    return problems


# --- help requests --------------------------------------------------------------------------------


def _event(
    request: HelpRequest, actor: User | None, before: str, after: str, note: str = "", *, label: str = ""
) -> None:
    HelpRequestEvent.objects.create(
        request=request,
        actor=actor if actor is not None and actor.pk else None,
        actor_label=label or _label(actor),
        from_status=before,
        to_status=after,
        note=note[:300],
    )


def _lock_request(request: HelpRequest) -> HelpRequest:
    return (
        HelpRequest.objects.select_for_update(of=("self",))
        .select_related("grid", "community", "resident", "volunteer")
        .get(pk=request.pk)
    )


def _move(actor: User | None, request: HelpRequest, to: str, note: str = "", *, label: str = "") -> str:
    before = request.status
    if to not in HELP_TRANSITIONS[before]:
        raise DomainError(
            f"该需求{request.get_status_display()}，不能改为“{HelpStatus(to).label}”。",
            code="invalid_transition",
        )
    request.status = to
    request.updated_at = timezone.now()
    _event(request, actor, before, to, note, label=label)
    return before


def _wanted_at(value: Any) -> datetime:
    if not isinstance(value, datetime):
        raise DomainError("请填写需要服务的时间。", field="wanted_at")
    now = timezone.now()
    try:
        if timezone.is_naive(value):
            value = timezone.make_aware(value)
        too_early, too_late = value < now - timedelta(days=30), value > now + timedelta(days=180)
    except (OverflowError, ValueError) as exc:  # year 1 or 9999 in some time zone
        raise DomainError("服务时间无效。", field="wanted_at") from exc
    if too_early:
        raise DomainError("服务时间不能早于 30 天前。", field="wanted_at")
    if too_late:
        raise DomainError("服务时间不能晚于半年后。", field="wanted_at")
    return value


def _estimate(value: Any) -> int:
    minutes = parse_minutes(value, field="estimated_minutes", label="预计时长")
    if minutes > MAX_HELP_MINUTES:
        raise DomainError(f"预计时长不能超过 {MAX_HELP_MINUTES // 60} 小时。", field="estimated_minutes")
    return minutes


def help_request_create(
    *,
    actor: User | None,
    resident: Resident,
    need: str,
    title: str,
    wanted_at: Any,
    estimated_minutes: Any,
    description: str = "",
    place: str = "",
    skill: Skill | None = None,
    pay_from: str = PayFrom.REQUESTER,
    visit: Visit | None = None,
    case: Case | None = None,
) -> HelpRequest:
    """Record a need of a resident as a help request (互助需求), linked to the visit or case it came from."""
    require(actor, Capability.WRITE)
    require_path_in_scope(actor, resident.grid.path)
    if visit is not None:
        require_path_in_scope(actor, visit.grid.path)
        household_ok = visit.household_id is not None and visit.household_id == resident.household_id
        if visit.resident_id != resident.pk and not household_ok:
            raise DomainError("所选走访记录不是这位居民的。", field="visit")
    if case is not None:
        require_path_in_scope(actor, case.area.path)
        if case.resident_id not in (None, resident.pk):
            raise DomainError("所选诉求不是这位居民的。", field="case")
    return _help_request_write(
        actor=actor,
        label=_label(actor),
        resident=resident,
        need=need,
        title=title,
        wanted_at=wanted_at,
        estimated_minutes=estimated_minutes,
        description=description,
        place=place,
        skill=skill,
        pay_from=pay_from,
        visit=visit,
        case=case,
    )


def help_request_ask(
    *,
    resident: Resident,
    label: str,
    need: str,
    title: str,
    wanted_at: Any,
    estimated_minutes: Any,
    description: str = "",
    place: str = "",
    pay_from: str = PayFrom.REQUESTER,
    audit_changes: dict[str, Any] | None = None,
) -> HelpRequest:
    """A resident asks for help themselves (or a relative asks for them) — no account: the caller has
    proved who they are (the residents' portal) and names them in `label` ("居民 王芳（代 李秀英）"), which
    the request's history and the audit entry carry, with `audit_changes` (who acted for whom). The request
    then waits on the community's board like one recorded by staff. A resident pays from their own or
    their household's account; the pool is the community leader's to choose."""
    label = clean_text(label, field="label", label="提交人", required=True, limit=100)
    if pay_from not in (PayFrom.REQUESTER, PayFrom.HOUSEHOLD):
        raise DomainError("请选择由本人账户或家庭户账户支付。", field="pay_from")
    with transaction.atomic():
        # The resident's row is locked while the open requests are counted, so two requests sent at the
        # same moment cannot both pass the limit (PostgreSQL; SQLite serialises writers anyway).
        list(Resident.objects.select_for_update().filter(pk=resident.pk).values_list("pk"))
        open_now = HelpRequest.objects.filter(
            resident=resident, status__in=(HelpStatus.OPEN, HelpStatus.MATCHED)
        ).count()
        if open_now >= RESIDENT_OPEN_REQUESTS:
            raise DomainError(
                f"您已有 {open_now} 项互助需求在办理，请等社区安排后再提交。", code="throttled", field="title"
            )
        return _help_request_write(
            actor=None,
            label=label,
            resident=resident,
            need=need,
            title=title,
            wanted_at=wanted_at,
            estimated_minutes=estimated_minutes,
            description=description,
            place=place,
            pay_from=pay_from,
            audit_changes=audit_changes,
            audit_label=label,
        )


def _help_request_write(
    *,
    actor: User | None,
    label: str,
    resident: Resident,
    need: str,
    title: str,
    wanted_at: Any,
    estimated_minutes: Any,
    description: str = "",
    place: str = "",
    skill: Skill | None = None,
    pay_from: str = PayFrom.REQUESTER,
    visit: Visit | None = None,
    case: Case | None = None,
    audit_changes: dict[str, Any] | None = None,
    audit_label: str | None = None,
) -> HelpRequest:
    if resident.status != ResidentStatus.ACTIVE:
        raise DomainError(f"{resident.name}已{resident.get_status_display()}。", field="resident")
    if need not in NeedKind.values:
        raise DomainError("请选择需求类别。", field="need")
    if pay_from not in (PayFrom.REQUESTER, PayFrom.HOUSEHOLD, PayFrom.POOL):
        raise DomainError("请选择支付方式。", field="pay_from")
    if pay_from == PayFrom.HOUSEHOLD and not resident.household_id:
        raise DomainError(f"{resident.name}没有登记家庭户，不能由家庭户账户支付。", field="pay_from")
    when = _wanted_at(wanted_at)
    estimate = _estimate(estimated_minutes)
    title = clean_text(title, field="title", label="需求标题", required=True, limit=100)
    description = clean_text(description, field="description", label="需求说明", limit=2000)
    place = clean_text(place, field="place", label="服务地点", limit=200)
    with transaction.atomic():
        request = HelpRequest.objects.create(
            community=community_of(resident.grid),
            grid=resident.grid,
            resident=resident,
            need=need,
            skill=skill,
            title=title,
            description=description,
            place=place,
            wanted_at=when,
            estimated_minutes=estimate,
            pay_from=pay_from,
            visit=visit,
            case=case,
            created_by=actor if actor is not None and actor.pk else None,
        )
        origin = "走访" if visit else "诉求" if case else ""
        _event(request, actor, "", HelpStatus.OPEN, f"由{origin}转来" if origin else "", label=label)
        audit_record(
            actor=actor,
            action=Action.CREATE,
            obj=request,
            object_repr=f"互助需求：{resident.name}（{request.get_need_display()}）",
            changes={
                "need": need,
                "wanted_at": when.isoformat(),
                "estimated_minutes": estimate,
                **({"visit": visit.pk} if visit else {}),
                **({"case": case.number} if case else {}),
                **(audit_changes or {}),
            },
            actor_label=audit_label,
        )
    return request


def help_request_update(
    *,
    actor: User | None,
    request: HelpRequest,
    title: str | None = None,
    description: str | None = None,
    place: str | None = None,
    wanted_at: Any = None,
    estimated_minutes: Any = None,
    pay_from: str | None = None,
    skill: Skill | None | bool = False,
) -> HelpRequest:
    """Correct an open or matched request (what, when, where, how it is paid)."""
    require(actor, Capability.WRITE)
    require_path_in_scope(actor, request.grid.path)
    with transaction.atomic():
        locked = _lock_request(request)
        if locked.status not in (HelpStatus.OPEN, HelpStatus.MATCHED):
            raise DomainError(f"该需求{locked.get_status_display()}，不能再修改。")
        fields = ["title", "description", "place", "wanted_at", "estimated_minutes", "pay_from", "skill_id"]
        before = {f: getattr(locked, f) for f in fields}
        if title is not None:
            locked.title = clean_text(title, field="title", label="需求标题", required=True, limit=100)
        if description is not None:
            locked.description = clean_text(description, field="description", label="需求说明", limit=2000)
        if place is not None:
            locked.place = clean_text(place, field="place", label="服务地点", limit=200)
        if wanted_at is not None:
            locked.wanted_at = _wanted_at(wanted_at)
        if estimated_minutes is not None:
            locked.estimated_minutes = _estimate(estimated_minutes)
        if pay_from is not None:
            if pay_from not in PayFrom.values:
                raise DomainError("请选择支付方式。", field="pay_from")
            if pay_from == PayFrom.HOUSEHOLD and not locked.resident.household_id:
                raise DomainError(f"{locked.resident.name}没有登记家庭户。", field="pay_from")
            locked.pay_from = pay_from
        if skill is not False:
            locked.skill = skill if isinstance(skill, Skill) else None
        if locked.status == HelpStatus.MATCHED and locked.volunteer is not None:
            _check_free(locked, locked.volunteer)
        after = {f: getattr(locked, f) for f in fields}
        changes = {k: [str(before[k]), str(after[k])] for k in fields if before[k] != after[k]}
        if changes:
            locked.updated_at = timezone.now()
            locked.save()
            audit_record(actor=actor, action=Action.UPDATE, obj=locked, changes=changes)
    return locked


def _span(request: HelpRequest) -> tuple[datetime, datetime]:
    return request.wanted_at, request.wanted_at + timedelta(minutes=request.estimated_minutes)


def _check_free(request: HelpRequest, volunteer: Volunteer) -> None:
    start, end = _span(request)
    for other in HelpRequest.objects.filter(volunteer=volunteer, status=HelpStatus.MATCHED).exclude(
        pk=request.pk
    ):
        o_start, o_end = _span(other)
        if o_start < end and start < o_end:
            local = timezone.localtime(o_start)
            raise DomainError(
                f"志愿者{volunteer.name}在 {local:%m-%d %H:%M} 已匹配另一项需求，时间冲突。",
                field="volunteer",
            )


def help_request_match(
    *, actor: User | None, request: HelpRequest, volunteer: Volunteer, note: str = ""
) -> HelpRequest:
    """Match an open request with an active volunteer who is free at that time."""
    require(actor, Capability.WRITE)
    require_path_in_scope(actor, request.grid.path)
    note = clean_text(note, field="note", label="备注", limit=200)
    with transaction.atomic():
        locked = _lock_request(request)
        if volunteer.status != VolunteerStatus.ACTIVE:
            raise DomainError(
                f"志愿者{volunteer.name}{volunteer.get_status_display()}，不能匹配。", field="volunteer"
            )
        if volunteer.resident_id is not None and volunteer.resident_id == locked.resident_id:
            raise DomainError("志愿者不能为自己的需求服务。", field="volunteer")
        # Lock the volunteer so two matches of the same person at the same time queue and the second sees the first.
        Volunteer.objects.select_for_update(of=("self",)).filter(pk=volunteer.pk).first()
        _check_free(locked, volunteer)
        _move(actor, locked, HelpStatus.MATCHED, note or f"匹配志愿者：{volunteer.name}")
        locked.volunteer = volunteer
        locked.save()
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            obj=locked,
            changes={"status": "matched", "volunteer": volunteer.pk},
        )
    return locked


def help_request_unmatch(*, actor: User | None, request: HelpRequest, reason: str) -> HelpRequest:
    """The volunteer cannot come after all: the request is open again."""
    require(actor, Capability.WRITE)
    require_path_in_scope(actor, request.grid.path)
    reason = clean_text(reason, field="reason", label="原因", required=True, limit=200)
    with transaction.atomic():
        locked = _lock_request(request)
        previous = locked.volunteer
        _move(actor, locked, HelpStatus.OPEN, f"取消匹配（{previous.name if previous else ''}）：{reason}")
        locked.volunteer = None
        locked.save()
        audit_record(
            actor=actor, action=Action.UPDATE, obj=locked, changes={"status": "open", "reason": reason}
        )
    return locked


def help_request_serve(
    *, actor: User | None, request: HelpRequest, minutes: Any, served_on: date | None = None, note: str = ""
) -> HelpRequest:
    """The volunteer served: record how long (correctable until it is confirmed and paid)."""
    require(actor, Capability.WRITE)
    require_path_in_scope(actor, request.grid.path)
    amount = parse_minutes(minutes, label="服务时长")
    if amount > MAX_HELP_MINUTES:
        raise DomainError(f"服务时长不能超过 {MAX_HELP_MINUTES // 60} 小时。", field="minutes")
    day = served_on or timezone.localdate()
    if day > timezone.localdate():
        raise DomainError("服务日期不能晚于今天。", field="served_on")
    if day < timezone.localdate() - timedelta(days=60):
        raise DomainError("只能补登 60 天以内的服务。", field="served_on")
    note = clean_text(note, field="note", label="备注", limit=200)
    with transaction.atomic():
        locked = _lock_request(request)
        before = locked.served_minutes
        text = (
            f"服务 {hours_label(amount)}"
            if before is None
            else f"更正服务时长：{hours_label(before)} → {hours_label(amount)}"
        )
        _move(actor, locked, HelpStatus.SERVED, f"{text}{'；' + note if note else ''}")
        locked.served_minutes, locked.served_on = amount, day
        locked.save()
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            obj=locked,
            changes={"status": "served", "served_minutes": [before, amount]},
        )
    return locked


def _payer(actor: User | None, request: HelpRequest, pay_from: str) -> Account:
    if pay_from == PayFrom.POOL:
        # Paying from the pool is the community's decision, not one worker's.
        if actor is not None and not actor.can(Capability.SUPERVISE):
            raise Forbidden("由社区互助池支付须由社区负责人确认。")
        return community_accounts(request.community, actor=actor)[1]
    if pay_from == PayFrom.HOUSEHOLD:
        if request.resident.household is None:
            raise DomainError(f"{request.resident.name}没有登记家庭户。", field="pay_from")
        return account_for_household(request.resident.household, actor=actor)
    return account_for_resident(request.resident, actor=actor)


def help_request_confirm(
    *,
    actor: User | None,
    request: HelpRequest,
    pay_from: str | None = None,
    acted_by: str = ActedBy.WORKER,
    proxy: Resident | None = None,
) -> HelpRequest:
    """Confirm the service and pay it: the served minutes move from the requester's (or household's, or
    the pool's) account to the volunteer's, in the same transaction as the status change."""
    require(actor, Capability.WRITE)
    require_path_in_scope(actor, request.grid.path)
    with transaction.atomic():
        locked = _lock_request(request)
        if locked.status != HelpStatus.SERVED or locked.served_minutes is None or locked.volunteer is None:
            raise DomainError(f"该需求{locked.get_status_display()}，须先登记服务时长才能确认支付。")
        choice = pay_from or locked.pay_from
        if choice not in PayFrom.values:
            raise DomainError("请选择支付方式。", field="pay_from")
        payer = _payer(actor, locked, choice)
        label = _proxy(actor, payer, acted_by, proxy) if payer.is_personal else ""
        payee = account_for_volunteer(locked.volunteer, actor=actor)
        transfer = _post(
            actor=actor,
            kind=TransferKind.HELP_PAYMENT,
            source=payer,
            target=payee,
            minutes=locked.served_minutes,
            note=f"{locked.get_need_display()}：{locked.title}"[:200],
            acted_by=acted_by if payer.is_personal else ActedBy.HOLDER,
            proxy=proxy if payer.is_personal else None,
            proxy_label=label,
            help_request=locked,
        )
        _move(
            actor, locked, HelpStatus.PAID, f"确认并支付 {hours_label(locked.served_minutes)}（{payer.name}）"
        )
        locked.payment, locked.pay_from = transfer, choice
        locked.save()
        audit_record(
            actor=actor, action=Action.UPDATE, obj=locked, changes={"status": "paid", "transfer": transfer.pk}
        )
    return locked


def help_request_cancel(*, actor: User | None, request: HelpRequest, reason: str) -> HelpRequest:
    require(actor, Capability.WRITE)
    require_path_in_scope(actor, request.grid.path)
    reason = clean_text(reason, field="reason", label="取消原因", required=True, limit=200)
    with transaction.atomic():
        locked = _lock_request(request)
        _move(actor, locked, HelpStatus.CANCELLED, reason)
        locked.cancel_reason = reason
        locked.save()
        audit_record(
            actor=actor, action=Action.UPDATE, obj=locked, changes={"status": "cancelled", "reason": reason}
        )
    return locked


def help_request_withdraw(
    *, request: HelpRequest, label: str, reason: str = "", audit_changes: dict[str, Any] | None = None
) -> HelpRequest:
    """The resident who asked (or the relative acting for them, named in `label` as for
    `help_request_ask`) withdraws their own request while it is still waiting or matched — once a volunteer
    has served it, only the community can settle or cancel it. A matched volunteer is told."""
    label = clean_text(label, field="label", label="提交人", required=True, limit=100)
    reason = clean_text(reason, field="reason", label="撤回原因", limit=200) or "不再需要"
    with transaction.atomic():
        locked = _lock_request(request)
        if locked.status not in (HelpStatus.OPEN, HelpStatus.MATCHED):
            raise DomainError(
                f"该需求{locked.get_status_display()}，不能撤回；如有疑问请联系社区。",
                code="invalid_transition",
            )
        volunteer = locked.volunteer
        locked.cancel_reason = f"居民撤回：{reason}"
        _move(None, locked, HelpStatus.CANCELLED, locked.cancel_reason, label=label)
        locked.save()
        audit_record(
            actor=None,
            action=Action.UPDATE,
            obj=locked,
            changes={"status": "cancelled", "reason": locked.cancel_reason, **(audit_changes or {})},
            actor_label=label,
        )
        if volunteer is not None and volunteer.phone:
            phone = volunteer.phone
            when = timezone.localtime(locked.wanted_at)
            text = f"【邻里】{when:%m月%d日 %H:%M} 的互助服务“{locked.title}”已由居民撤回，无需前往。"
            transaction.on_commit(lambda: sms.send(phone, text, purpose="help_withdrawn"))
    return locked


# --- suggestions ------------------------------------------------------------------------------------


@dataclass
class Suggestion:
    volunteer: Volunteer
    score: int
    reasons: list[str]
    busy: bool


def suggest_volunteers(request: HelpRequest, *, limit: int = 10) -> list[Suggestion]:
    """Active volunteers of the request's community, best first: the wanted skill, the same grid (then the
    same community), said they are available at that time, and not already matched at that time."""
    start, end = _span(request)
    volunteers = list(
        Volunteer.objects.filter(community=request.community, status=VolunteerStatus.ACTIVE)
        .exclude(resident_id=request.resident_id)
        .prefetch_related("skills")
        .order_by("pk")
    )
    busy_ids = set()
    for other in HelpRequest.objects.filter(
        status=HelpStatus.MATCHED, volunteer_id__in=[v.pk for v in volunteers], wanted_at__lt=end
    ).exclude(pk=request.pk):
        if _span(other)[1] > start:
            busy_ids.add(other.volunteer_id)
    served = dict(
        HelpRequest.objects.filter(status=HelpStatus.PAID, resident_id=request.resident_id)
        .values("volunteer")
        .annotate(n=Count("pk"))
        .values_list("volunteer", "n")
    )
    out: list[Suggestion] = []
    for v in volunteers:
        score, reasons = 0, []
        skill_ids = {s.pk for s in v.skills.all()}
        if request.skill_id and request.skill_id in skill_ids:
            score += 4
            reasons.append(f"擅长{request.skill.name if request.skill else ''}")
        if v.grid_id == request.grid_id:
            score += 3
            reasons.append("同网格")
        else:
            reasons.append("同社区")
        if v.availability and v.available_at(request.wanted_at):
            score += 2
            reasons.append("该时段有空")
        elif v.availability:
            score -= 2
            reasons.append("该时段未登记可服务")
        if served.get(v.pk):
            score += 1
            reasons.append(f"曾服务过 {served[v.pk]} 次")
        busy = v.pk in busy_ids
        if busy:
            score -= 10
            reasons.append("该时段已有匹配")
        out.append(Suggestion(v, score, reasons, busy))
    out.sort(key=lambda s: (-s.score, s.volunteer.name, s.volunteer.pk))
    return out[:limit]
