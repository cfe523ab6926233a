"""Opinions to Excel: the ledger (社情民意台账) and the monthly report. Both audited, through core.xlsx."""

from __future__ import annotations

from datetime import date
from typing import IO, TYPE_CHECKING, Any

from linli.areas.models import Area
from linli.core.audit import Action, audit_record
from linli.core.xlsx import open_workbook
from linli.opinions.models import Opinion
from linli.opinions.selectors import MonthlyReport

if TYPE_CHECKING:
    from linli.accounts.models import User

LEDGER_COLUMNS = [
    "编号",
    "收集时间",
    "区域",
    "渠道",
    "反映人",
    "议题",
    "意见内容",
    "状态",
    "研判",
    "工单",
    "答复期限",
    "答复时间",
    "答复内容",
    "办理结果",
]


def export_ledger(
    *, actor: User, target: IO[bytes], opinions: Any, title: str, area: Area | None = None
) -> int:
    """The ledger of an already scoped and filtered queryset. Names only; no phones or ID numbers."""
    rows = (
        opinions.select_related("area", "resident", "case")
        .prefetch_related("topic_rows")
        .order_by("received_at", "pk")
    )
    book = open_workbook(target)
    sheet = book.add_worksheet("社情民意台账")
    bold = book.add_format({"bold": True})
    sheet.write_row(0, 0, [title], bold)
    sheet.write_row(2, 0, LEDGER_COLUMNS, bold)
    names = Area.qualified_names(
        Area.objects.filter(pk__in=opinions.order_by().values("area_id")).values_list("path", "name")
    )
    count = 0
    o: Opinion
    for count, o in enumerate(rows.iterator(chunk_size=2000), start=1):
        sheet.write_row(
            count + 2,
            0,
            [
                o.number,
                o.received_at,
                names.get(o.area.path, o.area.name),
                o.get_channel_display(),
                o.speaker_label,
                "、".join(t.get_topic_display() for t in o.topic_rows.all()),
                o.summary,
                o.get_status_display(),
                o.get_disposition_display() if o.disposition else "",
                o.case.number if o.case_id and o.case else "",
                o.reply_due_at,
                o.replied_at,
                o.reply,
                o.outcome,
            ],
        )
    sheet.set_column(0, 5, 14)
    sheet.set_column(6, 6, 40)
    sheet.set_column(12, 13, 30)
    book.close()
    audit_record(
        actor=actor,
        action=Action.EXPORT,
        object_type="opinions.opinion",
        object_repr=title,
        area_path=area.path if area else None,
        changes={"rows": count, "area": area.path if area else ""},
    )
    return count


def export_report(*, actor: User, target: IO[bytes], report: MonthlyReport, area: Area | None = None) -> None:
    book = open_workbook(target)
    bold = book.add_format({"bold": True})
    sheet = book.add_worksheet("月报")
    title = f"社情民意月报 {report.month:%Y 年 %m 月}"
    sheet.write_row(0, 0, [title], bold)
    figures = [
        ("收集意见", report.total),
        ("转为诉求工单", report.to_case),
        ("转诉求占比", report.case_share),
        ("已答复", report.replied),
        ("按期答复", report.on_time),
        ("逾期（含逾期未答复）", report.late),
        ("按期答复率", report.on_time_share),
        ("已办结", report.closed),
    ]
    for r, (label, value) in enumerate(figures, start=2):
        sheet.write_row(r, 0, [label, value])
    r = len(figures) + 3
    for heading, rows in (
        ("议题", report.topics),
        ("渠道", report.channels),
        ("研判结果", report.dispositions),
    ):
        sheet.write_row(r, 0, [heading, "件数"], bold)
        for _, label, n in rows:
            r += 1
            sheet.write_row(r, 0, [label, n])
        r += 2
    sheet.write_row(r, 0, ["区域", "件数", "转诉求", "转诉求占比", "按期答复率"], bold)
    for row in report.areas:
        r += 1
        sheet.write_row(
            r, 0, [row["label"], row["total"], row["cases"], row["case_share"], row["on_time_share"]]
        )
    sheet.set_column(0, 0, 24)
    book.close()
    audit_record(
        actor=actor,
        action=Action.EXPORT,
        object_type="opinions.report",
        object_repr=title,
        area_path=area.path if area else None,
        changes={"month": f"{report.month:%Y-%m}", "area": area.path if area else ""},
    )


def month_title(month: date) -> str:
    return f"{month:%Y 年 %m 月}"
