"""The volunteers API: scoped, masked, audited, and refusing bad input with plain messages."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from django.test import Client

from linli.core.models import AuditEntry
from linli.volunteers.models import RecordStatus, ServiceRecord, Volunteer
from linli.volunteers.tests.conftest import ELEVEN, NINE, VolunteerWorld
from tests.factories import make_id_number


def _post(c: Client, path: str, data: dict, headers: dict) -> Any:
    return c.post(path, json.dumps(data), content_type="application/json", **headers)


def test_list_is_scoped_masked_and_digit_searches_audited(vw: VolunteerWorld, bearer):
    c = Client()
    body = c.get("/api/v1/volunteers", **bearer(vw.w.c01_worker)).json()
    assert body["count"] == 3
    assert {i["phone"] for i in body["items"]} == {"138****0001", "138****0002", "138****0003"}
    found = c.get(f"/api/v1/volunteers?q={vw.cai.id_number[-4:]}", **bearer(vw.w.c01_worker)).json()
    assert [i["name"] for i in found["items"]] == ["蔡文姬"]
    assert AuditEntry.objects.filter(action="search_digits", actor=vw.w.c01_worker).count() == 1
    refused = c.get(f"/api/v1/volunteers?q={vw.cai.id_number[-7:]}", **bearer(vw.w.c01_worker))
    assert refused.status_code == 400
    assert c.get("/api/v1/volunteers", **bearer(vw.w.other_street_admin)).json()["count"] == 0
    assert c.get(f"/api/v1/volunteers/{vw.ann.pk}", **bearer(vw.w.other_street_admin)).status_code == 404


def test_register_and_refuse_bad_input_plainly(vw: VolunteerWorld, bearer):
    c, h = Client(), bearer(vw.w.c01_worker)
    data: dict[str, Any] = {
        "community": "S01/C01",
        "name": "邓超",
        "id_number": "123",
        "phone": "13800000040",
    }
    bad = _post(c, "/api/v1/volunteers", data, h)
    assert bad.status_code == 400
    assert bad.json()["field"] == "id_number"
    data["id_number"] = make_id_number("19900101", 41)
    data["skills"] = ["no-such-skill"]
    assert _post(c, "/api/v1/volunteers", data, h).json()["field"] == "skills"
    data["skills"] = ["elderly"]
    created = _post(c, "/api/v1/volunteers", data, h)
    assert created.status_code == 201
    assert created.json()["skills"] == ["elderly"]
    assert Volunteer.objects.filter(name="邓超").count() == 1


def test_publish_assign_roll_call_confirm(vw: VolunteerWorld, bearer, clock):
    c, h = Client(), bearer(vw.w.c01_worker)
    overlap = _post(
        c,
        "/api/v1/volunteer-activities",
        {
            "community": "S01/C01",
            "title": "清扫",
            "place": "3号楼",
            "starts_at": (NINE + timedelta(minutes=30)).isoformat(),
            "ends_at": (ELEVEN + timedelta(hours=1)).isoformat(),
            "capacity": 5,
        },
        h,
    ).json()
    first = _post(c, f"/api/v1/volunteer-activities/{vw.activity.pk}/assign", {"volunteer_id": vw.ann.pk}, h)
    assert first.status_code == 201
    clash = _post(c, f"/api/v1/volunteer-activities/{overlap['id']}/assign", {"volunteer_id": vw.ann.pk}, h)
    assert clash.status_code == 400
    assert clash.json()["code"] == "overlap"
    record = first.json()["id"]
    early = _post(c, f"/api/v1/service-records/{record}/roll-call", {"action": "in"}, h)
    assert early.json()["code"] == "outside_slot"
    clock.move_to(NINE)
    assert _post(c, f"/api/v1/service-records/{record}/roll-call", {"action": "in"}, h).status_code == 200
    clock.move_to(ELEVEN + timedelta(minutes=10))
    beyond = _post(
        c,
        f"/api/v1/service-records/{record}/correct",
        {
            "signed_in_at": NINE.isoformat(),
            "signed_out_at": (ELEVEN + timedelta(minutes=5)).isoformat(),
            "reason": "x",
        },
        h,
    )
    assert beyond.json()["code"] == "beyond_slot"
    confirmed = _post(c, f"/api/v1/volunteer-activities/{vw.activity.pk}/confirm", {}, h)
    assert confirmed.json() == {"confirmed": [record]}
    assert ServiceRecord.objects.get(pk=record).status == RecordStatus.CONFIRMED
    listed = c.get(f"/api/v1/service-records?volunteer_id={vw.ann.pk}", **h).json()
    assert listed["items"][0]["minutes"] == 120
    assert c.get(f"/api/v1/volunteers/{vw.ann.pk}", **h).json()["confirmed_minutes"] == 120
    assert (
        Client().get(f"/api/v1/service-records/{record}", **bearer(vw.w.grid_worker_c02_g01)).status_code
        == 404
    )
