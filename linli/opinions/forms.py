from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from linli.accounts.models import User
from linli.areas.forms import AreaChoiceField
from linli.areas.models import Area
from linli.cases.forms import CategoryChoiceField, leaf_categories
from linli.cases.models import Category, Urgency
from linli.opinions.models import Disposition, OpenDayStatus, OpinionChannel, OpinionStatus, ReplyMode, Topic

WEEKS = [(1, "第一个"), (2, "第二个"), (3, "第三个"), (4, "第四个"), (-1, "最后一个")]
WEEKDAYS = [(i, f"星期{d}") for i, d in enumerate("一二三四五六日")]


def _areas(user: User, kinds: list[str]) -> Any:
    return Area.objects.visible_to(user).filter(kind__in=kinds).order_by("path")


class OpinionForm(forms.Form):
    """One short form for a phone: where, what, which topics, who (or anonymous). Repeated at an open day."""

    area = AreaChoiceField(label="社区 / 网格", queryset=Area.objects.none())
    channel = forms.ChoiceField(
        label="收集渠道", choices=OpinionChannel.choices, initial=OpinionChannel.HOTLINE
    )
    topics = forms.MultipleChoiceField(
        label="议题",
        choices=Topic.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "请至少选择一个议题。"},
    )
    summary = forms.CharField(
        label="意见内容",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "请填写意见内容。"},
    )
    speaker_name = forms.CharField(label="反映人", max_length=50, required=False)
    anonymous = forms.BooleanField(label="匿名反映", required=False)

    def __init__(self, *args: Any, user: User, open_day: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = _areas(user, ["community", "grid"])  # type: ignore[attr-defined]
        if open_day:
            del self.fields["channel"]


class OpinionFilterForm(forms.Form):
    area = AreaChoiceField(label="区域", queryset=Area.objects.none(), required=False, empty_label="全部")
    status = forms.ChoiceField(
        label="状态", choices=[("", "全部"), ("due", "待答复"), *OpinionStatus.choices], required=False
    )
    channel = forms.ChoiceField(label="渠道", choices=[("", "全部"), *OpinionChannel.choices], required=False)
    topic = forms.ChoiceField(label="议题", choices=[("", "全部"), *Topic.choices], required=False)
    month = forms.CharField(label="月份", required=False, widget=forms.DateInput(attrs={"type": "month"}))
    q = forms.CharField(label="编号或内容", required=False, max_length=50)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = _areas(user, ["street", "community", "grid"])  # type: ignore[attr-defined]


class TriageForm(forms.Form):
    disposition = forms.ChoiceField(
        label="研判结果", choices=[(Disposition.DIRECT, "直接答复"), (Disposition.SUGGESTION, "纳入规划建议")]
    )
    note = forms.CharField(label="研判意见", max_length=500, required=False)


class ToCaseForm(forms.Form):
    category = CategoryChoiceField(label="诉求类别", queryset=Category.objects.none(), empty_label="请选择")
    title = forms.CharField(label="工单标题", max_length=100)
    urgency = forms.ChoiceField(label="紧急程度", choices=Urgency.choices, initial=Urgency.NORMAL)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = leaf_categories()  # type: ignore[attr-defined]


class MergeForm(forms.Form):
    into = forms.CharField(label="并入的意见编号", max_length=20, help_text="如 MY202611-0001")
    note = forms.CharField(label="说明", max_length=500, required=False)


class ReplyForm(forms.Form):
    mode = forms.ChoiceField(label="答复方式", choices=ReplyMode.choices, initial=ReplyMode.PHONE)
    reply = forms.CharField(label="答复内容", max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


class CloseForm(forms.Form):
    outcome = forms.CharField(label="办理结果", max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class ReasonForm(forms.Form):
    reason = forms.CharField(label="原因", max_length=500)


class CorrectForm(forms.Form):
    summary = forms.CharField(label="意见内容", max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    topics = forms.MultipleChoiceField(
        label="议题", choices=Topic.choices, widget=forms.CheckboxSelectMultiple
    )
    speaker_name = forms.CharField(label="反映人", max_length=50, required=False)
    anonymous = forms.BooleanField(label="匿名反映", required=False)
    reason = forms.CharField(label="更正原因", max_length=500)


class ReportForm(forms.Form):
    month = forms.CharField(label="月份", required=False, widget=forms.DateInput(attrs={"type": "month"}))
    area = AreaChoiceField(label="区域", queryset=Area.objects.none(), required=False, empty_label="全部")

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = _areas(user, ["street", "community", "grid"])  # type: ignore[attr-defined]


class RuleForm(forms.Form):
    area = AreaChoiceField(label="社区", queryset=Area.objects.none())
    week_of_month = forms.TypedChoiceField(label="每月第几个", choices=WEEKS, coerce=int, initial=2)
    weekday = forms.TypedChoiceField(label="星期", choices=WEEKDAYS, coerce=int, initial=6)
    start_time = forms.TimeField(
        label="开始时间", initial="09:00", widget=forms.TimeInput(attrs={"type": "time"})
    )
    place = forms.CharField(label="地点", max_length=100)
    months = forms.IntegerField(label="排期月数", min_value=1, max_value=12, initial=3)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = _areas(user, ["community"])  # type: ignore[attr-defined]


class OpenDayForm(forms.Form):
    area = AreaChoiceField(label="社区", queryset=Area.objects.none())
    held_on = forms.DateField(
        label="日期", initial=timezone.localdate, widget=forms.DateInput(attrs={"type": "date"})
    )
    start_time = forms.TimeField(
        label="开始时间", initial="09:00", widget=forms.TimeInput(attrs={"type": "time"})
    )
    place = forms.CharField(label="地点", max_length=100)
    theme = forms.CharField(label="主题", max_length=100, required=False)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = _areas(user, ["community"])  # type: ignore[attr-defined]


class AttendanceForm(forms.Form):
    theme = forms.CharField(label="主题", max_length=100, required=False)
    street_attendees = forms.CharField(
        label="街道参加人员",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="每行一人：姓名（职务）",
    )
    department_attendees = forms.CharField(
        label="部门参加人员",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="每行一人：单位 姓名",
    )
    residents_met = forms.IntegerField(label="接待居民人次", min_value=0, max_value=100000, initial=0)
    summary = forms.CharField(label="情况小结", required=False, widget=forms.Textarea(attrs={"rows": 3}))


OPEN_DAY_STATES = [("", "全部"), *OpenDayStatus.choices]
