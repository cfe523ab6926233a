"""The running counts behind a survey's results (`Tally`, `RespondentTally`): changed with each answer sheet,
rebuilt from the answers, and compared with a recount.

A cell is (question, matrix row, option, grid, key group) → (answer rows, respondents, sum of numbers). The
services call `add` in the transaction that writes or removes the sheet, so the counts are never behind; the
survey row is locked there first, so two sheets of one survey never add to the same cell at once."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection

from linli.surveys.models import (
    NO_OPTION,
    Answer,
    Kind,
    Question,
    RespondentTally,
    Response,
    ResponseTag,
    Tally,
)

Cell = tuple[int, int, int, int, int]  # question, row, option, grid, tag
Counts = tuple[int, int, float]  # answers, respondents, sum of numbers


def cells_of(
    values: Iterable[tuple[Question, int, int | None, float | None, bool]], grid: int, tags: Sequence[int]
) -> dict[Cell, list[float]]:
    """The cells one answer sheet adds to: every value by its grid, and the values of row 0 of the questions
    that are not a matrix by each of the respondent's key groups (the breakdown by key group)."""
    cells: dict[Cell, list[float]] = defaultdict(lambda: [0, 0, 0.0])
    for question, row, option, number, first in values:
        opt = NO_OPTION if option is None else option
        keys = [(question.pk, row, opt, grid, 0)]
        if row == 0 and question.kind != Kind.MATRIX:
            keys += [(question.pk, 0, opt, 0, t) for t in tags]
        for key in keys:
            acc = cells[key]
            acc[0] += 1
            acc[1] += 1 if first else 0
            acc[2] += number or 0.0
    return cells


def add(
    *,
    survey_id: int,
    grid: int,
    channel: str,
    cells: dict[Cell, list[float]],
    sign: int = 1,
) -> None:
    """Add one answer sheet's cells (sign 1) or take them away (sign -1), and the sheet to its grid and
    channel: one upsert statement per table."""
    tally, respondents = Tally._meta.db_table, RespondentTally._meta.db_table
    with connection.cursor() as cursor:
        if cells:
            cursor.executemany(
                f"INSERT INTO {tally} (survey_id, question_id, row, option, grid, tag, answers, "  # noqa: S608  (table names)
                "respondents, number_sum) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) "
                "ON CONFLICT (survey_id, question_id, row, option, grid, tag) DO UPDATE SET "
                f"answers = {tally}.answers + excluded.answers, "
                f"respondents = {tally}.respondents + excluded.respondents, "
                f"number_sum = {tally}.number_sum + excluded.number_sum",
                [
                    (survey_id, q, row, opt, g, t, sign * int(n), sign * int(first), sign * total)
                    for (q, row, opt, g, t), (n, first, total) in cells.items()
                ],
            )
        cursor.execute(
            f"INSERT INTO {respondents} (survey_id, grid, channel, sheets) VALUES (%s, %s, %s, %s) "  # noqa: S608  (table names)
            "ON CONFLICT (survey_id, grid, channel) DO UPDATE SET "
            f"sheets = {respondents}.sheets + excluded.sheets",
            [survey_id, grid, channel, sign],
        )


def recount(survey_id: int) -> tuple[dict[Cell, Counts], dict[tuple[int, str], int]]:
    """The cells and respondents counted from the answers themselves (what the tallies must equal)."""
    a, rt, r, q = (
        Answer._meta.db_table,
        ResponseTag._meta.db_table,
        Response._meta.db_table,
        Question._meta.db_table,
    )
    cells: dict[Cell, Counts] = {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT question_id, row, COALESCE(option, -1), COALESCE(grid_id, 0), COUNT(*), "  # noqa: S608  (table names)
            f"SUM(CASE WHEN first THEN 1 ELSE 0 END), SUM(number) FROM {a} WHERE survey_id = %s "
            "GROUP BY question_id, row, COALESCE(option, -1), COALESCE(grid_id, 0)",
            [survey_id],
        )
        for qid, row, opt, grid, n, first, total in cursor.fetchall():
            cells[(qid, row, opt, grid, 0)] = (n, int(first or 0), float(total or 0.0))
        cursor.execute(
            "SELECT a.question_id, COALESCE(a.option, -1), t.tag_id, COUNT(*), "  # noqa: S608  (table names)
            f"SUM(CASE WHEN a.first THEN 1 ELSE 0 END), SUM(a.number) FROM {rt} t "
            f"JOIN {a} a ON a.response_id = t.response_id JOIN {q} q ON q.id = a.question_id "
            "WHERE t.survey_id = %s AND a.row = 0 AND q.kind <> %s "
            "GROUP BY a.question_id, COALESCE(a.option, -1), t.tag_id",
            [survey_id, Kind.MATRIX.value],
        )
        for qid, opt, tag, n, first, total in cursor.fetchall():
            cells[(qid, 0, opt, 0, tag)] = (n, int(first or 0), float(total or 0.0))
        cursor.execute(
            f"SELECT COALESCE(grid_id, 0), channel, COUNT(*) FROM {r} WHERE survey_id = %s "  # noqa: S608  (table names)
            "GROUP BY COALESCE(grid_id, 0), channel",
            [survey_id],
        )
        sheets = {(grid, channel): n for grid, channel, n in cursor.fetchall()}
    return cells, sheets


def stored(survey_id: int) -> tuple[dict[Cell, Counts], dict[tuple[int, str], int]]:
    cells = {
        (q, row, opt, g, t): (n, first, total)
        for q, row, opt, g, t, n, first, total in Tally.objects.filter(survey_id=survey_id)
        .exclude(answers=0, respondents=0)
        .values_list("question_id", "row", "option", "grid", "tag", "answers", "respondents", "number_sum")
    }
    sheets = {
        (g, channel): n
        for g, channel, n in RespondentTally.objects.filter(survey_id=survey_id)
        .exclude(sheets=0)
        .values_list("grid", "channel", "sheets")
    }
    return cells, sheets


def mismatches(survey_id: int) -> list[str]:
    """Where the running counts differ from a recount of the answers (empty: they agree)."""
    counted, counted_sheets = recount(survey_id)
    kept, kept_sheets = stored(survey_id)
    out: list[str] = []
    for key in sorted(set(counted) | set(kept)):
        want, have = counted.get(key, (0, 0, 0.0)), kept.get(key, (0, 0, 0.0))
        if want[:2] != have[:2] or not math.isclose(want[2], have[2], rel_tol=1e-9, abs_tol=1e-6):
            out.append(f"cell {key}: counted {want}, kept {have}")
    for where in sorted(set(counted_sheets) | set(kept_sheets)):
        if counted_sheets.get(where, 0) != kept_sheets.get(where, 0):
            out.append(
                f"sheets {where}: counted {counted_sheets.get(where, 0)}, kept {kept_sheets.get(where, 0)}"
            )
    return out


def rebuild(survey_id: int) -> int:
    """Replace the survey's running counts by a recount (bulk loads that insert answers directly, and the
    migration that introduced the counts). Returns the number of cells."""
    cells, sheets = recount(survey_id)
    Tally.objects.filter(survey_id=survey_id).delete()
    RespondentTally.objects.filter(survey_id=survey_id).delete()
    Tally.objects.bulk_create(
        [
            Tally(
                survey_id=survey_id,
                question_id=q,
                row=row,
                option=opt,
                grid=g,
                tag=t,
                answers=n,
                respondents=first,
                number_sum=total,
            )
            for (q, row, opt, g, t), (n, first, total) in cells.items()
        ],
        batch_size=1000,
    )
    RespondentTally.objects.bulk_create(
        [
            RespondentTally(survey_id=survey_id, grid=g, channel=channel, sheets=n)
            for (g, channel), n in sheets.items()
        ]
    )
    return len(cells)


def read(survey_id: int) -> list[tuple[Any, ...]]:
    return list(
        Tally.objects.filter(survey_id=survey_id)
        .exclude(answers=0, respondents=0)
        .values_list("question_id", "row", "option", "grid", "tag", "answers", "respondents", "number_sum")
    )
