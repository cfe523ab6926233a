"""The streaming .xlsx reader gives, cell for cell, what python-calamine gives for the same workbook."""

from __future__ import annotations

import re
import zipfile
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import xlsxwriter
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from python_calamine import CalamineWorkbook

from linli.core.errors import DomainError
from linli.registry.normalise import text
from linli.transfers import ledger, xlsx


def normalised(rows: Any) -> list[list[str]]:
    """Rows as the import sees them (every cell through normalise.text), without trailing blanks."""
    out = []
    for row in rows:
        cells = [text(v) for v in row]
        while cells and not cells[-1]:
            cells.pop()
        out.append(cells)
    while out and not out[-1]:
        out.pop()
    return out


def calamine_rows(path: Path) -> list[list[str]]:
    return normalised(CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).iter_rows())


def streamed_rows(path: Path) -> list[list[str]]:
    rows, _ = xlsx.read_first_sheet(path)
    return normalised(rows)


def openpyxl_book(path: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "台账"
    ws.append(["XX社区居民信息台账"])
    ws.append(["姓名", "身份证号", "出生日期", "联系电话", "人数", "在册", "备注"])
    ws.append(["张三", "110101199003077777", date(1990, 3, 7), 13800138000, 3, True, "a & b <c>"])
    at = datetime(1988, 5, 1, 8, 30)  # noqa: DTZ001  (a spreadsheet's times are naive)
    ws.append(["李四", 110101199003071234, at, "021-12345678", 2.5, False, None])
    ws["A5"] = CellRichText(["王", TextBlock(InlineFont(b=True), "五")])
    ws["C5"] = date(2001, 12, 31)
    ws["C5"].number_format = "yyyy年m月d日"
    ws["E5"] = 1234.5
    ws["E5"].number_format = '0.00"元"'
    ws["G9"] = "隔行\n换行"
    ws["AB9"] = "远处的列"
    wb.create_sheet("第二张").append(["不读这一张"])
    wb.save(path)
    return path


def xlsxwriter_book(path: Path, constant_memory: bool) -> Path:
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": constant_memory})
    ws = wb.add_worksheet()
    dates = wb.add_format({"num_format": "yyyy-mm-dd"})
    start = datetime(1950, 1, 1)  # noqa: DTZ001  (a spreadsheet's dates are naive)
    ws.write_row(0, 0, ["姓名", "身份证号", "出生日期", "联系电话"])
    for i in range(1, 300):
        ws.write_string(i, 0, f"居民{i}")
        ws.write_string(i, 1, f"11010119900307{i:04d}")
        ws.write_datetime(i, 2, start + timedelta(days=61 * i), dates)
        ws.write_number(i, 3, 13800000000 + i)
    ws.write_string(305, 1, "x\ry & z")  # written as x_x000D_y &amp; z
    ws.write_string(306, 1, "literal _x000D_")  # written as literal _x005F_x000D_
    wb.close()
    return path


def test_sample_ledger_reads_as_calamine_reads_it(sample_ledger):
    assert streamed_rows(sample_ledger) == calamine_rows(sample_ledger)


def test_openpyxl_workbook_with_dates_numbers_rich_text_and_gaps(tmp_path):
    path = openpyxl_book(tmp_path / "book.xlsx")
    ours = streamed_rows(path)
    assert ours == calamine_rows(path)
    assert ours[2] == ["张三", "110101199003077777", "1990-03-07", "13800138000", "3", "True", "a & b <c>"]
    assert ours[4][:5] == ["王五", "", "2001-12-31", "", "1234.5"]
    assert ours[8][27] == "远处的列"


@pytest.mark.parametrize("constant_memory", [True, False], ids=["inline-strings", "shared-strings"])
def test_xlsxwriter_workbooks(tmp_path, constant_memory):
    path = xlsxwriter_book(tmp_path / "book.xlsx", constant_memory)
    ours = streamed_rows(path)
    assert ours == calamine_rows(path)
    assert ours[305][1] == "x\ry & z"
    assert ours[306][1] == "literal _x000D_"


def test_rows_keep_their_excel_numbers_and_total_comes_from_the_dimension(tmp_path):
    path = openpyxl_book(tmp_path / "book.xlsx")
    rows, total = xlsx.read_first_sheet(path)
    listed = list(rows)
    assert total == 9
    assert len(listed) == 9  # rows 6 to 8 are missing from the XML and come back empty
    assert listed[5] == listed[6] == listed[7] == []
    assert listed[8][6] == "隔行\n换行"


def test_chunk_boundaries_anywhere(tmp_path, monkeypatch):
    path = xlsxwriter_book(tmp_path / "book.xlsx", constant_memory=False)
    expected = calamine_rows(path)
    for size in (97, 1000, 4099):  # odd sizes split tags, rows and shared strings at every kind of place
        monkeypatch.setattr(xlsx, "CHUNK_CHARS", size)
        assert streamed_rows(path) == expected


def test_single_quoted_attributes_read_the_same(tmp_path):
    """XML allows 'x' as well as "x"; a writer that uses single quotes must not turn strings into numbers."""
    path = openpyxl_book(tmp_path / "book.xlsx")
    quoted = tmp_path / "quoted.xlsx"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(quoted, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename.endswith((".xml", ".rels")):
                data = re.sub(rb'(\s[\w:]+)="([^"]*)"', rb"\1='\2'", data)
            target.writestr(info, data)
    assert b"r='A1'" in zipfile.ZipFile(quoted).read("xl/worksheets/sheet1.xml")
    assert streamed_rows(quoted) == streamed_rows(path) == calamine_rows(path)


def test_damaged_and_foreign_files_are_refused_before_any_row(tmp_path):
    good = xlsxwriter_book(tmp_path / "good.xlsx", constant_memory=False)
    truncated = tmp_path / "truncated.xlsx"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    not_zip = tmp_path / "text.xlsx"
    not_zip.write_text("姓名,身份证号\n", encoding="utf-8")
    flipped = tmp_path / "flipped.xlsx"
    data = bytearray(good.read_bytes())
    with zipfile.ZipFile(good) as archive:
        info = archive.getinfo("xl/worksheets/sheet1.xml")
    data[info.header_offset + 30 + len(info.filename) + info.compress_size // 2] ^= (
        0xFF  # inside the sheet's data
    )
    flipped.write_bytes(bytes(data))
    not_a_workbook, damaged = "文件不是 Excel 工作簿", "文件已损坏或不完整"
    for path, reason in ((truncated, not_a_workbook), (not_zip, not_a_workbook), (flipped, damaged)):
        with pytest.raises(DomainError, match=f"无法读取 Excel 文件 {path.name}：{reason}"):
            ledger.read_ledger(path)


def test_custom_date_formats():
    assert xlsx._is_date_format("yyyy年m月d日")
    assert xlsx._is_date_format("[$-804]yyyy/mm/dd")
    assert xlsx._is_date_format("[h]:mm:ss")
    assert not xlsx._is_date_format('0.00"元"')
    assert not xlsx._is_date_format("[Red]#,##0")
    assert not xlsx._is_date_format("0.00E+00")
    assert not xlsx._is_date_format("General")
