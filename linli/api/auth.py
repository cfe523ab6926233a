from typing import Any

from django.http import HttpRequest
from ninja.security import APIKeyCookie, HttpBearer

from linli.accounts.services import token_authenticate
from linli.core.access import may_enter
from linli.core.errors import Forbidden


class BearerToken(HttpBearer):
    """`Authorization: Bearer linli_…` — tokens from `linli token create` or the profile page."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = token_authenticate(token)
        if user is not None:
            request.user = user
            _require_section(request, user)
        return user


class Session(APIKeyCookie):
    """The browser's session cookie, with Django's CSRF check on unsafe methods."""

    param_name = "sessionid"

    def __init__(self) -> None:
        super().__init__(csrf=True)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_active:
            _require_section(request, user)
            return user
        return None


def _require_section(request: HttpRequest, user: Any) -> None:
    """A department handler's token opens their cases, not the registry (see core/access.py)."""
    if not may_enter(user, request.method or "GET", request.path):
        raise Forbidden()
