from __future__ import annotations

import openpyxl
import pytest

from linli.core.errors import DomainError, Forbidden, NotFound
from linli.core.models import AuditEntry
from linli.registry.models import Tag
from linli.registry.services import resident_create, resident_set_tags
from linli.transfers.export import export_residents
from linli.transfers.services import import_job_create, import_job_run
from tests.factories import make_id_number


@pytest.fixture
def residents(world):
    a = resident_create(
        actor=None,
        grid=world.c01_g01,
        name="陈一",
        id_number=make_id_number("19500101", 1),
        phone="13800000001",
    )
    resident_set_tags(actor=None, resident=a, tags=Tag.objects.filter(name__in=["低保", "独居老人"]))
    resident_create(actor=None, grid=world.c01_g02, name="陈二", id_number=make_id_number("19600101", 3))
    resident_create(actor=None, grid=world.c02_g01, name="陈三", id_number=make_id_number("19700101", 5))
    return a


def read(path) -> list[tuple]:
    return list(openpyxl.load_workbook(path).active.iter_rows(values_only=True))


def test_export_uses_the_import_column_names_and_masks_by_default(world, residents, tmp_path):
    path = tmp_path / "out.xlsx"
    assert export_residents(actor=world.c01_leader, areas=[world.c01], path=path) == 2
    rows = read(path)
    assert rows[0][:3] == ("姓名", "身份证号", "性别")
    first = dict(zip(rows[0], rows[1], strict=True))
    assert first["姓名"] == "陈一"
    assert first["身份证号"] == residents.id_number[:4] + "*" * 10 + residents.id_number[-4:]
    assert first["联系电话"] == "138****0001"
    entry = AuditEntry.objects.get(action="export")
    assert entry.changes["rows"] == 2
    assert entry.changes["revealed"] is False
    assert entry.actor == world.c01_leader


def test_export_is_scoped_to_the_user(world, residents, tmp_path):
    path = tmp_path / "out.xlsx"
    assert export_residents(actor=world.street_admin, areas=[world.s01], path=path) == 3
    with pytest.raises(NotFound):
        export_residents(actor=world.c01_worker, areas=[world.c02], path=path)


def test_community_workers_export_tags_grid_workers_may_not_export(world, residents, tmp_path):
    path = tmp_path / "out.xlsx"
    export_residents(actor=world.c01_worker, areas=[world.c01], path=path, columns=["姓名", "tags"])
    assert read(path)[1] == ("陈一", "独居老人、低保")  # community workers may see sensitive tags
    with pytest.raises(Forbidden):
        export_residents(actor=world.grid_worker_c01_g01, areas=[world.c01_g01], path=path)
    assert AuditEntry.objects.filter(action="export").count() == 1


def test_reveal_needs_the_permission_and_is_audited(world, residents, tmp_path):
    path = tmp_path / "out.xlsx"
    with pytest.raises(Forbidden):
        export_residents(actor=world.c01_worker, areas=[world.c01], path=path, reveal=True)
    export_residents(actor=world.c01_leader, areas=[world.c01], path=path, reveal=True, columns=["身份证号"])
    assert read(path)[1] == (residents.id_number,)
    assert AuditEntry.objects.get(action="export").changes["revealed"] is True


def test_unknown_columns_are_refused(world, tmp_path):
    with pytest.raises(DomainError, match="未知的列“网址”"):
        export_residents(actor=None, areas=[world.c01], path=tmp_path / "x.xlsx", columns=["姓名", "网址"])


def test_a_revealed_export_imports_back_unchanged(world, residents, tmp_path):
    path = tmp_path / "round.xlsx"
    export_residents(actor=None, areas=[world.c01], path=path, reveal=True)
    job = import_job_create(actor=None, community=world.c01, path=path)
    summary = import_job_run(actor=None, job=job)
    assert (summary["rows"], summary["unchanged"], summary["errors"]) == (2, 2, 0)
