"""Case indicators as an Excel ledger (the page's download and `linli export case-indicators`)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING

from django.db.models import QuerySet
from django.utils import timezone

from linli.areas.models import Area
from linli.cases import selectors
from linli.cases.models import OPEN_STATUSES, Case
from linli.cases.selectors import period_bounds
from linli.core.audit import Action, audit_record
from linli.core.scoping import subtree_q
from linli.core.xlsx import open_workbook, write_figures

if TYPE_CHECKING:
    from linli.accounts.models import User


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


# The case list's columns in its Excel download. The reporter's phone is masked as on the page.
CASE_COLUMNS = (
    ("编号", 16), ("标题", 30), ("状态", 9), ("类别", 18), ("社区", 12), ("网格", 12), ("楼栋 / 房屋", 12),
    ("地址", 26), ("渠道", 12), ("紧急程度", 8), ("受理时间", 17), ("本环节时限", 17), ("结案时限", 17),
    ("超期", 6), ("督办", 10), ("处置人 / 部门", 16), ("反映人", 10), ("联系电话", 13), ("结案时间", 17),
    ("满意度", 8),
)  # fmt: skip
MAX_EXPORT_CASES = 50_000


def export_cases(*, actor: User, target: IO[bytes], cases: QuerySet[Case], filters: str) -> int:
    """The filtered case list as a ledger; audited with the filters and the row count.

    Every cell of text people typed is written as a string (never a formula or a link): the
    workbook refuses to interpret it, so "=HYPERLINK(…)" in a title stays text.
    """
    from linli.cases.models import Channel, Satisfaction, Status, Urgency
    from linli.registry.idnumber import mask_phone
    from linli.registry.models import Building, House

    rows = list(
        cases.values(
            "number", "title", "status", "category__name", "area_id", "building_id", "house_id", "address",
            "channel", "urgency", "received_at", "stage_due_at", "close_due_at", "overdue_since",
            "escalation_level", "assignee__full_name", "assignee__username", "department__name",
            "reporter_name", "reporter_phone", "closed_at", "satisfaction",
        )[:MAX_EXPORT_CASES]
    )  # fmt: skip
    areas = {
        a.pk: a for a in Area.objects.filter(pk__in={r["area_id"] for r in rows}).select_related("parent")
    }
    buildings = dict(
        Building.objects.filter(pk__in={r["building_id"] for r in rows} - {None}).values_list("pk", "number")
    )
    houses = {
        h.pk: str(h)
        for h in House.objects.filter(pk__in={r["house_id"] for r in rows} - {None}).select_related(
            "building", "entrance"
        )
    }
    labels = {
        "status": dict(Status.choices),
        "channel": dict(Channel.choices),
        "urgency": dict(Urgency.choices),
        "satisfaction": dict(Satisfaction.choices),
    }

    tz = timezone.get_current_timezone()

    def when(value: datetime | None) -> str:
        return f"{value.astimezone(tz):%Y-%m-%d %H:%M}" if value else ""

    book = open_workbook(target)
    sheet = book.add_worksheet("诉求工单")
    bold = book.add_format({"bold": True})
    sheet.write_string(
        0, 0, f"诉求工单（{filters}）导出于 {timezone.localtime():%Y-%m-%d %H:%M}，共 {len(rows)} 件", bold
    )
    for col, (title, width) in enumerate(CASE_COLUMNS):
        sheet.write_string(1, col, title, bold)
        sheet.set_column(col, col, width)
    for i, r in enumerate(rows, start=2):
        area = areas[r["area_id"]]
        grid = area if area.kind == Area.Kind.GRID else None
        community = (area.parent if grid else area) if area.kind != Area.Kind.STREET else None
        is_open = r["status"] in OPEN_STATUSES
        values = [
            r["number"], r["title"], labels["status"][r["status"]], r["category__name"],
            community.name if community else "", grid.name if grid else "",
            houses.get(r["house_id"]) or buildings.get(r["building_id"]) or "", r["address"],
            labels["channel"].get(r["channel"], r["channel"]), labels["urgency"].get(r["urgency"], r["urgency"]),
            when(r["received_at"]), when(r["stage_due_at"]) if is_open else "", when(r["close_due_at"]),
            "是" if is_open and r["overdue_since"] else "",
            SUPERVISION.get(r["escalation_level"], "") if is_open else "",
            r["assignee__full_name"] or r["assignee__username"] or r["department__name"] or "",
            r["reporter_name"], mask_phone(r["reporter_phone"]) if r["reporter_phone"] else "",
            when(r["closed_at"]), labels["satisfaction"].get(r["satisfaction"], ""),
        ]  # fmt: skip
        for col, value in enumerate(values):
            if value:  # empty cells are left out: a third of the cells, and of the time
                sheet.write_string(i, col, str(value))
    sheet.freeze_panes(2, 1)
    book.close()
    audit_record(
        actor=actor,
        action=Action.EXPORT,
        object_type="cases.case",
        object_repr=f"诉求工单列表（{len(rows)} 件）",
        changes={"filters": filters, "rows": len(rows)},
    )
    return len(rows)


SUPERVISION = {1: "黄牌", 2: "红牌", 3: "红牌（街道）"}
