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
from linli.core.errors import DomainError
from linli.core.validation import parse_id
from linli.registry.models import (
    Building,
    House,
    Household,
    HouseUse,
    ResidenceType,
    Resident,
    ResidentStatus,
    ResidentTag,
    Tag,
)
from linli.registry.selectors import is_pinyin_query, query_kind, search
from linli.registry.services import NEW_HOUSEHOLD, NewHouse

ALL_STATUSES = "all"
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
    # Moved-out, dead and merged residents leave the list by default; a status brings them back.
    status = forms.ChoiceField(
        label="状态",
        required=False,
        choices=[
            *ResidentStatus.choices[:1],
            (ALL_STATUSES, "全部（含迁出、死亡）"),
            *ResidentStatus.choices[1:],
        ],
    )
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
        tag_field.queryset = tags.exclude(Tag.hidden_q(user))
        if not user.can(Capability.REVEAL_PERSONAL):
            self.fields["q"].widget.attrs["placeholder"] = (
                "姓名、拼音或首字母、证件号或电话后 4 位（或完整号码）、楼栋-房号"
            )

    def pinyin_only(self) -> str:
        """The query, when the form asks for nothing but letters of a name (in a grid, by name): a
        search PinyinResults answers from its indexes, in the list's own order. Otherwise ""."""
        data = self.cleaned_data
        # The pinyin indexes know nothing of status: the caller checks that the default 在册 list
        # is every resident in scope before it goes their way (see views.resident_list).
        others = ("building", "tag", "residence_type", "age")
        plain = not any(data.get(f) for f in others) and (data.get("sort") or "name") == "name"
        plain = plain and data.get("status") in ("", ResidentStatus.ACTIVE, ALL_STATUSES)
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
        status = data.get("status") or ResidentStatus.ACTIVE
        if status != ALL_STATUSES:
            qs = qs.filter(status=status)
        if band := data.get("age"):
            low, _, high = band.partition("-")
            today = date.today()  # noqa: DTZ011  (ages are calendar arithmetic)
            qs = qs.filter(birth_date__lte=_years_ago(today, int(low)))
            if high:
                qs = qs.filter(birth_date__gt=_years_ago(today, int(high) + 1))
        if q := data.get("q"):
            qs = search(qs, q, any_suffix=self.user.can(Capability.REVEAL_PERSONAL))
        return ordered(qs, data.get("sort") or "name", by_name=query_kind(q or "") == "name")


def _years_ago(today: date, years: int) -> date:
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


class ExportForm(forms.Form):
    reveal = forms.BooleanField(label="导出完整证件号码和电话（将记入审计日志）", required=False)


NEW = "new"


def _hx(url: str) -> dict[str, str]:
    """A select that re-renders the place fieldset (its next choices) when it changes."""
    return {"hx-get": url, "hx-target": "#place", "hx-swap": "outerHTML", "hx-include": "#place"}


class PlaceForm(forms.Form):
    """Where a resident lives: grid → building → house → household, each from the user's scope, or new.

    The choices of each level follow the level above, as posted; the page re-renders this fieldset
    (htmx) when a select changes, so a phone shows only what applies."""

    grid = AreaChoiceField(label="网格", queryset=Area.objects.none(), empty_label="请选择网格")
    building = forms.ChoiceField(label="楼栋", required=False)
    building_number = forms.CharField(label="新楼栋号", required=False, max_length=20)
    house = forms.ChoiceField(label="房屋", required=False)
    entrance = forms.CharField(label="单元", required=False, max_length=20)
    room = forms.CharField(label="房号", required=False, max_length=20)
    use = forms.ChoiceField(label="房屋用途", required=False, choices=HouseUse.choices)
    household = forms.ChoiceField(label="户", required=False)
    relation_to_head = forms.CharField(label="与户主关系", required=False, max_length=20)

    def __init__(self, *args: Any, user: User, place_url: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.is_bound:  # _pick fills in a level's default choice, as the page shows it
            self.data = self.data.copy()  # type: ignore[attr-defined]
        self.user = user
        grids = Area.objects.visible_to(user).filter(kind=Area.Kind.GRID).select_related("parent")
        grid_field = self.fields["grid"]
        assert isinstance(grid_field, forms.ModelChoiceField)  # noqa: S101  (declared above)
        grid_field.queryset = grids.order_by("path")
        for name in ("grid", "building", "house"):
            self.fields[name].widget.attrs.update(_hx(place_url))
        self.fields["relation_to_head"].widget.attrs["placeholder"] = "如：配偶、子女、父母"
        self.fields["room"].widget.attrs["placeholder"] = "如：1401"
        self.fields["entrance"].widget.attrs["placeholder"] = "无单元可不填"
        grid_ids = list(grids.values_list("pk", flat=True)[:2])
        self.chosen_grid: Area | None = self._chosen(grids, "grid") or (
            grids.get(pk=grid_ids[0]) if len(grid_ids) == 1 else None
        )
        grid = self.chosen_grid
        if grid is not None and not self.is_bound:
            self.initial.setdefault("grid", grid.pk)
        buildings = list(Building.objects.filter(grid=grid)) if grid else []
        self._choices(
            "building",
            [
                ("", "请选择楼栋"),
                *((b.pk, str(b)) for b in buildings),
                (NEW, "＋ 新楼栋"),
            ],
        )
        building = self._pick("building", buildings, default_new=grid is not None and not buildings)
        houses = (
            list(House.objects.filter(building=building).select_related("building", "entrance"))
            if isinstance(building, Building)
            else []
        )
        self._choices(
            "house",
            [
                ("", "请选择房屋"),
                *((h.pk, str(h)) for h in houses),
                (NEW, "＋ 新房屋"),
            ],
        )
        self.new_building = building == NEW
        house = (
            NEW
            if self.new_building
            else self._pick("house", houses, default_new=building is not None and not houses)
        )
        self.new_house = house == NEW
        households = list(Household.objects.filter(house=house)) if isinstance(house, House) else []
        heads = Resident.objects.visible_to(user).in_bulk([h.head_id for h in households if h.head_id])
        self._choices(
            "household",
            [
                ("", "不入户"),
                *(
                    (h.pk, _household_label(h, heads.get(h.head_id) if h.head_id else None))
                    for h in households
                ),
                (NEW, "＋ 新立户（本人为户主）"),
            ],
        )
        if house is not None and not households and not self.is_bound:
            self.initial["household"] = NEW
        if self.is_bound and "household" not in self.data and house is not None and not households:
            # The select was not on the page yet: a house without households opens one.
            self.data["household"] = NEW  # type: ignore[index]
        self.show_house = building is not None
        self.show_household = house is not None

    def _choices(self, name: str, choices: list[tuple[Any, str]]) -> None:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)  # noqa: S101  (declared above)
        field.choices = choices

    def _chosen(self, qs: QuerySet[Any], name: str) -> Any:
        raw = self.data.get(name) if self.is_bound else self.initial.get(name)
        if raw in (None, ""):
            return None
        return qs.filter(pk=pk).first() if (pk := parse_id(raw)) is not None else None

    def _pick(self, name: str, rows: list[Any], *, default_new: bool) -> Any:
        """The row chosen for `name` among `rows`, NEW, or None; NEW by default when there are none."""
        raw = str(self.data.get(name, "") if self.is_bound else self.initial.get(name, ""))
        if raw == NEW or (not raw and default_new):
            if not self.is_bound:
                self.initial[name] = NEW
            elif not raw:
                self.data[name] = NEW  # type: ignore[index]
            return NEW
        return next((r for r in rows if str(r.pk) == raw), None)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.new_building and not data.get("building_number"):
            self.add_error("building_number", "请填写新楼栋号。")
        if self.new_house and not data.get("room"):
            self.add_error("room", "请填写房号。")
        return data

    def place(self) -> tuple[Area, House | NewHouse | None, Household | str | None]:
        """(grid, house or NewHouse or None, household or NEW_HOUSEHOLD or None) for the services."""
        data = self.cleaned_data
        grid: Area = data["grid"]
        house: House | NewHouse | None = None
        if self.new_house:
            building = data.get("building_number") if self.new_building else None
            if building is None:
                chosen = Building.objects.filter(grid=grid, pk=data.get("building") or 0).first()
                building = chosen.number if chosen else ""
            house = NewHouse(
                building=building or "",
                room=data.get("room") or "",
                entrance=data.get("entrance") or "",
                use=data.get("use") or HouseUse.OWNER_OCCUPIED,
            )
        elif (house_id := parse_id(data.get("house"))) is not None:
            house = House.objects.visible_to(self.user).filter(pk=house_id, building__grid=grid).first()
            if house is None:
                raise DomainError("请选择房屋。", field="house")
        household: Household | str | None = None
        raw_household = data.get("household") or ""
        if raw_household == NEW:
            household = NEW_HOUSEHOLD
        elif (household_id := parse_id(raw_household)) is not None and isinstance(house, House):
            household = Household.objects.filter(pk=household_id, house=house).first()
        return grid, house, household


def _household_label(household: Household, head: Resident | None) -> str:
    label = f"户号 {household.number}" if household.number else f"第 {household.pk} 户"
    return f"{label}（户主 {head.name}）" if head else label


class ResidentForm(forms.Form):
    """The resident's own fields (registration and edit); gender and birth date come from the number."""

    name = forms.CharField(label="姓名", max_length=50)
    id_number = forms.CharField(
        label="证件号码",
        max_length=30,
        help_text="居民身份证、港澳台居民居住证或外国人永久居留身份证（2023 版）号码；性别和出生日期按号码填写。",
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "inputmode": "text", "autocapitalize": "characters"}
        ),
    )
    phone = forms.CharField(
        label="联系电话", required=False, max_length=30, widget=forms.TextInput(attrs={"type": "tel"})
    )
    residence_type = forms.ChoiceField(
        label="人口类型",
        choices=ResidenceType.choices,
        initial=ResidenceType.PERMANENT,
        widget=forms.RadioSelect,
    )
    ethnicity = forms.CharField(label="民族", required=False, max_length=20)
    education = forms.CharField(label="文化程度", required=False, max_length=20)
    political_status = forms.CharField(label="政治面貌", required=False, max_length=20)
    notes = forms.CharField(label="备注", required=False, widget=forms.Textarea(attrs={"rows": 2}))


class StatusForm(forms.Form):
    """迁出 or 死亡, as of a date."""

    effective_date = forms.DateField(
        label="日期", widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )
    destination = forms.CharField(label="迁往", required=False, max_length=100)
    note = forms.CharField(label="说明", required=False, widget=forms.Textarea(attrs={"rows": 2}))


class MoveDateForm(forms.Form):
    effective_date = forms.DateField(
        label="迁居日期", widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )
    note = forms.CharField(label="说明", required=False, max_length=200)


class MergeForm(forms.Form):
    duplicate = forms.IntegerField(widget=forms.HiddenInput)
    note = forms.CharField(label="合并说明", required=False, max_length=200)
    confirm = forms.BooleanField(label="我已核对两条记录是同一个人；合并后不能撤销。")
