"""The one way Linli writes spreadsheets: user text always as text, never as a formula or a link.

Every Excel export (resident ledger, import reports, visit log, coverage, case indicators) opens its
workbook here. xlsxwriter's `write()`/`write_row()` turn a string starting with "=" into a live formula,
so a visit's observations `=HYPERLINK("http://…"&C5,"详情")` became a link carrying another cell's data;
and its defaults turn "http://…" into links and (if asked) "0012" into 12. Here:

- the workbook is opened with formulas, URLs and numbers from strings all off;
- a sheet is a `SafeSheet`: `write`, `write_row` and `write_string` write every `str` as a string cell
  (stripped of characters XML cannot carry, which would corrupt the file); only real numbers become
  number cells; there is no way to write a formula.

No module outside this one may import xlsxwriter (or write CSV); `linli/core/tests/test_exports.py`
fails if one does, and checks every export with hostile text.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import xlsxwriter

from linli.core.validation import xml_safe

OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
# Excel's limit for one cell; xlsxwriter refuses (silently, with -2) anything longer.
MAX_CELL = 32767


class SafeSheet:
    """An xlsxwriter worksheet that writes user text as text. Same method names, so call sites read alike."""

    def __init__(self, sheet: Any) -> None:
        self._sheet = sheet

    def write_string(self, row: int, col: int, value: Any, cell_format: Any = None) -> None:
        self._sheet.write_string(row, col, xml_safe(str(value))[:MAX_CELL], cell_format)

    def write_number(self, row: int, col: int, value: float | int | Decimal, cell_format: Any = None) -> None:
        number = float(value)
        if math.isfinite(number):
            self._sheet.write_number(row, col, number, cell_format)
        else:
            self._sheet.write_blank(row, col, None, cell_format)

    def write_blank(self, row: int, col: int, value: Any = None, cell_format: Any = None) -> None:
        self._sheet.write_blank(row, col, None, cell_format)

    def write(self, row: int, col: int, value: Any, cell_format: Any = None) -> None:
        """By Python type: numbers as numbers, None as blank, dates as YYYY-MM-DD, everything else as text."""
        if value is None:
            self.write_blank(row, col, None, cell_format)
        elif isinstance(value, bool):
            self.write_string(row, col, "是" if value else "否", cell_format)
        elif isinstance(value, int | float | Decimal):
            self.write_number(row, col, value, cell_format)
        elif isinstance(value, datetime):
            self.write_string(row, col, value.isoformat(sep=" ", timespec="minutes"), cell_format)
        elif isinstance(value, date):
            self.write_string(row, col, value.isoformat(), cell_format)
        else:
            self.write_string(row, col, value, cell_format)

    def write_row(self, row: int, col: int, values: Iterable[Any], cell_format: Any = None) -> None:
        for offset, value in enumerate(values):
            self.write(row, col + offset, value, cell_format)

    def set_column(self, first: int, last: int, width: float, cell_format: Any = None) -> None:
        self._sheet.set_column(first, last, width, cell_format)

    def freeze_panes(self, row: int, col: int) -> None:
        self._sheet.freeze_panes(row, col)


class SafeWorkbook:
    """An xlsxwriter workbook whose sheets are `SafeSheet`s."""

    def __init__(self, target: Path | IO[bytes]) -> None:
        # A file is streamed row by row (a street's ledger is 260,000 rows); a buffer is built in memory.
        mode = {"constant_memory": True} if isinstance(target, Path) else {"in_memory": True}
        self._book = xlsxwriter.Workbook(str(target) if isinstance(target, Path) else target, OPTIONS | mode)

    def add_worksheet(self, name: str) -> SafeSheet:
        return SafeSheet(self._book.add_worksheet(name))

    def add_format(self, properties: dict[str, Any]) -> Any:
        return self._book.add_format(properties)

    def close(self) -> None:
        self._book.close()


def open_workbook(target: Path | IO[bytes]) -> SafeWorkbook:
    """A new workbook writing to `target` (a path, or a buffer such as a download's BytesIO)."""
    return SafeWorkbook(target)


def write_figures(
    book: SafeWorkbook,
    sheet: SafeSheet,
    *,
    title: str,
    group_label: str,
    columns: Sequence[tuple[str, str]],
    rows: Sequence[Any],
    value: Callable[[Any, str], float | int | None],
) -> None:
    """A title, a header (group, code, each column's title) and one line per row with its `label` and `key`.
    Columns whose name ends in `_rate` are percentages; a None value is a blank cell."""
    bold = book.add_format({"bold": True})
    percent = book.add_format({"num_format": "0.0%"})
    sheet.write_row(0, 0, [title], bold)
    sheet.write_row(2, 0, [group_label, "编码", *[t for _, t in columns]], bold)
    for r, row in enumerate(rows, start=3):
        # Labels are people's, grids' and departments' names: user text.
        sheet.write_string(r, 0, row.label)
        sheet.write_string(r, 1, row.key)
        for c, (name, _) in enumerate(columns, start=2):
            cell = value(row, name)
            if cell is None:
                sheet.write_blank(r, c, None)
            elif name.endswith("_rate"):
                sheet.write_number(r, c, cell, percent)
            else:
                sheet.write_number(r, c, cell)
