"""Residents' cases reach a grid (issue 15, item 2): a case filed on /track/new/ or by Open311 without a
building stays at the community until a dispatcher sets its place; the grid, the routing suggestion and
the history follow."""

from __future__ import annotations

import pytest
from django.test import Client

from linli.cases import routing, services
from linli.cases.models import Case, CaseEvent
from linli.cases.tests.conftest import CaseWorld, new_case
from linli.core.errors import DomainError
from linli.core.models import AuditEntry
from linli.registry.models import Building


def resident_files(cw: CaseWorld, client: Client) -> Case:
    data = {
        "community": cw.w.c01.pk,
        "category": cw.category.pk,
        "title": "楼道灯坏了",
        "description": "8 号楼 3 楼楼道灯坏了一周。",
        "address": "锦绣路 8 号楼 3 楼",
        "reporter_phone": "13700137000",
        "attribute[period]": "night",
    }
    assert client.post("/track/new/", data).status_code == 302
    return Case.objects.get()


def test_a_residents_case_reaches_the_grid_when_a_dispatcher_sets_its_building(
    cw: CaseWorld, client: Client, client_for
) -> None:
    case = resident_files(cw, client)
    assert case.area == cw.w.c01
    assert routing.suggest(case).assignee is None  # nobody to suggest at the community
    worker = client_for(cw.w.c01_worker)
    page = worker.get(f"/cases/{case.pk}/").content.decode()
    assert 'data-testid="relocate"' in page
    assert "确定位置（尚未落到网格）" in page
    assert '<option value="8">' in page  # the community's buildings, to search as one types
    response = worker.post(
        f"/cases/{case.pk}/location/",
        {
            "area": cw.w.c01.pk,
            "building": "8",
            "room": "301",
            "address": "锦绣路 8 号楼 3 楼",
            "note": "电话核实",
        },
    )
    assert response.status_code == 302, response.content.decode()
    case.refresh_from_db()
    assert (case.area, case.building, case.house) == (cw.w.c01_g01, cw.building, cw.house)
    event = CaseEvent.objects.get(case=case, action="relocate")
    assert event.data["from_place"] == "锦绣社区"
    assert event.data["to_place"] == "第一网格 · 8-301"
    assert event.data["to_area"] == "S01/C01/G01"
    assert event.public is False
    assert AuditEntry.objects.filter(object_type="cases.case", object_id=str(case.pk)).exists()
    page = worker.get(f"/cases/{case.pk}/").content.decode()
    assert "锦绣社区 → 第一网格 · 8-301" in page
    # Routing runs again: the suggestion and a dispatch without a target now reach the grid's worker.
    services.case_register(actor=cw.w.c01_worker, case=case)
    case = services.case_dispatch(actor=cw.w.c01_worker, case=case)
    assert case.assignee == cw.w.grid_worker_c01_g01


def test_a_wrong_building_is_explained_and_nothing_changes(cw: CaseWorld, client: Client, client_for) -> None:
    case = resident_files(cw, client)
    response = client_for(cw.w.c01_worker).post(
        f"/cases/{case.pk}/location/", {"area": cw.w.c01.pk, "building": "99", "room": "", "address": "x"}
    )
    assert response.status_code == 400
    assert "锦绣社区没有 99 号楼" in response.content.decode()
    case.refresh_from_db()
    assert (case.area, case.building, case.address) == (cw.w.c01, None, "锦绣路 8 号楼 3 楼")
    assert not CaseEvent.objects.filter(case=case, action="relocate").exists()
    # Saving the place unchanged is explained too, and records nothing.
    same = client_for(cw.w.c01_worker).post(
        f"/cases/{case.pk}/location/", {"area": cw.w.c01.pk, "address": "锦绣路 8 号楼 3 楼"}
    )
    assert same.status_code == 400
    assert "位置没有变化" in same.content.decode()
    assert not CaseEvent.objects.filter(case=case, action="relocate").exists()


def test_only_dispatchers_set_the_place_and_only_within_their_scope(
    cw: CaseWorld, client: Client, client_for
) -> None:
    case = new_case(cw, house=None, area=cw.w.c01_g01)
    # A grid worker sees the case but is offered no form and refused by the service.
    grid = client_for(cw.w.grid_worker_c01_g01)
    assert 'data-testid="relocate"' not in grid.get(f"/cases/{case.pk}/").content.decode()
    assert (
        grid.post(f"/cases/{case.pk}/location/", {"area": cw.w.c01_g01.pk, "building": "8"}).status_code
        == 403
    )
    # A community worker cannot move a case into another community.
    other = Building.objects.create(grid=cw.w.c02_g01, number="1")
    with pytest.raises(DomainError):
        services.case_relocate(actor=cw.w.c01_worker, case=case, building=other)
    case.refresh_from_db()
    assert case.building is None
    assert not CaseEvent.objects.filter(case=case, action="relocate").exists()
    # A case in its handler's hands does not move out of their sight.
    dispatched = services.case_dispatch(
        actor=cw.w.c01_worker,
        case=services.case_register(actor=cw.w.c01_worker, case=new_case(cw)),
        assignee=cw.w.grid_worker_c01_g01,
    )
    with pytest.raises(DomainError, match="不在其管辖范围内"):
        services.case_relocate(actor=cw.w.c01_worker, case=dispatched, area=cw.w.c01_g02)
    # An ended case keeps its place.
    rejected = services.case_reject(actor=cw.w.c01_worker, case=new_case(cw), reason="重复反映")
    with pytest.raises(DomainError, match="不能更正位置"):
        services.case_relocate(actor=cw.w.c01_worker, case=rejected, address="别处")


def test_a_department_handler_is_refused_the_place_form_not_shown_a_form_error(
    cw: CaseWorld, client_for
) -> None:
    case = services.case_dispatch(
        actor=cw.w.c01_worker,
        case=services.case_register(
            actor=cw.w.c01_worker, case=new_case(cw, category=cw.dept_category, attributes={})
        ),
        department=cw.department,
    )
    handler = client_for(cw.w.department)
    assert handler.get(f"/cases/{case.pk}/").status_code == 200  # their case: they see it
    # They have no areas to choose from, so the form alone would answer 400 as if another choice would do.
    response = handler.post(f"/cases/{case.pk}/location/", {"area": cw.w.c01_g01.pk, "address": "别处"})
    assert response.status_code == 403
    case.refresh_from_db()
    assert case.address != "别处"
    assert not CaseEvent.objects.filter(case=case, action="relocate").exists()


def test_an_open311_case_gets_its_place_over_the_api(cw: CaseWorld, client: Client, bearer) -> None:
    case = new_case(cw, house=None, area=cw.w.c01, address="锦绣路北口")
    headers = bearer(cw.w.c01_leader)
    response = client.post(
        f"/api/v1/cases/{case.pk}/location",
        {"building_id": cw.building.pk, "note": "现场核实"},
        content_type="application/json",
        **headers,
    )
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["area_path"] == "S01/C01/G01"
    assert data["address"] == "锦绣路北口"  # left out = unchanged
    assert data["events"][-1]["action"] == "relocate"
    # A building outside the caller's scope is 404, like any object out of scope.
    other = Building.objects.create(grid=cw.w.c02_g01, number="1")
    outside = client.post(
        f"/api/v1/cases/{case.pk}/location",
        {"building_id": other.pk},
        content_type="application/json",
        **headers,
    )
    assert outside.status_code == 404
    # Nothing to set is a plain 400.
    empty = client.post(f"/api/v1/cases/{case.pk}/location", {}, content_type="application/json", **headers)
    assert empty.status_code == 400
