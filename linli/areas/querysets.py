from __future__ import annotations

from datetime import date
from typing import Self

from django.db.models import Q
from django.utils import timezone

from linli.core.scoping import ScopedQuerySet


class AreaQuerySet(ScopedQuerySet):
    scope_lookup = "path"

    def grids(self) -> Self:
        return self.filter(kind="grid")


class GridAssignmentQuerySet(ScopedQuerySet):
    scope_lookup = "grid__path"

    def current(self, on: date | None = None) -> Self:
        day = on or timezone.localdate()
        return self.filter(Q(start_date__lte=day) & (Q(end_date__isnull=True) | Q(end_date__gte=day)))
