from __future__ import annotations

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from linli.cases.models import Notification
from linli.core.errors import DomainError, Forbidden, NotFound
from linli.core.models import AuditEntry
from linli.party import rules, selectors, services
from linli.party.models import (
    Applicant,
    Meeting,
    MeetingAttendance,
    MeetingRule,
    MemberStatus,
    PartyMember,
    PipelineStep,
    PointEntry,
    PointRule,
    Stage,
)

pytestmark = pytest.mark.django_db


def test_the_seeded_rules_are_the_documented_table():
    assert {r.kind: r.every_months for r in MeetingRule.objects.all()} == {
        k: v[0] for k, v in rules.MEETING_FREQUENCIES.items()
    }
    assert {r.code: (r.points, r.cap) for r in PointRule.objects.all()} == {
        k: (v[1], v[2]) for k, v in rules.POINT_RULES.items()
    }


def test_only_party_roles_see_party_rows(pw):
    w = pw.w
    assert PartyMember.objects.visible_to(w.c01_leader).count() == 2
    assert PartyMember.objects.visible_to(w.street_admin).count() == 3
    for user in (w.c01_worker, w.grid_worker_c01_g01, w.viewer, w.department):
        assert PartyMember.objects.visible_to(user).count() == 0


def test_a_community_worker_cannot_record_members(pw):
    with pytest.raises(Forbidden):
        services.member_create(
            actor=pw.w.c01_worker, organisation=pw.branch, name="某人", joined_on=date(2000, 1, 1)
        )


def test_a_leader_cannot_touch_another_communitys_branch(pw):
    with pytest.raises(NotFound):
        services.meeting_create(
            actor=pw.w.c01_leader,
            organisation=pw.c02_branch,
            kind="general",
            held_on=date(2026, 11, 1),
            place="会议室",
            topic="学习",
        )


def test_a_member_is_in_one_branch_at_a_time(pw):
    before = PartyMember.objects.count()
    with pytest.raises(DomainError, match="同一时间只能在一个支部"):
        services.member_create(
            actor=pw.w.c01_leader, organisation=pw.branch2, resident=pw.resident, joined_on=date(1998, 7, 1)
        )
    assert PartyMember.objects.count() == before


def test_moving_a_member_within_keeps_one_branch_and_records_the_transfer(pw):
    t = services.member_transfer(
        actor=pw.w.c01_leader,
        member=pw.member,
        direction="within",
        date=date(2026, 10, 1),
        to_organisation=pw.branch2,
    )
    pw.member.refresh_from_db()
    assert pw.member.organisation == pw.branch2
    assert t.from_organisation == pw.branch
    out = services.member_transfer(
        actor=pw.w.c01_leader,
        member=pw.member,
        direction="out",
        date=date(2026, 11, 1),
        outside_unit="浦东新区某街道党工委",
    )
    pw.member.refresh_from_db()
    assert pw.member.status == MemberStatus.TRANSFERRED_OUT
    assert out.outside_unit.startswith("浦东")
    # Gone from the roll: the person may now be entered again (transferred back in).
    again = services.member_create(
        actor=pw.w.c01_leader,
        organisation=pw.branch,
        resident=pw.resident,
        joined_on=date(1998, 7, 1),
        transferred_in_on=date(2026, 11, 10),
        transferred_from="浦东新区某街道党工委",
    )
    assert again.transfers.get().direction == "in"


def test_reporting_members_need_their_unit(pw):
    with pytest.raises(DomainError, match="工作单位"):
        services.member_create(
            actor=pw.w.c01_leader,
            organisation=pw.branch,
            name="某人",
            kind="reporting",
            joined_on=date(2000, 1, 1),
        )


def test_hardship_member_gets_a_care_plan_in_visits(pw):
    plan = services.member_care_plan(actor=pw.w.c01_leader, member=pw.member, interval_days=30)
    assert plan.resident == pw.resident
    pw.member.refresh_from_db()
    assert pw.member.hardship


def _applicant(pw, applied=date(2024, 1, 10)):
    return services.applicant_create(
        actor=pw.w.c01_leader, organisation=pw.branch, resident=pw.newcomer, applied_on=applied
    )


def test_pipeline_moves_in_order_with_its_waiting_periods(pw):
    leader = pw.w.c01_leader
    a = _applicant(pw)
    with pytest.raises(DomainError, match="须按顺序"):
        services.applicant_advance(
            actor=leader, applicant=a, to_stage="candidate", date=date(2025, 3, 1), resolution="支委会"
        )
    a = services.applicant_advance(
        actor=leader, applicant=a, to_stage="activist", date=date(2024, 3, 1), resolution="支委会研究同意"
    )
    with pytest.raises(DomainError, match="一年以上培养教育") as exc:
        services.applicant_advance(
            actor=leader, applicant=a, to_stage="candidate", date=date(2025, 2, 28), resolution="支委会"
        )
    assert "2025-03-01" in exc.value.message
    a = services.applicant_advance(
        actor=leader, applicant=a, to_stage="candidate", date=date(2025, 3, 1), resolution="支委会"
    )
    with pytest.raises(DomainError, match="入党介绍人不足"):
        services.applicant_advance(
            actor=leader,
            applicant=a,
            to_stage="probationary",
            date=date(2025, 6, 1),
            resolution="支部大会通过",
        )
    a = services.applicant_advance(
        actor=leader,
        applicant=a,
        to_stage="probationary",
        date=date(2025, 6, 1),
        resolution="支部大会通过",
        introducers="孙红、周在职",
    )
    member = a.member
    assert member is not None
    assert member.status == MemberStatus.PROBATIONARY
    assert member.probation_end == date(2026, 6, 1)
    with pytest.raises(DomainError, match="预备期为一年"):
        services.applicant_advance(
            actor=leader, applicant=a, to_stage="full", date=date(2026, 5, 31), resolution="支部大会"
        )
    a = services.applicant_advance(
        actor=leader, applicant=a, to_stage="full", date=date(2026, 6, 1), resolution="支部大会同意转正"
    )
    member.refresh_from_db()
    assert member.status == MemberStatus.FULL
    assert [s.to_stage for s in PipelineStep.objects.filter(applicant=a)] == [
        "applicant",
        "activist",
        "candidate",
        "probationary",
        "full",
    ]


def test_a_refused_step_writes_nothing(pw):
    a = _applicant(pw)
    steps, audits = PipelineStep.objects.count(), AuditEntry.objects.count()
    with pytest.raises(DomainError):
        services.applicant_advance(
            actor=pw.w.c01_leader, applicant=a, to_stage="activist", date=date(2024, 3, 1)
        )
    assert (PipelineStep.objects.count(), AuditEntry.objects.count()) == (steps, audits)
    a.refresh_from_db()
    assert a.stage == Stage.APPLICANT


def test_applicants_must_be_eighteen(pw):
    with pytest.raises(DomainError, match="年满十八"):
        services.applicant_create(
            actor=pw.w.c01_leader,
            organisation=pw.branch,
            name="小明",
            birth_date=date(2010, 1, 1),
            applied_on=date(2026, 1, 1),
        )


def test_the_due_list_shows_who_may_take_the_next_step(pw):
    a = _applicant(pw, applied=date(2026, 11, 1))
    assert list(selectors.pipeline_due(pw.w.c01_leader)) == [a]
    services.applicant_advance(
        actor=pw.w.c01_leader, applicant=a, to_stage="activist", date=date(2026, 11, 2), resolution="支委会"
    )
    assert list(selectors.pipeline_due(pw.w.c01_leader)) == []
    assert Applicant.objects.get().next_due_on == date(2027, 11, 2)


def _meeting(pw, held_on=date(2026, 11, 18), kind="general"):
    return services.meeting_create(
        actor=pw.w.c01_leader,
        organisation=pw.branch,
        kind=kind,
        held_on=held_on,
        place="党群服务中心",
        topic="学习",
    )


def test_attendance_for_a_future_meeting_is_refused(pw):
    m = _meeting(pw, held_on=date(2026, 11, 25))
    with pytest.raises(DomainError, match="尚未召开"):
        services.attendance_roll_call(actor=pw.w.c01_leader, meeting=m, statuses={pw.member.pk: "present"})
    assert MeetingAttendance.objects.count() == 0


def test_roll_call_is_all_or_nothing_and_earns_points(pw):
    m = _meeting(pw)
    with pytest.raises(DomainError, match="不是第一党支部的在册党员"):
        services.attendance_roll_call(
            actor=pw.w.c01_leader, meeting=m, statuses={pw.member.pk: "present", pw.c02_member.pk: "present"}
        )
    assert MeetingAttendance.objects.count() == 0
    services.attendance_roll_call(
        actor=pw.w.c01_leader, meeting=m, statuses={pw.member.pk: "present", pw.reporting.pk: "leave"}
    )
    assert PointEntry.objects.get(member=pw.member).points == 2
    assert not PointEntry.objects.filter(member=pw.reporting).exists()
    # Corrected to absent: the points go.
    services.attendance_roll_call(actor=pw.w.c01_leader, meeting=m, statuses={pw.member.pk: "absent"})
    assert not PointEntry.objects.filter(member=pw.member).exists()


def test_qr_checkin_on_the_day_by_the_member_themself(pw):
    m = _meeting(pw)
    row = services.attendance_checkin(actor=pw.w.grid_worker_c01_g01, code=m.checkin_code)
    assert row.via_qr
    assert row.member == pw.member
    assert row.status == "present"
    with pytest.raises(Forbidden):
        services.attendance_checkin(actor=pw.w.c01_worker, code=m.checkin_code)
    later = _meeting(pw, held_on=date(2026, 11, 30))
    with pytest.raises(DomainError, match="会议当天"):
        services.attendance_checkin(actor=pw.w.grid_worker_c01_g01, code=later.checkin_code)


def test_points_are_capped_per_month(pw):
    for day in range(1, 8):
        m = services.meeting_create(
            actor=pw.w.c01_leader,
            organisation=pw.branch,
            kind="themed_day",
            held_on=date(2026, 10, day),
            place="活动室",
            topic=f"第{day}次",
        )
        services.attendance_roll_call(actor=pw.w.c01_leader, meeting=m, statuses={pw.member.pk: "present"})
    assert sum(e.points for e in PointEntry.objects.filter(member=pw.member)) == 10


def test_manual_points_need_a_second_person_to_approve(pw):
    merit = PointRule.objects.get(code="merit")
    entry = services.point_manual_create(
        actor=pw.w.c01_leader, member=pw.member, rule=merit, earned_on=date(2026, 11, 1), reason="抗疫突出"
    )
    assert entry.status == "pending"
    with pytest.raises(DomainError, match="不能审核自己"):
        services.point_decide(actor=pw.w.c01_leader, entry=entry, approve=True)
    entry = services.point_decide(actor=pw.w.street_admin, entry=entry, approve=True)
    assert selectors.appraisal(pw.member, 2026)["total"] == 5


def test_compliance_calendar_and_overdue_notices(pw):
    rows = {r.kind: r for r in selectors.compliance(pw.branch, 2026)}
    assert rows["general"].overdue == 3
    assert rows["general"].due == 1
    assert "group" in rows  # the branch has a party group
    secretary = pw.member
    services.position_assign(
        actor=pw.w.c01_leader,
        organisation=pw.branch,
        member=secretary,
        role="secretary",
        start_date=date(2025, 1, 1),
    )
    sent = services.compliance_tick()
    assert sent >= 4
    assert Notification.objects.filter(user=pw.w.grid_worker_c01_g01, text__contains="三会一课超期").exists()
    assert Notification.objects.filter(user=pw.w.c01_leader, text__contains="第一党支部").exists()
    assert services.compliance_tick() == 0  # once
    _meeting(pw)
    rows = {r.kind: r for r in selectors.compliance(pw.branch, 2026)}
    assert rows["general"].periods[-1].state == "held"


def test_meeting_photos_are_checked_by_content(pw):
    m = _meeting(pw)
    with pytest.raises(DomainError, match="JPEG"):
        services.meeting_photo_add(
            actor=pw.w.c01_leader,
            meeting=m,
            upload=SimpleUploadedFile("a.png", b"<script>", content_type="image/png"),
        )
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    services.meeting_photo_add(
        actor=pw.w.c01_leader, meeting=m, upload=SimpleUploadedFile("a.png", png, content_type="image/png")
    )
    assert Meeting.objects.get(pk=m.pk).photos.count() == 1


def test_group_meetings_only_in_groups(pw):
    with pytest.raises(DomainError, match="党小组"):
        _meeting(pw, kind="group")
    services.meeting_create(
        actor=pw.w.c01_leader,
        organisation=pw.group,
        kind="group",
        held_on=date(2026, 11, 2),
        place="楼道",
        topic="学习",
    )


def test_visits_to_contact_households_earn_points_once(pw):
    from linli.registry.models import Building
    from linli.visits import services as visit_services

    services.contact_pair(actor=pw.w.c01_leader, member=pw.member, resident=pw.newcomer)
    building = Building.objects.create(grid=pw.w.c01_g01, number="8")
    services.responsibility_assign(actor=pw.w.c01_leader, member=pw.member, building=building)
    visit_services.visit_create(
        actor=pw.w.grid_worker_c01_g01, mode="in_person", observations="身体好", resident=pw.newcomer
    )
    assert services.visit_points_sync() == 1
    assert services.visit_points_sync() == 0
    assert PointEntry.objects.get(member=pw.member).rule.code == "visit"
    with pytest.raises(DomainError, match="没有登录账号"):
        services.contact_pair(actor=pw.w.c01_leader, member=pw.reporting, resident=pw.newcomer)


def test_a_new_secretary_ends_the_previous_term_and_dissolving_needs_an_empty_roll(pw):
    leader = pw.w.c01_leader
    first = services.position_assign(
        actor=leader, organisation=pw.branch, member=pw.member, role="secretary", start_date=date(2024, 1, 1)
    )
    services.position_assign(
        actor=leader,
        organisation=pw.branch,
        member=pw.reporting,
        role="secretary",
        start_date=date(2026, 1, 1),
    )
    first.refresh_from_db()
    assert first.end_date == date(2025, 12, 31)
    with pytest.raises(DomainError, match="仍有党员"):
        services.organisation_dissolve(actor=leader, organisation=pw.branch, on=date(2026, 11, 1))
    services.member_end(actor=pw.w.street_admin, member=pw.c02_member, date=date(2026, 11, 1), reason="去世")
    dissolved = services.organisation_dissolve(
        actor=pw.w.street_admin, organisation=pw.c02_branch, on=date(2026, 11, 2)
    )
    with pytest.raises(DomainError, match="已撤销"):
        services.meeting_create(
            actor=pw.w.street_admin,
            organisation=dissolved,
            kind="general",
            held_on=date(2026, 11, 3),
            place="会议室",
            topic="学习",
        )


def test_stopping_an_applicant_ends_the_pipeline(pw):
    a = _applicant(pw)
    a = services.applicant_stop(actor=pw.w.c01_leader, applicant=a, date=date(2024, 6, 1), reason="本人申请")
    assert a.stage == Stage.STOPPED
    with pytest.raises(DomainError, match="流程已结束"):
        services.applicant_advance(
            actor=pw.w.c01_leader,
            applicant=a,
            to_stage="activist",
            date=date(2024, 7, 1),
            resolution="支委会",
        )
