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
from linli.core.xlsx import open_workbook, write_figures

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
    cases = Case.objects.visible_to(actor) if actor is not None else Case.objects.all()
    if area:
        cases = cases.filter(subtree_q([area.strip("/").upper()], "area__path"))
    rows, total = selectors.indicators(
        cases, group=group, start=period_bounds(start, end)[0], end=period_bounds(start, end)[1]
    )
    book = open_workbook(target)
    sheet = book.add_worksheet("诉求办理指标")
    write_figures(
        book,
        sheet,
        title=f"诉求办理指标 {start:%Y-%m-%d} 至 {end:%Y-%m-%d}（按受理时间）",
        group_label=selectors.GROUP_LABELS[group],
        columns=selectors.INDICATOR_TITLES,
        rows=[*rows, total],
        value=selectors.indicator_value,
    )
    header_width = len(selectors.INDICATOR_TITLES) + 2
    sheet.set_column(0, 0, 18)
    sheet.set_column(2, header_width, 11)
    book.close()
    audit_record(
        actor=actor,
        action=Action.EXPORT,
        object_type="cases.indicators",
        object_repr=f"诉求办理指标（{selectors.GROUP_LABELS[group]}）",
        changes={"group": group, "start": str(start), "end": str(end), "rows": len(rows), "area": area or ""},
    )
    return len(rows)
