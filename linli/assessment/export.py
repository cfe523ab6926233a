"""The results of a round as .xlsx (core/xlsx.py) and PDF (core/pdf.py); every export is audited."""

from __future__ import annotations

from typing import IO, TYPE_CHECKING, Any

from django.db import transaction

from linli.accounts.roles import Capability
from linli.assessment import selectors
from linli.assessment.models import Grade, Round
from linli.core.audit import Action, audit_record
from linli.core.permissions import require, require_path_in_scope

if TYPE_CHECKING:
    from linli.accounts.models import User

HEADERS = [
    "姓名",
    "抽样框",
    "已邀请",
    "已评议",
    "回应率",
    "优",
    "良",
    "中",
    "差",
    "有效",
    "无效（未填理由）",
    "无效（理由不实）",
    "优+良占比",
    "95%置信区间",
    "居民评议分",
    "工作指标分",
    "街道评分",
    "同事互评",
    "综合得分",
]


def _pct(v: float | None) -> str:
    return "" if v is None else f"{100 * v:.1f}%"


def rows(round: Round, scores: list[selectors.WorkerScore] | None = None) -> list[list[Any]]:
    out = []
    for s in scores if scores is not None else selectors.scores(round):
        ci = f"{_pct(s.ci[0])}–{_pct(s.ci[1])}" if s.ci else ""
        out.append(
            [
                s.name,
                s.frame,
                s.invited,
                s.responded,
                _pct(s.response_rate),
                *[s.counts[g] for g in Grade.values],
                s.valid,
                s.invalid_no_reason,
                s.invalid_untrue,
                _pct(s.good_share),
                ci,
                s.resident_score,
                s.indicator_score,
                s.street_score,
                s.peer_score,
                s.combined,
            ]
        )
    return out


def _check(actor: User | None, round: Round, fmt: str) -> None:
    require(actor, Capability.ASSESS)
    require(actor, Capability.EXPORT)
    require_path_in_scope(actor, round.area.path)
    with transaction.atomic():
        audit_record(actor=actor, action=Action.EXPORT, obj=round, changes={"format": fmt})


def results_xlsx(*, actor: User | None, round: Round, target: IO[bytes] | Any) -> int:
    from linli.core.xlsx import open_workbook

    _check(actor, round, "xlsx")
    scores = selectors.scores(round)
    data = rows(round, scores)
    book = open_workbook(target)
    sheet = book.add_worksheet("考核结果")
    sheet.write_row(
        0, 0, [f"{round.title}（{round.period_start}—{round.period_end}），随机种子 {round.seed or '未公布'}"]
    )
    sheet.write_row(1, 0, HEADERS)
    for i, row in enumerate(data, start=2):
        sheet.write_row(i, 0, ["" if v is None else v for v in row])
    pay = selectors.pay_spread(round, scores)
    sheet2 = book.add_worksheet("收入差距")
    sheet2.write_row(0, 0, ["姓名", "综合得分", "年收入基数", "挂钩部分", "考核奖", "年收入"])
    for i, a in enumerate(pay.awards, start=1):
        sheet2.write_row(
            i,
            0,
            [a.name, a.score or "", a.base_pay or "", a.assessed_part or "", a.award or "", a.income or ""],
        )
    sheet2.write_row(
        len(pay.awards) + 2,
        0,
        ["最优与最差收入差距", str(pay.spread or ""), f"{pay.spread_percent or ''}%", "目标 20%–30%"],
    )
    book.close()
    return len(data)


def results_pdf(*, actor: User | None, round: Round) -> Any:
    from linli.core import pdf

    _check(actor, round, "pdf")
    doc = pdf.Document(round.title, scope=round.area.qualified_name, landscape=True)
    doc.fields(
        [
            ("考核期", f"{round.period_start} — {round.period_end}"),
            ("状态", round.get_status_display()),
            ("随机种子", round.seed or "未公布"),
            ("每人最少抽样", str(round.min_sample)),
        ]
    )
    doc.heading("居民评议与综合得分")
    cols = [0, 3, 4, 5, 6, 7, 8, 9, 12, 13, 18]
    scores = selectors.scores(round)
    doc.table_rows(
        [HEADERS[c] for c in cols],
        [[("" if r[c] is None else str(r[c])) for c in cols] for r in rows(round, scores)],
    )
    pay = selectors.pay_spread(round, scores)
    doc.heading("考核奖与收入差距")
    doc.table_rows(
        ["姓名", "综合得分", "考核奖", "年收入"],
        [[a.name, str(a.score or ""), str(a.award or ""), str(a.income or "")] for a in pay.awards],
    )
    doc.paragraph(
        f"最优与最差年收入差距：{pay.spread or '—'} 元（{pay.spread_percent or '—'}%），目标 20%–30%。"
    )
    return pdf.response(doc, f"assessment-{round.pk}.pdf")
