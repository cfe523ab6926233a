from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from django.test import Client

from linli.accounts.models import ApiToken
from linli.accounts.services import token_create, token_revoke, user_set_active
from linli.areas.models import Area

SNAPSHOT = Path(__file__).with_name("openapi.snapshot.json")


def test_health_needs_no_login(db, client):
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["database"] == "ok"


def test_requests_without_credentials_get_401(db, client):
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert "Bearer" in response.json()["detail"]


def test_me_describes_the_caller(world, client, bearer):
    body = client.get("/api/v1/me", **bearer(world.grid_worker_c01_g01)).json()
    assert body["username"] == "c01g01"
    assert body["role"] == "grid_worker"
    assert [a["path"] for a in body["areas"]] == ["S01/C01/G01"]
    assert "reveal_personal" not in body["capabilities"]


def test_token_is_stored_only_as_a_hash(world):
    token, raw = token_create(actor=None, user=world.c01_worker)
    assert raw.startswith("linli_")
    assert len(raw) > 40
    stored = ApiToken.objects.get(pk=token.pk)
    assert raw not in {stored.key_hash, stored.lookup_prefix}
    assert stored.key_hash == ApiToken.hash_key(raw)


def test_revoked_tokens_and_disabled_users_are_refused(world, client):
    token, raw = token_create(actor=None, user=world.c01_worker)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    assert client.get("/api/v1/me", **headers).status_code == 200
    token_revoke(actor=None, token=token)
    assert client.get("/api/v1/me", **headers).status_code == 401
    _, raw2 = token_create(actor=None, user=world.c01_leader)
    user_set_active(actor=None, user=world.c01_leader, active=False)
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw2}").status_code == 401


def test_garbage_bearer_tokens_are_refused(world, client):
    for value in ["Bearer nonsense", "Bearer linli_" + "x" * 43, "Basic abc", "Bearer " + "linli_" * 100]:
        assert client.get("/api/v1/me", HTTP_AUTHORIZATION=value).status_code == 401


def test_area_list_is_scoped_for_a_grid_worker(world, client, bearer):
    body = client.get("/api/v1/areas", **bearer(world.grid_worker_c01_g01)).json()
    assert body["count"] == 1
    assert body["items"][0]["path"] == "S01/C01/G01"


def test_area_list_filters(world, client, bearer):
    headers = bearer(world.street_admin)
    grids = client.get("/api/v1/areas?kind=grid", **headers).json()
    assert {i["path"] for i in grids["items"]} == {"S01/C01/G01", "S01/C01/G02", "S01/C02/G01"}
    under = client.get("/api/v1/areas?under=s01/c02", **headers).json()
    assert {i["path"] for i in under["items"]} == {"S01/C02", "S01/C02/G01"}
    children = client.get(f"/api/v1/areas?parent_id={world.s01.pk}", **headers).json()
    assert {i["code"] for i in children["items"]} == {"C01", "C02"}
    bad = client.get("/api/v1/areas?kind=planet", **headers)
    assert bad.status_code == 422


@pytest.mark.parametrize("path", ["/api/v1/areas/{pk}", "/api/v1/areas/{pk}/assignments"])
def test_grid_worker_of_g01_gets_404_for_another_grid(world, client, bearer, path):
    headers = bearer(world.grid_worker_c01_g01)
    assert client.get(path.format(pk=world.c01_g02.pk), **headers).status_code == 404
    assert client.get(path.format(pk=world.c01_g01.pk), **headers).status_code == 200


def test_assignments_of_a_community(world, client, bearer):
    body = client.get(f"/api/v1/areas/{world.c01.pk}/assignments", **bearer(world.c01_leader)).json()
    assert {(a["grid"]["path"], a["user"]["username"]) for a in body} == {
        ("S01/C01/G01", "c01g01"),
        ("S01/C01/G02", "c01g02"),
    }


def test_street_admin_creates_and_updates_an_area(world, client, bearer):
    headers = bearer(world.street_admin)
    created = client.post(
        "/api/v1/areas",
        data=json.dumps({"parent_id": world.c02.pk, "kind": "grid", "code": "G02", "name": "第二网格"}),
        content_type="application/json",
        **headers,
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert created.json()["path"] == "S01/C02/G02"
    patched = client.patch(
        f"/api/v1/areas/{pk}",
        data=json.dumps({"name": "第二网格（新）"}),
        content_type="application/json",
        **headers,
    )
    assert patched.status_code == 200
    assert Area.objects.get(pk=pk).name == "第二网格（新）"


def test_bad_area_input_gets_a_clear_400(world, client, bearer):
    response = client.post(
        "/api/v1/areas",
        data=json.dumps({"parent_id": world.c02.pk, "kind": "grid", "code": "G01", "name": "重复"}),
        content_type="application/json",
        **bearer(world.street_admin),
    )
    assert response.status_code == 400
    assert response.json() == {"detail": "编码 G01 在同一上级下已存在。", "field": "code", "code": "invalid"}


def test_grid_worker_cannot_create_areas_over_the_api(world, client, bearer):
    response = client.post(
        "/api/v1/areas",
        data=json.dumps({"parent_id": world.c01_g01.pk, "kind": "grid", "code": "G01-1", "name": "x"}),
        content_type="application/json",
        **bearer(world.grid_worker_c01_g01),
    )
    assert response.status_code == 403


def test_creating_under_an_out_of_scope_parent_is_404(world, client, bearer):
    response = client.post(
        "/api/v1/areas",
        data=json.dumps({"parent_id": world.s02_c01.pk, "kind": "grid", "code": "G01", "name": "x"}),
        content_type="application/json",
        **bearer(world.street_admin),
    )
    assert response.status_code == 404


def test_session_auth_needs_csrf_for_writes(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.street_admin)
    assert client.get("/api/v1/me").status_code == 200
    response = client.post(
        "/api/v1/areas",
        data=json.dumps({"parent_id": world.c02.pk, "kind": "grid", "code": "G05", "name": "x"}),
        content_type="application/json",
    )
    assert response.status_code in {401, 403}
    assert not Area.objects.filter(path="S01/C02/G05").exists()


def test_openapi_schema_matches_the_snapshot(db, client):
    """The API is a contract: any change to it shows up here and is reviewed.

    Regenerate deliberately with LINLI_UPDATE_SNAPSHOTS=1.
    """
    schema = client.get("/api/v1/openapi.json").json()
    rendered = json.dumps(schema, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    if os.environ.get("LINLI_UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.write_text(rendered, encoding="utf-8")
    assert SNAPSHOT.exists(), "no snapshot yet: run once with LINLI_UPDATE_SNAPSHOTS=1"
    assert rendered == SNAPSHOT.read_text(encoding="utf-8")


def test_api_docs_page_uses_only_vendored_assets(db, client):
    body = client.get("/api/v1/docs").content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in body
    # Every asset the page loads is ours. (Not a bare "cdn" substring: the page carries a random
    # token, which once contained those three letters.)
    urls = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)""", body)
    assert urls
    assert all(u.startswith("/") and not u.startswith("//") for u in urls), urls
    assert not re.search(r"jsdelivr|unpkg|cdnjs|https?://", body.lower())
