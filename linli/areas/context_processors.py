from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def print_header(request: HttpRequest) -> dict[str, Any]:
    """The heading of a printed page (base.html's .print-header, shown only in print): the street's name."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from linli.areas.selectors import print_heading

    return {"print_heading": print_heading(user)}
