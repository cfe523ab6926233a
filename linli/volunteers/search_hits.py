"""Volunteers' answers to the global search (core.modules.global_search): by name, pinyin or initials, in
the user's scope. Numbers (ID, phone) are the volunteer list's to answer, as residents' are the register's:
it refuses endings longer than the mask shows, audits and rate-limits digit searches (docs/security.md).

A label names the person, their community and status only: never their kind, since "在职党员报到" would
tell a user without `party` who is a party member."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlencode

from django.urls import reverse

from linli.areas.models import Area
from linli.core.modules import SearchHit
from linli.core.permissions import Capability
from linli.registry.selectors import query_kind
from linli.volunteers.models import Volunteer
from linli.volunteers.selectors import search

if TYPE_CHECKING:
    from linli.accounts.models import User

LIMIT = 10
KIND = "志愿者"


def hits(user: User, query: str) -> list[SearchHit]:
    kind = query_kind(query)
    if kind == "" or not user.can(Capability.READ_SCOPE):
        return []
    listing = reverse("volunteers:list") + "?" + urlencode({"q": query})
    if kind in ("digits", "phone"):
        return [SearchHit(KIND, "按证件号或电话查找志愿者（在志愿者名单中查找，记入审计）", listing)]
    found = list(
        search(Volunteer.objects.visible_to(user), query)
        .select_related("community")
        .order_by("name_pinyin", "pk")[: LIMIT + 1]
    )
    Area.qualify(v.community for v in found)
    out = [
        SearchHit(
            KIND,
            f"{v.name}（{v.community.qualified_name} · {v.get_status_display()}）",
            reverse("volunteers:detail", args=[v.pk]),
        )
        for v in found[:LIMIT]
    ]
    if len(found) > LIMIT:
        out.append(SearchHit(KIND, "更多志愿者…", listing))
    return out
