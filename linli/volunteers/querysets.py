"""Scoped querysets: every volunteer row reaches its area through the community that keeps it."""

from __future__ import annotations

from typing import Self

from linli.core.scoping import ScopedQuerySet


class CommunityScopedQuerySet(ScopedQuerySet):
    """Rows kept by a community directly (teams, proofs)."""

    scope_lookup = "community__path"


class VolunteerQuerySet(CommunityScopedQuerySet):
    def active(self) -> Self:
        return self.filter(status="active")


class VolunteerChildQuerySet(ScopedQuerySet):
    """Rows about one volunteer (history lines)."""

    scope_lookup = "volunteer__community__path"


class TeamChildQuerySet(ScopedQuerySet):
    """Rows under a team (memberships)."""

    scope_lookup = "team__community__path"


class ActivityQuerySet(CommunityScopedQuerySet):
    def published(self) -> Self:
        return self.filter(status="published")


class ServiceRecordQuerySet(CommunityScopedQuerySet):
    """Service records carry their community (the activity's), so scope needs no join."""

    def confirmed(self) -> Self:
        return self.filter(status="confirmed")
