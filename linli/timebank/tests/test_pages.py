"""The time-bank pages over real HTTP: what each shows, what each form writes, what is refused."""

from __future__ import annotations

from linli.timebank import services
from linli.timebank.models import Account, HelpRequest, HelpStatus, Transfer
from linli.timebank.tests.conftest import balance, credit
from linli.timebank.tests.test_help_requests import SATURDAY_9AM, _request


def test_the_account_page_shows_balance_and_movements(bw, client_for):
    credit(bw.near, 90, title="敬老院慰问")
    account = Account.objects.get(volunteer=bw.near)
    page = client_for(bw.w.c01_worker).get(f"/time-bank/accounts/{account.pk}/").content.decode()
    assert "1 小时 30 分钟" in page
    assert "服务入账" in page
    assert "敬老院慰问" in page
    listing = client_for(bw.w.c01_worker).get("/time-bank/?q=郑").content.decode()
    assert "郑晓红" in listing


def test_an_account_out_of_scope_is_404(bw, client_for):
    account = services.account_open(actor=None, resident=bw.c02_resident)
    assert client_for(bw.w.grid_worker_c01_g01).get(f"/time-bank/accounts/{account.pk}/").status_code == 404


def test_the_transfer_form_moves_minutes_and_refuses_beyond_the_limit(bw, client_for, settings):
    settings.LINLI_TIME_BANK_DEBT_LIMIT_MINUTES = 0
    credit(bw.near, 60)
    source = Account.objects.get(volunteer=bw.near)
    _, pool = services.community_accounts(bw.w.c01)
    client = client_for(bw.w.c01_worker)
    refused = client.post(
        f"/time-bank/accounts/{source.pk}/transfer/",
        {"target": pool.pk, "minutes": "61", "acted_by": "holder"},
    )
    assert refused.status_code == 400
    assert "最多还能转出 1 小时" in refused.content.decode()
    assert balance(pool) == 0
    done = client.post(
        f"/time-bank/accounts/{source.pk}/transfer/",
        {"target": pool.pk, "minutes": "30", "acted_by": "holder"},
    )
    assert done.status_code == 302
    assert balance(pool) == 30
    oneself = client.post(
        f"/time-bank/accounts/{source.pk}/transfer/",
        {"target": source.pk, "minutes": "5", "acted_by": "holder"},
    )
    assert oneself.status_code == 400  # not among the choices: the form refuses it before the service does


def test_a_grid_worker_records_matches_serves_and_confirms_a_request(bw, client_for):
    client = client_for(bw.w.grid_worker_c01_g01)
    picked = client.get("/time-bank/requests/new/?q=孙桂").content.decode()
    assert "孙桂兰" in picked
    response = client.post(
        "/time-bank/requests/new/",
        {
            "resident": bw.elder.pk,
            "need": "hospital",
            "title": "陪同去医院复查",
            "wanted_at": "2026-11-21T09:00",
            "estimated_minutes": "120",
            "pay_from": "requester",
        },
    )
    assert response.status_code == 302
    request = HelpRequest.objects.get()
    match_page = client.get(f"/time-bank/requests/{request.pk}/match/").content.decode()
    assert "郑晓红" in match_page
    assert "同网格" in match_page
    client.post(f"/time-bank/requests/{request.pk}/match/", {"volunteer": bw.near.pk})
    client.post(f"/time-bank/requests/{request.pk}/serve/", {"minutes": "100", "served_on": "2026-11-20"})
    client.post(f"/time-bank/requests/{request.pk}/confirm/", {"pay_from": "requester", "acted_by": "worker"})
    request.refresh_from_db()
    assert request.status == HelpStatus.PAID
    assert balance(Account.objects.get(resident=bw.elder)) == -100
    assert balance(Account.objects.get(volunteer=bw.near)) == 100
    detail = client.get(f"/time-bank/requests/{request.pk}/").content.decode()
    assert "已确认支付" in detail
    assert "待匹配 → 已匹配" in detail


def test_a_refused_confirmation_says_why_and_writes_nothing(bw, client_for, settings):
    settings.LINLI_TIME_BANK_DEBT_LIMIT_MINUTES = 10
    request = _request(bw)
    services.help_request_match(actor=None, request=request, volunteer=bw.near)
    services.help_request_serve(actor=None, request=request, minutes=60)
    client = client_for(bw.w.grid_worker_c01_g01)
    response = client.post(
        f"/time-bank/requests/{request.pk}/confirm/",
        {"pay_from": "requester", "acted_by": "worker"},
        follow=True,
    )
    assert "透支额度" in response.content.decode()
    assert not Transfer.objects.filter(kind="help_payment").exists()
    pool = client.post(
        f"/time-bank/requests/{request.pk}/confirm/", {"pay_from": "pool", "acted_by": "worker"}
    )
    assert pool.status_code == 403  # the pool pays only on a leader's decision


def test_the_board_and_the_pools_page(bw, client_for):
    _request(bw)
    _request(bw, resident=bw.neighbour, title="修水龙头", need="repair", skill=None, wanted_at=SATURDAY_9AM)
    board = client_for(bw.w.grid_worker_c01_g01).get("/time-bank/requests/").content.decode()
    assert "每周买菜" in board
    assert "修水龙头" in board
    credit(bw.near, 30)
    pools = client_for(bw.w.c01_leader).get("/time-bank/pools/").content.decode()
    assert "锦绣社区" in pools
    assert "-30 分钟" in pools


def test_a_need_found_on_a_visit_opens_the_form_for_its_resident(bw, client_for):
    from linli.visits import services as visits

    visit = visits.visit_create(
        actor=bw.w.grid_worker_c01_g01,
        mode="in_person",
        observations="行动不便",
        needs="每周买菜",
        resident=bw.elder,
    )
    client = client_for(bw.w.grid_worker_c01_g01)
    form = client.get(f"/time-bank/requests/new/?visit={visit.pk}").content.decode()
    assert "孙桂兰" in form
    assert "每周买菜" in form
    response = client.post(
        "/time-bank/requests/new/",
        {
            "visit": visit.pk,
            "need": "shopping",
            "title": "买菜",
            "wanted_at": "2026-11-21T09:00",
            "estimated_minutes": "60",
            "pay_from": "requester",
        },
    )
    assert response.status_code == 302
    assert HelpRequest.objects.get().visit_id == visit.pk
