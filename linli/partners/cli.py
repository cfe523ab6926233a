"""`linli import partners`: bulk-load partner units (驻区单位) from Excel/CSV into a community."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from linli.core.cli import CliError, Commands


def register(cli: Commands) -> None:
    imports = cli.group("import")
    p = imports.command(
        "partners", cmd_import_partners, "import partner units (驻区单位) from .xlsx/.csv into a community"
    )
    p.add_argument("file")
    p.add_argument("--community", required=True, help="code path of the community, e.g. S01/C01")
    p.add_argument("--dry-run", action="store_true", help="check everything, save nothing")
    p.add_argument("--report", help="write every refused row, with the reason, to this .xlsx")
    p.add_argument("--json", action="store_true", help="print the summary as one JSON object")


def cmd_import_partners(args: argparse.Namespace) -> None:
    from linli.areas.services import area_by_path
    from linli.core.errors import DomainError
    from linli.partners.importing import import_partners, write_report

    path = Path(args.file)
    if not path.is_file():
        raise CliError(f"{path}: no such file")
    report = Path(args.report) if args.report else None
    if report is not None and not report.parent.exists():
        raise CliError(f"directory {report.parent} does not exist")
    area = area_by_path(args.community)
    try:
        summary = import_partners(actor=None, area=area, path=path, dry_run=args.dry_run)
    except DomainError as exc:
        raise CliError(f"{path}: {exc.message}") from exc
    if report is not None:
        write_report(summary, report)
    counts = summary.as_dict()
    if args.json:
        print(json.dumps(counts, ensure_ascii=False))
        return
    mode = " (dry run: nothing was saved)" if args.dry_run else ""
    print(
        f"{counts['rows']} rows: {counts['created']} created, {counts['updated']} updated, "
        f"{counts['unchanged']} unchanged, {counts['error']} with errors{mode}"
    )
    for row in summary.rows:
        if row.outcome == "error":
            print(f"  row {row.number}: {row.error}")
    if counts["unknown_columns"]:
        print(f"ignored columns: {', '.join(counts['unknown_columns'])}")
    if report is not None:
        print(f"report: {report}")
