"""`linli import residents` and `linli export residents`: the resident ledger in and out of Excel/CSV."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from linli.core.cli import CliError, Commands, xlsx_output


def register(cli: Commands) -> None:
    imports = cli.group("import")
    p = imports.command(
        "residents",
        cmd_import_residents,
        "import a resident ledger (.xlsx/.xls/.csv) into a community",
    )
    p.add_argument("file")
    p.add_argument("--community", required=True, help="code path of the community, e.g. S01/C01")
    p.add_argument("--dry-run", action="store_true", help="check everything, save nothing")
    p.add_argument("--report", help="write every error and warning row to this .xlsx")
    p.add_argument("--json", action="store_true", help="print the summary as one JSON object")

    exports = cli.group("export")
    p = exports.command("residents", cmd_export_residents, "export the resident ledger of an area to .xlsx")
    p.add_argument("--area", required=True, help="code path, e.g. S01/C01")
    p.add_argument("-o", "--output", required=True, help="FILE.xlsx")
    p.add_argument("--columns", nargs="+", help="column keys or titles, e.g. 姓名 身份证号 联系电话")
    p.add_argument("--reveal", action="store_true", help="full ID numbers and phones (audited)")


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

    out = xlsx_output(args.output)
    count = export_residents(
        actor=None, areas=[area_by_path(args.area)], path=out, columns=args.columns, reveal=args.reveal
    )
    masked = "" if args.reveal else " (ID numbers and phones masked; --reveal for full values)"
    print(f"{count} residents written to {out}{masked}")
