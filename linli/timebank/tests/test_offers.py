"""What the time bank offers on other modules' pages (core.modules.record_actions): a volunteer's balance on
the volunteer page, and "转为互助需求" on visits and cases — for users who may record help requests only."""

from __future__ import annotations

from linli.cases.services import case_create, category_create
from linli.timebank.models import HelpRequest
from linli.timebank.tests.conftest import credit


def _visit(bw):
    from linli.visits import services as visits

    return visits.visit_create(
        actor=bw.w.grid_worker_c01_g01,
        mode="in_person",
        observations="行动不便",
        needs="每周买菜",
        resident=bw.elder,
    )


def test_the_volunteer_page_shows_the_time_bank_balance_linked_to_the_account(bw, client_for):
    page = client_for(bw.w.c01_worker).get(f"/volunteers/{bw.near.pk}/").content.decode()
    assert 'data-testid="record-action-timebank.balance"' in page
    assert "未开户 · 0 小时" in page
    credit(bw.near, 90)
    page = client_for(bw.w.c01_worker).get(f"/volunteers/{bw.near.pk}/").content.decode()
    account = bw.near.time_accounts.get()
    assert f'href="/time-bank/accounts/{account.pk}/"' in page
    assert "1 小时 30 分钟" in page


def test_a_visit_page_offers_to_turn_the_need_into_a_help_request(bw, client_for):
    visit = _visit(bw)
    page = client_for(bw.w.grid_worker_c01_g01).get(f"/visits/{visit.pk}/").content.decode()
    assert f'href="/time-bank/requests/new/?visit={visit.pk}"' in page
    # a read-only viewer may open the visit but not record help requests: no link
    viewer = client_for(bw.w.viewer).get(f"/visits/{visit.pk}/")
    assert viewer.status_code == 200
    assert "/time-bank/requests/new/" not in viewer.content.decode()


def test_a_request_made_from_a_visit_is_listed_on_it(bw, client_for):
    visit = _visit(bw)
    client = client_for(bw.w.grid_worker_c01_g01)
    client.post(
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
    made = HelpRequest.objects.get()
    page = client.get(f"/visits/{visit.pk}/").content.decode()
    assert f'href="/time-bank/requests/{made.pk}/"' in page
    assert "买菜 · 待匹配" in page


def test_a_case_page_offers_it_to_writers_not_to_viewers(bw, client_for):
    category = category_create(actor=None, code="T-HELP", name="测试求助")
    case = case_create(
        actor=bw.w.c01_worker,
        category=category,
        channel="phone",
        title="独居老人买菜不便",
        description="希望有人每周帮忙买菜",
        area=bw.w.c01_g01,
        resident=bw.elder,
    )
    page = client_for(bw.w.c01_worker).get(f"/cases/{case.pk}/").content.decode()
    assert f'href="/time-bank/requests/new/?case={case.pk}"' in page
    form = client_for(bw.w.c01_worker).get(f"/time-bank/requests/new/?case={case.pk}").content.decode()
    assert "孙桂兰" in form
    viewer = client_for(bw.w.viewer).get(f"/cases/{case.pk}/").content.decode()
    assert "/time-bank/requests/new/" not in viewer
