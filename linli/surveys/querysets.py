from __future__ import annotations

from typing import Any, Self

from django.db.models import Q

from linli.core.scoping import PATH_SEPARATOR, ScopedQuerySet, scope_q


class SurveyQuerySet(ScopedQuerySet):
    """A survey belongs to the area it targets (a street, community or grid). Staff of that subtree see it,
    and so do staff of the areas inside it: a grid worker enters a community survey's answers door to door."""

    scope_lookup = "area__path"

    def visible_to(self, user: Any) -> Self:
        if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        from linli.core.capabilities import Capability

        if not user.can(Capability.READ_SCOPE):
            return self.none()
        paths: list[str] = user.scope_paths()
        if not paths:
            return self.none()
        above = {
            PATH_SEPARATOR.join(p.split(PATH_SEPARATOR)[:i])
            for p in paths
            for i in range(1, p.count("/") + 1)
        }
        return self.filter(scope_q(paths, self.scope_lookup) | Q(area__path__in=sorted(above)))

    def managed_by(self, user: Any) -> Self:
        """The surveys whose whole area lies in the user's scope: the ones they may build, run and export."""
        return super().visible_to(user)


class InvitationQuerySet(ScopedQuerySet):
    """Sampled households or residents, each in its grid: a grid worker sees the ones of their grid."""

    scope_lookup = "grid__path"


class ResponseQuerySet(ScopedQuerySet):
    scope_lookup = "survey__area__path"
