"""Cases' answers to the global search: by number (its beginning) or words of the title, newest first."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlencode

from django.db.models import Q
from django.urls import reverse

from linli.cases.models import Case
from linli.core.modules import SearchHit

if TYPE_CHECKING:
    from linli.accounts.models import User

LIMIT = 10


def hits(user: User, query: str) -> list[SearchHit]:
    term = query.strip()
    if not term:
        return []
    cases = Case.objects.visible_to(user)
    match = Q(number__startswith=term) if term.isdigit() or "-" in term else Q(title__contains=term)
    found = list(
        cases.filter(match)
        .order_by("-received_at", "-pk")
        .values("pk", "number", "title", "status")[: LIMIT + 1]
    )
    labels = dict(Case._meta.get_field("status").choices or [])
    out = [
        SearchHit(
            "诉求工单",
            f"{c['number']} {c['title']}（{labels.get(c['status'], c['status'])}）",
            reverse("cases:detail", args=[c["pk"]]),
        )
        for c in found[:LIMIT]
    ]
    if len(found) > LIMIT:
        out.append(SearchHit("诉求工单", "更多工单…", reverse("cases:list") + "?" + urlencode({"q": term})))
    return out
