from __future__ import annotations

from typing import Any, Self

from linli.core.capabilities import Capability
from linli.core.scoping import ScopedQuerySet


class PartyScopedQuerySet(ScopedQuerySet):
    """Membership and political status are sensitive: without the `party` capability a user sees no
    party row at all, whatever their area scope (so lists, search, exports and the API are empty)."""

    def visible_to(self, user: Any) -> Self:
        if user is None or not getattr(user, "is_authenticated", False) or not user.can(Capability.PARTY):
            return self.none()
        return super().visible_to(user)


class OrganisationQuerySet(PartyScopedQuerySet):
    scope_lookup = "area__path"


class OrgChildQuerySet(PartyScopedQuerySet):
    """Members, meetings and applicants belong to one organisation; scope follows it."""

    scope_lookup = "organisation__area__path"


class MemberChildQuerySet(PartyScopedQuerySet):
    scope_lookup = "member__organisation__area__path"


class MeetingChildQuerySet(PartyScopedQuerySet):
    scope_lookup = "meeting__organisation__area__path"
