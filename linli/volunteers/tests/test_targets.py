"""An activity's target residents and houses (服务对象): the picker searches the organiser's scope by name or
door number and never by ID or phone digits; the service keeps targets inside the activity's community; the
staff page lists them, and a booked volunteer's card shows only a masked name and the door."""

from __future__ import annotations

from datetime import timedelta

import pytest

from linli.core.errors import DomainError
from linli.core.models import AuditEntry
from linli.registry.models import House, Resident
from linli.registry.services import house_create, resident_create
from linli.volunteers import selectors, services
from linli.volunteers.models import Activity
from linli.volunteers.tests.conftest import ELEVEN, NINE, VolunteerWorld
from tests.factories import make_id_number


@pytest.fixture
def homes(vw: VolunteerWorld) -> tuple[House, Resident, Resident]:
    """3-2-501 in C01/G01 with 张桂芬 (an elderly neighbour), and 张德明 of C02 (another community)."""
    house = house_create(actor=None, grid=vw.w.c01_g01, building="3", entrance="2", room="501")
    gui = resident_create(
        actor=None,
        grid=vw.w.c01_g01,
        name="张桂芬",
        id_number=make_id_number("19400202", 7),
        phone="13900000007",
        house=house,
    )
    other = resident_create(
        actor=None, grid=vw.w.c02_g01, name="张德明", id_number=make_id_number("19450303", 8)
    )
    return house, gui, other


def _form(vw: VolunteerWorld, **extra: object) -> dict[str, object]:
    return {
        "community": vw.w.c01.pk,
        "title": "上门理发",
        "place": "3 号楼",
        "starts_at": (NINE + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (ELEVEN + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
        "capacity": 2,
        **extra,
    }


def test_search_finds_residents_by_name_and_houses_by_door_in_the_community_only(vw, homes):
    house, gui, other = homes
    found = selectors.target_search(vw.w.c01_worker, vw.w.c01, "张")
    assert [(r.kind, r.label, r.place) for r in found] == [("resident", "张桂芬", "3-2-501")]
    assert found[0].detail.endswith("岁")
    by_pinyin = selectors.target_search(vw.w.c01_worker, vw.w.c01, "zgf")
    assert [r.pk for r in by_pinyin] == [gui.pk]
    by_door = selectors.target_search(vw.w.c01_worker, vw.w.c01, "3-2-501")
    assert {(r.kind, r.pk) for r in by_door} == {("house", house.pk), ("resident", gui.pk)}
    # C02's 张德明 is outside the community; a C02 grid worker finds nobody of C01
    assert other.pk not in {r.pk for r in found}
    assert selectors.target_search(vw.w.grid_worker_c02_g01, vw.w.c01, "张") == []


def test_search_by_id_or_phone_digits_is_refused(vw, homes):
    _, gui, _ = homes
    for query in (gui.id_number[-4:], "13900000007"):
        with pytest.raises(DomainError, match="姓名、拼音或门牌"):
            selectors.target_search(vw.w.c01_worker, vw.w.c01, query)


def test_the_picker_endpoint_shows_no_numbers_and_keeps_what_is_ticked(vw, homes, client_for):
    house, gui, _ = homes
    c = client_for(vw.w.c01_worker)
    page = c.get(
        "/volunteers/activities/targets/",
        {"target_q": "3-2-501", "community": vw.w.c01.pk},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert f'name="target_residents" value="{gui.pk}"' in page
    assert f'name="target_houses" value="{house.pk}"' in page
    assert gui.id_number not in page
    assert gui.id_number[-4:] not in page
    assert "13900000007" not in page
    # ticked ones stay (checked) when the box searches for someone else
    page = c.get(
        "/volunteers/activities/targets/",
        {"target_q": "薄", "community": vw.w.c01.pk, "target_houses": house.pk},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert f'name="target_houses" value="{house.pk}" checked' in page
    assert "没有找到" in page
    refused = c.get(
        "/volunteers/activities/targets/",
        {"target_q": gui.id_number[-4:], "community": vw.w.c01.pk},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert "姓名、拼音或门牌" in refused
    # a grid worker may not organise activities
    assert client_for(vw.w.grid_worker_c01_g01).get("/volunteers/activities/targets/").status_code == 403


def test_find_button_redisplays_the_form_unsaved_then_publish_saves_targets(vw, homes, client_for):
    house, gui, _ = homes
    c = client_for(vw.w.c01_worker)
    before = Activity.objects.count()
    page = c.post("/volunteers/activities/new/", _form(vw, target_q="张桂", find_targets="1"))
    assert page.status_code == 200
    assert Activity.objects.count() == before
    assert f'value="{gui.pk}"' in page.content.decode()
    response = c.post(
        "/volunteers/activities/new/", _form(vw, target_residents=[gui.pk], target_houses=[house.pk])
    )
    assert response.status_code == 302
    activity = Activity.objects.get(title="上门理发")
    assert list(activity.target_residents.all()) == [gui]
    assert list(activity.target_houses.all()) == [house]
    detail = c.get(f"/volunteers/activities/{activity.pk}/").content.decode()
    assert "张桂芬" in detail
    assert "3-2-501" in detail


def test_a_target_outside_the_scope_or_community_is_refused_and_nothing_written(vw, homes, client_for):
    _, _, other = homes
    c = client_for(vw.w.c01_worker)
    before = Activity.objects.count()
    response = c.post("/volunteers/activities/new/", _form(vw, target_residents=[other.pk]))
    assert response.status_code == 400
    assert "不在您的管辖范围内" in response.content.decode()
    # the service refuses another community's resident even for a street admin who may see both
    with pytest.raises(DomainError, match="不是本社区的在册居民"):
        services.activity_create(
            actor=vw.w.street_admin,
            community=vw.w.c01,
            title="上门理发",
            place="3 号楼",
            starts_at=NINE + timedelta(days=1),
            ends_at=ELEVEN + timedelta(days=1),
            capacity=2,
            target_residents=[Resident.objects.select_related("grid").get(pk=other.pk)],
        )
    assert Activity.objects.count() == before


def test_changing_targets_is_audited(vw, homes):
    house, gui, _ = homes
    services.activity_update(
        actor=vw.w.c01_worker,
        activity=vw.activity,
        target_residents=[Resident.objects.select_related("grid").get(pk=gui.pk)],
        target_houses=[House.objects.select_related("building__grid").get(pk=house.pk)],
    )
    entry = AuditEntry.objects.filter(object_type="volunteers.activity", action="update").latest("pk")
    assert entry.changes["target_residents"] == [[], [gui.pk]]
    assert entry.changes["target_houses"] == [[], [house.pk]]


def test_a_booked_volunteer_sees_a_masked_name_and_the_door_on_the_card(vw, homes, client):
    house, gui, _ = homes
    services.activity_update(
        actor=vw.w.c01_worker,
        activity=vw.activity,
        target_residents=[Resident.objects.select_related("grid").get(pk=gui.pk)],
    )
    services.activity_sign_up(volunteer=vw.ann, activity=vw.activity)
    page = client.get(f"/v/card/{services.card_token(vw.ann)}/").content.decode()
    assert "张*芬（3-2-501）" in page
    assert "张桂芬" not in page
    assert gui.id_number[-4:] not in page
    # not booked: the open activity lists no one
    bo_page = client.get(f"/v/card/{services.card_token(vw.bo)}/").content.decode()
    assert "张*芬" not in bo_page
