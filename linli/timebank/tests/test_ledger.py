"""The time bank's ledger: double entry, limits at write time, reversals, proxies, zero sum."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from linli.core.errors import DomainError, Forbidden, NotFound
from linli.core.models import AuditEntry
from linli.timebank import services
from linli.timebank.models import Account, AccountKind, Movement, Transfer, TransferKind
from linli.timebank.tests.conftest import balance, credit


def test_confirmed_service_credits_the_volunteer_from_the_community_issuing_account(bw):
    record = credit(bw.near, 90)
    account = Account.objects.get(volunteer=bw.near)
    issuing = Account.objects.get(community=bw.w.c01, kind=AccountKind.ISSUING)
    assert (account.balance_minutes, issuing.balance_minutes) == (90, -90)
    transfer = Transfer.objects.get(service_record=record)
    assert transfer.kind == TransferKind.SERVICE_CREDIT
    assert sorted(transfer.movements.values_list("amount", "balance_after")) == [(-90, -90), (90, 90)]
    assert services.ledger_problems() == []


def test_the_same_record_confirmed_twice_is_credited_once(bw):
    from linli.volunteers.models import ServiceRecord
    from linli.volunteers.signals import service_confirmed

    record = credit(bw.near, 60)
    service_confirmed.send(sender=ServiceRecord, records=[record, record], actor=None)
    assert balance(Account.objects.get(volunteer=bw.near)) == 60
    assert Transfer.objects.filter(service_record=record).count() == 1


def test_records_not_confirmed_or_without_minutes_credit_nothing(bw):

    record = credit(bw.near, 0)
    assert not Transfer.objects.exists()
    record.status, record.minutes = "signed_out", 60
    assert services.service_credit(record=record) is None
    assert not Transfer.objects.exists()


def test_a_credit_stops_at_the_volunteers_credit_limit_and_says_so(bw, settings):
    settings.LINLI_TIME_BANK_CREDIT_LIMIT_MINUTES = 100
    credit(bw.near, 80)
    second = credit(bw.near, 60)
    transfer = Transfer.objects.get(service_record=second)
    assert transfer.minutes == 20
    assert "40 分钟未入账" in transfer.note
    assert credit(bw.near, 30)
    assert balance(Account.objects.get(volunteer=bw.near)) == 100
    assert services.ledger_problems() == []


def test_a_transfer_between_members_is_two_movements_and_two_balances(bw):
    credit(bw.near, 120)
    source = Account.objects.get(volunteer=bw.near)
    target = services.account_open(actor=bw.w.grid_worker_c01_g01, resident=bw.elder)
    transfer = services.transfer_create(
        actor=bw.w.grid_worker_c01_g01, source=source, target=target, minutes="45", note="送给孙阿姨"
    )
    assert transfer.kind == TransferKind.TRANSFER
    assert (balance(source), balance(target)) == (75, 45)
    assert sorted(Movement.objects.filter(transfer=transfer).values_list("amount", flat=True)) == [-45, 45]
    entry = AuditEntry.objects.get(object_type="timebank.transfer", object_id=str(transfer.pk))
    assert entry.changes["minutes"] == 45


def test_a_donation_goes_to_the_community_pool(bw):
    credit(bw.near, 60)
    source = Account.objects.get(volunteer=bw.near)
    _, pool = services.community_accounts(bw.w.c01)
    transfer = services.transfer_create(actor=bw.w.c01_worker, source=source, target=pool, minutes=30)
    assert transfer.kind == TransferKind.DONATION
    assert balance(pool) == 30


@pytest.mark.parametrize(
    ("minutes", "message"),
    [
        (0, "应大于零"),
        (-5, "应大于零"),
        ("abc", "正整数"),
        ("1.5", "正整数"),
        (True, "正整数"),
        (10**7, "不能超过"),
    ],
)
def test_bad_amounts_are_refused_and_nothing_is_written(bw, minutes, message):
    credit(bw.near, 60)
    source = Account.objects.get(volunteer=bw.near)
    target = services.account_open(actor=None, resident=bw.elder)
    before = Transfer.objects.count(), AuditEntry.objects.count()
    with pytest.raises(DomainError, match=message):
        services.transfer_create(actor=bw.w.c01_worker, source=source, target=target, minutes=minutes)
    assert (Transfer.objects.count(), AuditEntry.objects.count()) == before
    assert balance(source) == 60


def test_a_transfer_to_oneself_is_refused(bw):
    account = services.account_open(actor=None, resident=bw.elder)
    with pytest.raises(DomainError, match="不能转给自己"):
        services.transfer_create(actor=bw.w.c01_worker, source=account, target=account, minutes=10)
    assert not Transfer.objects.exists()


def test_a_transfer_beyond_the_debt_limit_is_refused_with_the_room_left(bw, settings):
    settings.LINLI_TIME_BANK_DEBT_LIMIT_MINUTES = 60
    elder = services.account_open(actor=None, resident=bw.elder)
    neighbour = services.account_open(actor=None, resident=bw.neighbour)
    services.transfer_create(actor=bw.w.c01_worker, source=elder, target=neighbour, minutes=40)
    with pytest.raises(DomainError, match="最多还能转出 20 分钟") as refused:
        services.transfer_create(actor=bw.w.c01_worker, source=elder, target=neighbour, minutes=21)
    assert refused.value.code == "limit"
    assert (balance(elder), balance(neighbour)) == (-40, 40)
    services.transfer_create(actor=bw.w.c01_worker, source=elder, target=neighbour, minutes=20)
    assert balance(elder) == -60


def test_a_transfer_beyond_the_credit_limit_is_refused(bw):
    elder = services.account_open(actor=None, resident=bw.elder)
    neighbour = services.account_open(actor=None, resident=bw.neighbour)
    services.account_set_limits(actor=bw.w.c01_leader, account=neighbour, credit_limit=30)
    with pytest.raises(DomainError, match="存储上限"):
        services.transfer_create(actor=bw.w.c01_worker, source=elder, target=neighbour, minutes=31)
    assert not Transfer.objects.exists()


def test_the_pool_never_goes_below_zero(bw):
    _, pool = services.community_accounts(bw.w.c01)
    elder = services.account_open(actor=None, resident=bw.elder)
    with pytest.raises(DomainError, match="只能从志愿者、居民或家庭户的账户转出"):
        services.transfer_create(actor=bw.w.c01_leader, source=pool, target=elder, minutes=10)


def test_a_transfer_to_a_closed_account_is_refused(bw):
    credit(bw.near, 60)
    source = Account.objects.get(volunteer=bw.near)
    neighbour = services.account_open(actor=None, resident=bw.neighbour)
    services.account_close(actor=bw.w.c01_leader, account=neighbour, reason="迁出")
    with pytest.raises(DomainError, match="已销户，不能转入"):
        services.transfer_create(actor=bw.w.c01_worker, source=source, target=neighbour, minutes=10)
    services.account_reopen(actor=bw.w.c01_leader, account=neighbour)
    services.transfer_create(actor=bw.w.c01_worker, source=source, target=neighbour, minutes=10)


def test_an_account_closes_only_at_zero(bw):
    credit(bw.near, 60)
    account = Account.objects.get(volunteer=bw.near)
    with pytest.raises(DomainError, match="请先转出或结清"):
        services.account_close(actor=bw.w.c01_leader, account=account, reason="退出")
    with pytest.raises(Forbidden):
        services.account_close(actor=bw.w.c01_worker, account=account, reason="退出")


def test_a_reversal_is_a_new_transfer_the_other_way_and_happens_once(bw):
    credit(bw.near, 60)
    source = Account.objects.get(volunteer=bw.near)
    target = services.account_open(actor=None, resident=bw.elder)
    original = services.transfer_create(actor=bw.w.c01_worker, source=source, target=target, minutes=25)
    with pytest.raises(Forbidden):
        services.transfer_reverse(actor=bw.w.c01_worker, transfer=original, reason="录错")
    reversal = services.transfer_reverse(actor=bw.w.c01_leader, transfer=original, reason="录错")
    assert (reversal.source_id, reversal.target_id, reversal.reverses_id) == (
        target.pk,
        source.pk,
        original.pk,
    )
    assert (balance(source), balance(target)) == (60, 0)
    with pytest.raises(DomainError, match="已冲正过"):
        services.transfer_reverse(actor=bw.w.c01_leader, transfer=original, reason="再来")
    with pytest.raises(DomainError, match="不能再冲正"):
        services.transfer_reverse(actor=bw.w.c01_leader, transfer=reversal, reason="撤销冲正")
    assert Transfer.objects.count() == 3  # the credit, the transfer and its reversal: nothing deleted


def test_a_reversal_that_would_overdraw_is_refused(bw, settings):
    settings.LINLI_TIME_BANK_DEBT_LIMIT_MINUTES = 0
    credit(bw.near, 60)
    volunteer = Account.objects.get(volunteer=bw.near)
    neighbour = services.account_open(actor=None, resident=bw.neighbour)
    original = services.transfer_create(actor=bw.w.c01_worker, source=volunteer, target=neighbour, minutes=60)
    other = services.account_open(actor=None, resident=bw.elder)
    services.transfer_create(actor=bw.w.c01_worker, source=neighbour, target=other, minutes=60)
    with pytest.raises(DomainError, match="最多还能转出 0 分钟"):
        services.transfer_reverse(actor=bw.w.c01_leader, transfer=original, reason="录错")


def test_transfers_and_movements_are_never_changed_or_deleted(bw):
    credit(bw.near, 60)
    transfer = Transfer.objects.get()
    with pytest.raises(TypeError):
        transfer.save()
    with pytest.raises(TypeError):
        transfer.delete()
    with pytest.raises(TypeError):
        Transfer.objects.update(minutes=1)
    with pytest.raises(TypeError):
        Movement.objects.all().delete()
    with pytest.raises(TypeError):
        Movement.objects.first().save()


def test_the_database_refuses_a_transfer_to_itself_and_zero_minutes(bw):
    account = services.account_open(actor=None, resident=bw.elder)
    with pytest.raises(IntegrityError), transaction.atomic():
        Transfer.objects.create(kind="transfer", area=bw.w.c01, source=account, target=account, minutes=5)
    other = services.account_open(actor=None, resident=bw.neighbour)
    with pytest.raises(IntegrityError), transaction.atomic():
        Transfer.objects.create(kind="transfer", area=bw.w.c01, source=account, target=other, minutes=0)


def test_a_family_member_of_the_household_may_act_for_the_holder(bw):
    elder = services.account_open(actor=None, resident=bw.elder)
    neighbour = services.account_open(actor=None, resident=bw.neighbour)
    transfer = services.transfer_create(
        actor=bw.w.grid_worker_c01_g01,
        source=elder,
        target=neighbour,
        minutes=15,
        acted_by="family",
        proxy=bw.son,
    )
    assert (transfer.acted_by, transfer.proxy_id, transfer.proxy_label) == (
        "family",
        bw.son.pk,
        "孙建军（家属）",
    )
    with pytest.raises(DomainError, match="不是账户持有人的同户家属"):
        services.transfer_create(
            actor=bw.w.grid_worker_c01_g01,
            source=elder,
            target=neighbour,
            minutes=15,
            acted_by="family",
            proxy=bw.neighbour,
        )
    worker = services.transfer_create(
        actor=bw.w.grid_worker_c01_g01, source=elder, target=neighbour, minutes=5, acted_by="worker"
    )
    assert worker.proxy_label.startswith("陈静")  # the grid worker's name, not a login


def test_accounts_out_of_scope_are_not_found(bw):
    mine = services.account_open(actor=None, resident=bw.elder)
    theirs = services.account_open(actor=None, resident=bw.c02_resident)
    with pytest.raises(NotFound):
        services.transfer_create(actor=bw.w.grid_worker_c01_g01, source=mine, target=theirs, minutes=5)
    assert Account.objects.visible_to(bw.w.grid_worker_c01_g01).filter(pk=theirs.pk).count() == 0
    assert Account.objects.visible_to(bw.w.street_admin).filter(pk=theirs.pk).count() == 1


def test_the_sum_over_all_accounts_is_zero_after_every_kind_of_movement(bw):
    credit(bw.near, 120)
    credit(bw.other, 30)
    volunteer = Account.objects.get(volunteer=bw.near)
    elder = services.account_open(actor=None, resident=bw.elder)
    household = services.account_open(actor=None, household=bw.household)
    _, pool = services.community_accounts(bw.w.c01)
    services.transfer_create(actor=None, source=volunteer, target=elder, minutes=30)
    services.transfer_create(actor=None, source=elder, target=household, minutes=10)
    donation = services.transfer_create(actor=None, source=volunteer, target=pool, minutes=20)
    services.transfer_reverse(actor=None, transfer=donation, reason="捐错")
    assert sum(Account.objects.values_list("balance_minutes", flat=True)) == 0
    assert services.ledger_problems() == []


def test_linli_check_reports_a_ledger_that_does_not_balance(bw):
    from django.apps import apps

    from linli.timebank.apps import TimeBankConfig

    credit(bw.near, 60)
    config = apps.get_app_config("timebank")
    assert isinstance(config, TimeBankConfig)
    assert all(ok for ok, _ in config.operator_checks())
    Account.objects.filter(volunteer=bw.near).update(balance_minutes=61)  # a hand edit in the database
    lines = list(config.operator_checks())
    assert not lines[0][0]
    assert "sum to 1" in lines[0][1]


def test_the_volunteers_bulk_confirmation_credits_each_record_once(bw, clock):
    from datetime import timedelta

    from django.utils import timezone

    from linli.volunteers import services as volunteers
    from linli.volunteers.models import Activity, ServiceRecord

    start = timezone.now() - timedelta(hours=3)
    activity = Activity.objects.create(
        community=bw.w.c01,
        title="助老理发",
        place="活动室",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        capacity=5,
        checkin_token="haircut",
    )
    records = [
        ServiceRecord.objects.create(
            volunteer=v,
            activity=activity,
            community=bw.w.c01,
            day=start.date(),
            status="signed_out",
            signed_in_at=start,
            signed_out_at=start + timedelta(minutes=minutes),
            minutes=minutes,
        )
        for v, minutes in ((bw.near, 120), (bw.far, 90))
    ]
    volunteers.records_confirm(actor=None, activity=activity)
    assert balance(Account.objects.get(volunteer=bw.near)) == 120
    assert balance(Account.objects.get(volunteer=bw.far)) == 90
    assert Transfer.objects.filter(service_record__in=records).count() == 2
    with pytest.raises(DomainError):
        volunteers.records_confirm(actor=None, activity=activity)  # nothing left to confirm
    assert Transfer.objects.count() == 2
    assert services.ledger_problems() == []
