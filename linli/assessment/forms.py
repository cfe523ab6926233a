from __future__ import annotations

from typing import Any

from django import forms

from linli.accounts.models import User
from linli.areas.forms import AreaChoiceField
from linli.areas.models import Area
from linli.assessment.models import DEFAULT_MIN_SAMPLE, REASON_REQUIRED, Basis, DutyKind, Grade, RoundKind
from linli.assessment.services import WORKER_ROLES
from linli.cases.models import Department

DATE = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


def _place(area: Area) -> str:
    """A grid with its community (grids are named 第一网格 in every community)."""
    node = area.parent
    while node is not None and node.kind == Area.Kind.GRID:
        node = node.parent
    return f"{node.name}{area.name}" if area.kind == Area.Kind.GRID and node is not None else area.name


class PersonChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        # Where they work, so that a street's list of namesakes and grids can be told apart.
        places = "、".join(_place(b.area) for b in obj.bindings.all())
        return f"{obj.display_name}（{obj.get_role_display()}{' · ' + places if places else ''}）"


class AuditorChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.display_name


def _areas(user: User) -> Any:
    return (
        Area.objects.visible_to(user)
        .filter(kind__in=[Area.Kind.STREET, Area.Kind.COMMUNITY])
        .order_by("path")
    )


class RoundForm(forms.Form):
    area = AreaChoiceField(label="考核范围（社区或街道）", queryset=Area.objects.none(), empty_label="请选择")
    kind = forms.ChoiceField(
        label="类别", choices=[(RoundKind.QUARTER, "季度考核"), (RoundKind.YEAR, "年度考核")]
    )
    title = forms.CharField(label="名称", max_length=100)
    period_start = forms.DateField(label="考核期开始", widget=DATE)
    period_end = forms.DateField(label="考核期结束", widget=DATE)
    min_sample = forms.IntegerField(
        label="每人最少抽样数",
        min_value=1,
        max_value=500,
        initial=DEFAULT_MIN_SAMPLE,
        help_text="服务对象少于此数时全部参评。",
    )
    workers = PersonChoiceField(
        label="被考核人员",
        queryset=User.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="不选则为该范围内的全部社区工作人员。",
    )
    auditor = AuditorChoiceField(
        label="评议审核人",
        queryset=User.objects.none(),
        required=False,
        help_text="唯一可以查看“谁给了哪条评议”的人。",
    )

    def __init__(self, *args: Any, user: User, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from linli.accounts.roles import Capability

        self.fields["area"].queryset = _areas(user)  # type: ignore[attr-defined]
        self.fields["workers"].queryset = (  # type: ignore[attr-defined]
            User.objects.visible_to(user)
            .filter(is_active=True, role__in=[r.value for r in WORKER_ROLES])
            .prefetch_related("bindings__area__parent__parent")
            .order_by("full_name", "username")
        )
        auditors = [
            u.pk
            for u in User.objects.visible_to(user).filter(is_active=True)
            if u.can(Capability.AUDIT_RATINGS)
        ]
        self.fields["auditor"].queryset = User.objects.filter(pk__in=auditors)  # type: ignore[attr-defined]
        if editing:
            del self.fields["area"], self.fields["kind"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("period_start") and data.get("period_end") and data["period_end"] < data["period_start"]:
            self.add_error("period_end", "考核期结束日期不能早于开始日期。")
        return data


class OpenForm(forms.Form):
    seed = forms.CharField(
        label="随机种子",
        max_length=64,
        required=False,
        help_text="留空则由系统生成；也可当场掷骰、见证后填入。开启后公布，不可更改。",
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(label="原因", max_length=200)


class RatingForm(forms.Form):
    grade = forms.ChoiceField(
        label="评议",
        choices=Grade.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "请选择 优、良、中 或 差。"},
    )
    reason = forms.CharField(
        label="理由",
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="评“优”或“差”须写明理由，否则为无效评议。",
    )
    ask_confirm = False

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        # 优/差 without a reason is accepted but invalid (seed 004): say so and let the rater add one, or
        # submit again to keep it as it is — never store it invalid without them knowing.
        if (
            data.get("grade") in REASON_REQUIRED
            and not (data.get("reason") or "").strip()
            and self.data.get("confirmed") != "1"
        ):
            self.ask_confirm = True
            self.add_error(
                "reason",
                "评“优”或“差”须写明理由，否则本次评议无效。请补写理由；"
                "如不写理由，再点一次“提交评议”即按无效评议提交。",
            )
        return data


class CheckForm(forms.Form):
    action = forms.ChoiceField(
        choices=[("untrue", "理由经查不实"), ("restore", "更正：理由属实")], widget=forms.HiddenInput
    )
    note = forms.CharField(label="核查说明", max_length=300)


class ScoresForm(forms.Form):
    street_score = forms.DecimalField(
        label="街道评分", min_value=0, max_value=100, decimal_places=1, required=False
    )
    peer_score = forms.DecimalField(
        label="同事互评", min_value=0, max_value=100, decimal_places=1, required=False
    )


class DutyForm(forms.Form):
    area = AreaChoiceField(label="发布单位", queryset=Area.objects.none(), empty_label="请选择")
    kind = forms.ChoiceField(label="清单", choices=DutyKind.choices)
    role = forms.ChoiceField(
        label="岗位（工作人员清单）",
        choices=[("", "—")] + [(r.value, r.label) for r in WORKER_ROLES],
        required=False,
    )
    department = forms.ModelChoiceField(
        label="职能部门（部门清单）", queryset=Department.objects.none(), required=False
    )
    title = forms.CharField(label="职责", max_length=100)
    standard = forms.CharField(
        label="服务标准 / 考核标准", max_length=300, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from linli.cases.models import Department

        self.fields["area"].queryset = _areas(user)  # type: ignore[attr-defined]
        self.fields["department"].queryset = Department.objects.filter(active=True).order_by("code")  # type: ignore[attr-defined]


class DutyEditForm(forms.Form):
    title = forms.CharField(label="职责", max_length=100)
    standard = forms.CharField(
        label="服务标准 / 考核标准", max_length=300, widget=forms.Textarea(attrs={"rows": 2})
    )
    active = forms.BooleanField(label="仍在执行", required=False)


class TaskForm(forms.Form):
    area = AreaChoiceField(label="范围", queryset=Area.objects.none(), empty_label="请选择")
    title = forms.CharField(label="任务名称", max_length=100)
    standard = forms.CharField(label="考核标准（完成情况）", max_length=300)
    start_date = forms.DateField(label="开始日期", widget=DATE)
    deadline = forms.DateField(label="截止日期", widget=DATE)
    workers = PersonChoiceField(
        label="承担人员", queryset=User.objects.none(), widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = _areas(user)  # type: ignore[attr-defined]
        self.fields["workers"].queryset = (  # type: ignore[attr-defined]
            User.objects.visible_to(user)
            .filter(is_active=True, role__in=[r.value for r in WORKER_ROLES])
            .prefetch_related("bindings__area__parent__parent")
            .order_by("full_name", "username")
        )


class TaskCloseForm(forms.Form):
    result = forms.CharField(label="完成情况", max_length=300)
    closed_on = forms.DateField(label="完成日期", widget=DATE)


class WeightingForm(forms.Form):
    residents = forms.IntegerField(label="居民评议 %", min_value=0, max_value=100)
    indicators = forms.IntegerField(
        label="工作指标 %",
        min_value=0,
        max_value=100,
        help_text="按期结案率、返工率、走访覆盖率、八必访按期率。",
    )
    street = forms.IntegerField(label="街道评分 %", min_value=0, max_value=100)
    peers = forms.IntegerField(label="同事互评 %", min_value=0, max_value=100)
    assessed_share = forms.IntegerField(label="考核挂钩收入比例 %", min_value=0, max_value=100)
    floor_score = forms.IntegerField(
        label="起奖分", min_value=0, max_value=99, help_text="综合得分达到此分才有考核奖，100 分拿满。"
    )


class ProfileForm(forms.Form):
    resident = forms.IntegerField(
        label="本人居民档案编号",
        required=False,
        min_value=1,
        help_text="用于排除本人及同户亲属；不在本辖区居住可留空。",
    )
    base_annual_pay = forms.DecimalField(
        label="年收入（元）", min_value=0, max_value=10_000_000, decimal_places=0, required=False
    )
    photo = forms.FileField(
        label="照片（居民评议页显示）", required=False, help_text="JPEG/PNG/WebP，不超过 2 MB"
    )


class AgreementForm(forms.Form):
    area = AreaChoiceField(label="社区", queryset=Area.objects.none(), empty_label="请选择")
    department = forms.ModelChoiceField(label="职能部门", queryset=Department.objects.none())
    title = forms.CharField(label="协议名称", max_length=100)
    signed_on = forms.DateField(label="签订日期", widget=DATE)
    terms = forms.CharField(
        label="主要条款", max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from linli.cases.models import Department

        communities = Area.objects.visible_to(user).filter(kind=Area.Kind.COMMUNITY).order_by("path")
        self.fields["area"].queryset = communities  # type: ignore[attr-defined]
        self.fields["department"].queryset = Department.objects.filter(active=True).order_by("code")  # type: ignore[attr-defined]


class CaseReviewForm(forms.Form):
    on_time = forms.TypedChoiceField(
        label="部门是否按时办结",
        choices=[("1", "按时"), ("0", "超时")],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    wrongly_returned = forms.BooleanField(label="部门曾无理退单", required=False)
    note = forms.CharField(label="说明", max_length=300, required=False)


class DepartmentReviewForm(forms.Form):
    department = forms.ModelChoiceField(label="职能部门", queryset=Department.objects.none())
    basis = forms.ChoiceField(label="依据", choices=Basis.choices)
    grade = forms.ChoiceField(label="评价", choices=Grade.choices)
    reason = forms.CharField(label="理由（优、差必填）", max_length=500, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from linli.cases.models import Department

        self.fields["department"].queryset = Department.objects.filter(active=True).order_by("code")  # type: ignore[attr-defined]
