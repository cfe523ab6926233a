from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from linli.core.navigation import NAV_ITEMS


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    items = []
    for item in NAV_ITEMS:
        if item.capability and not user.can(item.capability):
            continue
        active = request.path == "/" if item.prefix == "/" else request.path.startswith(item.prefix)
        items.append(
            {"label": item.label, "url": reverse(item.url_name), "active": active, "icon": item.icon}
        )
    return {"nav_items": items}
