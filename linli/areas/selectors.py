"""Reads about areas that pages outside this app share."""

from __future__ import annotations

from typing import TYPE_CHECKING

from linli.areas.models import Area, AreaKind

if TYPE_CHECKING:
    from linli.accounts.models import User


def print_heading(user: User) -> str:
    """Whose paper a printed page is: the street (or streets) over the user's scope — "望江街道".

    A user bound to a community or grid prints under their street's name; one bound above the streets (a
    district) or to an area with no street over it prints under the top area of their scope.
    """
    paths = user.scope_paths()
    chains = {path: [*_prefixes(path)] for path in paths}
    named = {
        path: (kind, name)
        for path, kind, name in Area.objects.filter(path__in={p for c in chains.values() for p in c})
        .order_by()
        .values_list("path", "kind", "name")
    }
    names: list[str] = []
    for chain in chains.values():
        known = [p for p in chain if p in named]
        streets = [p for p in known if named[p][0] == AreaKind.STREET]
        top = streets[0] if streets else known[0] if known else None
        if top and named[top][1] not in names:
            names.append(named[top][1])
    return "、".join(names)


def _prefixes(path: str) -> list[str]:
    parts = path.split("/")
    return ["/".join(parts[: i + 1]) for i in range(len(parts))]
