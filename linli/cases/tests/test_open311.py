"""Open311 GeoReport v2: our own checks of the spec, then an independent client over real HTTP."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
from django.test import Client

from linli.accounts.services import token_create
from linli.cases.models import Case
from linli.cases.tests.conftest import CaseWorld, new_case

BASE = "/open311/v2"


@pytest.fixture
def api_key(cw: CaseWorld) -> str:
    _, key = token_create(actor=None, user=cw.w.c01_worker, name="civic app")
    return key


def xml(response) -> ET.Element:
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    return ET.fromstring(response.content)  # noqa: S314  (our own server's output)


def post(client: Client, fmt: str, **data: str):
    return client.post(f"{BASE}/requests.{fmt}", data)


def test_discovery_names_both_formats(cw: CaseWorld, client: Client) -> None:
    doc = xml(client.get(f"{BASE}/discovery.xml"))
    assert doc.tag == "discovery"
    assert [f.text for f in doc.iter("format")] == ["text/xml", "application/json"]
    data = client.get(f"{BASE}/discovery.json").json()
    assert data["endpoints"][0]["specification"] == "http://wiki.open311.org/GeoReport_v2"


def test_services_and_their_definitions(cw: CaseWorld, client: Client) -> None:
    doc = xml(client.get(f"{BASE}/services.xml", {"jurisdiction_id": "S01"}))
    services = {s.findtext("service_code"): s for s in doc.findall("service")}
    assert services["T-NOISE"].findtext("metadata") == "true"
    assert services["T-NOISE"].findtext("group") == "测试大类"
    assert "T" not in services  # only leaves take requests
    definition = client.get(f"{BASE}/services/T-NOISE.json").json()
    attribute = definition["attributes"][0]
    assert attribute["code"] == "period"
    assert attribute["datatype"] == "singlevaluelist"
    assert attribute["required"]
    assert {"key": "night", "name": "夜间"} in attribute["values"]
    missing = client.get(f"{BASE}/services/NOPE.xml")
    assert missing.status_code == 404
    assert xml(missing).find("error/code").text == "404"


def test_posting_a_request_needs_a_valid_key_a_service_and_a_location(
    cw: CaseWorld, client: Client, api_key: str
) -> None:
    ok = {"jurisdiction_id": "S01/C01", "service_code": "T-NOISE", "attribute[period]": "night"}
    response = post(client, "json", **ok, lat="30.1", long="120.1")
    assert response.status_code == 403
    assert response.json() == [{"code": 403, "description": "api_key is required to submit a request"}]
    assert post(client, "json", **ok, api_key="linli_wrong", lat="30.1", long="120.1").status_code == 403
    response = post(client, "json", **ok, api_key=api_key)
    assert response.status_code == 400
    assert "location" in response.json()[0]["description"]
    assert post(client, "json", api_key=api_key, address_string="锦绣路 8 号").status_code == 400
    assert (
        post(client, "xml", **{**ok, "service_code": "NOPE"}, api_key=api_key, address_string="x").status_code
        == 404
    )
    bad_phone = post(client, "json", **ok, api_key=api_key, address_string="锦绣路 8 号", phone="12")
    assert bad_phone.status_code == 400
    assert bad_phone.json()[0]["description"].startswith("phone:")
    unanswered = post(
        client, "json", **{**ok, "attribute[period]": ""}, api_key=api_key, address_string="锦绣路"
    )
    assert unanswered.status_code == 400
    assert "发生时段" in unanswered.json()[0]["description"]
    assert Case.objects.count() == 0


def test_a_request_is_filed_and_found_again_by_id_and_token(
    cw: CaseWorld, client: Client, api_key: str
) -> None:
    response = post(
        client,
        "xml",
        api_key=api_key,
        jurisdiction_id="S01/C01",
        service_code="T-NOISE",
        **{"attribute[period]": "night"},
        address_id=str(cw.building.pk),
        description="楼上夜里装修\n十一点以后还在钻墙",
        first_name="女士",
        last_name="赵",
        phone="13800138000",
    )
    assert response.status_code == 201
    item = xml(response).find("request")
    number, token = item.findtext("service_request_id"), item.findtext("token")
    case = Case.objects.get(number=number)
    assert case.channel == "api"
    assert case.building == cw.building
    assert case.area == cw.w.c01_g01
    assert case.attributes == {"period": "night"}
    assert case.reporter_name == "赵 女士"
    assert case.first_receiver == cw.w.c01_worker
    assert client.get(f"{BASE}/tokens/{token}.json").json() == [
        {"service_request_id": number, "token": token}
    ]
    found = client.get(f"{BASE}/requests/{number}.json").json()[0]
    assert found["status"] == "open"
    assert found["status_notes"] == "已受理"
    assert found["requested_datetime"].endswith("+08:00")
    assert client.get(f"{BASE}/requests/20990101-0001.xml").status_code == 404


def test_listing_filters_and_keeps_personal_details_for_key_holders(
    cw: CaseWorld, client: Client, api_key: str
) -> None:
    open_case = new_case(cw, latitude="30.123456", longitude="120.654321", house=None, area=cw.w.c01_g01)
    closed = new_case(cw)
    from linli.cases import services

    services.case_reject(actor=cw.w.c01_worker, case=closed, reason="重复反映")
    public = client.get(f"{BASE}/requests.json").json()
    assert {r["service_request_id"] for r in public} == {open_case.number, closed.number}
    row = next(r for r in public if r["service_request_id"] == open_case.number)
    assert row["description"] == ""
    assert row["lat"] == 30.123
    assert row["address"] == "第一网格"
    keyed = client.get(f"{BASE}/requests.json", {"api_key": api_key}).json()
    row = next(r for r in keyed if r["service_request_id"] == open_case.number)
    assert row["description"].startswith("8 栋 401")
    assert row["lat"] == 30.123456
    assert [
        r["service_request_id"] for r in client.get(f"{BASE}/requests.json", {"status": "closed"}).json()
    ] == [closed.number]
    rejected = client.get(f"{BASE}/requests.json", {"status": "closed"}).json()[0]
    assert rejected["status_notes"] == "不予立案"
    assert client.get(f"{BASE}/requests.json", {"service_code": "T-STALL"}).json() == []
    ids = client.get(f"{BASE}/requests.json", {"service_request_id": f"{closed.number},nope"}).json()
    assert [r["service_request_id"] for r in ids] == [closed.number]
    assert client.get(f"{BASE}/requests.xml", {"start_date": "yesterday"}).status_code == 400
    span = client.get(
        f"{BASE}/requests.json", {"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-11-01T00:00:00Z"}
    )
    assert span.status_code == 400
    assert "90 days" in span.json()[0]["description"]
    assert client.get(f"{BASE}/requests.json", {"status": "pending"}).status_code == 400
    other_street = client.get(f"{BASE}/requests.json", {"jurisdiction_id": "S02"}).json()
    assert other_street == []
    assert client.get(f"{BASE}/requests.json", {"jurisdiction_id": "S99"}).status_code == 404
    # A key only sees its user's scope in full: another street's key sees nothing of S01.
    _, other_key = token_create(actor=None, user=cw.w.other_street_admin, name="x")
    assert client.get(f"{BASE}/requests.json", {"api_key": other_key}).json() == []


def test_xml_lists_use_the_spec_element_names(cw: CaseWorld, client: Client) -> None:
    new_case(cw)
    doc = xml(client.get(f"{BASE}/requests.xml"))
    assert doc.tag == "service_requests"
    request = doc.find("request")
    assert request is not None
    names = [child.tag for child in request]
    for name in (
        "service_request_id",
        "status",
        "status_notes",
        "service_name",
        "service_code",
        "requested_datetime",
        "lat",
        "long",
    ):
        assert name in names
    json.dumps(names)


@pytest.mark.django_db(transaction=True)
def test_the_georeport_client_from_pypi_reads_linli(cw_live: CaseWorld, live_server) -> None:
    from georeport import GeoReport

    case = new_case(cw_live)
    for fmt in ("json", "xml"):
        client = GeoReport(f"{live_server.url}/open311/v2", jurisdiction="S01", output_format=fmt)
        codes = {s["service_code"] for s in client.get_service_list()}
        assert {"T-NOISE", "T-STALL"} <= codes
        definition = client.get_service_definition("T-NOISE")
        assert definition["service_code"] == "T-NOISE"
        requests = client.get_service_requests(status="open")
        requests = requests if isinstance(requests, list) else [requests]
        assert case.number in {r["service_request_id"] for r in requests}
        one = client.get_service_request(case.number)
        assert one["service_request_id"] == case.number
        assert one["status"] == "open"
