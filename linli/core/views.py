from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render

from linli.core.audit import Action, audit_record, audit_search
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


# The audit log grows by millions of entries a year; its page counts no further than this (issue #24):
# counting reads as many index entries as the cap, and fifty pages are as far as anyone reads; older
# entries are reached by the date filters.
AUDIT_COUNT_CAP = 1_000


@login_required
def audit_list(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    if not (user.can(Capability.VIEW_AUDIT) or user.can(Capability.OPERATE)):
        raise PermissionDenied
    params = request.GET
    entries, errors = audit_search(user, params)
    page, querystring = paginate(request, entries, 50, count_cap=AUDIT_COUNT_CAP)
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


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "403.html", status=403)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", status=404)
