from __future__ import annotations

import pytest
from django.urls import reverse

from linli.areas.models import Area


def test_area_tree_lists_only_the_users_own_roots(world, client_for):
    page = client_for(world.grid_worker_c01_g01).get(reverse("areas:tree")).content.decode()
    assert "第一网格" in page
    assert ">望江街道</a>" not in page  # the street is not in the tree (the print header names it)
    assert "锦绣社区" not in page


def test_children_partial_expands_a_node(world, client_for):
    response = client_for(world.street_admin).get(
        reverse("areas:children", args=[world.s01.pk]), HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "锦绣社区" in body
    assert "和平社区" in body
    assert "<html" not in body


@pytest.mark.parametrize("url_name", ["areas:detail", "areas:children"])
def test_grid_worker_of_g01_gets_404_for_another_grid(world, client_for, url_name):
    client = client_for(world.grid_worker_c01_g01)
    assert client.get(reverse(url_name, args=[world.c01_g02.pk])).status_code == 404
    assert client.get(reverse(url_name, args=[world.c01.pk])).status_code == 404


@pytest.mark.parametrize("url_name", ["areas:create_child", "areas:edit", "areas:assign"])
def test_posting_to_an_area_out_of_scope_is_404(world, client_for, url_name):
    client = client_for(world.street_admin)
    response = client.post(
        reverse(url_name, args=[world.s02_c01.pk]), {"name": "x", "kind": "grid", "code": "G1"}
    )
    assert response.status_code == 404


def test_detail_shows_the_grids_responsible_persons(world, client_for):
    body = client_for(world.c01_leader).get(reverse("areas:detail", args=[world.c01.pk])).content.decode()
    assert world.grid_worker_c01_g01.full_name in body
    assert world.grid_worker_c01_g02.full_name in body
    assert world.grid_worker_c02_g01.full_name not in body


def test_street_admin_adds_a_grid_from_the_page(world, client_for):
    client = client_for(world.street_admin)
    response = client.post(
        reverse("areas:create_child", args=[world.c01.pk]),
        {"kind": "grid", "code": "g03", "name": "第三网格"},
    )
    assert response.status_code == 302
    assert Area.objects.filter(path="S01/C01/G03", name="第三网格").exists()


def test_duplicate_code_on_the_page_shows_a_chinese_error_and_writes_nothing(world, client_for):
    client = client_for(world.street_admin)
    before = Area.objects.count()
    response = client.post(
        reverse("areas:create_child", args=[world.c01.pk]), {"kind": "grid", "code": "G01", "name": "又一个"}
    )
    assert response.status_code == 400
    assert "编码 G01 在同一上级下已存在" in response.content.decode()
    assert Area.objects.count() == before


def test_grid_worker_cannot_add_areas_even_by_posting_directly(world, client_for):
    client = client_for(world.grid_worker_c01_g01)
    response = client.post(
        reverse("areas:create_child", args=[world.c01_g01.pk]), {"kind": "grid", "code": "G01-1", "name": "x"}
    )
    assert response.status_code == 403
    assert not Area.objects.filter(path="S01/C01/G01/G01-1").exists()


def test_invalid_boundary_json_is_explained(world, client_for):
    response = client_for(world.street_admin).post(
        reverse("areas:edit", args=[world.c01.pk]), {"name": "锦绣社区", "boundary": "{not json"}
    )
    assert response.status_code == 400
    assert "边界不是有效的 JSON" in response.content.decode()


def test_assigning_a_user_outside_the_managers_scope_is_refused(world, client_for):
    response = client_for(world.street_admin).post(
        reverse("areas:assign", args=[world.c01_g01.pk]),
        {"username": "admin2", "duty": "leader", "start_date": "2026-02-01"},
    )
    assert response.status_code == 400
    assert "不在您的管辖范围内" in response.content.decode()


def test_assigning_a_grid_leader_from_the_page(world, client_for):
    response = client_for(world.street_admin).post(
        reverse("areas:assign", args=[world.c01_g01.pk]),
        {"username": "c01-worker", "duty": "leader", "start_date": "2026-02-01"},
    )
    assert response.status_code == 302
    assert world.c01_g01.assignments.filter(user=world.c01_worker, duty="leader").exists()
