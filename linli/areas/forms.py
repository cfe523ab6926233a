from __future__ import annotations

import json
from typing import Any

from django import forms

from linli.areas.models import Area, GridAssignment


class AreaCreateForm(forms.Form):
    kind = forms.ChoiceField(label="类型", choices=Area.Kind.choices)
    code = forms.CharField(label="编码", max_length=32, help_text="同一上级下唯一，如 G05")
    name = forms.CharField(label="名称", max_length=100)

    def __init__(self, *args: Any, parent: Area, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        allowed = [k for k, parents in Area.ALLOWED_PARENTS.items() if parent.kind in parents]
        kind = self.fields["kind"]
        assert isinstance(kind, forms.ChoiceField)  # noqa: S101  (declared just above)
        kind.choices = [(k, label) for k, label in Area.Kind.choices if k in allowed]


class AreaEditForm(forms.Form):
    name = forms.CharField(label="名称", max_length=100)
    latitude = forms.DecimalField(label="纬度", max_digits=9, decimal_places=6, required=False)
    longitude = forms.DecimalField(label="经度", max_digits=9, decimal_places=6, required=False)
    boundary = forms.CharField(
        label="边界（GeoJSON）",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
    )
    description = forms.CharField(label="说明", required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def clean_boundary(self) -> Any:
        raw = self.cleaned_data.get("boundary", "").strip()
        if not raw:
            return None
        try:
            return json.loads(raw)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError("边界不是有效的 JSON。") from exc


class AssignForm(forms.Form):
    username = forms.CharField(label="用户名", max_length=150)
    duty = forms.ChoiceField(label="职责", choices=GridAssignment.Duty.choices)
    start_date = forms.DateField(
        label="开始日期", widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )


class AreaChoiceField(forms.ModelChoiceField):
    """A select of areas that names grids with their community, "锦绣社区 · 第一网格", as every page does.

    The labels of all choices are read with one query the first time one is needed, not one per option.
    """

    _labels: dict[str, str] | None = None

    def label_from_instance(self, obj: Any) -> str:
        if self._labels is None or obj.path not in self._labels:
            self._labels = Area.qualified_names(self.queryset.values_list("path", "name"))  # type: ignore[union-attr]
        return self._labels.get(obj.path, obj.name)
