"""Volunteer statistics to Excel (through core/xlsx.py), audited. Figures only: no names, IDs or phones."""

from __future__ import annotations

from pathlib import Path
from typing import IO, TYPE_CHECKING

from linli.core.audit import Action, audit_record
from linli.core.xlsx import open_workbook
from linli.volunteers.selectors import Statistics

if TYPE_CHECKING:
    from linli.accounts.models import User

MONTHS = [f"{m}月" for m in range(1, 13)]


def export_statistics(*, actor: User | None, target: Path | IO[bytes], figures: Statistics) -> int:
    book = open_workbook(target)
    bold = book.add_format({"bold": True})
    sheet = book.add_worksheet("志愿者概况")
    sheet.write_row(0, 0, [f"志愿服务统计 {figures.year} 年"], bold)
    sheet.write_row(
        2, 0, ["社区", "常住居民", "注册志愿者", "每千人志愿者", "在册", "本年参与服务", "参与率（%）"], bold
    )
    row = 3
    for f in [*figures.communities, figures.total]:
        sheet.write_row(
            row, 0, [f.name, f.residents, f.volunteers, f.per_thousand, f.active, f.serving, f.active_share]
        )
        row += 1
    sheet.set_column(0, 0, 18)
    for title, rows in (("按队伍服务时长", figures.by_team), ("按网格服务时长", figures.by_grid)):
        s = book.add_worksheet(title)
        s.write_row(0, 0, [f"{title}（小时）{figures.year} 年"], bold)
        s.write_row(2, 0, ["名称", *MONTHS, "合计"], bold)
        for i, (name, hours, total) in enumerate(rows, start=3):
            s.write_row(i, 0, [name, *hours, total])
        s.set_column(0, 0, 24)
    book.close()
    audit_record(
        actor=actor,
        action=Action.EXPORT,
        object_type="volunteers.statistics",
        object_repr=f"志愿服务统计 {figures.year}",
        changes={"year": figures.year, "rows": len(figures.communities)},
    )
    return len(figures.communities)
