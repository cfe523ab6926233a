"""`linli user …` and `linli token …`: accounts and API tokens from the console."""

from __future__ import annotations

import argparse
from typing import Any

from linli.core.cli import CliError, Commands
from linli.core.validation import parse_id


def register(cli: Commands) -> None:
    user = cli.group("user", "users and their areas")
    p = user.command("add", cmd_user_add, "add a user bound to one or more areas")
    p.add_argument("username")
    p.add_argument(
        "--role",
        required=True,
        choices=[
            "street_admin",
            "community_leader",
            "community_worker",
            "grid_worker",
            "department_handler",
            "viewer",
        ],
    )
    p.add_argument("--area", required=True, action="append", help="code path; repeat for several areas")
    p.add_argument("--password", help="default: a generated one, printed once")
    p.add_argument("--name", help="full name")
    p.add_argument("--phone")
    user.command("list", cmd_user_list, "list users")
    p = user.command("passwd", cmd_user_passwd, "set a user's password")
    p.add_argument("username")
    p.add_argument("--password", help="default: a generated one, printed once")
    p = user.command("disable", lambda a: cmd_user_active(a, False), "disable a user")
    p.add_argument("username")
    p = user.command("enable", lambda a: cmd_user_active(a, True), "enable a user")
    p.add_argument("username")
    p = user.command(
        "operator", cmd_user_operator, "make a user a deployment operator (sees sign-ins under unknown names)"
    )
    p.add_argument("username")
    p.add_argument("--off", action="store_true", help="withdraw it")

    token = cli.group("token", "API tokens")
    p = token.command("create", cmd_token_create, "create an API token and print it (shown once)")
    p.add_argument("username")
    p.add_argument("--name", help="what the token is for")
    p = token.command("list", cmd_token_list, "list a user's tokens")
    p.add_argument("username")
    p = token.command("revoke", cmd_token_revoke, "revoke a token by id, prefix or the token itself")
    p.add_argument("token")


def user_by_name(username: str) -> Any:
    """The user with this login (any case), or a one-line error; other modules' commands use it too."""
    from linli.accounts.models import User

    user = User.objects.filter(username__iexact=username.strip()).first()
    if user is None:
        raise CliError(f"no user named {username!r}")
    return user


def cmd_user_add(args: argparse.Namespace) -> None:
    from linli.accounts.services import user_create
    from linli.areas.services import area_by_path

    areas = [area_by_path(p) for p in args.area]
    user, generated = user_create(
        actor=None,
        username=args.username,
        role=args.role,
        areas=areas,
        password=args.password,
        full_name=args.name or "",
        phone=args.phone or "",
    )
    print(f"created user {user.username} ({user.get_role_display()}) in {', '.join(a.path for a in areas)}")
    if generated:
        print(f"password: {generated}")


def cmd_user_list(args: argparse.Namespace) -> None:
    from linli.accounts.models import User

    for user in User.objects.prefetch_related("bindings__area").order_by("username"):
        paths = ",".join(sorted(b.area.path for b in user.bindings.all()))
        state = "" if user.is_active else " (disabled)"
        print(f"{user.username:<16} {user.role:<20} {paths:<24} {user.full_name}{state}")


def cmd_user_passwd(args: argparse.Namespace) -> None:
    from linli.accounts.services import generate_password, user_set_password

    user = user_by_name(args.username)
    password = args.password or generate_password()
    revoked = user_set_password(actor=None, user=user, password=password)
    print(f"password of {user.username} changed" + ("" if args.password else f": {password}"))
    if revoked:
        print(f"{revoked} API token(s) of {user.username} revoked; create new ones with 'linli token create'")


def cmd_user_active(args: argparse.Namespace, active: bool) -> None:
    from linli.accounts.services import user_set_active

    user = user_by_name(args.username)
    revoked = user_set_active(actor=None, user=user, active=active)
    print(f"{user.username} {'enabled' if active else 'disabled'}")
    if revoked:
        print(f"{revoked} API token(s) of {user.username} revoked")


def cmd_user_operator(args: argparse.Namespace) -> None:
    from linli.accounts.services import user_set_operator

    user = user_set_operator(actor=None, user=user_by_name(args.username), operator=not args.off)
    print(f"{user.username} {'is' if user.is_operator else 'is no longer'} a deployment operator")


def cmd_token_create(args: argparse.Namespace) -> None:
    from linli.accounts.services import token_create

    _, raw = token_create(actor=None, user=user_by_name(args.username), name=args.name or "")
    print(raw)


def cmd_token_list(args: argparse.Namespace) -> None:
    user = user_by_name(args.username)
    for token in user.api_tokens.all():
        state = "active" if token.is_active else f"revoked {token.revoked_at:%Y-%m-%d}"
        print(
            f"{token.pk:<6} {token.lookup_prefix}…  {token.created_at:%Y-%m-%d %H:%M}  {state:<18} {token.name}"
        )


def cmd_token_revoke(args: argparse.Namespace) -> None:
    from linli.accounts.models import ApiToken
    from linli.accounts.services import token_revoke

    ident = args.token.strip()
    if (token_id := parse_id(ident)) is not None:
        matches = list(ApiToken.objects.filter(pk=token_id))
    elif ident.startswith(ApiToken.PREFIX) and len(ident) > 16:
        matches = list(ApiToken.objects.filter(key_hash=ApiToken.hash_key(ident)))
    else:
        matches = list(ApiToken.objects.filter(lookup_prefix__startswith=ident.rstrip("…")))
    if not matches:
        raise CliError(f"no token matches {ident!r}")
    if len(matches) > 1:
        raise CliError(f"{ident!r} matches {len(matches)} tokens; give the id from 'linli token list'")
    token = token_revoke(actor=None, token=matches[0])
    print(f"token {token.lookup_prefix}… of {token.user.username} revoked")
