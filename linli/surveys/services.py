"""Every write to surveys: building (only while a draft), drawing the sample with a published seed, the
lifecycle (draft → open → closed, reopened with a reason), copying, and answers from every channel.

An answer is checked whole before anything is written (survey open, token unused, required questions
answered, values in range); a refused answer leaves no row. Uploads from the offline form carry a UUID made
on the phone, so an upload that is retried after a lost connection is recognised and counted once.
"""

from __future__ import annotations

import hashlib
import math
import secrets
import uuid as uuidlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from linli.accounts.roles import Capability
from linli.areas.models import Area
from linli.core import sampling
from linli.core.audit import Action, audit_record
from linli.core.errors import DomainError, NotFound, RateLimited
from linli.core.permissions import require, require_path_in_scope
from linli.core.scoping import path_in_scope, subtree_q
from linli.core.validation import clean_text, parse_id
from linli.registry.models import Household, Resident, ResidentStatus, ResidentTag, Tag, house_label
from linli.surveys import tallies
from linli.surveys.models import (
    CHOICE_KINDS,
    TRANSITIONS,
    Answer,
    Channel,
    Invitation,
    Kind,
    Question,
    Response,
    ResponseTag,
    SampleUnit,
    Status,
    Survey,
    SurveyEvent,
    Target,
)

if TYPE_CHECKING:
    from linli.accounts.models import User

MAX_QUESTIONS = 100
MAX_OPTIONS = 30
MAX_ROWS = 20
MAX_TEXT_ANSWER = 2000
MAX_SAMPLE = 20000
REPLACEMENT_SHARE = 0.2  # replacements kept after the sample, for those who cannot be reached
# Open link: answers from one network address per survey and hour. A household or an office behind one
# address may answer more than once; above this it is a script.
OPEN_LINK_PER_HOUR = 30
MAX_BATCH = 500
RATING_MAX = 10


def _label(actor: User | None) -> str:
    if actor is None:
        return "控制台"
    name = actor.full_name or actor.username
    return f"{name}（{actor.get_role_display()}）" if actor.role else name


def _manage(actor: User | None, survey: Survey) -> None:
    require(actor, Capability.RUN_SURVEYS)
    require_path_in_scope(actor, survey.area.path)


def _lock(survey: Survey) -> Survey:
    return Survey.objects.select_for_update().select_related("area").get(pk=survey.pk)


def _draft(survey: Survey) -> None:
    if survey.status != Status.DRAFT:
        raise DomainError("问卷已发布，题目和调查对象不能再修改；如需改动，请复制一份新问卷。")


def _new_key() -> str:
    return secrets.token_urlsafe(12)


# --- the survey --------------------------------------------------------------------------------


def _check_target(
    *, target: str, tags: Sequence[Tag], sample_unit: str, sample_size: int
) -> tuple[str, str, int]:
    if target not in Target.values:
        raise DomainError("请选择调查对象。", field="target")
    if sample_unit not in SampleUnit.values:
        raise DomainError("抽样单位应为按户或按人。", field="sample_unit")
    if target == Target.GROUPS and not tags:
        raise DomainError("按重点人群调查时，请至少选择一个人群标签。", field="target_tags")
    if target == Target.SAMPLE and not 1 <= sample_size <= MAX_SAMPLE:
        raise DomainError(f"样本量应在 1 至 {MAX_SAMPLE} 之间。", field="sample_size")
    return target, sample_unit, sample_size if target == Target.SAMPLE else 0


@transaction.atomic
def survey_create(
    *,
    actor: User | None,
    area: Area,
    title: str,
    description: str = "",
    target: str = Target.AREA,
    target_tags: Sequence[Tag] = (),
    sample_unit: str = SampleUnit.HOUSEHOLD,
    sample_size: int = 0,
    open_link: bool = False,
) -> Survey:
    require(actor, Capability.RUN_SURVEYS)
    require_path_in_scope(actor, area.path)
    title = clean_text(title, field="title", label="标题", required=True, limit=100)
    description = clean_text(description, field="description", label="说明", limit=2000)
    target, sample_unit, sample_size = _check_target(
        target=target, tags=target_tags, sample_unit=sample_unit, sample_size=sample_size
    )
    survey = Survey.objects.create(
        area=area,
        title=title,
        description=description,
        target=target,
        sample_unit=sample_unit,
        sample_size=sample_size,
        open_link=open_link,
        link_key=_new_key(),
        created_by=actor if actor is not None and actor.pk else None,
    )
    survey.target_tags.set(target_tags if target == Target.GROUPS else [])
    SurveyEvent.objects.create(
        survey=survey, to_status=Status.DRAFT, actor=_actor(actor), actor_label=_label(actor)
    )
    audit_record(actor=actor, action=Action.CREATE, obj=survey, changes={"title": [None, title]})
    return survey


def _actor(actor: User | None) -> User | None:
    return actor if actor is not None and actor.pk else None


@transaction.atomic
def survey_update(
    *,
    actor: User | None,
    survey: Survey,
    title: str,
    description: str = "",
    target: str = Target.AREA,
    target_tags: Sequence[Tag] = (),
    sample_unit: str = SampleUnit.HOUSEHOLD,
    sample_size: int = 0,
    open_link: bool = False,
) -> Survey:
    _manage(actor, survey)
    survey = _lock(survey)
    _draft(survey)
    title = clean_text(title, field="title", label="标题", required=True, limit=100)
    description = clean_text(description, field="description", label="说明", limit=2000)
    target, sample_unit, sample_size = _check_target(
        target=target, tags=target_tags, sample_unit=sample_unit, sample_size=sample_size
    )
    before = {
        "title": survey.title,
        "target": survey.target,
        "sample_unit": survey.sample_unit,
        "sample_size": survey.sample_size,
        "open_link": survey.open_link,
    }
    survey.title, survey.description, survey.open_link = title, description, open_link
    if (target, sample_unit, sample_size) != (survey.target, survey.sample_unit, survey.sample_size):
        # Who is asked changed: a list drawn for the old design no longer fits it.
        survey.invitations.all().delete()
        survey.sample_seed, survey.sample_drawn_at, survey.frame_size = "", None, 0
    survey.target, survey.sample_unit, survey.sample_size = target, sample_unit, sample_size
    survey.save()
    survey.target_tags.set(target_tags if target == Target.GROUPS else [])
    after = {k: getattr(survey, k) for k in before}
    from linli.core.audit import diff

    audit_record(actor=actor, action=Action.UPDATE, obj=survey, changes=diff(before, after))
    return survey


def _move(survey: Survey, actor: User | None, to: str, note: str = "") -> Survey:
    if (survey.status, to) not in TRANSITIONS:
        raise DomainError(f"问卷当前为“{survey.get_status_display()}”，不能改为“{Status(to).label}”。")
    before = survey.status
    survey.status = to
    now = timezone.now()
    if to == Status.OPEN:
        survey.opened_at = survey.opened_at or now
        survey.closed_at = None
    elif to == Status.CLOSED:
        survey.closed_at = now
    survey.save(update_fields=["status", "opened_at", "closed_at"])
    SurveyEvent.objects.create(
        survey=survey,
        from_status=before,
        to_status=to,
        note=note,
        actor=_actor(actor),
        actor_label=_label(actor),
    )
    changes: dict[str, Any] = {"status": [before, to]}
    if note:
        changes["note"] = [None, note]
    audit_record(actor=actor, action=Action.UPDATE, obj=survey, changes=changes)
    return survey


@transaction.atomic
def survey_open(*, actor: User | None, survey: Survey) -> Survey:
    _manage(actor, survey)
    survey = _lock(survey)
    if survey.status == Status.DRAFT:
        if not survey.questions.exists():
            raise DomainError("问卷还没有题目，不能发布。")
        if survey.uses_invitations and not survey.invitations.exists():
            raise DomainError("请先生成调查名单（抽样或按人群），再发布。")
    return _move(survey, actor, Status.OPEN)


@transaction.atomic
def survey_close(*, actor: User | None, survey: Survey) -> Survey:
    _manage(actor, survey)
    return _move(_lock(survey), actor, Status.CLOSED)


@transaction.atomic
def survey_reopen(*, actor: User | None, survey: Survey, reason: str) -> Survey:
    _manage(actor, survey)
    reason = clean_text(reason, field="reason", label="重新开放的原因", required=True, limit=200)
    survey = _lock(survey)
    if survey.status != Status.CLOSED:
        raise DomainError("只有已结束的问卷可以重新开放。")
    return _move(survey, actor, Status.OPEN, reason)


@transaction.atomic
def survey_copy(*, actor: User | None, survey: Survey, title: str = "") -> Survey:
    """A new draft with the same questions, conditions and target; no answers, no drawn list."""
    _manage(actor, survey)
    copy = survey_create(
        actor=actor,
        area=survey.area,
        title=title or f"{survey.title}（副本）"[:100],
        description=survey.description,
        target=survey.target,
        target_tags=list(survey.target_tags.all()),
        sample_unit=survey.sample_unit,
        sample_size=survey.sample_size,
        open_link=survey.open_link,
    )
    copy.copied_from = survey
    copy.save(update_fields=["copied_from"])
    mapping: dict[int, Question] = {}
    for q in survey.questions.order_by("order", "pk"):
        old_pk, old_condition = q.pk, q.condition_question_id
        q.pk = None
        q.survey = copy
        q.condition_question = mapping.get(old_condition) if old_condition else None
        q.save()
        mapping[old_pk] = q
    return copy


# --- questions -----------------------------------------------------------------------------------


@dataclass
class QuestionInput:
    kind: str
    text: str
    required: bool = False
    help_text: str = ""
    options: Sequence[str] = ()
    rows: Sequence[str] = ()
    min_value: float | None = None
    max_value: float | None = None
    condition_question: Question | None = None
    condition_value: str = ""


def _lines(values: Iterable[str], *, field: str, label: str, limit: int) -> list[str]:
    out: list[str] = []
    for value in values:
        text = clean_text(value, field=field, label=label, limit=100)
        if text and text not in out:
            out.append(text)
    if len(out) > limit:
        raise DomainError(f"{label}最多 {limit} 项。", field=field)
    return out


def _check_question(survey: Survey, data: QuestionInput, *, this: Question | None = None) -> dict[str, Any]:
    if data.kind not in Kind.values:
        raise DomainError("请选择题型。", field="kind")
    text = clean_text(data.text, field="text", label="题目", required=True, limit=200)
    out: dict[str, Any] = {
        "kind": data.kind,
        "text": text,
        "required": bool(data.required),
        "help_text": clean_text(data.help_text, field="help_text", label="说明", limit=200),
        "options": [],
        "rows": [],
        "min_value": None,
        "max_value": None,
        "condition_question": None,
        "condition_value": "",
    }
    if data.kind in CHOICE_KINDS:
        out["options"] = _lines(data.options, field="options", label="选项", limit=MAX_OPTIONS)
        if len(out["options"]) < 2:
            raise DomainError("选择题至少要有两个选项（每行一个）。", field="options")
    if data.kind == Kind.MATRIX:
        out["rows"] = _lines(data.rows, field="rows", label="矩阵的行", limit=MAX_ROWS)
        if not out["rows"]:
            raise DomainError("矩阵题至少要有一行（每行一个评价项）。", field="rows")
    if data.kind == Kind.NUMBER:
        low, high = data.min_value, data.max_value
        for v in (low, high):
            if v is not None and not math.isfinite(v):
                raise DomainError("范围应为数字。", field="min_value")
        if low is not None and high is not None and low > high:
            raise DomainError("最小值不能大于最大值。", field="min_value")
        out["min_value"], out["max_value"] = low, high
    if data.kind == Kind.RATING:
        top = int(data.max_value or 5)
        if not 2 <= top <= RATING_MAX:
            raise DomainError(f"评分的最高分应在 2 至 {RATING_MAX} 之间。", field="max_value")
        out["min_value"], out["max_value"] = 1.0, float(top)
    condition = data.condition_question
    if condition is not None:
        if condition.survey_id != survey.pk:
            raise DomainError("显示条件只能引用本问卷的题目。", field="condition_question")
        if condition.kind not in (Kind.SINGLE, Kind.MULTIPLE):
            raise DomainError("显示条件只能引用单选或多选题。", field="condition_question")
        if this is not None and (condition.pk == this.pk or condition.order >= this.order):
            raise DomainError("显示条件只能引用排在本题之前的题目。", field="condition_question")
        value = (data.condition_value or "").strip()
        if value not in condition.options:
            raise DomainError(f"条件的取值应为第 {condition.order} 题的一个选项。", field="condition_value")
        out["condition_question"], out["condition_value"] = condition, value
    return out


@transaction.atomic
def question_add(*, actor: User | None, survey: Survey, data: QuestionInput) -> Question:
    _manage(actor, survey)
    survey = _lock(survey)
    _draft(survey)
    count = survey.questions.count()
    if count >= MAX_QUESTIONS:
        raise DomainError(f"一份问卷最多 {MAX_QUESTIONS} 题。")
    values = _check_question(survey, data)
    question = Question.objects.create(survey=survey, order=count + 1, **values)
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        obj=survey,
        changes={"question_added": [None, f"{question.order}. {question.text}"]},
    )
    return question


@transaction.atomic
def question_update(*, actor: User | None, question: Question, data: QuestionInput) -> Question:
    survey = question.survey
    _manage(actor, survey)
    survey = _lock(survey)
    _draft(survey)
    values = _check_question(survey, data, this=question)
    before = question.text
    for key, value in values.items():
        setattr(question, key, value)
    question.save()
    # A dependent whose condition value is no longer an option would never show: drop its condition.
    for dependent in question.dependents.all():
        if dependent.condition_value not in question.options:
            dependent.condition_question, dependent.condition_value = None, ""
            dependent.save(update_fields=["condition_question", "condition_value"])
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        obj=survey,
        changes={f"question_{question.order}": [before, question.text]},
    )
    return question


def _renumber(survey: Survey) -> None:
    for position, q in enumerate(survey.questions.order_by("order", "pk"), start=1):
        if q.order != position:
            Question.objects.filter(pk=q.pk).update(order=position)


@transaction.atomic
def question_delete(*, actor: User | None, question: Question) -> None:
    survey = question.survey
    _manage(actor, survey)
    survey = _lock(survey)
    _draft(survey)
    text = f"{question.order}. {question.text}"
    question.dependents.update(condition_question=None, condition_value="")
    question.delete()
    _renumber(survey)
    audit_record(actor=actor, action=Action.UPDATE, obj=survey, changes={"question_deleted": [text, None]})


@transaction.atomic
def question_move(*, actor: User | None, question: Question, up: bool) -> None:
    survey = question.survey
    _manage(actor, survey)
    survey = _lock(survey)
    _draft(survey)
    questions = list(survey.questions.order_by("order", "pk"))
    i = next(i for i, q in enumerate(questions) if q.pk == question.pk)
    j = i - 1 if up else i + 1
    if not 0 <= j < len(questions):
        return
    a, b = questions[i], questions[j]
    first, second = (b, a) if up else (a, b)  # `second` ends up before `first`
    if second.condition_question_id == first.pk:
        raise DomainError("有显示条件的题目必须排在它所引用的题目之后。")
    questions[i], questions[j] = b, a
    for position, q in enumerate(questions, start=1):
        Question.objects.filter(pk=q.pk).update(order=position)


# --- who is asked ------------------------------------------------------------------------------


def _frame(survey: Survey) -> list[tuple[int, str, int, str]]:
    """(unit id, grid path, grid id, label) of everyone the survey may ask, sorted (the draw sorts anyway)."""
    area = survey.area
    active = Resident.objects.filter(status=ResidentStatus.ACTIVE).filter(
        subtree_q([area.path], "grid__path")
    )
    if survey.target == Target.GROUPS:
        rows = (
            active.filter(tag_links__tag__in=survey.target_tags.all())
            .distinct()
            .values_list("pk", "grid__path", "grid_id", "name", "house__room_number")
        )
        return [(pk, path, gid, name + (f" · {room}" if room else "")) for pk, path, gid, name, room in rows]
    if survey.sample_unit == SampleUnit.RESIDENT:
        rows = active.values_list("pk", "grid__path", "grid_id", "name", "house__room_number")
        return [(pk, path, gid, name + (f" · {room}" if room else "")) for pk, path, gid, name, room in rows]
    households = (
        Household.objects.filter(subtree_q([area.path], "house__building__grid__path"))
        # Someone active lives there: registered as a member, or (ledgers that keep no households' members)
        # living in its house.
        .filter(Q(members__status=ResidentStatus.ACTIVE) | Q(house__residents__status=ResidentStatus.ACTIVE))
        .distinct()
        .values_list(
            "pk",
            "house__building__grid__path",
            "house__building__grid_id",
            "house__building__number",
            "house__entrance__number",
            "house__room_number",
        )
    )
    return [
        (pk, path, gid, f"{house_label(building, entrance, room)}户")
        for pk, path, gid, building, entrance, room in households
    ]


@transaction.atomic
def survey_draw(*, actor: User | None, survey: Survey, seed: str = "") -> Survey:
    """Make the list of who is asked: everyone of the key groups, or a sample stratified by grid with a seed
    that is published (given, or a fresh one), so the same registry and seed give the same sample."""
    _manage(actor, survey)
    survey = _lock(survey)
    _draft(survey)
    if not survey.uses_invitations:
        raise DomainError("面向辖区全体的问卷不需要生成名单。")
    seed = (seed or "").strip() or sampling.new_seed()
    if len(seed) > 64 or not seed.isprintable():
        raise DomainError("随机种子最多 64 个字符。", field="seed")
    frame = _frame(survey)
    if not frame:
        raise DomainError("调查范围内没有符合条件的对象（户或居民），无法生成名单。")
    info = {unit: (path, gid, label) for unit, path, gid, label in frame}
    size = len(frame) if survey.target == Target.GROUPS else min(survey.sample_size, len(frame))
    keep = (
        size
        if survey.target == Target.GROUPS
        else min(len(frame), size + math.ceil(size * REPLACEMENT_SHARE))
    )
    order = sampling.draw(((unit, path) for unit, path, _, _ in frame), seed, size)[:keep]
    survey.invitations.all().delete()
    household = survey.sample_unit == SampleUnit.HOUSEHOLD and survey.target == Target.SAMPLE
    Invitation.objects.bulk_create(
        [
            Invitation(
                survey=survey,
                grid_id=info[int(d.unit)][1],  # type: ignore[call-overload]  # units are the frame's ids
                household_id=int(d.unit) if household else None,  # type: ignore[call-overload]
                resident_id=None if household else int(d.unit),  # type: ignore[call-overload]
                label=info[int(d.unit)][2][:120],  # type: ignore[call-overload]
                rank=d.rank,
                in_sample=d.in_sample,
                token=_new_key(),
            )
            for d in order
        ],
        batch_size=1000,
    )
    before = survey.sample_seed
    survey.sample_seed, survey.sample_drawn_at, survey.frame_size = seed, timezone.now(), len(frame)
    survey.save(update_fields=["sample_seed", "sample_drawn_at", "frame_size"])
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        obj=survey,
        changes={
            "sample_seed": [before or None, seed],
            "frame_size": [None, len(frame)],
            "sample": [None, size],
        },
    )
    return survey


@transaction.atomic
def invitation_decline(*, actor: User | None, invitation: Invitation, note: str) -> Invitation | None:
    """Mark a sampled unit as refused or unreachable; the next replacement of the same grid joins the sample.
    Returns that replacement (None if the grid has none left)."""
    require(actor, Capability.WRITE)
    require_path_in_scope(actor, invitation.grid.path)
    note = clean_text(note, field="note", label="原因", required=True, limit=200)
    invitation = Invitation.objects.select_for_update().select_related("grid", "survey").get(pk=invitation.pk)
    if invitation.survey.status == Status.CLOSED:
        raise DomainError("问卷已结束。")
    if invitation.state != Invitation.State.WAITING or not invitation.in_sample:
        raise DomainError("只有样本中待答的对象可以标记为拒答或无法联系。")
    invitation.state, invitation.note = Invitation.State.DECLINED, note
    invitation.save(update_fields=["state", "note"])
    replacement = (
        Invitation.objects.select_for_update()
        .filter(
            survey=invitation.survey, grid=invitation.grid, in_sample=False, state=Invitation.State.WAITING
        )
        .order_by("rank")
        .first()
    )
    if replacement is not None:
        replacement.in_sample = True
        replacement.save(update_fields=["in_sample"])
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        obj=invitation,
        changes={
            "state": ["waiting", "declined"],
            "note": [None, note],
            "replacement": [None, replacement.rank if replacement else None],
        },
    )
    return replacement


# --- answers -------------------------------------------------------------------------------------


Fields = Mapping[str, Sequence[str]]


@dataclass
class Value:
    question: Question
    row: int = 0
    option: int | None = None
    number: float | None = None
    day: date | None = None
    text: str = ""
    first: bool = True


def _visible(question: Question, chosen: dict[int, set[str]], shown: dict[int, bool]) -> bool:
    if question.condition_question_id is None:
        return True
    parent = question.condition_question_id
    return shown.get(parent, False) and question.condition_value in chosen.get(parent, set())


def check_answers(survey: Survey, fields: Fields, questions: Sequence[Question] | None = None) -> list[Value]:
    """The values of a filled form (field name → list of strings: `q<id>`, `q<id>_<row>` for a matrix row),
    checked against the questions. Questions hidden by their condition are ignored, whatever was sent."""
    questions = list(questions if questions is not None else survey.questions.order_by("order", "pk"))
    chosen: dict[int, set[str]] = {}
    shown: dict[int, bool] = {}
    values: list[Value] = []

    def first(name: str) -> str:
        got = [v for v in fields.get(name, ()) if str(v).strip()]
        if len(got) > 1:
            raise DomainError("同一题只能有一个答案。", field=name)
        return str(got[0]).strip() if got else ""

    for q in questions:
        name = f"q{q.pk}"
        n = q.order
        visible = _visible(q, chosen, shown)
        shown[q.pk] = visible
        if not visible:
            continue
        missing = DomainError(f"第 {n} 题“{q.text}”为必答题，请作答。", field=name)
        if q.kind == Kind.SINGLE:
            v = first(name)
            if v:
                if v not in q.options:
                    raise DomainError(f"第 {n} 题的答案“{v[:20]}”不是它的选项。", field=name)
                chosen[q.pk] = {v}
                values.append(Value(q, option=q.options.index(v)))
            elif q.required:
                raise missing
        elif q.kind == Kind.MULTIPLE:
            picked = [str(v).strip() for v in fields.get(name, ()) if str(v).strip()]
            for v in picked:
                if v not in q.options:
                    raise DomainError(f"第 {n} 题的答案“{v[:20]}”不是它的选项。", field=name)
            picked = list(dict.fromkeys(picked))
            if not picked and q.required:
                raise missing
            chosen[q.pk] = set(picked)
            values.extend(Value(q, option=q.options.index(v), first=i == 0) for i, v in enumerate(picked))
        elif q.kind == Kind.MATRIX:
            answered = 0
            for r, row in enumerate(q.rows):
                v = first(f"{name}_{r}")
                if not v:
                    continue
                if v not in q.options:
                    raise DomainError(f"第 {n} 题“{row}”一行的答案“{v[:20]}”不是它的选项。", field=name)
                values.append(Value(q, row=r, option=q.options.index(v)))
                answered += 1
            if q.required and answered < len(q.rows):
                raise DomainError(f"第 {n} 题“{q.text}”为必答题，请为每一行作答。", field=name)
        elif q.kind in (Kind.NUMBER, Kind.RATING):
            v = first(name)
            if not v:
                if q.required:
                    raise missing
                continue
            try:
                number = float(v)
            except ValueError:
                raise DomainError(f"第 {n} 题应填写数字。", field=name) from None
            if not math.isfinite(number):
                raise DomainError(f"第 {n} 题应填写数字。", field=name)
            if q.kind == Kind.RATING and (number != int(number) or not 1 <= number <= (q.max_value or 5)):
                raise DomainError(f"第 {n} 题的评分应为 1 至 {int(q.max_value or 5)} 的整数。", field=name)
            if q.min_value is not None and number < q.min_value:
                raise DomainError(f"第 {n} 题的数值不能小于 {q.min_value:g}。", field=name)
            if q.max_value is not None and number > q.max_value:
                raise DomainError(f"第 {n} 题的数值不能大于 {q.max_value:g}。", field=name)
            values.append(Value(q, number=number, option=int(number) - 1 if q.kind == Kind.RATING else None))
        elif q.kind == Kind.DATE:
            v = first(name)
            if not v:
                if q.required:
                    raise missing
                continue
            try:
                day = date.fromisoformat(v)
            except ValueError:
                raise DomainError(f"第 {n} 题应填写日期（年-月-日）。", field=name) from None
            if not date(1900, 1, 1) <= day <= date(2100, 12, 31):
                raise DomainError(f"第 {n} 题的日期超出范围。", field=name)
            values.append(Value(q, day=day))
        else:  # text
            raw = first(name)
            text = clean_text(raw, field=name, label=f"第 {n} 题", limit=MAX_TEXT_ANSWER)
            if not text:
                if q.required:
                    raise missing
                continue
            values.append(Value(q, text=text))
    return values


def client_hash(value: str) -> str:
    """A hash of a cookie or address with the site's secret: the duplicate check keeps no raw address."""
    return hashlib.sha256(f"{settings.SECRET_KEY}\x1f{value}".encode()).hexdigest()


def _tags_of(invitation: Invitation | None) -> list[int]:
    if invitation is None:
        return []
    if invitation.resident_id:
        return list(
            ResidentTag.objects.filter(resident_id=invitation.resident_id).values_list("tag_id", flat=True)
        )
    if invitation.household_id:
        members = ResidentTag.objects.filter(resident__status=ResidentStatus.ACTIVE)
        tags = set(
            members.filter(resident__household_id=invitation.household_id).values_list("tag_id", flat=True)
        )
        house = (
            Household.objects.filter(pk=invitation.household_id).values_list("house_id", flat=True).first()
        )
        if house is not None:
            living = members.filter(resident__house_id=house, resident__household=None)
            tags |= set(living.values_list("tag_id", flat=True))
        return sorted(tags)
    return []


@transaction.atomic
def response_submit(
    *,
    actor: User | None,
    survey: Survey,
    fields: Fields,
    channel: str,
    token: str = "",
    grid: Area | None = None,
    response_uuid: uuidlib.UUID | None = None,
    submitted_at: datetime | None = None,
    client: str = "",
    ip: str = "",
) -> Response:
    """Record one filled questionnaire. `actor` is the grid worker for door-to-door answers and None for
    residents answering by link. Refused (DomainError) before any row is written."""
    survey = Survey.objects.select_for_update().select_related("area").get(pk=survey.pk)
    if survey.status != Status.OPEN:
        raise DomainError(
            "问卷已结束，不再接收答卷。" if survey.status == Status.CLOSED else "问卷尚未发布，暂不接收答卷。"
        )
    if channel not in Channel.values:
        raise DomainError("未知的填报渠道。")
    invitation: Invitation | None = None
    client_h = ip_h = ""
    if channel == Channel.DOOR:
        require(actor, Capability.WRITE)
        if not Survey.objects.visible_to(actor).filter(pk=survey.pk).exists() and actor is not None:
            raise NotFound()
    if token:
        invitation = (
            Invitation.objects.select_for_update()
            .select_related("grid")
            .filter(survey=survey, token=token)
            .first()
        )
        if invitation is None:
            raise DomainError("答题链接无效：请使用社区发给您的链接或二维码。", field="token")
        if invitation.state == Invitation.State.ANSWERED:
            raise DomainError("这个答题链接已经使用过，每个链接只能提交一次。", field="token")
        if invitation.state == Invitation.State.DECLINED or not invitation.in_sample:
            raise DomainError("这个答题链接当前不在调查名单中。", field="token")
        if channel == Channel.DOOR and actor is not None:
            require_path_in_scope(actor, invitation.grid.path)
        grid = invitation.grid
    elif survey.uses_invitations:
        if channel == Channel.OPEN_LINK:
            raise DomainError("本问卷只面向调查名单中的对象，请使用专属链接或二维码作答。")
        raise DomainError("本问卷只面向调查名单中的对象：请选择被访的户或居民。", field="token")
    elif channel == Channel.INVITATION:
        raise DomainError("答题链接无效：请使用社区发给您的链接或二维码。", field="token")
    if channel == Channel.OPEN_LINK:
        if not survey.open_link:
            raise DomainError("本问卷未开放公开链接。")
        client_h = client_hash(client) if client else ""
        ip_h = client_hash(f"{survey.pk}:{ip}") if ip else ""
        if client_h and Response.objects.filter(survey=survey, client_hash=client_h).exists():
            raise DomainError("您已经提交过本问卷，感谢参与。", code="duplicate")
        since = timezone.now() - timedelta(hours=1)
        if (
            ip_h
            and Response.objects.filter(survey=survey, ip_hash=ip_h, received_at__gte=since).count()
            >= OPEN_LINK_PER_HOUR
        ):
            raise RateLimited("同一网络提交过于频繁，请稍后再试。")
    if channel == Channel.DOOR and invitation is None:
        if grid is None:
            raise DomainError("请选择被访户所在的网格。", field="grid")
        if grid.kind != Area.Kind.GRID or not path_in_scope(grid.path, [survey.area.path]):
            raise DomainError("网格不在本问卷的调查范围内。", field="grid")
        if actor is not None:
            require_path_in_scope(actor, grid.path)
    values = check_answers(survey, fields)
    if not values:
        raise DomainError("答卷是空的：请至少回答一题。")
    now = timezone.now()
    when = submitted_at or now
    if when > now + timedelta(minutes=10) or when < (survey.opened_at or now) - timedelta(days=1):
        when = now  # a phone's clock set wrong: keep the time we received it
    try:
        with transaction.atomic():
            response = Response.objects.create(
                survey=survey,
                uuid=response_uuid or uuidlib.uuid4(),
                channel=channel,
                grid=grid,
                collected_by=_actor(actor) if channel == Channel.DOOR else None,
                submitted_at=when,
                client_hash=client_h,
                ip_hash=ip_h,
            )
    except IntegrityError:
        raise DomainError("这份答卷已经上传过。", code="duplicate") from None
    grid_id = grid.pk if grid is not None else None
    Answer.objects.bulk_create(
        [
            Answer(
                response=response,
                survey=survey,
                question=v.question,
                grid_id=grid_id,
                row=v.row,
                option=v.option,
                number=v.number,
                day=v.day,
                text=v.text,
                first=v.first,
            )
            for v in values
        ]
    )
    tags = sorted(set(_tags_of(invitation)))
    if tags:
        ResponseTag.objects.bulk_create(
            [ResponseTag(response=response, survey=survey, tag_id=t) for t in tags]
        )
    # The results' running counts, in this transaction (the survey row is locked above).
    tallies.add(
        survey_id=survey.pk,
        grid=grid_id or 0,
        channel=channel,
        cells=tallies.cells_of(
            ((v.question, v.row, v.option, v.number, v.first) for v in values), grid_id or 0, tags
        ),
    )
    if invitation is not None:
        invitation.state, invitation.answered_at = Invitation.State.ANSWERED, now
        invitation.save(update_fields=["state", "answered_at"])
    Survey.objects.filter(pk=survey.pk).update(response_count=F("response_count") + 1)
    if channel == Channel.DOOR:
        # Who entered what is audited; what a resident answered by link is theirs alone.
        audit_record(
            actor=actor,
            action=Action.CREATE,
            obj=response,
            area_path=grid.path if grid else survey.area.path,
            object_repr=f"{survey.title} · 入户答卷",
        )
    return response


@dataclass
class UploadOutcome:
    uuid: str
    status: str  # saved | duplicate | refused
    message: str = ""


def responses_upload(
    *, actor: User | None, survey: Survey, items: Sequence[Mapping[str, Any]]
) -> list[UploadOutcome]:
    """Door-to-door answers queued on a phone, sent together. Each is saved on its own: one refused answer
    (say its household already answered by link) does not hold back the others. An answer whose UUID is
    already stored is reported as a duplicate and not counted again, so the phone may resend safely."""
    require(actor, Capability.WRITE)
    if len(items) > MAX_BATCH:
        raise DomainError(f"一次最多上传 {MAX_BATCH} 份答卷。")
    outcomes: list[UploadOutcome] = []
    for item in items:
        raw_uuid = str(item.get("uuid", ""))
        try:
            key = uuidlib.UUID(raw_uuid)
        except ValueError:
            outcomes.append(UploadOutcome(raw_uuid[:40], "refused", "答卷编号无效。"))
            continue
        existing = Response.objects.filter(uuid=key).values_list("survey_id", flat=True).first()
        if existing is not None:
            if existing == survey.pk:
                outcomes.append(UploadOutcome(str(key), "duplicate", "已上传过，未重复计入。"))
            else:
                outcomes.append(UploadOutcome(str(key), "refused", "答卷编号与其他问卷冲突。"))
            continue
        fields_raw = item.get("fields") or {}
        if not isinstance(fields_raw, Mapping):
            outcomes.append(UploadOutcome(str(key), "refused", "答卷内容格式不对。"))
            continue
        fields = {
            str(k): [str(x) for x in (v if isinstance(v, list) else [v]) if x is not None]
            for k, v in fields_raw.items()
        }
        grid = None
        if (grid_id := parse_id(item.get("grid"))) is not None:
            grid = Area.objects.filter(pk=grid_id).first()
        when = parse_datetime(str(item.get("submitted_at") or "")) if item.get("submitted_at") else None
        if when is not None and timezone.is_naive(when):
            when = timezone.make_aware(when)
        try:
            response_submit(
                actor=actor,
                survey=survey,
                fields=fields,
                channel=Channel.DOOR,
                token=str(item.get("token") or ""),
                grid=grid,
                response_uuid=key,
                submitted_at=when,
            )
        except DomainError as exc:
            status = "duplicate" if exc.code == "duplicate" else "refused"
            outcomes.append(UploadOutcome(str(key), status, exc.message))
            continue
        outcomes.append(UploadOutcome(str(key), "saved"))
    return outcomes


@transaction.atomic
def survey_recount(*, actor: User | None, survey: Survey) -> int:
    """Rebuild the survey's running counts from its answers (an operator's repair, when `linli check` found
    them different). Returns how many cells differed; audited."""
    survey = _lock(survey)
    _manage(actor, survey)
    differences = len(tallies.mismatches(survey.pk))
    tallies.rebuild(survey.pk)
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        obj=survey,
        changes={"tallies": [differences, 0]},
        object_repr=f"{survey.title} · 重新统计",
    )
    return differences


def survey_by_id(actor: User | None, pk: int) -> Survey:
    survey = (
        (Survey.objects.visible_to(actor) if actor is not None else Survey.objects.all())
        .filter(pk=pk)
        .first()
    )
    if survey is None:
        raise NotFound()
    return survey


def q_in(paths: Iterable[str]) -> Q:
    return subtree_q(paths, "grid__path")
