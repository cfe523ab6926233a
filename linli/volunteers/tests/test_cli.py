"""`linli import volunteers`: good rows kept, bad rows reported in the registry import's style."""

from __future__ import annotations

import openpyxl

from linli.volunteers.models import TeamMembership, Volunteer
from linli.volunteers.roster import import_roster, write_report
from linli.volunteers.tests.conftest import VolunteerWorld
from tests.factories import make_id_number


def _wrong_check(number: str) -> str:
    return number[:17] + ("0" if number[17] != "0" else "1")


def _roster(path, rows):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["锦绣社区志愿者名册"])
    sheet.append(["序号", "姓名", "身份证号", "联系电话", "志愿者类型", "所在单位", "服务技能", "所在队伍"])
    for row in rows:
        sheet.append(row)
    book.save(path)


def test_roster_import_keeps_good_rows_and_reports_the_rest(vw: VolunteerWorld, tmp_path):
    path = tmp_path / "roster.xlsx"
    good = make_id_number("19910101", 51)
    _roster(
        path,
        [
            [1, "冯宁", good, "13800000051", "在职党员", "区财政局", "助老陪伴、魔术", "锦绣助老队"],
            [2, "褚明", _wrong_check(make_id_number("19910101", 55)), "13800000052", "", "", "", ""],
            [3, "薄一鸣", vw.bo.id_number, "13800000002", "共建单位", "市供电公司", "", ""],
            [4, "卫东", make_id_number("19920202", 53), "", "", "", "", ""],
        ],
    )
    dry = import_roster(actor=None, community=vw.w.c01, path=path, dry_run=True)
    assert dry.summary["created"] == 1
    assert not Volunteer.objects.filter(name="冯宁").exists()
    result = import_roster(actor=None, community=vw.w.c01, path=path)
    assert result.summary == {"rows": 4, "created": 1, "skipped": 1, "errors": 2, "warnings": 2}
    feng = Volunteer.objects.get(name="冯宁")
    assert feng.kind == "party_member"
    assert TeamMembership.objects.filter(volunteer=feng, team=vw.team).exists()
    report = tmp_path / "report.xlsx"
    assert write_report(result, report) == 4
    rows = list(openpyxl.load_workbook(report)["问题行"].iter_rows(values_only=True))
    assert rows[0][:3] == ("原行号", "结果", "问题说明")
    by_number = {r[0]: r for r in rows[1:]}
    assert by_number[4][1] == "未导入"
    assert "身份证" in by_number[4][2] or "校验" in by_number[4][2]
    assert by_number[3][1] == "已导入"
    assert "魔术" in by_number[3][2]
    assert by_number[6][1] == "未导入"
    assert "电话" in by_number[6][2]
    assert by_number[5][1] == "已跳过"


def test_the_cli_command_runs(vw: VolunteerWorld, tmp_path, capsys):
    from linli.core.cli import main

    path = tmp_path / "roster.xlsx"
    _roster(path, [[1, "冯宁", make_id_number("19910101", 51), "13800000051", "", "", "", ""]])
    main(["import", "volunteers", str(path), "--community", "S01/C01"])
    assert "1 created" in capsys.readouterr().out
