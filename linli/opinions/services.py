"""Every write to opinions and open days goes through here.

An opinion moves through a transition table (研判 → 办理 → 答复 → 办结; merge; reopen); every move and
correction locks the row and writes an `OpinionEvent` (who, when, from, to, what changed) and an audit
entry in the same transaction. Turning one into a case goes through the cases app's intake service, so
the case follows the GB/T 30428 workflow like any other.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from linli.accounts.roles import Capability
from linli.areas.models import Area
from linli.cases import services as case_services
from linli.cases.models import Case, Category, Channel, Urgency
from linli.cases.workcalendar import WorkCalendar
from linli.core.audit import Action, audit_record
from linli.core.errors import DomainError
from linli.core.permissions import require, require_path_in_scope
from linli.core.validation import clean_text
from linli.opinions.models import (
    OPEN_STATUSES,
    Disposition,
    OpenDay,
    OpenDayRule,
    OpenDayStatus,
    Opinion,
    OpinionChannel,
    OpinionCounter,
    OpinionEvent,
    OpinionStatus,
    OpinionTopic,
    ReplyMode,
    Topic,
)
from linli.registry.models import Resident

if TYPE_CHECKING:
    from linli.accounts.models import User

S = OpinionStatus
E = OpinionEvent.Action
# Which moves each status allows, and where they lead.
TRANSITIONS: dict[str, tuple[frozenset[str], str | None]] = {
    E.TRIAGE: (frozenset({S.NEW}), S.IN_PROGRESS),
    E.TO_CASE: (frozenset({S.NEW, S.IN_PROGRESS}), S.IN_PROGRESS),
    E.MERGE: (frozenset({S.NEW, S.IN_PROGRESS}), S.MERGED),
    E.REPLY: (frozenset({S.NEW, S.IN_PROGRESS}), S.REPLIED),
    E.CLOSE: (frozenset({S.REPLIED}), S.CLOSED),
    E.REOPEN: (frozenset({S.REPLIED, S.CLOSED, S.MERGED}), None),  # MERGED → NEW, else IN_PROGRESS
    E.CORRECT: (frozenset(S.values), None),
}
# How far back an opinion may be entered (notes from a meeting typed in later), in days.
BACKFILL_DAYS = 92


def _label(actor: User | None) -> str:
    return case_services._label(actor)


def reply_due(received_at: datetime, calendar_: WorkCalendar | None = None) -> datetime:
    return (calendar_ or WorkCalendar()).end_of_workdays(received_at, settings.LINLI_OPINION_REPLY_DAYS)


def _next_number(now: datetime) -> str:
    month = f"{timezone.localtime(now):%Y%m}"
    OpinionCounter.objects.get_or_create(month=month)
    OpinionCounter.objects.filter(month=month).update(last=F("last") + 1)
    seq = OpinionCounter.objects.filter(month=month).values_list("last", flat=True).get()
    return f"MY{month}-{seq:04d}"


def _topics(values: Iterable[str]) -> list[str]:
    chosen = sorted({str(v).strip() for v in values if str(v).strip()})
    bad = [v for v in chosen if v not in Topic.values]
    if bad:
        raise DomainError(f"未知的议题：{'、'.join(bad)}。", field="topics")
    if not chosen:
        raise DomainError("请至少选择一个议题。", field="topics")
    return chosen


def _area(actor: User | None, area: Area) -> Area:
    if area.kind not in ("community", "grid"):
        raise DomainError("请选择社区或网格。", field="area")
    require_path_in_scope(actor, area.path)
    return area


def _speaker(
    actor: User | None, resident: Resident | None, speaker_name: str, anonymous: bool
) -> tuple[Resident | None, str]:
    name = clean_text(speaker_name, field="speaker_name", label="反映人", limit=50)
    if anonymous:
        if resident is not None or name:
            raise DomainError("匿名意见不登记反映人。", field="anonymous")
        return None, ""
    if resident is not None:
        require_path_in_scope(actor, resident.grid.path)
        return resident, ""
    return None, name


def _event(
    opinion: Opinion,
    actor: User | None,
    action: str,
    *,
    from_status: str = "",
    note: str = "",
    data: dict[str, Any] | None = None,
) -> OpinionEvent:
    return OpinionEvent.objects.create(
        opinion=opinion,
        action=action,
        from_status=from_status,
        to_status=opinion.status,
        actor=actor if actor is not None and actor.pk else None,
        actor_label=_label(actor),
        note=note,
        data=data or {},
    )


def opinion_record(
    *,
    actor: User | None,
    area: Area,
    channel: str,
    summary: str,
    topics: Iterable[str],
    resident: Resident | None = None,
    speaker_name: str = "",
    anonymous: bool = False,
    open_day: OpenDay | None = None,
    received_at: datetime | None = None,
) -> Opinion:
    """Enter one opinion in the ledger. Its reply is due a set number of working days later."""
    require(actor, Capability.WRITE)
    now = timezone.now()
    received_at = received_at or now
    if received_at > now + timedelta(minutes=5):
        raise DomainError("收集时间不能晚于现在。", field="received_at")
    if received_at < now - timedelta(days=BACKFILL_DAYS):
        raise DomainError(f"只能补录 {BACKFILL_DAYS} 天以内收集的意见。", field="received_at")
    if channel not in OpinionChannel.values:
        raise DomainError("收集渠道应为联系日、走访、热线、网上或会议。", field="channel")
    area = _area(actor, area)
    if open_day is not None:
        require_path_in_scope(actor, open_day.area.path)
        if open_day.status == OpenDayStatus.CANCELLED:
            raise DomainError("该联系日已取消，不能登记意见。", field="open_day")
        channel = OpinionChannel.OPEN_DAY
    elif channel == OpinionChannel.OPEN_DAY:
        raise DomainError("请选择是哪一次联系日收集的。", field="open_day")
    resident, name = _speaker(actor, resident, speaker_name, anonymous)
    summary = clean_text(summary, field="summary", label="意见内容", required=True)
    chosen = _topics(topics)
    with transaction.atomic():
        opinion = Opinion.objects.create(
            number=_next_number(received_at),
            area=area,
            resident=resident,
            speaker_name=name,
            anonymous=anonymous,
            channel=channel,
            open_day=open_day,
            summary=summary,
            received_at=received_at,
            recorded_by=actor if actor is not None and actor.pk else None,
            recorded_by_label=_label(actor),
            reply_due_at=reply_due(received_at),
            updated_at=now,
        )
        OpinionTopic.objects.bulk_create([OpinionTopic(opinion=opinion, topic=t) for t in chosen])
        _event(opinion, actor, E.RECORD, data={"channel": channel, "topics": chosen})
        audit_record(
            actor=actor, action=Action.CREATE, obj=opinion, changes={"channel": channel, "topics": chosen}
        )
    return opinion


def _lock(opinion: Opinion | int) -> Opinion:
    pk = opinion if isinstance(opinion, int) else opinion.pk
    return Opinion.objects.select_for_update().select_related("area").get(pk=pk)


def _move(
    actor: User | None,
    opinion: Opinion | int,
    action: str,
    *,
    note: str = "",
    data: dict[str, Any] | None = None,
    apply: Any = None,
    to: str | None = None,
) -> Opinion:
    """Lock, check the transition, apply, write the event and the audit entry. Call inside a transaction."""
    require(actor, Capability.WRITE)
    locked = _lock(opinion)
    require_path_in_scope(actor, locked.area.path)
    allowed, target = TRANSITIONS[action]
    if locked.status not in allowed:
        raise DomainError(
            f"该意见当前为“{locked.get_status_display()}”，不能{E(action).label}。", field="status"
        )
    before = locked.status
    if apply is not None:
        apply(locked)
    locked.status = to or target or locked.status
    locked.updated_at = timezone.now()
    locked.save()
    _event(locked, actor, action, from_status=before, note=note, data=data)
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        obj=locked,
        changes={"action": action, "status": [before, locked.status], **(data or {})},
    )
    return locked


def opinion_triage(
    *, actor: User | None, opinion: Opinion | int, disposition: str, note: str = ""
) -> Opinion:
    """研判: answer directly or record as a suggestion for planning (cases and merges have their own moves)."""
    if disposition not in (Disposition.DIRECT, Disposition.SUGGESTION):
        raise DomainError("研判结果应为直接答复或纳入规划建议（转诉求、合并另行操作）。", field="disposition")
    note = clean_text(note, field="note", label="研判意见", limit=500)

    def apply(o: Opinion) -> None:
        o.disposition = disposition
        o.triage_note = note

    with transaction.atomic():
        return _move(actor, opinion, E.TRIAGE, note=note, data={"disposition": disposition}, apply=apply)


def opinion_to_case(
    *,
    actor: User | None,
    opinion: Opinion | int,
    category: Category,
    title: str,
    description: str = "",
    urgency: str = Urgency.NORMAL,
) -> Case:
    """Turn the opinion into a case (诉求工单) through the cases intake; the two name each other: the
    opinion holds the case, the case's first comment names the opinion's ledger number."""
    with transaction.atomic():
        locked = _lock(opinion)
        require_path_in_scope(actor, locked.area.path)
        if locked.case_id:
            raise DomainError("该意见已转为诉求。", field="category")
        if locked.status not in TRANSITIONS[E.TO_CASE][0]:
            raise DomainError(f"该意见当前为“{locked.get_status_display()}”，不能转为诉求。", field="status")
        resident = locked.resident if not locked.anonymous else None
        case = case_services.case_create(
            actor=actor,
            category=category,
            channel=Channel.OPEN_DAY if locked.channel == OpinionChannel.OPEN_DAY else Channel.WALK_IN,
            urgency=urgency,
            title=title,
            description=description or locked.summary,
            area=locked.area if resident is None else None,
            resident=resident,
            reporter_name="" if locked.anonymous else locked.speaker_label,
        )
        case_services.case_comment(
            actor=actor, case=case, note=f"由社情民意 {locked.number}（{locked.get_channel_display()}）转入。"
        )

        def apply(o: Opinion) -> None:
            o.case = case
            o.disposition = Disposition.CASE

        _move(actor, locked, E.TO_CASE, note=f"工单 {case.number}", data={"case": case.number}, apply=apply)
    return case


def opinion_merge(*, actor: User | None, opinion: Opinion | int, into: Opinion, note: str = "") -> Opinion:
    """A repeat joins a similar open opinion; it is answered and closed with that one."""
    pk = opinion if isinstance(opinion, int) else opinion.pk
    if pk == into.pk:
        raise DomainError("不能与自身合并。", field="into")
    note = clean_text(note, field="note", label="说明", limit=500)
    with transaction.atomic():
        target = _lock(into)
        require_path_in_scope(actor, target.area.path)
        if target.status not in OPEN_STATUSES or target.merged_into_id:
            raise DomainError("只能并入尚未答复的意见。", field="into")

        def apply(o: Opinion) -> None:
            if o.case_id:
                raise DomainError("已转为诉求的意见不能再合并。", field="into")
            if Opinion.objects.filter(merged_into=o).exists():
                raise DomainError("已有其他意见并入此条，请把它们并入别的意见。", field="into")
            o.merged_into = target
            o.disposition = Disposition.MERGED

        moved = _move(actor, pk, E.MERGE, note=note, data={"into": target.number}, apply=apply)
        _event(target, actor, E.MERGE, from_status=target.status, note=f"并入同类意见 {moved.number}")
    return moved


def opinion_reply(*, actor: User | None, opinion: Opinion | int, reply: str, mode: str) -> Opinion:
    """The reply to the resident (答复). An opinion not yet triaged is thereby answered directly."""
    reply = clean_text(reply, field="reply", label="答复内容", required=True)
    if mode not in ReplyMode.values:
        raise DomainError("答复方式应为当面、电话、短信、书面或公示栏。", field="mode")

    def apply(o: Opinion) -> None:
        o.reply = reply
        o.reply_mode = mode
        o.replied_at = timezone.now()
        if not o.disposition:
            o.disposition = Disposition.DIRECT

    with transaction.atomic():
        return _move(actor, opinion, E.REPLY, note=reply, data={"mode": mode}, apply=apply)


def opinion_close(*, actor: User | None, opinion: Opinion | int, outcome: str) -> Opinion:
    """办结 with its outcome; the opinions merged into it close with it."""
    outcome = clean_text(outcome, field="outcome", label="办理结果", required=True)

    def apply(o: Opinion) -> None:
        o.outcome = outcome
        o.closed_at = timezone.now()

    with transaction.atomic():
        closed = _move(actor, opinion, E.CLOSE, note=outcome, apply=apply)
        for merged in Opinion.objects.filter(merged_into=closed, closed_at__isnull=True):
            merged.closed_at = closed.closed_at
            merged.outcome = f"随 {closed.number} 办结：{outcome}"[:2000]
            merged.save(update_fields=["closed_at", "outcome"])
            _event(merged, actor, E.CLOSE, from_status=merged.status, note=merged.outcome)
    return closed


def opinion_reopen(*, actor: User | None, opinion: Opinion | int, reason: str) -> Opinion:
    """Reopen an answered, closed or merged opinion (the reply or outcome did not settle it)."""
    reason = clean_text(reason, field="reason", label="重新打开的原因", required=True, limit=500)

    def apply(o: Opinion) -> None:
        if o.status == S.MERGED:
            o.merged_into = None
            o.disposition = ""
            o.status = S.NEW
        else:
            o.status = S.IN_PROGRESS
        o.closed_at = None

    with transaction.atomic():
        locked = _lock(opinion)
        target = S.NEW if locked.status == S.MERGED else S.IN_PROGRESS
        return _move(actor, locked, E.REOPEN, note=reason, apply=apply, to=target)


def opinion_correct(
    *,
    actor: User | None,
    opinion: Opinion | int,
    reason: str,
    summary: str | None = None,
    topics: Iterable[str] | None = None,
    area: Area | None = None,
    speaker_name: str | None = None,
    anonymous: bool | None = None,
) -> Opinion:
    """更正: fix what was entered wrongly. The old values stay in the history (event and audit)."""
    require(actor, Capability.WRITE)
    reason = clean_text(reason, field="reason", label="更正原因", required=True, limit=500)
    with transaction.atomic():
        locked = _lock(opinion)
        require_path_in_scope(actor, locked.area.path)
        changes: dict[str, list[Any]] = {}
        if summary is not None:
            new = clean_text(summary, field="summary", label="意见内容", required=True)
            if new != locked.summary:
                changes["summary"] = [locked.summary, new]
                locked.summary = new
        if area is not None and area.pk != locked.area_id:
            _area(actor, area)
            changes["area"] = [locked.area.path, area.path]
            locked.area = area
        if anonymous is not None or speaker_name is not None:
            anon = locked.anonymous if anonymous is None else anonymous
            resident, name = _speaker(
                actor,
                None if anon else locked.resident,
                "" if anon else (locked.speaker_name if speaker_name is None else speaker_name),
                anon,
            )
            if (anon, name, resident) != (locked.anonymous, locked.speaker_name, locked.resident):
                after = "匿名" if anon else (resident.name if resident else name or "未留名")
                changes["speaker"] = [locked.speaker_label, after]
                locked.anonymous, locked.speaker_name, locked.resident = anon, name, resident
        if topics is not None:
            old_topics = sorted(locked.topic_rows.values_list("topic", flat=True))
            chosen = _topics(topics)
            if chosen != old_topics:
                changes["topics"] = [old_topics, chosen]
                locked.topic_rows.all().delete()
                OpinionTopic.objects.bulk_create([OpinionTopic(opinion=locked, topic=t) for t in chosen])
        if not changes:
            raise DomainError("没有需要更正的内容。")
        locked.updated_at = timezone.now()
        locked.save()
        _event(locked, actor, E.CORRECT, from_status=locked.status, note=reason, data={"changes": changes})
        audit_record(actor=actor, action=Action.UPDATE, obj=locked, changes={**changes, "reason": reason})
    return locked


# --- open days -------------------------------------------------------------------------------


def _community(actor: User | None, area: Area) -> Area:
    if area.kind not in ("community", "street"):
        raise DomainError("联系日按社区（或街道）安排。", field="area")
    require_path_in_scope(actor, area.path)
    return area


def nth_weekday(year: int, month: int, week: int, weekday: int) -> date:
    """The `week`-th `weekday` (0 Monday) of the month; week -1 is the last."""
    days = [
        d
        for d in calendar.Calendar().itermonthdates(year, month)
        if d.month == month and d.weekday() == weekday
    ]
    return days[-1] if week == -1 else days[week - 1]


def open_day_rule_set(
    *, actor: User | None, area: Area, week_of_month: int, weekday: int, place: str, start_time: time
) -> OpenDayRule:
    """The area's rule (replacing its active one): e.g. every 2nd Sunday at 9:00 in the service hall."""
    require(actor, Capability.DISPATCH)
    area = _community(actor, area)
    if week_of_month not in (1, 2, 3, 4, -1):
        raise DomainError("第几周应为 1–4 或最后一周。", field="week_of_month")
    if not 0 <= weekday <= 6:
        raise DomainError("星期应为一至日。", field="weekday")
    place = clean_text(place, field="place", label="地点", required=True, limit=100)
    with transaction.atomic():
        OpenDayRule.objects.filter(area=area, active=True).update(active=False)
        rule = OpenDayRule.objects.create(
            area=area, week_of_month=week_of_month, weekday=weekday, place=place, start_time=start_time
        )
        audit_record(actor=actor, action=Action.CREATE, obj=rule, changes={"rule": str(rule)})
    return rule


def open_days_schedule(
    *, actor: User | None, rule: OpenDayRule, months: int = 3, start: date | None = None
) -> list[OpenDay]:
    """Plan the rule's open days for the next `months` months. Days already planned are left as they are."""
    require(actor, Capability.DISPATCH)
    require_path_in_scope(actor, rule.area.path)
    if not rule.active:
        raise DomainError("该排期规则已停用。")
    if not 1 <= months <= 12:
        raise DomainError("一次排期 1 至 12 个月。", field="months")
    start = start or timezone.localdate()
    created: list[OpenDay] = []
    with transaction.atomic():
        year, month = start.year, start.month
        for _ in range(months):
            day = nth_weekday(year, month, rule.week_of_month, rule.weekday)
            if day >= start and not OpenDay.objects.filter(area=rule.area, held_on=day).exists():
                created.append(
                    OpenDay.objects.create(
                        area=rule.area, rule=rule, held_on=day, start_time=rule.start_time, place=rule.place
                    )
                )
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        if created:
            audit_record(
                actor=actor,
                action=Action.CREATE,
                object_type="opinions.openday",
                object_repr=f"联系日排期 {len(created)} 次",
                area_path=rule.area.path,
                changes={"days": [str(d.held_on) for d in created]},
            )
    return created


def open_day_create(
    *, actor: User | None, area: Area, held_on: date, start_time: time, place: str, theme: str = ""
) -> OpenDay:
    require(actor, Capability.DISPATCH)
    area = _community(actor, area)
    place = clean_text(place, field="place", label="地点", required=True, limit=100)
    theme = clean_text(theme, field="theme", label="主题", limit=100)
    if OpenDay.objects.filter(area=area, held_on=held_on).exists():
        raise DomainError("这一天已安排了联系日。", field="held_on")
    with transaction.atomic():
        day = OpenDay.objects.create(
            area=area, held_on=held_on, start_time=start_time, place=place, theme=theme
        )
        audit_record(actor=actor, action=Action.CREATE, obj=day, changes={"held_on": str(held_on)})
    return day


def _attendees(text: str, field: str, label: str) -> str:
    lines = OpenDay.lines(clean_text(text, field=field, label=label, limit=2000))
    if any(len(line) > 60 for line in lines):
        raise DomainError(f"{label}每行写一人（姓名和职务），每行不超过 60 字。", field=field)
    return "\n".join(lines)


def open_day_update(
    *,
    actor: User | None,
    day: OpenDay | int,
    street_attendees: str,
    department_attendees: str,
    residents_met: Any,
    summary: str = "",
    theme: str = "",
    held: bool = True,
) -> OpenDay:
    """Record who attended, how many residents were met and a short summary; marks it held."""
    require(actor, Capability.WRITE)
    try:
        met = int(str(residents_met).strip() or 0)
    except (TypeError, ValueError) as exc:
        raise DomainError("接待居民人次应为整数。", field="residents_met") from exc
    if not 0 <= met <= 100000:
        raise DomainError("接待居民人次应在 0 至 100000 之间。", field="residents_met")
    street = _attendees(street_attendees, "street_attendees", "街道参加人员")
    departments = _attendees(department_attendees, "department_attendees", "部门参加人员")
    summary = clean_text(summary, field="summary", label="情况小结")
    theme = clean_text(theme, field="theme", label="主题", limit=100)
    with transaction.atomic():
        pk = day if isinstance(day, int) else day.pk
        locked = OpenDay.objects.select_for_update().select_related("area").get(pk=pk)
        require_path_in_scope(actor, locked.area.path)
        if locked.status == OpenDayStatus.CANCELLED:
            raise DomainError("该联系日已取消。")
        if held and locked.held_on > timezone.localdate():
            raise DomainError("联系日还没到，不能记为已举行。", field="held_on")
        changes = {
            "residents_met": [locked.residents_met, met],
            "status": [locked.status, OpenDayStatus.HELD if held else locked.status],
        }
        locked.street_attendees, locked.department_attendees = street, departments
        locked.residents_met, locked.summary = met, summary
        locked.theme = theme or locked.theme
        if held:
            locked.status = OpenDayStatus.HELD
        locked.save()
        audit_record(actor=actor, action=Action.UPDATE, obj=locked, changes=changes)
    return locked


def open_day_cancel(*, actor: User | None, day: OpenDay | int, reason: str) -> OpenDay:
    require(actor, Capability.DISPATCH)
    reason = clean_text(reason, field="reason", label="取消原因", required=True, limit=200)
    with transaction.atomic():
        pk = day if isinstance(day, int) else day.pk
        locked = OpenDay.objects.select_for_update().select_related("area").get(pk=pk)
        require_path_in_scope(actor, locked.area.path)
        if locked.status != OpenDayStatus.PLANNED:
            raise DomainError("只能取消尚未举行的联系日。")
        if locked.opinions.exists():
            raise DomainError("已登记意见的联系日不能取消。")
        locked.status = OpenDayStatus.CANCELLED
        locked.cancel_reason = reason
        locked.save()
        audit_record(
            actor=actor, action=Action.UPDATE, obj=locked, changes={"status": ["planned", "cancelled"]}
        )
    return locked
