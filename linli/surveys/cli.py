"""`linli survey list|results|export`: surveys at the console."""

from __future__ import annotations

import argparse
from typing import Any

from linli.core.cli import CliError, Commands, xlsx_output


def register(cli: Commands) -> None:
    group = cli.group("survey", "surveys (问卷调查)")
    group.command("list", cmd_list, "list surveys with their status and answer counts")
    p = group.command("results", cmd_results, "print a survey's results per question")
    p.add_argument("id", type=int)
    p = group.command(
        "export", cmd_export, "export a survey's results to .xlsx (one sheet per question + raw)"
    )
    p.add_argument("id", type=int)
    p.add_argument("-o", "--output", required=True, help="FILE.xlsx")
    p = group.command(
        "recount", cmd_recount, "count a survey's answers again into the running counts its results read"
    )
    p.add_argument("id", type=int)


def _survey(pk: int) -> Any:
    from linli.surveys.models import Survey

    survey = Survey.objects.select_related("area").filter(pk=pk).first()
    if survey is None:
        raise CliError(f"no survey {pk}")
    return survey


def cmd_list(args: argparse.Namespace) -> None:
    from linli.surveys.models import Survey

    for s in Survey.objects.select_related("area").order_by("pk"):
        seed = f" seed={s.sample_seed}" if s.sample_seed else ""
        print(f"{s.pk}\t{s.status}\t{s.area.path}\t{s.response_count} answers\t{s.title}{seed}")


def cmd_results(args: argparse.Namespace) -> None:
    from linli.surveys.selectors import results

    r = results(_survey(args.id), sensitive=True, texts=5)
    print(f"{r.responses} answer sheets")
    for q in r.questions:
        print(f"Q{q.question.order} {q.question.text} ({q.answered} answered)")
        for b in q.bars:
            print(f"    {b.label}: {b.count} ({b.share:.0%})")
        for row, bars in q.matrix:
            print(f"    {row}: " + ", ".join(f"{b.label} {b.count}" for b in bars))
        if q.mean is not None:
            print(f"    mean {q.mean:.2f} (min {q.minimum:g}, max {q.maximum:g})")


def cmd_export(args: argparse.Namespace) -> None:
    from linli.surveys.export import export_results

    out = xlsx_output(args.output)
    survey = _survey(args.id)
    out.write_bytes(export_results(actor=None, survey=survey))
    print(f"results of survey {survey.pk} written to {out}")


def cmd_recount(args: argparse.Namespace) -> None:
    from linli.surveys.services import survey_recount

    survey = _survey(args.id)
    differences = survey_recount(actor=None, survey=survey)
    print(f"survey {survey.pk}: {differences} cells differed from a recount; counts rebuilt")
