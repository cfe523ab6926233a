from __future__ import annotations

from datetime import date, datetime, time

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from linli.core.http import HttpRequest, acting_user, paginate
from linli.core.models import AuditEntry
from linli.core.modules import home_cards
from linli.core.permissions import Capability


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The home page: the cards the modules declare (core.modules.HomeCard), in their sections."""
    user = acting_user(request)
    cards = [{"template": card.template, "data": card.context(user)} for card in home_cards()]
    return render(request, "core/home.html", {"cards": cards})


@login_required
def audit_list(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    if not user.can(Capability.VIEW_AUDIT):
        raise PermissionDenied
    entries = AuditEntry.objects.visible_to(user)
    # Entries about no area (e.g. a failed sign-in with an unknown name) belong to root-area admins.
    if any("/" not in p for p in user.scope_paths()):
        entries = AuditEntry.objects.filter(pk__in=entries.values("pk")) | AuditEntry.objects.filter(
            area_path=""
        )
    params = request.GET
    errors: list[str] = []
    if q := params.get("q", "").strip():
        text = (
            Q(actor_label__icontains=q)
            | Q(object_repr__icontains=q)
            | Q(object_id=q)
            | Q(area_path__startswith=q)
        )
        entries = entries.filter(text | Q(ip=q) if _is_ip(q) else text)
    if action := params.get("action", ""):
        entries = entries.filter(action=action)
    if actor := params.get("actor", "").strip():
        entries = entries.filter(actor_label__iexact=actor)
    tz = timezone.get_current_timezone()
    if since := params.get("since", ""):
        if (day := _date_or_none(since)) is None:
            errors.append("开始日期格式应为 YYYY-MM-DD。")
        else:
            entries = entries.filter(at__gte=datetime.combine(day, time.min, tzinfo=tz))
    if until := params.get("until", ""):
        if (day := _date_or_none(until)) is None:
            errors.append("结束日期格式应为 YYYY-MM-DD。")
        else:
            entries = entries.filter(at__lte=datetime.combine(day, time.max, tzinfo=tz))
    page, querystring = paginate(request, entries.order_by("-at", "-id"), 50)
    context = {
        "page": page,
        "actions": AuditEntry.Action.choices,
        "params": params,
        "errors": errors,
        "querystring": querystring,
    }
    template = "core/audit_list.html#results" if request.htmx else "core/audit_list.html"
    return render(request, template, context)


def _date_or_none(value: str) -> date | None:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return None


def _is_ip(value: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "403.html", status=403)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", status=404)
