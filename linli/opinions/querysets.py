from __future__ import annotations

from linli.core.scoping import ScopedQuerySet


class OpinionAreaQuerySet(ScopedQuerySet):
    """Opinions, open days and their rules carry the area they concern (a grid or a community)."""

    scope_lookup = "area__path"


class OpinionChildQuerySet(ScopedQuerySet):
    scope_lookup = "opinion__area__path"
