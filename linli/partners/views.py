from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from linli.accounts.models import User
from linli.accounts.roles import Capability
from linli.areas.models import Area
from linli.core.errors import DomainError
from linli.core.forms import add_domain_error
from linli.core.http import HttpRequest, acting_user, paginate
from linli.core.validation import parse_id
from linli.partners import services
from linli.partners.export import export_year_report
from linli.partners.forms import (
    ActivityForm,
    AgreementForm,
    CommitmentForm,
    CommitmentRecordForm,
    EndForm,
    MemberCheckInForm,
    NeedForm,
    ResourceForm,
    UnitForm,
)
from linli.partners.models import Agreement, Commitment, JointActivity, Need, PartnerUnit, Resource, UnitKind
from linli.partners.selectors import year_report

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _keeper(user: User) -> None:
    if not user.can(Capability.KEEP_PARTNERS):
        raise PermissionDenied


def _unit(user: User, pk: int) -> PartnerUnit:
    return get_object_or_404(PartnerUnit.objects.visible_to(user).select_related("area"), pk=pk)


def _form_page(
    request: HttpRequest,
    form: forms.Form,
    title: str,
    action: Callable[[dict[str, Any]], Any],
    back: str,
    done: str,
) -> HttpResponseBase:
    if request.method == "POST" and form.is_valid():
        try:
            action(form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, done)
            return redirect(back)
    return render(
        request,
        "partners/form.html",
        {"form": form, "title": title, "back": back},
        status=400 if form.errors else 200,
    )


@login_required
def unit_list(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    qs = PartnerUnit.objects.visible_to(user).select_related("area")
    if request.GET.get("left") != "1":
        qs = qs.filter(active=True)
    kind = request.GET.get("kind", "")
    if kind in UnitKind.values:
        qs = qs.filter(kind=kind)
    if q := request.GET.get("q", "").strip()[:50]:
        qs = qs.filter(name__contains=q)
    page, querystring = paginate(request, qs, 50)
    Area.qualify(u.area for u in page.object_list)
    return render(
        request,
        "partners/unit_list.html",
        {
            "page": page,
            "querystring": querystring,
            "kinds": UnitKind.choices,
            "kind": kind,
            "q": q,
            "left": request.GET.get("left") == "1",
            "can_keep": user.can(Capability.KEEP_PARTNERS),
        },
    )


def _unit_data(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if k != "area"}


@login_required
def unit_new(request: HttpRequest) -> HttpResponseBase:
    user = acting_user(request)
    _keeper(user)
    form = UnitForm(request.POST or None, user=user)
    created: list[PartnerUnit] = []

    def act(d: dict[str, Any]) -> None:
        created.append(services.unit_create(actor=user, area=d["area"], data=_unit_data(d)))

    response = _form_page(request, form, "登记驻区单位", act, "/partners/", "单位已登记。")
    if created:
        return redirect("partners:detail", created[0].pk)
    return response


@login_required
def unit_edit(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = acting_user(request)
    _keeper(user)
    unit = _unit(user, pk)
    initial = {k: getattr(unit, k) for k in services.UNIT_FIELDS}
    form = UnitForm(request.POST or None, user=user, unit=unit, initial=initial)
    return _form_page(
        request,
        form,
        f"修改：{unit.name}",
        lambda d: services.unit_update(actor=user, unit=unit, data=d),
        f"/partners/{unit.pk}/",
        "已保存。",
    )


@login_required
def unit_end(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = acting_user(request)
    _keeper(user)
    unit = _unit(user, pk)
    form = EndForm(request.POST or None)
    return _form_page(
        request,
        form,
        f"登记撤离：{unit.name}",
        lambda d: services.unit_end(actor=user, unit=unit, left_on=d["left_on"], reason=d["reason"]),
        f"/partners/{unit.pk}/",
        "已登记撤离；在履行的协议同日终止。",
    )


@login_required
@require_POST
def unit_restore(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    _keeper(user)
    unit = _unit(user, pk)
    try:
        services.unit_restore(actor=user, unit=unit)
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("partners:detail", unit.pk)


@login_required
def unit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    unit = _unit(user, pk)
    from linli.registry.idnumber import mask_phone

    return render(
        request,
        "partners/unit_detail.html",
        {
            "unit": unit,
            "phone": unit.contact_phone
            if user.can(Capability.REVEAL_PERSONAL)
            else mask_phone(unit.contact_phone),
            "agreements": unit.agreements.prefetch_related("commitments"),
            "resources": unit.resources.all(),
            "reports": unit.member_checkins.all()[:20],
            "activities": unit.activities.all()[:20],
            "can_keep": user.can(Capability.KEEP_PARTNERS),
            "year": timezone.localdate().year,
            "today": timezone.localdate(),
        },
    )


@login_required
def agreement_new(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = acting_user(request)
    _keeper(user)
    unit = _unit(user, pk)
    form = AgreementForm(request.POST or None)
    return _form_page(
        request,
        form,
        f"签订共建协议：{unit.name}",
        lambda d: services.agreement_create(actor=user, unit=unit, **d),
        f"/partners/{unit.pk}/",
        "协议已登记，请添加承诺事项。",
    )


def _agreement(user: User, pk: int) -> Agreement:
    return get_object_or_404(Agreement.objects.visible_to(user).select_related("unit__area"), pk=pk)


@login_required
def agreement_end(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = acting_user(request)
    _keeper(user)
    agreement = _agreement(user, pk)

    class AgreementEndForm(forms.Form):
        ended_on = forms.DateField(
            label="终止日期", initial=timezone.localdate, widget=forms.DateInput(attrs={"type": "date"})
        )
        reason = forms.CharField(label="终止原因", max_length=200)

    return _form_page(
        request,
        AgreementEndForm(request.POST or None),
        f"终止协议：{agreement.title}",
        lambda d: services.agreement_end(actor=user, agreement=agreement, **d),
        f"/partners/{agreement.unit_id}/",
        "协议已终止。",
    )


@login_required
def commitment_new(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = acting_user(request)
    _keeper(user)
    agreement = _agreement(user, pk)
    return _form_page(
        request,
        CommitmentForm(request.POST or None),
        f"添加承诺：{agreement.title}",
        lambda d: services.commitment_add(actor=user, agreement=agreement, **d),
        f"/partners/{agreement.unit_id}/",
        "承诺已添加。",
    )


@login_required
def commitment_record(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = acting_user(request)
    _keeper(user)
    commitment = get_object_or_404(
        Commitment.objects.visible_to(user).select_related("agreement__unit__area"), pk=pk
    )
    form = CommitmentRecordForm(
        request.POST or None,
        initial={"status": commitment.status, "done_on": commitment.done_on, "outcome": commitment.outcome},
    )
    return _form_page(
        request,
        form,
        f"履行情况：{commitment.text}",
        lambda d: services.commitment_record(actor=user, commitment=commitment, **d),
        f"/partners/{commitment.agreement.unit_id}/",
        "已记录。",
    )


@login_required
def resource_new(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = acting_user(request)
    _keeper(user)
    unit = _unit(user, pk)
    return _form_page(
        request,
        ResourceForm(request.POST or None),
        f"登记资源：{unit.name}",
        lambda d: services.resource_add(actor=user, unit=unit, **d),
        f"/partners/{unit.pk}/",
        "资源已登记。",
    )


@login_required
@require_POST
def resource_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    _keeper(user)
    resource = get_object_or_404(Resource.objects.visible_to(user).select_related("unit__area"), pk=pk)
    services.resource_set_available(actor=user, resource=resource, available=not resource.available)
    return redirect("partners:detail", resource.unit_id)


@login_required
def member_checkin_new(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = acting_user(request)
    _keeper(user)
    unit = _unit(user, pk)
    return _form_page(
        request,
        MemberCheckInForm(request.POST or None),
        f"党员报到：{unit.name}",
        lambda d: services.member_checkin_add(actor=user, unit=unit, **d),
        f"/partners/{unit.pk}/",
        "报到已登记。",
    )


@login_required
def need_list(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    qs = Need.objects.visible_to(user).select_related("area", "unit")
    status = request.GET.get("status", "open")
    if status in Need.Status.values:
        qs = qs.filter(status=status)
    page, querystring = paginate(request, qs, 50)
    units = PartnerUnit.objects.visible_to(user).filter(active=True).order_by("name")
    return render(
        request,
        "partners/need_list.html",
        {
            "page": page,
            "querystring": querystring,
            "status": status,
            "statuses": Need.Status.choices,
            "units": units,
            "can_keep": user.can(Capability.KEEP_PARTNERS),
        },
    )


@login_required
def need_new(request: HttpRequest) -> HttpResponseBase:
    user = acting_user(request)
    _keeper(user)
    return _form_page(
        request,
        NeedForm(request.POST or None, user=user),
        "发布社区需求",
        lambda d: services.need_create(actor=user, **d),
        "/partners/needs/",
        "需求已发布。",
    )


@login_required
@require_POST
def need_act(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    _keeper(user)
    need = get_object_or_404(Need.objects.visible_to(user).select_related("area"), pk=pk)
    try:
        if request.POST.get("action") == "close":
            services.need_close(actor=user, need=need, note=request.POST.get("note", ""))
        else:
            unit_id = request.POST.get("unit", "")
            unit = PartnerUnit.objects.visible_to(user).filter(pk=parse_id(unit_id) or 0).first()
            if unit is None:
                raise DomainError("请选择认领的单位。")
            services.need_meet(actor=user, need=need, unit=unit, note=request.POST.get("note", ""))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "已更新。")
    return redirect("partners:needs")


@login_required
def activity_list(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    qs = (
        JointActivity.objects.visible_to(user)
        .select_related("area", "volunteer_activity")
        .prefetch_related("units")
    )
    page, querystring = paginate(request, qs, 50)
    return render(
        request,
        "partners/activity_list.html",
        {"page": page, "querystring": querystring, "can_keep": user.can(Capability.KEEP_PARTNERS)},
    )


@login_required
def activity_new(request: HttpRequest) -> HttpResponseBase:
    user = acting_user(request)
    _keeper(user)
    return _form_page(
        request,
        ActivityForm(request.POST or None, user=user),
        "登记共建活动",
        lambda d: services.activity_create(
            actor=user, **{**d, "units": list(d["units"]), "participants": d["participants"] or 0}
        ),
        "/partners/activities/",
        "活动已登记。",
    )


@login_required
@require_POST
def activity_delete(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    _keeper(user)
    activity = get_object_or_404(JointActivity.objects.visible_to(user).select_related("area"), pk=pk)
    services.activity_delete(actor=user, activity=activity)
    messages.success(request, "活动记录已删除。")
    return redirect("partners:activities")


@login_required
def unit_report(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    unit = _unit(user, pk)
    year = parse_id(request.GET.get("year"))
    if year is None or not 2000 <= year <= 2100:
        year = timezone.localdate().year
    if request.GET.get("format") == "xlsx":
        if not user.can(Capability.EXPORT):
            raise PermissionDenied
        response = HttpResponse(export_year_report(actor=user, unit=unit, year=year), content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="partner-{unit.pk}-{year}.xlsx"'
        return response
    return render(
        request,
        "partners/report.html",
        {"r": year_report(unit, year), "unit": unit, "year": year, "can_export": user.can(Capability.EXPORT)},
    )
