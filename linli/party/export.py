"""Party work to Excel (member ledger, meeting records, yearly appraisal) and the A4 meeting record sheet.
Every export and print is audited; rows come only through `visible_to`, so only `party` users get any."""

from __future__ import annotations

from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from linli.core import pdf
from linli.core.audit import Action, audit_record
from linli.core.xlsx import open_workbook
from linli.party import selectors
from linli.party.models import Meeting, PartyOrganisation

if TYPE_CHECKING:
    from linli.accounts.models import User

MEMBER_COLUMNS = [
    "姓名",
    "所在支部",
    "党员类别",
    "党员状态",
    "入党日期",
    "预备期满",
    "工作单位",
    "报到日期",
    "困难党员",
    "关联居民",
    "转出/注销日期",
]
MEETING_COLUMNS = [
    "日期",
    "党组织",
    "会议类型",
    "主题",
    "地点",
    "主持人",
    "应到",
    "出席",
    "迟到",
    "请假",
    "缺席",
    "扫码签到",
]
APPRAISAL_COLUMNS = ["名次", "姓名", "所在支部", "积分", "考评等次"]


def _scope_label(actor: User | None) -> str:
    if actor is None:
        return "全部"
    return "、".join(actor.scope_paths()) or "—"


def export_members(
    *,
    actor: User | None,
    target: Path | IO[bytes],
    members: Any,
    organisation: PartyOrganisation | None = None,
) -> int:
    book = open_workbook(target)
    sheet = book.add_worksheet("党员台账")
    bold = book.add_format({"bold": True})
    sheet.write_row(0, 0, ["党员台账" + (f"（{organisation.name}）" if organisation else "")], bold)
    sheet.write_row(2, 0, MEMBER_COLUMNS, bold)
    count = 0
    for count, m in enumerate(
        members.select_related("organisation").order_by("organisation__name", "name"), start=1
    ):
        sheet.write_row(
            count + 2,
            0,
            [
                m.name,
                m.organisation.name,
                m.get_kind_display(),
                m.get_status_display(),
                m.joined_on.isoformat(),
                m.probation_end.isoformat() if m.probation_end else "",
                m.work_unit,
                m.reported_on.isoformat() if m.reported_on else "",
                m.hardship,
                m.resident_id is not None,
                m.ended_on.isoformat() if m.ended_on else "",
            ],
        )
    sheet.set_column(0, 10, 14)
    book.close()
    audit_record(
        actor=actor,
        action=Action.EXPORT,
        object_type="party.partymember",
        object_repr="党员台账",
        area_path=organisation.area.path if organisation else None,
        changes={"rows": count, "organisation": organisation.name if organisation else ""},
    )
    return count


def export_meetings(*, actor: User | None, target: Path | IO[bytes], meetings: Any, year: int) -> int:
    from django.db.models import Count, Q

    rows = (
        meetings.filter(held_on__year=year, cancelled=False)
        .select_related("organisation")
        .annotate(
            n=Count("attendance"),
            present=Count("attendance", filter=Q(attendance__status="present")),
            late=Count("attendance", filter=Q(attendance__status="late")),
            leave=Count("attendance", filter=Q(attendance__status="leave")),
            absent=Count("attendance", filter=Q(attendance__status="absent")),
            qr=Count("attendance", filter=Q(attendance__via_qr=True)),
        )
        .order_by("held_on", "pk")
    )
    book = open_workbook(target)
    sheet = book.add_worksheet("组织生活记录")
    bold = book.add_format({"bold": True})
    sheet.write_row(0, 0, [f"三会一课记录 {year} 年"], bold)
    sheet.write_row(2, 0, MEETING_COLUMNS, bold)
    count = 0
    for count, m in enumerate(rows, start=1):
        sheet.write_row(
            count + 2,
            0,
            [
                m.held_on.isoformat(),
                m.organisation.name,
                m.get_kind_display(),
                m.topic,
                m.place,
                m.host,
                m.n,
                m.present,
                m.late,
                m.leave,
                m.absent,
                m.qr,
            ],
        )
    sheet.set_column(0, 5, 14)
    book.close()
    audit_record(
        actor=actor,
        action=Action.EXPORT,
        object_type="party.meeting",
        object_repr=f"三会一课记录 {year}",
        changes={"rows": count, "year": year},
    )
    return count


def export_appraisal(
    *, actor: User | None, target: Path | IO[bytes], organisation: PartyOrganisation | None, year: int
) -> int:
    rows = selectors.ranking(actor, organisation, year)
    book = open_workbook(target)
    sheet = book.add_worksheet("量化考评")
    bold = book.add_format({"bold": True})
    sheet.write_row(
        0, 0, [f"党员目标管理量化考评 {year} 年" + (f"（{organisation.name}）" if organisation else "")], bold
    )
    sheet.write_row(2, 0, APPRAISAL_COLUMNS, bold)
    for i, row in enumerate(rows, start=1):
        sheet.write_row(
            i + 2,
            0,
            [
                row["rank"],
                row["member"].name,
                row["organisation"],
                row["points"],
                selectors.grade(row["points"]),
            ],
        )
    sheet.set_column(0, 4, 14)
    book.close()
    audit_record(
        actor=actor,
        action=Action.EXPORT,
        object_type="party.pointentry",
        object_repr=f"量化考评 {year}",
        area_path=organisation.area.path if organisation else None,
        changes={"rows": len(rows), "year": year},
    )
    return len(rows)


def meeting_sheet(*, actor: User | None, meeting: Meeting) -> pdf.Document:
    """组织生活记录: the printable A4 record of one meeting, with its roll and minutes."""
    org = meeting.organisation
    doc = pdf.Document(f"{org.name} {meeting.get_kind_display()}记录", scope=_scope_label(actor))
    doc.fields(
        [
            ("会议类型", meeting.get_kind_display()),
            ("日期", meeting.held_on.isoformat()),
            ("地点", meeting.place),
            ("主题", meeting.topic),
            ("主持人", meeting.host),
        ]
    )
    roll = list(meeting.attendance.select_related("member").order_by("member__name"))
    counts: dict[str, int] = {}
    for row in roll:
        counts[row.get_status_display()] = counts.get(row.get_status_display(), 0) + 1
    doc.fields([("出席情况", "，".join(f"{k} {v} 人" for k, v in counts.items()) or "未登记")])
    doc.heading("签到")
    doc.table_rows(
        ["姓名", "出席情况", "签到方式"],
        [[r.member.name, r.get_status_display(), "扫码" if r.via_qr else "点名"] for r in roll],
        widths=(60, 60, 58),
    )
    doc.heading("会议记录")
    doc.paragraph(meeting.minutes or "（未填写）")
    doc.ln(6)
    doc.fields([("记录人", ""), ("书记签字", "")])
    audit_record(
        actor=actor,
        action=Action.EXPORT,
        obj=meeting,
        changes={"print": "meeting_sheet"},
    )
    return doc


CARD_COLUMNS = [
    "日期",
    "卡片",
    "党员",
    "所在支部",
    "联系户",
    "联系方式",
    "事项",
    "地点",
    "反映给",
    "办理结果",
    "办结日期",
    "状态",
]


def export_cards(*, actor: User | None, target: Path | IO[bytes], cards: Any, year: int) -> int:
    """三卡 of a year (the rows the caller scoped), for the branch's files. Audited."""
    book = open_workbook(target)
    sheet = book.add_worksheet("党员三卡")
    bold = book.add_format({"bold": True})
    sheet.write_row(0, 0, [f"党员三卡（联系卡、活动卡、反馈卡）{year} 年"], bold)
    sheet.write_row(2, 0, CARD_COLUMNS, bold)
    count = 0
    rows = cards.select_related("member__organisation", "resident").order_by("day", "pk")
    for count, c in enumerate(rows, start=1):
        sheet.write_row(
            count + 2,
            0,
            [
                c.day.isoformat(),
                c.get_kind_display(),
                c.member.name,
                c.member.organisation.name,
                c.resident.name if c.resident else "",
                c.get_way_display() if c.way else "",
                c.title,
                c.place,
                c.passed_to,
                c.outcome,
                c.closed_on.isoformat() if c.closed_on else "",
                c.get_status_display(),
            ],
        )
    sheet.set_column(0, 11, 14)
    book.close()
    audit_record(
        actor=actor,
        action=Action.EXPORT,
        object_type="party.membercard",
        object_repr=f"党员三卡 {year}",
        changes={"rows": count, "year": year},
    )
    return count
