"""Which sections of Linli a user may enter at all, before any object is looked at.

Data scope (core/scoping.py) decides *which rows*; this decides *which parts of the site*. A
department handler (职能部门处置人) works the cases dispatched to their department and nothing
else (PIPL art. 6: only what the task needs): not the registry, not imports, not visits, not the
area tree, and they file no cases (a case they filed would be one they may not see). Those users
lack `Capability.READ_SCOPE`; the rules below turn them away with 403 in the pages (middleware),
the API (its authentication) and the navigation alike. What they may see inside the case pages is
narrowed by `visible_to` (cases of their departments only).

The full role × endpoint table is docs/security.md; tests/test_access_matrix.py probes every
URL and API operation as every role and fails on any endpoint without a decision.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse


def may_enter(user: Any, method: str, path: str) -> bool:
    """False if `path` lies in a section the user's capabilities keep them out of."""
    from linli.core.modules import access_sections

    return all(user.can(s.capability) for s in access_sections() if s.covers(method, path))


class SectionAccessMiddleware:
    """Pages: a signed-in user outside a section gets the 403 page (the API checks in its auth)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith("/api/")
            and not may_enter(user, request.method or "GET", request.path)
        ):
            from django.core.exceptions import PermissionDenied

            from linli.core.views import forbidden

            return forbidden(request, PermissionDenied())  # type: ignore[arg-type]  # any request renders
        return self.get_response(request)
