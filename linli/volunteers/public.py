"""Public pages, no account: self-registration through the community's QR code, the volunteer's card
(sign up, see their hours), sign-in at the place's QR code, and the verification of a proof.

A volunteer is identified by their card link (kept in the session) or, at the place, by their phone and
the last four characters of their ID number among those booked for the activity; failed tries lock
further tries (the residents' tracking bucket), so the pair cannot be guessed.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone

from linli.accounts import lockout
from linli.core.context import current_origin
from linli.core.errors import DomainError, NotFound
from linli.core.forms import add_domain_error
from linli.core.http import HttpRequest
from linli.core.masking import mask_name
from linli.core.modules import checkin_links
from linli.core.validation import parse_id
from linli.registry import normalise
from linli.volunteers import selectors, services
from linli.volunteers.forms import IdentifyForm, JoinForm
from linli.volunteers.models import (
    Activity,
    Proof,
    ServiceRecord,
    SignMethod,
    Volunteer,
    VolunteerStatus,
)

SESSION_KEY = "linli_volunteer"


def _session_volunteer(request: HttpRequest) -> Volunteer | None:
    value = request.session.get(SESSION_KEY)
    if not isinstance(value, list) or len(value) != 2:
        return None
    v = Volunteer.objects.select_related("community").filter(pk=value[0], card_version=value[1]).first()
    return v if v is not None and v.status == VolunteerStatus.ACTIVE else None


def _remember(request: HttpRequest, volunteer: Volunteer) -> None:
    request.session[SESSION_KEY] = [volunteer.pk, volunteer.card_version]


def join(request: HttpRequest, token: str) -> HttpResponseBase:
    try:
        community = services.community_for_join(token)
    except NotFound as exc:
        raise Http404 from exc
    form = JoinForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data.pop("agree")
        try:
            services.volunteer_self_register(community=community, ip=current_origin().ip, **data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            return render(request, "volunteers/public/joined.html", {"community": community})
    return render(request, "volunteers/public/join.html", {"form": form, "community": community})


def card(request: HttpRequest, token: str) -> HttpResponseBase:
    """签到卡: the volunteer's own page — bookings, open activities to sign up for, confirmed hours."""
    try:
        volunteer = services.volunteer_for_card(token)
    except NotFound as exc:
        raise Http404 from exc
    _remember(request, volunteer)
    if request.method == "POST":
        try:
            if (pk := parse_id(request.POST.get("activity"))) is not None and request.POST.get(
                "action"
            ) == "signup":
                activity = Activity.objects.filter(pk=pk, community=volunteer.community_id).first()
                if activity is None:
                    raise DomainError("活动不存在。")
                services.activity_sign_up(volunteer=volunteer, activity=activity)
                messages.success(request, f"已报名“{activity.title}”。")
            elif (pk := parse_id(request.POST.get("record"))) is not None and request.POST.get(
                "action"
            ) == "cancel":
                record = ServiceRecord.objects.filter(pk=pk, volunteer=volunteer).first()
                if record is None:
                    raise DomainError("报名不存在。")
                services.record_cancel(actor=None, record=record, by_volunteer=True)
                messages.success(request, "已取消报名。")
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect("volunteers_public:card", token)
    mine = selectors.own_bookings(volunteer)
    booked = {r.activity_id for r in mine}
    # Whom the booked activities serve, as much as the volunteer needs at the door (张*丰 · 3-2-501).
    targets = selectors.activity_targets(booked, masked=True)
    for r in mine:
        r.targets = targets.get(r.activity_id, [])  # type: ignore[attr-defined]
    open_activities = selectors.open_activities(volunteer, exclude=booked)
    minutes, count = services.confirmed_minutes(volunteer)
    return render(
        request,
        "volunteers/public/card.html",
        {
            "v": volunteer,
            "mine": mine,
            "open": open_activities,
            "hours": round(minutes / 60, 1),
            "count": count,
            "stars": services.star_level(minutes),
            "token": token,
        },
    )


def checkin(request: HttpRequest, token: str) -> HttpResponseBase:
    """The place's QR code: sign in when you arrive, sign out when you leave."""
    activity = Activity.objects.select_related("community").filter(checkin_token=token).first()
    if activity is None:
        raise Http404
    volunteer = _session_volunteer(request)
    form = IdentifyForm(request.POST or None) if volunteer is None else None
    ip = current_origin().ip
    if request.method == "POST" and form is not None:
        key = f"vcheckin:{activity.pk}"
        if lockout.is_locked(key, ip, bucket=lockout.Bucket.TRACK):
            form.add_error(None, "尝试次数过多，请 15 分钟后再试，或请活动负责人点名签到。")
        elif form.is_valid():
            phone = normalise.phone(form.cleaned_data["phone"]) or ""
            tail = normalise.text(form.cleaned_data["id_tail"]).upper()
            found = (
                Volunteer.objects.filter(
                    service_records__activity=activity,
                    phone=phone,
                    status=VolunteerStatus.ACTIVE,
                )
                .filter(id_number__endswith=tail)
                .first()
                if phone and len(tail) == 4
                else None
            )
            lockout.record(key, ip, succeeded=found is not None, bucket=lockout.Bucket.TRACK)
            if found is None:
                form.add_error(
                    None, "没有找到您在本活动的报名，请核对手机号和身份证号后 4 位，或请活动负责人点名签到。"
                )
            else:
                _remember(request, found)
                return redirect("volunteers_public:checkin", token)
    elif request.method == "POST" and volunteer is not None:
        record = ServiceRecord.objects.filter(activity=activity, volunteer=volunteer).first()
        action = request.POST.get("action", "")
        try:
            if action == "signup":
                record = services.activity_sign_up(volunteer=volunteer, activity=activity)
                messages.success(request, "已报名。")
            elif record is None:
                raise DomainError("您没有报名本活动。")
            elif action == "in":
                services.record_sign_in(actor=None, record=record, method=SignMethod.QR, token=token)
                messages.success(request, "签到成功。")
            elif action == "out":
                services.record_sign_out(actor=None, record=record, method=SignMethod.QR, token=token)
                messages.success(request, "签退成功，感谢您的服务！")
            else:
                raise DomainError("操作不正确。")
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect("volunteers_public:checkin", token)
    record = (
        ServiceRecord.objects.filter(activity=activity, volunteer=volunteer).first()
        if volunteer is not None
        else None
    )
    return render(
        request,
        "volunteers/public/checkin.html",
        {
            "a": activity,
            "v": volunteer,
            "record": record,
            "form": form,
            "now": timezone.now(),
            "elsewhere": checkin_links(token) if volunteer is None else [],
        },
        status=400 if form is not None and form.errors else 200,
    )


def verify(request: HttpRequest, token: str) -> HttpResponse:
    """A proof's public check: the number is genuine, for whom (masked), how many hours, by whom, when."""
    proof = Proof.objects.select_related("volunteer", "community").filter(verify_token=token).first()
    if proof is None:
        raise Http404
    context: dict[str, Any] = {
        "p": proof,
        "name": mask_name(proof.volunteer.name),
        "hours": round(proof.minutes / 60, 1),
    }
    return render(request, "volunteers/public/verify.html", context)
