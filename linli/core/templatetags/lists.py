"""Template helpers for list tables (the `table cards` convention, docs/architecture.md § UI)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template

register = template.Library()


@register.filter
def labelled(cells: Iterable[Any], titles: Iterable[tuple[str, str]]) -> list[tuple[str, Any]]:
    """Pair each cell of a figures row with its column title, for the cell's `data-label`.

    Figures tables take their columns from a list of (name, title); without the title on the cell a row
    turned into a card on a phone would show bare numbers.
    """
    return [(title, cell) for (_, title), cell in zip(titles, cells, strict=False)]
