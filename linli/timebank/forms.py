from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.utils import timezone

from linli.registry.models import Resident
from linli.timebank.models import MAX_HELP_MINUTES, Account, ActedBy, NeedKind, PayFrom
from linli.volunteers.models import Skill


class MinutesField(forms.IntegerField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault(
            "error_messages",
            {
                "required": "请填写时长（分钟）。",
                "invalid": "时长应为正整数（分钟）。",
                "min_value": "时长应大于零。",
            },
        )
        super().__init__(**kwargs)
        self.widget.attrs.update(inputmode="numeric")


class TransferForm(forms.Form):
    target = forms.ModelChoiceField(
        label="转入账户",
        queryset=Account.objects.none(),
        empty_label="请选择",
        error_messages={"required": "请选择转入账户。", "invalid_choice": "请选择转入账户。"},
    )
    minutes = MinutesField(label="时长（分钟）")
    acted_by = forms.ChoiceField(
        label="办理人", choices=ActedBy.choices, initial=ActedBy.HOLDER, widget=forms.RadioSelect
    )
    proxy = forms.ModelChoiceField(
        label="代办家属", queryset=Resident.objects.none(), required=False, empty_label="（家属代办时选择）"
    )
    note = forms.CharField(label="附言", max_length=200, required=False)

    def __init__(self, *args: Any, targets: Any, family: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["target"]
        field.queryset = targets  # type: ignore[attr-defined]
        field.label_from_instance = lambda a: f"{a.name}（{a.get_kind_display()}）"  # type: ignore[attr-defined]
        self.fields["proxy"].queryset = family  # type: ignore[attr-defined]


class LimitsForm(forms.Form):
    debt_limit = forms.IntegerField(label="透支额度（分钟）", min_value=0, required=False)
    credit_limit = forms.IntegerField(label="存储上限（分钟）", min_value=0, required=False)


class ReasonForm(forms.Form):
    reason = forms.CharField(label="原因", max_length=200, error_messages={"required": "请填写原因。"})


class HelpRequestForm(forms.Form):
    need = forms.ChoiceField(label="需求类别", choices=NeedKind.choices)
    title = forms.CharField(
        label="需要什么帮助", max_length=100, error_messages={"required": "请写明需要什么帮助。"}
    )
    description = forms.CharField(
        label="说明", max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    wanted_at = forms.DateTimeField(
        label="需要的时间",
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(format="%Y-%m-%dT%H:%M", attrs={"type": "datetime-local"}),
        error_messages={"required": "请填写需要服务的时间。", "invalid": "请填写需要服务的时间。"},
    )
    estimated_minutes = MinutesField(label="预计时长（分钟）", max_value=MAX_HELP_MINUTES, initial=60)
    place = forms.CharField(label="地点", max_length=200, required=False)
    skill = forms.ModelChoiceField(
        label="需要的技能", queryset=Skill.objects.all(), required=False, empty_label="不限"
    )
    pay_from = forms.ChoiceField(label="支付方式", choices=PayFrom.choices, initial=PayFrom.REQUESTER)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound and "wanted_at" not in self.initial:
            tomorrow = timezone.localtime() + timedelta(days=1)
            self.initial["wanted_at"] = tomorrow.replace(hour=9, minute=0, second=0, microsecond=0)


class ServeForm(forms.Form):
    minutes = MinutesField(label="实际服务时长（分钟）", max_value=MAX_HELP_MINUTES)
    served_on = forms.DateField(
        label="服务日期",
        initial=timezone.localdate,
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
    )
    note = forms.CharField(label="备注", max_length=200, required=False)


class ConfirmForm(forms.Form):
    pay_from = forms.ChoiceField(label="支付方式", choices=PayFrom.choices)
    acted_by = forms.ChoiceField(label="确认人", choices=ActedBy.choices, initial=ActedBy.WORKER)
    proxy = forms.ModelChoiceField(
        label="代办家属", queryset=Resident.objects.none(), required=False, empty_label="（家属代办时选择）"
    )

    def __init__(self, *args: Any, family: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["proxy"].queryset = family  # type: ignore[attr-defined]
