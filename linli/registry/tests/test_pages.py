from __future__ import annotations

import io
import re
from datetime import date

import openpyxl
import pytest
import time_machine
from django.urls import reverse

from linli.core.models import AuditEntry
from linli.registry.models import Building, House, Household, Tag
from linli.registry.services import resident_create, resident_set_tags, resident_update
from tests.factories import make_id_number


@pytest.fixture
def zhang(world):
    house = House.objects.create(
        building=Building.objects.create(grid=world.c01_g01, number="8"), room_number="1401"
    )
    household = Household.objects.create(house=house)
    resident = resident_create(
        actor=None,
        grid=world.c01_g01,
        name="张三",
        id_number=make_id_number("19500101", 11),
        phone="13800138000",
        house=house,
        household=household,
        relation_to_head="户主",
    )
    resident_set_tags(actor=None, resident=resident, tags=Tag.objects.filter(name__in=["低保", "独居老人"]))
    resident_update(actor=None, resident=resident, phone="13900139000")
    return resident


@pytest.fixture
def li(world):
    return resident_create(
        actor=None, grid=world.c01_g02, name="李四", id_number=make_id_number("19900101", 23)
    )


def test_list_masks_numbers_and_shows_only_the_scope(world, client_for, zhang, li):
    body = client_for(world.grid_worker_c01_g01).get(reverse("registry:residents")).content.decode()
    assert "张三" in body
    assert "李四" not in body
    assert zhang.id_number not in body
    assert "139****9000" in body


def test_sensitive_tags_are_hidden_from_grid_workers_everywhere(world, client_for, zhang):
    client = client_for(world.grid_worker_c01_g01)
    for url in (reverse("registry:residents"), reverse("registry:resident", args=[zhang.pk])):
        body = client.get(url).content.decode()
        assert "独居老人" in body
        assert "低保" not in body
    assert (
        "低保"
        in client_for(world.c01_worker).get(reverse("registry:resident", args=[zhang.pk])).content.decode()
    )


@pytest.mark.parametrize("name", ["registry:resident", "registry:household", "registry:house"])
def test_registry_pages_out_of_scope_are_404(world, client_for, zhang, name):
    target = {
        "registry:resident": zhang.pk,
        "registry:household": zhang.household_id,
        "registry:house": zhang.house_id,
    }
    url = reverse(name, args=[target[name]])
    assert client_for(world.grid_worker_c01_g02).get(url).status_code == 404
    assert client_for(world.grid_worker_c01_g01).get(url).status_code == 200


def test_reveal_is_a_post_allowed_to_leaders_and_audited(world, client_for, zhang):
    url = reverse("registry:reveal", args=[zhang.pk])
    assert client_for(world.grid_worker_c01_g01).post(url).status_code == 403
    assert client_for(world.c01_leader).get(url).status_code == 405
    response = client_for(world.c01_leader).post(url, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert zhang.id_number in body
    assert "13900139000" in body
    assert "<html" not in body
    assert AuditEntry.objects.filter(action="reveal", actor=world.c01_leader).count() == 1
    assert client_for(world.grid_worker_c01_g02).post(url).status_code == 404


def test_detail_history_masks_personal_numbers(world, client_for, zhang):
    body = client_for(world.c01_leader).get(reverse("registry:resident", args=[zhang.pk])).content.decode()
    assert "联系电话" in body
    assert "138****8000 → 139****9000" in body
    assert "13800138000" not in body


def test_filters_search_and_htmx_partial(world, client_for, zhang, li):
    client = client_for(world.c01_leader)
    url = reverse("registry:residents")
    assert "张三" in client.get(url, {"q": "zs"}).content.decode()
    assert "张三" not in client.get(url, {"q": "ls"}).content.decode()
    assert "李四" in client.get(url, {"age": "18-59"}).content.decode()
    assert "张三" not in client.get(url, {"age": "18-59"}).content.decode()
    assert "张三" in client.get(url, {"building": "8栋"}).content.decode()
    tag = Tag.objects.get(name="低保")
    assert "张三" in client.get(url, {"tag": tag.pk}).content.decode()
    partial = client.get(url, {"q": "张"}, HTTP_HX_REQUEST="true").content.decode()
    assert 'id="results"' in partial
    assert "<html" not in partial
    # Last: the pinned clock would otherwise outlive the session it saves.
    with time_machine.travel(date(2026, 11, 22), tick=False):  # 张三 was born in 1950: 76
        assert "张三" in client.get(url, {"age": "60-79"}).content.decode()
        assert "张三" not in client.get(url, {"age": "80-"}).content.decode()


def test_a_grid_worker_cannot_filter_by_a_sensitive_tag(world, client_for, zhang):
    tag = Tag.objects.get(name="低保")
    response = client_for(world.grid_worker_c01_g01).get(reverse("registry:residents"), {"tag": tag.pk})
    assert "选择一个有效的选项" in response.content.decode()


def test_export_from_the_list_downloads_the_filtered_scope_and_is_audited(world, client_for, zhang, li):
    response = client_for(world.c01_leader).post(reverse("registry:export") + "?q=zs")
    assert response.status_code == 200
    rows = list(openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.values)
    assert [r[0] for r in rows[1:]] == ["张三"]
    assert rows[1][1] != zhang.id_number  # masked unless asked
    assert AuditEntry.objects.get(action="export").changes["rows"] == 1
    revealed = client_for(world.c01_leader).post(reverse("registry:export"), {"reveal": "on"})
    rows = list(openpyxl.load_workbook(io.BytesIO(b"".join(revealed.streaming_content))).active.values)
    assert {r[1] for r in rows[1:]} >= {zhang.id_number}


def test_grid_workers_cannot_export(world, client_for, zhang):
    assert client_for(world.grid_worker_c01_g01).post(reverse("registry:export")).status_code == 403
    assert not AuditEntry.objects.filter(action="export").exists()


def test_household_members_outside_the_scope_are_not_shown(world, client_for, zhang):
    spouse = resident_create(
        actor=None,
        grid=world.c01_g01,
        name="王五",
        id_number=make_id_number("19520101", 21),
        household=zhang.household,
        house=zhang.house,
    )
    # The spouse moves to another grid but stays in the household.
    resident_update(actor=None, resident=spouse, grid=world.c01_g02, house=None)
    Household.objects.filter(pk=zhang.household_id).update(head=spouse)
    client = client_for(world.grid_worker_c01_g01)
    for url in (
        reverse("registry:resident", args=[zhang.pk]),
        reverse("registry:household", args=[zhang.household_id]),
        reverse("registry:house", args=[zhang.house_id]),
    ):
        assert "王五" not in client.get(url).content.decode()
    assert (
        "王五"
        in client_for(world.c01_leader).get(reverse("registry:resident", args=[zhang.pk])).content.decode()
    )


def test_the_list_is_in_pinyin_order_and_letters_page_through_the_pinyin_indexes(
    world, client_for, settings, monkeypatch
):
    from linli.registry import views

    for i, name in enumerate(["王芳", "李娜", "陈静", "周正", "邹红", "赵子龙", "左辉"]):
        resident_create(actor=None, grid=world.c01_g01, name=name, id_number=make_id_number(seq=2 * i + 1))
    resident_create(actor=None, grid=world.c01_g02, name="朱珠", id_number=make_id_number(seq=41))
    resident_create(actor=None, grid=world.c02_g01, name="张伟", id_number=make_id_number(seq=43))
    client = client_for(world.c01_leader)

    def listed(**params: str) -> tuple[list[str], str]:
        page = client.get(reverse("registry:residents"), params).content.decode()
        count = re.search(r'data-testid="result-count">([^<]*)<', page)
        assert count is not None
        return re.findall(r'href="/registry/residents/\d+/">([^<]+)</a>', page), count[1]

    # Pinyin order (chen, li, wang, zhao …), not the characters' code points (李 < 王 < 陈).
    assert listed()[0] == ["陈静", "李娜", "王芳", "赵子龙", "周正", "朱珠", "邹红", "左辉"]
    assert listed(sort="name")[0] == listed()[0]
    # Letters: full-pinyin matches alphabetically, then initials-only ones (邹红, 左辉); 张伟 is
    # outside the leader's community.
    assert listed(q="zh") == (["赵子龙", "周正", "朱珠", "邹红", "左辉"], "共 5 人")
    assert listed(q="zh", grid=str(world.c01_g02.pk)) == (["朱珠"], "共 1 人")
    monkeypatch.setattr(views, "PAGE_SIZE", 3)
    assert listed(q="zh")[0] == ["赵子龙", "周正", "朱珠"]
    assert listed(q="zh", page="2")[0] == ["邹红", "左辉"]
    assert listed(q="zh", page="9")[0] == ["邹红", "左辉"]  # past the end: the last page
    settings.LINLI_SEARCH_COUNT_CAP = 4
    names, count = listed(q="zh")
    assert count.startswith("超过 4 人")
    assert listed(q="zh", page="2")[0] == ["邹红"]  # 4 counted: the pager stops at the cap
    # With another filter the same letters go through the general search, still in scope.
    assert listed(q="zh", status="active")[0] == ["赵子龙", "周正", "朱珠"]
    # A name search sorts its matches in the same pinyin order (anwang < huangwangjun < wangfang).
    resident_create(actor=None, grid=world.c01_g02, name="黄王军", id_number=make_id_number(seq=45))
    resident_create(actor=None, grid=world.c01_g01, name="安王", id_number=make_id_number(seq=47))
    assert listed(q="王") == (["安王", "黄王军", "王芳"], "共 3 人")
