"""Ids and years in query strings and forms that are digits to `str.isdigit()` but not to `int()` (digits of
other scripts), or too long for the database, are ignored or refused: never a server error.

Every page without a path argument is asked with every such parameter the pages read, as a street admin and
as a grid worker; the forms that take ids in their body are posted with them.
"""

from __future__ import annotations

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from linli.core.validation import parse_id

PARAMS = (
    "resident",
    "household",
    "grid",
    "building",
    "house",
    "year",
    "organisation",
    "member",
    "worker",
    "activity",
    "before",
    "after",
    "community",
    "visit",
    "case",
    "duplicate",
    "tag",
    "round",
    "record",
    "link",
    "category",
    "unit",
    "id",
)
# Kharosthi one (str.isdigit() but not int()), Arabic-Indic three (int() takes it, the database's integer
# field does not see it as a number either way), and a number wider than 64 bits.
HOSTILE = ("\U00010a40", "\u0663", "9" * 30)
# Pages whose GET does something other than show (sign out) or that stream a file.
SKIP = re.compile(r"logout|signout|export|pdf|print|xlsx|report|manifest|sw\.js|photo")


def pages() -> list[str]:
    found: list[str] = []

    def walk(patterns: list, prefix: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                route = prefix + str(p.pattern)
                if (
                    "<" not in route
                    and "(" not in route
                    and not SKIP.search(route)
                    and not route.startswith("api/")
                ):
                    found.append("/" + route)

    walk(get_resolver().url_patterns, "")
    return sorted(set(found))


def test_parse_id_takes_ascii_digits_within_64_bits_only():
    assert parse_id("42") == 42
    assert parse_id(42) == 42
    assert parse_id("9" * 18) == 10**18 - 1
    for raw in ("", None, "9" * 19, "-1", "1.5", " 1", "\U00010a40", "\u0663", "１２"):
        assert parse_id(raw) is None, raw


@pytest.mark.parametrize("who", ["street_admin", "grid_worker_c01_g01"])
def test_no_page_fails_on_a_hostile_id(world, client_for, who):
    client = client_for(getattr(world, who))
    # Each parameter gets each kind of value once over the two users (a crawl is ~100 pages).
    turn = 0 if who == "street_admin" else 1
    query = {name: HOSTILE[(i + turn) % 2 * 2] for i, name in enumerate(PARAMS)}
    failures = []
    for path in pages():
        response = client.get(path, query)
        if response.status_code >= 500:
            failures.append(path)
    assert not failures


@pytest.mark.parametrize("value", HOSTILE)
def test_no_form_fails_on_a_hostile_id_in_its_body(world, client_for, value):
    client = client_for(world.street_admin)
    data = dict.fromkeys(PARAMS, value) | {f"member_{value}": "present"}
    failures = []
    for path in ("/cases/inbox/read/", "/visits/new/", "/registry/residents/new/", "/timebank/requests/new/"):
        response = client.post(path, data)
        if response.status_code >= 500:
            failures.append(path)
    assert not failures
