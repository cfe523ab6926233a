from __future__ import annotations

from typing import Any, NoReturn, Self

from linli.core.scoping import ScopedQuerySet


class AccountQuerySet(ScopedQuerySet):
    """Personal accounts carry the grid of their holder, community accounts the community."""

    scope_lookup = "area__path"

    def open(self) -> Self:
        return self.filter(closed_at__isnull=True)


class TransferQuerySet(ScopedQuerySet):
    """A transfer belongs to the community whose ledger it is in; it is never changed once written."""

    scope_lookup = "area__path"

    def update(self, **kwargs: Any) -> NoReturn:
        raise TypeError("Time-bank transfers are never changed; reverse them instead.")

    def delete(self) -> NoReturn:
        raise TypeError("Time-bank transfers are never deleted; reverse them instead.")


class MovementQuerySet(ScopedQuerySet):
    scope_lookup = "account__area__path"

    def update(self, **kwargs: Any) -> NoReturn:
        raise TypeError("Time-bank movements are never changed; reverse the transfer instead.")

    def delete(self) -> NoReturn:
        raise TypeError("Time-bank movements are never deleted; reverse the transfer instead.")


class HelpRequestQuerySet(ScopedQuerySet):
    scope_lookup = "grid__path"


class HelpRequestChildQuerySet(ScopedQuerySet):
    scope_lookup = "request__grid__path"
