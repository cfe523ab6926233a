from __future__ import annotations

from linli.core.scoping import ScopedQuerySet


class GridRowQuerySet(ScopedQuerySet):
    """Correction requests and relative links carry the grid of the household or relative they concern."""

    scope_lookup = "grid__path"
