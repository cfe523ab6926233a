from __future__ import annotations

from datetime import date

import pytest

from linli.areas.models import Area, GridAssignment
from linli.areas.services import area_by_path, area_create, area_update, grid_assign, grid_assignment_end
from linli.core.errors import DomainError, Forbidden, NotFound
from linli.core.models import AuditEntry

SQUARE = {
    "type": "Polygon",
    "coordinates": [[[104.0, 30.5], [104.1, 30.5], [104.1, 30.6], [104.0, 30.6], [104.0, 30.5]]],
}


def test_area_path_is_the_chain_of_codes(world):
    assert world.c01_g02.path == "S01/C01/G02"
    assert world.c01_g02.depth == 2
    assert area_by_path("s01/c01/g02/") == world.c01_g02


def test_codes_are_normalised_to_upper_case(world):
    grid = area_create(actor=None, kind="grid", code=" g09 ", name="第九网格", parent=world.c01)
    assert grid.code == "G09"


def test_same_code_is_fine_under_another_parent_but_not_among_siblings(world):
    assert world.c02_g01.code == world.c01_g01.code
    with pytest.raises(DomainError, match="已存在"):
        area_create(actor=None, kind="grid", code="G01", name="重复", parent=world.c01)


@pytest.mark.parametrize(
    ("kind", "parent_attr", "message"),
    [
        ("grid", None, "网格不能建在顶层"),
        ("community", "c01_g01", "社区不能建在网格之下"),
        ("street", "c01", "街道不能建在社区之下"),
        ("district", "s01", "区不能建在街道之下"),
    ],
)
def test_the_tree_only_grows_in_the_allowed_order(world, kind, parent_attr, message):
    parent = getattr(world, parent_attr) if parent_attr else None
    with pytest.raises(DomainError, match=message):
        area_create(actor=None, kind=kind, code="Z1", name="不合法", parent=parent)


def test_grids_may_nest(world):
    sub = area_create(actor=None, kind="grid", code="G01-1", name="东片", parent=world.c01_g01)
    assert sub.path == "S01/C01/G01/G01-1"


@pytest.mark.parametrize("code", ["", "有中文", "A B", "a/b", "X" * 33])
def test_invalid_codes_are_refused_with_a_reason(world, code):
    with pytest.raises(DomainError) as info:
        area_create(actor=None, kind="grid", code=code, name="x", parent=world.c01)
    assert info.value.field == "code"


def test_blank_name_is_refused(world):
    with pytest.raises(DomainError, match="名称不能为空"):
        area_create(actor=None, kind="grid", code="G07", name="  ", parent=world.c01)


def test_boundary_must_be_a_closed_polygon(world):
    grid = area_create(actor=None, kind="grid", code="G08", name="x", parent=world.c01, boundary=SQUARE)
    assert grid.boundary["type"] == "Polygon"
    open_ring = {
        "type": "Polygon",
        "coordinates": [[[104.0, 30.5], [104.1, 30.5], [104.1, 30.6], [104.0, 30.6]]],
    }
    with pytest.raises(DomainError, match="首尾相同"):
        area_update(actor=None, area=grid, boundary=open_ring)
    with pytest.raises(DomainError, match="Polygon"):
        area_update(actor=None, area=grid, boundary={"type": "Point", "coordinates": [104, 30]})


def test_coordinates_out_of_range_are_refused(world):
    with pytest.raises(DomainError, match="坐标超出范围"):
        area_update(actor=None, area=world.c01_g01, latitude="91")


def test_grid_workers_cannot_create_areas(world):
    with pytest.raises(Forbidden):
        area_create(actor=world.grid_worker_c01_g01, kind="grid", code="G09", name="x", parent=world.c01_g01)


def test_street_admin_creates_in_scope_but_not_in_another_street(world):
    grid = area_create(actor=world.street_admin, kind="grid", code="G03", name="第三网格", parent=world.c01)
    assert grid.path == "S01/C01/G03"
    with pytest.raises(NotFound):
        area_create(actor=world.street_admin, kind="grid", code="G03", name="x", parent=world.s02_c01)


def test_only_the_console_creates_root_areas(world):
    with pytest.raises(DomainError, match="命令行"):
        area_create(actor=world.street_admin, kind="street", code="S09", name="x")


def test_area_changes_are_audited_with_old_and_new_values(world):
    area_update(actor=world.street_admin, area=world.c01, name="锦绣新社区")
    entry = AuditEntry.objects.filter(action="update", object_type="areas.area").latest("at")
    assert entry.changes == {"name": ["锦绣社区", "锦绣新社区"]}
    assert entry.actor == world.street_admin
    assert entry.area_path == "S01/C01"


def test_an_update_that_changes_nothing_writes_no_audit_entry(world):
    before = AuditEntry.objects.count()
    area_update(actor=world.street_admin, area=world.c01, name="锦绣社区")
    assert AuditEntry.objects.count() == before


def test_grid_worker_is_assigned_to_their_grid_on_creation(world):
    assignment = GridAssignment.objects.get(user=world.grid_worker_c01_g01)
    assert assignment.grid == world.c01_g01
    assert assignment.duty == "worker"


def test_overlapping_assignments_of_the_same_duty_are_refused(world):
    with pytest.raises(DomainError, match="已是"):
        grid_assign(
            actor=None, grid=world.c01_g01, user=world.grid_worker_c01_g01, start_date=date(2026, 3, 1)
        )


def test_assignment_can_end_and_a_new_one_start_later(world):
    current = GridAssignment.objects.get(user=world.grid_worker_c01_g01)
    grid_assignment_end(actor=None, assignment=current, end_date=date(2026, 6, 30))
    new = grid_assign(
        actor=None, grid=world.c01_g01, user=world.grid_worker_c01_g01, start_date=date(2026, 7, 1)
    )
    assert new.end_date is None
    assert (
        GridAssignment.objects.current(on=date(2026, 6, 1)).filter(user=world.grid_worker_c01_g01).get()
        == current
    )


def test_assignment_end_before_start_is_refused(world):
    current = GridAssignment.objects.get(user=world.grid_worker_c01_g01)
    with pytest.raises(DomainError, match="结束日期不能早于开始日期"):
        grid_assignment_end(actor=None, assignment=current, end_date=date(2025, 1, 1))


def test_only_grids_take_responsible_persons(world):
    with pytest.raises(DomainError, match="只能把责任人分配到网格"):
        grid_assign(actor=None, grid=world.c01, user=world.c01_worker, start_date=date(2026, 1, 1))


def test_assigning_someone_from_elsewhere_binds_them_to_the_grid(world):
    grid_assign(
        actor=world.street_admin,
        grid=world.c02_g01,
        user=world.c01_worker,
        duty="leader",
        start_date=date(2026, 1, 1),
    )
    world.c01_worker.forget_scope()
    assert "S01/C02/G01" in world.c01_worker.scope_paths()


def test_a_failed_create_writes_nothing(world):
    before = (Area.objects.count(), AuditEntry.objects.count())
    with pytest.raises(DomainError):
        area_create(actor=None, kind="grid", code="G01", name="重复", parent=world.c01)
    assert (Area.objects.count(), AuditEntry.objects.count()) == before
