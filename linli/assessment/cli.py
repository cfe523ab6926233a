"""`linli assessment list` and `linli assessment draw ROUND --seed S` (re-run a round's published draw)."""

from __future__ import annotations

import argparse

from linli.core.cli import CliError, Commands


def register(cli: Commands) -> None:
    group = cli.group("assessment", "worker assessment rounds (考核评议)")
    group.command("list", cmd_list, "list assessment rounds, one a line, id first")
    p = group.command(
        "draw",
        cmd_draw,
        "print a round's sample in draw order; after the round opens only its published seed is accepted",
    )
    p.add_argument("round", type=int, metavar="ROUND", help="round id (see 'linli assessment list')")
    p.add_argument("--seed", required=True, help="the seed to draw with (the published one, once open)")


def cmd_list(args: argparse.Namespace) -> None:
    from linli.assessment.models import Round

    print(f"{'id':>5}  {'area':<12} {'kind':<8} {'status':<10} {'period':<23} {'seed':<18} title")
    for r in Round.objects.select_related("area").order_by("pk"):
        period = f"{r.period_start}..{r.period_end}"
        print(
            f"{r.pk:>5}  {r.area.path:<12} {r.kind:<8} {r.status:<10} {period:<23} {r.seed or '-':<18} {r.title}"
        )


def cmd_draw(args: argparse.Namespace) -> None:
    from linli.accounts.models import User
    from linli.assessment.models import Round
    from linli.assessment.services import sample_redraw

    round_ = Round.objects.select_related("area").filter(pk=args.round).first()
    if round_ is None:
        raise CliError(f"no assessment round {args.round} (see 'linli assessment list')")
    order = sample_redraw(actor=None, round=round_, seed=args.seed)
    names = {u.pk: u.display_name for u in User.objects.filter(pk__in={w for w, _, _ in order})}
    print(f"round {round_.pk} seed {args.seed} min_sample {round_.min_sample}")
    print(f"{'worker':>6}  {'name':<8} {'rank':>5}  {'drawn':<8} {'grid':<16} resident")
    for worker, unit, drawn in order:
        state = "sample" if drawn.in_sample else "reserve"
        print(
            f"{worker:>6}  {names.get(worker, '')!s:<8} {drawn.rank:>5}  {state:<8} {unit.stratum:<16} "
            f"{unit.resident_id}"
        )
