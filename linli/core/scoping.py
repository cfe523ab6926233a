"""Data scope: a user sees the union of the subtrees of the areas they are bound to.

This is the single implementation. Every scoped model's QuerySet derives from
`ScopedQuerySet` and names the lookup that reaches an area's `path`; views,
API, exports, search and dashboards fetch only through `visible_to(user)`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, ClassVar, Self

from django.db import models
from django.db.models import Q

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from linli.accounts.models import User

PATH_SEPARATOR = "/"


def subtree_q(paths: Iterable[str], lookup: str = "path") -> Q:
    """Rows whose area path is one of `paths` or lies below one of them."""
    q = Q(pk__in=[])
    for path in minimal_paths(paths):
        q |= Q(**{lookup: path}) | Q(**{f"{lookup}__startswith": path + PATH_SEPARATOR})
    return q


def minimal_paths(paths: Iterable[str]) -> list[str]:
    """Drop paths already covered by an ancestor in the set, so the SQL stays short."""
    result: list[str] = []
    for path in sorted(set(paths)):
        if not any(path == kept or path.startswith(kept + PATH_SEPARATOR) for kept in result):
            result.append(path)
    return result


def path_in_scope(path: str, scope: Iterable[str]) -> bool:
    return any(path == s or path.startswith(s + PATH_SEPARATOR) for s in scope)


class ScopedQuerySet(models.QuerySet):
    #: lookup from this model to the path of the area it belongs to, e.g. "grid__path"
    scope_lookup: ClassVar[str] = "area__path"

    def visible_to(self, user: User | AnonymousUser | Any) -> Self:
        if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        paths: list[str] = user.scope_paths()  # type: ignore[union-attr]  # anonymous users returned above
        if not paths:
            return self.none()
        return self.filter(subtree_q(paths, self.scope_lookup))
