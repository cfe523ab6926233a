"""Where the current action comes from (address, channel), for the audit log.

Set once per request by middleware, or by the CLI; services read it so that
no service signature has to carry an HTTP request.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest


@dataclass(frozen=True)
class Origin:
    via: str  # "web", "api", "cli", "system"
    ip: str | None = None
    # Who acts when there is no signed-in user (the operator at the console, a scheduler).
    operator: str = "system"


_SYSTEM = Origin(via="system")
_origin: contextvars.ContextVar[Origin] = contextvars.ContextVar("linli_origin")


def current_origin() -> Origin:
    return _origin.get(_SYSTEM)


@contextmanager
def origin(value: Origin) -> Iterator[Origin]:
    token = _origin.set(value)
    try:
        yield value
    finally:
        _origin.reset(token)


def client_ip(request: HttpRequest | None) -> str | None:
    """The client's address; X-Forwarded-For only counts for the configured proxy hops."""
    if request is None:
        return None
    hops = settings.LINLI_TRUSTED_PROXIES
    if hops > 0:
        forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return request.META.get("REMOTE_ADDR") or None
