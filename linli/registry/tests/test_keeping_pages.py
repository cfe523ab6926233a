"""The pages that keep residents, per role: who reaches them, what they write, what they refuse."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from linli.cases.models import Notification
from linli.core.models import AuditEntry
from linli.registry.models import Building, House, Household, Resident, ResidentChange, Tag
from linli.registry.services import NEW_HOUSEHOLD, NewHouse, resident_create
from tests.factories import make_id_number

KEEPERS = ["street_admin", "c01_leader", "c01_worker", "grid_worker_c01_g01"]
OTHERS = ["viewer", "department"]


@pytest.fixture
def wang(world):
    return resident_create(
        actor=None,
        grid=world.c01_g01,
        name="王芳",
        id_number=make_id_number("19800101", 2),
        phone="13800138000",
        house=NewHouse(building="8", entrance="2", room="1401"),
        household=NEW_HOUSEHOLD,
    )


def pages(resident: Resident) -> list[str]:
    return [
        reverse("registry:resident_new"),
        reverse("registry:resident_edit", args=[resident.pk]),
        reverse("registry:resident_move", args=[resident.pk]),
        reverse("registry:resident_move_out", args=[resident.pk]),
        reverse("registry:resident_death", args=[resident.pk]),
    ]


@pytest.mark.parametrize("who", KEEPERS)
def test_keepers_reach_every_page_and_see_the_actions(world, client_for, wang, who):
    client = client_for(getattr(world, who))
    for url in pages(wang):
        assert client.get(url).status_code == 200, url
    detail = client.get(reverse("registry:resident", args=[wang.pk])).content.decode()
    assert 'data-testid="resident-actions"' in detail
    assert "＋ 标签" in detail
    assert ("合并重复" in detail) == (who in ("street_admin", "c01_leader"))
    listing = client.get(reverse("registry:residents")).content.decode()
    assert "登记居民" in listing


@pytest.mark.parametrize("who", OTHERS)
def test_viewers_and_department_handlers_get_403_and_no_buttons(world, client_for, wang, who):
    client = client_for(getattr(world, who))
    for url in [*pages(wang), reverse("registry:resident_merge", args=[wang.pk]), reverse("registry:place")]:
        assert client.get(url).status_code == 403, url
    before = Resident.objects.count()
    response = client.post(
        reverse("registry:resident_new"), {"name": "赵六", "id_number": make_id_number(seq=9)}
    )
    assert response.status_code == 403
    assert client.post(reverse("registry:resident_tags", args=[wang.pk]), {"add": "1"}).status_code == 403
    assert Resident.objects.count() == before
    detail = client.get(reverse("registry:resident", args=[wang.pk]))
    if who == "viewer":
        assert 'data-testid="resident-actions"' not in detail.content.decode()
        assert "登记居民" not in client.get(reverse("registry:residents")).content.decode()


def test_pages_about_a_resident_out_of_scope_are_404(world, client_for, wang):
    client = client_for(world.grid_worker_c01_g02)
    for url in pages(wang)[1:]:
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("registry:resident_tags", args=[wang.pk]), {"add": "1"}).status_code == 404


def test_the_merge_page_is_for_those_who_may_see_full_numbers(world, client_for, wang):
    for who in ("c01_worker", "grid_worker_c01_g01"):
        response = client_for(getattr(world, who)).get(reverse("registry:resident_merge", args=[wang.pk]))
        assert response.status_code == 403


def register_form(grid_id: int, **values: str) -> dict[str, str]:
    return {
        "name": "李四",
        "id_number": make_id_number("19900101", 5),
        "phone": "139 0013 9000",
        "residence_type": "floating",
        "grid": str(grid_id),
        "building": "new",
        "building_number": "9",
        "house": "new",
        "entrance": "",
        "room": "101",
        "use": "rented",
        "household": "new",
        "relation_to_head": "",
    } | values


def test_a_grid_worker_registers_a_resident_into_a_new_house_and_household(world, client_for):
    client = client_for(world.grid_worker_c01_g01)
    page = client.get(reverse("registry:resident_new")).content.decode()
    # One grid: it is not asked; no building yet: a new one is offered at once.
    assert f'name="grid" value="{world.c01_g01.pk}"' in page
    assert "新楼栋号" in page
    response = client.post(reverse("registry:resident_new"), register_form(world.c01_g01.pk))
    resident = Resident.objects.get(name="李四")
    assert response.status_code == 302
    assert response["Location"] == reverse("registry:resident", args=[resident.pk])
    assert (str(resident.house), resident.house.use, resident.residence_type) == (
        "9-101",
        "rented",
        "floating",
    )
    assert resident.household.head == resident
    assert resident.phone == "13900139000"


def test_register_and_continue_returns_to_the_form_in_the_same_house(world, client_for, wang):
    client = client_for(world.grid_worker_c01_g01)
    form = register_form(
        world.c01_g01.pk,
        building=str(wang.house.building_id),
        house=str(wang.house_id),
        household=str(wang.household_id),
        relation_to_head="配偶",
        next="another",
    )
    response = client.post(reverse("registry:resident_new"), form)
    assert response.status_code == 302
    assert f"house={wang.house_id}" in response["Location"]
    page = client.get(response["Location"]).content.decode()
    assert f'<option value="{wang.household_id}">第 {wang.household_id} 户（户主 王芳）</option>' in page
    assert Household.objects.get(pk=wang.household_id).members.count() == 2


def test_a_refused_registration_shows_why_and_writes_nothing(world, client_for):
    client = client_for(world.grid_worker_c01_g01)
    before = (Resident.objects.count(), House.objects.count(), Building.objects.count())
    response = client.post(
        reverse("registry:resident_new"), register_form(world.c01_g01.pk, id_number="110105194912310021")
    )
    assert response.status_code == 400
    assert "身份证号校验位不正确" in response.content.decode()
    response = client.post(reverse("registry:resident_new"), register_form(world.c01_g01.pk, room=""))
    assert response.status_code == 400
    assert "请填写房号" in response.content.decode()
    assert (Resident.objects.count(), House.objects.count(), Building.objects.count()) == before


def test_a_number_registered_elsewhere_is_refused_on_the_page_and_reported_upwards(world, client_for, wang):
    client = client_for(world.grid_worker_c02_g01)
    response = client.post(
        reverse("registry:resident_new"), register_form(world.c02_g01.pk, id_number=wang.id_number)
    )
    text = response.content.decode()
    assert response.status_code == 400
    assert "该身份证号已在本系统其他辖区登记，请联系街道核实。" in text
    assert "锦绣" not in text
    assert "第一网格" not in text.split("该身份证号")[1][:40]
    assert Notification.objects.filter(kind="duplicate_id", user=world.street_admin).exists()
    assert not Building.objects.filter(grid=world.c02_g01).exists()


def test_the_place_fieldset_follows_the_choices(world, client_for, wang):
    client = client_for(world.c01_leader)
    url = reverse("registry:place")
    # Two grids in scope: the grid is asked.
    page = client.get(reverse("registry:resident_new")).content.decode()
    assert "请选择网格" in page
    assert "锦绣社区 · 第二网格" in page  # grid names repeat between communities
    page = client.get(url, {"grid": world.c01_g01.pk}).content.decode()
    assert f'<option value="{wang.house.building_id}">8栋</option>' in page
    page = client.get(url, {"grid": world.c01_g01.pk, "building": wang.house.building_id}).content.decode()
    assert f'<option value="{wang.house_id}">8-2-1401</option>' in page
    assert "＋ 新房屋" in page
    page = client.get(
        url, {"grid": world.c01_g01.pk, "building": wang.house.building_id, "house": wang.house_id}
    ).content.decode()
    assert "（户主 王芳）" in page
    # Another community's grid is not offered, and not served.
    page = client.get(url, {"grid": world.c02_g01.pk}).content.decode()
    assert "请选择楼栋" not in page


def test_editing_records_old_and_new_values(world, client_for, wang):
    client = client_for(world.grid_worker_c01_g01)
    form = {
        "name": "王芳",
        "id_number": wang.id_number,
        "phone": "13912345678",
        "residence_type": "registered",
    }
    response = client.post(reverse("registry:resident_edit", args=[wang.pk]), form)
    assert response.status_code == 302
    change = ResidentChange.objects.filter(resident=wang, kind="update").get()
    assert change.changes["phone"] == ["13800138000", "13912345678"]
    response = client.post(reverse("registry:resident_edit", args=[wang.pk]), form | {"phone": "12"})
    assert response.status_code == 400
    assert "联系电话格式不正确" in response.content.decode()


def test_moving_on_the_page_into_another_grid_of_the_community(world, client_for, wang):
    client = client_for(world.c01_worker)
    form = {
        "grid": str(world.c01_g02.pk),
        "building": "new",
        "building_number": "12",
        "house": "new",
        "room": "301",
        "use": "owner_occupied",
        "household": "new",
        "effective_date": "2026-03-01",
        "note": "购房",
    }
    response = client.post(reverse("registry:resident_move", args=[wang.pk]), form)
    assert response.status_code == 302
    wang.refresh_from_db()
    assert (wang.grid, str(wang.house)) == (world.c01_g02, "12-301")
    detail = client.get(reverse("registry:resident", args=[wang.pk])).content.decode()
    assert "迁居" in detail
    assert "8-2-1401 → 12-301" in detail


def test_moved_out_and_dead_residents_leave_the_list_but_are_found_with_a_filter(world, client_for, wang):
    other = resident_create(
        actor=None, grid=world.c01_g01, name="李老", id_number=make_id_number("19300101", 7)
    )
    client = client_for(world.grid_worker_c01_g01)
    response = client.post(
        reverse("registry:resident_move_out", args=[wang.pk]),
        {"effective_date": "2026-05-01", "destination": "成都", "note": ""},
    )
    assert response.status_code == 302
    response = client.post(
        reverse("registry:resident_death", args=[other.pk]), {"effective_date": "2026-05-02", "note": "病故"}
    )
    assert response.status_code == 302

    def names(**params: str) -> list[str]:
        page = client.get(reverse("registry:residents"), params).content.decode()
        return re.findall(r'href="/registry/residents/\d+/">([^<]+)</a>', page)

    assert names() == []
    assert names(q="wf") == []  # letters too: the default list is the register
    assert names(status="moved_out") == ["王芳"]
    assert names(status="deceased") == ["李老"]
    assert sorted(names(status="all")) == ["李老", "王芳"]
    assert names(status="all", q="wf") == ["王芳"]
    detail = client.get(reverse("registry:resident", args=[wang.pk])).content.decode()
    assert "迁出 2026-05-01" in detail
    assert "迁往：成都" in detail


def test_a_future_death_date_is_refused_on_the_page(world, client_for, wang):
    client = client_for(world.grid_worker_c01_g01)
    response = client.post(
        reverse("registry:resident_death", args=[wang.pk]), {"effective_date": "2999-01-01"}
    )
    assert response.status_code == 400
    assert "不能晚于今天" in response.content.decode()
    wang.refresh_from_db()
    assert wang.status == "active"


def test_a_leader_compares_two_records_in_full_and_merges_them(world, client_for, wang):
    duplicate = resident_create(
        actor=None, grid=world.c01_g02, name="王芳", id_number=make_id_number("19800101", 4)
    )
    client = client_for(world.c01_leader)
    url = reverse("registry:resident_merge", args=[wang.pk])
    page = client.get(url).content.decode()
    assert f"?duplicate={duplicate.pk}" in page  # the namesake is offered
    assert duplicate.id_number not in page  # masked until compared
    reveals = AuditEntry.objects.filter(action="reveal").count()
    page = client.get(url, {"duplicate": duplicate.pk}).content.decode()
    assert duplicate.id_number in page
    assert wang.id_number in page
    assert AuditEntry.objects.filter(action="reveal").count() == reveals + 2
    response = client.post(url, {"duplicate": duplicate.pk, "note": "号码录错"})
    assert response.status_code == 400  # not confirmed
    assert Resident.objects.get(pk=duplicate.pk).status == "active"
    response = client.post(url, {"duplicate": duplicate.pk, "note": "号码录错", "confirm": "on"})
    assert response.status_code == 302
    assert Resident.objects.get(pk=duplicate.pk).merged_into == wang
    page = client.get(reverse("registry:resident", args=[duplicate.pk])).content.decode()
    assert "已合并到" in page
    assert 'data-testid="resident-actions"' not in page


def test_tags_are_added_and_removed_in_place_with_htmx(world, client_for, wang):
    client = client_for(world.grid_worker_c01_g01)
    url = reverse("registry:resident_tags", args=[wang.pk])
    alone = Tag.objects.get(name="独居老人")
    page = client.post(url, {"add": alone.pk}, headers={"HX-Request": "true"}).content.decode()
    assert page.startswith('<div id="tags"')
    assert "独居老人" in page
    low_income = Tag.objects.get(name="低保")
    assert f'value="{low_income.pk}"' not in page  # sensitive tags are not offered to a grid worker
    response = client.post(url, {"add": low_income.pk}, headers={"HX-Request": "true"})
    assert response.status_code == 400
    assert "请选择标签" in response.content.decode()
    page = client.post(url, {"remove": alone.pk}, headers={"HX-Request": "true"}).content.decode()
    assert wang.tag_links.count() == 0
    assert client.post(url, {"add": alone.pk}).status_code == 302  # without htmx: back to the page


def test_the_house_page_starts_a_registration_in_that_house(world, client_for, wang):
    client = client_for(world.grid_worker_c01_g01)
    page = client.get(reverse("registry:house", args=[wang.house_id])).content.decode()
    link = re.search(r'href="(/registry/residents/new/\?[^"]+)"', page)
    assert link is not None
    form = client.get(link[1].replace("&amp;", "&")).content.decode()
    assert f'<option value="{wang.house_id}" selected>8-2-1401</option>' in form
    assert (
        "登记居民到此房"
        not in client_for(world.viewer).get(reverse("registry:house", args=[wang.house_id])).content.decode()
    )


def test_a_refusal_about_a_field_the_page_does_not_ask_is_still_shown(world, client_for, wang):
    """A grid worker's grid is not asked (they have one), and a new building hides the house list; the
    refusals about them must still be read."""
    client = client_for(world.grid_worker_c01_g01)
    form = register_form(
        world.c01_g01.pk, building="new", building_number="8", house="new", entrance="2", room="1401"
    )
    response = client.post(reverse("registry:resident_new"), form)
    assert response.status_code == 400
    assert "房屋 8-2-1401 已登记，请在列表中选择。" in response.content.decode()
