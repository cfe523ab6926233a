"""`linli category|department|holiday …`, `linli export case-indicators`, `linli case recount`, and the deadline
sweep and the counts' fold of `tick`."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from linli.accounts.cli import user_by_name
from linli.core.cli import CliError, Commands, parse_date, xlsx_output
from linli.core.validation import parse_id


def register(cli: Commands) -> None:
    p = cli.group("export").command(
        "case-indicators", cmd_export_case_indicators, "export case indicators to .xlsx", describe=False
    )
    p.add_argument("--group", choices=["grid", "worker", "department", "category"], default="grid")
    p.add_argument("--start", required=True, help="YYYY-MM-DD, cases received on or after")
    p.add_argument("--end", required=True, help="YYYY-MM-DD, cases received on or before")
    p.add_argument("--area", help="code path to limit to, e.g. S01/C01")
    p.add_argument("-o", "--output", required=True, help="FILE.xlsx")

    category = cli.group("category", "case categories and their time limits")
    category.command("list", cmd_category_list, "list categories with their stage limits")
    p = category.command(
        "add", cmd_category_add, "add a category (a top-level group, or a leaf with --parent)"
    )
    p.add_argument("code")
    p.add_argument("name")
    p.add_argument("--parent", help="code of the top-level group")
    p.add_argument("--limit", action="append", help="stage=AMOUNT{h|d}, e.g. handle=3d; repeat per stage")
    p.add_argument(
        "--questions", metavar="FILE.json", help="extra questions asked at intake (see docs/cases.md)"
    )
    p = category.command("set", cmd_category_set, "change a category's limits, name, department or status")
    p.add_argument("code")
    p.add_argument("--limit", action="append", help="stage=AMOUNT{h|d}, e.g. handle=5d; repeat per stage")
    p.add_argument("--name")
    p.add_argument("--department", help="department code cases go to ('' for the grid worker)")
    p.add_argument("--active", choices=["yes", "no"])
    p.add_argument("--questions", metavar="FILE.json", help="replace the extra questions ([] for none)")

    department = cli.group("department", "departments cases can be dispatched to")
    p = department.command("add", cmd_department_add, "add a department")
    p.add_argument("code")
    p.add_argument("name")
    p.add_argument("--area", required=True, help="code path of the street or community it serves")
    p.add_argument("--member", action="append", help="username of a department handler; repeat")
    p.add_argument("--phone")
    department.command("list", cmd_department_list, "list departments")

    holiday = cli.group("holiday", "working-calendar adjustments for case deadlines")
    holiday.command("list", cmd_holiday_list, "show which years are known and the adjustments")
    p = holiday.command("set", cmd_holiday_set, "make a day a day off (default) or a workday")
    p.add_argument("day", help="YYYY-MM-DD")
    p.add_argument("--workday", action="store_true", help="a make-up working day instead of a day off")
    p.add_argument("--note")
    p = holiday.command("unset", cmd_holiday_unset, "remove an adjustment")
    p.add_argument("day", help="YYYY-MM-DD")

    cli.sweep("case deadlines (warn, overdue, escalate)", deadline_sweep)
    from linli.cases.counts import COUNTS

    cli.group("case", "cases (诉求工单): their running counts").command(
        "recount",
        cmd_recount,
        "rebuild the dashboards' running counts of cases per area and month from the cases (audited)",
    )
    cli.sweep("cases (fold the running counts)", COUNTS.sweep("cases"))
    cli.demo_size("--cases", "how many demo cases over the last 60 days (default 1000)")


def deadline_sweep() -> Callable[[bool], str | None]:
    from linli.cases.services import tick

    def step(looping: bool) -> str | None:
        result = tick()
        # In a loop, say something only when the sweep acted.
        if not looping or result.warned or result.overdue or result.escalated:
            return f"deadline sweep: {result}"
        return None

    return step


def _category(code: str) -> Any:
    from linli.cases.models import Category

    category = Category.objects.filter(code=code.strip().upper()).first()
    if category is None:
        raise CliError(f"no case category with code {code.upper()}")
    return category


def cmd_category_list(args: argparse.Namespace) -> None:
    from linli.cases.deadlines import limits_of
    from linli.cases.models import Category

    units = {"hours": "h", "days": "d"}
    for parent in Category.objects.filter(parent__isnull=True).prefetch_related("children"):
        print(f"{parent.code:<20} {parent.name}{'' if parent.active else ' (inactive)'}")
        for leaf in parent.children.all():
            limits = " ".join(f"{s}={a}{units[u]}" for s, (a, u) in limits_of(leaf.pk).items())
            dept = f" → {leaf.department.code}" if leaf.department else ""
            print(f"  {leaf.code:<18} {leaf.name}  [{limits}]{dept}{'' if leaf.active else ' (inactive)'}")


def _limit(text: str) -> tuple[str, int, str]:
    """'handle=3d' → ('handle', 3, 'days'); 'register=2h' → ('register', 2, 'hours')."""
    stage, _, value = text.partition("=")
    unit = {"h": "hours", "d": "days"}.get(value[-1:].lower())
    if not stage or unit is None or (amount := parse_id(value[:-1])) is None:
        raise CliError(f"limit '{text}' should look like handle=3d or register=2h")
    return stage.strip(), amount, unit


def _questions(path: str | None) -> list[dict[str, Any]] | None:
    """A JSON file with the category's questions (Open311 attributes); see docs/cases.md."""
    import json

    if path is None:
        return None
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise CliError(f"{path}: {exc.strerror}") from exc
    except ValueError as exc:
        raise CliError(f"{path}: not valid JSON ({exc})") from exc
    if not isinstance(data, list) or not all(isinstance(q, dict) for q in data):
        raise CliError(f"{path}: expected a JSON list of questions")
    return data


def cmd_category_add(args: argparse.Namespace) -> None:
    from linli.cases.services import category_create

    parent = _category(args.parent) if args.parent else None
    limits = {stage: (amount, unit) for stage, amount, unit in (_limit(t) for t in args.limit or [])}
    category = category_create(
        actor=None,
        code=args.code,
        name=args.name,
        parent=parent,
        limits=limits,
        questions=_questions(args.questions),
    )
    print(f"category {category.code} added: {category}")


def cmd_category_set(args: argparse.Namespace) -> None:
    from django.db import transaction

    from linli.cases.models import Department
    from linli.cases.services import category_set_limit, category_update

    category = _category(args.code)
    with transaction.atomic():
        for stage, amount, unit in (_limit(t) for t in args.limit or []):
            category_set_limit(actor=None, category=category, stage=stage, amount=amount, unit=unit)
        fields: dict[str, Any] = {}
        if args.name:
            fields["name"] = args.name
        if args.department is not None:
            if args.department == "":
                fields["department"] = None
            else:
                department = Department.objects.filter(code=args.department.upper()).first()
                if department is None:
                    raise CliError(f"no department with code {args.department.upper()}")
                fields["department"] = department
        if args.active is not None:
            fields["active"] = args.active == "yes"
        questions = _questions(args.questions)
        if questions is not None:
            fields["questions"] = questions
        if fields:
            category_update(actor=None, category=category, **fields)
    print(f"category {category.code} updated")


def cmd_department_add(args: argparse.Namespace) -> None:
    from linli.areas.services import area_by_path
    from linli.cases.services import department_create

    members = [user_by_name(name) for name in args.member or []]
    department = department_create(
        actor=None,
        area=area_by_path(args.area),
        code=args.code,
        name=args.name,
        phone=args.phone or "",
        members=members,
    )
    print(f"department {department.code} added with {len(members)} member(s)")


def cmd_department_list(args: argparse.Namespace) -> None:
    from linli.cases.models import Department

    for d in Department.objects.select_related("area").prefetch_related("members"):
        members = ", ".join(m.username for m in d.members.all()) or "no members"
        print(f"{d.code:<12} {d.name}  ({d.area.path}; {members}){'' if d.active else ' inactive'}")


def cmd_holiday_list(args: argparse.Namespace) -> None:
    from linli.cases.models import CalendarOverride
    from linli.cases.workcalendar import statutory_year_known

    year = date.today().year  # noqa: DTZ011  (a calendar year, not a moment)
    for y in (year, year + 1):
        known = (
            "known" if statutory_year_known(y) else "NOT known: enter its holidays with 'linli holiday set'"
        )
        print(f"{y}: statutory holidays {known}")
    for o in CalendarOverride.objects.all():
        print(f"{o.day}  {'workday' if o.is_workday else 'day off'}  {o.note}")


def cmd_holiday_set(args: argparse.Namespace) -> None:
    from linli.cases.services import calendar_override_set

    day = parse_date(args.day)
    calendar_override_set(actor=None, day=day, is_workday=args.workday, note=args.note or "")
    print(f"{day} is now a {'workday' if args.workday else 'day off'}")


def cmd_holiday_unset(args: argparse.Namespace) -> None:
    from linli.cases.services import calendar_override_delete

    day = parse_date(args.day)
    calendar_override_delete(actor=None, day=day)
    print(f"{day} follows the statutory calendar again")


def cmd_export_case_indicators(args: argparse.Namespace) -> None:
    from linli.cases.export import export_indicators

    start, end = parse_date(args.start), parse_date(args.end)
    if end < start:
        raise CliError("--end is before --start")
    out = xlsx_output(args.output)
    rows = export_indicators(actor=None, target=out, group=args.group, start=start, end=end, area=args.area)
    print(f"{rows} rows of case indicators ({args.group}, {start} to {end}) written to {out}")


def cmd_recount(args: argparse.Namespace) -> None:
    from linli.cases.services import case_counts_recount

    wrong, rows = case_counts_recount(actor=None)
    print(f"case counts rebuilt: {rows} rows; {wrong} differed from a direct count before")
