"""`linli tick`, `category`, `department`, `holiday` and `export case-indicators`."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from linli.cases.models import CalendarOverride, Category, Department
from linli.cases.tests.conftest import SHANGHAI, CaseWorld, new_case
from linli.core.cli import main
from linli.core.models import AuditEntry


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_tick_sweeps_and_is_safe_to_repeat(cw: CaseWorld, clock, capsys) -> None:
    new_case(cw)
    clock.move_to(datetime(2026, 11, 16, 12, 0, tzinfo=SHANGHAI))
    # (each module's sweep prints a line, in the order of the installed apps)
    assert "deadline sweep: warned 0, overdue 1, escalated 0" in run(capsys, "tick")[1].splitlines()
    assert "deadline sweep: warned 0, overdue 0, escalated 0" in run(capsys, "tick")[1].splitlines()


def test_categories_and_limits_from_the_console(cw: CaseWorld, capsys) -> None:
    code, out, _ = run(
        capsys,
        "category",
        "add",
        "T-DOGS",
        "测试犬只",
        "--parent",
        "T",
        "--limit",
        "handle=2d",
        "--limit",
        "register=1h",
    )
    assert code == 0
    assert "T-DOGS" in out
    dogs = Category.objects.get(code="T-DOGS")
    assert {(lim.stage, lim.amount, lim.unit) for lim in dogs.limits.all()} == {
        ("handle", 2, "days"),
        ("register", 1, "hours"),
    }
    assert run(capsys, "category", "set", "T-DOGS", "--limit", "handle=5d", "--department", "CG")[0] == 0
    dogs.refresh_from_db()
    assert dogs.department == cw.department
    assert dogs.limits.get(stage="handle").amount == 5
    listing = run(capsys, "category", "list")[1]
    assert "T-DOGS" in listing
    assert "handle=5d" in listing
    assert "→ CG" in listing


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["category", "add", "T-X", "x", "--parent", "NOPE"], "no case category with code NOPE"),
        (["category", "add", "T-X", "x", "--limit", "handle=3w"], "should look like handle=3d"),
        (["category", "add", "T-NOISE", "重复"], "已存在"),
        (["category", "set", "T-NOISE", "--limit", "lunch=3d"], "环节"),
        (["category", "set", "T-NOISE", "--department", "NOPE"], "no department"),
        (["department", "add", "CG2", "二中队", "--area", "S01", "--member", "c01g01"], "不是职能部门处置人"),
        (["holiday", "set", "2027-02-30"], "not a date"),
        (["holiday", "unset", "2027-03-01"], "没有工作日调整"),
        (
            [
                "export",
                "case-indicators",
                "--start",
                "2026-11-30",
                "--end",
                "2026-11-01",
                "-o",
                "nowhere/x.xlsx",
            ],
            "before",
        ),
        (
            [
                "export",
                "case-indicators",
                "--start",
                "2026-11-01",
                "--end",
                "2026-11-30",
                "-o",
                "nowhere/x.csv",
            ],
            ".xlsx",
        ),
    ],
)
def test_console_errors_are_one_line_and_change_nothing(cw: CaseWorld, capsys, argv, message) -> None:
    before = (
        Category.objects.count(),
        Department.objects.count(),
        CalendarOverride.objects.count(),
        AuditEntry.objects.count(),
    )
    code, _, err = run(capsys, *argv)
    assert code == 1, err
    assert err.startswith("linli: error: ")
    assert err.count("\n") == 1
    assert message in err
    after = (
        Category.objects.count(),
        Department.objects.count(),
        CalendarOverride.objects.count(),
        AuditEntry.objects.count(),
    )
    assert after == before


def test_departments_and_holidays(cw: CaseWorld, capsys) -> None:
    assert (
        run(capsys, "department", "add", "JD", "街道综治办", "--area", "S01", "--member", "chengguan")[0] == 0
    )
    assert "JD" in run(capsys, "department", "list")[1]
    assert run(capsys, "holiday", "set", "2027-01-01", "--note", "元旦")[0] == 0
    assert run(capsys, "holiday", "set", "2027-02-07", "--workday")[0] == 0
    listing = run(capsys, "holiday", "list")[1]
    assert "2027-01-01  day off  元旦" in listing
    assert "2027-02-07  workday" in listing
    assert run(capsys, "holiday", "unset", "2027-02-07")[0] == 0
    assert not CalendarOverride.objects.filter(day="2027-02-07").exists()


def test_export_case_indicators(cw: CaseWorld, capsys, tmp_path: Path) -> None:
    new_case(cw)
    out = tmp_path / "indicators.xlsx"
    code, text, _ = run(
        capsys,
        "export",
        "case-indicators",
        "--group",
        "category",
        "--start",
        "2026-11-01",
        "--end",
        "2026-11-30",
        "-o",
        str(out),
    )
    assert code == 0
    assert "1 rows" in text
    sheet = load_workbook(out).active
    assert sheet is not None
    assert sheet["A4"].value == "测试噪声"
    assert sheet["C4"].value == 1
    assert AuditEntry.objects.filter(
        action="export", object_type="cases.indicators", actor__isnull=True
    ).exists()


def test_category_questions_come_from_a_json_file(cw: CaseWorld, capsys, tmp_path: Path) -> None:
    good = tmp_path / "q.json"
    good.write_text(
        '[{"code": "floor", "label": "楼层", "datatype": "number", "required": true}]', encoding="utf-8"
    )
    assert run(capsys, "category", "set", "T-STALL", "--questions", str(good))[0] == 0
    assert Category.objects.get(code="T-STALL").questions[0]["label"] == "楼层"
    bad = tmp_path / "bad.json"
    bad.write_text('[{"code": "Floor!", "datatype": "number"}]', encoding="utf-8")
    code, _, err = run(capsys, "category", "set", "T-STALL", "--questions", str(bad))
    assert code == 1
    assert "编码" in err
    bad.write_text("{not json", encoding="utf-8")
    assert "not valid JSON" in run(capsys, "category", "set", "T-STALL", "--questions", str(bad))[2]
    assert Category.objects.get(code="T-STALL").questions[0]["code"] == "floor"
