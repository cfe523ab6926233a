"""`linli tag …`: the key-group tags (重点人群) from the console; `linli registry recount` and the sweep that
folds the register's running counts (registry/counts.py)."""

from __future__ import annotations

import argparse
from typing import Any

from linli.core.cli import CliError, Commands


def register(cli: Commands) -> None:
    tags = cli.group("tag", "key-group tags (重点人群)")
    tags.command("list", cmd_tag_list, "list tags by group")
    p = tags.command("add", cmd_tag_add, "add a tag")
    p.add_argument("code", help="e.g. hearing_impaired")
    p.add_argument("name", help="e.g. 听障人士")
    p.add_argument("--group", required=True, help="group code: care, assistance, special, talent")
    p.add_argument("--sensitive", action="store_true", help="only roles with view_sensitive see it")
    p.add_argument("--aliases", help="other words ledgers use, separated by 、")
    p = tags.command("set", cmd_tag_set, "rename a tag, mark it (not) sensitive, set its aliases")
    p.add_argument("code")
    p.add_argument("--name")
    p.add_argument("--sensitive", choices=["yes", "no"])
    p.add_argument("--aliases")
    cli.demo_size("--residents", "how many demo residents (default 20000)")

    group = cli.group("registry", "the register (人口与房屋台账): its running counts")
    group.command(
        "recount",
        cmd_recount,
        "rebuild the dashboards' running counts of residents, tags, houses and households from the rows (audited)",
    )
    from linli.registry.counts import COUNTS

    cli.sweep("registry (fold the running counts)", COUNTS.sweep("registry"))


def cmd_tag_list(args: argparse.Namespace) -> None:
    from linli.registry.models import Tag

    for tag in Tag.objects.select_related("group").order_by("group__order", "order"):
        mark = " (sensitive)" if tag.sensitive else ""
        aliases = f"  aliases: {tag.aliases}" if tag.aliases else ""
        print(f"{tag.group.code:<12} {tag.code:<24} {tag.name}{mark}{aliases}")


def cmd_tag_add(args: argparse.Namespace) -> None:
    from linli.registry.services import tag_create

    tag = tag_create(
        actor=None,
        group_code=args.group,
        code=args.code,
        name=args.name,
        sensitive=args.sensitive,
        aliases=args.aliases or "",
    )
    print(f"created tag {tag.name} ({tag.code}){' — sensitive' if tag.sensitive else ''}")


def cmd_tag_set(args: argparse.Namespace) -> None:
    from linli.registry.models import Tag
    from linli.registry.services import tag_update

    tag = Tag.objects.filter(code=args.code).first()
    if tag is None:
        raise CliError(f"no tag with code {args.code!r} (see 'linli tag list')")
    sensitive = {"yes": True, "no": False}.get(args.sensitive) if args.sensitive else None
    tag = tag_update(actor=None, tag=tag, name=args.name, sensitive=sensitive, aliases=args.aliases)
    print(f"tag {tag.code}: {tag.name}{' (sensitive)' if tag.sensitive else ''}")


def tag_by_code(code: str) -> Any:
    """The tag with this code, or a one-line error; other modules' commands use it too."""
    from linli.registry.models import Tag

    tag = Tag.objects.filter(code=code.strip()).first()
    if tag is None:
        raise CliError(f"no tag with code {code!r} (see 'linli tag list')")
    return tag


def cmd_recount(args: argparse.Namespace) -> None:
    from linli.registry.services import register_counts_recount

    wrong, rows = register_counts_recount(actor=None)
    print(f"register counts rebuilt: {rows} rows; {wrong} differed from a direct count before")
