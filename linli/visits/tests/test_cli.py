"""`linli care-plan`, `linli export visits|visit-coverage` and the visit sweep in `linli tick`."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from openpyxl import load_workbook

from linli.core.cli import main
from linli.core.models import AuditEntry
from linli.visits import services
from linli.visits.models import CarePlan
from linli.visits.tests.conftest import SHANGHAI, VisitWorld


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_care_plans_from_the_console(vw: VisitWorld, capsys) -> None:
    code, out, _ = run(
        capsys, "care-plan", "add", "--area", "S01/C01", "--tag", "elderly_80", "--every", "14"
    )
    assert code == 0
    assert "every 14 days" in out
    plan = CarePlan.objects.get(tag__code="elderly_80")
    assert run(capsys, "care-plan", "set", str(plan.pk), "--active", "off")[1].endswith("off\n")
    assert "elderly_80" in run(capsys, "care-plan", "list")[1]


def test_console_mistakes_are_one_line_and_exit_1(vw: VisitWorld, capsys, tmp_path: Path) -> None:
    for argv, message in [
        (["care-plan", "add", "--area", "S01", "--tag", "nope", "--every", "7"], "no tag with code 'nope'"),
        (["care-plan", "add", "--area", "S09", "--tag", "elderly_80", "--every", "7"], "S09"),
        (["care-plan", "set", "999", "--every", "7"], "no care plan 999"),
        (["care-plan", "set", str(vw.weekly.pk), "--every", "0"], "1 至 366"),
        (
            [
                "export",
                "visits",
                "--start",
                "2026-11-20",
                "--end",
                "2026-11-01",
                "-o",
                str(tmp_path / "x.xlsx"),
            ],
            "--end is before",
        ),
        (["export", "visit-coverage", "-o", str(tmp_path / "x.csv")], "must end in .xlsx"),
    ]:
        code, _, err = run(capsys, *argv)
        assert code == 1, argv
        assert err.startswith("linli: error: ")
        assert message in err
        assert err.count("\n") == 1


def test_exports_write_excel_and_are_audited(vw: VisitWorld, capsys, tmp_path: Path) -> None:
    services.visit_create(actor=None, resident=vw.alone, mode="in_person", observations="良好")
    out = tmp_path / "visits.xlsx"
    code, text, _ = run(
        capsys, "export", "visits", "--start", "2026-11-01", "--end", "2026-11-20", "-o", str(out)
    )
    assert code == 0
    assert text.startswith("1 visits")
    assert load_workbook(out).active.cell(row=4, column=4).value == "钱老伯"
    cover = tmp_path / "coverage.xlsx"
    assert run(capsys, "export", "visit-coverage", "--group", "community", "-o", str(cover))[0] == 0
    assert load_workbook(cover).active.cell(row=4, column=1).value == "锦绣社区"
    assert AuditEntry.objects.filter(action="export", object_type__startswith="visits.").count() == 2


def test_tick_runs_the_visit_sweep_and_is_safe_to_repeat(vw: VisitWorld, clock, capsys) -> None:
    clock.move_to(datetime(2026, 12, 1, 9, 0, tzinfo=SHANGHAI))
    # each module's sweep prints a line, in the order of the installed apps: the visits' is found by its name
    first = next(line for line in run(capsys, "tick")[1].splitlines() if line.startswith("visit sweep:"))
    second = next(line for line in run(capsys, "tick")[1].splitlines() if line.startswith("visit sweep:"))
    assert first.endswith("targets newly overdue 3")
    assert (
        second
        == "visit sweep: visit targets: 0 added, 0 changed, 0 removed; tasks overdue 0; targets newly overdue 0"
    )
