from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils import timezone

from linli.accounts.models import User
from linli.areas.forms import AreaChoiceField
from linli.areas.models import Area
from linli.notices.models import LineKind, NoticeCategory

KINDS = {
    "收入": LineKind.INCOME,
    "支出": LineKind.EXPENSE,
    "income": LineKind.INCOME,
    "expense": LineKind.EXPENSE,
}


def parse_lines(text: str) -> list[dict[str, str]]:
    """One line per entry: 收支 | 事由 | 金额 | 凭证号 [| 日期], separated by "|", a tab or a comma."""
    rows = []
    for raw in text.splitlines():
        if not raw.strip():
            continue
        parts = [p.strip() for p in re.split(r"[|\t,，]", raw)]
        parts += [""] * (5 - len(parts))
        rows.append(
            {
                "kind": KINDS.get(parts[0], parts[0]),
                "purpose": parts[1],
                "amount": parts[2],
                "voucher_no": parts[3],
                "occurred_on": parts[4],
            }
        )
    return rows


def lines_text(lines: Any) -> str:
    labels = {LineKind.INCOME: "收入", LineKind.EXPENSE: "支出"}
    return "\n".join(
        " | ".join(
            [labels[line.kind], line.purpose, f"{line.amount}", line.voucher_no]
            + ([line.occurred_on.isoformat()] if line.occurred_on else [])
        )
        for line in lines
    )


class NoticeForm(forms.Form):
    area = AreaChoiceField(label="社区", queryset=Area.objects.none())
    category = forms.ChoiceField(label="类别", choices=NoticeCategory.choices)
    title = forms.CharField(label="标题", max_length=100)
    body = forms.CharField(label="正文", max_length=20000, widget=forms.Textarea(attrs={"rows": 6}))
    publish_from = forms.DateField(
        label="公示开始", initial=timezone.localdate, widget=forms.DateInput(attrs={"type": "date"})
    )
    publish_until = forms.DateField(
        label="公示截止", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    period_label = forms.CharField(label="所属期间（财务公开）", max_length=40, required=False)
    lines = forms.CharField(
        label="收支明细（财务公开）",
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="每行一笔：收支 | 事由 | 金额 | 凭证号 | 日期（可省），如：支出 | 购置办公用品 | 1250.50 | 记-002",
    )
    declared_income = forms.CharField(label="收入合计（元）", required=False, max_length=20)
    declared_expense = forms.CharField(label="支出合计（元）", required=False, max_length=20)

    def __init__(self, *args: Any, user: User, edit: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = (  # type: ignore[attr-defined]
            Area.objects.visible_to(user).filter(kind__in=["street", "community"]).order_by("path")
        )
        if edit:
            for name in ("area", "category"):
                del self.fields[name]


class FinanceLinesForm(forms.Form):
    lines = NoticeForm.base_fields["lines"]
    declared_income = NoticeForm.base_fields["declared_income"]
    declared_expense = NoticeForm.base_fields["declared_expense"]


class AttachmentForm(forms.Form):
    file = forms.FileField(label="附件", help_text="PDF、JPEG/PNG/WebP、Word（.docx）或 Excel（.xlsx）")


class ReasonForm(forms.Form):
    reason = forms.CharField(label="原因", max_length=200)


class AnswerForm(forms.Form):
    answer = forms.CharField(label="答复", max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class QuestionForm(forms.Form):
    text = forms.CharField(
        label="您的问题",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "请填写问题。"},
    )
    asker_name = forms.CharField(label="称呼（可不填，不公开）", max_length=30, required=False)


class NoticeFilterForm(forms.Form):
    status = forms.ChoiceField(
        label="状态",
        required=False,
        choices=[
            ("", "全部"),
            ("draft", "草稿"),
            ("published", "已发布"),
            ("superseded", "已被更正"),
            ("withdrawn", "已撤回"),
        ],
    )
    category = forms.ChoiceField(
        label="类别", required=False, choices=[("", "全部"), *NoticeCategory.choices]
    )
