from __future__ import annotations

from typing import Any, Self

from linli.cases.statuses import OPEN_STATUSES
from linli.core.scoping import ScopedQuerySet


class CaseQuerySet(ScopedQuerySet):
    scope_lookup = "area__path"
    department_lookup = "department"

    def open(self) -> Self:
        return self.filter(status__in=OPEN_STATUSES)


class CaseCountQuerySet(ScopedQuerySet):
    """The cases' running counts: per area; a department handler sees none (their figures are their cases)."""

    scope_lookup = "area__path"


class CaseChildQuerySet(ScopedQuerySet):
    scope_lookup = "case__area__path"
    department_lookup = "case__department"


class DepartmentQuerySet(ScopedQuerySet):
    scope_lookup = "area__path"
    department_lookup = "pk"


class NotificationQuerySet(ScopedQuerySet):
    def for_user(self, user: Any) -> Self:
        return self.filter(user=user)

    def unread(self) -> Self:
        return self.filter(read_at__isnull=True)
