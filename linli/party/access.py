"""Who may do what in party work beyond the roles: a sitting branch officer (书记、副书记、委员).

A community leader or street admin holds `party`/`party_manage` by role and works in their area scope. A
branch's officers usually hold another role (grid worker, community worker, or none of the party ones):
their party access comes from their **term** (`OrgPosition` with an open end, begun, on a member record that
carries their login, on an organisation not dissolved). It gives `party_branch` (the menu, the pages, the
API) and reaches only the organisations they hold office in and the ones below them (a branch's party
groups): that branch's members, meetings, compliance calendar, points, pipeline and cards — never the rest
of the community, whatever their area scope. When the term ends, so does the access (next request).

Within their organisations every officer may record meetings, attendance, minutes, cards, manual points
(approved by another officer or a manager) and pipeline steps; only the sitting secretary approves minutes
(a community party manager may too, for a branch without a secretary at hand). Keeping the roll itself
(members, transfers, organisations, terms, responsibility areas) stays with `party_manage`.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.utils import timezone

from linli.core.capabilities import Capability
from linli.core.scoping import path_in_scope

OFFICER_ROLES = ("secretary", "deputy", "committee")


def officer_terms(user: Any) -> dict[int, set[str]]:
    """organisation id → the officer roles `user` holds there today (cached on the user object)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active or not user.pk:
        return {}
    cached: dict[int, set[str]] | None = user.__dict__.get("_party_terms")
    if cached is None:
        # By name, not imported: the models import the querysets, which ask this module (no circle).
        OrgPosition = apps.get_model("party", "OrgPosition")  # noqa: N806
        today = timezone.localdate()
        cached = {}
        rows = (
            OrgPosition.objects.filter(
                member__user=user,
                member__status__in=("probationary", "full"),
                role__in=OFFICER_ROLES,
                start_date__lte=today,
                organisation__dissolved_on__isnull=True,
            )
            .exclude(end_date__lt=today)
            .values_list("organisation_id", "role")
        )
        for org_id, role in rows:
            cached.setdefault(org_id, set()).add(role)
        user.__dict__["_party_terms"] = cached
    return cached


def officer_org_ids(user: Any) -> set[int]:
    """The organisations a sitting officer's access reaches: where they hold office, and below (cached)."""
    cached: set[int] | None = user.__dict__.get("_party_orgs") if user is not None else None
    if cached is not None:
        return cached
    PartyOrganisation = apps.get_model("party", "PartyOrganisation")  # noqa: N806
    found = set(officer_terms(user))
    frontier = set(found)
    while frontier:  # the tree is 4 levels deep at most
        frontier = (
            set(PartyOrganisation.objects.filter(parent_id__in=frontier).values_list("pk", flat=True)) - found
        )
        found |= frontier
    if user is not None and getattr(user, "pk", None):
        user.__dict__["_party_orgs"] = found
    return found


def grants(user: Any) -> frozenset[Capability]:
    """party's capability grant: `party_branch` to a sitting officer whose role does not already give it."""
    from linli.accounts.roles import ROLE_CAPABILITIES

    if Capability.PARTY_BRANCH in ROLE_CAPABILITIES.get(getattr(user, "role", ""), frozenset()):
        return frozenset()
    return frozenset({Capability.PARTY_BRANCH}) if officer_terms(user) else frozenset()


def _chain(org: Any) -> list[int]:
    ids: list[int] = []
    node = org
    while node is not None and len(ids) < 6:
        ids.append(node.pk)
        node = node.parent
    return ids


def by_role(user: Any, org: Any) -> bool:
    """`party_manage` by role, with `org` in the user's area scope."""
    return bool(
        user is not None
        and user.can(Capability.PARTY_MANAGE)
        and path_in_scope(org.area.path, user.scope_paths())
    )


def is_officer_of(user: Any, org: Any, roles: tuple[str, ...] = OFFICER_ROLES) -> bool:
    """`user` holds one of `roles` today in `org` or in an organisation above it."""
    terms = officer_terms(user)
    return any(terms.get(pk, set()) & set(roles) for pk in _chain(org))


def manages(user: Any, org: Any) -> bool:
    """May record meetings, attendance, minutes, cards, points and pipeline steps for `org`."""
    return by_role(user, org) or is_officer_of(user, org)


def manages_any(user: Any) -> bool:
    return bool(user is not None and (user.can(Capability.PARTY_MANAGE) or officer_terms(user)))


def approves_minutes(user: Any, org: Any) -> bool:
    """The sitting secretary of the meeting's organisation (or the branch above a party group), or a
    community party manager by role."""
    return by_role(user, org) or is_officer_of(user, org, ("secretary",))
