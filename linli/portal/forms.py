from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.utils import timezone

from linli.areas.models import Area
from linli.cases.forms import leaf_categories
from linli.cases.models import Category
from linli.core.validation import parse_id
from linli.portal.models import CorrectionRequest
from linli.timebank.models import NeedKind, PayFrom
from linli.volunteers.models import AVAILABILITY_CHOICES, Skill


class SignInForm(forms.Form):
    name = forms.CharField(label="姓名", max_length=50)
    id_number = forms.CharField(label="身份证号", max_length=18)
    phone = forms.CharField(label="手机号", max_length=20)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["name"].widget.attrs["autocomplete"] = "name"
        self.fields["id_number"].widget.attrs.update({"autocomplete": "off", "autocapitalize": "characters"})
        self.fields["phone"].widget.attrs.update({"inputmode": "tel", "autocomplete": "tel"})


class CodeForm(forms.Form):
    challenge = forms.CharField(widget=forms.HiddenInput)
    code = forms.CharField(label="短信验证码", max_length=6, min_length=6)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["code"].widget.attrs.update(
            {"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9]*"}
        )


class CorrectionForm(forms.Form):
    text = forms.CharField(
        label="哪里不对？应该是什么？",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="如：母亲的电话换了；孙子已出生未登记。网格员核实后更正。",
    )


class CaseForm(forms.Form):
    WHERE = (("home", "在我家（登记的住址）"), ("address", "在别处（填写地点）"))

    category: forms.ModelChoiceField[Category] = forms.ModelChoiceField(
        label="是什么问题？", queryset=Category.objects.none(), widget=forms.RadioSelect, empty_label=None
    )
    title = forms.CharField(label="一句话说明", max_length=100)
    description = forms.CharField(label="具体情况", max_length=2000, widget=forms.Textarea(attrs={"rows": 4}))
    where = forms.ChoiceField(label="在哪里？", choices=WHERE, widget=forms.RadioSelect, initial="home")
    community: forms.ModelChoiceField[Area] = forms.ModelChoiceField(
        label="所在社区", queryset=Area.objects.none(), required=False, empty_label="请选择"
    )
    address = forms.CharField(
        label="地点", max_length=200, required=False, help_text="如 锦绣路 8 号楼 2 单元门口"
    )
    # Set by the map pick (WGS-84); checked again by the cases service.
    latitude = forms.CharField(required=False, widget=forms.HiddenInput)
    longitude = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = leaf_categories()  # type: ignore[attr-defined]
        self.fields["community"].queryset = Area.objects.filter(kind="community").order_by("path")  # type: ignore[attr-defined]

    def add_questions(self) -> list[tuple[str, str]]:
        """The chosen category's own questions (as on /track/new/), asked once a category is chosen:
        [(question code, field name)]."""
        from linli.cases.forms import question_field

        chosen = str(self.data.get("category", "")) if self.is_bound else ""
        category = leaf_categories().filter(pk=pk).first() if (pk := parse_id(chosen)) is not None else None
        added = []
        for q in category.questions if category else []:
            name = f"attribute[{q['code']}]"
            self.fields[name] = question_field(q)
            added.append((q["code"], name))
        self.question_names = [name for _, name in added]
        return added

    def question_fields(self) -> list[Any]:
        return [self[name] for name in getattr(self, "question_names", [])]

    def category_groups(self) -> list[tuple[str, list[Any]]]:
        """Leaves grouped under their plain-language parent, each with its description as a hint."""
        chosen = str(self.data.get("category", "")) if self.is_bound else ""
        groups: dict[str, list[Any]] = {}
        for category in self.fields["category"].queryset:  # type: ignore[attr-defined]
            hint = category.description or category.keywords.replace(",", "、")
            parent = category.parent.name if category.parent else ""
            groups.setdefault(parent, []).append(
                {
                    "pk": category.pk,
                    "name": category.name,
                    "hint": hint,
                    "checked": str(category.pk) == chosen,
                }
            )
        return list(groups.items())


class LinkForm(forms.Form):
    name = forms.CharField(label="亲属姓名", max_length=50)
    id_number = forms.CharField(label="亲属身份证号", max_length=18)
    relation = forms.CharField(label="与您的关系", max_length=20, help_text="如 母亲、父亲、祖母")


class ResolveForm(forms.Form):
    done = forms.TypedChoiceField(choices=(("1", "已更正"), ("0", "无需更正")), coerce=lambda v: v == "1")
    reply = forms.CharField(required=False, max_length=200)

    class Meta:
        model = CorrectionRequest


class VolunteerJoinForm(forms.Form):
    """Registering as a volunteer from the portal: the name, identity number and phone come from the
    registry (the sign-in proved them); the resident says what they can do and when."""

    skills = forms.ModelMultipleChoiceField(
        queryset=Skill.objects.all(), label="服务技能", required=False, widget=forms.CheckboxSelectMultiple
    )
    preferences = forms.CharField(label="服务意向", max_length=200, required=False)
    availability = forms.MultipleChoiceField(
        choices=AVAILABILITY_CHOICES, label="可服务时间", required=False, widget=forms.CheckboxSelectMultiple
    )
    photo_consent = forms.BooleanField(label="同意在宣传中使用服务照片", required=False)
    agree = forms.BooleanField(
        label="我同意社区保存我的登记信息和服务记录，用于志愿服务管理和出具证明",
        error_messages={"required": "请阅读并勾选同意。"},
    )


class HelpForm(forms.Form):
    """Asking for help (互助需求) from the portal: what, when, how long, where; paid from one's own or
    the household's time-bank account."""

    need = forms.ChoiceField(label="需要哪类帮助", choices=NeedKind.choices, widget=forms.RadioSelect)
    title = forms.CharField(
        label="需要什么帮助", max_length=100, error_messages={"required": "请写明需要什么帮助。"}
    )
    description = forms.CharField(
        label="说明（可不填）", max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    wanted_at = forms.DateTimeField(
        label="需要的时间",
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(format="%Y-%m-%dT%H:%M", attrs={"type": "datetime-local"}),
        error_messages={"required": "请填写需要服务的时间。", "invalid": "请填写需要服务的时间。"},
    )
    estimated_minutes = forms.TypedChoiceField(
        label="大约多久",
        coerce=int,
        choices=[
            (30, "半小时"),
            (60, "1 小时"),
            (90, "1 个半小时"),
            (120, "2 小时"),
            (180, "3 小时"),
            (240, "4 小时"),
        ],
        initial=60,
    )
    place = forms.CharField(label="地点（可不填，默认在家）", max_length=200, required=False)
    pay_from = forms.ChoiceField(
        label="用哪个账户的时间支付",
        choices=[(PayFrom.REQUESTER, "本人账户"), (PayFrom.HOUSEHOLD, "家庭户账户")],
        initial=PayFrom.REQUESTER,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound and "wanted_at" not in self.initial:
            tomorrow = timezone.localtime() + timedelta(days=1)
            self.initial["wanted_at"] = tomorrow.replace(hour=9, minute=0, second=0, microsecond=0)
