"""A survey's results as Excel: an overview, one sheet per question (counts overall, by grid and by key
group), and a raw sheet with one row per answer sheet. Written through core/xlsx (text as text), audited."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from django.db import transaction

from linli.accounts.roles import Capability
from linli.core.audit import Action, audit_record
from linli.core.permissions import require, require_path_in_scope
from linli.core.xlsx import SafeSheet, SafeWorkbook, open_workbook
from linli.surveys import selectors
from linli.surveys.models import Kind, Survey

if TYPE_CHECKING:
    from linli.accounts.models import User


def _question_sheet(book: SafeWorkbook, sheet: SafeSheet, r: selectors.QuestionResult, bold: object) -> None:
    q = r.question
    sheet.set_column(0, 0, 28)
    sheet.set_column(1, 30, 12)
    sheet.write_row(0, 0, [f"Q{q.order} {q.text}（{q.get_kind_display()}）"], bold)
    if q.condition_question_id:
        sheet.write_row(1, 0, [f"显示条件：第 {q.condition_question.order} 题选“{q.condition_value}”"])  # type: ignore[union-attr]
    sheet.write_row(2, 0, ["作答人数", r.answered])
    line = 4
    percent = book.add_format({"num_format": "0.0%"})
    if q.kind in (Kind.SINGLE, Kind.MULTIPLE, Kind.RATING):
        sheet.write_row(line, 0, ["选项", "人数", "占比"], bold)
        for bar in r.bars:
            line += 1
            sheet.write_string(line, 0, bar.label)
            sheet.write_number(line, 1, bar.count)
            sheet.write_number(line, 2, bar.share, percent)
        line += 2
    if q.kind == Kind.MATRIX:
        sheet.write_row(line, 0, ["行", *q.options], bold)
        for row, bars in r.matrix:
            line += 1
            sheet.write_string(line, 0, row)
            for c, bar in enumerate(bars, start=1):
                sheet.write_number(line, c, bar.count)
        line += 2
    if q.kind in (Kind.NUMBER, Kind.RATING):
        sheet.write_row(line, 0, ["平均", r.mean, "最小", r.minimum, "最大", r.maximum])
        line += 2
        for title, means in (("网格", r.grid_means), ("重点人群", r.tag_means)):
            sheet.write_row(line, 0, [title, "人数", "平均"], bold)
            for label, n, mean in means:
                line += 1
                sheet.write_row(line, 0, [label, n, round(mean, 2)])
            line += 2
    for title, groups in (("网格", r.by_grid), ("重点人群", r.by_tag)):
        if not groups:
            continue
        sheet.write_row(line, 0, [title, "作答人数", *q.options], bold)
        for g in groups:
            line += 1
            sheet.write_string(line, 0, g.label)
            sheet.write_number(line, 1, g.answered)
            for c, n in enumerate(g.counts, start=2):
                sheet.write_number(line, c, n)
        line += 2
    if q.kind in (Kind.TEXT, Kind.DATE):
        sheet.write_row(line, 0, ["回答（全部见“原始数据”表）" if q.kind == Kind.TEXT else "范围"], bold)
        for text in r.texts:
            line += 1
            sheet.write_string(line, 0, text)


@transaction.atomic
def export_results(*, actor: User | None, survey: Survey) -> bytes:
    require(actor, Capability.EXPORT)
    require_path_in_scope(actor, survey.area.path)
    sensitive = actor is None or actor.can(Capability.VIEW_SENSITIVE)
    result = selectors.results(survey, sensitive=sensitive, texts=1000)
    header, rows = selectors.raw_rows(survey)
    buffer = io.BytesIO()
    book = open_workbook(buffer)
    bold = book.add_format({"bold": True})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    overview = book.add_worksheet("概况")
    overview.set_column(0, 0, 16)
    overview.set_column(1, 1, 40)
    lines: list[list[object]] = [
        ["问卷", survey.title],
        ["范围", survey.area.qualified_name],
        ["状态", survey.get_status_display()],
        ["调查对象", survey.get_target_display()],
        ["答卷数", result.responses],
    ]
    if survey.sample_seed:
        lines += [["抽样种子", survey.sample_seed], ["抽样框", survey.frame_size], ["样本量", result.invited]]
    for r, values in enumerate(lines):
        overview.write_row(r, 0, values)
    for q in result.questions:
        _question_sheet(book, book.add_worksheet(f"Q{q.question.order}"), q, bold)
    raw = book.add_worksheet("原始数据")
    raw.write_row(0, 0, header, bold)
    raw.freeze_panes(1, 4)
    raw.set_column(0, 2, 12)
    raw.set_column(3, len(header), 24, wrap)
    for r, values in enumerate(rows, start=1):
        raw.write_row(r, 0, values)
    book.close()
    audit_record(
        actor=actor,
        action=Action.EXPORT,
        obj=survey,
        changes={"rows": [None, len(rows)], "what": [None, "问卷结果"]},
    )
    return buffer.getvalue()
