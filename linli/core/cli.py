"""`linli` — the command line for operators.

User errors print one line (`linli: error: …`) and exit 1; usage errors exit 2.
Only a bug in Linli itself shows a traceback.

This module keeps what every command shares (errors, exit codes, the "migrated?" check) and the commands
that belong to no one module: `init`, `serve`, `worker`, `demo`, `tick`, `backup`, `restore`, `check`,
`bench`. Each module declares its own commands in `linli/<app>/cli.py` (a `register(cli)` function);
`build_parser` finds those in the order of INSTALLED_APPS, so core imports no module.
"""

from __future__ import annotations

import argparse
import getpass
import importlib
import importlib.util
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
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
    if settings.STATIC_ROOT:
        # Hashed names, so nginx may cache them for a year (docs/deployment.md).
        call_command("collectstatic", interactive=False, verbosity=0)
        print(f"static files collected into {settings.STATIC_ROOT}")


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
        sizes = {dest: getattr(args, dest) for dest, _ in args.demo_sizes}
        if any(size is not None and size < 0 for size in sizes.values()):
            raise CliError(f"{' and '.join(flag for _, flag in args.demo_sizes)} must be 0 or more")
        result = demo.build_demo(seed=args.seed, **{k: v for k, v in sizes.items() if v is not None})
        # Again, now outside the demo's transaction: only there can PostgreSQL VACUUM, and without it
        # every count reads the table (open cases of a street: 19 ms of heap, against 3 from the index).
        refresh_statistics()
        built = ", ".join(f"{count} {what}" for what, count in result.counts.items())
        print(f"demo street built: {built} (seed {args.seed})")
        logins = result.logins
    print(f"demo logins (password, unless changed since: {demo.DEMO_PASSWORD}):")
    for login in logins:
        print(f"  {login.username:<14} {login.role:<8} {login.area:<12} {login.name}")


def parse_date(value: str) -> date:
    """A YYYY-MM-DD argument, or a one-line error."""
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CliError(f"{value!r} is not a date (use YYYY-MM-DD)") from exc


def xlsx_output(path: str) -> Path:
    """An export's -o FILE.xlsx: in a directory that exists."""
    out = Path(path)
    if out.suffix.lower() != ".xlsx":
        raise CliError("the output file must end in .xlsx")
    if not out.parent.exists():
        raise CliError(f"directory {out.parent} does not exist")
    return out


def cmd_audit_archive(args: argparse.Namespace) -> None:
    from linli.core.archive import audit_archive

    try:
        before = date.fromisoformat(args.before)
    except ValueError as exc:
        raise CliError(f"--before {args.before!r} is not a date (YYYY-MM-DD)") from exc
    count = audit_archive(before=before, path=Path(args.out))
    print(f"{count} audit entries before {before} moved to {args.out}")


def cmd_backup(args: argparse.Namespace) -> None:
    from linli.core.audit import Action, audit_record
    from linli.core.backup import backup, backup_into

    if (args.file is None) == (args.dir is None):
        raise CliError("give either FILE or --dir DIR")
    if args.dir is not None:
        directory = Path(args.dir)
        if not directory.is_dir():
            raise CliError(f"directory {directory} does not exist")
        if args.keep < 1:
            raise CliError("--keep must be at least 1")
        audit_record(actor=None, action=Action.BACKUP, object_repr=str(directory))
        path, counts, removed = backup_into(directory, keep=args.keep)
        print(f"backup written to {path}: {sum(counts.values())} rows, {path.stat().st_size:,} bytes")
        for old in removed:
            print(f"removed {old} (keeping the newest {args.keep})")
        return
    path = Path(args.file)
    if path.is_dir():
        raise CliError(f"{path} is a directory (use --dir for dated backups with retention)")
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


def cmd_tick(args: argparse.Namespace) -> None:
    import time

    if args.loop is not None and args.loop < 1:
        raise CliError("--loop needs at least 1 second")
    from linli.core.models import Heartbeat

    steps = [sweep.start() for sweep in args.sweeps]
    while True:
        for step in steps:
            if (line := step(args.loop is not None)) is not None:
                print(line, flush=True)
        Heartbeat.beat("tick")  # `linli check` reports sweeps that went quiet
        if args.loop is None:
            return
        time.sleep(args.loop)


def cmd_check(args: argparse.Namespace) -> None:
    from linli.core.checks import run_checks

    failures = 0
    for ok, message in run_checks():
        print(f"{'ok  ' if ok else 'FAIL'} {message}")
        failures += not ok
    if failures:
        raise CliError(f"{failures} check(s) failed")


# --- what modules add ----------------------------------------------------------------

Handler = Callable[[argparse.Namespace], None]
# A verb more than one module adds to (each module its own WHAT); declared once, here.
SHARED_GROUPS = {"import": "import ledgers from Excel/CSV", "export": "export ledgers to Excel"}


class Group:
    """A command with actions (`linli area add`, `linli export visits`)."""

    def __init__(self, actions: Any) -> None:
        self.actions = actions

    def command(
        self, name: str, func: Handler, help: str, *, migrated: bool = True, describe: bool = True
    ) -> Parser:
        """An action; unless `migrated=False`, it refuses to run on an uninitialised database.

        `describe=False` leaves the help line out of the action's own --help (as the visit and indicator
        exports have always had it)."""
        extra = {"description": help} if describe else {}
        p: Parser = self.actions.add_parser(name, help=help, **extra)
        p.set_defaults(func=func, needs_migrated=migrated)
        return p


@dataclass(frozen=True)
class Sweep:
    """A periodic job `linli tick` runs. `start()` returns one step: step(looping) → a line to print, or None."""

    description: str  # shown in `linli tick --help`, e.g. "visits (due dates, 八必访)"
    start: Callable[[], Callable[[bool], str | None]]


class Commands:
    """What a module's `cli.py` receives in `register(cli)`: where its commands go."""

    def __init__(self, top: Group, demo: Parser) -> None:
        self._top = top
        self._demo = demo
        self._groups: dict[str, Group] = {}
        self.sweeps: list[Sweep] = []
        self.demo_sizes: list[tuple[str, str]] = []  # (dest, --flag)

    def command(self, name: str, func: Handler, help: str, *, migrated: bool = True) -> Parser:
        return self._top.command(name, func, help, migrated=migrated)

    def group(self, name: str, help: str | None = None) -> Group:
        """`linli NAME ACTION …`; a name in SHARED_GROUPS is one group whichever modules add to it."""
        if name not in self._groups:
            parser = self._top.actions.add_parser(name, help=help or SHARED_GROUPS[name])
            actions = parser.add_subparsers(
                dest=f"{name.replace('-', '_')}_command",
                metavar="WHAT" if name in SHARED_GROUPS else "ACTION",
                parser_class=Parser,
            )
            actions.required = True
            self._groups[name] = Group(actions)
        return self._groups[name]

    def sweep(self, description: str, start: Callable[[], Callable[[bool], str | None]]) -> None:
        self.sweeps.append(Sweep(description, start))

    def demo_size(self, flag: str, help: str) -> None:
        """A `linli demo` option for how many of something the module's demo data makes."""
        action = self._demo.add_argument(flag, type=int, help=help)
        self.demo_sizes.append((action.dest, flag))


def module_clis() -> list[Any]:
    """The `cli` modules of Linli's apps, in the order of INSTALLED_APPS (read from settings, not set up)."""
    from django.conf import settings

    found = []
    for entry in settings.INSTALLED_APPS:
        package = entry.partition(".apps.")[0]
        ours = package.startswith("linli.") and package != "linli.core"
        if ours and importlib.util.find_spec(f"{package}.cli") is not None:
            found.append(importlib.import_module(f"{package}.cli"))
    return found


# --- parser ------------------------------------------------------------------------


def build_parser() -> Parser:
    from linli import __version__

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "linli.settings")
    parser = Parser(prog="linli", description="Linli (邻里) community and grid management")
    parser.add_argument("--version", action="version", version=f"linli {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    sub.required = True
    top = Group(sub)
    command = top.command

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
    demo = command("demo", cmd_demo, "load the demo street (communities, grids, workers)")
    demo.add_argument("--seed", type=int, default=2026)

    cli = Commands(top, demo)
    for module in module_clis():
        module.register(cli)

    demo.add_argument(
        "--if-empty", action="store_true", help="do nothing if the demo street is already there"
    )
    demo.set_defaults(demo_sizes=cli.demo_sizes)
    sweeps = [s.description for s in cli.sweeps]
    swept = " and ".join(filter(None, [", ".join(sweeps[:-1]), *sweeps[-1:]]))
    p = command("tick", cmd_tick, f"run the sweeps: {swept}; safe to repeat")
    p.add_argument(
        "--loop", type=int, metavar="SECONDS", help="keep sweeping every SECONDS (serve does this)"
    )
    p.set_defaults(sweeps=cli.sweeps)

    audit = cli.group("audit", "the audit log")
    p = audit.command(
        "archive", cmd_audit_archive, "move entries older than a date to a file (docs/security.md)"
    )
    p.add_argument("--before", required=True, help="YYYY-MM-DD; at least six months ago")
    p.add_argument("--out", required=True, help="new .jsonl.gz file")

    p = command("backup", cmd_backup, "write a portable backup of all data to FILE (online: one snapshot)")
    p.add_argument("file", nargs="?")
    p.add_argument("--dir", help="write linli-YYYYMMDD-HHMMSS.jsonl.gz into DIR instead of FILE")
    p.add_argument("--keep", type=int, default=14, help="with --dir: keep the newest N such files (14)")
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
    p.add_argument(
        "--only",
        help="comma-separated: search,dashboard,api_load,export,import_csv,import_xlsx,surveys,opinions,volunteers,party,assessment,audit"
        " (and migrations, run only when named: this release's migrations timed on the populated database)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from django.core.exceptions import ImproperlyConfigured

    try:
        parser = build_parser()  # reads INSTALLED_APPS to find the modules' commands
    except ImproperlyConfigured as exc:
        sys.stderr.write(f"linli: error: configuration: {exc}\n")
        return EXIT_ERROR
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
