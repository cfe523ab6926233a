"""Errors that services raise for the caller to show: the message is for a person."""

from __future__ import annotations


class DomainError(Exception):
    """A request that cannot be carried out as asked; nothing was written.

    `message` is in Chinese for the UI; `field` names the input at fault, if any.
    """

    def __init__(self, message: str, *, field: str | None = None, code: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code


class NotFound(DomainError):
    """Missing, or outside the actor's data scope: the two are indistinguishable on purpose."""

    def __init__(self, message: str = "对象不存在或不在您的管辖范围内。") -> None:
        super().__init__(message, code="not_found")


class Forbidden(DomainError):
    def __init__(self, message: str = "您没有执行此操作的权限。") -> None:
        super().__init__(message, code="forbidden")


class RateLimited(DomainError):
    """Too many of something in a window (a user's searches by identity or phone digits, say)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code="rate_limited")
