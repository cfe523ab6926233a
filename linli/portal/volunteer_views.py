"""The portal's volunteering and time-bank pages (/portal/volunteer/…, /portal/time-bank/…): everything
is looked up within the signed-in resident's own registrations, bookings, proofs, accounts and requests
(`linli.portal.volunteering`), never by an id alone."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from linli.core import pdf
from linli.core.errors import DomainError, NotFound
from linli.core.forms import add_domain_error
from linli.portal import services, volunteering
from linli.portal.auth import resident_required
from linli.portal.forms import HelpForm, VolunteerJoinForm
from linli.portal.models import PortalSession
from linli.portal.views import _context
from linli.timebank.models import HelpStatus
from linli.timebank.services import hours_label
from linli.volunteers import proof_pdf
from linli.volunteers.models import RecordStatus, VolunteerStatus

T = TypeVar("T")


def _own_or_404(call: Callable[..., T], *args: Any) -> T:
    try:
        return call(*args)
    except NotFound as exc:
        raise Http404 from exc


# --- volunteering ---------------------------------------------------------------------------------


@resident_required
def volunteer(request: HttpRequest, session: PortalSession) -> HttpResponse:
    """My volunteering: status, hours and stars, bookings, open activities, service done, proofs."""
    who = services.acting(session)
    resident = who.agent
    registrations = volunteering.my_volunteers(resident)
    active = volunteering.active_volunteer(resident)
    mine = volunteering.bookings(active) if active else []
    context = _context(
        request,
        session,
        registrations=registrations,
        pending=[v for v in registrations if v.status == VolunteerStatus.APPLIED],
        active=active,
        bookings=mine,
        open_activities=volunteering.open_activities(active, {r.activity_id for r in mine}) if active else [],
        hours=volunteering.hours([v for v in registrations if v.status != VolunteerStatus.APPLIED]),
        records=volunteering.past_records(registrations),
        proofs=volunteering.proofs(resident),
        booked_status=RecordStatus.BOOKED,
    )
    return render(request, "portal/volunteer.html", context)


@resident_required
def volunteer_join(request: HttpRequest, session: PortalSession) -> HttpResponse:
    who = services.acting(session)
    if volunteering.my_volunteers(who.agent):
        return redirect("portal:volunteer")
    form = VolunteerJoinForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data.pop("agree")
        try:
            volunteering.register(session=session, **data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "已提交志愿者登记，社区审核通过后即可报名活动。")
            return redirect("portal:volunteer")
    context = _context(request, session, form=form, resident=who.agent)
    return render(request, "portal/volunteer_join.html", context, status=400 if form.errors else 200)


@require_POST
@resident_required
def activity_signup(request: HttpRequest, session: PortalSession, pk: int) -> HttpResponseBase:
    try:
        record = volunteering.sign_up(session=session, activity_id=pk)
    except NotFound as exc:
        raise Http404 from exc
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已报名“{record.activity.title}”。")
    return redirect("portal:volunteer")


@require_POST
@resident_required
def booking_cancel(request: HttpRequest, session: PortalSession, pk: int) -> HttpResponseBase:
    try:
        volunteering.cancel(session=session, record_id=pk)
    except NotFound as exc:
        raise Http404 from exc
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "已取消报名。")
    return redirect("portal:volunteer")


@resident_required
def checkin(request: HttpRequest, session: PortalSession, token: str) -> HttpResponseBase:
    """The place's QR code, opened in the portal: sign in on arrival, sign out on leaving."""
    activity = _own_or_404(volunteering.checkin_activity, token)
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            volunteering.checkin(session=session, token=token, action=action)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            done = {"signup": "已报名。", "in": "签到成功。", "out": "签退成功，感谢您的服务！"}
            messages.success(request, done.get(action, "已完成。"))
        return redirect("portal:volunteer_checkin", token=token)
    who = services.acting(session)
    record = None if who.for_relative else volunteering.checkin_record(who.agent, activity)
    volunteer_here = volunteering.active_volunteer(who.agent)
    context = _context(
        request,
        session,
        a=activity,
        record=record,
        may_sign_up=volunteer_here is not None and volunteer_here.community_id == activity.community_id,
    )
    return render(request, "portal/volunteer_checkin.html", context)


@resident_required
def proof_download(request: HttpRequest, session: PortalSession, pk: int) -> HttpResponseBase:
    proof = _own_or_404(volunteering.own_proof, session.resident, pk)
    volunteering.proof_downloaded(session=session, proof=proof)
    verify = request.build_absolute_uri(reverse("volunteers_public:verify", args=[proof.verify_token]))
    # A download (attachment): on a phone the file lands where the resident can keep and send it.
    return pdf.response(proof_pdf.document(proof, verify_url=verify), f"{proof.number}.pdf", inline=False)


# --- time bank ----------------------------------------------------------------------------------------


@resident_required
def time_bank(request: HttpRequest, session: PortalSession) -> HttpResponse:
    principal = services.acting(session).principal
    accounts = volunteering.accounts(principal)
    context = _context(
        request,
        session,
        accounts=[(a, hours_label(a.balance_minutes)) for a in accounts],
        movements=[(m, hours_label(m.amount)) for m in volunteering.movements(accounts)],
        requests=volunteering.help_requests(principal)[:30],
    )
    return render(request, "portal/time_bank.html", context)


@resident_required
def help_new(request: HttpRequest, session: PortalSession) -> HttpResponse:
    who = services.acting(session)
    form = HelpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            help_request = volunteering.ask_help(session=session, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "已提交互助需求，社区会尽快为您匹配志愿者。")
            return redirect("portal:help", pk=help_request.pk)
    context = _context(request, session, form=form, principal=who.principal)
    return render(request, "portal/help_new.html", context, status=400 if form.errors else 200)


@require_POST
@resident_required
def help_withdraw(request: HttpRequest, session: PortalSession, pk: int) -> HttpResponseBase:
    try:
        volunteering.withdraw_help(session=session, request_id=pk, reason=request.POST.get("reason", ""))
    except NotFound as exc:
        raise Http404 from exc
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "已撤回互助需求。")
    return redirect("portal:help", pk=pk)


@resident_required
def help_detail(request: HttpRequest, session: PortalSession, pk: int) -> HttpResponse:
    principal = services.acting(session).principal
    help_request = _own_or_404(volunteering.own_help_request, principal, pk)
    events = [
        (e, HelpStatus(e.to_status).label if e.to_status in HelpStatus.values else e.to_status)
        for e in help_request.events.order_by("at", "pk")
    ]
    context = _context(
        request,
        session,
        r=help_request,
        events=events,
        estimate=hours_label(help_request.estimated_minutes),
        can_withdraw=help_request.status in (HelpStatus.OPEN, HelpStatus.MATCHED),
    )
    return render(request, "portal/help_detail.html", context)
