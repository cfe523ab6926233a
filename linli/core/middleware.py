from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict

from linli.core.context import Origin, client_ip, origin
from linli.core.validation import xml_safe

# Everything Linli serves is vendored and same-origin; inline script and style are never needed.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        via = "api" if request.path.startswith(("/api/", "/open311/")) else "web"
        with origin(Origin(via=via, ip=client_ip(request))):
            return self.get_response(request)


def xml_safe_query(query: QueryDict) -> QueryDict:
    """A copy of `query` without the characters XML cannot carry (NUL, U+FFFF …) in its keys and values."""
    cleaned = QueryDict(mutable=True, encoding=query.encoding)
    for key, values in query.lists():
        cleaned.setlist(xml_safe(key), [xml_safe(v) for v in values])
    cleaned._mutable = False
    return cleaned


class CleanQueryMiddleware:
    """Query strings without NUL and the like, for every page and endpoint.

    A `%00` in any filter reached PostgreSQL, which refuses NUL in text: a 500 instead of an empty result.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # Such characters arrive percent-encoded (or as raw bytes, decoded to U+FFFD): most queries skip this.
        if "%" in request.META.get("QUERY_STRING", ""):
            request.GET = xml_safe_query(request.GET)  # type: ignore[assignment]  # immutable, as Django makes it
        return self.get_response(request)


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Permissions-Policy", "camera=(self), geolocation=(self), microphone=()")
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if request.user.is_authenticated if hasattr(request, "user") else False:
            # Pages with personal data must not linger in shared browser caches.
            response.headers.setdefault("Cache-Control", "no-store")
        return response


API_ERROR_CODES = {
    400: "invalid",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
}


class ApiJsonErrorsMiddleware:
    """Errors under /api/ in the API's JSON shape, also those no endpoint produced.

    A path no route matches (the site's 404 page), a method a route does not take (Django's empty 405)
    or a 500 outside the API's own handlers would otherwise reach an API client as HTML.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            response.status_code >= 400
            and request.path.startswith("/api/")
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            status = response.status_code
            detail = "Not found, or outside your data scope." if status == 404 else response.reason_phrase
            replacement = JsonResponse(
                {"detail": detail, "field": None, "code": API_ERROR_CODES.get(status, "error")}, status=status
            )
            if response.has_header("Allow"):
                replacement["Allow"] = response["Allow"]
            return replacement
        return response
