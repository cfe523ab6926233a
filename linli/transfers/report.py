"""The import report: every row with an error or warning, as it was, with what to fix."""

from __future__ import annotations

from pathlib import Path

from linli.core.xlsx import open_workbook
from linli.transfers.models import ImportJob, RowOutcome


def write_import_report(job: ImportJob, path: Path) -> int:
    """Write the report workbook; returns how many rows it lists."""
    rows = [r for r in job.rows.order_by("row_number").iterator() if r.errors or r.warnings]
    headers: list[str] = []
    for row in rows:
        for key in row.values:
            if key not in headers:
                headers.append(key)
    workbook = open_workbook(path)
    sheet = workbook.add_worksheet("问题行")
    bold = workbook.add_format({"bold": True, "bg_color": "#F2F2F2"})
    error_format = workbook.add_format({"font_color": "#C62828", "text_wrap": True})
    warning_format = workbook.add_format({"font_color": "#B35900", "text_wrap": True})
    fixed = ["原行号", "结果", "问题说明"]
    for col, title in enumerate(fixed + headers):
        sheet.write_string(0, col, title, bold)
    sheet.set_column(2, 2, 50)
    for index, row in enumerate(rows, start=1):
        refused = row.outcome == RowOutcome.ERROR
        problems = [f"错误：{e}" for e in row.errors] + [f"提示：{w}" for w in row.warnings]
        sheet.write_number(index, 0, row.row_number)
        sheet.write_string(index, 1, "未导入" if refused else "已导入")
        sheet.write_string(index, 2, "；".join(problems), error_format if refused else warning_format)
        for col, key in enumerate(headers, start=len(fixed)):
            # Text, always: an identity number must never turn into 4.4E+17.
            sheet.write_string(index, col, str(row.values.get(key, "")))
    summary = workbook.add_worksheet("汇总")
    for r, (key, value) in enumerate(job.summary.items()):
        summary.write_string(r, 0, str(key))
        summary.write_string(r, 1, str(value))
    workbook.close()
    return len(rows)
