"""The time bank and help requests over the JSON API, with a bearer token, in scope."""

from __future__ import annotations

import json

from django.test import Client

from linli.timebank import services
from linli.timebank.models import Account, HelpRequest
from linli.timebank.tests.conftest import balance, credit


def _post(path, payload, headers):
    return Client().post(path, data=json.dumps(payload), content_type="application/json", **headers)


def test_accounts_carry_their_balance_in_minutes(bw, bearer):
    credit(bw.near, 75)
    headers = bearer(bw.w.c01_worker)
    body = Client().get("/api/v1/time-bank/accounts", **headers).json()
    by_kind = {a["kind"]: a for a in body["items"]}
    assert by_kind["volunteer"]["balance_minutes"] == 75
    assert by_kind["issuing"]["balance_minutes"] == -75
    assert sum(a["balance_minutes"] for a in body["items"]) == 0
    one = Client().get(f"/api/v1/time-bank/accounts/{by_kind['volunteer']['id']}", **headers).json()
    assert one["name"] == "郑晓红"


def test_a_transfer_and_its_reversal_through_the_api(bw, bearer):
    credit(bw.near, 60)
    source = Account.objects.get(volunteer=bw.near)
    opened = _post("/api/v1/time-bank/accounts", {"resident_id": bw.elder.pk}, bearer(bw.w.c01_worker))
    assert opened.status_code == 201
    target_id = opened.json()["id"]
    made = _post(
        "/api/v1/time-bank/transfers",
        {"source_id": source.pk, "target_id": target_id, "minutes": 20, "note": "谢谢"},
        bearer(bw.w.c01_worker),
    )
    assert made.status_code == 201, made.content
    assert made.json()["kind"] == "transfer"
    over = _post(
        "/api/v1/time-bank/transfers",
        {"source_id": source.pk, "target_id": target_id, "minutes": 10**6},
        bearer(bw.w.c01_worker),
    )
    assert over.status_code == 400
    zero = _post(
        "/api/v1/time-bank/transfers",
        {"source_id": source.pk, "target_id": target_id, "minutes": 0},
        bearer(bw.w.c01_worker),
    )
    assert (zero.status_code, zero.json()["field"]) == (400, "minutes")
    self_ = _post(
        "/api/v1/time-bank/transfers",
        {"source_id": source.pk, "target_id": source.pk, "minutes": 5},
        bearer(bw.w.c01_worker),
    )
    assert self_.status_code == 400
    assert "不能转给自己" in self_.json()["detail"]
    refused = _post(
        f"/api/v1/time-bank/transfers/{made.json()['id']}/reverse",
        {"reason": "录错"},
        bearer(bw.w.c01_worker),
    )
    assert refused.status_code == 403
    reversed_ = _post(
        f"/api/v1/time-bank/transfers/{made.json()['id']}/reverse",
        {"reason": "录错"},
        bearer(bw.w.c01_leader),
    )
    assert reversed_.status_code == 201
    assert reversed_.json()["reverses_id"] == made.json()["id"]
    listed = (
        Client().get(f"/api/v1/time-bank/transfers?account_id={source.pk}", **bearer(bw.w.c01_worker)).json()
    )
    assert [t["kind"] for t in listed["items"]] == ["reversal", "transfer", "service_credit"]
    assert balance(source) == 60


def test_out_of_scope_accounts_are_404(bw, bearer):
    theirs = services.account_open(actor=None, resident=bw.c02_resident)
    assert (
        Client()
        .get(f"/api/v1/time-bank/accounts/{theirs.pk}", **bearer(bw.w.grid_worker_c01_g01))
        .status_code
        == 404
    )


def test_a_help_request_from_open_to_paid(bw, bearer):
    headers = bearer(bw.w.grid_worker_c01_g01)
    created = _post(
        "/api/v1/help-requests",
        {
            "resident_id": bw.elder.pk,
            "need": "shopping",
            "title": "买菜",
            "wanted_at": "2026-11-21T09:00:00+08:00",
            "estimated_minutes": 60,
            "skill": "shopping",
        },
        headers,
    )
    assert created.status_code == 201, created.content
    rid = created.json()["id"]
    suggestions = Client().get(f"/api/v1/help-requests/{rid}/suggestions", **headers).json()
    assert suggestions[0]["volunteer_id"] == bw.near.pk
    assert (
        _post(f"/api/v1/help-requests/{rid}/match", {"volunteer_id": bw.near.pk}, headers).json()["status"]
        == "matched"
    )
    assert _post(f"/api/v1/help-requests/{rid}/serve", {"minutes": 45}, headers).json()["status"] == "served"
    paid = _post(f"/api/v1/help-requests/{rid}/confirm", {}, headers).json()
    assert paid["status"] == "paid"
    assert balance(Account.objects.get(volunteer=bw.near)) == 45
    again = _post(f"/api/v1/help-requests/{rid}/cancel", {"reason": "x"}, headers)
    assert again.status_code == 400
    assert HelpRequest.objects.get().status == "paid"
    other = Client().get(f"/api/v1/help-requests/{rid}", **bearer(bw.w.grid_worker_c01_g02))
    assert other.status_code == 404
