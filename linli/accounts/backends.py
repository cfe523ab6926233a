from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from linli.accounts import lockout
from linli.core.context import client_ip


class AccountLocked(PermissionDenied):
    pass


class LockoutModelBackend(ModelBackend):
    """Username/password with Argon2, refusing to even check a password while locked out."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        ip = client_ip(request)
        if lockout.is_locked(username, ip):
            # PermissionDenied stops Django trying further backends and fires user_login_failed.
            raise AccountLocked
        user = super().authenticate(request, username=username, password=password, **kwargs)
        lockout.record(username, ip, succeeded=user is not None)
        return user
