"""`linli import partners`: partner units from an Excel (.xlsx) or CSV ledger, row by row like the resident
import — a row with an error is not imported and is listed in the report with what to fix; the other rows
are (a unit already registered under the same name in the community is updated). `--dry-run` saves nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.db import transaction

from linli.areas.models import Area
from linli.core.audit import Action, audit_record
from linli.core.errors import DomainError
from linli.core.xlsx import open_workbook
from linli.partners.models import PartnerUnit
from linli.partners.services import UNIT_FIELDS, _keep, check_unit

if TYPE_CHECKING:
    from linli.accounts.models import User

HEADERS = {
    "单位名称": "name",
    "名称": "name",
    "类型": "kind",
    "单位类型": "kind",
    "联系人": "contact_name",
    "联系电话": "contact_phone",
    "电话": "contact_phone",
    "地址": "address",
    "党组织": "party_organisation",
    "党组织名称": "party_organisation",
    "党员人数": "party_members",
    "职工人数": "staff_count",
    "人数": "staff_count",
    "备注": "notes",
}
MAX_ROWS = 5000


@dataclass
class RowResult:
    number: int
    values: dict[str, str]
    outcome: str = ""  # created | updated | unchanged | error
    error: str = ""


@dataclass
class ImportSummary:
    rows: list[RowResult] = field(default_factory=list)
    unknown_columns: list[str] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(1 for r in self.rows if r.outcome == outcome)

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": len(self.rows),
            **{k: self.count(k) for k in ("created", "updated", "unchanged", "error")},
            "unknown_columns": self.unknown_columns,
        }


def read_rows(path: Path) -> list[list[str]]:
    """The first sheet's rows as text, read by the registry import's reader (the same encodings, and the same
    bounds on hostile files: zip bombs, endless lines, cells over the field limit, time)."""
    from linli.transfers.ledger import iter_cells

    rows, total = iter_cells(path)
    if total > MAX_ROWS + 1:
        raise DomainError(f"一次最多导入 {MAX_ROWS} 个单位。")
    return [["" if c is None else str(c).strip() for c in row] for row in rows]


def import_partners(*, actor: User | None, area: Area, path: Path, dry_run: bool = False) -> ImportSummary:
    _keep(actor, area)
    table = read_rows(path)
    if not table:
        raise DomainError("文件是空的。")
    header = table[0]
    keys = [HEADERS.get(h.replace(" ", "")) for h in header]
    if "name" not in keys:
        raise DomainError("第一行应是表头，且必须有“单位名称”一列。")
    if len(table) - 1 > MAX_ROWS:
        raise DomainError(f"一次最多导入 {MAX_ROWS} 个单位。")
    summary = ImportSummary(unknown_columns=[h for h, k in zip(header, keys, strict=True) if k is None and h])
    seen: set[str] = set()
    with transaction.atomic():
        for number, row in enumerate(table[1:], start=2):
            if not any(row):
                continue
            values = {h: (row[i] if i < len(row) else "") for i, h in enumerate(header)}
            data = {k: (row[i] if i < len(row) else "") for i, k in enumerate(keys) if k}
            result = RowResult(number, values)
            summary.rows.append(result)
            try:
                with transaction.atomic():
                    clean = check_unit(data)
                    if clean["name"] in seen:
                        raise DomainError(f"文件中“{clean['name']}”出现了不止一次。")
                    seen.add(clean["name"])
                    unit = PartnerUnit.objects.filter(area=area, name=clean["name"]).first()
                    if unit is None:
                        PartnerUnit.objects.create(area=area, **clean)
                        result.outcome = "created"
                    elif all(getattr(unit, k) == clean[k] for k in UNIT_FIELDS):
                        result.outcome = "unchanged"
                    else:
                        for k, v in clean.items():
                            setattr(unit, k, v)
                        unit.save()
                        result.outcome = "updated"
            except DomainError as exc:
                result.outcome, result.error = "error", exc.message
        audit_record(
            actor=actor,
            action=Action.IMPORT,
            area_path=area.path,
            object_type="partners.partnerunit",
            object_repr=f"驻区单位导入 {path.name}" + ("（试运行）" if dry_run else ""),
            changes={k: [None, v] for k, v in summary.as_dict().items() if k != "unknown_columns"},
        )
        if dry_run:
            transaction.set_rollback(True)
    return summary


def write_report(summary: ImportSummary, path: Path) -> int:
    """Every row with an error, as it was, with what to fix (the resident import's report layout)."""
    rows = [r for r in summary.rows if r.outcome == "error"]
    headers: list[str] = []
    for r in rows:
        headers += [h for h in r.values if h not in headers]
    book = open_workbook(path)
    sheet = book.add_worksheet("问题行")
    bold = book.add_format({"bold": True, "bg_color": "#F2F2F2"})
    red = book.add_format({"font_color": "#C62828", "text_wrap": True})
    for col, title in enumerate(["原行号", "结果", "问题说明", *headers]):
        sheet.write_string(0, col, title, bold)
    sheet.set_column(2, 2, 50)
    for i, r in enumerate(rows, start=1):
        sheet.write_number(i, 0, r.number)
        sheet.write_string(i, 1, "未导入")
        sheet.write_string(i, 2, f"错误：{r.error}", red)
        for col, h in enumerate(headers, start=3):
            sheet.write_string(i, col, r.values.get(h, ""))
    overview = book.add_worksheet("汇总")
    for i, (k, v) in enumerate(summary.as_dict().items()):
        overview.write_string(i, 0, k)
        overview.write_string(i, 1, str(v))
    book.close()
    return len(rows)
