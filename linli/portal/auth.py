"""The resident's session: a cookie of its own, apart from the staff session.

`linli_portal` holds a random key (its hash is the PortalSession row) and is limited to the path
/portal/, so the browser never even sends it to staff pages or the API; and staff pages read only
Django's session (request.user), which the portal never sets. A staff member signed in as staff is
nobody in the portal: the portal reads only its own cookie.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.urls import reverse

from linli.portal import services
from linli.portal.models import PortalSession

COOKIE = "linli_portal"
COOKIE_PATH = "/portal/"


def current_session(request: HttpRequest) -> PortalSession | None:
    if not hasattr(request, "_portal_session"):
        request._portal_session = services.session_for(request.COOKIES.get(COOKIE))  # type: ignore[attr-defined]
    return request._portal_session  # type: ignore[attr-defined]


def set_cookie(response: HttpResponse, key: str) -> None:
    response.set_cookie(
        COOKIE,
        key,
        max_age=settings.LINLI_PORTAL_SESSION_HOURS * 3600,
        path=COOKIE_PATH,
        httponly=True,
        samesite="Lax",
        secure=settings.LINLI_HTTPS,
    )


def clear_cookie(response: HttpResponse) -> None:
    response.delete_cookie(COOKIE, path=COOKIE_PATH, samesite="Lax")


def resident_required(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Only a signed-in resident; others go to the portal's sign-in. Personal pages are never cached."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        session = current_session(request)
        if session is None:
            url = reverse("portal:signin") + "?" + urlencode({"next": request.get_full_path()})
            return HttpResponseRedirect(url)
        response = view(request, session, *args, **kwargs)
        response.headers["Cache-Control"] = "no-store"
        return response

    return wrapped
