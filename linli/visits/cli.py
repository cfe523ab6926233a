"""`linli care-plan …`, `linli export visits|visit-coverage`, and the visit sweep of `tick`."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from linli.core.cli import CliError, Commands, parse_date, xlsx_output
from linli.registry.cli import tag_by_code


def register(cli: Commands) -> None:
    exports = cli.group("export")
    p = exports.command(
        "visits", cmd_export_visits, "export the visit log (走访台账) to .xlsx", describe=False
    )
    p.add_argument("--start", required=True, help="YYYY-MM-DD, visits on or after")
    p.add_argument("--end", required=True, help="YYYY-MM-DD, visits on or before")
    p.add_argument("--area", help="code path to limit to, e.g. S01/C01")
    p.add_argument("-o", "--output", required=True, help="FILE.xlsx")
    p = exports.command(
        "visit-coverage",
        cmd_export_visit_coverage,
        "export visit coverage per grid or community to .xlsx",
        describe=False,
    )
    p.add_argument("--group", choices=["grid", "community"], default="grid")
    p.add_argument("--area", help="code path to limit to, e.g. S01/C01")
    p.add_argument("-o", "--output", required=True, help="FILE.xlsx")

    plans = cli.group("care-plan", "how often key groups are visited (关怀计划)")
    plans.command("list", cmd_care_plan_list, "list care plans")
    p = plans.command("add", cmd_care_plan_add, "visit everyone with a tag in an area every N days")
    p.add_argument("--area", required=True, help="code path, e.g. S01")
    p.add_argument("--tag", required=True, help="tag code, e.g. elderly_alone (see 'linli tag list')")
    p.add_argument("--every", required=True, type=int, metavar="DAYS")
    p.add_argument("--note", default="")
    p = plans.command("set", cmd_care_plan_set, "change a care plan's interval, or switch it on/off")
    p.add_argument("id", type=int)
    p.add_argument("--every", type=int, metavar="DAYS")
    p.add_argument("--active", choices=["on", "off"])
    p.add_argument("--note")

    cli.sweep("visits (due dates, 八必访)", visit_sweep)


def visit_sweep() -> Callable[[bool], str | None]:
    import time

    from linli.visits.services import tick

    last_sync = 0.0

    def step(looping: bool) -> str | None:
        nonlocal last_sync
        # Rebuilding every visit target reads all tagged residents: in a loop, once per VISIT_SYNC_SECONDS
        # (plans and pairings sync at once anyway; this catches tag, grid and duty changes).
        sync = time.monotonic() - last_sync >= VISIT_SYNC_SECONDS
        visits = tick(sync=sync)
        last_sync = time.monotonic() if sync else last_sync
        if not looping or visits.acted:
            return f"visit sweep: {visits}"
        return None

    return step


VISIT_SYNC_SECONDS = 900


def cmd_export_visits(args: argparse.Namespace) -> None:
    from linli.areas.services import area_by_path
    from linli.visits.export import export_visits

    start, end = parse_date(args.start), parse_date(args.end)
    if end < start:
        raise CliError("--end is before --start")
    out = xlsx_output(args.output)
    area = area_by_path(args.area) if args.area else None
    rows = export_visits(actor=None, target=out, start=start, end=end, area=area)
    print(f"{rows} visits ({start} to {end}) written to {out}")


def cmd_export_visit_coverage(args: argparse.Namespace) -> None:
    from linli.areas.services import area_by_path
    from linli.visits.export import export_coverage

    out = xlsx_output(args.output)
    area = area_by_path(args.area) if args.area else None
    rows = export_coverage(actor=None, target=out, group=args.group, area=area)
    print(f"{rows} rows of visit coverage (by {args.group}) written to {out}")


def cmd_care_plan_list(args: argparse.Namespace) -> None:
    from linli.visits.models import CarePlan

    for plan in CarePlan.objects.select_related("area", "tag", "resident").order_by("area__path", "pk"):
        who = f"tag {plan.tag.code}" if plan.tag else f"resident {plan.resident_id}"
        state = "" if plan.active else "  (off)"
        print(f"{plan.pk:>5}  {plan.area.path:<16} {who:<28} every {plan.interval_days} days{state}")


def cmd_care_plan_add(args: argparse.Namespace) -> None:
    from linli.areas.services import area_by_path
    from linli.visits.services import care_plan_create

    plan = care_plan_create(
        actor=None,
        area=area_by_path(args.area),
        tag=tag_by_code(args.tag),
        interval_days=args.every,
        note=args.note,
    )
    print(f"care plan {plan.pk}: {plan.tag} in {plan.area.path}, every {plan.interval_days} days")


def cmd_care_plan_set(args: argparse.Namespace) -> None:
    from linli.visits.models import CarePlan
    from linli.visits.services import care_plan_update

    plan = CarePlan.objects.select_related("area", "tag").filter(pk=args.id).first()
    if plan is None:
        raise CliError(f"no care plan {args.id} (see 'linli care-plan list')")
    active = {"on": True, "off": False}.get(args.active or "")
    plan = care_plan_update(actor=None, plan=plan, interval_days=args.every, active=active, note=args.note)
    print(f"care plan {plan.pk}: every {plan.interval_days} days, {'on' if plan.active else 'off'}")
