from __future__ import annotations

from datetime import date, datetime, time

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from linli.core.audit import Action, audit_record
from linli.core.http import HttpRequest, acting_user, paginate
from linli.core.ledger import ledger
from linli.core.models import AuditEntry
from linli.core.modules import global_search, home_cards
from linli.core.permissions import Capability


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The home page: the cards the modules declare (core.modules.HomeCard), in their sections."""
    user = acting_user(request)
    cards = [{"template": card.template, "data": card.context(user)} for card in home_cards(user)]
    return render(request, "core/home.html", {"cards": cards})


@login_required
def search(request: HttpRequest) -> HttpResponse:
    """One box for every module's records (core.modules.global_search): each module answers for its own,
    scoped and masked for the user, and the page lists the answers by kind in the modules' order."""
    user = acting_user(request)
    query = request.GET.get("q", "").strip()[:50]
    groups: dict[str, list[object]] = {}
    for hit in global_search(user, query) if query else []:
        groups.setdefault(hit.kind, []).append(hit)
    return render(request, "core/search.html", {"query": query, "groups": groups})


@login_required
def audit_list(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    if not (user.can(Capability.VIEW_AUDIT) or user.can(Capability.OPERATE)):
        raise PermissionDenied
    entries = (
        AuditEntry.objects.visible_to(user) if user.can(Capability.VIEW_AUDIT) else AuditEntry.objects.none()
    )
    # Entries about no area (failed sign-ins under unknown names, console backups) belong to the
    # deployment's operators, not to every street admin of every street sharing the deployment.
    if user.can(Capability.OPERATE):
        entries = AuditEntry.objects.filter(Q(pk__in=entries.values("pk")) | Q(area_path=""))
    params = request.GET
    errors: list[str] = []
    if q := params.get("q", "").strip():
        text = (
            Q(actor_label__icontains=q)
            | Q(actor__full_name__icontains=q)  # the ledger shows names, so a name must find them
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
    may_reveal = user.can(Capability.REVEAL_PERSONAL)
    reveal = may_reveal and params.get("reveal") == "1"
    if reveal:
        audit_record(
            actor=user,
            action=Action.REVEAL,
            object_type="core.auditentry",
            object_repr=f"审计日志第 {page.number} 页（身份证号、手机号明文）",
            area_path=user.audit_area_path,
        )
    context = {
        "page": page,
        "rows": ledger(list(page.object_list), reveal=reveal),
        "may_reveal": may_reveal,
        "reveal": reveal,
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
