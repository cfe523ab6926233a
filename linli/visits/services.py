"""Every write to visits goes through here: the log, needs turned into cases, care plans, pairings,
mandatory visits (八必访), the field diary, and the sync and sweep that keep due dates current.

Who must visit whom is stored (`VisitTarget`) rather than worked out on each page: `targets_sync`
rebuilds it from the active care plans, residents' tags, pairings and grid duty, and each visit moves
its people's due dates forward. The sweep (`linli tick`) runs the full sync, so a tag given in the
registry or a new grid worker shows up in the lists within one sweep.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F, Max, Q
from django.urls import reverse
from django.utils import timezone

from linli.accounts.roles import Capability
from linli.areas.models import Area, GridAssignment
from linli.cases import services as case_services
from linli.cases.models import Case, Category, Channel, Notification, Urgency
from linli.cases.workcalendar import WorkCalendar
from linli.core.audit import Action, audit_record
from linli.core.errors import DomainError, Forbidden
from linli.core.permissions import require, require_path_in_scope
from linli.core.scoping import PATH_SEPARATOR, path_in_scope, subtree_q
from linli.core.validation import check_photo, clean_text, lat_lng
from linli.registry.models import Household, Resident, ResidentStatus, Tag
from linli.visits.models import (
    MAX_INTERVAL_DAYS,
    TRIGGER_DAYS,
    CarePlan,
    DiaryEntry,
    Mode,
    Pairing,
    PairingKind,
    TaskStatus,
    Trigger,
    Visit,
    VisitCaseLink,
    VisitPhoto,
    VisitTarget,
    VisitTask,
)

if TYPE_CHECKING:
    from linli.accounts.models import User

PERSON_REASON = "person"
# How far back a visit may be logged (paper notes typed in later), in days.
BACKFILL_DAYS = 366


def _label(actor: User | None) -> str:
    return case_services._label(actor)


def _today() -> date:
    return timezone.localdate()


# --- who visits whom -----------------------------------------------------------------------


def grid_workers(today: date) -> dict[str, int]:
    """Grid path → the user on duty as its grid worker (the longest-serving if several)."""
    workers: dict[str, int] = {}
    for path, user_id in (
        GridAssignment.objects.current(today)
        .filter(duty=GridAssignment.Duty.WORKER, user__is_active=True)
        .order_by("grid__path", "start_date", "pk")
        .values_list("grid__path", "user_id")
    ):
        workers.setdefault(path, user_id)
    return workers


def worker_for(path: str, workers: dict[str, int]) -> int | None:
    """The grid's own worker, else the nearest enclosing grid's (a sub-grid may have none of its own)."""
    parts = path.split(PATH_SEPARATOR)
    while parts:
        found = workers.get(PATH_SEPARATOR.join(parts))
        if found is not None:
            return found
        parts.pop()
    return None


def open_pairings(today: date, resident_ids: Iterable[int] | None = None) -> dict[int, int]:
    """Resident → visitor of their current pairing."""
    pairings = Pairing.objects.filter(start_date__lte=today, visitor__is_active=True).filter(
        Q(end_date__isnull=True) | Q(end_date__gte=today)
    )
    if resident_ids is not None:
        pairings = pairings.filter(resident_id__in=list(resident_ids))
    return dict(pairings.order_by("start_date", "pk").values_list("resident_id", "visitor_id"))


def responsible_visitor(resident: Resident, today: date | None = None) -> int | None:
    today = today or _today()
    paired = open_pairings(today, [resident.pk]).get(resident.pk)
    return paired if paired is not None else worker_for(resident.grid.path, grid_workers(today))


# --- the stored targets ---------------------------------------------------------------------


@dataclass
class SyncResult:
    added: int = 0
    changed: int = 0
    removed: int = 0

    def __str__(self) -> str:
        return f"visit targets: {self.added} added, {self.changed} changed, {self.removed} removed"


def _desired(resident_ids: list[int] | None) -> dict[int, tuple[int, list[str], int, str]]:
    """Resident → (interval, reasons, grid id, grid path) under the active plans."""
    base = Resident.objects.filter(status=ResidentStatus.ACTIVE)
    if resident_ids is not None:
        base = base.filter(pk__in=resident_ids)
    wanted: dict[int, tuple[int, list[str], int, str]] = {}

    def add(rows: Iterable[tuple[int, int, str]], interval: int, reason: str) -> None:
        for rid, grid_id, path in rows:
            current = wanted.get(rid)
            if current is None:
                wanted[rid] = (interval, [reason], grid_id, path)
            else:
                wanted[rid] = (min(current[0], interval), sorted({*current[1], reason}), grid_id, path)

    for plan in CarePlan.objects.active().select_related("area", "tag"):
        rows = base.filter(subtree_q([plan.area.path], "grid__path"))
        if plan.tag_id:
            rows = rows.filter(tag_links__tag_id=plan.tag_id)
            reason = plan.tag.code  # type: ignore[union-attr]
        else:
            rows = rows.filter(pk=plan.resident_id or 0)
            reason = PERSON_REASON
        add(rows.values_list("pk", "grid_id", "grid__path"), plan.interval_days, reason)
    return wanted


def _last_visits(resident_ids: list[int]) -> dict[int, date]:
    """Each resident's latest visit, to them or to the household they are in now."""
    last: dict[int, date] = {}
    for start in range(0, len(resident_ids), 500):
        chunk = resident_ids[start : start + 500]
        for rid, day in (
            Visit.objects.filter(resident_id__in=chunk)
            .values("resident_id")
            .annotate(m=Max("visited_on"))
            .values_list("resident_id", "m")
        ):
            last[rid] = day
        households = dict(
            Resident.objects.filter(pk__in=chunk, household__isnull=False).values_list("pk", "household_id")
        )
        by_household = dict(
            Visit.objects.filter(household_id__in=set(households.values()))
            .values("household_id")
            .annotate(m=Max("visited_on"))
            .values_list("household_id", "m")
        )
        for rid, hid in households.items():
            if hid in by_household and (rid not in last or by_household[hid] > last[rid]):
                last[rid] = by_household[hid]
    return last


@transaction.atomic
def targets_sync(*, resident_ids: Iterable[int] | None = None, today: date | None = None) -> SyncResult:
    """Make `VisitTarget` match the plans (for these residents, or everyone). Running it twice changes nothing."""
    today = today or _today()
    ids = None if resident_ids is None else sorted(set(resident_ids))
    wanted = _desired(ids)
    existing_qs = (
        VisitTarget.objects.all() if ids is None else VisitTarget.objects.filter(resident_id__in=ids)
    )
    existing = {t.resident_id: t for t in existing_qs}
    pairings = open_pairings(today, None if ids is None else ids)
    workers = grid_workers(today)
    result = SyncResult()

    gone = [t.pk for rid, t in existing.items() if rid not in wanted]
    if gone:
        VisitTarget.objects.filter(pk__in=gone).delete()
        result.removed = len(gone)

    new_ids = [rid for rid in wanted if rid not in existing]
    last = _last_visits(new_ids) if new_ids else {}
    created, changed = [], []
    for rid, (interval, reasons, grid_id, path) in wanted.items():
        visitor = pairings.get(rid)
        if visitor is None:
            visitor = worker_for(path, workers)
        target = existing.get(rid)
        if target is None:
            visited = last.get(rid)
            created.append(
                VisitTarget(
                    resident_id=rid,
                    grid_id=grid_id,
                    interval_days=interval,
                    reasons=reasons,
                    visitor_id=visitor,
                    since=today,
                    last_visited_on=visited,
                    due_on=VisitTarget.due_after(visited or today, interval),
                )
            )
            continue
        due = VisitTarget.due_after(target.last_visited_on or target.since, interval)
        if (target.interval_days, target.reasons, target.grid_id, target.visitor_id, target.due_on) != (
            interval,
            reasons,
            grid_id,
            visitor,
            due,
        ):
            target.interval_days, target.reasons, target.grid_id = interval, reasons, grid_id
            target.visitor_id, target.due_on = visitor, due
            changed.append(target)
    # A concurrent sync may have inserted the same resident a moment ago; its row is as good as ours.
    VisitTarget.objects.bulk_create(created, batch_size=1000, ignore_conflicts=True)
    VisitTarget.objects.bulk_update(
        changed, ["interval_days", "reasons", "grid", "visitor", "due_on"], batch_size=1000
    )
    result.added, result.changed = len(created), len(changed)
    return result


def _record_visit_on_targets(resident_ids: list[int], day: date) -> None:
    for target in VisitTarget.objects.select_for_update().filter(resident_id__in=resident_ids):
        if target.last_visited_on is None or target.last_visited_on < day:
            target.last_visited_on = day
            target.due_on = VisitTarget.due_after(day, target.interval_days)
            target.save(update_fields=["last_visited_on", "due_on"])


# --- the visit log --------------------------------------------------------------------------


def _subject(
    actor: User | None, resident: Resident | None, household: Household | None
) -> tuple[Area, list[int]]:
    """The grid a visit belongs to and the residents it counts for; refuses people outside scope."""
    if (resident is None) == (household is None):
        raise DomainError("请选择走访的居民或户（二选一）。", field="resident")
    if resident is not None:
        grid: Area = resident.grid
        members = [resident.pk]
        if resident.status != ResidentStatus.ACTIVE:
            raise DomainError(
                f"{resident.name}已{resident.get_status_display()}，不能再登记走访。", field="resident"
            )
    elif household is not None:
        grid = household.house.building.grid
        members = list(household.members.filter(status=ResidentStatus.ACTIVE).values_list("pk", flat=True))
    require_path_in_scope(actor, grid.path)
    return grid, members


def visit_create(
    *,
    actor: User | None,
    mode: str,
    observations: str,
    resident: Resident | None = None,
    household: Household | None = None,
    visited_on: date | None = None,
    needs: str = "",
    latitude: Any = None,
    longitude: Any = None,
    photo: UploadedFile | None = None,
) -> Visit:
    """Log a visit. It moves the due date of everyone it counts for and fulfils their open 八必访 tasks."""
    require(actor, Capability.WRITE)
    today = _today()
    visited_on = visited_on or today
    if mode not in Mode.values:
        raise DomainError("走访方式应为入户、电话或邻里访。", field="mode")
    if visited_on > today:
        raise DomainError("走访日期不能晚于今天。", field="visited_on")
    if visited_on < today - timedelta(days=BACKFILL_DAYS):
        raise DomainError("只能补录一年以内的走访。", field="visited_on")
    grid, members = _subject(actor, resident, household)
    lat, lng = lat_lng(latitude, longitude)
    observations = clean_text(observations, field="observations", label="走访情况", required=True)
    needs = clean_text(needs, field="needs", label="发现的需求")
    if photo is not None:
        content_type, safe_name = check_photo(photo)
    with transaction.atomic():
        visit = Visit.objects.create(
            resident=resident,
            household=household,
            grid=grid,
            mode=mode,
            visited_on=visited_on,
            visitor=actor if actor is not None and actor.pk else None,
            visitor_label=_label(actor),
            observations=observations,
            needs=needs,
            latitude=lat,
            longitude=lng,
        )
        if photo is not None:
            item = VisitPhoto(visit=visit, content_type=content_type)
            item.file.save(safe_name, photo, save=False)
            item.save()
        _record_visit_on_targets(members, visited_on)
        done = VisitTask.objects.filter(
            resident_id__in=members, status=TaskStatus.OPEN, reported_at__date__lte=visited_on
        ).update(status=TaskStatus.DONE, visit=visit, done_at=timezone.now())
        audit_record(
            actor=actor,
            action=Action.CREATE,
            obj=visit,
            changes={"mode": mode, "visited_on": str(visited_on), "tasks_done": done},
        )
    return visit


def visit_photo_add(
    *, actor: User | None, visit: Visit, upload: UploadedFile, caption: str = ""
) -> VisitPhoto:
    require(actor, Capability.WRITE)
    require_path_in_scope(actor, visit.grid.path)
    content_type, safe_name = check_photo(upload)
    item = VisitPhoto(
        visit=visit,
        content_type=content_type,
        caption=clean_text(caption, field="caption", label="说明", limit=100),
    )
    item.file.save(safe_name, upload, save=False)
    item.save()
    return item


def visit_need_to_case(
    *,
    actor: User | None,
    visit: Visit,
    category: Category,
    title: str,
    description: str = "",
    urgency: str = Urgency.NORMAL,
) -> Case:
    """A need found on the visit becomes a case in one step; the two are linked both ways."""
    require_path_in_scope(actor, visit.grid.path)
    person = visit.resident or (visit.household.head if visit.household else None)
    with transaction.atomic():
        case = case_services.case_create(
            actor=actor,
            category=category,
            channel=Channel.VISIT,
            urgency=urgency,
            title=title,
            description=description or visit.needs or visit.observations,
            area=visit.grid,
            house=visit.household.house if visit.household else None,
            resident=person,
            reporter_name=person.name if person else "",
            reporter_phone=person.phone if person else "",
        )
        VisitCaseLink.objects.create(visit=visit, case=case)
        case_services.case_comment(
            actor=actor,
            case=case,
            note=f"由 {visit.visited_on:%Y-%m-%d} 的{visit.get_mode_display()}走访发现。",
        )
    return case


# --- care plans and pairings ----------------------------------------------------------------


def _interval(value: Any) -> int:
    try:
        days = int(str(value).strip())
    except (TypeError, ValueError) as exc:
        raise DomainError("走访周期应为天数（整数）。", field="interval_days") from exc
    if not 1 <= days <= MAX_INTERVAL_DAYS:
        raise DomainError(f"走访周期应在 1 至 {MAX_INTERVAL_DAYS} 天之间。", field="interval_days")
    return days


def _plan_rights(actor: User | None, *, area: Area, tag: Tag | None) -> None:
    if tag is not None:
        # A rule for a whole key group is the leaders' call; a plan for one person any worker may make.
        require(actor, Capability.SUPERVISE)
        if actor is not None and tag.sensitive and not actor.can(Capability.VIEW_SENSITIVE):
            raise Forbidden("您无权为敏感标签设置关怀计划。")
    else:
        require(actor, Capability.WRITE)
    require_path_in_scope(actor, area.path)


def care_plan_create(
    *,
    actor: User | None,
    interval_days: Any,
    area: Area | None = None,
    tag: Tag | None = None,
    resident: Resident | None = None,
    note: str = "",
) -> CarePlan:
    """A visiting rule: every `interval_days` for everyone with `tag` in `area`, or for one `resident`."""
    if (tag is None) == (resident is None):
        raise DomainError("关怀计划须针对一个标签或一位居民（二选一）。", field="tag")
    if resident is not None:
        area = resident.grid
        if CarePlan.objects.filter(resident=resident).exists():
            raise DomainError(f"{resident.name}已有个人关怀计划，请修改原计划。", field="resident")
    if area is None:
        raise DomainError("请选择计划适用的区域。", field="area")
    _plan_rights(actor, area=area, tag=tag)
    days = _interval(interval_days)
    if tag is not None and CarePlan.objects.filter(area=area, tag=tag).exists():
        raise DomainError(f"{area.qualified_name}已有“{tag.name}”的关怀计划，请修改原计划。", field="tag")
    with transaction.atomic():
        plan = CarePlan.objects.create(
            area=area,
            tag=tag,
            resident=resident,
            interval_days=days,
            note=clean_text(note, field="note", label="说明", limit=200),
        )
        audit_record(actor=actor, action=Action.CREATE, obj=plan, changes={"interval_days": days})
        targets_sync(resident_ids=[resident.pk] if resident else None)
    return plan


def care_plan_update(
    *,
    actor: User | None,
    plan: CarePlan,
    interval_days: Any = None,
    active: bool | None = None,
    note: str | None = None,
) -> CarePlan:
    _plan_rights(actor, area=plan.area, tag=plan.tag)
    with transaction.atomic():
        locked = CarePlan.objects.select_for_update().get(pk=plan.pk)
        before = {"interval_days": locked.interval_days, "active": locked.active, "note": locked.note}
        if interval_days is not None:
            locked.interval_days = _interval(interval_days)
        if active is not None:
            locked.active = bool(active)
        if note is not None:
            locked.note = clean_text(note, field="note", label="说明", limit=200)
        locked.save()
        after = {"interval_days": locked.interval_days, "active": locked.active, "note": locked.note}
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            obj=locked,
            changes={k: [before[k], after[k]] for k in after if before[k] != after[k]},
        )
        targets_sync(resident_ids=[locked.resident_id] if locked.resident_id else None)
    return locked


def pairing_create(
    *,
    actor: User | None,
    resident: Resident,
    visitor: User,
    kind: str = PairingKind.WORKER,
    start_date: date | None = None,
    note: str = "",
) -> Pairing:
    """结对: `visitor` owns the resident's visits from `start_date`; an earlier open pairing ends the day before."""
    require(actor, Capability.WRITE)
    require_path_in_scope(actor, resident.grid.path)
    if kind not in PairingKind.values:
        raise DomainError("结对类型无效。", field="kind")
    if not visitor.is_active or not visitor.can(Capability.WRITE):
        raise DomainError(f"{visitor.display_name}不能登记走访，不能作为结对人。", field="visitor")
    if not path_in_scope(resident.grid.path, visitor.scope_paths()):
        raise DomainError(f"{resident.name}不在{visitor.display_name}的管辖范围内。", field="visitor")
    start = start_date or _today()
    with transaction.atomic():
        for previous in Pairing.objects.select_for_update().filter(resident=resident, end_date__isnull=True):
            if previous.start_date >= start:
                raise DomainError(
                    f"{resident.name}已有自 {previous.start_date} 起的结对。", field="start_date"
                )
            previous.end_date = start - timedelta(days=1)
            previous.save(update_fields=["end_date"])
        pairing = Pairing.objects.create(
            resident=resident,
            visitor=visitor,
            kind=kind,
            start_date=start,
            note=clean_text(note, field="note", label="说明", limit=200),
        )
        audit_record(
            actor=actor,
            action=Action.CREATE,
            obj=pairing,
            object_repr=f"{resident.name} 结对 {visitor.display_name}",
            changes={"visitor": visitor.username, "kind": kind, "start_date": str(start)},
        )
        targets_sync(resident_ids=[resident.pk])
    return pairing


def pairing_end(*, actor: User | None, pairing: Pairing, end_date: date | None = None) -> Pairing:
    require(actor, Capability.WRITE)
    require_path_in_scope(actor, pairing.resident.grid.path)
    end = end_date or _today()
    with transaction.atomic():
        locked = Pairing.objects.select_for_update().get(pk=pairing.pk)
        if locked.end_date is not None:
            raise DomainError("该结对已结束。")
        if end < locked.start_date:
            raise DomainError("结束日期不能早于开始日期。", field="end_date")
        locked.end_date = end
        locked.save(update_fields=["end_date"])
        audit_record(actor=actor, action=Action.UPDATE, obj=locked, changes={"end_date": str(end)})
        targets_sync(resident_ids=[locked.resident_id])
    return locked


# --- mandatory visits (八必访) ----------------------------------------------------------------


def _task_link(task: VisitTask) -> str:
    return reverse("visits:new") + f"?resident={task.resident_id}"


def task_create(
    *,
    actor: User | None,
    resident: Resident,
    trigger: str,
    note: str,
    due_at: datetime | None = None,
) -> VisitTask:
    """Record a 八必访 event on a resident: their responsible worker must visit by the deadline."""
    require(actor, Capability.WRITE)
    require_path_in_scope(actor, resident.grid.path)
    if trigger not in Trigger.values:
        raise DomainError("八必访事由无效。", field="trigger")
    if resident.status != ResidentStatus.ACTIVE:
        raise DomainError(f"{resident.name}已{resident.get_status_display()}。", field="resident")
    now = timezone.now()
    if due_at is None:
        due_at = WorkCalendar().end_of_workdays(now, TRIGGER_DAYS[trigger])
    elif due_at <= now:
        raise DomainError("走访期限应晚于现在。", field="due_at")
    note = clean_text(note, field="note", label="事件情况", required=True)
    from linli.accounts.models import User

    visitor_id = responsible_visitor(resident)
    assignee = User.objects.filter(pk=visitor_id).first() if visitor_id else None
    if assignee is None and actor is not None and actor.pk:
        assignee = actor
    with transaction.atomic():
        task = VisitTask.objects.create(
            resident=resident,
            grid=resident.grid,
            trigger=trigger,
            note=note,
            reported_by=actor if actor is not None and actor.pk else None,
            reported_at=now,
            assignee=assignee,
            due_at=due_at,
        )
        audit_record(
            actor=actor,
            action=Action.CREATE,
            obj=task,
            object_repr=f"八必访：{resident.name}（{task.get_trigger_display()}）",
            changes={"trigger": trigger, "due_at": due_at.isoformat()},
        )
        due = timezone.localtime(due_at)
        case_services.notify(
            [assignee],
            None,
            Notification.Kind.VISIT_TASK,
            f"八必访：{resident.name}（{task.get_trigger_display()}），请于 {due:%m-%d %H:%M} 前走访",
            link=_task_link(task),
        )
    return task


def task_cancel(*, actor: User | None, task: VisitTask, reason: str) -> VisitTask:
    require(actor, Capability.WRITE)
    require_path_in_scope(actor, task.grid.path)
    reason = clean_text(reason, field="reason", label="撤销原因", required=True, limit=200)
    with transaction.atomic():
        locked = VisitTask.objects.select_for_update().get(pk=task.pk)
        if locked.status != TaskStatus.OPEN:
            raise DomainError(f"该任务{locked.get_status_display()}，不能撤销。")
        locked.status, locked.cancel_reason = TaskStatus.CANCELLED, reason
        locked.save(update_fields=["status", "cancel_reason"])
        audit_record(
            actor=actor, action=Action.UPDATE, obj=locked, changes={"status": "cancelled", "reason": reason}
        )
    return locked


# --- the field diary ---------------------------------------------------------------------------


def _diary_area(actor: User | None, area: Area | None) -> Area:
    if area is None:
        if actor is None:
            raise DomainError("请选择日记所属的区域。", field="area")
        mine = list(Area.objects.filter(pk__in=actor.bindings.values("area")).order_by("-depth")[:1])
        if not mine:
            raise DomainError("请选择日记所属的区域。", field="area")
        area = mine[0]
    require_path_in_scope(actor, area.path)
    return area


def diary_create(
    *, actor: User | None, text: str, day: date | None = None, area: Area | None = None
) -> DiaryEntry:
    require(actor, Capability.WRITE)
    if actor is None or not actor.pk:
        raise DomainError("民情日记须由工作人员本人记录。")
    day = day or _today()
    if day > _today():
        raise DomainError("日记日期不能晚于今天。", field="day")
    entry = DiaryEntry.objects.create(
        author=actor,
        area=_diary_area(actor, area),
        day=day,
        text=clean_text(text, field="text", label="日记内容", required=True, limit=5000),
    )
    audit_record(actor=actor, action=Action.CREATE, obj=entry, changes={"day": str(day)})
    return entry


def diary_update(*, actor: User | None, entry: DiaryEntry, text: str) -> DiaryEntry:
    """Only the author edits their diary; the audit log keeps the earlier text."""
    if actor is None or entry.author_id != actor.pk:
        raise Forbidden("只能修改自己的民情日记。")
    require_path_in_scope(actor, entry.area.path)
    with transaction.atomic():
        locked = DiaryEntry.objects.select_for_update().get(pk=entry.pk)
        new = clean_text(text, field="text", label="日记内容", required=True, limit=5000)
        if new != locked.text:
            audit_record(actor=actor, action=Action.UPDATE, obj=locked, changes={"text": [locked.text, new]})
            locked.text, locked.updated_at = new, timezone.now()
            locked.save(update_fields=["text", "updated_at"])
    return locked


# --- the sweep --------------------------------------------------------------------------------


@dataclass
class TickResult:
    sync: SyncResult
    tasks_overdue: int = 0
    targets_overdue: int = 0

    def __str__(self) -> str:
        return (
            f"{self.sync}; tasks overdue {self.tasks_overdue}; targets newly overdue {self.targets_overdue}"
        )

    @property
    def acted(self) -> bool:
        s = self.sync
        return bool(s.added or s.changed or s.removed or self.tasks_overdue or self.targets_overdue)


def tick(*, now: datetime | None = None, batch: int = 500, sync: bool = True) -> TickResult:
    """Sync the targets (unless `sync` is off), mark overdue 八必访 tasks and tell visitors once when someone
    falls overdue. Rows are claimed by conditional UPDATEs: two sweeps at once never notify twice."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    result = TickResult(sync=targets_sync(today=today) if sync else SyncResult())
    for task in VisitTask.objects.filter(
        status=TaskStatus.OPEN, overdue_since__isnull=True, due_at__lte=now
    ).select_related("resident", "grid", "assignee")[:batch]:
        with transaction.atomic():
            if not VisitTask.objects.filter(
                pk=task.pk, overdue_since__isnull=True, status=TaskStatus.OPEN
            ).update(overdue_since=now):
                continue
            leaders = case_services.users_with_role_in(task.grid, "community_leader")
            case_services.notify(
                [task.assignee, *leaders],
                None,
                Notification.Kind.VISIT_DUE,
                f"八必访超期：{task.resident.name}（{task.get_trigger_display()}）尚未走访",
                link=_task_link(task),
            )
            result.tasks_overdue += 1
    # One message per visitor per sweep ("张三、李四等 18 人"), not one per person.
    newly: dict[int, list[VisitTarget]] = {}
    overdue = VisitTarget.objects.filter(due_on__lt=today, visitor__isnull=False).exclude(
        notified_due_on=F("due_on")
    )
    for target in overdue.select_related("resident", "visitor")[:batch]:
        claimed = (
            VisitTarget.objects.filter(pk=target.pk, due_on=target.due_on)
            .exclude(notified_due_on=target.due_on)
            .update(notified_due_on=target.due_on)
        )
        if claimed:
            newly.setdefault(target.visitor_id, []).append(target)  # type: ignore[arg-type]
    for people in newly.values():
        names = "、".join(t.resident.name for t in people[:3])
        more = f"等 {len(people)} 人" if len(people) > 3 else ""
        with transaction.atomic():
            case_services.notify(
                [people[0].visitor],
                None,
                Notification.Kind.VISIT_DUE,
                f"走访超期：{names}{more}已过应访日期",
                link=reverse("visits:targets") + "?state=overdue&mine=on",
            )
        result.targets_overdue += len(people)
    return result
