"""Case indicators as an Excel ledger (the page's download and `linli export case-indicators`)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import IO, TYPE_CHECKING

from django.utils import timezone

from linli.cases import selectors
from linli.cases.models import Case
from linli.core.audit import Action, audit_record
from linli.core.scoping import subtree_q

if TYPE_CHECKING:
    from linli.accounts.models import User


def period_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """[start 00:00, the day after end 00:00) in local time."""
    tz = timezone.get_current_timezone()
    return (
        timezone.make_aware(datetime.combine(start, time.min), tz),
        timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min), tz),
    )


def export_indicators(
    *,
    actor: User | None,
    target: Path | IO[bytes],
    group: str,
    start: date,
    end: date,
    area: str | None = None,
) -> int:
    """Write the indicators of cases received from `start` to `end` (inclusive); audited. Returns the row count."""
    import xlsxwriter

    cases = Case.objects.visible_to(actor) if actor is not None else Case.objects.all()
    if area:
        cases = cases.filter(subtree_q([area.strip("/").upper()], "area__path"))
    rows, total = selectors.indicators(
        cases, group=group, start=period_bounds(start, end)[0], end=period_bounds(start, end)[1]
    )
    book = xlsxwriter.Workbook(str(target) if isinstance(target, Path) else target, {"in_memory": True})
    sheet = book.add_worksheet("诉求办理指标")
    bold = book.add_format({"bold": True})
    percent = book.add_format({"num_format": "0.0%"})
    sheet.write_row(0, 0, [f"诉求办理指标 {start:%Y-%m-%d} 至 {end:%Y-%m-%d}（按受理时间）"], bold)
    header = [selectors.GROUP_LABELS[group], "编码", *[title for _, title in selectors.INDICATOR_TITLES]]
    sheet.write_row(2, 0, header, bold)
    for r, row in enumerate([*rows, total], start=3):
        sheet.write(r, 0, row.label)
        sheet.write(r, 1, row.key)
        for c, (name, _) in enumerate(selectors.INDICATOR_TITLES, start=2):
            value = selectors.indicator_value(row, name)
            if value is None:
                sheet.write_blank(r, c, None)
            elif name.endswith("_rate"):
                sheet.write_number(r, c, value, percent)
            else:
                sheet.write_number(r, c, value)
    sheet.set_column(0, 0, 18)
    sheet.set_column(2, len(header), 11)
    book.close()
    audit_record(
        actor=actor,
        action=Action.EXPORT,
        object_type="cases.indicators",
        object_repr=f"诉求办理指标（{selectors.GROUP_LABELS[group]}）",
        changes={"group": group, "start": str(start), "end": str(end), "rows": len(rows), "area": area or ""},
    )
    return len(rows)
