from __future__ import annotations

from linli.core.scoping import ScopedQuerySet


class GridScopedQuerySet(ScopedQuerySet):
    """Rows that belong to a grid directly (buildings, residents)."""

    scope_lookup = "grid__path"


class BuildingChildQuerySet(ScopedQuerySet):
    """Rows under a building (units, houses)."""

    scope_lookup = "building__grid__path"


class HouseholdQuerySet(ScopedQuerySet):
    scope_lookup = "house__building__grid__path"


class ResidentChildQuerySet(ScopedQuerySet):
    """Rows about one resident (history lines, tags)."""

    scope_lookup = "resident__grid__path"
