"""The register's answers to the global search (core.modules.global_search): residents by name, pinyin or
initials, or building-room. Numbers (ID, phone) are the resident list's to answer: it masks, audits and
rate-limits digit searches (docs/security.md), so here a number only points there."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlencode

from django.urls import reverse

from linli.areas.models import Area
from linli.core.modules import SearchHit
from linli.registry.forms import ordered
from linli.registry.models import Resident, ResidentStatus
from linli.registry.selectors import query_kind, search

if TYPE_CHECKING:
    from linli.accounts.models import User

LIMIT = 10


def hits(user: User, query: str) -> list[SearchHit]:
    kind = query_kind(query)
    if kind == "":
        return []
    listing = reverse("registry:residents") + "?" + urlencode({"q": query})
    if kind in ("digits", "phone"):
        return [SearchHit("居民", "按证件号或电话查找居民（在人口台账中查找，记入审计）", listing)]
    residents = search(Resident.objects.visible_to(user).filter(status=ResidentStatus.ACTIVE), query)
    # The resident list's order (its "更多居民…" continues this one), and like it a name's matches are
    # sorted rather than found by walking the pinyin index: 王 on a street of 260,000 read 159,000
    # entries that way on PostgreSQL (570 ms).
    residents = ordered(residents, "name", by_name=kind == "name")
    found = list(residents.select_related("grid")[: LIMIT + 1])
    Area.qualify(r.grid for r in found)
    out = [
        SearchHit("居民", f"{r.name}（{r.grid.qualified_name}）", reverse("registry:resident", args=[r.pk]))
        for r in found[:LIMIT]
    ]
    if len(found) > LIMIT:
        out.append(SearchHit("居民", "更多居民…", listing))
    return out
