from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from linli.core.access import may_enter
from linli.core.navigation import NAV_ITEMS

BADGE_MAX = 99  # a badge above this reads "99+"


def _inbox_count(user: Any) -> int:
    from linli.cases.selectors import inbox_counts

    counts = inbox_counts(user, upto=BADGE_MAX)
    return counts["todo"] + counts["unread"]


def _visits_count(user: Any) -> int:
    from linli.visits.selectors import todo_count

    return todo_count(user)


# Counts shown beside navigation items, by NavItem.badge.
BADGES: dict[str, Callable[[Any], int]] = {"inbox": _inbox_count, "visits": _visits_count}


def badge_label(count: int) -> str:
    """What a navigation badge shows: nothing for 0, the count up to 99, then "99+"."""
    return "" if count <= 0 else f"{BADGE_MAX}+" if count > BADGE_MAX else str(count)


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    visible = [
        item
        for item in NAV_ITEMS
        if (not item.capability or user.can(item.capability)) and may_enter(user, "GET", item.prefix)
    ]

    def matches(prefix: str) -> bool:
        return request.path == "/" if prefix == "/" else request.path.startswith(prefix)

    # The most specific prefix wins: /cases/inbox/ marks 我的待办, not 诉求工单.
    active = max((i.prefix for i in visible if matches(i.prefix)), key=len, default=None)
    items = []
    for item in visible:
        items.append(
            {
                "label": item.label,
                "url": reverse(item.url_name),
                "active": item.prefix == active,
                "icon": item.icon,
                "badge": badge_label(BADGES[item.badge](user)) if item.badge else "",
            }
        )
    return {"nav_items": items}
