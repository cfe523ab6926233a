from __future__ import annotations

from datetime import date, time, timedelta

import pytest

from linli.cases.models import Case
from linli.core.errors import DomainError, NotFound
from linli.core.models import AuditEntry
from linli.opinions import selectors, services
from linli.opinions.models import Disposition, OpenDay, Opinion, OpinionEvent, OpinionStatus


def record(w, **kw):
    values = {
        "actor": w.c01_worker,
        "area": w.c01_g01,
        "channel": "hotline",
        "summary": "小区东门路灯坏了一周",
        "topics": ["facilities"],
        "speaker_name": "赵大爷",
    }
    values.update(kw)
    return services.opinion_record(**values)


def test_an_opinion_gets_a_number_and_a_reply_deadline_in_working_days(world, clock):
    first = record(world)
    second = record(world, anonymous=True, speaker_name="")
    assert first.number == "MY202611-0001"
    assert second.number == "MY202611-0002"
    # Five working days after Monday 16 November: Monday 23 November, end of the working day.
    assert first.reply_due_at.date() == date(2026, 11, 23)
    assert second.speaker_label == "匿名"
    assert list(first.topic_rows.values_list("topic", flat=True)) == ["facilities"]


def test_an_anonymous_opinion_with_a_name_is_refused_and_nothing_is_written(world, clock):
    with pytest.raises(DomainError, match="匿名"):
        record(world, anonymous=True)
    with pytest.raises(DomainError, match="议题"):
        record(world, topics=["nonsense"])
    assert Opinion.objects.count() == 0


def test_out_of_scope_area_is_not_found(world, clock):
    with pytest.raises(NotFound):
        record(world, area=world.c02_g01)


def test_reply_then_close_and_reopen_keeps_history(world, clock):
    o = record(world)
    o = services.opinion_reply(actor=world.c01_worker, opinion=o, reply="已报修，三日内修复", mode="phone")
    assert o.status == OpinionStatus.REPLIED
    assert o.disposition == Disposition.DIRECT
    o = services.opinion_close(actor=world.c01_worker, opinion=o, outcome="路灯已修复")
    assert o.status == OpinionStatus.CLOSED
    with pytest.raises(DomainError, match="不能答复"):
        services.opinion_reply(actor=world.c01_worker, opinion=o, reply="再答复", mode="phone")
    o = services.opinion_reopen(actor=world.c01_worker, opinion=o, reason="又坏了")
    assert o.status == OpinionStatus.IN_PROGRESS
    assert o.closed_at is None
    actions = list(o.events.values_list("action", flat=True))
    assert actions == ["record", "reply", "close", "reopen"]


def test_turning_into_a_case_links_both_ways(world, cw):
    o = record(
        world,
        channel="open_day",
        open_day=services.open_day_create(
            actor=world.c01_worker,
            area=world.c01,
            held_on=date(2026, 11, 16),
            start_time=time(9),
            place="服务大厅",
        ),
    )
    case = services.opinion_to_case(
        actor=world.c01_worker, opinion=o, category=cw.dept_category, title="东门路灯"
    )
    o.refresh_from_db()
    assert o.case == case
    assert o.disposition == Disposition.CASE
    assert o.status == OpinionStatus.IN_PROGRESS
    assert case.channel == "open_day"
    assert o.number in case.events.filter(action="comment").get().note
    with pytest.raises(DomainError, match="已转为诉求"):
        services.opinion_to_case(actor=world.c01_worker, opinion=o, category=cw.dept_category, title="again")
    assert Case.objects.count() == 1


def test_merge_closes_with_the_main_opinion(world, clock):
    main = record(world)
    repeat = record(world, speaker_name="钱阿姨")
    services.opinion_merge(actor=world.c01_worker, opinion=repeat, into=main)
    with pytest.raises(DomainError, match="自身"):
        services.opinion_merge(actor=world.c01_worker, opinion=main, into=main)
    services.opinion_reply(actor=world.c01_worker, opinion=main, reply="已报修", mode="sms")
    services.opinion_close(actor=world.c01_worker, opinion=main, outcome="已修复")
    repeat.refresh_from_db()
    assert repeat.status == OpinionStatus.MERGED
    assert repeat.closed_at is not None
    assert main.number in repeat.outcome


def test_correction_keeps_the_old_values(world, clock):
    o = record(world)
    o = services.opinion_correct(
        actor=world.c01_worker,
        opinion=o,
        reason="录错议题",
        topics=["facilities", "safety"],
        summary="东门路灯坏",
    )
    event = o.events.get(action=OpinionEvent.Action.CORRECT)
    assert event.data["changes"]["topics"] == [["facilities"], ["facilities", "safety"]]
    assert event.data["changes"]["summary"][0] == "小区东门路灯坏了一周"
    with pytest.raises(DomainError, match="没有需要更正"):
        services.opinion_correct(actor=world.c01_worker, opinion=o, reason="x", summary="东门路灯坏")


def test_open_days_are_scheduled_by_rule(world, clock):
    rule = services.open_day_rule_set(
        actor=world.c01_leader,
        area=world.c01,
        week_of_month=2,
        weekday=6,
        place="社区服务大厅",
        start_time=time(9),
    )
    days = services.open_days_schedule(actor=world.c01_leader, rule=rule, months=3)
    # 2nd Sundays of November (the 8th: past), December and January.
    assert [d.held_on for d in days] == [date(2026, 12, 13), date(2027, 1, 10)]
    again = services.open_days_schedule(actor=world.c01_leader, rule=rule, months=3)
    assert again == []
    with pytest.raises(DomainError):
        services.open_day_update(
            actor=world.c01_worker, day=days[0], street_attendees="", department_attendees="", residents_met=3
        )


def test_open_day_attendance_and_followup(world, clock):
    day = services.open_day_create(
        actor=world.c01_worker, area=world.c01, held_on=date(2026, 11, 15), start_time=time(9), place="大厅"
    )
    day = services.open_day_update(
        actor=world.c01_worker,
        day=day,
        street_attendees="李主任（街道办副主任）\n王科长（城管科）",
        department_attendees="市场监管所 张所长",
        residents_met="43",
    )
    assert day.status == OpenDay.Status.HELD
    a = record(world, channel="open_day", open_day=day)
    record(world, channel="open_day", open_day=day)
    services.opinion_reply(actor=world.c01_worker, opinion=a, reply="已答复", mode="in_person")
    assert selectors.open_day_followup(day) == {"total": 2, "open": 1, "replied": 1, "done": 0}
    with pytest.raises(DomainError, match="取消"):
        services.open_day_cancel(actor=world.c01_worker, day=day, reason="下雨")


def test_monthly_report_counts_and_shares(world, cw):
    a = record(world, topics=["facilities", "safety"])
    b = record(world, topics=["safety"])
    record(world, topics=["elderly"])
    services.opinion_reply(actor=world.c01_worker, opinion=a, reply="已答复", mode="phone")
    services.opinion_to_case(actor=world.c01_worker, opinion=b, category=cw.dept_category, title="治安")
    cw_clock_later = cw  # noqa: F841
    report = selectors.monthly_report(world.c01_worker, date(2026, 11, 1))
    assert report.total == 3
    assert report.topics[0] == ("safety", "治安安全", 2)
    assert report.case_share == "33.3%"
    assert report.on_time == 1
    assert report.late == 0
    assert report.on_time_share == "100.0%"
    # Out of scope: another community's worker sees none of them.
    assert selectors.monthly_report(world.grid_worker_c02_g01, date(2026, 11, 1)).total == 0


def test_late_reply_counts_against_on_time(world, clock):
    o = record(world)
    clock.shift(timedelta(days=10))
    services.opinion_reply(actor=world.c01_worker, opinion=o, reply="迟到的答复", mode="phone")
    report = selectors.monthly_report(world.c01_worker, date(2026, 11, 1))
    assert report.on_time == 0
    assert report.late == 1


def test_writes_are_audited(world, clock):
    o = record(world)
    assert AuditEntry.objects.filter(object_type="opinions.opinion", object_id=str(o.pk)).count() == 1
