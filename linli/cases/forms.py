from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms
from django.db.models import Q, QuerySet
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
        self.fields["area"].queryset = place_areas(user)  # type: ignore[attr-defined]
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
        return find_place(self, self.user)

    def answers(self) -> dict[str, Any]:
        return {
            name[len("attribute[") : -1]: value
            for name, value in self.cleaned_data.items()
            if name.startswith("attribute[") and value not in (None, "", [])
        }


def find_place(form: forms.Form, user: Any) -> dict[str, Any]:
    """Building/house from the typed numbers, within the chosen grid or community (errors name the field)."""
    data = form.cleaned_data
    area: Area = data["area"]
    number, room = (data.get("building") or "").strip(), (data.get("room") or "").strip()
    if not number:
        if room:
            form.add_error("building", "填写房号时请同时填写楼栋号。")
        return {"area": area}
    building = (
        Building.objects.visible_to(user)
        .filter(Q(grid__path=area.path) | Q(grid__path__startswith=area.path + "/"), number=number)
        .first()
    )
    if building is None:
        form.add_error("building", f"{area.qualified_name}没有 {number} 号楼。")
        return {"area": area}
    if not room:
        return {"area": area, "building": building}
    entrance, _, room_number = room.rpartition("-")
    houses = House.objects.filter(building=building, room_number=room_number)
    if entrance:
        houses = houses.filter(entrance__number=entrance)
    house = houses.first()
    if house is None:
        form.add_error("room", f"{number} 号楼没有 {room} 室。")
        return {"area": area, "building": building}
    return {"area": area, "house": house}


def place_areas(user: Any) -> QuerySet[Area]:
    return Area.objects.visible_to(user).filter(kind__in=["community", "grid"]).order_by("path")


class LocationForm(forms.Form):
    """更正位置: the case's grid or community, a building number and room in it, the address text."""

    area = AreaChoiceField(label="所在网格 / 社区", queryset=Area.objects.none(), empty_label="请选择")
    building = forms.CharField(
        label="楼栋号", max_length=20, required=False, help_text="输入楼号或地址可搜索"
    )
    room = forms.CharField(label="房号", max_length=20, required=False, help_text="如 301 或 2-301")
    address = forms.CharField(label="地址 / 位置描述", max_length=200, required=False)
    note = forms.CharField(label="说明（可选）", max_length=500, required=False)
    # Set by the map picker (WGS-84); the grid holding the point is chosen in `area` for the user to see.
    latitude = forms.DecimalField(
        required=False, min_value=-90, max_value=90, decimal_places=6, max_digits=9, widget=forms.HiddenInput
    )
    longitude = forms.DecimalField(
        required=False,
        min_value=-180,
        max_value=180,
        decimal_places=6,
        max_digits=9,
        widget=forms.HiddenInput,
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["area"].queryset = place_areas(user)  # type: ignore[attr-defined]
        self.fields["building"].widget.attrs.update(autocomplete="off", list="building-choices")
        self.fields["room"].widget.attrs["autocomplete"] = "off"

    def place(self) -> dict[str, Any]:
        return find_place(self, self.user)


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


class GridChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        # Grids of different communities share names (第一网格): name the community too.
        return f"{obj.parent.name} · {obj.name}" if obj.parent_id and obj.parent else obj.name


DATE_WIDGET = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


class CaseFilterForm(forms.Form):
    """The case list's filters; the same ones shape its Excel download."""

    SORTS = [("received", "最新受理在前"), ("deadline", "时限最近在前（未结案）")]
    ALERTS = [("", "全部"), ("overdue", "当前超期"), ("red", "红牌督办")]

    q = forms.CharField(label="编号 / 标题 / 反映人", required=False)
    status = forms.ChoiceField(
        label="状态", required=False, choices=[("", "全部"), ("open", "未结案"), *Status.choices]
    )
    community = forms.ModelChoiceField(
        label="社区", required=False, queryset=Area.objects.none(), empty_label="全部"
    )
    grid = GridChoiceField(label="网格", required=False, queryset=Area.objects.none(), empty_label="全部")
    category = CategoryChoiceField(
        label="类别", required=False, queryset=Category.objects.none(), empty_label="全部"
    )
    channel = forms.ChoiceField(label="渠道", required=False, choices=[("", "全部"), *Channel.choices])
    alert = forms.ChoiceField(label="超期 / 督办", required=False, choices=ALERTS)
    start = forms.DateField(label="受理日期从", required=False, widget=DATE_WIDGET)
    end = forms.DateField(label="至", required=False, widget=DATE_WIDGET)
    sort = forms.ChoiceField(label="排序", required=False, choices=SORTS)
    mine = forms.BooleanField(label="只看我的待办", required=False)
    # Older links filter by a code path (S01/C01); the API keeps that name.
    area = forms.CharField(required=False, widget=forms.HiddenInput)
    overdue = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = leaf_categories()  # type: ignore[attr-defined]
        areas = Area.objects.visible_to(user) if user is not None else Area.objects.none()
        self.fields["community"].queryset = areas.filter(kind="community").order_by("path")  # type: ignore[attr-defined]
        self.fields["grid"].queryset = (  # type: ignore[attr-defined]
            areas.filter(kind="grid").select_related("parent").order_by("path")
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", "结束日期不能早于开始日期。")
        return data

    def apply(self, qs: QuerySet[Case]) -> QuerySet[Case]:
        from linli.cases.selectors import filter_cases

        data = self.cleaned_data
        category = data.get("category")
        place = data.get("grid") or data.get("community")
        return filter_cases(
            qs,
            search=data.get("q", ""),
            status=data.get("status", ""),
            category=category.code if category else "",
            area=place.path if place else data.get("area", ""),
            channel=data.get("channel", ""),
            alert=data.get("alert") or ("overdue" if data.get("overdue") else ""),
            start=data.get("start"),
            end=data.get("end"),
        )

    def describe(self) -> str:
        """The chosen filters in words, for the export's title and the audit entry."""
        parts = []
        for name in ("q", "status", "community", "grid", "category", "channel", "alert", "start", "end"):
            value = self.cleaned_data.get(name)
            if value in (None, "", False):
                continue
            field = self.fields[name]
            shown: Any = value
            if isinstance(field, forms.ModelChoiceField):
                shown = field.label_from_instance(value)
            elif isinstance(field, forms.ChoiceField):
                shown = dict(field.choices).get(value, value)  # type: ignore[arg-type]
            parts.append(f"{field.label}：{shown}")
        if self.cleaned_data.get("mine"):
            parts.append("只看我的待办")
        return "；".join(parts) or "全部"


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
