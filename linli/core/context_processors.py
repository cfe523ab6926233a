from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from linli.core.access import may_enter
from linli.core.modules import nav_items
from linli.core.navigation import badge_label


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    visible = [
        item
        for item in nav_items()
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
                "badge": badge_label(item.badge(user)) if item.badge else "",
            }
        )
    return {"nav_items": items}
