"""Reading a survey's results from its running counts (`tallies.py`: one row per question × option × grid
and per question × option × key group, kept with each answer sheet), the overall figures being the sums of
the per-grid cells; smallest and largest numbers and dates from their indexes; text answers a page at a
time. Nothing here reads every answer, so 20 or 20,000 answer sheets cost the same."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import connection

from linli.areas.models import Area
from linli.registry.models import Tag
from linli.surveys import tallies
from linli.surveys.models import (
    NO_OPTION,
    Answer,
    Channel,
    Invitation,
    Kind,
    Question,
    RespondentTally,
    Response,
    Survey,
)

UNKNOWN_GRID = "未知网格"
TEXT_SHOWN = 20


@dataclass
class Bar:
    label: str
    count: int
    share: float  # of the question's respondents (a multiple choice's shares add up to more than 1)


@dataclass
class Breakdown:
    """One group (a grid or a key group): how many answered the question, and the count per option."""

    key: str
    label: str
    answered: int
    counts: list[int]
    options: list[str] = field(default_factory=list)

    @property
    def cells(self) -> list[tuple[str, int]]:
        return list(zip(self.options, self.counts, strict=False))


@dataclass
class QuestionResult:
    question: Question
    answered: int = 0
    bars: list[Bar] = field(default_factory=list)
    # Matrix: one list of bars per row.
    matrix: list[tuple[str, list[Bar]]] = field(default_factory=list)
    mean: float | None = None
    minimum: float | None = None
    maximum: float | None = None
    texts: list[str] = field(default_factory=list)
    # Text: the id to ask the next page of older answers from (None: no more).
    more_texts: int | None = None
    by_grid: list[Breakdown] = field(default_factory=list)
    by_tag: list[Breakdown] = field(default_factory=list)
    # Number and rating: mean per grid / key group.
    grid_means: list[tuple[str, int, float]] = field(default_factory=list)
    tag_means: list[tuple[str, int, float]] = field(default_factory=list)


@dataclass
class Results:
    survey: Survey
    responses: int
    by_channel: dict[str, int]
    grids: list[tuple[str, int]]  # (label, respondents)
    questions: list[QuestionResult]
    invited: int = 0
    answered_invitations: int = 0


def _share(n: int, total: int) -> float:
    return n / total if total else 0.0


def _extremes(question_ids: list[int], column: str) -> dict[int, tuple[Any, Any]]:
    """Smallest and largest value of each question: two lookups per question in its index
    (`answer_number_idx`, `answer_day_idx`), each a single MIN or MAX so SQLite reads one index entry."""
    a = Answer._meta.db_table
    out: dict[int, tuple[Any, Any]] = {}
    with connection.cursor() as cursor:
        for qid in question_ids:
            cursor.execute(
                f"SELECT (SELECT MIN({column}) FROM {a} WHERE question_id = %s), "  # noqa: S608  (fixed names)
                f"(SELECT MAX({column}) FROM {a} WHERE question_id = %s)",
                [qid, qid],
            )
            lo, hi = cursor.fetchone()
            if column == "day" and isinstance(lo, str):  # SQLite hands raw dates back as text
                lo, hi = date.fromisoformat(lo), date.fromisoformat(hi)
            out[qid] = (lo, hi)
    return out


@dataclass
class TextPage:
    items: list[tuple[int, str]]  # (answer id, text), newest first
    next_before: int | None  # pass as `before` for the next page; None when this is the last


def text_page(question: Question, *, before: int | None = None, size: int = TEXT_SHOWN) -> TextPage:
    """A text question's answers, newest first, one page at a time (keyset on the answer id, read from
    `answer_question_idx`): the cost of a page does not grow with the number of answers."""
    qs = Answer.objects.filter(question=question).exclude(text="")
    if before is not None:
        qs = qs.filter(pk__lt=before)
    rows = list(qs.order_by("-pk").values_list("pk", "text")[: size + 1])
    more = len(rows) > size
    items = rows[:size]
    return TextPage(items=items, next_before=items[-1][0] if more and items else None)


def results(survey: Survey, *, sensitive: bool = False, texts: int = TEXT_SHOWN) -> Results:
    """Everything the results page, the API and the export show. `sensitive`: break down by sensitive key
    groups too (低保, 残疾 … only for users who may see those tags).

    Read from the running counts (`Tally`, `RespondentTally`), the extremes of number and date questions
    from their indexes, and the first page of each text question's answers."""
    questions = list(survey.questions.order_by("order", "pk"))
    qmap = {q.pk: q for q in questions}
    respondents: dict[int | None, int] = defaultdict(int)
    channels: dict[str, int] = defaultdict(int)
    for grid_id, channel, n in RespondentTally.objects.filter(survey=survey, sheets__gt=0).values_list(
        "grid", "channel", "sheets"
    ):
        respondents[grid_id or None] += n
        channels[channel] += n
    total = sum(respondents.values())
    grid_ids = [g for g in respondents if g is not None]
    paths = dict(Area.objects.filter(pk__in=grid_ids).values_list("pk", "path"))
    names = Area.qualified_names(Area.objects.filter(pk__in=grid_ids).values_list("path", "name"))
    grid_label = {g: names.get(paths[g], paths[g]) for g in grid_ids if g in paths}

    def glabel(g: int | None) -> str:
        return grid_label.get(g, UNKNOWN_GRID) if g is not None else UNKNOWN_GRID

    # The running counts (tallies.py): as many rows as cells, however many answer sheets there are.
    main_rows: list[tuple[int, int, int | None, int | None, int, int]] = []
    tag_rows: list[tuple[int, int, int, int | None, int, int, float]] = []
    number_groups: dict[int, list[tuple[int | None, int, float]]] = defaultdict(list)
    for qid, row, option, grid_key, t, n, firsts, number_sum in tallies.read(survey.pk):
        opt = None if option == NO_OPTION else option
        if t:
            tag_rows.append((t, qid, row, opt, n, firsts, number_sum))
            continue
        main_rows.append((qid, row, opt, grid_key or None, n, firsts))
        q = qmap.get(qid)
        if q is not None and q.kind == Kind.NUMBER and opt is None:
            number_groups[qid].append((grid_key or None, n, number_sum))
    numeric = [q.pk for q in questions if q.kind == Kind.NUMBER and number_groups.get(q.pk)]
    dated = [q.pk for q in questions if q.kind == Kind.DATE]
    extremes = _extremes(numeric, "number") if numeric else {}
    dates = _extremes(dated, "day") if dated else {}

    def width(q: Question) -> int:
        return len(q.options) if q.kind != Kind.RATING else len(q.scale)

    answered: dict[int, int] = defaultdict(int)
    answered_grid: dict[int, dict[int | None, int]] = defaultdict(lambda: defaultdict(int))
    counts: dict[tuple[int, int], list[int]] = {}
    grid_counts: dict[tuple[int, int | None], list[int]] = {}
    for qid, row, option, g, n, firsts in main_rows:
        q = qmap.get(qid)
        if q is None:
            continue
        if row == 0:
            answered[qid] += firsts or 0
            answered_grid[qid][g] += firsts or 0
        if option is None or option >= width(q):
            continue
        counts.setdefault((qid, row), [0] * width(q))[option] += n
        if q.kind != Kind.MATRIX:
            grid_counts.setdefault((qid, g), [0] * width(q))[option] += n
    tag_qs = Tag.objects.filter(pk__in={t for t, *_ in tag_rows})
    if not sensitive:
        tag_qs = tag_qs.filter(sensitive=False)
    tag_names = dict(tag_qs.values_list("pk", "name"))
    tag_counts: dict[tuple[int, int], list[int]] = {}
    tag_done: dict[int, dict[int, list[float]]] = defaultdict(lambda: defaultdict(lambda: [0.0, 0.0]))
    for t, qid, row, option, n, firsts, total_number in tag_rows:
        q = qmap.get(qid)
        if t not in tag_names or q is None or q.kind == Kind.MATRIX or row != 0:
            continue
        acc = tag_done[qid][t]
        acc[0] += firsts or 0
        acc[1] += total_number or 0.0
        if option is not None and option < width(q):
            tag_counts.setdefault((qid, t), [0] * width(q))[option] += n

    def tag_means(qid: int) -> list[tuple[str, int, float]]:
        return sorted((tag_names[t], int(d), s / d) for t, (d, s) in tag_done[qid].items() if d)

    out: list[QuestionResult] = []
    for q in questions:
        r = QuestionResult(question=q, answered=answered.get(q.pk, 0))
        labels = q.options if q.kind != Kind.RATING else [f"{v} 分" for v in q.scale]
        if q.kind in (Kind.SINGLE, Kind.MULTIPLE, Kind.RATING):
            c = counts.get((q.pk, 0), [0] * width(q))
            r.bars = [Bar(o, n, _share(n, r.answered)) for o, n in zip(labels, c, strict=True)]
        if q.kind in (Kind.SINGLE, Kind.MULTIPLE):
            for gid, answered_here in sorted(answered_grid[q.pk].items(), key=lambda kv: glabel(kv[0])):
                r.by_grid.append(
                    Breakdown(
                        str(gid or ""),
                        glabel(gid),
                        answered_here,
                        grid_counts.get((q.pk, gid), [0] * width(q)),
                        labels,
                    )
                )
            for t, (people, _) in sorted(tag_done[q.pk].items(), key=lambda kv: tag_names[kv[0]]):
                r.by_tag.append(
                    Breakdown(
                        str(t), tag_names[t], int(people), tag_counts.get((q.pk, t), [0] * width(q)), labels
                    )
                )
        elif q.kind == Kind.MATRIX:
            for i, row_label in enumerate(q.rows):
                c = counts.get((q.pk, i), [0] * width(q))
                r.matrix.append(
                    (row_label, [Bar(o, n, _share(n, sum(c))) for o, n in zip(q.options, c, strict=True)])
                )
        elif q.kind == Kind.RATING:
            dist = counts.get((q.pk, 0), [0] * width(q))
            given = [i + 1 for i, n in enumerate(dist) if n]
            if given:
                r.mean = sum((i + 1) * n for i, n in enumerate(dist)) / max(sum(dist), 1)
                r.minimum, r.maximum = float(given[0]), float(given[-1])
            for gid, answered_here in sorted(answered_grid[q.pk].items(), key=lambda kv: glabel(kv[0])):
                by_grid = grid_counts.get((q.pk, gid), [0] * width(q))
                if sum(by_grid):
                    r.grid_means.append(
                        (
                            glabel(gid),
                            answered_here,
                            sum((i + 1) * n for i, n in enumerate(by_grid)) / sum(by_grid),
                        )
                    )
            r.tag_means = tag_means(q.pk)
        elif q.kind == Kind.NUMBER:
            groups = number_groups.get(q.pk, [])
            n_all = sum(g[1] for g in groups)
            if n_all:
                r.mean = sum(g[2] for g in groups) / n_all
                r.minimum, r.maximum = extremes.get(q.pk, (None, None))
            r.grid_means = sorted((glabel(g), n, s / n) for g, n, s in groups if n)
            r.tag_means = tag_means(q.pk)
        elif q.kind == Kind.DATE:
            lo, hi = dates.get(q.pk, (None, None))
            r.texts = [f"最早 {lo:%Y-%m-%d}，最晚 {hi:%Y-%m-%d}"] if lo and hi else []
        elif texts:
            page = text_page(q, size=texts)
            r.texts = [t for _, t in page.items]
            r.more_texts = page.next_before
        out.append(r)
    invited = Invitation.objects.filter(survey=survey, in_sample=True)
    return Results(
        survey=survey,
        responses=total,
        by_channel=dict(channels),
        grids=sorted((glabel(g), n) for g, n in respondents.items()),
        questions=out,
        invited=invited.count() if survey.uses_invitations else 0,
        answered_invitations=invited.filter(state=Invitation.State.ANSWERED).count()
        if survey.uses_invitations
        else 0,
    )


def raw_rows(survey: Survey) -> tuple[list[str], list[list[Any]]]:
    """The raw sheet: one row per response, one column per question (per row of a matrix). A question the
    respondent never saw (its condition was not met) reads "（未显示）"; one they skipped is empty."""
    from linli.surveys.services import _visible

    questions = list(survey.questions.order_by("order", "pk"))
    qmap = {q.pk: q for q in questions}
    header = ["答卷编号", "渠道", "网格", "提交时间"]
    columns: list[tuple[Question, int]] = []
    for q in questions:
        if q.kind == Kind.MATRIX:
            for i, row in enumerate(q.rows):
                header.append(f"Q{q.order} {q.text} · {row}")
                columns.append((q, i))
        else:
            header.append(f"Q{q.order} {q.text}")
            columns.append((q, 0))
    grid_ids = set(
        Response.objects.filter(survey=survey).exclude(grid=None).values_list("grid_id", flat=True)
    )
    paths = dict(Area.objects.filter(pk__in=grid_ids).values_list("pk", "path"))
    names = Area.qualified_names(Area.objects.filter(pk__in=grid_ids).values_list("path", "name"))
    by_response: dict[int, list[tuple[int, int, int | None, float | None, Any, str]]] = defaultdict(list)
    for rid, qid, row, option, number, day, text in (
        Answer.objects.filter(survey=survey)
        .order_by("response_id", "question_id", "row", "option")
        .values_list("response_id", "question_id", "row", "option", "number", "day", "text")
        .iterator(chunk_size=5000)
    ):
        by_response[rid].append((qid, row, option, number, day, text))
    rows: list[list[Any]] = []
    channel_label = dict(Channel.choices)
    for n, (rid, channel, grid_id, at) in enumerate(
        Response.objects.filter(survey=survey)
        .order_by("received_at", "pk")
        .values_list("pk", "channel", "grid_id", "submitted_at"),
        start=1,
    ):
        values: dict[tuple[int, int], list[str]] = defaultdict(list)
        chosen: dict[int, set[str]] = defaultdict(set)
        for qid, row, option, number, day, text in by_response.get(rid, []):
            found = qmap.get(qid)
            if found is None:
                continue
            q = found
            if option is not None and option < len(q.options):
                values[(qid, row)].append(q.options[option])
                chosen[qid].add(q.options[option])
            elif number is not None:
                values[(qid, 0)].append(f"{number:g}")
            elif day is not None:
                values[(qid, 0)].append(day.isoformat())
            else:
                values[(qid, 0)].append(text)
        shown: dict[int, bool] = {}
        for q in questions:
            shown[q.pk] = _visible(q, chosen, shown)
        line: list[Any] = [
            n,
            channel_label.get(channel, channel),
            names.get(paths.get(grid_id, ""), UNKNOWN_GRID) if grid_id else UNKNOWN_GRID,
            at,
        ]
        for q, row in columns:
            if not shown[q.pk]:
                line.append("（未显示）")
            else:
                got = values.get((q.pk, row))
                if not got:
                    line.append(None)
                elif q.kind in (Kind.NUMBER, Kind.RATING):
                    line.append(float(got[0]))
                else:
                    line.append("、".join(got))
        rows.append(line)
    return header, rows
