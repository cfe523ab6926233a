"""`linli export party-members|party-meetings|party-appraisal`, and the party sweep of `tick`
(三会一课 overdue notices; points for visits to contact households)."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from linli.core.cli import Commands, xlsx_output


def register(cli: Commands) -> None:
    exports = cli.group("export")
    p = exports.command(
        "party-members",
        cmd_export_members,
        "export the party member ledger (党员台账) to .xlsx",
        describe=False,
    )
    p.add_argument("-o", "--output", required=True, help="FILE.xlsx")
    p = exports.command(
        "party-meetings", cmd_export_meetings, "export a year's 三会一课 records to .xlsx", describe=False
    )
    p.add_argument("--year", type=int, required=True)
    p.add_argument("-o", "--output", required=True, help="FILE.xlsx")
    p = exports.command(
        "party-appraisal",
        cmd_export_appraisal,
        "export a year's member appraisal (量化考评) to .xlsx",
        describe=False,
    )
    p.add_argument("--year", type=int, required=True)
    p.add_argument("-o", "--output", required=True, help="FILE.xlsx")
    p = exports.command(
        "party-cards",
        cmd_export_cards,
        "export a year's 三卡 (contact/activity/feedback cards) to .xlsx",
        describe=False,
    )
    p.add_argument("--year", type=int, required=True)
    p.add_argument("-o", "--output", required=True, help="FILE.xlsx")
    cli.sweep("party (三会一课 overdue notices, visit points)", party_sweep)


def party_sweep() -> Callable[[bool], str | None]:
    from linli.party.services import compliance_tick, visit_points_sync

    def step(looping: bool) -> str | None:
        sent = compliance_tick()
        points = visit_points_sync()
        if not looping or sent or points:
            return f"party sweep: {sent} overdue notices, {points} visit points"
        return None

    return step


def cmd_export_members(args: argparse.Namespace) -> None:
    from linli.party.export import export_members
    from linli.party.models import PartyMember

    out = xlsx_output(args.output)
    rows = export_members(actor=None, target=out, members=PartyMember.objects.all())
    print(f"{rows} party members written to {out}")


def cmd_export_meetings(args: argparse.Namespace) -> None:
    from linli.party.export import export_meetings
    from linli.party.models import Meeting

    out = xlsx_output(args.output)
    rows = export_meetings(actor=None, target=out, meetings=Meeting.objects.all(), year=args.year)
    print(f"{rows} meetings of {args.year} written to {out}")


def cmd_export_appraisal(args: argparse.Namespace) -> None:
    from linli.party.export import export_appraisal

    out = xlsx_output(args.output)
    rows = export_appraisal(actor=None, target=out, organisation=None, year=args.year)
    print(f"{rows} members' {args.year} appraisal written to {out}")


def cmd_export_cards(args: argparse.Namespace) -> None:
    from linli.party.export import export_cards
    from linli.party.models import MemberCard

    out = xlsx_output(args.output)
    rows = export_cards(
        actor=None, target=out, cards=MemberCard.objects.filter(day__year=args.year), year=args.year
    )
    print(f"{rows} cards of {args.year} written to {out}")
