"""The same keeping operations over the API: they call the same services, scoped and refused alike."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from linli.accounts.services import token_create
from linli.cases.models import Notification
from linli.registry.models import House, Resident, ResidentChange
from linli.registry.services import NEW_HOUSEHOLD, NewHouse, resident_create
from tests.factories import make_id_number


def headers(user) -> dict[str, Any]:
    _, key = token_create(actor=None, user=user, name="test")
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def send(url: str, data: Any, h: dict[str, Any], method: str = "post") -> Any:
    return getattr(Client(), method)(url, data=json.dumps(data or {}), content_type="application/json", **h)


@pytest.fixture
def wang(world):
    return resident_create(
        actor=None,
        grid=world.c01_g01,
        name="王芳",
        id_number=make_id_number("19800101", 2),
        house=NewHouse(building="8", entrance="2", room="1401"),
        household=NEW_HOUSEHOLD,
    )


def test_register_over_the_api_into_a_new_house_and_household(world):
    h = headers(world.grid_worker_c01_g01)
    body = {
        "grid": "S01/C01/G01",
        "name": "李四",
        "id_number": make_id_number(seq=5),
        "new_house": {"building": "9", "room": "101", "use": "rented"},
        "new_household": True,
    }
    response = send("/api/v1/residents", body, h)
    assert response.status_code == 201, response.content
    assert response.json()["house"] == "9-101"
    resident = Resident.objects.get(name="李四")
    assert resident.household.head == resident
    both = send("/api/v1/residents", body | {"house_id": resident.house_id, "name": "李五"}, h)
    assert both.status_code == 400
    assert both.json()["field"] == "house"


def test_an_id_registered_elsewhere_is_refused_over_the_api_and_still_reported(world, wang):
    response = send(
        "/api/v1/residents",
        {"grid": "S01/C02/G01", "name": "王芳", "id_number": wang.id_number},
        headers(world.grid_worker_c02_g01),
    )
    assert response.status_code == 400
    assert response.json()["detail"] == "该身份证号已在本系统其他辖区登记，请联系街道核实。"
    assert Notification.objects.filter(kind="duplicate_id", user=world.street_admin).exists()


def test_move_move_out_and_death_over_the_api(world, wang):
    h = headers(world.c01_worker)
    moved = send(
        f"/api/v1/residents/{wang.pk}/move",
        {"grid": "S01/C01/G02", "new_house": {"building": "12", "room": "301"}, "new_household": True},
        h,
    )
    assert moved.status_code == 200, moved.content
    assert (moved.json()["grid_path"], moved.json()["house"]) == ("S01/C01/G02", "12-301")
    out = send(
        f"/api/v1/residents/{wang.pk}/move-out", {"effective_date": "2026-05-01", "destination": "成都"}, h
    )
    assert out.json()["status"] == "moved_out"
    again = send(f"/api/v1/residents/{wang.pk}/move-out", {"effective_date": "2026-05-01"}, h)
    assert again.status_code == 400
    other = resident_create(
        actor=None, grid=world.c01_g01, name="李老", id_number=make_id_number("19300101", 7)
    )
    dead = send(f"/api/v1/residents/{other.pk}/death", {"date_of_death": "2026-05-02"}, h)
    assert dead.json()["status"] == "deceased"
    assert ResidentChange.objects.filter(resident=wang, kind="move").exists()
    listed = Client().get("/api/v1/residents?status=moved_out", **h).json()
    assert [r["name"] for r in listed["items"]] == ["王芳"]


def test_merge_and_tags_over_the_api(world, wang):
    duplicate = resident_create(
        actor=None, grid=world.c01_g02, name="王芳", id_number=make_id_number("19800101", 4)
    )
    refused = send(
        f"/api/v1/residents/{wang.pk}/merge", {"duplicate_id": duplicate.pk}, headers(world.c01_worker)
    )
    assert refused.status_code == 403
    merged = send(
        f"/api/v1/residents/{wang.pk}/merge", {"duplicate_id": duplicate.pk}, headers(world.c01_leader)
    )
    assert merged.status_code == 200, merged.content
    assert merged.json()["moved"]["history"] == 1
    assert Resident.objects.get(pk=duplicate.pk).status == "merged"
    h = headers(world.grid_worker_c01_g01)
    tagged = send(f"/api/v1/residents/{wang.pk}/tags", {"tag": "独居老人"}, h)
    assert tagged.json()["tags"] == ["独居老人"]
    assert send(f"/api/v1/residents/{wang.pk}/tags", {"tag": "低保"}, h).status_code == 400
    untagged = send(f"/api/v1/residents/{wang.pk}/tags/独居老人", None, h, method="delete")
    assert untagged.json()["tags"] == []


@pytest.mark.parametrize("who", ["viewer", "department"])
def test_viewers_and_department_handlers_are_refused_over_the_api(world, wang, who):
    h = headers(getattr(world, who))
    before = (Resident.objects.count(), House.objects.count(), ResidentChange.objects.count())
    attempts = [
        (
            "/api/v1/residents",
            {"grid": "S01/C01/G01", "name": "赵六", "id_number": make_id_number(seq=9)},
            "post",
        ),
        (f"/api/v1/residents/{wang.pk}", {"phone": "13912345678"}, "patch"),
        (
            f"/api/v1/residents/{wang.pk}/move",
            {"grid": "S01/C01/G02", "new_house": {"building": "1", "room": "1"}},
            "post",
        ),
        (f"/api/v1/residents/{wang.pk}/move-out", {"effective_date": "2026-05-01"}, "post"),
        (f"/api/v1/residents/{wang.pk}/death", {"date_of_death": "2026-05-01"}, "post"),
        (f"/api/v1/residents/{wang.pk}/tags", {"tag": "独居老人"}, "post"),
    ]
    for url, data, method in attempts:
        assert send(url, data, h, method).status_code == 403, url
    assert (Resident.objects.count(), House.objects.count(), ResidentChange.objects.count()) == before


def test_keeping_out_of_scope_is_404_over_the_api(world, wang):
    h = headers(world.grid_worker_c01_g02)
    assert (
        send(f"/api/v1/residents/{wang.pk}/move-out", {"effective_date": "2026-05-01"}, h).status_code == 404
    )
    assert send(f"/api/v1/residents/{wang.pk}/tags", {"tag": "独居老人"}, h).status_code == 404
    patch = send(f"/api/v1/residents/{wang.pk}", {"grid": None}, headers(world.c01_worker), "patch")
    assert patch.status_code == 400
