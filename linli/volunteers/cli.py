"""`linli import volunteers`, `linli volunteer …` and the forgotten sign-out sweep of `tick`."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from linli.core.cli import CliError, Commands


def register(cli: Commands) -> None:
    imports = cli.group("import")
    p = imports.command(
        "volunteers", cmd_import_volunteers, "import a volunteer roster (.xlsx/.xls/.csv) into a community"
    )
    p.add_argument("file")
    p.add_argument("--community", required=True, help="code path of the community, e.g. S01/C01")
    p.add_argument("--dry-run", action="store_true", help="check everything, save nothing")
    p.add_argument("--report", help="write every error and warning row to this .xlsx")

    group = cli.group("volunteer", "volunteers (志愿服务): skills and records")
    group.command("skills", cmd_skills, "list the service skills")
    p = group.command("skill-add", cmd_skill_add, "add a service skill")
    p.add_argument("code", help="e.g. sign_language")
    p.add_argument("name", help="e.g. 手语翻译")
    group.command("close-sign-outs", cmd_close, "sign out records whose activity ended (what tick does)")
    group.command(
        "recount", cmd_recount, "rebuild the statistics' monthly roll-up from the confirmed records (audited)"
    )

    cli.sweep("volunteers (forgotten sign-outs)", volunteer_sweep)


def volunteer_sweep() -> Callable[[bool], str | None]:
    from linli.volunteers.services import records_close_forgotten

    def step(looping: bool) -> str | None:
        closed = records_close_forgotten()
        if not looping or closed:
            return f"volunteer sweep: {closed} forgotten sign-outs closed"
        return None

    return step


def cmd_import_volunteers(args: argparse.Namespace) -> None:
    from linli.areas.services import area_by_path
    from linli.volunteers.roster import import_roster, write_report

    path = Path(args.file)
    if not path.is_file():
        raise CliError(f"{path}: no such file")
    report = Path(args.report) if args.report else None
    if report is not None and not report.parent.exists():
        raise CliError(f"directory {report.parent} does not exist")
    result = import_roster(
        actor=None, community=area_by_path(args.community), path=path, dry_run=args.dry_run
    )
    s = result.summary
    mode = " (dry run: nothing was saved)" if args.dry_run else ""
    print(
        f"{s['rows']} rows: {s['created']} created, {s['skipped']} already registered, "
        f"{s['errors']} with errors, {s['warnings']} with warnings{mode}"
    )
    for row in result.rows:
        for error in row.errors:
            print(f"  row {row.number}: {error}")
    if report is not None:
        write_report(result, report)
        print(f"report: {report}")


def cmd_skills(args: argparse.Namespace) -> None:
    from linli.volunteers.models import Skill

    for skill in Skill.objects.all():
        print(f"{skill.code:<20} {skill.name}")


def cmd_skill_add(args: argparse.Namespace) -> None:
    from linli.volunteers.services import skill_create

    skill = skill_create(actor=None, code=args.code, name=args.name)
    print(f"skill {skill.code}: {skill.name}")


def cmd_close(args: argparse.Namespace) -> None:
    from linli.volunteers.services import records_close_forgotten

    print(f"{records_close_forgotten()} forgotten sign-outs closed")


def cmd_recount(args: argparse.Namespace) -> None:
    from linli.volunteers.services import service_months_recount

    differences = service_months_recount(actor=None)
    print(f"volunteer statistics: {differences} cells differed from a recount; monthly roll-up rebuilt")
