from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.utils import timezone

from linli.accounts.models import User
from linli.areas.forms import AreaChoiceField
from linli.areas.models import Area
from linli.core.scoping import subtree_q
from linli.partners.models import Commitment, PartnerUnit, ResourceKind, UnitKind
from linli.volunteers.models import Activity as VolunteerActivity

DATE = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


def _areas(user: User) -> Any:
    return (
        Area.objects.filter(subtree_q(user.scope_paths()))
        .filter(kind__in=["street", "community"])
        .order_by("path")
    )


class UnitForm(forms.Form):
    area = AreaChoiceField(label="所在社区", queryset=Area.objects.none())
    name = forms.CharField(label="单位名称", max_length=100)
    kind = forms.ChoiceField(label="类型", choices=UnitKind.choices)
    contact_name = forms.CharField(label="联系人", max_length=50, required=False)
    contact_phone = forms.CharField(label="联系电话", max_length=20, required=False)
    address = forms.CharField(label="地址", max_length=200, required=False)
    party_organisation = forms.CharField(label="党组织", max_length=100, required=False)
    party_members = forms.IntegerField(label="党员人数", min_value=0, required=False)
    staff_count = forms.IntegerField(label="职工人数", min_value=0, required=False)
    notes = forms.CharField(label="备注", required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, user: User, unit: PartnerUnit | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = _areas(user)  # type: ignore[attr-defined]
        if unit is not None:
            del self.fields["area"]


class EndForm(forms.Form):
    left_on = forms.DateField(label="撤离日期", initial=timezone.localdate, widget=DATE)
    reason = forms.CharField(label="原因", max_length=200)


class AgreementForm(forms.Form):
    title = forms.CharField(label="协议名称", max_length=100)
    signed_on = forms.DateField(label="签订日期", initial=timezone.localdate, widget=DATE)
    starts_on = forms.DateField(label="开始日期", initial=timezone.localdate, widget=DATE)
    ends_on = forms.DateField(label="结束日期", widget=DATE)
    content = forms.CharField(label="主要内容", required=False, widget=forms.Textarea(attrs={"rows": 3}))


class CommitmentForm(forms.Form):
    text = forms.CharField(label="承诺事项", max_length=200)
    due_on = forms.DateField(label="完成时限", widget=DATE)


class CommitmentRecordForm(forms.Form):
    status = forms.ChoiceField(label="履行情况", choices=Commitment.Status.choices)
    done_on = forms.DateField(label="完成日期", required=False, widget=DATE)
    outcome = forms.CharField(label="说明", max_length=300, required=False)


class ResourceForm(forms.Form):
    kind = forms.ChoiceField(label="类别", choices=ResourceKind.choices)
    description = forms.CharField(label="内容", max_length=200)
    amount = forms.DecimalField(label="金额（元，资金类）", required=False, max_digits=12, decimal_places=2)


class MemberCheckInForm(forms.Form):
    reported_on = forms.DateField(label="报到日期", initial=timezone.localdate, widget=DATE)
    count = forms.IntegerField(label="人数", min_value=1)
    names = forms.CharField(
        label="名单（每行一人，可不填）", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    note = forms.CharField(label="备注", max_length=200, required=False)


class NeedForm(forms.Form):
    area = AreaChoiceField(label="社区", queryset=Area.objects.none())
    kind = forms.ChoiceField(label="类别", choices=ResourceKind.choices)
    title = forms.CharField(label="需求", max_length=100)
    description = forms.CharField(label="说明", required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = _areas(user)  # type: ignore[attr-defined]


class ActivityForm(forms.Form):
    area = AreaChoiceField(label="社区", queryset=Area.objects.none())
    title = forms.CharField(label="活动名称", max_length=100)
    held_on = forms.DateField(label="日期", initial=timezone.localdate, widget=DATE)
    place = forms.CharField(label="地点", max_length=100, required=False)
    units = forms.ModelMultipleChoiceField(
        label="共建单位", queryset=PartnerUnit.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    participants = forms.IntegerField(label="参与人数", min_value=0, required=False)
    description = forms.CharField(label="内容", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    volunteer_activity = forms.ModelChoiceField(
        label="关联志愿活动",
        queryset=VolunteerActivity.objects.none(),
        required=False,
        help_text="作为志愿服务活动组织的，选它：报名和服务时长在志愿服务中记录，这里不重复计算。",
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = _areas(user)  # type: ignore[attr-defined]
        self.fields["units"].queryset = PartnerUnit.objects.visible_to(user).filter(active=True)  # type: ignore[attr-defined]
        # The last year's activities of the user's communities, newest first.
        since = timezone.now() - timedelta(days=366)
        self.fields["volunteer_activity"].queryset = (  # type: ignore[attr-defined]
            VolunteerActivity.objects.visible_to(user).filter(starts_at__gte=since).order_by("-starts_at")
        )
