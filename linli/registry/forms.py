from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.db.models import Q, QuerySet, Value
from django.db.models.functions import Concat

from linli.accounts.models import User
from linli.accounts.roles import Capability
from linli.areas.forms import AreaChoiceField
from linli.areas.models import Area
from linli.registry.models import ResidenceType, Resident, ResidentStatus, ResidentTag, Tag
from linli.registry.selectors import is_pinyin_query, query_kind, search

AGE_BANDS = [("0-17", "0–17 岁"), ("18-59", "18–59 岁"), ("60-79", "60–79 岁"), ("80-", "80 岁以上")]
SORTS = [("name", "姓名"), ("-birth_date", "年龄从小到大"), ("birth_date", "年龄从大到小"), ("grid", "网格")]
# "姓名" is pinyin order (张 before 赵, as a Chinese list is read), in the order of the pinyin index, so a
# page is read from the index and stops at 50 rows: 47 → 1 ms for a street admin at 260,000 residents,
# where the characters' code-point order sorted the whole street. The same order as pinyin search pages.
ORDER_BY = {"name": ["name_pinyin", "grid_id", "name_initials"], "grid": ["grid__path", "name_pinyin"]}


def ordered(qs: QuerySet[Resident], sort: str = "name", *, by_name: bool = False) -> QuerySet[Resident]:
    """Residents in the list's order for `sort` (one of SORTS), ties broken by id.

    `by_name`: `qs` is a name search. Its matches are then sorted, not found by walking the pinyin
    index in order: PostgreSQL walked it, expecting a common surname's matches to be spread through
    the alphabet, when they all sit at its place (王 on the 260,000-resident street: 415 ms, reading
    240,000 entries before wang; sorted, the whole page takes 137 ms). An expression is the order no
    index offers.
    """
    keys: list[Any] = list(ORDER_BY.get(sort, [sort]))
    if by_name and keys[0] == "name_pinyin":
        keys[0] = Concat("name_pinyin", Value(""))
    return qs.order_by(*keys, "pk")


class ResidentFilterForm(forms.Form):
    q = forms.CharField(
        label="搜索",
        required=False,
        widget=forms.TextInput(
            attrs={
                "placeholder": "姓名、拼音或首字母、证件号或电话后几位、楼栋-房号",
                "type": "search",
                "autocomplete": "off",
            }
        ),
    )
    grid = AreaChoiceField(label="网格", queryset=Area.objects.none(), required=False, empty_label="全部网格")
    building = forms.CharField(label="楼栋", required=False, max_length=20)
    tag = forms.ModelChoiceField(
        label="标签", queryset=Tag.objects.none(), required=False, empty_label="全部"
    )
    residence_type = forms.ChoiceField(
        label="人口类型", required=False, choices=[("", "全部"), *ResidenceType.choices]
    )
    age = forms.ChoiceField(label="年龄段", required=False, choices=[("", "全部"), *AGE_BANDS])
    status = forms.ChoiceField(label="状态", required=False, choices=[("", "全部"), *ResidentStatus.choices])
    sort = forms.ChoiceField(label="排序", required=False, choices=SORTS)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        grid_field = self.fields["grid"]
        tag_field = self.fields["tag"]
        assert isinstance(grid_field, forms.ModelChoiceField)  # noqa: S101  (declared above)
        assert isinstance(tag_field, forms.ModelChoiceField)  # noqa: S101
        grids = Area.objects.visible_to(user).filter(kind=Area.Kind.GRID)
        grid_field.queryset = grids.order_by("path")
        tags = Tag.objects.order_by("group__order", "order")
        tag_field.queryset = tags if user.can(Capability.VIEW_SENSITIVE) else tags.filter(sensitive=False)

    def pinyin_only(self) -> str:
        """The query, when the form asks for nothing but letters of a name (in a grid, by name): a
        search PinyinResults answers from its indexes, in the list's own order. Otherwise ""."""
        data = self.cleaned_data
        others = ("building", "tag", "residence_type", "status", "age")
        plain = not any(data.get(f) for f in others) and (data.get("sort") or "name") == "name"
        return data["q"] if plain and is_pinyin_query(data.get("q") or "") else ""

    def apply(self, qs: QuerySet[Resident]) -> QuerySet[Resident]:
        data = self.cleaned_data
        if grid := data.get("grid"):
            qs = qs.filter(Q(grid=grid) | Q(grid__path__startswith=grid.path + "/"))
        if building := data.get("building"):
            qs = qs.filter(house__building__number=building.strip().removesuffix("栋").upper())
        if tag := data.get("tag"):
            qs = qs.filter(pk__in=ResidentTag.objects.filter(tag=tag).values("resident_id"))
        if residence := data.get("residence_type"):
            qs = qs.filter(residence_type=residence)
        if status := data.get("status"):
            qs = qs.filter(status=status)
        if band := data.get("age"):
            low, _, high = band.partition("-")
            today = date.today()  # noqa: DTZ011  (ages are calendar arithmetic)
            qs = qs.filter(birth_date__lte=_years_ago(today, int(low)))
            if high:
                qs = qs.filter(birth_date__gt=_years_ago(today, int(high) + 1))
        if q := data.get("q"):
            qs = search(qs, q)
        return ordered(qs, data.get("sort") or "name", by_name=query_kind(q or "") == "name")


def _years_ago(today: date, years: int) -> date:
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


class ExportForm(forms.Form):
    reveal = forms.BooleanField(label="导出完整证件号码和电话（将记入审计日志）", required=False)
