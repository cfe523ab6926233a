from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.db import connection
from django.urls import reverse

from linli.core.cli import main
from linli.core.errors import DomainError
from linli.core.models import AuditEntry
from linli.registry.models import Building, House, Household, Resident, ResidentChange
from linli.transfers import services
from linli.transfers.models import ImportJob, ImportRow
from linli.transfers.services import import_job_create, import_job_run
from tests.factories import make_id_number


def run_import(community, path: Path, *, actor=None, dry_run: bool = False) -> dict:
    job = import_job_create(actor=actor, community=community, path=path, dry_run=dry_run)
    return import_job_run(actor=actor, job=job)


def workbook(path: Path, rows: Sequence[Sequence[Any]], merges: Sequence[str] = ()) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    for rng in merges:
        ws.merge_cells(rng)
    wb.save(path)
    return path


@pytest.mark.usefixtures("reading")
def test_the_sample_ledger_gives_the_expected_outcome(sample_community, sample_ledger, expected):
    summary = run_import(sample_community, sample_ledger)
    assert summary["rows"] == expected["rows"]
    assert summary["created"] == expected["created"]
    assert summary["errors"] == expected["errors"]
    assert summary["warnings"] >= expected["warn_rows_min"]
    assert Resident.objects.count() == expected["created"]
    job = ImportJob.objects.get()
    assert job.rows.count() == expected["rows"]  # every row's outcome is kept
    assert Path(job.stored_file).read_bytes() == sample_ledger.read_bytes()  # and the original file
    assert AuditEntry.objects.filter(action="import", object_id=str(job.pk)).exists()


@pytest.mark.usefixtures("reading")
def test_importing_the_same_file_twice_changes_nothing(sample_community, sample_ledger, expected):
    run_import(sample_community, sample_ledger)
    before = (Resident.objects.count(), ResidentChange.objects.count(), House.objects.count())
    summary = run_import(sample_community, sample_ledger)
    assert summary["created"] == summary["updated"] == 0
    assert summary["unchanged"] == expected["created"]
    assert (Resident.objects.count(), ResidentChange.objects.count(), House.objects.count()) == before


@pytest.mark.usefixtures("reading")
def test_a_dry_run_saves_no_resident_but_keeps_the_preview(sample_community, sample_ledger, expected):
    summary = run_import(sample_community, sample_ledger, dry_run=True)
    assert summary["created"] == expected["created"]
    assert not Resident.objects.exists()
    assert not Building.objects.exists()
    assert ImportRow.objects.filter(outcome="created").count() == expected["created"]


def test_places_are_created_under_the_rows_grid_and_heads_set(sample_community, sample_ledger):
    run_import(sample_community, sample_ledger)
    assert not Building.objects.exclude(grid__path__startswith="S01/C01/").exists()
    assert set(Building.objects.values_list("number", flat=True)) <= {str(n) for n in range(1, 41)}
    assert Household.objects.filter(head__isnull=False).exists()
    resident = Resident.objects.exclude(house=None).first()
    assert resident.house.building.grid == resident.grid


@pytest.mark.usefixtures("reading")
def test_report_lists_problem_rows_with_their_original_values(
    sample_community, tmp_path, capsys, sample_ledger, expected
):
    report = tmp_path / "report.xlsx"
    code = main(
        [
            "import",
            "residents",
            str(sample_ledger),
            "--community",
            "S01/C01",
            "--report",
            str(report),
            "--json",
        ]
    )
    summary = json.loads(capsys.readouterr().out)
    assert code == 0
    assert summary["errors"] == expected["errors"]
    sheet = openpyxl.load_workbook(report).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("原行号", "结果", "问题说明")
    assert "身份证号" in rows[0]
    refused = [r for r in rows[1:] if r[1] == "未导入"]
    assert len(refused) == expected["errors"]
    assert any("网格“G99”不在本社区" in r[2] for r in refused)
    id_col = rows[0].index("身份证号")
    assert all(isinstance(r[id_col], str) for r in rows[1:])  # identity numbers stay text


@pytest.mark.usefixtures("reading")
def test_a_changed_row_updates_the_resident_and_records_old_and_new(world, tmp_path):
    number = make_id_number("19700101", 41)
    header = ["姓名", "身份证号", "联系电话", "网格", "楼栋", "单元", "房号", "重点人群"]
    first = workbook(
        tmp_path / "a.xlsx",
        [header, ["刘一", number, "13800000001", "G01", "8栋", "2单元", "1401", "独居老人"]],
    )
    second = workbook(
        tmp_path / "b.xlsx", [header, ["刘一", number, "13800000002", "G01", "8", "2", "1401室", "独居"]]
    )
    run_import(world.c01, first)
    summary = run_import(world.c01, second)
    assert summary["updated"] == 1
    change = ResidentChange.objects.filter(kind="import").get()
    assert change.changes == {"phone": ["13800000001", "13800000002"]}
    assert House.objects.count() == 1  # "8栋/2单元/1401" and "8/2/1401室" are the same house


def test_headers_over_several_rows_with_merged_cells(world, tmp_path):
    rows: list[list[Any]] = [
        ["锦绣社区居民信息表", None, None, None, None],
        ["基本信息", None, None, "居住信息", None],
        ["居民姓名", "公民身份号码", "手机号码", "所属网格", "楼号"],
        ["孙二", make_id_number("19800101", 51), "13900000000", "第一网格", "3"],
    ]
    path = workbook(tmp_path / "merged.xlsx", rows, merges=["A1:E1", "A2:C2", "D2:E2"])
    summary = run_import(world.c01, path)
    assert summary["created"] == 1
    assert summary["warnings"] == 1  # no room number: no house
    assert Resident.objects.get().grid == world.c01_g01


def test_a_header_cell_merged_downwards_names_its_column(world, tmp_path):
    rows: list[list[Any]] = [
        ["姓名", "证件信息", None, "网格"],
        [None, "身份证号", "性别", None],
        ["周三", make_id_number("19810101", 53), "男", "G01"],
    ]
    path = workbook(tmp_path / "vertical.xlsx", rows, merges=["A1:A2", "B1:C1", "D1:D2"])
    assert run_import(world.c01, path)["created"] == 1


def test_gbk_csv_ledgers_are_read(world, tmp_path):
    path = tmp_path / "ledger.csv"
    lines = ["姓名,身份证号,网格,人口类型", f"吴四,{make_id_number('19900101', 61)},G02,流动人口"]
    path.write_bytes("\n".join(lines).encode("gb18030"))
    run_import(world.c01, path)
    assert Resident.objects.get().residence_type == "floating"


@pytest.mark.usefixtures("reading")
def test_a_file_without_the_required_columns_fails_with_a_reason(world, tmp_path, client_for):
    path = workbook(tmp_path / "bad.xlsx", [["序号", "名称"], [1, "x"]])
    with pytest.raises(DomainError, match="找不到表头"):
        run_import(world.c01, path)
    job = ImportJob.objects.get()
    assert job.status == "failed"
    page = client_for(world.c01_worker).get(reverse("transfers:import", args=[job.pk])).content.decode()
    assert "找不到表头" in page
    assert "没有写入任何数据" in page  # refused before its first row: nothing to resume
    assert "从中断处继续" not in page
    with pytest.raises(DomainError, match="找不到表头"):
        run_import(world.c01, path, dry_run=True)
    trial = ImportJob.objects.get(dry_run=True)
    page = client_for(world.c01_worker).get(reverse("transfers:import", args=[trial.pk])).content.decode()
    assert "这是试导入，没有保存任何数据" in page


def test_unsupported_files_are_refused(world, tmp_path):
    path = tmp_path / "ledger.docx"
    path.write_bytes(b"not a ledger")
    with pytest.raises(DomainError, match="不支持的文件类型"):
        run_import(world.c01, path)


def test_a_resident_registered_in_another_community_is_not_taken_over(world, tmp_path):
    from linli.registry.services import resident_create

    number = make_id_number("19750101", 71)
    resident_create(actor=None, grid=world.c02_g01, name="郑五", id_number=number)
    path = workbook(
        tmp_path / "x.xlsx",
        [["姓名", "身份证号", "网格", "楼栋", "房号"], ["郑五", number, "G01", "9", "101"]],
    )
    summary = run_import(world.c01, path)
    assert summary["errors"] == 1
    assert Resident.objects.get().grid == world.c02_g01
    assert not Building.objects.exists()  # nothing is created for a refused row


def test_grid_workers_import_only_into_their_scope_and_not_sensitive_tags(world, tmp_path):
    from linli.core.errors import NotFound

    path = workbook(
        tmp_path / "t.xlsx",
        [
            ["姓名", "身份证号", "网格", "标签"],
            ["冯六", make_id_number("19600101", 81), "G01", "低保、独居老人"],
        ],
    )
    with pytest.raises(NotFound):
        import_job_create(actor=world.grid_worker_c01_g01, community=world.c02, path=path)
    summary = run_import(world.c01, path, actor=world.c01_worker)
    assert summary["created"] == 1
    assert sorted(Resident.objects.get().tags.values_list("name", flat=True)) == ["低保", "独居老人"]


@pytest.mark.usefixtures("reading")
def test_a_crash_mid_import_leaves_whole_batches_and_a_rerun_resumes(
    world, tmp_path, monkeypatch, client_for
):
    monkeypatch.setattr(services, "BATCH_SIZE", 2)
    people = [[f"居民{i}", make_id_number("19850101", 101 + 2 * i), "G01"] for i in range(5)]
    people[3][0] = "故障"
    path = workbook(tmp_path / "crash.xlsx", [["姓名", "身份证号", "网格"], *people])
    # A real database failure on the fourth row (second batch), as a full disk or a killed connection would be.
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "CREATE TRIGGER fail_import BEFORE INSERT ON registry_resident WHEN NEW.name = '故障' "
                "BEGIN SELECT RAISE(ABORT, 'disk full'); END;"
            )
        else:
            cursor.execute(
                "CREATE FUNCTION fail_import() RETURNS trigger AS $$ BEGIN "
                "IF NEW.name = '故障' THEN RAISE EXCEPTION 'disk full'; END IF; RETURN NEW; END; $$ LANGUAGE plpgsql;"
                "CREATE TRIGGER fail_import BEFORE INSERT ON registry_resident FOR EACH ROW EXECUTE FUNCTION fail_import();"
            )
    with pytest.raises(Exception, match="disk full"):
        run_import(world.c01, path)
    assert sorted(Resident.objects.values_list("name", flat=True)) == [
        "居民0",
        "居民1",
    ]  # batch 1 only, whole
    job = ImportJob.objects.get()
    assert job.status == "failed"
    # The failed job is in the audit log too, with the batch it did write.
    entry = AuditEntry.objects.get(action="import", object_id=str(job.pk))
    assert (entry.changes["status"], entry.changes["rows_written"]) == ("failed", 2)
    assert "disk full" in entry.changes["error"]
    page = client_for(world.c01_worker).get(reverse("transfers:import", args=[job.pk])).content.decode()
    assert "前 2 行已写入" in page  # the whole first batch, and where a rerun picks up
    assert "从中断处继续" in page
    with connection.cursor() as cursor:
        cursor.execute(
            "DROP TRIGGER fail_import" + (" ON registry_resident" if connection.vendor != "sqlite" else "")
        )
    summary = run_import(world.c01, path)
    assert (summary["unchanged"], summary["created"]) == (2, 3)


def test_a_bulk_import_refreshes_the_planner_statistics(world, tmp_path):
    """A freshly loaded registry must not be planned as if it were empty (seen on PostgreSQL)."""
    path = workbook(
        tmp_path / "s.xlsx",
        [
            ["姓名", "身份证号", "网格"],
            *[[f"居民{i}", make_id_number(seq=2 * i + 1), "G01"] for i in range(5)],
        ],
    )
    run_import(world.c01, path)
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT stat FROM sqlite_stat1 WHERE tbl = 'registry_resident'")
            assert cursor.fetchone() is not None
        else:
            cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'registry_resident'")
            assert cursor.fetchone()[0] >= 5


@pytest.mark.usefixtures("reading")
def test_rows_are_read_and_written_a_batch_at_a_time(world, tmp_path, monkeypatch):
    monkeypatch.setattr(services, "BATCH_SIZE", 2)
    path = tmp_path / "five.csv"
    lines = [
        "姓名,身份证号,网格",
        *[f"居民{i},{make_id_number('19880101', 2 * i + 1)},G01" for i in range(5)],
        "",
    ]
    path.write_text("\n".join(lines), encoding="utf-8")
    seen: list[tuple[int, int]] = []
    job = import_job_create(actor=None, community=world.c01, path=path)
    summary = import_job_run(actor=None, job=job, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(2, 5), (4, 5), (5, 5)]  # progress after each batch, out of the data rows
    assert (summary["rows"], summary["created"], summary["blank_rows"]) == (5, 5, 0)


def test_a_reading_process_that_cannot_start_django_fails_the_job_with_the_reason(
    world, tmp_path, settings, monkeypatch
):
    settings.LINLI_IMPORT_PARALLEL_BYTES = 0
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", "linli.no_such_settings")  # what the reader is started with
    path = workbook(
        tmp_path / "a.xlsx", [["姓名", "身份证号", "网格"], ["刘一", make_id_number(seq=1), "G01"]]
    )
    job = import_job_create(actor=None, community=world.c01, path=path)
    with pytest.raises(RuntimeError, match="读取文件时出错"):
        import_job_run(actor=None, job=job)
    job.refresh_from_db()
    assert job.status == "failed"
    assert "No module named 'linli.no_such_settings'" in job.error
    assert not Resident.objects.exists()


def test_without_a_second_process_the_file_is_read_in_the_first(world, tmp_path, settings, monkeypatch):
    from linli.transfers import planner

    settings.LINLI_IMPORT_PARALLEL_BYTES = 0
    monkeypatch.setattr(planner.sys, "executable", str(tmp_path / "no-python"))  # cannot be started
    path = workbook(
        tmp_path / "a.xlsx", [["姓名", "身份证号", "网格"], ["刘一", make_id_number(seq=1), "G01"]]
    )
    assert run_import(world.c01, path)["created"] == 1


@pytest.mark.usefixtures("reading")
def test_an_import_keeps_the_register_counts_exact(world, sample_community, sample_ledger):
    """The import writes plain rows; the database's triggers keep the dashboards' counts (registry/counts.py)."""
    from linli.registry import counts
    from linli.registry.selectors import population_counts

    run_import(sample_community, sample_ledger)
    assert Resident.objects.exists()
    assert counts.mismatches() == []
    assert population_counts(world.street_admin)[1].total == Resident.objects.filter(status="active").count()
