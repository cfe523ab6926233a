from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from linli.accounts.services import token_create
from linli.core.models import AuditEntry
from linli.registry.models import Building, Entrance, House, Resident, Tag
from linli.registry.selectors import search
from linli.registry.services import resident_create, resident_set_tags
from tests.factories import make_id_number


@pytest.fixture
def people(world):
    building = Building.objects.create(grid=world.c01_g01, number="8")
    entrance = Entrance.objects.create(building=building, number="2")
    house = House.objects.create(building=building, entrance=entrance, room_number="1401")
    zhang = resident_create(
        actor=None,
        grid=world.c01_g01,
        name="张三",
        id_number=make_id_number("19500101", 13),
        phone="13800138000",
        house=house,
    )
    resident_set_tags(actor=None, resident=zhang, tags=Tag.objects.filter(name__in=["低保", "独居老人"]))
    li = resident_create(
        actor=None,
        grid=world.c01_g02,
        name="李晓红",
        id_number=make_id_number("19880808", 24),
        phone="13912340001",
    )
    wang = resident_create(
        actor=None,
        grid=world.c02_g01,
        name="王张伟",
        id_number=make_id_number("19991231", 35),
        phone="0571-88886666",
    )
    return {"zhang": zhang, "li": li, "wang": wang}


def headers(user) -> dict[str, Any]:
    _, raw = token_create(actor=None, user=user)
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("张", {"张三", "王张伟"}),  # one character
        ("晓红", {"李晓红"}),  # two characters
        ("zhangsan", {"张三"}),  # full pinyin
        ("ZS", {"张三"}),  # initials
        ("lxh", {"李晓红"}),
        ("8000", {"张三"}),  # phone, last 4
        ("13800138000", {"张三"}),  # phone, full
        ("6666", {"王张伟"}),  # landline, last 4
        ("8-2-1401", {"张三"}),  # building-unit-room
        ("8-1401", {"张三"}),  # building-room
    ],
)
def test_one_search_box_finds_residents_every_way(people, query, expected):
    assert {r.name for r in search(Resident.objects.all(), query)} == expected


def test_search_by_the_last_digits_of_the_id_number(people):
    last6 = people["li"].id_number[-6:]
    assert [r.name for r in search(Resident.objects.all(), last6, any_suffix=True)] == ["李晓红"]
    assert [r.name for r in search(Resident.objects.all(), last6[-4:])] == ["李晓红"]
    # Without any_suffix (a user who may not reveal), only what the mask shows or the whole number.
    assert list(search(Resident.objects.all(), last6)) == []
    assert [r.name for r in search(Resident.objects.all(), people["li"].id_number)] == ["李晓红"]


def test_list_is_scoped_and_masked(world, people):
    body = Client().get("/api/v1/residents", **headers(world.grid_worker_c01_g01)).json()
    assert body["count"] == 1
    item = body["items"][0]
    assert item["name"] == "张三"
    assert item["id_number"] == people["zhang"].id_number[:4] + "*" * 10 + people["zhang"].id_number[-4:]
    assert item["phone"] == "138****8000"
    assert item["revealed"] is False
    assert (item["house"], item["grid_path"], item["tags"]) == ("8-2-1401", "S01/C01/G01", ["独居老人"])
    # A search answered from an index lists the same row, and the resident's own page agrees with it.
    h = headers(world.grid_worker_c01_g01)
    assert Client().get("/api/v1/residents?search=张三", **h).json()["items"] == [item]
    assert Client().get("/api/v1/residents?search=zs", **h).json()["items"] == [item]
    assert Client().get(f"/api/v1/residents/{item['id']}", **h).json() == item


def test_sensitive_tags_are_hidden_from_grid_workers(world, people):
    worker = Client().get("/api/v1/residents", **headers(world.grid_worker_c01_g01)).json()["items"][0]
    leader = Client().get("/api/v1/residents", **headers(world.c01_leader)).json()["items"]
    assert worker["tags"] == ["独居老人"]
    assert {t for i in leader for t in i["tags"]} == {"独居老人", "低保"}
    by_sensitive_tag = Client().get("/api/v1/residents?tag=低保", **headers(world.grid_worker_c01_g01)).json()
    assert by_sensitive_tag["count"] == 0


def test_filters_and_search_over_the_api(world, people):
    h = headers(world.street_admin)
    assert Client().get("/api/v1/residents?grid=S01/C02", **h).json()["count"] == 1
    assert Client().get("/api/v1/residents?search=zs", **h).json()["items"][0]["name"] == "张三"
    assert Client().get("/api/v1/residents?tag=elderly_alone", **h).json()["count"] == 1
    assert Client().get("/api/v1/residents?residence_type=alien", **h).status_code == 422


def test_out_of_scope_resident_is_404(world, people):
    h = headers(world.grid_worker_c01_g01)
    assert Client().get(f"/api/v1/residents/{people['li'].pk}", **h).status_code == 404
    assert Client().get(f"/api/v1/residents/{people['zhang'].pk}", **h).status_code == 200


def test_reveal_is_permitted_only_to_some_roles_and_always_audited(world, people):
    url = f"/api/v1/residents/{people['zhang'].pk}?reveal=true"
    refused = Client().get(url, **headers(world.grid_worker_c01_g01))
    assert refused.status_code == 403
    assert not AuditEntry.objects.filter(action="reveal").exists()
    shown = Client().get(url, **headers(world.c01_leader)).json()
    assert shown["id_number"] == people["zhang"].id_number
    assert shown["phone"] == "13800138000"
    entry = AuditEntry.objects.get(action="reveal")
    assert entry.actor == world.c01_leader
    assert entry.object_id == str(people["zhang"].pk)
    assert entry.area_path == "S01/C01/G01"
    assert entry.via == "api"


def post(client: Client, url: str, data: dict[str, Any], h: dict[str, Any], method: str = "post") -> Any:
    import json

    return getattr(client, method)(url, data=json.dumps(data), content_type="application/json", **h)


def test_create_over_the_api_is_scoped_validated_and_masked(world):
    h = headers(world.grid_worker_c01_g01)
    number = make_id_number("19700101", 91)
    created = post(
        Client(),
        "/api/v1/residents",
        {
            "grid": "S01/C01/G01",
            "name": "韩七",
            "id_number": number,
            "phone": "13700000000",
            "tags": ["独居老人"],
        },
        h,
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["id_number"] != number
    assert body["tags"] == ["独居老人"]
    bad = post(Client(), "/api/v1/residents", {"grid": "S01/C01/G01", "name": "韩八", "id_number": "123"}, h)
    assert bad.status_code == 400
    assert bad.json()["field"] == "id_number"
    elsewhere = post(
        Client(),
        "/api/v1/residents",
        {"grid": "S01/C01/G02", "name": "韩九", "id_number": make_id_number(seq=93)},
        h,
    )
    assert elsewhere.status_code == 404
    sensitive = post(
        Client(),
        "/api/v1/residents",
        {"grid": "S01/C01/G01", "name": "韩十", "id_number": make_id_number(seq=95), "tags": ["低保"]},
        h,
    )
    assert sensitive.status_code == 400
    assert not Resident.objects.filter(name="韩十").exists()  # nothing half-written


def test_update_over_the_api(world, people):
    h = headers(world.c01_worker)
    url = f"/api/v1/residents/{people['zhang'].pk}"
    response = post(Client(), url, {"phone": "13600000000", "tags": ["独居老人", "低保"]}, h, method="patch")
    assert response.status_code == 200, response.content
    assert response.json()["phone"] == "136****0000"
    people["zhang"].refresh_from_db()
    assert people["zhang"].phone == "13600000000"
    assert (
        post(Client(), f"/api/v1/residents/{people['wang'].pk}", {"name": "x"}, h, method="patch").status_code
        == 404
    )
    viewer = post(Client(), url, {"name": "x"}, headers(world.viewer), method="patch")
    assert viewer.status_code == 403


def test_a_short_name_search_over_the_api_comes_from_the_name_index_within_scope(world, people):
    """One or two characters: page and count come from the name index, still scoped and filtered."""
    admin, worker = headers(world.street_admin), headers(world.grid_worker_c01_g01)
    found = Client().get("/api/v1/residents?search=张", **admin).json()
    assert found["count"] == 2
    assert {r["name"] for r in found["items"]} == {"张三", "王张伟"}
    assert found["items"][0]["id_number"].count("*") > 0  # masked as on every other page
    mine = Client().get("/api/v1/residents?search=张", **worker).json()
    assert (mine["count"], [r["name"] for r in mine["items"]]) == (1, ["张三"])
    in_grid = Client().get("/api/v1/residents?search=张&grid=S01/C02", **admin).json()
    assert [r["name"] for r in in_grid["items"]] == ["王张伟"]
    assert Client().get("/api/v1/residents?search=张&page=2", **admin).json()["items"] == []
    # Other filters take the general path; a move to another grid moves the name index too.
    assert Client().get("/api/v1/residents?search=张&tag=elderly_alone", **admin).json()["count"] == 1
    from linli.registry.services import resident_update

    resident_update(actor=None, resident=people["wang"], grid=world.c01_g01)
    assert Client().get("/api/v1/residents?search=张", **worker).json()["count"] == 2


def test_a_pinyin_search_over_the_api_pages_and_counts_each_person_once_within_scope(world, people):
    """Letters match a pinyin or an initials prefix; someone matching both counts once; pages list
    alphabetically by pinyin; scope, grid and other filters still apply."""
    admin, worker = headers(world.street_admin), headers(world.grid_worker_c01_g01)
    for i, name in enumerate(["周正", "赵子龙", "朱珠"]):  # zhouzheng/zz, zhaozilong/zzl, zhuzhu/zz
        resident_create(
            actor=None, grid=world.c01_g01, name=name, id_number=make_id_number("19700101", 50 + i)
        )
    # "z": 张三 (pinyin and initials), 王张伟 (neither: wangzhangwei/wzw), the three above (both).
    found = Client().get("/api/v1/residents?search=z", **admin).json()
    assert found["count"] == 4
    assert [r["name"] for r in found["items"]] == ["张三", "赵子龙", "周正", "朱珠"]
    assert found["count_exact"] is True
    # "zz": initials only (周正, 赵子龙, 朱珠); "zh": pinyin only (张三, 周正, 赵子龙, 朱珠).
    assert Client().get("/api/v1/residents?search=zz", **admin).json()["count"] == 3
    zh = Client().get("/api/v1/residents?search=ZH", **admin).json()
    assert (zh["count"], len(zh["items"])) == (4, 4)
    assert Client().get("/api/v1/residents?search=wzw", **worker).json()["count"] == 0  # another grid
    in_grid = Client().get("/api/v1/residents?search=wzw&grid=S01/C02", **admin).json()
    assert [r["name"] for r in in_grid["items"]] == ["王张伟"]
    beyond = Client().get("/api/v1/residents?search=z&page=2", **admin).json()
    assert (beyond["count"], beyond["items"]) == (4, [])
    # With another filter the general path answers, with the same matches.
    tagged = Client().get("/api/v1/residents?search=z&tag=elderly_alone", **admin).json()
    assert [r["name"] for r in tagged["items"]] == ["张三"]


def test_a_pinyin_page_lists_pinyin_matches_first_then_initials_only_ones_across_pages(world, people):
    """ "zh": those whose pinyin starts with it (张三, 赵子龙, 周正, 朱珠) alphabetically, then those
    whose initials alone match (邹红, 左辉); every page continues where the last one stopped."""
    from linli.registry.selectors import pinyin_page

    for i, name in enumerate(["周正", "邹红", "赵子龙", "左辉", "朱珠"]):
        resident_create(
            actor=None, grid=world.c01_g01, name=name, id_number=make_id_number("19700101", 50 + i)
        )
    names = dict(Resident.objects.values_list("pk", "name"))

    def page(start: int, size: int) -> list[str]:
        return [names[i] for i in pinyin_page(world.street_admin, "zh", start=start, size=size).ids]

    everyone = ["张三", "赵子龙", "周正", "朱珠", "邹红", "左辉"]
    assert page(0, 10) == everyone
    for size in (1, 2, 3, 4, 5):
        paged = [name for start in range(0, 8, size) for name in page(start, size)]
        assert paged == everyone, size
    assert page(6, 3) == []
    found = pinyin_page(world.street_admin, "zh", start=0, size=2)
    assert (found.count, found.count_exact) == (6, True)
    # One letter: initials and pinyin share their first letter, so the initials add no one.
    z = pinyin_page(world.street_admin, "z", start=0, size=10)
    assert [names[i] for i in z.ids] == ["张三", "赵子龙", "周正", "朱珠", "邹红", "左辉"]  # not 王张伟


def test_a_search_matching_more_than_the_cap_says_so_instead_of_counting_everyone(world, people, settings):
    """Above LINLI_SEARCH_COUNT_CAP, a name or pinyin search reports the cap and count_exact false;
    the page itself is unaffected."""
    admin = headers(world.street_admin)
    for i, name in enumerate(["张伟", "张敏", "张静"]):
        resident_create(
            actor=None, grid=world.c01_g01, name=name, id_number=make_id_number("19800101", 60 + i)
        )
    settings.LINLI_SEARCH_COUNT_CAP = 3
    by_name = Client().get("/api/v1/residents?search=张", **admin).json()  # 张三, 王张伟 and three more
    assert (by_name["count"], by_name["count_exact"], len(by_name["items"])) == (3, False, 5)
    by_pinyin = Client().get("/api/v1/residents?search=zh", **admin).json()  # 张三 and the three
    assert (by_pinyin["count"], by_pinyin["count_exact"], len(by_pinyin["items"])) == (3, False, 4)
    settings.LINLI_SEARCH_COUNT_CAP = 5
    exact = Client().get("/api/v1/residents?search=张", **admin).json()
    assert (exact["count"], exact["count_exact"]) == (5, True)
    # Other searches count exactly, whatever the cap.
    settings.LINLI_SEARCH_COUNT_CAP = 0
    assert Client().get("/api/v1/residents?search=8000", **admin).json()["count_exact"] is True


def test_population_counts_are_scoped_count_only_the_register_and_hide_sensitive_tags(world, people):
    people["li"].status = Resident.Status.MOVED_OUT  # left the register: no longer counted
    people["li"].save(update_fields=["status"])
    admin = Client().get("/api/v1/resident-counts", **headers(world.street_admin)).json()
    assert [g["path"] for g in admin["grids"]] == ["S01/C01/G01", "S01/C02/G01"]
    assert admin["total"]["total"] == 2
    assert admin["total"]["by_residence_type"] == {"permanent": 2}
    assert admin["total"]["by_tag"] == {"低保": 1, "独居老人": 1}
    worker = Client().get("/api/v1/resident-counts", **headers(world.grid_worker_c01_g01)).json()
    assert [(g["path"], g["total"]) for g in worker["grids"]] == [("S01/C01/G01", 1)]
    assert worker["total"]["by_tag"] == {"独居老人": 1}  # 低保 is sensitive
    under = Client().get("/api/v1/resident-counts?area=S01/C02", **headers(world.street_admin)).json()
    assert [(g["path"], g["total"]) for g in under["grids"]] == [("S01/C02/G01", 1)]


def test_population_counts_of_an_area_out_of_scope_are_404(world, people):
    h = headers(world.grid_worker_c01_g01)
    assert Client().get("/api/v1/resident-counts?area=S01/C02", **h).status_code == 404
    assert Client().get("/api/v1/resident-counts?area=S02", **headers(world.street_admin)).status_code == 404
