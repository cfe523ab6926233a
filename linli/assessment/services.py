"""Every write of assessment goes through here (duties, one-off tasks, rounds, the draw, invitations,
ratings, checks, scores, profiles, weightings and the two-way evaluation).

Refusals that matter for trust — a second rating with one token, a rating after the round closed, a draw
with a seed other than the published one — are written to the audit log in a transaction of their own
before the error is raised, so the refusal is on record although nothing else is written.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import partial
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from linli.accounts.roles import Capability, Role
from linli.areas.models import Area
from linli.assessment.models import (
    REASON_REQUIRED,
    Agreement,
    Basis,
    CaseReview,
    Channel,
    DepartmentReview,
    Duty,
    DutyKind,
    EntryState,
    Grade,
    OneOffTask,
    Rating,
    RatingSeal,
    Round,
    RoundKind,
    RoundStatus,
    RoundWorker,
    SampleEntry,
    TaskStatus,
    Validity,
    Weighting,
    WorkerProfile,
)
from linli.core import sampling, sms
from linli.core.audit import Action, audit_record
from linli.core.errors import DomainError, Forbidden, NotFound
from linli.core.permissions import require, require_path_in_scope
from linli.core.scoping import path_in_scope, subtree_q
from linli.core.validation import clean_text

if TYPE_CHECKING:
    from linli.accounts.models import User
    from linli.cases.models import Case, Department

WORKER_ROLES = (Role.COMMUNITY_LEADER, Role.COMMUNITY_WORKER, Role.GRID_WORKER)
MAX_PHOTO_BYTES = 2 * 1024 * 1024
TOKEN_BYTES = 12  # 16 URL-safe characters, as LimeSurvey's closed-access tokens (15)


def _today() -> date:
    return timezone.localdate()


def _text(value: str, *, field: str, max_length: int, required: bool = False, label: str = "内容") -> str:
    return clean_text(value, field=field, label=label, required=required, limit=max_length)


def _refuse(*, actor: User | None, obj: Any, code: str, message: str, **details: Any) -> None:
    """Record the refused attempt (its own transaction: the refusal must survive), then refuse."""
    with transaction.atomic():
        audit_record(actor=actor, action=Action.UPDATE, obj=obj, changes={"refused": code, **details})
    raise DomainError(message, code=code)


def _assessing_area(actor: User | None, area: Area) -> None:
    require(actor, Capability.ASSESS)
    require_path_in_scope(actor, area.path)
    if area.kind not in (Area.Kind.STREET, Area.Kind.COMMUNITY):
        raise DomainError("考核只能按社区或街道组织。", field="area")


def street_of(area: Area) -> Area:
    """The street above (or at) an area; weightings are the street's."""
    node: Area | None = area
    while node is not None and node.kind != Area.Kind.STREET:
        node = node.parent
    if node is None:
        raise DomainError("该区域不属于任何街道。", field="area")
    return node


# --- duties (服务规范) --------------------------------------------------------------------------


def duty_create(
    *,
    actor: User | None,
    area: Area,
    kind: str,
    title: str,
    standard: str,
    role: str = "",
    department: Department | None = None,
) -> Duty:
    _assessing_area(actor, area)
    if kind not in DutyKind.values:
        raise DomainError("请选择职责类别。", field="kind")
    if kind in (DutyKind.ROUTINE, DutyKind.ONE_OFF):
        if role not in [r.value for r in WORKER_ROLES]:
            raise DomainError("请选择岗位。", field="role")
        department = None
    else:
        if department is None:
            raise DomainError("部门清单须指定职能部门。", field="department")
        role = ""
    duty = Duty(
        area=area,
        kind=kind,
        role=role,
        department=department,
        title=_text(title, field="title", max_length=100, required=True, label="职责"),
        standard=_text(standard, field="standard", max_length=300, required=True, label="考核标准"),
    )
    with transaction.atomic():
        duty.save()
        audit_record(actor=actor, action=Action.CREATE, obj=duty)
    return duty


def duty_update(*, actor: User | None, duty: Duty, title: str, standard: str, active: bool) -> Duty:
    _assessing_area(actor, duty.area)
    with transaction.atomic():
        locked = Duty.objects.select_for_update().get(pk=duty.pk)
        before = {"title": locked.title, "standard": locked.standard, "active": locked.active}
        locked.title = _text(title, field="title", max_length=100, required=True, label="职责")
        locked.standard = _text(standard, field="standard", max_length=300, required=True, label="考核标准")
        locked.active = active
        locked.save()
        after = {"title": locked.title, "standard": locked.standard, "active": locked.active}
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            obj=locked,
            changes={k: [before[k], after[k]] for k in before if before[k] != after[k]},
        )
    return locked


# --- one-off tasks (突击任务) --------------------------------------------------------------------


def task_create(
    *,
    actor: User | None,
    area: Area,
    title: str,
    standard: str,
    start_date: date,
    deadline: date,
    workers: list[User],
    description: str = "",
) -> OneOffTask:
    _assessing_area(actor, area)
    if deadline < start_date:
        raise DomainError("截止日期不能早于开始日期。", field="deadline")
    people = _workers_in(area, workers)
    task = OneOffTask(
        area=area,
        title=_text(title, field="title", max_length=100, required=True, label="任务名称"),
        standard=_text(standard, field="standard", max_length=300, required=True, label="考核标准"),
        description=_text(description, field="description", max_length=2000),
        start_date=start_date,
        deadline=deadline,
    )
    with transaction.atomic():
        task.save()
        task.workers.set(people)
        audit_record(actor=actor, action=Action.CREATE, obj=task, changes={"workers": [u.pk for u in people]})
    return task


def task_close(*, actor: User | None, task: OneOffTask, result: str, closed_on: date | None = None) -> Round:
    """End the task and open its assessment at once ("任务完成时立即进行考核评价")."""
    _assessing_area(actor, task.area)
    closed_on = closed_on or _today()
    with transaction.atomic():
        locked = OneOffTask.objects.select_for_update().get(pk=task.pk)
        if locked.status != TaskStatus.OPEN:
            raise DomainError("该任务已结束或已取消。")
        if closed_on < locked.start_date:
            raise DomainError("完成日期不能早于开始日期。", field="closed_on")
        locked.status = TaskStatus.CLOSED
        locked.closed_on = closed_on
        locked.result = _text(result, field="result", max_length=300, required=True, label="完成情况")
        locked.save()
        audit_record(actor=actor, action=Action.UPDATE, obj=locked, changes={"status": ["open", "closed"]})
        round_ = round_create(
            actor=actor,
            area=locked.area,
            kind=RoundKind.TASK,
            title=f"突击任务考核：{locked.title}",
            period_start=locked.start_date,
            period_end=closed_on,
            workers=list(locked.workers.all()),
            task=locked,
        )
    return round_


def task_cancel(*, actor: User | None, task: OneOffTask, reason: str) -> OneOffTask:
    _assessing_area(actor, task.area)
    with transaction.atomic():
        locked = OneOffTask.objects.select_for_update().get(pk=task.pk)
        if locked.status != TaskStatus.OPEN:
            raise DomainError("该任务已结束或已取消。")
        locked.status = TaskStatus.CANCELLED
        locked.result = _text(reason, field="reason", max_length=300, required=True, label="取消原因")
        locked.save()
        audit_record(actor=actor, action=Action.UPDATE, obj=locked, changes={"status": ["open", "cancelled"]})
    return locked


# --- rounds ------------------------------------------------------------------------------------


def eligible_workers(area: Area) -> list[User]:
    """Staff bound inside the area whose role is assessed (community leaders, workers, grid workers)."""
    from linli.accounts.models import User

    return list(
        User.objects.filter(
            is_active=True,
            role__in=[r.value for r in WORKER_ROLES],
            bindings__area__in=Area.objects.filter(subtree_q([area.path], "path")),
        )
        .distinct()
        .order_by("full_name", "username")
    )


def _workers_in(area: Area, workers: list[User]) -> list[User]:
    allowed = {u.pk for u in eligible_workers(area)}
    if not workers:
        raise DomainError("请至少选择一名被考核人员。", field="workers")
    stray = [u for u in workers if u.pk not in allowed]
    if stray:
        raise DomainError(f"{stray[0].display_name} 不在该区域的被考核人员中。", field="workers")
    return workers


def round_create(
    *,
    actor: User | None,
    area: Area,
    kind: str,
    title: str,
    period_start: date,
    period_end: date,
    workers: list[User],
    min_sample: int = 30,
    auditor: User | None = None,
    task: OneOffTask | None = None,
) -> Round:
    _assessing_area(actor, area)
    if kind not in RoundKind.values:
        raise DomainError("请选择考核类别。", field="kind")
    if period_end < period_start:
        raise DomainError("考核期结束日期不能早于开始日期。", field="period_end")
    if not 1 <= min_sample <= 500:
        raise DomainError("每人最少抽样数应在 1 到 500 之间。", field="min_sample")
    if auditor is not None:
        _check_auditor(auditor, area)
    people = _workers_in(area, workers)
    round_ = Round(
        area=area,
        kind=kind,
        title=_text(title, field="title", max_length=100, required=True, label="名称"),
        period_start=period_start,
        period_end=period_end,
        min_sample=min_sample,
        auditor=auditor,
        task=task,
    )
    with transaction.atomic():
        round_.save()
        RoundWorker.objects.bulk_create([RoundWorker(round=round_, worker=u) for u in people])
        audit_record(
            actor=actor, action=Action.CREATE, obj=round_, changes={"workers": [u.pk for u in people]}
        )
    return round_


def _check_auditor(auditor: User, area: Area) -> None:
    if not auditor.can(Capability.AUDIT_RATINGS) or not path_in_scope(area.path, auditor.scope_paths()):
        raise DomainError("审核人须有评议审核权限且管辖该区域。", field="auditor")


def round_update(
    *,
    actor: User | None,
    round: Round,
    title: str,
    period_start: date,
    period_end: date,
    workers: list[User],
    min_sample: int,
    auditor: User | None,
) -> Round:
    """Change a round being prepared. Once open, the frame, seed and sample are fixed."""
    _assessing_area(actor, round.area)
    if period_end < period_start:
        raise DomainError("考核期结束日期不能早于开始日期。", field="period_end")
    if not 1 <= min_sample <= 500:
        raise DomainError("每人最少抽样数应在 1 到 500 之间。", field="min_sample")
    if auditor is not None:
        _check_auditor(auditor, round.area)
    people = _workers_in(round.area, workers)
    with transaction.atomic():
        locked = Round.objects.select_for_update().get(pk=round.pk)
        if locked.status != RoundStatus.DRAFT:
            raise DomainError("考核已开始，不能再修改范围和抽样规则。")
        locked.title = _text(title, field="title", max_length=100, required=True, label="名称")
        locked.period_start, locked.period_end = period_start, period_end
        locked.min_sample, locked.auditor = min_sample, auditor
        locked.save()
        RoundWorker.objects.filter(round=locked).exclude(worker__in=people).delete()
        have = set(RoundWorker.objects.filter(round=locked).values_list("worker_id", flat=True))
        RoundWorker.objects.bulk_create(
            [RoundWorker(round=locked, worker=u) for u in people if u.pk not in have]
        )
        audit_record(
            actor=actor, action=Action.UPDATE, obj=locked, changes={"workers": [u.pk for u in people]}
        )
    return locked


@dataclass(frozen=True)
class FrameUnit:
    resident_id: int
    stratum: str
    service_on: date
    service_text: str


def excluded_residents(worker_ids: list[int]) -> dict[int, set[int]]:
    """Worker → residents left out of their frame: their own record and everyone in their household
    (the relatives the registry records: 与户主关系)."""
    from linli.registry.models import Resident

    out: dict[int, set[int]] = {w: set() for w in worker_ids}
    own = dict(
        WorkerProfile.objects.filter(user_id__in=worker_ids, resident__isnull=False).values_list(
            "user_id", "resident_id"
        )
    )
    if not own:
        return out
    households = dict(Resident.objects.filter(pk__in=own.values()).values_list("pk", "household_id"))
    members: dict[int, set[int]] = {}
    for pk, household in Resident.objects.filter(
        household_id__in=[h for h in households.values() if h]
    ).values_list("pk", "household_id"):
        members.setdefault(household, set()).add(pk)
    for worker, resident in own.items():
        out[worker] = {resident} | members.get(households.get(resident) or -1, set())
    return out


def build_frame(round: Round) -> dict[int, list[FrameUnit]]:
    """For each worker of the round: the residents they actually served in the period — cases they
    received, or handled/were assigned to closure, and visits they made — one unit per resident (the
    latest service), reachable (active, with a phone), not of their own household."""
    from linli.cases.models import Case
    from linli.cases.models import Status as CaseStatus
    from linli.cases.selectors import period_bounds
    from linli.registry.models import Resident, ResidentStatus
    from linli.visits.models import Visit

    worker_ids = list(RoundWorker.objects.filter(round=round).values_list("worker_id", flat=True))
    start, end = period_bounds(round.period_start, round.period_end)
    in_area = subtree_q([round.area.path], "area__path")
    latest: dict[tuple[int, int], tuple[date, str]] = {}

    def served(worker: int | None, resident: int | None, day: date, text: str) -> None:
        if worker is None or resident is None or worker not in worker_ids:
            return
        key = (worker, resident)
        if key not in latest or latest[key][0] < day:
            latest[key] = (day, text)

    cases = Case.objects.filter(in_area, resident__isnull=False).filter(
        Q(first_receiver_id__in=worker_ids, received_at__gte=start, received_at__lt=end)
        | Q(status=CaseStatus.CLOSED, closed_at__gte=start, closed_at__lt=end)
        & (Q(handler_id__in=worker_ids) | Q(assignee_id__in=worker_ids))
    )
    for c in cases.values(
        "resident_id", "title", "first_receiver_id", "handler_id", "assignee_id", "received_at", "closed_at"
    ):
        received = timezone.localtime(c["received_at"])
        if start <= c["received_at"] < end:
            served(c["first_receiver_id"], c["resident_id"], received.date(), f"为您受理：{c['title']}")
        if c["closed_at"] is not None and start <= c["closed_at"] < end:
            day = timezone.localtime(c["closed_at"]).date()
            for who in {c["handler_id"], c["assignee_id"]}:
                served(who, c["resident_id"], day, f"为您办理：{c['title']}")
    visits = Visit.objects.filter(
        subtree_q([round.area.path], "grid__path"),
        visitor_id__in=worker_ids,
        visited_on__gte=round.period_start,
        visited_on__lte=round.period_end,
    ).filter(Q(resident__isnull=False) | Q(household__head__isnull=False))
    modes = dict(Visit._meta.get_field("mode").choices or [])
    for v in visits.values("visitor_id", "resident_id", "household__head_id", "visited_on", "mode"):
        served(
            v["visitor_id"],
            v["resident_id"] or v["household__head_id"],
            v["visited_on"],
            f"走访您家（{modes.get(v['mode'], v['mode'])}）",
        )
    residents = dict(
        Resident.objects.filter(pk__in={r for _, r in latest}, status=ResidentStatus.ACTIVE)
        .exclude(phone="")
        .values_list("pk", "grid__path")
    )
    excluded = excluded_residents(worker_ids)
    frames: dict[int, list[FrameUnit]] = {w: [] for w in worker_ids}
    for (worker, resident), (day, text) in sorted(latest.items()):
        if resident in residents and resident not in excluded[worker]:
            frames[worker].append(
                FrameUnit(resident, residents[resident], day, f"{day:%Y-%m-%d} {text}"[:160])
            )
    return frames


def draw_order(frame: list[FrameUnit], seed: str, size: int) -> list[tuple[FrameUnit, sampling.Drawn]]:
    units = {u.resident_id: u for u in frame}
    return [
        (units[d.unit], d)  # type: ignore[index]
        for d in sampling.draw([(u.resident_id, u.stratum) for u in frame], seed, size)
    ]


def round_open(*, actor: User | None, round: Round, seed: str = "") -> Round:
    """Fix and publish the seed, freeze every worker's frame in draw order and invite the first
    `min_sample` of each (everyone if fewer)."""
    _assessing_area(actor, round.area)
    seed = (seed or "").strip() or sampling.new_seed()
    if len(seed) > 64 or not seed.isprintable():
        raise DomainError("随机种子须为不超过 64 个字符的可见文字。", field="seed")
    with transaction.atomic():
        locked = Round.objects.select_for_update().select_related("area").get(pk=round.pk)
        if locked.status != RoundStatus.DRAFT:
            raise DomainError("该考核已开始或已结束。")
        if locked.auditor_id is None:
            raise DomainError("请先指定评议审核人（唯一可查看评议人与评议对应关系的人）。", field="auditor")
        frames = build_frame(locked)
        entries: list[SampleEntry] = []
        for member in RoundWorker.objects.filter(round=locked).select_for_update():
            frame = frames.get(member.worker_id, [])
            member.frame_size = len(frame)
            member.save(update_fields=["frame_size"])
            for unit, drawn in draw_order(frame, seed, locked.min_sample):
                entries.append(
                    SampleEntry(
                        round=locked,
                        worker_id=member.worker_id,
                        resident_id=unit.resident_id,
                        stratum=unit.stratum,
                        rank=drawn.rank,
                        state=EntryState.INVITED if drawn.in_sample else EntryState.RESERVE,
                        service_on=unit.service_on,
                        service_text=unit.service_text,
                    )
                )
        SampleEntry.objects.bulk_create(entries, batch_size=500)
        locked.seed = seed
        locked.seed_published_at = timezone.now()
        locked.status = RoundStatus.OPEN
        locked.opened_at = timezone.now()
        locked.save()
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            obj=locked,
            changes={"status": ["draft", "open"], "seed": ["", seed], "frame": len(entries)},
        )
    return locked


def sample_redraw(
    *, actor: User | None, round: Round, seed: str
) -> list[tuple[int, FrameUnit, sampling.Drawn]]:
    """Re-run a round's draw: anyone may check the published sample. Before the round opens it draws from
    the live frame (a preview); after, from the frozen frame with the published seed only — any other seed
    is refused and audited."""
    if actor is not None:
        require(actor, Capability.ASSESS)
        require_path_in_scope(actor, round.area.path)
    seed = (seed or "").strip()
    if not seed:
        raise DomainError("请给出随机种子。", field="seed")
    if round.seed and seed != round.seed:
        _refuse(
            actor=actor,
            obj=round,
            code="seed_changed",
            message=f"该考核的随机种子已于开启时公布（{round.seed}），不能用其他种子重新抽样。",
            seed=[round.seed, seed],
        )
    if round.seed:
        frames: dict[int, list[FrameUnit]] = {}
        for e in SampleEntry.objects.filter(round=round).order_by("worker_id", "resident_id"):
            frames.setdefault(e.worker_id, []).append(
                FrameUnit(e.resident_id, e.stratum, e.service_on, e.service_text)
            )
    else:
        frames = build_frame(round)
    out = []
    for worker in sorted(frames):
        for unit, drawn in draw_order(frames[worker], seed, round.min_sample):
            out.append((worker, unit, drawn))
    return out


def round_close(*, actor: User | None, round: Round) -> Round:
    _assessing_area(actor, round.area)
    with transaction.atomic():
        locked = Round.objects.select_for_update().get(pk=round.pk)
        if locked.status != RoundStatus.OPEN:
            raise DomainError("只有评议中的考核可以结束。")
        # Unused tokens stay known (hashed) so that a late answer is recognised, refused and audited as
        # "round_closed" rather than lost as an unknown link; no rating is accepted once the round is closed.
        locked.status = RoundStatus.CLOSED
        locked.closed_at = timezone.now()
        locked.save()
        audit_record(actor=actor, action=Action.UPDATE, obj=locked, changes={"status": ["open", "closed"]})
    return locked


def round_cancel(*, actor: User | None, round: Round, reason: str) -> Round:
    _assessing_area(actor, round.area)
    reason = _text(reason, field="reason", max_length=200, required=True, label="取消原因")
    with transaction.atomic():
        locked = Round.objects.select_for_update().get(pk=round.pk)
        if locked.status not in (RoundStatus.DRAFT, RoundStatus.OPEN):
            raise DomainError("已结束的考核不能取消。")
        before = locked.status
        locked.status = RoundStatus.CANCELLED
        locked.closed_at = timezone.now()
        locked.save()
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            obj=locked,
            changes={"status": [before, "cancelled"], "reason": reason},
        )
    return locked


def scores_set(
    *, actor: User | None, member: RoundWorker, street_score: Decimal | None, peer_score: Decimal | None
) -> RoundWorker:
    """The street's and the peers' scores of one worker (0–100), until the round's results are final."""
    round_ = member.round
    _assessing_area(actor, round_.area)
    if actor is not None and actor.pk == member.worker_id:
        raise Forbidden("不能给自己打分。")
    for name, value in (("street_score", street_score), ("peer_score", peer_score)):
        if value is not None and not Decimal(0) <= value <= Decimal(100):
            raise DomainError("分数应在 0 到 100 之间。", field=name)
    with transaction.atomic():
        locked = RoundWorker.objects.select_for_update().select_related("round").get(pk=member.pk)
        if locked.round.status == RoundStatus.CANCELLED:
            raise DomainError("该考核已取消。")
        before = [str(locked.street_score), str(locked.peer_score)]
        locked.street_score, locked.peer_score = street_score, peer_score
        locked.save()
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            obj=locked.round,
            changes={"worker": locked.worker_id, "scores": [before, [str(street_score), str(peer_score)]]},
        )
    return locked


# --- invitations and replacements -------------------------------------------------------------


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def rating_url(token: str) -> str:
    base = getattr(settings, "LINLI_PUBLIC_URL", "").rstrip("/")
    return f"{base}/rate/{token}/"


def issue_token(entry: SampleEntry) -> str | None:
    """Give an invited entry its one-time token (only the hash is kept). The caller delivers it at once —
    invitations_send by text message, the demo by answering — and never stores it."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    updated = SampleEntry.objects.filter(pk=entry.pk, state=EntryState.INVITED).update(
        state=EntryState.SENT, token_hash=_hash(token), sent_on=_today()
    )
    return token if updated else None


def invitations_send(*, actor: User | None, round: Round) -> int:
    """Text a one-time link to every invited resident not yet sent one. The token is shown nowhere else."""
    _assessing_area(actor, round.area)
    if round.status != RoundStatus.OPEN:
        raise DomainError("只有评议中的考核可以发送邀请。")
    sent = 0
    names = _worker_names(round)
    pending = SampleEntry.objects.filter(round=round, state=EntryState.INVITED).select_related("resident")
    for entry in pending:
        with transaction.atomic():
            token = issue_token(entry)
            if token is None:
                continue
            # Sent after commit: a rolled-back invitation must not reach a phone with a dead link.
            text = (
                f"【邻里】{entry.service_text.split(' ', 1)[0]}，{names.get(entry.worker_id, '社区工作人员')}"
                f"{entry.service_text.split(' ', 1)[-1]}。请您对其服务作出评议（链接仅可使用一次）："
                f"{rating_url(token)}"
            )
            phone = entry.resident.phone
            transaction.on_commit(partial(sms.send, phone, text, purpose="assessment_rating"))
        sent += 1
    if sent:
        with transaction.atomic():
            audit_record(actor=actor, action=Action.UPDATE, obj=round, changes={"invitations_sent": sent})
    return sent


def invitation_slips(*, actor: User | None, round: Round, worker_id: int | None = None) -> bytes:
    """Printed invitations with a QR code of each one-time link, for residents a text message does not
    reach (handed over by someone other than the worker). Tokens are issued now and printed once."""
    from linli.core import pdf

    _assessing_area(actor, round.area)
    if round.status != RoundStatus.OPEN:
        raise DomainError("只有评议中的考核可以打印邀请。")
    names = _worker_names(round)
    pending = SampleEntry.objects.filter(round=round, state=EntryState.INVITED).select_related("resident")
    if worker_id is not None:
        pending = pending.filter(worker_id=worker_id)
    doc = pdf.Document(f"{round.title} · 服务评议邀请", scope=round.area.qualified_name)
    printed = 0
    with transaction.atomic():
        for entry in pending.order_by("worker_id", "rank")[:200]:
            token = issue_token(entry)
            if token is None:
                continue
            if printed:
                doc.add_page()
            doc.heading(f"{entry.resident.name} 您好")
            doc.paragraph(
                f"{entry.service_text}，{names.get(entry.worker_id, '社区工作人员')}为您提供了服务。"
                "您是从其服务过的居民中随机抽中的，请用手机扫描二维码，对其服务评为优、良、中或差"
                "（评“优”“差”请写明理由）。二维码仅可使用一次，评议不记名。"
            )
            doc.qr(rating_url(token), size=50, caption="扫码评议")
            printed += 1
        if not printed:
            raise DomainError("没有待邀请的居民。")
        audit_record(actor=actor, action=Action.EXPORT, obj=round, changes={"invitation_slips": printed})
    return doc.bytes()


def _worker_names(round: Round) -> dict[int, str]:
    return {
        m.worker_id: m.worker.display_name
        for m in RoundWorker.objects.filter(round=round).select_related("worker")
    }


def entry_no_response(*, actor: User | None, entry: SampleEntry) -> SampleEntry | None:
    """Mark an invited resident as not responding and invite the next reserve of the same worker, in draw
    order. Returns the replacement (None when the frame is used up)."""
    round_ = Round.objects.select_related("area").get(pk=entry.round_id)
    _assessing_area(actor, round_.area)
    with transaction.atomic():
        locked = SampleEntry.objects.select_for_update().get(pk=entry.pk)
        if round_.status != RoundStatus.OPEN:
            raise DomainError("只有评议中的考核可以替换未回应者。")
        if locked.state not in (EntryState.INVITED, EntryState.SENT):
            raise DomainError("只有已邀请但未评议的居民可以标记为未回应。")
        locked.state = EntryState.NO_RESPONSE
        locked.token_hash = None
        locked.save(update_fields=["state", "token_hash"])
        nxt = (
            SampleEntry.objects.select_for_update()
            .filter(round_id=locked.round_id, worker_id=locked.worker_id, state=EntryState.RESERVE)
            .order_by("rank")
            .first()
        )
        if nxt is not None:
            nxt.state = EntryState.INVITED
            nxt.replaces = locked
            nxt.save(update_fields=["state", "replaces"])
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            obj=round_,
            changes={"no_response_rank": locked.rank, "replacement_rank": nxt.rank if nxt else None},
        )
    return nxt


# --- ratings ------------------------------------------------------------------------------------


def entry_for_token(token: str) -> SampleEntry | None:
    if not token or len(token) > 64:
        return None
    return (
        SampleEntry.objects.select_related("round", "worker", "round__area")
        .filter(token_hash=_hash(token))
        .first()
    )


def _validity(grade: str, reason: str) -> str:
    return Validity.NO_REASON if grade in REASON_REQUIRED and not reason else Validity.VALID


def _check_grade(grade: str) -> None:
    if grade not in Grade.values:
        raise DomainError("请选择 优、良、中 或 差。", field="grade")


def _rate(*, entry: SampleEntry, grade: str, reason: str, channel: str, recorded_by: User | None) -> Rating:
    locked = SampleEntry.objects.select_for_update().get(pk=entry.pk)
    rating = Rating.objects.create(
        round_id=locked.round_id,
        worker_id=locked.worker_id,
        grade=grade,
        reason=reason,
        channel=channel,
        recorded_by=recorded_by,
        submitted_on=_today(),
        validity=_validity(grade, reason),
    )
    RatingSeal.objects.create(rating=rating, entry=locked)
    locked.state = EntryState.RESPONDED
    locked.save(update_fields=["state"])
    return rating


def rating_submit(*, token: str, grade: str, reason: str = "") -> Rating:
    """A resident rates through their one-time link. A used link, or a round no longer open, is refused and
    audited. The audit entry names the round, never the resident or the grade."""
    _check_grade(grade)
    reason = _text(reason, field="reason", max_length=500, label="理由")
    entry = entry_for_token(token)
    if entry is None:
        raise NotFound("评议链接无效或已过期。")
    if entry.round.status != RoundStatus.OPEN:
        _refuse(actor=None, obj=entry.round, code="round_closed", message="本次评议已经结束，感谢您的关注。")
    if entry.state == EntryState.RESPONDED:
        _refuse(
            actor=None,
            obj=entry.round,
            code="token_used",
            message="此评议链接已经使用过，每个链接只能评议一次。",
        )
    with transaction.atomic():
        # The conditional update claims the token: of two simultaneous submissions one wins.
        claimed = SampleEntry.objects.filter(
            pk=entry.pk, state=EntryState.SENT, round__status=RoundStatus.OPEN
        ).update(state=EntryState.RESPONDED)
        if claimed:
            SampleEntry.objects.filter(pk=entry.pk).update(state=EntryState.SENT)
            rating = _rate(entry=entry, grade=grade, reason=reason, channel=Channel.LINK, recorded_by=None)
            audit_record(
                actor=None,
                action=Action.CREATE,
                obj=entry.round,
                object_repr="居民评议（链接）",
                actor_label="居民",
            )
    if not claimed:
        _refuse(
            actor=None,
            obj=entry.round,
            code="token_used",
            message="此评议链接已经使用过，每个链接只能评议一次。",
        )
    return rating


def rating_record_by_phone(*, actor: User | None, entry: SampleEntry, grade: str, reason: str = "") -> Rating:
    """A staff member other than the worker records a sampled resident's rating over the phone."""
    entry = SampleEntry.objects.select_related("round", "round__area").get(pk=entry.pk)
    round_ = entry.round
    _assessing_area(actor, round_.area)
    if actor is not None and actor.pk == entry.worker_id:
        raise Forbidden("被考核人不能代录对自己的评议。")
    _check_grade(grade)
    reason = _text(reason, field="reason", max_length=500, label="理由")
    if round_.status != RoundStatus.OPEN:
        _refuse(actor=actor, obj=round_, code="round_closed", message="本次评议已经结束，不能再录入。")
    if entry.state == EntryState.RESPONDED:
        _refuse(actor=actor, obj=round_, code="token_used", message="该居民已经评议过，不能重复录入。")
    if entry.state not in (EntryState.INVITED, EntryState.SENT):
        raise DomainError("只能为抽中的居民录入评议。")
    with transaction.atomic():
        claimed = SampleEntry.objects.filter(
            pk=entry.pk, state__in=[EntryState.INVITED, EntryState.SENT]
        ).update(token_hash=None)
        if not claimed:
            raise DomainError("该居民已经评议过，不能重复录入。")
        rating = _rate(entry=entry, grade=grade, reason=reason, channel=Channel.PHONE, recorded_by=actor)
        audit_record(actor=actor, action=Action.CREATE, obj=round_, object_repr="居民评议（电话代录）")
    return rating


def rating_mark_untrue(*, actor: User | None, rating: Rating, note: str) -> Rating:
    """After checking, a reason found untrue invalidates the rating; it is kept (opinion data)."""
    round_ = rating.round
    _assessing_area(actor, round_.area)
    if actor is not None and actor.pk == rating.worker_id:
        raise Forbidden("被考核人不能核查对自己的评议。")
    note = _text(note, field="note", max_length=300, required=True, label="核查说明")
    with transaction.atomic():
        locked = Rating.objects.select_for_update().get(pk=rating.pk)
        if not locked.reason:
            raise DomainError("该评议没有填写理由，无需核查。")
        if locked.validity == Validity.UNTRUE:
            raise DomainError("该评议已标记为理由不实。")
        before = locked.validity
        locked.validity = Validity.UNTRUE
        locked.check_note, locked.checked_by, locked.checked_on = note, actor, _today()
        locked.save()
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            obj=locked,
            changes={"validity": [before, "untrue"], "note": note},
        )
    return locked


def rating_restore(*, actor: User | None, rating: Rating, note: str) -> Rating:
    """Undo a mistaken "untrue" mark (the correction is audited like the mark)."""
    _assessing_area(actor, rating.round.area)
    note = _text(note, field="note", max_length=300, required=True, label="更正说明")
    with transaction.atomic():
        locked = Rating.objects.select_for_update().get(pk=rating.pk)
        if locked.validity != Validity.UNTRUE:
            raise DomainError("该评议未被标记为理由不实。")
        locked.validity = _validity(locked.grade, locked.reason)
        locked.check_note, locked.checked_by, locked.checked_on = note, actor, _today()
        locked.save()
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            obj=locked,
            changes={"validity": ["untrue", locked.validity], "note": note},
        )
    return locked


def rating_seals(*, actor: User | None, round: Round) -> list[tuple[Rating, SampleEntry]]:
    """Who gave which rating: the round's auditor only (audited as a reveal)."""
    if actor is not None:
        require(actor, Capability.AUDIT_RATINGS)
        if round.auditor_id != actor.pk:
            raise Forbidden("只有本次考核指定的评议审核人可以查看评议人。")
    seals = list(
        RatingSeal.objects.filter(rating__round=round)
        .select_related("rating", "entry", "entry__resident")
        .order_by("rating_id")
    )
    with transaction.atomic():
        audit_record(actor=actor, action=Action.REVEAL, obj=round, changes={"ratings": len(seals)})
    return [(s.rating, s.entry) for s in seals]


# --- profiles and weighting -------------------------------------------------------------------


def profile_update(
    *,
    actor: User | None,
    user: User,
    resident_id: int | None,
    base_annual_pay: Decimal | None,
    photo: bytes | None = None,
    photo_type: str = "",
) -> WorkerProfile:
    from linli.registry.models import Resident

    require(actor, Capability.ASSESS)
    if actor is not None and not any(path_in_scope(p, actor.scope_paths()) for p in user.scope_paths()):
        raise NotFound()
    if base_annual_pay is not None and not Decimal(0) <= base_annual_pay <= Decimal(10_000_000):
        raise DomainError("年收入应在 0 到 1000 万之间。", field="base_annual_pay")
    resident = None
    if resident_id is not None:
        resident = Resident.objects.filter(pk=resident_id).first()
        if resident is None:
            raise DomainError("找不到该居民。", field="resident")
        if actor is not None:
            require_path_in_scope(actor, resident.grid.path)
    if photo is not None:
        from linli.core.validation import photo_content_type

        if len(photo) > MAX_PHOTO_BYTES:
            raise DomainError("照片不能超过 2 MB。", field="photo")
        photo_type = photo_content_type(photo[:16]) or ""
        if not photo_type:
            raise DomainError("只能上传 JPEG、PNG 或 WebP 格式的照片。", field="photo")
    with transaction.atomic():
        profile, _ = WorkerProfile.objects.select_for_update().get_or_create(user=user)
        before = {"resident": profile.resident_id, "pay": str(profile.base_annual_pay)}
        profile.resident = resident
        profile.base_annual_pay = base_annual_pay
        if photo is not None:
            profile.photo, profile.photo_type = photo, photo_type
        profile.updated_at = timezone.now()
        profile.save()
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            obj=user,
            object_repr=f"考核档案：{user.display_name}",
            changes={
                "resident": [before["resident"], profile.resident_id],
                "pay": [before["pay"], str(profile.base_annual_pay)],
                "photo": photo is not None,
            },
        )
    return profile


def weighting_for(area: Area) -> Weighting:
    street = street_of(area)
    return Weighting.objects.filter(area=street).first() or Weighting(area=street)


def weighting_set(
    *,
    actor: User | None,
    street: Area,
    residents: int,
    indicators: int,
    street_weight: int,
    peers: int,
    assessed_share: int,
    floor_score: int,
) -> Weighting:
    require(actor, Capability.CONFIGURE)
    require_path_in_scope(actor, street.path)
    if street.kind != Area.Kind.STREET:
        raise DomainError("权重由街道设定。", field="area")
    parts = [residents, indicators, street_weight, peers]
    if any(p < 0 or p > 100 for p in parts) or sum(parts) != 100:
        raise DomainError("四项权重须为 0–100 的整数，合计 100。", field="residents")
    if not 0 <= assessed_share <= 100:
        raise DomainError("考核挂钩比例应在 0–100% 之间。", field="assessed_share")
    if not 0 <= floor_score <= 99:
        raise DomainError("起奖分应在 0–99 之间。", field="floor_score")
    with transaction.atomic():
        w, _ = Weighting.objects.select_for_update().get_or_create(area=street)
        before = [w.residents, w.indicators, w.street, w.peers, w.assessed_share, w.floor_score]
        w.residents, w.indicators, w.street, w.peers = residents, indicators, street_weight, peers
        w.assessed_share, w.floor_score = assessed_share, floor_score
        w.updated_at = timezone.now()
        w.save()
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            obj=w,
            changes={"weights": [before, parts + [assessed_share, floor_score]]},
        )
    return w


# --- two-way evaluation (政社互动) ------------------------------------------------------------------


def case_review_save(
    *, actor: User | None, case: Case, on_time: bool, wrongly_returned: bool, note: str = ""
) -> CaseReview:
    """The community's verdict on the department's handling of one dispatched case."""
    require(actor, Capability.DISPATCH)
    require_path_in_scope(actor, case.area.path)
    if case.department_id is None:
        raise DomainError("该工单没有派遣给职能部门。")
    if actor is not None and actor.departments.filter(pk=case.department_id).exists():
        raise Forbidden("部门人员不能评价本部门。")
    note = _text(note, field="note", max_length=300)
    with transaction.atomic():
        review, created = CaseReview.objects.select_for_update().get_or_create(
            case=case,
            defaults={
                "department_id": case.department_id,
                "on_time": on_time,
                "wrongly_returned": wrongly_returned,
                "note": note,
                "by": actor,
            },
        )
        if not created:
            review.on_time, review.wrongly_returned, review.note, review.at = (
                on_time,
                wrongly_returned,
                note,
                timezone.now(),
            )
            review.department_id = case.department_id
            review.by = actor
            review.save()
        audit_record(
            actor=actor,
            action=Action.CREATE if created else Action.UPDATE,
            obj=case,
            changes={"department_review": {"on_time": on_time, "wrongly_returned": wrongly_returned}},
        )
    return review


def department_review_save(
    *, actor: User | None, round: Round, department: Department, basis: str, grade: str, reason: str = ""
) -> DepartmentReview:
    _assessing_area(actor, round.area)
    if basis not in Basis.values:
        raise DomainError("请选择评价依据。", field="basis")
    _check_grade(grade)
    reason = _text(reason, field="reason", max_length=500, label="理由")
    if grade in REASON_REQUIRED and not reason:
        raise DomainError("评为优或差须写明理由。", field="reason")
    if round.status not in (RoundStatus.OPEN, RoundStatus.CLOSED):
        raise DomainError("只能在评议中或已结束的考核中评价部门。")
    if not path_in_scope(department.area.path, [street_of(round.area).path]) and not path_in_scope(
        round.area.path, [department.area.path]
    ):
        raise DomainError("该部门不为本区域服务。", field="department")
    with transaction.atomic():
        review, created = DepartmentReview.objects.select_for_update().get_or_create(
            round=round,
            department=department,
            basis=basis,
            defaults={"grade": grade, "reason": reason, "by": actor},
        )
        if not created:
            review.grade, review.reason, review.at = grade, reason, timezone.now()
            review.by = actor
            review.save()
        audit_record(actor=actor, action=Action.CREATE if created else Action.UPDATE, obj=review)
    return review


def agreement_create(
    *, actor: User | None, area: Area, department: Department, title: str, signed_on: date, terms: str = ""
) -> Agreement:
    require(actor, Capability.ASSESS)
    require_path_in_scope(actor, area.path)
    if area.kind != Area.Kind.COMMUNITY:
        raise DomainError("协议由社区与部门签订，请选择社区。", field="area")
    if signed_on > _today():
        raise DomainError("签订日期不能晚于今天。", field="signed_on")
    agreement = Agreement(
        area=area,
        department=department,
        title=_text(title, field="title", max_length=100, required=True, label="协议名称"),
        signed_on=signed_on,
        terms=_text(terms, field="terms", max_length=4000),
    )
    with transaction.atomic():
        agreement.save()
        audit_record(actor=actor, action=Action.CREATE, obj=agreement)
    return agreement


def agreement_end(*, actor: User | None, agreement: Agreement) -> Agreement:
    require(actor, Capability.ASSESS)
    require_path_in_scope(actor, agreement.area.path)
    with transaction.atomic():
        locked = Agreement.objects.select_for_update().get(pk=agreement.pk)
        if not locked.active:
            raise DomainError("该协议已终止。")
        locked.active = False
        locked.save()
        audit_record(actor=actor, action=Action.UPDATE, obj=locked, changes={"active": [True, False]})
    return locked
