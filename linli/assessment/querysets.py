from __future__ import annotations

from linli.core.scoping import ScopedQuerySet


class AssessmentAreaQuerySet(ScopedQuerySet):
    """Rounds, duties, one-off tasks, weightings and agreements belong to a community or a street."""

    scope_lookup = "area__path"


class RoundChildQuerySet(ScopedQuerySet):
    scope_lookup = "round__area__path"


class CaseReviewQuerySet(ScopedQuerySet):
    scope_lookup = "case__area__path"
