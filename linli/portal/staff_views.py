"""Staff pages of the portal (/portal-admin/): the residents' correction requests that reached the grid
worker, and the relative links (代办) waiting for approval. Ordinary staff pages: scoped, 404 outside."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from linli.accounts.roles import Capability
from linli.core.errors import DomainError
from linli.core.http import acting_user
from linli.portal import services
from linli.portal.models import CorrectionRequest, CorrectionStatus, LinkStatus, ProxyLink


@login_required
def requests(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    show_done = request.GET.get("done") == "1"
    corrections = CorrectionRequest.objects.visible_to(user).select_related("resident", "reported_by", "grid")
    links = ProxyLink.objects.visible_to(user).select_related("agent", "principal", "grid")
    if not show_done:
        corrections = corrections.filter(status=CorrectionStatus.OPEN)
        links = links.filter(status__in=[LinkStatus.REQUESTED, LinkStatus.APPROVED])
    context = {
        "corrections": corrections[:200],
        "links": links[:200],
        "show_done": show_done,
        "may_resolve": user.can(Capability.KEEP_REGISTRY),
        "may_decide": user.can(Capability.DISPATCH),
    }
    return render(request, "portal/staff_requests.html", context)


@login_required
@require_POST
def correction_resolve(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = acting_user(request)
    correction = get_object_or_404(CorrectionRequest.objects.visible_to(user).select_related("grid"), pk=pk)
    try:
        services.correction_resolve(
            actor=user,
            correction=correction,
            done=request.POST.get("done") == "1",
            reply=request.POST.get("reply", ""),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "已处理。")
    return redirect("portal_admin:requests")


@login_required
@require_POST
def link_decide(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = acting_user(request)
    link = get_object_or_404(ProxyLink.objects.visible_to(user).select_related("grid"), pk=pk)
    try:
        services.link_decide(
            actor=user,
            link=link,
            approve=request.POST.get("approve") == "1",
            note=request.POST.get("note", ""),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "已处理。")
    return redirect("portal_admin:requests")


@login_required
@require_POST
def link_end(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = acting_user(request)
    link = get_object_or_404(ProxyLink.objects.visible_to(user).select_related("grid"), pk=pk)
    try:
        services.link_end(actor=user, link=link, note=request.POST.get("note", ""))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "代办关系已解除。")
    return redirect("portal_admin:requests")
