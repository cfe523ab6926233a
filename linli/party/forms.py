from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from linli.areas.forms import AreaChoiceField
from linli.party.models import (
    ACTIVE_STATUSES,
    Attendance,
    CardKind,
    ContactWay,
    MeetingKind,
    MemberKind,
    OrgKind,
    PartyMember,
    PartyOrganisation,
    PointRule,
    PositionRole,
    Stage,
    TransferDirection,
)
from linli.registry.models import Building, Resident


def _date(label: str, required: bool = True, initial: Any = None) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=required,
        initial=initial,
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
        error_messages={"required": f"请填写{label}。", "invalid": f"{label}格式应为 年-月-日。"},
    )


class OrgField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name}（{obj.get_kind_display()}）"


def _field(form: forms.Form, name: str) -> Any:
    return form.fields[name]


def _orgs(user: Any, kinds: Any = None) -> Any:
    qs = PartyOrganisation.objects.visible_to(user).filter(dissolved_on__isnull=True)
    return qs.filter(kind__in=kinds) if kinds else qs


class OrganisationForm(forms.Form):
    name = forms.CharField(label="名称", max_length=80)
    kind = forms.ChoiceField(label="类别", choices=OrgKind.choices, initial=OrgKind.BRANCH)
    parent = OrgField(label="上级组织", queryset=PartyOrganisation.objects.none(), required=False)
    area = AreaChoiceField(label="所属社区", queryset=None)
    partner_units = forms.CharField(
        label="共建单位（联合党支部）", max_length=300, required=False, help_text="园区、企业等，用顿号分隔"
    )
    founded_on = _date("成立日期", required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from linli.areas.models import Area

        _field(self, "parent").queryset = _orgs(user)
        area_field: Any = self.fields["area"]
        area_field.queryset = Area.objects.visible_to(user).filter(kind__in=["street", "community"])


class MemberForm(forms.Form):
    organisation = OrgField(label="所在支部", queryset=PartyOrganisation.objects.none())
    resident = forms.IntegerField(
        label="辖区居民编号", required=False, help_text="住在本街道的党员，填写其居民编号以关联居民档案"
    )
    name = forms.CharField(label="姓名", max_length=50, required=False, help_text="未关联居民时填写")
    kind = forms.ChoiceField(label="党员类别", choices=MemberKind.choices)
    status = forms.ChoiceField(label="党员状态", choices=[(s.value, s.label) for s in ACTIVE_STATUSES])
    joined_on = _date("入党日期")
    work_unit = forms.CharField(
        label="工作单位", max_length=100, required=False, help_text="在职党员报到须填"
    )
    reported_on = _date("报到日期", required=False)
    hardship = forms.BooleanField(label="困难党员", required=False)
    hardship_note = forms.CharField(label="困难情况", max_length=200, required=False)
    transferred_in_on = _date("组织关系转入日期", required=False)
    transferred_from = forms.CharField(label="转出单位", max_length=100, required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        _field(self, "organisation").queryset = _orgs(
            user, [OrgKind.BRANCH, OrgKind.GENERAL_BRANCH, OrgKind.COMMITTEE]
        )

    def clean_resident(self) -> Resident | None:
        pk = self.cleaned_data.get("resident")
        if not pk:
            return None
        found = Resident.objects.visible_to(self.user).filter(pk=pk).first()
        if found is None:
            raise forms.ValidationError("在您的范围内找不到该居民。")
        return found


class MemberEditForm(forms.Form):
    kind = forms.ChoiceField(label="党员类别", choices=MemberKind.choices)
    work_unit = forms.CharField(label="工作单位", max_length=100, required=False)
    reported_on = _date("报到日期", required=False)
    hardship = forms.BooleanField(label="困难党员", required=False)
    hardship_note = forms.CharField(label="困难情况", max_length=200, required=False)
    note = forms.CharField(label="备注", max_length=200, required=False)


class TransferForm(forms.Form):
    direction = forms.ChoiceField(
        label="转接方向",
        choices=[(TransferDirection.WITHIN, "转到本社区其他支部"), (TransferDirection.OUT, "转出本社区")],
    )
    date = _date("转接日期", initial=timezone.localdate)
    to_organisation = OrgField(label="转入支部", queryset=PartyOrganisation.objects.none(), required=False)
    outside_unit = forms.CharField(label="转往党组织", max_length=100, required=False)
    note = forms.CharField(label="备注", max_length=200, required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _field(self, "to_organisation").queryset = _orgs(user, [OrgKind.BRANCH, OrgKind.GENERAL_BRANCH])


class EndForm(forms.Form):
    date = _date("日期", initial=timezone.localdate)
    reason = forms.CharField(label="原因", max_length=200)


class CarePlanForm(forms.Form):
    interval_days = forms.IntegerField(label="走访周期（天）", min_value=1, max_value=366, initial=30)


class PositionForm(forms.Form):
    member = forms.ModelChoiceField(label="党员", queryset=PartyMember.objects.none())
    role = forms.ChoiceField(label="职务", choices=PositionRole.choices)
    start_date = _date("任职日期", initial=timezone.localdate)

    def __init__(self, *args: Any, user: Any, organisation: PartyOrganisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        roll = (
            organisation.parent
            if organisation.kind == OrgKind.GROUP and organisation.parent
            else organisation
        )
        _field(self, "member").queryset = PartyMember.objects.visible_to(user).filter(
            status__in=ACTIVE_STATUSES, organisation__in=[roll, *roll.children.all()]
        )


class ApplicantForm(forms.Form):
    organisation = OrgField(label="培养支部", queryset=PartyOrganisation.objects.none())
    resident = forms.IntegerField(label="辖区居民编号", required=False)
    name = forms.CharField(label="姓名", max_length=50, required=False)
    birth_date = _date("出生日期", required=False)
    applied_on = _date("递交入党申请书日期", initial=timezone.localdate)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        _field(self, "organisation").queryset = _orgs(
            user, [OrgKind.BRANCH, OrgKind.GENERAL_BRANCH, OrgKind.COMMITTEE]
        )

    clean_resident = MemberForm.clean_resident


class AdvanceForm(forms.Form):
    to_stage = forms.ChoiceField(
        label="下一阶段", choices=[(s.value, s.label) for s in Stage if s != Stage.STOPPED]
    )
    date = _date("日期", initial=timezone.localdate)
    resolution = forms.CharField(label="决议（支委会 / 支部大会）", max_length=200, required=False)
    introducers = forms.CharField(
        label="入党介绍人", max_length=100, required=False, help_text="两名正式党员，用顿号分隔"
    )
    note = forms.CharField(label="备注", max_length=200, required=False)


class MeetingForm(forms.Form):
    organisation = OrgField(label="党组织", queryset=PartyOrganisation.objects.none())
    kind = forms.ChoiceField(label="会议类型", choices=MeetingKind.choices)
    held_on = _date("会议日期", initial=timezone.localdate)
    place = forms.CharField(label="地点", max_length=100)
    topic = forms.CharField(label="主题", max_length=200)
    host = forms.CharField(label="主持人", max_length=50, required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _field(self, "organisation").queryset = _orgs(user)


class MinutesForm(forms.Form):
    place = forms.CharField(label="地点", max_length=100)
    topic = forms.CharField(label="主题", max_length=200)
    host = forms.CharField(label="主持人", max_length=50, required=False)
    minutes = forms.CharField(
        label="会议记录", max_length=10000, required=False, widget=forms.Textarea(attrs={"rows": 6})
    )


class OrgEditForm(forms.Form):
    name = forms.CharField(label="名称", max_length=80)
    partner_units = forms.CharField(label="共建单位", max_length=300, required=False)


class BuildingForm(forms.Form):
    building = forms.ModelChoiceField(label="责任楼栋", queryset=Building.objects.none())

    def __init__(self, *args: Any, user: Any, member: PartyMember, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _field(self, "building").queryset = (
            Building.objects.visible_to(user)
            .filter(grid__path__startswith=member.organisation.area.path + "/")
            .select_related("grid")
            .order_by("grid__path", "number")
        )


class ContactForm(forms.Form):
    resident = forms.IntegerField(label="联系户居民编号", help_text="居民页面地址中的编号")

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    clean_resident = MemberForm.clean_resident


class VolunteerLinkForm(forms.Form):
    volunteer: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label="志愿者", queryset=PartyMember.objects.none(), required=False
    )

    def __init__(self, *args: Any, user: Any, member: PartyMember, **kwargs: Any) -> None:
        from linli.volunteers.models import Volunteer

        super().__init__(*args, **kwargs)
        _field(self, "volunteer").queryset = (
            Volunteer.objects.visible_to(user)
            .filter(community__path=member.organisation.area.path)
            .order_by("name", "pk")
        )


class PhotoForm(forms.Form):
    photo = forms.FileField(label="照片", help_text="JPEG/PNG/WebP")


class ManualPointForm(forms.Form):
    member = forms.ModelChoiceField(label="党员", queryset=PartyMember.objects.none())
    rule = forms.ModelChoiceField(label="积分项目", queryset=PointRule.objects.none())
    earned_on = _date("日期", initial=timezone.localdate)
    reason = forms.CharField(label="事由", max_length=200)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _field(self, "member").queryset = PartyMember.objects.visible_to(user).filter(
            status__in=ACTIVE_STATUSES
        )
        _field(self, "rule").queryset = PointRule.objects.filter(manual=True, active=True)


ATTENDANCE_CHOICES = Attendance.choices


class ExtendProbationForm(forms.Form):
    """延长预备期 (rules.PROBATION_EXTENSION_TEXT)."""

    resolved_on = _date("支部党员大会日期")
    months = forms.TypedChoiceField(
        label="延长期限",
        coerce=int,
        choices=[(n, f"{n} 个月") for n in range(6, 13)],
        initial=6,
    )
    resolution = forms.CharField(label="支部党员大会决议", max_length=200)
    reason = forms.CharField(label="延长原因", max_length=200)


class CardForm(forms.Form):
    """三卡: one card for the member (the contact household offered from their responsibility area)."""

    kind = forms.ChoiceField(label="卡片", choices=CardKind.choices)
    day = _date("日期", initial=timezone.localdate)
    title = forms.CharField(label="事项", max_length=100, help_text="联系事由、活动名称或反映的问题")
    resident: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label="联系户（联系卡、反馈卡）", queryset=Resident.objects.none(), required=False
    )
    way = forms.ChoiceField(
        label="联系方式（联系卡）", choices=[("", "—"), *ContactWay.choices], required=False
    )
    place = forms.CharField(label="地点（活动卡）", max_length=100, required=False)
    passed_to = forms.CharField(label="反映给（反馈卡）", max_length=100, required=False)
    content = forms.CharField(
        label="内容", max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, member: PartyMember, **kwargs: Any) -> None:
        from linli.party.services import contact_households

        super().__init__(*args, **kwargs)
        _field(self, "resident").queryset = contact_households(member).order_by("name", "pk")


class CardCloseForm(forms.Form):
    outcome = forms.CharField(label="办理结果", max_length=300, widget=forms.Textarea(attrs={"rows": 2}))
    closed_on = _date("办结日期", initial=timezone.localdate)


class ReasonForm(forms.Form):
    reason = forms.CharField(label="原因", max_length=200)


class CorrectionForm(forms.Form):
    text = forms.CharField(
        label="更正后的会议记录", max_length=10000, widget=forms.Textarea(attrs={"rows": 6})
    )
    reason = forms.CharField(label="更正原因", max_length=200)
