"""Residents sign in with name + identity number + phone, then a code sent to that phone."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client

from linli.core.models import AuditEntry
from linli.portal.auth import COOKIE
from linli.portal.models import PortalSession

pytestmark = pytest.mark.django_db


def _start(client: Client, name: str, id_number: str, phone: str):
    return client.post("/portal/signin/", {"name": name, "id_number": id_number, "phone": phone})


def _challenge(response) -> str:
    return re.search(r'name="challenge" value="([^"]+)"', response.content.decode()).group(1)


def _code(sms_outbox) -> str:
    return re.search(r"验证码是 (\d{6})", sms_outbox[-1].text).group(1)


def test_a_registered_resident_signs_in_with_the_code_sent_to_their_phone(pw, sms_outbox):
    client = Client()
    fang = pw.fang
    response = _start(client, fang.name, fang.id_number, "138-0000-0001")
    assert response.status_code == 200
    assert [m.phone for m in sms_outbox] == ["13800000001"]
    assert sms_outbox[0].purpose == "portal_code"
    response = client.post(
        "/portal/signin/code/",
        {"challenge": _challenge(response), "code": _code(sms_outbox), "next": "/portal/cases/"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/portal/cases/"
    cookie = response.cookies[COOKIE]
    assert cookie["path"] == "/portal/"
    assert cookie["httponly"]
    assert "王芳" in client.get("/portal/").content.decode()
    login = AuditEntry.objects.get(action="login", object_type="registry.resident")
    assert login.object_id == str(fang.pk)
    assert login.actor_label == "居民 王芳"


@pytest.mark.parametrize("wrong", ["name", "id_number", "phone"])
def test_a_mismatch_sends_nothing_and_answers_exactly_like_a_match(pw, sms_outbox, wrong):
    fang = pw.fang
    right = {"name": fang.name, "id_number": fang.id_number, "phone": fang.phone}
    bad = dict(right)
    bad[wrong] = {"name": "王芬", "id_number": pw.son.id_number, "phone": "13900000009"}[wrong]
    matched = _start(Client(), **right)
    sms_outbox.clear()
    refused = _start(Client(), **bad)
    assert sms_outbox == []
    assert refused.status_code == matched.status_code == 200

    def page(r) -> str:
        return re.sub(r'value="[^"]+"', "", r.content.decode())

    assert page(refused) == page(matched)
    # Whatever code is tried, the unmatched request signs no one in.
    for code in ("000000", "123456"):
        r = Client().post("/portal/signin/code/", {"challenge": _challenge(refused), "code": code})
        assert r.status_code == 400
        assert COOKIE not in r.cookies
    assert AuditEntry.objects.filter(action="login_failed", object_type="portal.signin").count() == 3


def test_a_code_expires(pw, sms_outbox, clock):
    fang = pw.fang
    client = Client()
    response = _start(client, fang.name, fang.id_number, fang.phone)
    clock.shift(timedelta(minutes=11))
    r = client.post("/portal/signin/code/", {"challenge": _challenge(response), "code": _code(sms_outbox)})
    assert r.status_code == 400
    assert "已过期" in r.content.decode()
    assert not PortalSession.objects.exists()


def test_a_code_is_used_once(pw, sms_outbox):
    fang = pw.fang
    response = _start(Client(), fang.name, fang.id_number, fang.phone)
    data = {"challenge": _challenge(response), "code": _code(sms_outbox)}
    assert Client().post("/portal/signin/code/", data).status_code == 302
    assert Client().post("/portal/signin/code/", data).status_code == 400


def test_wrong_codes_lock_the_phone_out_like_staff_sign_in(pw, sms_outbox, settings):
    fang = pw.fang
    response = _start(Client(), fang.name, fang.id_number, fang.phone)
    challenge, code = _challenge(response), _code(sms_outbox)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(settings.LINLI_LOCKOUT_PER_ACCOUNT):
        assert (
            Client().post("/portal/signin/code/", {"challenge": challenge, "code": wrong}).status_code == 400
        )
    r = Client().post("/portal/signin/code/", {"challenge": challenge, "code": code})
    assert r.status_code == 400
    assert "尝试次数过多" in r.content.decode()
    sms_outbox.clear()
    r = _start(Client(), fang.name, fang.id_number, fang.phone)
    assert r.status_code == 400
    assert "尝试次数过多" in r.content.decode()
    assert sms_outbox == []


def test_codes_are_limited_per_phone_and_per_address(pw, sms_outbox, settings):
    fang = pw.fang
    for _ in range(settings.LINLI_PORTAL_CODES_PER_PHONE):
        assert _start(Client(), fang.name, fang.id_number, fang.phone).status_code == 200
    r = _start(Client(), fang.name, fang.id_number, fang.phone)
    assert r.status_code == 400
    assert "次数过多" in r.content.decode()
    assert len(sms_outbox) == settings.LINLI_PORTAL_CODES_PER_PHONE
    settings.LINLI_PORTAL_REQUESTS_PER_ADDRESS = settings.LINLI_PORTAL_CODES_PER_PHONE + 2
    settings.LINLI_LOCKOUT_PER_ADDRESS = 100
    statuses = [
        _start(Client(), pw.son.name, pw.son.id_number, f"1390000000{i}").status_code for i in range(3)
    ]
    assert statuses == [200, 200, 400]


def test_a_resident_session_reaches_no_staff_page_nor_the_api(pw, portal_client):
    client = portal_client(pw.fang)
    # The cookie is limited to /portal/: sent along anyway, it still means nothing to staff pages.
    client.cookies[COOKIE]["path"] = "/"
    for url in (
        "/",
        "/registry/residents/",
        f"/registry/residents/{pw.fang.pk}/",
        "/cases/",
        "/portal-admin/",
        "/audit/",
    ):
        r = client.get(url)
        assert (r.status_code, r["Location"].split("?")[0]) == (302, "/accounts/login/"), url
    for url in ("/api/v1/me", "/api/v1/residents", "/api/v1/cases"):
        assert client.get(url).status_code == 401, url


def test_staff_signed_in_as_staff_are_nobody_in_the_portal(pw, client_for):
    client = client_for(pw.w.street_admin)
    for url in (
        "/portal/",
        "/portal/household/",
        "/portal/cases/",
        f"/portal/cases/{pw.neighbour_case.number}/",
    ):
        r = client.get(url)
        assert (r.status_code, r["Location"].split("?")[0]) == (302, "/portal/signin/"), url


def test_signing_out_ends_the_session(pw, portal_client):
    client = portal_client(pw.fang)
    assert client.get("/portal/").status_code == 200
    client.post("/portal/signout/")
    assert PortalSession.objects.get().ended_at is not None
    assert AuditEntry.objects.filter(action="logout", object_id=str(pw.fang.pk)).exists()
    assert client.get("/portal/").status_code == 302


def test_an_idle_session_ends(pw, portal_client, clock, settings):
    client = portal_client(pw.fang)
    clock.shift(timedelta(seconds=settings.SESSION_COOKIE_AGE + 60))
    assert client.get("/portal/").status_code == 302


def test_someone_not_in_the_registry_is_sent_to_file_by_tracking_number(db):
    page = Client().get("/portal/signin/").content.decode()
    assert 'href="/track/new/"' in page
    assert 'href="/track/"' in page


def test_the_audit_ledger_names_portal_sign_ins(pw, portal_client, client_for):
    portal_client(pw.fang)
    Client().post(
        "/portal/signin/", {"name": "某人", "id_number": "110101199001011234", "phone": "13900000000"}
    )
    admin = client_for(pw.w.street_admin)
    page = admin.get("/audit/").content.decode()
    assert "居民 王芳" in page
    assert "110101199001011234" not in page


def test_old_sign_in_requests_are_deleted(pw, sms_outbox, clock):
    from linli.portal.models import SignInCode

    fang = pw.fang
    _start(Client(), "某人", "110101199001011234", "13900000000")
    _start(Client(), fang.name, fang.id_number, fang.phone)
    assert SignInCode.objects.count() == 2
    clock.shift(timedelta(days=2))
    _start(Client(), fang.name, fang.id_number, fang.phone)
    assert SignInCode.objects.count() == 1
