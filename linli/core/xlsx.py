"""Writing figures tables (indicators, coverage) to Excel the same way everywhere."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any


def write_figures(
    book: Any,
    sheet: Any,
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
        sheet.write(r, 0, row.label)
        sheet.write(r, 1, row.key)
        for c, (name, _) in enumerate(columns, start=2):
            cell = value(row, name)
            if cell is None:
                sheet.write_blank(r, c, None)
            elif name.endswith("_rate"):
                sheet.write_number(r, c, cell, percent)
            else:
                sheet.write_number(r, c, cell)
