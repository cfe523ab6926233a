"""Grid names that say whose grid: every community has a 第一网格, so wherever more than one community is in
view a grid is "锦绣社区 · 第一网格" — on pages, in selects, in exports and in the API."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from linli.areas.models import Area
from linli.areas.selectors import print_heading
from linli.areas.services import area_create
from linli.cases import selectors as case_selectors
from linli.cases.models import Case
from linli.cases.tests.conftest import build_case_world, new_case
from linli.registry.services import resident_create
from tests.factories import World, make_id_number


def test_a_grid_is_named_after_its_community_and_other_areas_as_named(world: World):
    areas = [world.c01_g01, world.c02_g01, world.c01, world.s01]
    assert Area.qualified_names((a.path, a.name) for a in areas) == {
        "S01/C01/G01": "锦绣社区 · 第一网格",
        "S01/C02/G01": "和平社区 · 第一网格",
        "S01/C01": "锦绣社区",
        "S01": "望江街道",
    }


def test_a_sub_grid_is_named_after_its_community(world: World):
    sub = area_create(actor=None, kind="grid", code="G01-1", name="第一网格东片", parent=world.c01_g01)
    assert Area.objects.get(pk=sub.pk).qualified_name == "锦绣社区 · 第一网格东片"


def test_a_list_of_grids_is_named_with_one_query(world: World, django_assert_num_queries):
    grids = list(Area.objects.filter(kind="grid").order_by("path"))
    with django_assert_num_queries(1):
        Area.qualify(grids)
        labels = [g.qualified_name for g in grids]
    assert labels == ["锦绣社区 · 第一网格", "锦绣社区 · 第二网格", "和平社区 · 第一网格"]


def test_a_printed_page_is_headed_with_the_street_of_the_users_scope(world: World, client_for):
    assert print_heading(world.grid_worker_c01_g01) == "望江街道"
    assert print_heading(world.c01_leader) == "望江街道"
    assert print_heading(world.other_street_admin) == "东湖街道"
    page = client_for(world.grid_worker_c01_g01).get(reverse("core:home")).content.decode()
    assert '<div class="print-header" aria-hidden="true"><strong>望江街道</strong>' in page


def test_the_resident_list_and_its_grid_filter_name_grids_with_their_community(world: World, client_for):
    for seq, grid in enumerate([world.c01_g01, world.c02_g01], start=1):
        resident_create(actor=None, grid=grid, name=f"居民{seq}", id_number=make_id_number(seq=seq))
    page = client_for(world.street_admin).get(reverse("registry:residents")).content.decode()
    assert ">锦绣社区 · 第一网格</option>" in page
    assert ">和平社区 · 第一网格</option>" in page
    assert '<td class="hide-sm" data-label="网格">和平社区 · 第一网格</td>' in page


def test_visit_coverage_names_each_grid_with_its_community(world: World, client_for):
    page = client_for(world.street_admin).get(reverse("visits:coverage")).content.decode()
    assert '<th scope="row">锦绣社区 · 第一网格 <code class="small">S01/C01/G01</code></th>' in page
    assert '<th scope="row">和平社区 · 第一网格 <code class="small">S01/C02/G01</code></th>' in page


def test_the_case_api_and_the_indicators_name_the_grid_with_its_community(world: World, client_for, bearer):
    case = new_case(build_case_world(world))
    assert case.area == world.c01_g01
    body = client_for(world.street_admin).get("/api/v1/cases", **bearer(world.street_admin)).json()
    assert [(c["area_path"], c["area_name"]) for c in body["items"]] == [
        ("S01/C01/G01", "锦绣社区 · 第一网格")
    ]
    now = timezone.now()
    rows, _ = case_selectors.indicators(
        Case.objects.all(), group="grid", start=now - timedelta(days=1), end=now + timedelta(days=1)
    )
    assert [(r.key, r.label) for r in rows] == [("S01/C01/G01", "锦绣社区 · 第一网格")]


def test_the_case_api_names_a_grid_within_a_grid_with_its_community(world: World, client_for, bearer):
    # The case list reads a grid's community as its parent in the names query; a grid within a grid has
    # another grid as parent and is named by path instead, as everywhere else.
    cw = build_case_world(world)
    inner = area_create(actor=None, kind="grid", code="G01A", name="第一网格甲片", parent=world.c01_g01)
    cases = [new_case(cw, house=None, area=area) for area in (inner, world.c01_g01, world.c01)]
    body = client_for(world.street_admin).get("/api/v1/cases", **bearer(world.street_admin)).json()
    names = {c["id"]: (c["area_path"], c["area_name"]) for c in body["items"]}
    assert names == {
        cases[0].pk: ("S01/C01/G01/G01A", "锦绣社区 · 第一网格甲片"),
        cases[1].pk: ("S01/C01/G01", "锦绣社区 · 第一网格"),
        cases[2].pk: ("S01/C01", "锦绣社区"),
    }
    assert names[cases[0].pk][1] == Area.objects.get(pk=inner.pk).qualified_name
