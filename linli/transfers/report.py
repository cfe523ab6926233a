"""The import report: every row with an error or warning, as it was, with what to fix."""

from __future__ import annotations

import re
from pathlib import Path

from linli.core.xlsx import open_workbook
from linli.registry.idnumber import mask_id, mask_phone
from linli.transfers import ledger
from linli.transfers.models import ImportJob, RowOutcome

# A run of seven or more digits (spaces or hyphens between them, an X at the end): an identity number or a
# phone wherever it stands — in a column Linli ignored, or quoted back in a warning.
_NUMBER = re.compile(r"\d(?:[ -]?\d){6,}[Xx]?")


def mask_text(text: str) -> str:
    """`text` with every number that could be an identity number or a phone masked as the lists mask them."""

    def masked(found: re.Match[str]) -> str:
        digits = re.sub(r"[ -]", "", found.group(0))
        return mask_id(digits) if len(digits) >= 15 else mask_phone(digits)

    return _NUMBER.sub(masked, text)


def masked_values(values: dict[str, str]) -> dict[str, str]:
    """A row's original values as someone without the reveal permission may see them."""
    keys = ledger.synonyms()
    out = {}
    for header, value in values.items():
        key = keys.get(ledger.header_text(header))
        text = str(value)
        if key == "id_number" and text:
            out[header] = mask_id(re.sub(r"\s", "", text))
        elif key == "phone" and text:
            out[header] = mask_phone(re.sub(r"\D", "", text) or text)
        else:
            out[header] = mask_text(text)
    return out


def write_import_report(job: ImportJob, path: Path, *, reveal: bool = True) -> int:
    """Write the report workbook; returns how many rows it lists. Without `reveal`, identity numbers and
    phones are masked — in their columns, in every other column and in the reasons. (The default is the
    CLI's: the operator's own file, written back to the operator; pages always say.)"""
    rows = [r for r in job.rows.order_by("row_number").iterator() if r.errors or r.warnings]
    if not reveal:
        for row in rows:
            row.values = masked_values(row.values)
            row.errors = [mask_text(e) for e in row.errors]
            row.warnings = [mask_text(w) for w in row.warnings]
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
