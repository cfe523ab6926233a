"""Help requests (互助需求): from a need to a paid service, and the suggestions that match them."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from linli.core.errors import DomainError, Forbidden, NotFound
from linli.timebank import services
from linli.timebank.models import Account, AccountKind, HelpRequest, HelpStatus, TransferKind
from linli.timebank.tests.conftest import SHANGHAI, balance, credit
from linli.visits import services as visits

SATURDAY_9AM = datetime(2026, 11, 21, 9, 0, tzinfo=SHANGHAI)


def _request(bw, **extra):
    fields = {
        "actor": bw.w.grid_worker_c01_g01,
        "resident": bw.elder,
        "need": "shopping",
        "title": "每周买菜",
        "wanted_at": SATURDAY_9AM,
        "estimated_minutes": 60,
        "skill": bw.shopping,
        **extra,
    }
    return services.help_request_create(**fields)


def test_a_need_from_a_visit_becomes_a_request_linked_to_it(bw):
    visit = visits.visit_create(
        actor=bw.w.grid_worker_c01_g01,
        mode="in_person",
        observations="腿脚不便",
        needs="买菜",
        resident=bw.elder,
    )
    request = _request(bw, visit=visit)
    assert (request.status, request.visit_id, request.grid_id) == (HelpStatus.OPEN, visit.pk, bw.w.c01_g01.pk)
    assert request.events.get().note == "由走访转来"
    with pytest.raises(DomainError, match="不是这位居民的"):
        _request(bw, resident=bw.neighbour, visit=visit)


def test_the_whole_lifecycle_moves_the_balances(bw):
    request = _request(bw)
    worker = bw.w.grid_worker_c01_g01
    request = services.help_request_match(actor=worker, request=request, volunteer=bw.near)
    with pytest.raises(DomainError, match="须先登记服务时长"):
        services.help_request_confirm(actor=worker, request=request)
    request = services.help_request_serve(actor=worker, request=request, minutes=50)
    request = services.help_request_serve(actor=worker, request=request, minutes=70, note="多跑了一家超市")
    request = services.help_request_confirm(actor=worker, request=request, acted_by="family", proxy=bw.son)
    assert request.status == HelpStatus.PAID
    assert request.payment is not None
    assert (request.payment.kind, request.payment.minutes, request.payment.proxy_id) == (
        TransferKind.HELP_PAYMENT,
        70,
        bw.son.pk,
    )
    assert balance(Account.objects.get(resident=bw.elder)) == -70
    assert balance(Account.objects.get(volunteer=bw.near)) == 70
    assert [e.to_status for e in request.events.all()] == ["open", "matched", "served", "served", "paid"]
    with pytest.raises(DomainError, match="不能改为"):
        services.help_request_cancel(actor=worker, request=request, reason="重复")
    assert services.ledger_problems() == []


def test_paying_beyond_the_requesters_debt_limit_is_refused_and_nothing_moves(bw, settings):
    settings.LINLI_TIME_BANK_DEBT_LIMIT_MINUTES = 30
    worker = bw.w.grid_worker_c01_g01
    request = services.help_request_match(actor=worker, request=_request(bw), volunteer=bw.near)
    request = services.help_request_serve(actor=worker, request=request, minutes=60)
    with pytest.raises(DomainError, match="透支额度"):
        services.help_request_confirm(actor=worker, request=request)
    request.refresh_from_db()
    assert request.status == HelpStatus.SERVED
    assert not Account.objects.filter(volunteer=bw.near, balance_minutes__gt=0).exists()


def test_the_pool_pays_only_when_the_community_decides(bw):
    credit(bw.far, 120)
    _, pool = services.community_accounts(bw.w.c01)
    services.transfer_create(
        actor=None, source=Account.objects.get(volunteer=bw.far), target=pool, minutes=100
    )
    worker = bw.w.grid_worker_c01_g01
    request = services.help_request_match(actor=worker, request=_request(bw), volunteer=bw.near)
    request = services.help_request_serve(actor=worker, request=request, minutes=60)
    with pytest.raises(Forbidden, match="社区负责人"):
        services.help_request_confirm(actor=worker, request=request, pay_from="pool")
    request = services.help_request_confirm(actor=bw.w.c01_leader, request=request, pay_from="pool")
    assert request.payment is not None
    assert request.payment.source.kind == AccountKind.POOL
    assert (balance(pool), balance(Account.objects.get(volunteer=bw.near))) == (40, 60)


def test_a_volunteer_cannot_be_matched_twice_at_the_same_time(bw):
    worker = bw.w.grid_worker_c01_g01
    services.help_request_match(actor=worker, request=_request(bw), volunteer=bw.near)
    second = _request(bw, resident=bw.neighbour, wanted_at=SATURDAY_9AM + timedelta(minutes=30))
    with pytest.raises(DomainError, match="时间冲突"):
        services.help_request_match(actor=worker, request=second, volunteer=bw.near)
    services.help_request_match(actor=worker, request=second, volunteer=bw.far)


def test_unmatch_and_cancel(bw):
    worker = bw.w.grid_worker_c01_g01
    request = services.help_request_match(actor=worker, request=_request(bw), volunteer=bw.near)
    request = services.help_request_unmatch(actor=worker, request=request, reason="志愿者生病")
    assert (request.status, request.volunteer_id) == (HelpStatus.OPEN, None)
    with pytest.raises(DomainError, match="取消原因"):
        services.help_request_cancel(actor=worker, request=request, reason=" ")
    request = services.help_request_cancel(actor=worker, request=request, reason="家属已安排")
    assert request.status == HelpStatus.CANCELLED


def test_a_request_out_of_scope_is_not_found(bw):
    request = _request(bw)
    with pytest.raises(NotFound):
        services.help_request_match(actor=bw.w.grid_worker_c01_g02, request=request, volunteer=bw.far)
    assert not HelpRequest.objects.visible_to(bw.w.grid_worker_c02_g01).exists()


def test_suggestions_rank_skill_then_grid_then_time(bw):
    request = _request(bw)
    ranked = services.suggest_volunteers(request)
    assert [s.volunteer for s in ranked] == [bw.near, bw.far]  # C02's volunteer is not suggested
    assert f"擅长{bw.shopping.name}" in ranked[0].reasons
    assert "同网格" in ranked[0].reasons
    assert "该时段有空" in ranked[0].reasons
    sunday = _request(bw, resident=bw.neighbour, wanted_at=SATURDAY_9AM + timedelta(days=1), skill=None)
    by_name = {s.volunteer.name: s for s in services.suggest_volunteers(sunday)}
    assert "该时段未登记可服务" in by_name["郑晓红"].reasons
    assert by_name["郑晓红"].score < ranked[0].score
    services.help_request_match(actor=bw.w.grid_worker_c01_g01, request=request, volunteer=bw.near)
    overlapping = _request(bw, resident=bw.neighbour, wanted_at=SATURDAY_9AM)
    ranked = services.suggest_volunteers(overlapping)
    assert ranked[-1].volunteer == bw.near
    assert ranked[-1].busy


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("estimated_minutes", 0, "应大于零"),
        ("estimated_minutes", 9 * 60, "不能超过 8 小时"),
        ("title", "", "需求标题"),
        ("need", "flying", "需求类别"),
        ("wanted_at", "tomorrow", "服务的时间"),
    ],
)
def test_bad_requests_are_refused(bw, field, value, message):
    with pytest.raises(DomainError, match=message):
        _request(bw, **{field: value})
    assert not HelpRequest.objects.exists()
