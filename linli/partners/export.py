"""The yearly fulfilment report as Excel, through core/xlsx, audited."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from django.db import transaction

from linli.accounts.roles import Capability
from linli.core.audit import Action, audit_record
from linli.core.permissions import require, require_path_in_scope
from linli.core.xlsx import open_workbook
from linli.partners.models import PartnerUnit
from linli.partners.selectors import year_report

if TYPE_CHECKING:
    from linli.accounts.models import User


@transaction.atomic
def export_year_report(*, actor: User | None, unit: PartnerUnit, year: int) -> bytes:
    require(actor, Capability.EXPORT)
    require_path_in_scope(actor, unit.area.path)
    r = year_report(unit, year)
    buffer = io.BytesIO()
    book = open_workbook(buffer)
    bold = book.add_format({"bold": True})
    sheet = book.add_worksheet("履约情况")
    sheet.set_column(0, 0, 30)
    sheet.set_column(1, 5, 16)
    sheet.write_row(0, 0, [f"{unit.name} {year} 年度共建履约情况"], bold)
    lines: list[list[object]] = [
        ["单位类型", unit.get_kind_display()],
        ["党组织", unit.party_organisation],
        ["职工人数", unit.staff_count],
        ["到期承诺", r.due],
        ["已履行", r.fulfilled],
        ["未履行", r.missed],
        ["待履行", r.pending],
        ["已取消", r.cancelled],
        ["履约率", "" if r.fulfilment_rate is None else f"{r.fulfilment_rate:.0%}"],
        ["共建活动（次）", len(r.activities)],
        ["活动参与人次", r.participants],
        ["对接社区需求（项）", len(r.needs_met)],
        ["报到党员（人次）", r.members_reported],
    ]
    for i, line in enumerate(lines, start=2):
        sheet.write_row(i, 0, line)
    sheet = book.add_worksheet("承诺")
    sheet.set_column(0, 1, 30)
    sheet.set_column(2, 4, 14)
    sheet.write_row(0, 0, ["协议", "承诺事项", "时限", "情况", "完成日期", "说明"], bold)
    for i, c in enumerate(r.commitments, start=1):
        sheet.write_row(
            i, 0, [c.agreement.title, c.text, c.due_on, c.get_status_display(), c.done_on, c.outcome]
        )
    sheet = book.add_worksheet("活动")
    sheet.write_row(0, 0, ["日期", "活动", "地点", "参与人数"], bold)
    for i, a in enumerate(r.activities, start=1):
        sheet.write_row(i, 0, [a.held_on, a.title, a.place, a.participants])
    sheet = book.add_worksheet("资源与需求")
    sheet.write_row(0, 0, ["类别", "内容", "金额（元）", "可用"], bold)
    for i, res in enumerate(r.resources, start=1):
        sheet.write_row(i, 0, [res.get_kind_display(), res.description, res.amount, res.available])
    base = len(r.resources) + 3
    sheet.write_row(base, 0, ["对接的需求", "日期"], bold)
    for i, n in enumerate(r.needs_met, start=base + 1):
        sheet.write_row(i, 0, [n.title, n.closed_on])
    book.close()
    audit_record(
        actor=actor, action=Action.EXPORT, obj=unit, changes={"what": [None, f"{year} 年度履约报告"]}
    )
    return buffer.getvalue()
