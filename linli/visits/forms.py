from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.utils import timezone

from linli.accounts.models import User
from linli.accounts.roles import Capability
from linli.areas.forms import AreaChoiceField
from linli.areas.models import Area
from linli.cases.forms import CategoryChoiceField, leaf_categories
from linli.cases.models import Category, Urgency
from linli.registry.models import Tag
from linli.visits.models import MAX_INTERVAL_DAYS, Mode, PairingKind, Trigger
from linli.visits.selectors import TARGET_STATES


class VisitForm(forms.Form):
    """Built for a phone: the mode is three big buttons, the date defaults to today, one text box."""

    mode = forms.ChoiceField(
        label="走访方式", choices=Mode.choices, initial=Mode.IN_PERSON, widget=forms.RadioSelect
    )
    visited_on = forms.DateField(
        label="走访日期",
        initial=timezone.localdate,
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
    )
    observations = forms.CharField(
        label="走访情况（所见所闻）",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "请填写走访情况。"},
    )
    needs = forms.CharField(
        label="发现的需求", max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    photo = forms.FileField(label="照片", required=False, help_text="JPEG/PNG/WebP")
    latitude = forms.DecimalField(required=False, max_digits=9, decimal_places=6, widget=forms.HiddenInput)
    longitude = forms.DecimalField(required=False, max_digits=9, decimal_places=6, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["photo"].widget.attrs.update(
            accept="image/jpeg,image/png,image/webp", capture="environment"
        )
        self.fields["visited_on"].widget.attrs["max"] = timezone.localdate().isoformat()


class NeedToCaseForm(forms.Form):
    category = CategoryChoiceField(label="诉求类别", queryset=Category.objects.none(), empty_label="请选择")
    title = forms.CharField(label="标题", max_length=100)
    urgency = forms.ChoiceField(label="紧急程度", choices=Urgency.choices, initial=Urgency.NORMAL)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = leaf_categories()  # type: ignore[attr-defined]


class TaskForm(forms.Form):
    trigger = forms.ChoiceField(label="八必访事由", choices=Trigger.choices)
    note = forms.CharField(label="事件情况", max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


class CancelForm(forms.Form):
    reason = forms.CharField(label="撤销原因", max_length=200)


def _areas(user: User, kinds: list[str]) -> Any:
    return Area.objects.visible_to(user).filter(kind__in=kinds).order_by("path")


class CarePlanForm(forms.Form):
    """A rule for a key group in an area (leaders)."""

    area = AreaChoiceField(label="适用区域", queryset=Area.objects.none(), empty_label="请选择")
    tag = forms.ModelChoiceField(label="重点人群标签", queryset=Tag.objects.none(), empty_label="请选择")
    interval_days = forms.IntegerField(
        label="走访周期（天）", min_value=1, max_value=MAX_INTERVAL_DAYS, help_text="如每周 7、每月 30"
    )
    note = forms.CharField(label="说明", max_length=200, required=False)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = _areas(user, ["district", "street", "community", "grid"])  # type: ignore[attr-defined]
        tags = Tag.objects.all()
        if not user.can(Capability.VIEW_SENSITIVE):
            tags = tags.filter(sensitive=False)
        self.fields["tag"].queryset = tags  # type: ignore[attr-defined]


class PersonPlanForm(forms.Form):
    interval_days = forms.IntegerField(
        label="个人走访周期（天）", min_value=1, max_value=MAX_INTERVAL_DAYS, help_text="如每周 7、每月 30"
    )
    note = forms.CharField(label="说明", max_length=200, required=False)


class PairingForm(forms.Form):
    visitor = forms.ModelChoiceField(label="结对人", queryset=User.objects.none(), empty_label="请选择")
    kind = forms.ChoiceField(label="结对类型", choices=PairingKind.choices)
    note = forms.CharField(label="说明", max_length=200, required=False)

    def __init__(self, *args: Any, user: User, grid: Area, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # People whose scope covers the resident's grid: bound to the grid or one of its ancestors.
        paths = [*grid.ancestor_paths(), grid.path]
        self.fields["visitor"].queryset = (  # type: ignore[attr-defined]
            User.objects.visible_to(user)
            .filter(is_active=True, bindings__area__path__in=paths)
            .exclude(role__in=["viewer"])
            .distinct()
            .order_by("username")
        )
        visitor_field: Any = self.fields["visitor"]
        visitor_field.label_from_instance = lambda u: f"{u.display_name}（{u.get_role_display()}）"


class DiaryForm(forms.Form):
    day = forms.DateField(
        label="日期",
        initial=timezone.localdate,
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
    )
    text = forms.CharField(label="民情记录", max_length=5000, widget=forms.Textarea(attrs={"rows": 4}))


class VisitFilterForm(forms.Form):
    start = forms.DateField(
        label="起", required=False, widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )
    end = forms.DateField(
        label="止", required=False, widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )
    mode = forms.ChoiceField(label="方式", choices=[("", "全部"), *Mode.choices], required=False)
    area = AreaChoiceField(label="区域", queryset=Area.objects.none(), required=False, empty_label="全部")
    mine = forms.BooleanField(label="只看我的", required=False)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = _areas(user, ["street", "community", "grid"])  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", "结束日期早于开始日期。")
        if data.get("start") and data.get("end") and data["end"] - data["start"] > timedelta(days=3660):
            self.add_error("start", "日期范围不能超过十年。")
        return data


class TargetFilterForm(forms.Form):
    state = forms.ChoiceField(label="状态", choices=[("", "全部"), *TARGET_STATES.items()], required=False)
    area = AreaChoiceField(label="区域", queryset=Area.objects.none(), required=False, empty_label="全部")
    mine = forms.BooleanField(label="只看我负责的", required=False)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = _areas(user, ["street", "community", "grid"])  # type: ignore[attr-defined]


class CoverageForm(forms.Form):
    group = forms.ChoiceField(
        label="统计口径", choices=[("grid", "按网格"), ("community", "按社区")], required=False
    )
    start = forms.DateField(
        label="走访次数起", required=False, widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )
    end = forms.DateField(
        label="止", required=False, widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", "结束日期早于开始日期。")
        return data
