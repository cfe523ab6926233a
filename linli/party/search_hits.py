"""Party members' answers to the global search, for users with `party` only.

Membership is sensitive (docs/party.md): a user without `party` gets nothing from here, decided before any
query runs, so neither the answers, their number nor the time they take differ between a member and anyone
else. With `party`: members of the organisations in scope by name (a substring) or, for members on the
register, by pinyin or initials; numbers find no one here (members carry none of their own)."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlencode

from django.db.models import Q
from django.urls import reverse

from linli.core.modules import SearchHit
from linli.core.permissions import Capability
from linli.party.models import PartyMember
from linli.registry import normalise
from linli.registry.models import Resident
from linli.registry.selectors import pinyin_terms, query_kind

if TYPE_CHECKING:
    from linli.accounts.models import User

LIMIT = 10
KIND = "党员"


def hits(user: User, query: str) -> list[SearchHit]:
    if not user.can(Capability.PARTY):
        return []
    kind = query_kind(query)
    q = normalise.text(query).replace(" ", "")
    if kind == "letters":
        full, initials = pinyin_terms(q)
        match = Q(resident__in=Resident.objects.filter(full | initials).values("pk"))
    elif kind == "name":
        match = Q(name__contains=q)
    else:
        return []
    found = list(
        PartyMember.objects.visible_to(user)
        .filter(match)
        .select_related("organisation")
        .order_by("name", "pk")[: LIMIT + 1]
    )
    out = [
        SearchHit(
            KIND,
            f"{m.name}（{m.organisation.name} · {m.get_status_display()}）",
            reverse("party:member", args=[m.pk]),
        )
        for m in found[:LIMIT]
    ]
    if len(found) > LIMIT:
        out.append(SearchHit(KIND, "更多党员…", reverse("party:members") + "?" + urlencode({"q": query})))
    return out
