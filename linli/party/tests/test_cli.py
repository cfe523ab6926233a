"""`linli export party-members|party-meetings|party-appraisal` and the party sweep in `linli tick`."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from linli.cases.models import Notification
from linli.core.cli import main
from linli.core.models import AuditEntry
from linli.party import services

pytestmark = pytest.mark.django_db


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_exports_from_the_console_are_audited(pw, capsys, tmp_path: Path) -> None:
    services.meeting_create(
        actor=None,
        organisation=pw.branch,
        kind="general",
        held_on=date(2026, 11, 2),
        place="会议室",
        topic="学习",
    )
    for what, extra in [
        ("party-members", []),
        ("party-meetings", ["--year", "2026"]),
        ("party-appraisal", ["--year", "2026"]),
    ]:
        out_file = tmp_path / f"{what}.xlsx"
        code, out, _ = run(capsys, "export", what, *extra, "-o", str(out_file))
        assert code == 0, what
        assert "written to" in out
        assert load_workbook(out_file).active.max_row >= 4
    assert AuditEntry.objects.filter(action="export", object_type__startswith="party.").count() == 3


def test_the_sweep_tells_the_leaders_once(pw, capsys) -> None:
    code, out, _ = run(capsys, "tick")
    assert code == 0
    assert "party sweep" in out
    told = Notification.objects.filter(user=pw.w.c01_leader, text__startswith="三会一课超期").count()
    assert told > 0
    run(capsys, "tick")
    assert Notification.objects.filter(user=pw.w.c01_leader, text__startswith="三会一课超期").count() == told
