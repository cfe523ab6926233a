"""The global search: one box, each module answering for its own records, scoped; numbers are the
resident list's (masked, audited, rate-limited), so the box only points there."""

from __future__ import annotations

import pytest
from django.test import Client

from linli.cases.tests.conftest import build_case_world, new_case
from linli.core.modules import global_search
from linli.registry.services import resident_create
from tests.factories import make_id_number

pytestmark = pytest.mark.django_db


def test_one_box_finds_residents_and_cases_in_scope_only(world, client: Client):
    cw = build_case_world(world)
    resident_create(actor=None, grid=world.c01_g01, name="王小明", id_number=make_id_number(seq=71))
    resident_create(actor=None, grid=world.c02_g01, name="王大明", id_number=make_id_number(seq=73))
    case = new_case(cw, title="王家楼道灯坏了")
    kinds = {(h.kind, h.label.split("（")[0]) for h in global_search(world.grid_worker_c01_g01, "王")}
    assert ("居民", "王小明") in kinds
    assert ("居民", "王大明") not in kinds  # another community's grid
    numbers = [h.label for h in global_search(world.c01_worker, case.number)]
    assert any(label.startswith(case.number) for label in numbers)
    client.force_login(world.grid_worker_c01_g01)
    page = client.get("/search/", {"q": "wxm"}).content.decode()
    assert "王小明" in page


def test_a_number_is_sent_to_the_resident_list_not_matched_here(world):
    resident_create(actor=None, grid=world.c01_g01, name="李四", id_number=make_id_number(seq=75))
    hits = global_search(world.c01_worker, "0755")
    assert [h.kind for h in hits if h.kind == "居民"] == ["居民"]
    assert "李四" not in " ".join(h.label for h in hits)


def test_a_department_handler_finds_no_residents(world):
    resident_create(actor=None, grid=world.c01_g01, name="赵六", id_number=make_id_number(seq=77))
    assert [h for h in global_search(world.department, "赵") if h.kind == "居民"] == []
