"""Visits' answers to the global search: the people the care plans cover (走访对象), by name, pinyin or
initials, with their grid and next visit date — the resident's page holds their visits and pairing.

Only what the target list shows a user: no reason (a sensitive tag's name, or a plan of one's own), no
visitor and no pairing kind (a "党员" pairing would tell who is a party member). Numbers are the
register's to answer (masked, audited): a number finds nothing here."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone

from linli.areas.models import Area
from linli.core.modules import SearchHit
from linli.registry.models import Resident
from linli.registry.selectors import query_kind, search
from linli.visits.models import VisitTarget

if TYPE_CHECKING:
    from linli.accounts.models import User

LIMIT = 10
KIND = "走访对象"


def hits(user: User, query: str) -> list[SearchHit]:
    if query_kind(query) not in ("name", "letters", "place"):
        return []
    people = search(Resident.objects.all(), query).values("pk")
    found = list(
        VisitTarget.objects.visible_to(user)
        .filter(resident__in=people)
        .select_related("resident", "grid")
        .order_by("due_on", "pk")[: LIMIT + 1]
    )
    Area.qualify(t.grid for t in found)
    today = timezone.localdate()
    out = [
        SearchHit(
            KIND,
            f"{t.resident.name}（{t.grid.qualified_name} · 应访 {t.due_on:%Y-%m-%d}"
            + ("，已超期" if t.overdue_on(today) else "")
            + "）",
            reverse("registry:resident", args=[t.resident_id]),
        )
        for t in found[:LIMIT]
    ]
    if len(found) > LIMIT:
        more = reverse("registry:residents") + "?" + urlencode({"q": query})
        out.append(SearchHit(KIND, "更多（在人口台账中查找）…", more))
    return out
