from __future__ import annotations

from typing import Self

from django.db.models import Q
from django.utils import timezone

from linli.core.scoping import ScopedQuerySet


class NoticeQuerySet(ScopedQuerySet):
    scope_lookup = "area__path"

    def on_board(self) -> Self:
        """Published and within its publication period today: what the public board shows."""
        today = timezone.localdate()
        return self.filter(status="published", publish_from__lte=today).filter(
            Q(publish_until__isnull=True) | Q(publish_until__gte=today)
        )


class NoticeChildQuerySet(ScopedQuerySet):
    scope_lookup = "notice__area__path"
