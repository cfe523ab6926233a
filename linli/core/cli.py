"""`linli` — the command line for operators.

User errors print one line (`linli: error: …`) and exit 1; usage errors exit 2.
Only a bug in Linli itself shows a traceback.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any, NoReturn

EXIT_ERROR = 1
EXIT_USAGE = 2


class CliError(Exception):
    pass


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"{self.prog}: error: {message} (see '{self.prog} --help')\n")
        sys.exit(EXIT_USAGE)


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "linli.settings")
    import django

    django.setup()


def _operator() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _require_migrated() -> None:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        raise CliError("the database is not initialised or not up to date; run 'linli init' first")


# --- commands ----------------------------------------------------------------------


def cmd_init(args: argparse.Namespace) -> None:
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    from linli.core.db import refresh_statistics

    settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    call_command("migrate", interactive=False, verbosity=0)
    if pending:
        # A new index has no statistics yet, and SQLite then guesses (seen: a case list sorting a
        # community's open cases instead of walking the date index, 2.6 → 27 ms).
        refresh_statistics()
    where = connection.settings_dict["NAME"]
    print(f"database ready ({connection.vendor}: {where})")


def cmd_serve(args: argparse.Namespace) -> None:
    from linli.core.server import serve

    serve(
        host=args.host,
        port=args.port,
        workers=args.workers,
        threads=args.threads,
        task_worker=not args.no_worker,
    )


def cmd_worker(args: argparse.Namespace) -> None:
    from linli.core.worker import run_worker

    run_worker(batch=args.batch, interval=args.interval)


def cmd_demo(args: argparse.Namespace) -> None:
    from linli.core import demo
    from linli.core.db import refresh_statistics

    if args.if_empty and demo.demo_exists():
        print("demo data already present; nothing to do")
        logins = demo.demo_logins()
    else:
        if args.residents < 0 or args.cases < 0:
            raise CliError("--residents and --cases must be 0 or more")
        result = demo.build_demo(seed=args.seed, residents=args.residents, cases=args.cases)
        # Again, now outside the demo's transaction: only there can PostgreSQL VACUUM, and without it
        # every count reads the table (open cases of a street: 19 ms of heap, against 3 from the index).
        refresh_statistics()
        print(
            f"demo street built: {result.areas} areas, {result.users} users, "
            f"{result.residents} residents, {result.cases} cases, {result.visits} visits (seed {args.seed})"
        )
        logins = result.logins
    print(f"demo logins (password, unless changed since: {demo.DEMO_PASSWORD}):")
    for login in logins:
        print(f"  {login.username:<14} {login.role:<8} {login.area:<12} {login.name}")


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
    user = _user(args.username)
    start = _date(args.start) if args.start else timezone.localdate()
    assignment = grid_assign(actor=None, grid=grid, user=user, duty=args.duty, start_date=start)
    print(f"{user.username} is {assignment.get_duty_display()} of {grid.path} from {start}")


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CliError(f"{value!r} is not a date (use YYYY-MM-DD)") from exc


def _user(username: str) -> Any:
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

    user = _user(args.username)
    password = args.password or generate_password()
    user_set_password(actor=None, user=user, password=password)
    print(f"password of {user.username} changed" + ("" if args.password else f": {password}"))


def cmd_user_active(args: argparse.Namespace, active: bool) -> None:
    from linli.accounts.services import user_set_active

    user = user_set_active(actor=None, user=_user(args.username), active=active)
    print(f"{user.username} {'enabled' if active else 'disabled'}")


def cmd_token_create(args: argparse.Namespace) -> None:
    from linli.accounts.services import token_create

    _, raw = token_create(actor=None, user=_user(args.username), name=args.name or "")
    print(raw)


def cmd_token_list(args: argparse.Namespace) -> None:
    user = _user(args.username)
    for token in user.api_tokens.all():
        state = "active" if token.is_active else f"revoked {token.revoked_at:%Y-%m-%d}"
        print(
            f"{token.pk:<6} {token.lookup_prefix}…  {token.created_at:%Y-%m-%d %H:%M}  {state:<18} {token.name}"
        )


def cmd_token_revoke(args: argparse.Namespace) -> None:
    from linli.accounts.models import ApiToken
    from linli.accounts.services import token_revoke

    ident = args.token.strip()
    if ident.isdigit():
        matches = list(ApiToken.objects.filter(pk=int(ident)))
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


def cmd_backup(args: argparse.Namespace) -> None:
    from linli.core.audit import Action, audit_record
    from linli.core.backup import backup

    path = Path(args.file)
    if path.is_dir():
        raise CliError(f"{path} is a directory")
    if not path.parent.exists():
        raise CliError(f"directory {path.parent} does not exist")
    audit_record(actor=None, action=Action.BACKUP, object_repr=str(path))
    counts = backup(path)
    print(f"backup written to {path}: {sum(counts.values())} rows, {path.stat().st_size:,} bytes")


def cmd_restore(args: argparse.Namespace) -> None:
    from linli.core.audit import Action, audit_record
    from linli.core.backup import restore

    if not args.yes:
        if not sys.stdin.isatty():
            raise CliError("restore replaces all data in this database; pass --yes to confirm")
        answer = input(f"Replace ALL data in this database with {args.file}? Type 'yes': ")
        if answer.strip() != "yes":
            raise CliError("restore cancelled")
    counts = restore(Path(args.file))
    audit_record(actor=None, action=Action.RESTORE, object_repr=str(args.file))
    print(f"restored {sum(counts.values())} rows from {args.file}")


def cmd_import_residents(args: argparse.Namespace) -> None:
    import json

    from linli.areas.services import area_by_path
    from linli.transfers.report import write_import_report
    from linli.transfers.services import import_job_create, import_job_run

    path = Path(args.file)
    if not path.is_file():
        raise CliError(f"{path}: no such file")
    report = Path(args.report) if args.report else None
    if report is not None and not report.parent.exists():
        raise CliError(f"directory {report.parent} does not exist")
    community = area_by_path(args.community)
    job = import_job_create(actor=None, community=community, path=path, dry_run=args.dry_run)

    def progress(done: int, total: int) -> None:
        if not args.json and sys.stderr.isatty():
            sys.stderr.write(f"\r{done}/{total} rows")

    summary = import_job_run(actor=None, job=job, progress=progress)
    if report is not None:
        write_import_report(job, report)
    if args.json:
        print(json.dumps(summary, ensure_ascii=False))
        return
    if sys.stderr.isatty():
        sys.stderr.write("\n")
    mode = " (dry run: nothing was saved)" if args.dry_run else ""
    print(
        f"{summary['rows']} rows: {summary['created']} created, {summary['updated']} updated, "
        f"{summary['unchanged']} unchanged, {summary['errors']} with errors, "
        f"{summary['warnings']} with warnings{mode}"
    )
    if summary["unknown_columns"]:
        print(f"ignored columns: {', '.join(summary['unknown_columns'])}")
    if report is not None:
        print(f"report: {report}")
    print(f"import job {job.pk}")


def cmd_export_residents(args: argparse.Namespace) -> None:
    from linli.areas.services import area_by_path
    from linli.transfers.export import export_residents

    out = _xlsx_out(args.output)
    count = export_residents(
        actor=None, areas=[area_by_path(args.area)], path=out, columns=args.columns, reveal=args.reveal
    )
    masked = "" if args.reveal else " (ID numbers and phones masked; --reveal for full values)"
    print(f"{count} residents written to {out}{masked}")


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


def cmd_bench(args: argparse.Namespace) -> None:
    """Run bench/harness.py in a child process on a scratch database; never on the working one."""
    import json
    import subprocess
    import tempfile
    from datetime import datetime

    import linli

    root = Path(linli.__file__).resolve().parent.parent
    if not (root / "bench" / "harness.py").is_file():
        raise CliError("benchmarks need a source checkout (bench/ next to linli/)")
    scratch = Path(tempfile.mkdtemp(prefix="linli-bench-"))
    env = {**os.environ, "LINLI_VAR_DIR": str(scratch), "PYTHONPATH": str(root)}
    pg_url = None
    if args.db == "postgres":
        pg_url = os.environ.get(
            "LINLI_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/linli_bench"
        )
        _pg_database(pg_url, create=True)
        env["DATABASE_URL"] = pg_url
    else:
        env["DATABASE_URL"] = f"sqlite:///{scratch / 'bench.sqlite3'}"
    command = [sys.executable, "-m", "bench.harness", "--scale", args.scale, "--only", args.only or ""]
    results: list[dict[str, object]] = []
    try:
        with subprocess.Popen(command, cwd=root, env=env, stdout=subprocess.PIPE, text=True) as proc:  # noqa: S603
            assert proc.stdout is not None  # noqa: S101  (PIPE was asked for)
            for line in proc.stdout:
                print(line, end="", flush=True)
                results.append(json.loads(line))
        if proc.returncode:
            raise CliError(f"benchmark run failed (exit {proc.returncode}); see the output above")
    finally:
        if pg_url:
            _pg_database(pg_url, create=False)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")  # noqa: DTZ005  (a file name in local time)
    outputs = [root / "bench" / "results" / f"{stamp}-{args.db}-{args.scale}.json"]
    if args.json:
        outputs.append(Path(args.json))
    for out in outputs:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(results, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"results: {', '.join(str(o) for o in outputs)}", file=sys.stderr)


def _pg_database(url: str, *, create: bool) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    if not name.replace("_", "").isalnum():
        raise CliError(f"unusable benchmark database name {name!r}")
    try:
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            if create:
                conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error as exc:
        raise CliError(f"PostgreSQL at {base}: {str(exc).strip().splitlines()[0]}") from exc


VISIT_SYNC_SECONDS = 900


def cmd_tick(args: argparse.Namespace) -> None:
    import time

    from linli.cases.services import tick
    from linli.visits.services import tick as visits_tick

    if args.loop is not None and args.loop < 1:
        raise CliError("--loop needs at least 1 second")
    last_sync = 0.0
    while True:
        result = tick()
        if args.loop is None or result.warned or result.overdue or result.escalated:
            print(f"deadline sweep: {result}", flush=True)
        # Rebuilding every visit target reads all tagged residents: in a loop, once per VISIT_SYNC_SECONDS
        # (plans and pairings sync at once anyway; this catches tag, grid and duty changes).
        sync = time.monotonic() - last_sync >= VISIT_SYNC_SECONDS
        visits = visits_tick(sync=sync)
        last_sync = time.monotonic() if sync else last_sync
        if args.loop is None or visits.acted:
            print(f"visit sweep: {visits}", flush=True)
        if args.loop is None:
            return
        time.sleep(args.loop)


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
    if not stage or unit is None or not value[:-1].isdigit():
        raise CliError(f"limit '{text}' should look like handle=3d or register=2h")
    return stage.strip(), int(value[:-1]), unit


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

    members = [_user(name) for name in args.member or []]
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

    day = _date(args.day)
    calendar_override_set(actor=None, day=day, is_workday=args.workday, note=args.note or "")
    print(f"{day} is now a {'workday' if args.workday else 'day off'}")


def cmd_holiday_unset(args: argparse.Namespace) -> None:
    from linli.cases.services import calendar_override_delete

    day = _date(args.day)
    calendar_override_delete(actor=None, day=day)
    print(f"{day} follows the statutory calendar again")


def cmd_export_case_indicators(args: argparse.Namespace) -> None:
    from linli.cases.export import export_indicators

    start, end = _date(args.start), _date(args.end)
    if end < start:
        raise CliError("--end is before --start")
    out = _xlsx_out(args.output)
    rows = export_indicators(actor=None, target=out, group=args.group, start=start, end=end, area=args.area)
    print(f"{rows} rows of case indicators ({args.group}, {start} to {end}) written to {out}")


def _xlsx_out(path: str) -> Path:
    out = Path(path)
    if out.suffix.lower() != ".xlsx":
        raise CliError("the output file must end in .xlsx")
    if not out.parent.exists():
        raise CliError(f"directory {out.parent} does not exist")
    return out


def cmd_export_visits(args: argparse.Namespace) -> None:
    from linli.areas.services import area_by_path
    from linli.visits.export import export_visits

    start, end = _date(args.start), _date(args.end)
    if end < start:
        raise CliError("--end is before --start")
    out = _xlsx_out(args.output)
    area = area_by_path(args.area) if args.area else None
    rows = export_visits(actor=None, target=out, start=start, end=end, area=area)
    print(f"{rows} visits ({start} to {end}) written to {out}")


def cmd_export_visit_coverage(args: argparse.Namespace) -> None:
    from linli.areas.services import area_by_path
    from linli.visits.export import export_coverage

    out = _xlsx_out(args.output)
    area = area_by_path(args.area) if args.area else None
    rows = export_coverage(actor=None, target=out, group=args.group, area=area)
    print(f"{rows} rows of visit coverage (by {args.group}) written to {out}")


def cmd_care_plan_list(args: argparse.Namespace) -> None:
    from linli.visits.models import CarePlan

    for plan in CarePlan.objects.select_related("area", "tag", "resident").order_by("area__path", "pk"):
        who = f"tag {plan.tag.code}" if plan.tag else f"resident {plan.resident_id}"
        state = "" if plan.active else "  (off)"
        print(f"{plan.pk:>5}  {plan.area.path:<16} {who:<28} every {plan.interval_days} days{state}")


def _tag(code: str) -> Any:
    from linli.registry.models import Tag

    tag = Tag.objects.filter(code=code.strip()).first()
    if tag is None:
        raise CliError(f"no tag with code {code!r} (see 'linli tag list')")
    return tag


def cmd_care_plan_add(args: argparse.Namespace) -> None:
    from linli.areas.services import area_by_path
    from linli.visits.services import care_plan_create

    plan = care_plan_create(
        actor=None, area=area_by_path(args.area), tag=_tag(args.tag), interval_days=args.every, note=args.note
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


def cmd_check(args: argparse.Namespace) -> None:
    from linli.core.checks import run_checks

    failures = 0
    for ok, message in run_checks():
        print(f"{'ok  ' if ok else 'FAIL'} {message}")
        failures += not ok
    if failures:
        raise CliError(f"{failures} check(s) failed")


# --- parser ------------------------------------------------------------------------


def build_parser() -> Parser:
    from linli import __version__

    parser = Parser(prog="linli", description="Linli (邻里) community and grid management")
    parser.add_argument("--version", action="version", version=f"linli {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    sub.required = True

    def command(
        name: str,
        func: Callable[[argparse.Namespace], None],
        help: str,
        parent: Any = sub,
        migrated: bool = True,
    ) -> Parser:
        """A subcommand; unless `migrated=False`, it refuses to run on an uninitialised database."""
        p: Parser = parent.add_parser(name, help=help, description=help)
        p.set_defaults(func=func, needs_migrated=migrated)
        return p

    command("init", cmd_init, "create or upgrade the database (idempotent)", migrated=False)
    p = command("serve", cmd_serve, "serve Linli with the production server (gunicorn)")
    p.add_argument("--host", default=os.environ.get("LINLI_HOST", "127.0.0.1"))
    p.add_argument("--port", type=int, default=int(os.environ.get("LINLI_PORT", "8000")))
    p.add_argument("--workers", type=int, default=int(os.environ.get("LINLI_WORKERS", "0")) or None)
    p.add_argument("--threads", type=int, default=int(os.environ.get("LINLI_THREADS", "4")))
    p.add_argument(
        "--no-worker",
        action="store_true",
        help="start neither the background-job worker nor the deadline sweep",
    )
    p = command("worker", cmd_worker, "run background jobs (imports); `serve` starts one for you")
    p.add_argument("--batch", action="store_true", help="run what is queued, then exit")
    p.add_argument("--interval", type=float, default=1.0, help="seconds between polls of the queue")
    p = command("demo", cmd_demo, "load the demo street (communities, grids, workers)")
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--residents", type=int, default=20000, help="how many demo residents (default 20000)")
    p.add_argument(
        "--cases", type=int, default=1000, help="how many demo cases over the last 60 days (default 1000)"
    )
    p.add_argument("--if-empty", action="store_true", help="do nothing if the demo street is already there")

    area = sub.add_parser("area", help="areas: district → street → community → grid").add_subparsers(
        dest="area_command", metavar="ACTION", parser_class=Parser
    )
    area.required = True
    p = command("add", cmd_area_add, "add an area", area)
    p.add_argument("kind", choices=["district", "street", "community", "grid"])
    p.add_argument("code")
    p.add_argument("name")
    p.add_argument("--parent", help="code path of the parent, e.g. S01/C01")
    p.add_argument("--lat")
    p.add_argument("--lng")
    p = command("list", cmd_area_list, "print the area tree", area)
    p.add_argument("path", nargs="?")
    p = command("assign", cmd_area_assign, "make a user responsible for a grid", area)
    p.add_argument("path")
    p.add_argument("username")
    p.add_argument("--duty", choices=["worker", "leader"], default="worker")
    p.add_argument("--start", help="YYYY-MM-DD (default today)")

    user = sub.add_parser("user", help="users and their areas").add_subparsers(
        dest="user_command", metavar="ACTION", parser_class=Parser
    )
    user.required = True
    p = command("add", cmd_user_add, "add a user bound to one or more areas", user)
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
    command("list", cmd_user_list, "list users", user)
    p = command("passwd", cmd_user_passwd, "set a user's password", user)
    p.add_argument("username")
    p.add_argument("--password", help="default: a generated one, printed once")
    p = command("disable", lambda a: cmd_user_active(a, False), "disable a user", user)
    p.add_argument("username")
    p = command("enable", lambda a: cmd_user_active(a, True), "enable a user", user)
    p.add_argument("username")

    token = sub.add_parser("token", help="API tokens").add_subparsers(
        dest="token_command", metavar="ACTION", parser_class=Parser
    )
    token.required = True
    p = command("create", cmd_token_create, "create an API token and print it (shown once)", token)
    p.add_argument("username")
    p.add_argument("--name", help="what the token is for")
    p = command("list", cmd_token_list, "list a user's tokens", token)
    p.add_argument("username")
    p = command("revoke", cmd_token_revoke, "revoke a token by id, prefix or the token itself", token)
    p.add_argument("token")

    tags = sub.add_parser("tag", help="key-group tags (重点人群)").add_subparsers(
        dest="tag_command", metavar="ACTION", parser_class=Parser
    )
    tags.required = True
    command("list", cmd_tag_list, "list tags by group", tags)
    p = command("add", cmd_tag_add, "add a tag", tags)
    p.add_argument("code", help="e.g. hearing_impaired")
    p.add_argument("name", help="e.g. 听障人士")
    p.add_argument("--group", required=True, help="group code: care, assistance, special, talent")
    p.add_argument("--sensitive", action="store_true", help="only roles with view_sensitive see it")
    p.add_argument("--aliases", help="other words ledgers use, separated by 、")
    p = command("set", cmd_tag_set, "rename a tag, mark it (not) sensitive, set its aliases", tags)
    p.add_argument("code")
    p.add_argument("--name")
    p.add_argument("--sensitive", choices=["yes", "no"])
    p.add_argument("--aliases")

    imports = sub.add_parser("import", help="import ledgers from Excel/CSV").add_subparsers(
        dest="import_command", metavar="WHAT", parser_class=Parser
    )
    imports.required = True
    p = command(
        "residents",
        cmd_import_residents,
        "import a resident ledger (.xlsx/.xls/.csv) into a community",
        imports,
    )
    p.add_argument("file")
    p.add_argument("--community", required=True, help="code path of the community, e.g. S01/C01")
    p.add_argument("--dry-run", action="store_true", help="check everything, save nothing")
    p.add_argument("--report", help="write every error and warning row to this .xlsx")
    p.add_argument("--json", action="store_true", help="print the summary as one JSON object")

    exports = sub.add_parser("export", help="export ledgers to Excel").add_subparsers(
        dest="export_command", metavar="WHAT", parser_class=Parser
    )
    exports.required = True
    p = command("residents", cmd_export_residents, "export the resident ledger of an area to .xlsx", exports)
    p.add_argument("--area", required=True, help="code path, e.g. S01/C01")
    p.add_argument("-o", "--output", required=True, help="FILE.xlsx")
    p.add_argument("--columns", nargs="+", help="column keys or titles, e.g. 姓名 身份证号 联系电话")
    p.add_argument("--reveal", action="store_true", help="full ID numbers and phones (audited)")

    p = exports.add_parser("case-indicators", help="export case indicators to .xlsx")
    p.set_defaults(func=cmd_export_case_indicators, needs_migrated=True)
    p.add_argument("--group", choices=["grid", "worker", "department", "category"], default="grid")
    p.add_argument("--start", required=True, help="YYYY-MM-DD, cases received on or after")
    p.add_argument("--end", required=True, help="YYYY-MM-DD, cases received on or before")
    p.add_argument("--area", help="code path to limit to, e.g. S01/C01")
    p.add_argument("-o", "--output", required=True, help="FILE.xlsx")

    p = exports.add_parser("visits", help="export the visit log (走访台账) to .xlsx")
    p.set_defaults(func=cmd_export_visits, needs_migrated=True)
    p.add_argument("--start", required=True, help="YYYY-MM-DD, visits on or after")
    p.add_argument("--end", required=True, help="YYYY-MM-DD, visits on or before")
    p.add_argument("--area", help="code path to limit to, e.g. S01/C01")
    p.add_argument("-o", "--output", required=True, help="FILE.xlsx")
    p = exports.add_parser("visit-coverage", help="export visit coverage per grid or community to .xlsx")
    p.set_defaults(func=cmd_export_visit_coverage, needs_migrated=True)
    p.add_argument("--group", choices=["grid", "community"], default="grid")
    p.add_argument("--area", help="code path to limit to, e.g. S01/C01")
    p.add_argument("-o", "--output", required=True, help="FILE.xlsx")

    plans = sub.add_parser("care-plan", help="how often key groups are visited (关怀计划)").add_subparsers(
        dest="care_plan_command", metavar="ACTION", parser_class=Parser
    )
    plans.required = True
    command("list", cmd_care_plan_list, "list care plans", plans)
    p = command("add", cmd_care_plan_add, "visit everyone with a tag in an area every N days", plans)
    p.add_argument("--area", required=True, help="code path, e.g. S01")
    p.add_argument("--tag", required=True, help="tag code, e.g. elderly_alone (see 'linli tag list')")
    p.add_argument("--every", required=True, type=int, metavar="DAYS")
    p.add_argument("--note", default="")
    p = command("set", cmd_care_plan_set, "change a care plan's interval, or switch it on/off", plans)
    p.add_argument("id", type=int)
    p.add_argument("--every", type=int, metavar="DAYS")
    p.add_argument("--active", choices=["on", "off"])
    p.add_argument("--note")

    p = command(
        "tick",
        cmd_tick,
        "run the sweeps: case deadlines (warn, overdue, escalate) and visits (due dates, 八必访); safe to repeat",
    )
    p.add_argument(
        "--loop", type=int, metavar="SECONDS", help="keep sweeping every SECONDS (serve does this)"
    )

    category = sub.add_parser("category", help="case categories and their time limits").add_subparsers(
        dest="category_command", metavar="ACTION", parser_class=Parser
    )
    category.required = True
    command("list", cmd_category_list, "list categories with their stage limits", category)
    p = command(
        "add", cmd_category_add, "add a category (a top-level group, or a leaf with --parent)", category
    )
    p.add_argument("code")
    p.add_argument("name")
    p.add_argument("--parent", help="code of the top-level group")
    p.add_argument("--limit", action="append", help="stage=AMOUNT{h|d}, e.g. handle=3d; repeat per stage")
    p.add_argument(
        "--questions", metavar="FILE.json", help="extra questions asked at intake (see docs/cases.md)"
    )
    p = command("set", cmd_category_set, "change a category's limits, name, department or status", category)
    p.add_argument("code")
    p.add_argument("--limit", action="append", help="stage=AMOUNT{h|d}, e.g. handle=5d; repeat per stage")
    p.add_argument("--name")
    p.add_argument("--department", help="department code cases go to ('' for the grid worker)")
    p.add_argument("--active", choices=["yes", "no"])
    p.add_argument("--questions", metavar="FILE.json", help="replace the extra questions ([] for none)")

    department = sub.add_parser("department", help="departments cases can be dispatched to").add_subparsers(
        dest="department_command", metavar="ACTION", parser_class=Parser
    )
    department.required = True
    p = command("add", cmd_department_add, "add a department", department)
    p.add_argument("code")
    p.add_argument("name")
    p.add_argument("--area", required=True, help="code path of the street or community it serves")
    p.add_argument("--member", action="append", help="username of a department handler; repeat")
    p.add_argument("--phone")
    command("list", cmd_department_list, "list departments", department)

    holiday = sub.add_parser(
        "holiday", help="working-calendar adjustments for case deadlines"
    ).add_subparsers(dest="holiday_command", metavar="ACTION", parser_class=Parser)
    holiday.required = True
    command("list", cmd_holiday_list, "show which years are known and the adjustments", holiday)
    p = command("set", cmd_holiday_set, "make a day a day off (default) or a workday", holiday)
    p.add_argument("day", help="YYYY-MM-DD")
    p.add_argument("--workday", action="store_true", help="a make-up working day instead of a day off")
    p.add_argument("--note")
    p = command("unset", cmd_holiday_unset, "remove an adjustment", holiday)
    p.add_argument("day", help="YYYY-MM-DD")

    p = command("backup", cmd_backup, "write a portable backup of all data to FILE")
    p.add_argument("file")
    p = command("restore", cmd_restore, "replace all data with the backup in FILE")
    p.add_argument("file")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    command("check", cmd_check, "check configuration, database and assets", migrated=False)
    p = command(
        "bench", cmd_bench, "run the benchmarks on a scratch database (see bench/README.md)", migrated=False
    )
    p.add_argument("--scale", choices=["small", "street", "city"], default="small")
    p.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    p.add_argument("--json", help="also write the results to this file")
    p.add_argument("--only", help="comma-separated: search,dashboard,api_load,export,import_csv,import_xlsx")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        _setup_django()
        from django.core.exceptions import ValidationError
        from django.db import DatabaseError

        from linli.core.context import Origin, origin
        from linli.core.errors import DomainError

        try:
            with origin(Origin(via="cli", operator=_operator())):
                if args.needs_migrated:
                    _require_migrated()
                args.func(args)
        except (CliError, DomainError) as exc:
            sys.stderr.write(f"linli: error: {exc}\n")
            return EXIT_ERROR
        except ValidationError as exc:
            sys.stderr.write(f"linli: error: {' '.join(exc.messages)}\n")
            return EXIT_ERROR
        except DatabaseError as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            sys.stderr.write(f"linli: error: database: {first}\n")
            return EXIT_ERROR
    except KeyboardInterrupt:
        sys.stderr.write("linli: interrupted\n")
        return 130
    except BrokenPipeError:
        # Output piped into `head` and the like: stop quietly, as other Unix tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:
        from django.core.exceptions import ImproperlyConfigured

        if isinstance(exc, ImproperlyConfigured):
            sys.stderr.write(f"linli: error: configuration: {exc}\n")
            return EXIT_ERROR
        raise
    return 0


if __name__ == "__main__":
    sys.exit(main())
