from __future__ import annotations

from typing import Any

from django import forms

from linli.accounts.models import User
from linli.accounts.roles import Capability
from linli.areas.forms import AreaChoiceField
from linli.areas.models import Area
from linli.core.scoping import subtree_q
from linli.registry.models import Tag
from linli.surveys.models import Kind, Question, SampleUnit, Survey, Target


class SurveyForm(forms.Form):
    area = AreaChoiceField(label="调查范围", queryset=Area.objects.none())
    title = forms.CharField(label="标题", max_length=100)
    description = forms.CharField(
        label="说明（答题前显示）", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    target = forms.ChoiceField(
        label="调查对象", choices=Target.choices, widget=forms.RadioSelect, initial=Target.AREA
    )
    target_tags = forms.ModelMultipleChoiceField(
        label="重点人群（按人群调查时）",
        queryset=Tag.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    sample_unit = forms.ChoiceField(
        label="抽样单位", choices=SampleUnit.choices, initial=SampleUnit.HOUSEHOLD
    )
    sample_size = forms.IntegerField(label="样本量（抽样时）", min_value=0, max_value=20000, required=False)
    open_link = forms.BooleanField(label="开放公开链接（任何人凭链接或二维码作答）", required=False)

    def __init__(self, *args: Any, user: User, survey: Survey | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        areas = Area.objects.filter(subtree_q(user.scope_paths())).order_by("path")
        self.fields["area"].queryset = areas  # type: ignore[attr-defined]
        tags = Tag.objects.all()
        if not user.can(Capability.VIEW_SENSITIVE):
            tags = tags.filter(sensitive=False)
        self.fields["target_tags"].queryset = tags  # type: ignore[attr-defined]
        if survey is not None:
            del self.fields["area"]


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class QuestionForm(forms.Form):
    kind = forms.ChoiceField(label="题型", choices=Kind.choices)
    text = forms.CharField(label="题目", max_length=200)
    help_text = forms.CharField(label="说明", max_length=200, required=False)
    required = forms.BooleanField(label="必答", required=False)
    options = forms.CharField(
        label="选项（单选、多选、矩阵的列；每行一个）",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    rows = forms.CharField(
        label="矩阵的行（每行一个评价项）", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    min_value = forms.FloatField(label="最小值（数字题）", required=False)
    max_value = forms.FloatField(label="最大值（数字题）/ 最高分（评分题，默认 5）", required=False)
    condition_question = forms.ModelChoiceField(
        label="显示条件：当此题…",
        queryset=Question.objects.none(),
        required=False,
        empty_label="（总是显示）",
    )
    condition_value = forms.CharField(label="…选择了此项时才显示", max_length=100, required=False)

    def __init__(self, *args: Any, survey: Survey, question: Question | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        earlier = survey.questions.filter(kind__in=[Kind.SINGLE, Kind.MULTIPLE])
        if question is not None:
            earlier = earlier.filter(order__lt=question.order)
        field = self.fields["condition_question"]
        field.queryset = earlier  # type: ignore[attr-defined]
        field.label_from_instance = lambda q: f"第 {q.order} 题：{q.text}"  # type: ignore[attr-defined]

    def initial_from(self, q: Question) -> None:
        self.initial = {
            "kind": q.kind,
            "text": q.text,
            "help_text": q.help_text,
            "required": q.required,
            "options": "\n".join(q.options),
            "rows": "\n".join(q.rows),
            "min_value": None if q.kind == Kind.RATING else q.min_value,
            "max_value": q.max_value,
            "condition_question": q.condition_question_id,
            "condition_value": q.condition_value,
        }

    def as_input(self) -> Any:
        from linli.surveys.services import QuestionInput

        d = self.cleaned_data
        return QuestionInput(
            kind=d["kind"],
            text=d["text"],
            help_text=d["help_text"],
            required=d["required"],
            options=_lines(d["options"]),
            rows=_lines(d["rows"]),
            min_value=d["min_value"],
            max_value=d["max_value"],
            condition_question=d["condition_question"],
            condition_value=d["condition_value"],
        )


class ReasonForm(forms.Form):
    reason = forms.CharField(label="原因", max_length=200)


class SeedForm(forms.Form):
    seed = forms.CharField(label="随机种子（留空则自动生成；将公开）", max_length=64, required=False)


class DeclineForm(forms.Form):
    note = forms.CharField(label="原因（拒答、无法联系、已搬走…）", max_length=200)
