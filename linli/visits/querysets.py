from __future__ import annotations

from typing import Self

from linli.core.scoping import ScopedQuerySet


class GridRowQuerySet(ScopedQuerySet):
    """Visits, targets and tasks carry the grid of the person they concern, so scope needs no join."""

    scope_lookup = "grid__path"


class CarePlanQuerySet(ScopedQuerySet):
    scope_lookup = "area__path"

    def active(self) -> Self:
        return self.filter(active=True)


class PairingQuerySet(ScopedQuerySet):
    scope_lookup = "resident__grid__path"


class DiaryQuerySet(ScopedQuerySet):
    scope_lookup = "area__path"


class VisitChildQuerySet(ScopedQuerySet):
    scope_lookup = "visit__grid__path"
