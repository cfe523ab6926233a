from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone

from linli.areas.forms import AreaChoiceField
from linli.areas.models import Area
from linli.cases.models import (
    Case,
    Category,
    Channel,
    LimitUnit,
    Satisfaction,
    Status,
    Urgency,
)
from linli.registry.models import Building, House


def leaf_categories() -> QuerySet[Category]:
    return (
        Category.objects.filter(active=True, children__isnull=True, parent__isnull=False)
        .select_related("parent")
        .order_by("parent__order", "parent__code", "order", "code")
    )


class CategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj)


class CaseForm(forms.Form):
    """Intake (受理登记). The place is a grid plus, optionally, a building number and room."""

    category = CategoryChoiceField(label="诉求类别", queryset=Category.objects.none(), empty_label="请选择")
    channel = forms.ChoiceField(label="受理渠道", choices=Channel.choices, initial=Channel.WALK_IN)
    urgency = forms.ChoiceField(label="紧急程度", choices=Urgency.choices, initial=Urgency.NORMAL)
    title = forms.CharField(label="标题", max_length=100)
    description = forms.CharField(label="诉求内容", widget=forms.Textarea(attrs={"rows": 4}), max_length=2000)
    area = AreaChoiceField(label="所在网格 / 社区", queryset=Area.objects.none(), empty_label="请选择")
    building = forms.CharField(label="楼栋号", max_length=20, required=False, help_text="如 8（可不填）")
    room = forms.CharField(label="房号", max_length=20, required=False, help_text="如 301 或 2-301")
    address = forms.CharField(label="地址 / 位置描述", max_length=200, required=False)
    latitude = forms.DecimalField(label="纬度", required=False, max_digits=9, decimal_places=6)
    longitude = forms.DecimalField(label="经度", required=False, max_digits=9, decimal_places=6)
    reporter_name = forms.CharField(label="反映人", max_length=50, required=False)
    reporter_phone = forms.CharField(label="联系电话", max_length=20, required=False)
    photo = forms.FileField(label="现场照片", required=False, help_text="JPEG/PNG/WebP")

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["category"].queryset = leaf_categories()  # type: ignore[attr-defined]
        self.fields["area"].queryset = (  # type: ignore[attr-defined]
            Area.objects.visible_to(user).filter(kind__in=["community", "grid"]).order_by("path")
        )
        for name in ("title", "reporter_phone", "building", "room"):
            self.fields[name].widget.attrs["autocomplete"] = "off"
        self.fields["reporter_phone"].widget.attrs["inputmode"] = "tel"
        self.fields["photo"].widget.attrs["accept"] = "image/jpeg,image/png,image/webp"
        self.fields["photo"].widget.attrs["capture"] = "environment"
        self.category_obj = self._chosen_category()
        for q in self.category_obj.questions if self.category_obj else []:
            self.fields[f"attribute[{q['code']}]"] = question_field(q)

    def _chosen_category(self) -> Category | None:
        raw = self.data.get("category") if self.is_bound else self.initial.get("category")
        if isinstance(raw, Category):
            return raw
        try:
            return leaf_categories().filter(pk=int(raw)).first() if raw else None
        except (TypeError, ValueError):
            return None

    def question_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name.startswith("attribute[")]

    def place(self) -> dict[str, Any]:
        """Building/house from the typed numbers, within the chosen grid (errors name the field)."""
        data = self.cleaned_data
        area: Area = data["area"]
        number, room = data.get("building", "").strip(), data.get("room", "").strip()
        if not number:
            if room:
                self.add_error("building", "填写房号时请同时填写楼栋号。")
            return {"area": area}
        building = (
            Building.objects.visible_to(self.user)
            .filter(grid__path__startswith=area.path, number=number)
            .first()
        )
        if building is None:
            self.add_error("building", f"{area.qualified_name}没有 {number} 号楼。")
            return {"area": area}
        if not room:
            return {"area": area, "building": building}
        entrance, _, room_number = room.rpartition("-")
        houses = House.objects.filter(building=building, room_number=room_number)
        if entrance:
            houses = houses.filter(entrance__number=entrance)
        house = houses.first()
        if house is None:
            self.add_error("room", f"{number} 号楼没有 {room} 室。")
            return {"area": area, "building": building}
        return {"area": area, "house": house}

    def answers(self) -> dict[str, Any]:
        return {
            name[len("attribute[") : -1]: value
            for name, value in self.cleaned_data.items()
            if name.startswith("attribute[") and value not in (None, "", [])
        }


def question_field(q: dict[str, Any]) -> forms.Field:
    label, required = q.get("label") or q["code"], bool(q.get("required"))
    choices = [(v["key"], v["name"]) for v in q.get("values", [])]
    help_text = q.get("description", "")
    field: forms.Field
    if q["datatype"] == "singlevaluelist":
        field = forms.ChoiceField(label=label, required=required, choices=[("", "请选择"), *choices])
    elif q["datatype"] == "multivaluelist":
        field = forms.MultipleChoiceField(
            label=label, required=required, choices=choices, widget=forms.CheckboxSelectMultiple
        )
    elif q["datatype"] == "number":
        field = forms.FloatField(label=label, required=required)
    elif q["datatype"] == "text":
        field = forms.CharField(label=label, required=required, widget=forms.Textarea(attrs={"rows": 2}))
    else:
        field = forms.CharField(label=label, required=required, max_length=500)
    field.help_text = help_text
    return field


class CaseFilterForm(forms.Form):
    q = forms.CharField(label="编号 / 标题 / 反映人", required=False)
    status = forms.ChoiceField(
        label="状态", required=False, choices=[("", "全部"), ("open", "未结案"), *Status.choices]
    )
    category = CategoryChoiceField(
        label="类别", required=False, queryset=Category.objects.none(), empty_label="全部"
    )
    area = forms.CharField(label="区域编码", required=False, help_text="如 S01/C01")
    overdue = forms.BooleanField(label="只看超期", required=False)
    mine = forms.BooleanField(label="只看我的待办", required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = leaf_categories()  # type: ignore[attr-defined]

    def apply(self, qs: QuerySet[Case]) -> QuerySet[Case]:
        from linli.cases.selectors import filter_cases

        data = self.cleaned_data
        category = data.get("category")
        return filter_cases(
            qs,
            search=data.get("q", ""),
            status=data.get("status", ""),
            category=category.code if category else "",
            area=data.get("area", ""),
            overdue=bool(data.get("overdue")),
        )


class ActionForm(forms.Form):
    """Every move's inputs; each move uses the ones it needs (see actions.perform)."""

    note = forms.CharField(
        label="说明", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    result = forms.CharField(
        label="处置结果", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    assignee = forms.CharField(label="处置人", required=False)
    department = forms.CharField(label="职能部门", required=False)
    satisfaction = forms.ChoiceField(
        label="满意度", required=False, choices=[("", "请选择"), *Satisfaction.choices]
    )
    into = forms.CharField(label="并入工单编号", required=False, max_length=20)
    amount = forms.IntegerField(label="延期时长", required=False, min_value=1)
    unit = forms.ChoiceField(label="单位", required=False, choices=LimitUnit.choices, initial=LimitUnit.DAYS)


class IndicatorForm(forms.Form):
    GROUPS = [
        ("grid", "按网格"),
        ("worker", "按处置人"),
        ("department", "按职能部门"),
        ("category", "按类别"),
    ]

    group = forms.ChoiceField(label="统计维度", choices=GROUPS, initial="grid", required=False)
    start = forms.DateField(
        label="开始日期", required=False, widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )
    end = forms.DateField(
        label="结束日期", required=False, widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        today = timezone.localdate()
        data["start"] = data.get("start") or today.replace(day=1)
        data["end"] = data.get("end") or today
        data["group"] = data.get("group") or "grid"
        if data["end"] < data["start"]:
            self.add_error("end", "结束日期不能早于开始日期。")
        elif data["end"] - data["start"] > timedelta(days=366):
            self.add_error("end", "统计区间不能超过一年。")
        return data

    def period(self) -> tuple[date, date]:
        return self.cleaned_data["start"], self.cleaned_data["end"]


class TrackForm(forms.Form):
    number = forms.CharField(label="工单编号", max_length=20, help_text="如 20261122-0007")
    phone = forms.CharField(label="登记时留的手机号", max_length=20)


class PublicCaseForm(forms.Form):
    """A resident's own submission, without an account."""

    community = forms.ModelChoiceField(label="所在社区", queryset=Area.objects.none(), empty_label="请选择")
    category = CategoryChoiceField(label="问题类别", queryset=Category.objects.none(), empty_label="请选择")
    title = forms.CharField(label="标题", max_length=100)
    description = forms.CharField(label="具体情况", widget=forms.Textarea(attrs={"rows": 4}), max_length=2000)
    address = forms.CharField(label="地点", max_length=200, help_text="如 锦绣路 8 号楼 2 单元门口")
    reporter_name = forms.CharField(label="您的称呼", max_length=50, required=False)
    reporter_phone = forms.CharField(label="手机号", max_length=20, help_text="查询进度时需要")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = Area.objects.filter(kind="community").order_by("path")  # type: ignore[attr-defined]
        self.fields["category"].queryset = leaf_categories()  # type: ignore[attr-defined]
        self.fields["reporter_phone"].widget.attrs["inputmode"] = "tel"
