from __future__ import annotations

import io
from datetime import date, datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from linli.cases.models import CaseEvent, Channel, Notification
from linli.core.errors import DomainError, Forbidden, NotFound
from linli.core.models import AuditEntry
from linli.registry.models import Tag
from linli.registry.services import resident_set_tags
from linli.visits import selectors, services
from linli.visits.export import export_coverage, export_visits
from linli.visits.models import Pairing, TaskStatus, Visit, VisitCaseLink, VisitTarget, VisitTask
from linli.visits.tests.conftest import SHANGHAI, VisitWorld

TODAY = date(2026, 11, 20)


def target(resident) -> VisitTarget:
    return VisitTarget.objects.get(resident=resident)


# --- targets -------------------------------------------------------------------------------------


def test_plans_make_targets_for_tagged_residents_with_their_grid_worker(vw: VisitWorld) -> None:
    t = target(vw.alone)
    assert (t.interval_days, t.reasons, t.since, t.due_on) == (
        7,
        ["elderly_alone"],
        TODAY,
        TODAY + timedelta(7),
    )
    assert t.visitor == vw.w.grid_worker_c01_g01
    assert target(vw.dibao).interval_days == 30
    assert target(vw.g02_alone).visitor == vw.w.grid_worker_c01_g02
    assert not VisitTarget.objects.filter(resident__in=[vw.spouse, vw.untagged]).exists()


def test_running_the_sync_twice_changes_nothing(vw: VisitWorld) -> None:
    first = services.targets_sync()
    second = services.targets_sync()
    assert (first.added, first.changed, first.removed) == (0, 0, 0)
    assert (second.added, second.changed, second.removed) == (0, 0, 0)


def test_the_shortest_interval_wins_and_both_reasons_are_kept(vw: VisitWorld) -> None:
    resident_set_tags(
        actor=None, resident=vw.dibao, tags=Tag.objects.filter(code__in=["dibao", "elderly_alone"])
    )
    services.targets_sync()
    t = target(vw.dibao)
    assert t.interval_days == 7
    assert t.reasons == ["dibao", "elderly_alone"]


def test_a_personal_plan_adds_someone_no_tag_covers(vw: VisitWorld) -> None:
    services.care_plan_create(actor=vw.w.c01_worker, resident=vw.untagged, interval_days=3)
    t = target(vw.untagged)
    assert (t.interval_days, t.reasons) == (3, ["person"])


def test_losing_the_tag_or_switching_the_plan_off_removes_the_target(vw: VisitWorld) -> None:
    resident_set_tags(actor=None, resident=vw.alone, tags=[])
    # Changing tags keeps the visit list at once; a full sync afterwards finds nothing left to remove.
    assert not VisitTarget.objects.filter(resident=vw.alone).exists()
    assert services.targets_sync().removed == 0
    services.care_plan_update(actor=vw.w.street_admin, plan=vw.weekly, active=False)
    assert not VisitTarget.objects.filter(resident__in=[vw.g02_alone, vw.c02_alone]).exists()
    assert VisitTarget.objects.filter(resident=vw.dibao).exists()


def test_a_new_target_starts_from_their_last_visit(vw: VisitWorld) -> None:
    services.visit_create(
        actor=vw.w.grid_worker_c01_g01, resident=vw.untagged, mode="phone", observations="问候"
    )
    services.care_plan_create(actor=None, resident=vw.untagged, interval_days=10)
    assert target(vw.untagged).last_visited_on == TODAY
    assert target(vw.untagged).due_on == TODAY + timedelta(10)


def test_tag_plans_are_for_leaders_and_sensitive_tags_for_those_who_may_see_them(vw: VisitWorld) -> None:
    tag = Tag.objects.get(code="tekun")
    with pytest.raises(Forbidden):
        services.care_plan_create(actor=vw.w.grid_worker_c01_g01, area=vw.w.c01_g01, tag=tag, interval_days=7)
    with pytest.raises(NotFound):
        services.care_plan_create(actor=vw.w.c01_leader, area=vw.w.c02, tag=tag, interval_days=7)
    with pytest.raises(DomainError, match="1 至 366"):
        services.care_plan_create(actor=vw.w.c01_leader, area=vw.w.c01, tag=tag, interval_days=0)
    with pytest.raises(DomainError, match="已有"):
        services.care_plan_create(
            actor=None, area=vw.w.s01, tag=Tag.objects.get(code="dibao"), interval_days=9
        )
    plan = services.care_plan_create(actor=vw.w.c01_leader, area=vw.w.c01, tag=tag, interval_days=14)
    assert plan.interval_days == 14


# --- the log --------------------------------------------------------------------------------------


def test_a_visit_moves_the_due_date_and_is_audited(vw: VisitWorld, clock) -> None:
    clock.move_to(datetime(2026, 11, 25, 15, 0, tzinfo=SHANGHAI))
    visit = services.visit_create(
        actor=vw.w.grid_worker_c01_g01,
        resident=vw.alone,
        mode="in_person",
        observations="精神好，家里暖气正常",
        needs="想装扶手",
        latitude="30.2741",
        longitude="120.1551",
    )
    t = target(vw.alone)
    assert (t.last_visited_on, t.due_on) == (date(2026, 11, 25), date(2026, 12, 2))
    assert visit.grid == vw.w.c01_g01
    assert visit.visitor == vw.w.grid_worker_c01_g01
    assert AuditEntry.objects.filter(
        object_type="visits.visit", object_id=str(visit.pk), action="create"
    ).exists()


def test_a_backdated_visit_does_not_pull_the_due_date_back(vw: VisitWorld) -> None:
    services.visit_create(
        actor=vw.w.grid_worker_c01_g01, resident=vw.alone, mode="phone", observations="今天"
    )
    services.visit_create(
        actor=vw.w.grid_worker_c01_g01,
        resident=vw.alone,
        mode="phone",
        observations="补录上周",
        visited_on=TODAY - timedelta(days=6),
    )
    assert target(vw.alone).last_visited_on == TODAY


def test_a_household_visit_counts_for_every_member(vw: VisitWorld) -> None:
    services.care_plan_create(actor=None, resident=vw.spouse, interval_days=14)
    services.visit_create(
        actor=vw.w.grid_worker_c01_g01, household=vw.household, mode="in_person", observations="两位老人都在"
    )
    assert target(vw.alone).last_visited_on == TODAY
    assert target(vw.spouse).due_on == TODAY + timedelta(14)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"mode": "video"}, "mode", "走访方式"),
        ({"observations": "  "}, "observations", "请填写走访情况"),
        ({"visited_on": TODAY + timedelta(days=1)}, "visited_on", "不能晚于今天"),
        ({"visited_on": TODAY - timedelta(days=400)}, "visited_on", "一年以内"),
        ({"latitude": "30.1"}, "latitude", "经纬度须同时填写"),
        ({"latitude": "95", "longitude": "120"}, "latitude", "超出范围"),
    ],
)
def test_bad_visits_are_refused_with_a_reason_and_write_nothing(
    vw: VisitWorld, changes, field, message
) -> None:
    values = {"mode": "in_person", "observations": "正常", **changes}
    with pytest.raises(DomainError, match=message) as refused:
        services.visit_create(actor=vw.w.grid_worker_c01_g01, resident=vw.alone, **values)
    assert refused.value.field == field
    assert not Visit.objects.exists()
    assert target(vw.alone).last_visited_on is None


def test_a_photo_that_is_not_an_image_is_refused_and_nothing_is_written(vw: VisitWorld) -> None:
    fake = SimpleUploadedFile("photo.jpg", b"MZ\x90\x00 not a picture", content_type="image/jpeg")
    with pytest.raises(DomainError, match="JPEG"):
        services.visit_create(
            actor=vw.w.grid_worker_c01_g01, resident=vw.alone, mode="in_person", observations="x", photo=fake
        )
    assert not Visit.objects.exists()


def test_visits_outside_scope_or_without_write_are_refused(vw: VisitWorld) -> None:
    with pytest.raises(NotFound):
        services.visit_create(
            actor=vw.w.grid_worker_c01_g01, resident=vw.g02_alone, mode="phone", observations="x"
        )
    with pytest.raises(Forbidden):
        services.visit_create(actor=vw.w.viewer, resident=vw.alone, mode="phone", observations="x")
    with pytest.raises(DomainError, match="二选一"):
        services.visit_create(actor=None, mode="phone", observations="x")


def test_a_need_becomes_a_case_linked_both_ways(vw: VisitWorld) -> None:
    from linli.cases.services import category_create

    parent = category_create(actor=None, code="V", name="测试大类")
    category = category_create(actor=None, code="V-HELP", name="生活帮扶", parent=parent)
    visit = services.visit_create(
        actor=vw.w.grid_worker_c01_g01,
        resident=vw.alone,
        mode="in_person",
        observations="x",
        needs="卫生间要装扶手",
    )
    case = services.visit_need_to_case(
        actor=vw.w.grid_worker_c01_g01, visit=visit, category=category, title="装扶手"
    )
    assert (case.channel, case.resident, case.area) == (Channel.VISIT, vw.alone, vw.w.c01_g01)
    assert case.description == "卫生间要装扶手"
    assert VisitCaseLink.objects.get(case=case).visit == visit
    assert case.visit_link.visit == visit
    assert CaseEvent.objects.filter(case=case, action="comment", note__contains="走访发现").exists()


# --- pairings ------------------------------------------------------------------------------------------


def test_a_pairing_takes_over_the_visits_and_ending_it_gives_them_back(vw: VisitWorld) -> None:
    pairing = services.pairing_create(
        actor=vw.w.c01_worker, resident=vw.alone, visitor=vw.w.c01_worker, kind="party_member"
    )
    assert target(vw.alone).visitor == vw.w.c01_worker
    services.pairing_end(actor=vw.w.c01_worker, pairing=pairing)
    services.targets_sync(today=TODAY + timedelta(days=1))
    assert target(vw.alone).visitor == vw.w.grid_worker_c01_g01


def test_a_new_pairing_ends_the_previous_one_the_day_before(vw: VisitWorld) -> None:
    first = services.pairing_create(
        actor=None, resident=vw.alone, visitor=vw.w.c01_worker, start_date=TODAY - timedelta(days=30)
    )
    services.pairing_create(actor=None, resident=vw.alone, visitor=vw.w.c01_leader)
    first.refresh_from_db()
    assert first.end_date == TODAY - timedelta(days=1)
    assert Pairing.objects.filter(resident=vw.alone, end_date__isnull=True).get().visitor == vw.w.c01_leader


def test_the_visitor_must_cover_the_resident_and_be_able_to_log_visits(vw: VisitWorld) -> None:
    with pytest.raises(DomainError, match="管辖范围"):
        services.pairing_create(actor=None, resident=vw.alone, visitor=vw.w.grid_worker_c01_g02)
    with pytest.raises(DomainError, match="不能登记走访"):
        services.pairing_create(actor=None, resident=vw.alone, visitor=vw.w.viewer)


# --- 八必访 ------------------------------------------------------------------------------------------------


def test_an_event_creates_a_task_due_in_working_days_for_the_grid_worker(vw: VisitWorld) -> None:
    task = services.task_create(
        actor=vw.w.c01_worker, resident=vw.alone, trigger="hospitalised", note="昨晚住院"
    )
    # Friday + 2 working days = Tuesday, end of the working day.
    assert task.due_at.astimezone(SHANGHAI).date() == date(2026, 11, 24)
    assert task.assignee == vw.w.grid_worker_c01_g01
    note = Notification.objects.get(user=vw.w.grid_worker_c01_g01, kind="visit_task")
    assert "钱老伯" in note.text
    assert note.link == f"/visits/new/?resident={vw.alone.pk}"


def test_a_visit_fulfils_the_open_task_but_not_if_dated_before_the_event(vw: VisitWorld) -> None:
    task = services.task_create(actor=None, resident=vw.alone, trigger="family_conflict", note="子女争吵")
    services.visit_create(
        actor=vw.w.grid_worker_c01_g01,
        resident=vw.alone,
        mode="phone",
        observations="上周的情况",
        visited_on=TODAY - timedelta(days=3),
    )
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN
    visit = services.visit_create(
        actor=vw.w.grid_worker_c01_g01, household=vw.household, mode="in_person", observations="已调解"
    )
    task.refresh_from_db()
    assert (task.status, task.visit) == (TaskStatus.DONE, visit)


def test_bad_events_are_refused(vw: VisitWorld) -> None:
    with pytest.raises(DomainError, match="事由"):
        services.task_create(actor=None, resident=vw.alone, trigger="birthday", note="x")
    with pytest.raises(DomainError, match="事件情况"):
        services.task_create(actor=None, resident=vw.alone, trigger="worries", note="")
    with pytest.raises(NotFound):
        services.task_create(actor=vw.w.grid_worker_c01_g02, resident=vw.alone, trigger="worries", note="x")
    assert not VisitTask.objects.exists()


def test_the_sweep_marks_overdue_tasks_once_and_tells_the_worker_and_the_leader(
    vw: VisitWorld, clock
) -> None:
    services.task_create(actor=None, resident=vw.alone, trigger="accident", note="家中失火")
    clock.move_to(datetime(2026, 11, 24, 9, 0, tzinfo=SHANGHAI))  # past Monday's close
    first = services.tick()
    second = services.tick()
    assert (first.tasks_overdue, second.tasks_overdue) == (1, 0)
    told = set(
        Notification.objects.filter(kind="visit_due", text__contains="八必访超期").values_list(
            "user__username", flat=True
        )
    )
    assert told == {"c01g01", "c01-leader"}


def test_the_sweep_tells_each_visitor_once_per_due_date_in_one_message(vw: VisitWorld, clock) -> None:
    clock.move_to(datetime(2026, 12, 1, 9, 0, tzinfo=SHANGHAI))  # weekly targets are past due
    result = services.tick()
    assert result.targets_overdue == 3  # 钱老伯 (G01), 周独居 (G02), 吴独居 (C02)
    assert services.tick().targets_overdue == 0
    mine = Notification.objects.filter(user=vw.w.grid_worker_c01_g01, kind="visit_due")
    assert mine.count() == 1
    assert "钱老伯" in mine.get().text
    services.visit_create(actor=vw.w.grid_worker_c01_g01, resident=vw.alone, mode="phone", observations="x")
    clock.move_to(datetime(2026, 12, 9, 9, 0, tzinfo=SHANGHAI))
    assert services.tick().targets_overdue >= 1  # a new due date is a new reminder
    assert mine.count() == 2


def test_cancelling_a_task_needs_a_reason_and_only_once(vw: VisitWorld) -> None:
    task = services.task_create(actor=None, resident=vw.alone, trigger="worries", note="x")
    with pytest.raises(DomainError, match="撤销原因"):
        services.task_cancel(actor=vw.w.c01_worker, task=task, reason=" ")
    services.task_cancel(actor=vw.w.c01_worker, task=task, reason="登记错误")
    with pytest.raises(DomainError, match="不能撤销"):
        services.task_cancel(actor=vw.w.c01_worker, task=task, reason="again")


# --- reading -------------------------------------------------------------------------------------------


def test_sensitive_reasons_are_named_only_to_those_who_may_see_them(vw: VisitWorld) -> None:
    reasons = target(vw.dibao).reasons
    assert selectors.reason_text(reasons, vw.w.c01_worker) == "低保"
    assert selectors.reason_text(reasons, vw.w.grid_worker_c01_g01) == "重点关怀"


def test_the_todo_list_has_tasks_then_overdue_then_due_soon(vw: VisitWorld, clock) -> None:
    services.task_create(actor=None, resident=vw.dibao, trigger="hardship", note="失业")
    clock.move_to(datetime(2026, 11, 28, 9, 0, tzinfo=SHANGHAI))
    todo = selectors.todo(vw.w.grid_worker_c01_g01)
    assert [t.resident.name for t in todo.tasks] == ["孙困难"]
    assert [t.resident.name for t in todo.overdue] == ["钱老伯"]
    assert todo.soon == []
    assert selectors.todo_count(vw.w.grid_worker_c01_g01) == 2


def test_coverage_per_grid_and_community_within_scope(vw: VisitWorld, clock) -> None:
    clock.move_to(datetime(2026, 11, 25, 9, 0, tzinfo=SHANGHAI))
    services.visit_create(
        actor=vw.w.grid_worker_c01_g01, resident=vw.alone, mode="in_person", observations="x"
    )
    clock.move_to(datetime(2026, 11, 28, 9, 0, tzinfo=SHANGHAI))
    rows, total = selectors.coverage(vw.w.street_admin, group="grid")
    by_key = {r.key: r for r in rows}
    g01 = by_key["S01/C01/G01"]
    assert (g01.targets, g01.on_time, g01.overdue, g01.never, g01.visits, g01.in_person) == (2, 2, 0, 1, 1, 1)
    assert (by_key["S01/C01/G02"].overdue, by_key["S01/C02/G01"].overdue) == (1, 1)
    assert (total.targets, total.on_time, total.on_time_rate) == (4, 2, 0.5)
    communities, _ = selectors.coverage(vw.w.street_admin, group="community")
    assert [(r.key, r.targets, r.overdue) for r in communities] == [("S01/C01", 3, 1), ("S01/C02", 1, 1)]
    mine, _ = selectors.coverage(vw.w.grid_worker_c01_g01)
    assert [r.key for r in mine] == ["S01/C01/G01"]


# --- diary ------------------------------------------------------------------------------------------------


def test_the_diary_is_the_authors_to_edit_and_scoped_to_read(vw: VisitWorld) -> None:
    from linli.visits.models import DiaryEntry

    entry = services.diary_create(actor=vw.w.grid_worker_c01_g01, text="3 栋居民反映电梯异响")
    assert entry.area == vw.w.c01_g01
    with pytest.raises(Forbidden):
        services.diary_update(actor=vw.w.c01_leader, entry=entry, text="改")
    services.diary_update(actor=vw.w.grid_worker_c01_g01, entry=entry, text="3 栋电梯异响，已报物业")
    assert AuditEntry.objects.filter(object_type="visits.diaryentry", action="update").exists()
    assert DiaryEntry.objects.visible_to(vw.w.c01_leader).filter(pk=entry.pk).exists()
    assert not DiaryEntry.objects.visible_to(vw.w.grid_worker_c02_g01).filter(pk=entry.pk).exists()
    with pytest.raises(DomainError, match="请填写日记内容"):
        services.diary_create(actor=vw.w.grid_worker_c01_g01, text="")
    with pytest.raises(DomainError, match="晚于今天"):
        services.diary_create(actor=vw.w.grid_worker_c01_g01, text="x", day=TODAY + timedelta(days=1))


# --- export -------------------------------------------------------------------------------------------------


def test_exports_are_scoped_and_audited(vw: VisitWorld) -> None:
    services.visit_create(
        actor=vw.w.grid_worker_c01_g01, resident=vw.alone, mode="in_person", observations="良好"
    )
    services.visit_create(
        actor=vw.w.grid_worker_c01_g02, resident=vw.g02_alone, mode="phone", observations="电话"
    )
    buffer = io.BytesIO()
    assert export_visits(actor=vw.w.grid_worker_c01_g01, target=buffer, start=TODAY, end=TODAY) == 1
    sheet = load_workbook(io.BytesIO(buffer.getvalue())).active
    assert sheet.cell(row=4, column=4).value == "钱老伯"
    assert sheet.cell(row=4, column=2).value == "入户"
    buffer = io.BytesIO()
    assert export_coverage(actor=vw.w.c01_leader, target=buffer, group="grid") == 2
    exports = AuditEntry.objects.filter(action="export").values_list("object_type", flat=True)
    assert set(exports) == {"visits.visit", "visits.coverage"}
