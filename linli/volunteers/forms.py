from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.utils import timezone

from linli.areas.models import Area
from linli.registry.models import House, Resident, ResidentStatus
from linli.volunteers.models import (
    AVAILABILITY_CHOICES,
    Skill,
    Team,
    TeamLevel,
    Volunteer,
    VolunteerKind,
    VolunteerStatus,
)

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]


class AreaLabelChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.qualified_name if isinstance(obj, Area) else str(obj)


def _communities(user: Any) -> Any:
    return Area.objects.visible_to(user).filter(kind=Area.Kind.COMMUNITY).order_by("path")


class VolunteerForm(forms.Form):
    community = forms.ModelChoiceField(queryset=Area.objects.none(), label="登记社区")
    name = forms.CharField(label="姓名", max_length=50)
    id_number = forms.CharField(label="身份证号", max_length=30)
    phone = forms.CharField(label="手机号", max_length=30)
    kind = forms.ChoiceField(
        label="志愿者来源", choices=VolunteerKind.choices, initial=VolunteerKind.RESIDENT
    )
    unit_name = forms.CharField(
        label="所在单位", max_length=100, required=False, help_text="共建单位志愿者、在职党员填写"
    )
    grid = AreaLabelChoice(queryset=Area.objects.none(), label="所在网格", required=False)
    skills = forms.ModelMultipleChoiceField(
        queryset=Skill.objects.all(), label="服务技能", required=False, widget=forms.CheckboxSelectMultiple
    )
    preferences = forms.CharField(label="服务意向", max_length=200, required=False)
    availability = forms.MultipleChoiceField(
        choices=AVAILABILITY_CHOICES, label="可服务时间", required=False, widget=forms.CheckboxSelectMultiple
    )
    photo_consent = forms.BooleanField(label="同意在宣传中使用服务照片", required=False)
    notes = forms.CharField(label="备注", max_length=200, required=False)

    def __init__(self, *args: Any, user: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        communities = _communities(user)
        self.fields["community"].queryset = communities  # type: ignore[attr-defined]
        grids = Area.objects.visible_to(user).filter(kind=Area.Kind.GRID).order_by("path")
        self.fields["grid"].queryset = grids  # type: ignore[attr-defined]
        Area.qualify(list(grids))
        if editing:
            del self.fields["community"]
        elif communities.count() == 1:
            self.fields["community"].initial = communities.first()


class JoinForm(forms.Form):
    """Self-registration on a phone (public): what the volunteer tells about themselves."""

    name = forms.CharField(label="姓名", max_length=50)
    id_number = forms.CharField(
        label="身份证号", max_length=30, help_text="用于核实身份、出具服务证明，不会公开"
    )
    phone = forms.CharField(label="手机号", max_length=30)
    kind = forms.ChoiceField(
        label="志愿者来源", choices=VolunteerKind.choices, initial=VolunteerKind.RESIDENT
    )
    unit_name = forms.CharField(
        label="所在单位", max_length=100, required=False, help_text="共建单位志愿者、在职党员填写"
    )
    skills = forms.ModelMultipleChoiceField(
        queryset=Skill.objects.all(), label="服务技能", required=False, widget=forms.CheckboxSelectMultiple
    )
    preferences = forms.CharField(label="服务意向", max_length=200, required=False)
    availability = forms.MultipleChoiceField(
        choices=AVAILABILITY_CHOICES, label="可服务时间", required=False, widget=forms.CheckboxSelectMultiple
    )
    photo_consent = forms.BooleanField(label="同意在宣传中使用服务照片", required=False)
    agree = forms.BooleanField(label="我同意社区为志愿服务登记、记录和证明之用保存以上信息", required=True)


class StatusForm(forms.Form):
    status = forms.ChoiceField(label="状态", choices=VolunteerStatus.choices)
    note = forms.CharField(label="原因", max_length=200, required=False)


class ReasonForm(forms.Form):
    reason = forms.CharField(label="原因", max_length=200)


class TeamForm(forms.Form):
    community = forms.ModelChoiceField(queryset=Area.objects.none(), label="所属社区")
    name = forms.CharField(label="名称", max_length=60)
    level = forms.ChoiceField(label="层级", choices=TeamLevel.choices, initial=TeamLevel.TEAM)
    parent = forms.ModelChoiceField(queryset=Team.objects.none(), label="上级", required=False)
    description = forms.CharField(label="简介", max_length=300, required=False)

    def __init__(self, *args: Any, user: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        communities = _communities(user)
        self.fields["community"].queryset = communities  # type: ignore[attr-defined]
        if communities.count() == 1:
            self.fields["community"].initial = communities.first()
        parents = Team.objects.visible_to(user).filter(active=True).exclude(level=TeamLevel.TEAM)
        self.fields["parent"].queryset = parents  # type: ignore[attr-defined]
        if editing:
            del self.fields["community"]
            del self.fields["level"]


class MemberForm(forms.Form):
    volunteer = forms.ModelChoiceField(queryset=Volunteer.objects.none(), label="志愿者")
    is_leader = forms.BooleanField(label="队长", required=False)

    def __init__(self, *args: Any, team: Team, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["volunteer"].queryset = (  # type: ignore[attr-defined]
            Volunteer.objects.filter(community=team.community_id, status=VolunteerStatus.ACTIVE)
            .exclude(memberships__team=team, memberships__left_on__isnull=True)
            .order_by("name_pinyin")
        )


class ActivityForm(forms.Form):
    community = forms.ModelChoiceField(queryset=Area.objects.none(), label="组织社区")
    team = forms.ModelChoiceField(queryset=Team.objects.none(), label="组织队伍", required=False)
    title = forms.CharField(label="活动名称", max_length=100)
    description = forms.CharField(label="服务内容", widget=forms.Textarea(attrs={"rows": 3}), required=False)
    place = forms.CharField(label="地点", max_length=150)
    starts_at = forms.DateTimeField(label="开始时间", widget=DATETIME, input_formats=DATETIME_FORMATS)
    ends_at = forms.DateTimeField(label="结束时间", widget=DATETIME, input_formats=DATETIME_FORMATS)
    capacity = forms.IntegerField(label="名额", min_value=1, max_value=10000, initial=10)
    skills = forms.ModelMultipleChoiceField(
        queryset=Skill.objects.all(), label="需要的技能", required=False, widget=forms.CheckboxSelectMultiple
    )
    target_note = forms.CharField(
        label="服务对象", max_length=200, required=False, help_text="如：3号楼独居老人"
    )
    # Chosen with the picker (volunteers/_target_picker.html): residents and houses of the user's scope.
    target_residents = forms.ModelMultipleChoiceField(
        queryset=Resident.objects.none(),
        label="服务对象（居民）",
        required=False,
        error_messages={
            "invalid_choice": "所选居民不在您的管辖范围内。",
            "invalid_pk_value": "居民选择有误。",
        },
    )
    target_houses = forms.ModelMultipleChoiceField(
        queryset=House.objects.none(),
        label="服务对象（房屋）",
        required=False,
        error_messages={
            "invalid_choice": "所选房屋不在您的管辖范围内。",
            "invalid_pk_value": "房屋选择有误。",
        },
    )
    grid = AreaLabelChoice(queryset=Area.objects.none(), label="服务网格", required=False)
    min_attendance_percent = forms.IntegerField(
        label="计时比例（%）",
        min_value=1,
        max_value=100,
        required=False,
        help_text="签到时长达到活动时长的该比例才计入服务时长",
    )

    def __init__(self, *args: Any, user: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        communities = _communities(user)
        self.fields["community"].queryset = communities  # type: ignore[attr-defined]
        if communities.count() == 1:
            self.fields["community"].initial = communities.first()
        self.fields["team"].queryset = Team.objects.visible_to(user).filter(active=True)  # type: ignore[attr-defined]
        grids = Area.objects.visible_to(user).filter(kind=Area.Kind.GRID).order_by("path")
        self.fields["grid"].queryset = grids  # type: ignore[attr-defined]
        Area.qualify(list(grids))
        self.fields["target_residents"].queryset = (  # type: ignore[attr-defined]
            Resident.objects.visible_to(user).filter(status=ResidentStatus.ACTIVE).select_related("grid")
        )
        self.fields["target_houses"].queryset = House.objects.visible_to(user).select_related(  # type: ignore[attr-defined]
            "building__grid", "entrance"
        )
        if editing:
            for name in ("community", "team", "grid", "min_attendance_percent"):
                del self.fields[name]

    def plain_fields(self) -> list[Any]:
        """The fields drawn one by one; the targets are drawn by the picker."""
        return [f for f in self if f.name not in TARGET_FIELDS]


TARGET_FIELDS = ("target_residents", "target_houses")


class AssignForm(forms.Form):
    volunteer = forms.ModelChoiceField(queryset=Volunteer.objects.none(), label="指派志愿者")

    def __init__(self, *args: Any, community: Area, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["volunteer"].queryset = Volunteer.objects.filter(  # type: ignore[attr-defined]
            community=community, status=VolunteerStatus.ACTIVE
        ).order_by("name_pinyin")


class CorrectForm(forms.Form):
    signed_in_at = forms.DateTimeField(label="签到时间", widget=DATETIME, input_formats=DATETIME_FORMATS)
    signed_out_at = forms.DateTimeField(label="签退时间", widget=DATETIME, input_formats=DATETIME_FORMATS)
    reason = forms.CharField(label="更正原因", max_length=200)


class ProofForm(forms.Form):
    period_start = forms.DateField(label="起始日期", widget=DATE)
    period_end = forms.DateField(label="截止日期", widget=DATE)
    purpose = forms.CharField(label="用途", max_length=100, required=False, help_text="如：升学、评优")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["period_start"].initial = date(today.year, 1, 1)
        self.fields["period_end"].initial = today


class IdentifyForm(forms.Form):
    """At the place, without the card link: the phone and the last 4 characters of the ID number."""

    phone = forms.CharField(label="手机号", max_length=30)
    id_tail = forms.CharField(label="身份证号后 4 位", max_length=4, min_length=4)


class StatsForm(forms.Form):
    year = forms.IntegerField(label="年度", min_value=2000, max_value=2100, required=False)
