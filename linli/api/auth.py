from typing import Any

from django.http import HttpRequest
from ninja.security import APIKeyCookie, HttpBearer

from linli.accounts.services import token_authenticate


class BearerToken(HttpBearer):
    """`Authorization: Bearer linli_…` — tokens from `linli token create` or the profile page."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = token_authenticate(token)
        if user is not None:
            request.user = user
        return user


class Session(APIKeyCookie):
    """The browser's session cookie, with Django's CSRF check on unsafe methods."""

    param_name = "sessionid"

    def __init__(self) -> None:
        super().__init__(csrf=True)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_active:
            return user
        return None
