"""`linli portal demo-residents`: who can sign in to the demo's residents' portal."""

from __future__ import annotations

import argparse

from linli.core.cli import Commands


def register(cli: Commands) -> None:
    portal = cli.group("portal", "the residents' portal (居民端)")
    portal.command(
        "demo-residents",
        cmd_demo_residents,
        "list the demo residents who can sign in at /portal/ (their codes go to var/sms-outbox.log)",
    )


def cmd_demo_residents(args: argparse.Namespace) -> None:
    from linli.portal.demo import demo_residents

    people = demo_residents()
    if not people:
        print("no demo residents: run 'linli demo' first")
        return
    for r in people:
        print(f"  {r.name:<6} {r.id_number}  {r.phone}  {r.grid.path}")
