from __future__ import annotations

from typing import Any, Self

from linli.core.capabilities import Capability
from linli.core.scoping import ScopedQuerySet


class PartyScopedQuerySet(ScopedQuerySet):
    """Membership and political status are sensitive: without the `party` capability a user sees no
    party row at all, whatever their area scope (so lists, search, exports and the API are empty)."""

    #: lookup from this model to its organisation's id (a branch officer's scope, party.access)
    org_lookup = "organisation_id"

    def visible_to(self, user: Any) -> Self:
        if user is None or not getattr(user, "is_authenticated", False):
            return self.none()
        if user.can(Capability.PARTY):
            return super().visible_to(user)
        if user.can(Capability.PARTY_BRANCH):
            # A sitting branch officer: their own organisation(s) and those below, not their area scope.
            from linli.party.access import officer_org_ids

            return self.filter(**{f"{self.org_lookup}__in": sorted(officer_org_ids(user))})
        return self.none()


class OrganisationQuerySet(PartyScopedQuerySet):
    scope_lookup = "area__path"
    org_lookup = "pk"


class OrgChildQuerySet(PartyScopedQuerySet):
    """Members, meetings and applicants belong to one organisation; scope follows it."""

    scope_lookup = "organisation__area__path"


class MemberChildQuerySet(PartyScopedQuerySet):
    scope_lookup = "member__organisation__area__path"
    org_lookup = "member__organisation_id"


class MeetingChildQuerySet(PartyScopedQuerySet):
    scope_lookup = "meeting__organisation__area__path"
    org_lookup = "meeting__organisation_id"
