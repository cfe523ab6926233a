"""Requests an outside test found answered with an HTML 500: each is now a 4xx with the JSON error shape."""

from __future__ import annotations

import json
import logging

import pytest
from django.test import Client

from linli.cases import services as case_services
from linli.core.logmask import MaskSecrets, mask_secrets
from linli.registry.models import Resident
from linli.registry.services import resident_create
from tests.factories import World, make_id_number

LISTS = [
    "/api/v1/areas",
    "/api/v1/residents",
    "/api/v1/cases",
    "/api/v1/visits",
    "/api/v1/visit-targets",
    "/api/v1/visit-tasks",
    "/api/v1/diary",
]


def send(client: Client, method: str, path: str, headers: dict[str, str], body: object = None):
    data = json.dumps(body) if body is not None else None
    response = getattr(client, method)(path, data, content_type="application/json", **headers)
    assert response.status_code < 500, (path, response.content[:300])
    assert response["Content-Type"].startswith("application/json"), (path, response["Content-Type"])
    return response


@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize("page", [2**63, 2**64, 10**30])
def test_page_numbers_beyond_any_list_are_refused(world: World, client: Client, bearer, path, page) -> None:
    response = client.get(path, {"page": str(page)}, **bearer(world.street_admin))
    assert response.status_code == 422, response.content[:200]
    assert response.json()["detail"][0]["loc"][-1] == "page"


def test_a_far_page_within_bounds_is_simply_empty(world: World, client: Client, bearer) -> None:
    response = client.get("/api/v1/residents", {"page": "1000000"}, **bearer(world.street_admin))
    assert response.status_code == 200
    assert response.json()["items"] == []


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", f"/api/v1/residents/{2**64}", None),
        ("get", f"/api/v1/residents/{2**63}", None),
        ("get", f"/api/v1/cases/{2**64}", None),
        ("get", f"/api/v1/visits/{2**64}", None),
        ("get", f"/api/v1/areas?parent_id={2**64}", None),
        ("post", "/api/v1/inbox/read", {"ids": [2**64]}),
        ("post", "/api/v1/inbox/read", {"ids": [2**63]}),
        (
            "post",
            "/api/v1/cases",
            {"category": "X", "channel": "walk_in", "title": "t", "description": "d", "resident_id": 2**64},
        ),
        ("post", "/api/v1/visit-tasks", {"resident_id": 2**64, "trigger": "x", "note": ""}),
    ],
)
def test_ids_beyond_64_bits_are_refused(world: World, client: Client, bearer, method, path, body) -> None:
    response = send(client, method, path, bearer(world.street_admin), body)
    assert response.status_code in (404, 422)


def test_paths_no_endpoint_matches_answer_json(world: World, client: Client, bearer) -> None:
    for path in ("/api/v1/residents/abc", "/api/v1/care-plans/true", "/api/v1/nothing-here"):
        response = send(client, "get", path, bearer(world.street_admin))
        assert response.status_code in (404, 405, 422)
    assert send(client, "get", "/api/v1/nothing-here", {}).json()["code"] == "not_found"


def test_a_resident_cannot_be_moved_to_no_grid(world: World, client: Client, bearer) -> None:
    resident = resident_create(actor=None, grid=world.c01_g01, name="王芳", id_number=make_id_number())
    response = send(
        client, "patch", f"/api/v1/residents/{resident.pk}", bearer(world.street_admin), {"grid": None}
    )
    assert response.status_code == 400
    assert response.json()["field"] == "grid"
    assert Resident.objects.get(pk=resident.pk).grid == world.c01_g01


@pytest.mark.parametrize("answer", ["nan", "inf", "-inf", "1e999", "NaN"])
def test_number_answers_that_are_not_finite_are_refused(world: World, client: Client, bearer, answer) -> None:
    parent = case_services.category_create(actor=None, code="T", name="测试大类")
    case_services.category_create(
        actor=None,
        code="T-AREA",
        name="面积",
        parent=parent,
        questions=[{"code": "m2", "label": "面积", "datatype": "number"}],
    )
    body = {
        "category": "T-AREA",
        "channel": "walk_in",
        "title": "t",
        "description": "d",
        "area": "S01/C01",
        "attributes": {"m2": answer},
    }
    response = send(client, "post", "/api/v1/cases", bearer(world.street_admin), body)
    assert response.status_code == 400
    assert response.json()["field"] == "attribute[m2]"


def test_coordinates_that_are_not_numbers_are_refused(world: World, client: Client, bearer) -> None:
    parent = case_services.category_create(actor=None, code="T", name="测试大类")
    case_services.category_create(actor=None, code="T-X", name="其他", parent=parent)
    body = {"category": "T-X", "channel": "walk_in", "title": "t", "description": "d", "area": "S01/C01"}
    for lat in ("NaN", "Infinity", "-nan"):
        response = send(
            client,
            "post",
            "/api/v1/cases",
            bearer(world.street_admin),
            body | {"latitude": lat, "longitude": "120"},
        )
        assert response.status_code in (400, 422), response.content


def test_text_xml_cannot_carry_is_taken_out_at_intake(world: World, client: Client, bearer) -> None:
    """NUL made PostgreSQL refuse the row (a 500); U+FFFF and lone surrogates break every XML document later."""
    headers = bearer(world.street_admin)
    body = {
        "grid": "S01/C01/G01",
        "name": "王\x00芳",
        "id_number": make_id_number(),
        "notes": "备注\ud800\uffff\x01完",
    }
    response = client.post("/api/v1/residents", json.dumps(body), content_type="application/json", **headers)
    assert response.status_code == 201, response.content
    resident = Resident.objects.get()
    assert (resident.name, resident.notes) == ("王芳", "备注完")
    parent = case_services.category_create(actor=None, code="T", name="测试大类")
    case_services.category_create(actor=None, code="T-X", name="其他", parent=parent)
    case = {
        "category": "T-X",
        "channel": "walk_in",
        "title": "标题\x00",
        "description": "内容\uffff",
        "area": "S01/C01",
    }
    created = send(client, "post", "/api/v1/cases", headers, case)
    assert created.status_code == 201
    assert (created.json()["title"], created.json()["description"]) == ("标题", "内容")


def test_tokens_are_masked_in_log_lines() -> None:
    token = "linli_" + "Ab3_-x" * 7 + "z"
    line = f'"GET /open311/v2/requests.json?api_key={token}&status=open HTTP/1.1" 200 "https://x/?api_key=secret"'
    masked = mask_secrets(line)
    assert token not in masked
    assert "api_key=linli_Ab3_-x***&status=open" in masked  # the prefix `linli token list` shows
    assert "secret" not in masked
    record = logging.LogRecord(
        "django.server", logging.INFO, __file__, 1, '"%s" %s', (f"GET /?api_key={token}", 200), None
    )
    assert MaskSecrets().filter(record)
    assert token not in record.getMessage()
    assert "linli_Ab3_-x***" in record.getMessage()


def test_nul_in_a_search_is_no_server_error(world: World, client: Client, bearer) -> None:
    for path in ("/api/v1/residents?search=%00", "/api/v1/cases?search=a%00b", "/api/v1/diary?q=%00"):
        assert send(client, "get", path, bearer(world.street_admin)).status_code == 200
