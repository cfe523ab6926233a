"""Open311 against what an outside test threw at it: characters XML cannot carry, NaN, overflowing dates and
numbers, keys in URLs; and numbers from abroad, which are not an attack at all."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
from django.test import Client

from linli.accounts.services import token_create
from linli.cases import services
from linli.cases.models import Case
from linli.cases.tests.conftest import CaseWorld, new_case

BASE = "/open311/v2"
OK = {"jurisdiction_id": "S01/C01", "service_code": "T-NOISE", "attribute[period]": "night"}


@pytest.fixture
def api_key(cw: CaseWorld) -> str:
    _, key = token_create(actor=None, user=cw.w.c01_worker, name="civic app")
    return key


def parse(response) -> ET.Element:
    return ET.fromstring(response.content)  # noqa: S314  (our own server's output; raises if malformed)


def test_a_submission_with_characters_xml_cannot_carry_leaves_the_feed_well_formed(
    cw: CaseWorld, client: Client, api_key: str
) -> None:
    response = client.post(
        f"{BASE}/requests.xml",
        {
            **OK,
            "api_key": api_key,
            "address_string": "锦绣路\x01 8 号",
            "description": "楼上\uffff夜里装修\ufffe\x0b",
            "account_id": "acct\uffff-7\x00",
        },
    )
    assert response.status_code == 201
    assert parse(response).find("request/account_id").text == "acct-7"
    case = Case.objects.get()
    assert case.description.startswith("楼上夜里装修")
    assert "\uffff" not in case.description
    assert "\x01" not in case.address
    feed = client.get(f"{BASE}/requests.xml", HTTP_AUTHORIZATION=f"Bearer {api_key}")
    assert parse(feed).find("request/description").text.startswith("楼上夜里装修")


def test_text_stored_before_intake_cleaned_it_is_cleaned_on_output(
    cw: CaseWorld, client: Client, api_key: str
) -> None:
    case = new_case(cw)
    Case.objects.filter(pk=case.pk).update(description="旧数据\uffff\x08", result="")
    for path in ("requests.xml", f"requests/{case.number}.xml"):
        feed = client.get(f"{BASE}/{path}", {"api_key": api_key})
        assert feed.status_code == 200
        assert parse(feed).find("request/description").text == "旧数据"


@pytest.mark.parametrize(
    ("lat", "lng"), [("NaN", "NaN"), ("nan", "120.1"), ("Infinity", "1"), ("1e999", "1")]
)
def test_coordinates_that_are_not_numbers_are_refused(
    cw: CaseWorld, client: Client, api_key: str, lat: str, lng: str
) -> None:
    response = client.post(f"{BASE}/requests.json", {**OK, "api_key": api_key, "lat": lat, "long": lng})
    assert response.status_code == 400
    assert response.json()[0]["description"].startswith("lat:")


@pytest.mark.parametrize("answer", ["nan", "inf", "-Infinity", "1e999", "十"])
def test_number_answers_that_are_not_finite_numbers_are_refused(
    cw: CaseWorld, client: Client, api_key: str, answer: str
) -> None:
    services.category_update(
        actor=None,
        category=cw.category,
        questions=[{"code": "m2", "label": "面积", "datatype": "number"}],
    )
    response = client.post(
        f"{BASE}/requests.json",
        {
            "jurisdiction_id": "S01/C01",
            "service_code": "T-NOISE",
            "api_key": api_key,
            "address_string": "锦绣路 8 号",
            "attribute[m2]": answer,
        },
    )
    assert response.status_code == 400
    assert "面积" in response.json()[0]["description"]
    assert Case.objects.count() == 0


@pytest.mark.parametrize(
    "dates",
    [
        {"end_date": "0001-01-01T00:00:00"},
        {"start_date": "0001-01-01T00:00:00", "end_date": "0001-02-01T00:00:00"},
        {"end_date": "9999-12-31T23:59:59"},
        {"start_date": "9999-12-31T00:00:00+14:00"},
    ],
)
def test_dates_at_the_ends_of_the_calendar_are_refused(cw: CaseWorld, client: Client, dates: dict) -> None:
    for fmt in ("json", "xml"):
        response = client.get(f"{BASE}/requests.{fmt}", dates)
        assert response.status_code == 400, dates


def test_the_api_key_may_come_in_a_header(cw: CaseWorld, client: Client, api_key: str) -> None:
    new_case(cw)
    for headers in ({"Authorization": f"Bearer {api_key}"}, {"X-API-Key": api_key}):
        listed = client.get(f"{BASE}/requests.json", headers=headers).json()
        assert any(r["description"].startswith("8 栋 401") for r in listed)  # the key holder's full view
        filed = client.post(f"{BASE}/requests.json", {**OK, "address_string": "锦绣路 8 号"}, headers=headers)
        assert filed.status_code == 201
    refused = client.get(f"{BASE}/requests.json", HTTP_AUTHORIZATION="Bearer linli_wrong")
    assert refused.status_code == 403


def test_an_international_phone_number_is_kept_and_masked(
    cw: CaseWorld, client: Client, api_key: str
) -> None:
    response = client.post(
        f"{BASE}/requests.json",
        {**OK, "api_key": api_key, "address_string": "锦绣路 8 号", "phone": "+1 555 555 0100"},
    )
    assert response.status_code == 201, response.content
    case = Case.objects.get(number=response.json()[0]["service_request_id"])
    assert case.reporter_phone == "+15555550100"
    chinese = client.post(
        f"{BASE}/requests.json",
        {**OK, "api_key": api_key, "address_string": "锦绣路 8 号", "phone": "+86 138 0013 8000"},
    )
    assert Case.objects.get(number=chinese.json()[0]["service_request_id"]).reporter_phone == "13800138000"
    # Someone who may not see the reporter's phone sees it masked, the middle digits gone.
    _, key = token_create(actor=None, user=cw.w.c01_leader, name="t")
    shown = client.get(f"/api/v1/cases/{case.pk}", HTTP_AUTHORIZATION=f"Bearer {key}").json()
    assert shown["reporter_phone"] != "+15555550100"
    assert shown["reporter_phone"].endswith("0100")
    assert "5555" not in shown["reporter_phone"]
    # Not a number: still refused.
    bad = client.post(
        f"{BASE}/requests.json", {**OK, "api_key": api_key, "address_string": "锦绣路", "phone": "+1 23"}
    )
    assert bad.status_code == 400
    assert json.loads(bad.content)[0]["description"].startswith("phone:")


def test_nul_in_a_query_or_a_path_is_not_a_server_error(cw: CaseWorld, client: Client, api_key: str) -> None:
    """PostgreSQL refuses NUL in text: these were 500s there (found by the generated test)."""
    case = new_case(cw)
    for params in ({"service_request_id": f"{case.number}\x00"}, {"jurisdiction_id": "S01\x00"}):
        response = client.get(f"{BASE}/requests.json", {**params, "api_key": api_key})
        assert response.status_code == 200
        assert [r["service_request_id"] for r in response.json()] == [case.number]
    assert client.get(f"{BASE}/requests/{case.number}%00.json").status_code == 404
    assert client.get(f"{BASE}/tokens/x%00y.json").status_code == 404
