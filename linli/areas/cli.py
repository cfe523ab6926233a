"""`linli area …`: the area tree and grid assignments from the console."""

from __future__ import annotations

import argparse
from typing import Any

from linli.accounts.cli import user_by_name
from linli.core.cli import Commands, parse_date


def register(cli: Commands) -> None:
    area = cli.group("area", "areas: district → street → community → grid")
    p = area.command("add", cmd_area_add, "add an area")
    p.add_argument("kind", choices=["district", "street", "community", "grid"])
    p.add_argument("code")
    p.add_argument("name")
    p.add_argument("--parent", help="code path of the parent, e.g. S01/C01")
    p.add_argument("--lat")
    p.add_argument("--lng")
    p = area.command("list", cmd_area_list, "print the area tree")
    p.add_argument("path", nargs="?")
    p = area.command("assign", cmd_area_assign, "make a user responsible for a grid")
    p.add_argument("path")
    p.add_argument("username")
    p.add_argument("--duty", choices=["worker", "leader"], default="worker")
    p.add_argument("--start", help="YYYY-MM-DD (default today)")


def _tree_line(area: Any) -> str:
    return f"{'  ' * area.depth}{area.path:<16} {area.get_kind_display():<3} {area.name}"


def cmd_area_add(args: argparse.Namespace) -> None:
    from linli.areas.services import area_by_path, area_create

    parent = area_by_path(args.parent) if args.parent else None
    area = area_create(
        actor=None,
        kind=args.kind,
        code=args.code,
        name=args.name,
        parent=parent,
        latitude=args.lat,
        longitude=args.lng,
    )
    print(f"created {area.get_kind_display()} {area.path} {area.name}")


def cmd_area_list(args: argparse.Namespace) -> None:
    from linli.areas.models import Area
    from linli.areas.services import area_by_path
    from linli.core.scoping import subtree_q

    qs = Area.objects.order_by("path")
    if args.path:
        qs = qs.filter(subtree_q([area_by_path(args.path).path]))
    for area in qs:
        print(_tree_line(area))


def cmd_area_assign(args: argparse.Namespace) -> None:
    from django.utils import timezone

    from linli.areas.services import area_by_path, grid_assign

    grid = area_by_path(args.path)
    user = user_by_name(args.username)
    start = parse_date(args.start) if args.start else timezone.localdate()
    assignment = grid_assign(actor=None, grid=grid, user=user, duty=args.duty, start_date=start)
    print(f"{user.username} is {assignment.get_duty_display()} of {grid.path} from {start}")
