"""Issue 20's second round: a branch secretary's own scope, minutes approval, 延长预备期 and 三卡."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client

from linli.accounts.models import User
from linli.cases.models import Notification
from linli.core.capabilities import Capability
from linli.core.errors import DomainError, Forbidden
from linli.core.models import AuditEntry
from linli.party import services
from linli.party.models import (
    Applicant,
    Meeting,
    MemberCard,
    MinutesVersion,
    PartyMember,
    PointEntry,
    ProbationExtension,
)
from linli.registry.services import house_create, resident_create
from tests.factories import PASSWORD, make_id_number

pytestmark = pytest.mark.django_db


def fresh(user: User) -> User:
    """The user as the next request sees them (grants are asked once per user object)."""
    return User.objects.get(pk=user.pk)


@pytest.fixture
def sec(pw):
    """The grid worker (孙红's login) as 第一党支部's sitting secretary; the community worker a member of
    the branch and its committee member (委员), who records minutes."""
    w = pw.w
    services.position_assign(
        actor=None, organisation=pw.branch, member=pw.member, role="secretary", start_date=date(2025, 1, 1)
    )
    recorder = services.member_create(
        actor=None, organisation=pw.branch, name="陈委员", joined_on=date(2001, 7, 1), user=w.c01_worker
    )
    services.position_assign(
        actor=None, organisation=pw.branch, member=recorder, role="committee", start_date=date(2025, 1, 1)
    )
    return fresh(w.grid_worker_c01_g01), fresh(w.c01_worker)


def test_a_sitting_secretary_sees_only_their_branch(pw, sec):
    secretary, _ = sec
    assert secretary.can(Capability.PARTY_BRANCH)
    assert not secretary.can(Capability.PARTY)  # political status in the registry stays hidden
    names = set(PartyMember.objects.visible_to(secretary).values_list("name", flat=True))
    assert names == {"孙红", "周在职", "陈委员"}  # not 园区联合党支部's nor C02's
    other = services.member_create(
        actor=None, organisation=pw.branch2, name="园区党员", joined_on=date(2010, 1, 1)
    )
    assert not PartyMember.objects.visible_to(secretary).filter(pk=other.pk).exists()
    # A grid worker with no term sees nothing, as before.
    assert PartyMember.objects.visible_to(fresh(pw.w.grid_worker_c01_g02)).count() == 0


def test_the_access_ends_with_the_term(pw, sec):
    secretary, _ = sec
    position = pw.member.positions.get(role="secretary")
    services.position_end(actor=None, position=position, end_date=date(2026, 11, 17))
    secretary = fresh(secretary)
    assert not secretary.can(Capability.PARTY_BRANCH)
    assert PartyMember.objects.visible_to(secretary).count() == 0


def test_a_secretary_records_their_branchs_meetings_but_not_anothers_nor_the_roll(pw, sec):
    secretary, _ = sec
    m = services.meeting_create(
        actor=secretary,
        organisation=pw.branch,
        kind="general",
        held_on=date(2026, 11, 18),
        place="活动室",
        topic="学习",
    )
    services.attendance_roll_call(actor=secretary, meeting=m, statuses={pw.reporting.pk: "present"})
    group_meeting = services.meeting_create(
        actor=secretary,
        organisation=pw.group,
        kind="group",
        held_on=date(2026, 11, 18),
        place="楼道",
        topic="学习",
    )
    assert group_meeting.organisation == pw.group
    with pytest.raises(Forbidden, match="园区联合党支部"):
        services.meeting_create(
            actor=secretary,
            organisation=pw.branch2,
            kind="general",
            held_on=date(2026, 11, 18),
            place="x",
            topic="y",
        )
    with pytest.raises(Forbidden):
        services.member_create(
            actor=secretary, organisation=pw.branch, name="新人", joined_on=date(2020, 1, 1)
        )
    assert Meeting.objects.filter(organisation=pw.branch2).count() == 0


def test_overdue_notices_reach_the_secretarys_own_account(pw, sec):
    secretary, _ = sec
    services.compliance_tick(today=date(2026, 11, 18))
    mine = Notification.objects.filter(user=secretary, text__contains="第一党支部")
    assert mine.exists()
    assert not Notification.objects.filter(user=secretary, text__contains="园区联合党支部").exists()
    client = Client()
    client.login(username=secretary.username, password=PASSWORD)
    assert client.get(mine.first().link).status_code == 200


def test_secretary_pages_show_their_branch_only(pw, sec):
    secretary, _ = sec
    other = services.member_create(
        actor=None, organisation=pw.branch2, name="园区党员", joined_on=date(2010, 1, 1)
    )
    client = Client()
    client.login(username=secretary.username, password=PASSWORD)
    page = client.get("/party/members/").content.decode()
    assert "周在职" in page
    assert "园区党员" not in page
    assert client.get(f"/party/members/{other.pk}/").status_code == 404
    assert client.get(f"/party/members/{pw.c02_member.pk}/").status_code == 404
    for path in ("/party/", "/party/compliance/", "/party/points/", "/party/pipeline/", "/party/cards/"):
        body = client.get(path)
        assert body.status_code == 200, path
        assert "园区联合党支部" not in body.content.decode(), path
    assert client.get("/party/members/new/").status_code == 403
    api = client.get("/api/v1/party-members").json()
    assert {m["name"] for m in api["items"]} == {"孙红", "周在职", "陈委员"}
    # Someone with no term and no party role still gets 403.
    client.login(username=pw.w.grid_worker_c01_g02.username, password=PASSWORD)
    assert client.get("/party/").status_code == 403


# --- minutes ---------------------------------------------------------------------------------


def _held(pw, actor):
    return services.meeting_create(
        actor=actor,
        organisation=pw.branch,
        kind="committee",
        held_on=date(2026, 11, 10),
        place="活动室",
        topic="研究发展工作",
        minutes="草稿",
    )


def test_minutes_are_submitted_approved_locked_and_corrected_by_a_new_version(pw, sec):
    secretary, recorder = sec
    m = _held(pw, recorder)
    v1 = services.minutes_submit(actor=recorder, meeting=m)
    with pytest.raises(Forbidden, match="书记审定"):
        services.minutes_decide(
            actor=recorder, version=v1, approve=True
        )  # a committee member, not the secretary
    services.minutes_decide(actor=secretary, version=v1, approve=True)
    m.refresh_from_db()
    assert (m.minutes_status, m.minutes) == ("approved", "草稿")
    with pytest.raises(DomainError, match="已审定"):
        services.meeting_update(actor=recorder, meeting=m, minutes="偷偷改")
    with pytest.raises(DomainError, match="更正原因"):
        services.minutes_submit(actor=recorder, meeting=m, text="更正稿")
    v2 = services.minutes_submit(actor=recorder, meeting=m, text="更正稿", reason="出席人数记错")
    m.refresh_from_db()
    assert m.minutes == "草稿"  # the approved text stands until the correction is approved
    with pytest.raises(DomainError, match="待书记审定"):
        services.minutes_submit(actor=recorder, meeting=m, text="又一稿", reason="x")
    services.minutes_decide(actor=secretary, version=v2, approve=True)
    m.refresh_from_db()
    assert m.minutes == "更正稿"
    assert list(MinutesVersion.objects.filter(meeting=m).values_list("number", "correction_reason")) == [
        (2, "出席人数记错"),
        (1, ""),
    ]


def test_minutes_returned_with_a_reason_and_only_the_secretary_approves(pw, sec):
    secretary, recorder = sec
    m = _held(pw, pw.w.c01_leader)
    v1 = services.minutes_submit(actor=pw.w.c01_leader, meeting=m)
    with pytest.raises(Forbidden, match="书记审定"):
        services.minutes_decide(actor=recorder, version=v1, approve=True)  # 委员 is not the secretary
    with pytest.raises(DomainError, match="退回原因"):
        services.minutes_decide(actor=secretary, version=v1, approve=False, reason="")
    services.minutes_decide(actor=secretary, version=v1, approve=False, reason="缺少决议内容")
    m.refresh_from_db()
    assert m.minutes_status == "returned"
    services.meeting_update(actor=recorder, meeting=m, minutes="草稿，补上决议")
    v2 = services.minutes_submit(actor=secretary, meeting=m)
    with pytest.raises(DomainError, match="记录人不能审定"):
        services.minutes_decide(actor=secretary, version=v2, approve=True)
    assert v2.number == 2
    assert v2.text == "草稿，补上决议"
    future = services.meeting_create(
        actor=recorder,
        organisation=pw.branch,
        kind="general",
        held_on=date(2026, 12, 1),
        place="x",
        topic="y",
        minutes="预写",
    )
    with pytest.raises(DomainError, match="尚未召开"):
        services.minutes_submit(actor=recorder, meeting=future)
    assert not MinutesVersion.objects.filter(meeting=future).exists()


def test_the_secretary_approves_minutes_on_the_page(pw, sec):
    secretary, recorder = sec
    m = _held(pw, recorder)
    services.minutes_submit(actor=recorder, meeting=m)
    client = Client()
    client.login(username=secretary.username, password=PASSWORD)
    page = client.get(f"/party/meetings/{m.pk}/").content.decode()
    assert "审定通过" in page
    client.post(f"/party/meetings/{m.pk}/", {"action": "approve_minutes"})
    m.refresh_from_db()
    assert m.minutes_status == "approved"
    client.login(username=recorder.username, password=PASSWORD)
    assert "审定通过" not in client.get(f"/party/meetings/{m.pk}/").content.decode()


# --- 延长预备期 -----------------------------------------------------------------------------------


def _probationary(pw) -> PartyMember:
    return services.member_create(
        actor=None, organisation=pw.branch, name="郑预备", joined_on=date(2025, 10, 1), status="probationary"
    )


def test_probation_is_extended_once_by_six_to_twelve_months_when_it_ends(pw, sec):
    secretary, _ = sec
    p = _probationary(pw)
    ok = {"resolution": "支部党员大会决议延长", "reason": "需继续考察"}
    with pytest.raises(DomainError, match="尚未期满"):
        services.member_extend_probation(
            actor=secretary, member=p, resolved_on=date(2026, 9, 30), months=6, **ok
        )
    with pytest.raises(DomainError, match="最长不超过一年"):
        services.member_extend_probation(
            actor=secretary, member=p, resolved_on=date(2026, 10, 8), months=13, **ok
        )
    with pytest.raises(DomainError, match="支部党员大会决议"):
        services.member_extend_probation(
            actor=secretary, member=p, resolved_on=date(2026, 10, 8), months=6, resolution="", reason="x"
        )
    with pytest.raises(DomainError, match="只有预备党员"):
        services.member_extend_probation(
            actor=secretary, member=pw.reporting, resolved_on=date(2026, 10, 8), months=6, **ok
        )
    assert not ProbationExtension.objects.exists()
    e = services.member_extend_probation(
        actor=secretary, member=p, resolved_on=date(2026, 10, 8), months=6, **ok
    )
    p.refresh_from_db()
    assert (e.previous_end, e.new_end, p.probation_end) == (
        date(2026, 10, 1),
        date(2027, 4, 1),
        date(2027, 4, 1),
    )
    with pytest.raises(DomainError, match="只能延长一次"):
        services.member_extend_probation(
            actor=secretary, member=p, resolved_on=date(2026, 10, 9), months=6, **ok
        )
    with pytest.raises(DomainError, match="延长预备期至 2027-04-01"):
        services.member_make_full(actor=secretary, member=p, date=date(2026, 11, 18), resolution="转正")


def test_an_extension_moves_the_pipeline_due_date(pw, sec):
    secretary, _ = sec
    a = Applicant.objects.create(
        organisation=pw.branch,
        name="冯申请",
        birth_date=date(1995, 1, 1),
        applied_on=date(2022, 1, 1),
        stage="candidate",
        stage_since=date(2025, 9, 1),
    )
    a = services.applicant_advance(
        actor=secretary,
        applicant=a,
        to_stage="probationary",
        date=date(2025, 10, 1),
        resolution="支部大会通过",
        introducers="孙红、周在职",
    )
    assert a.member is not None
    services.member_extend_probation(
        actor=secretary,
        member=a.member,
        resolved_on=date(2026, 10, 2),
        months=12,
        resolution="决议",
        reason="考察",
    )
    a.refresh_from_db()
    assert a.next_due_on == date(2027, 10, 1)


# --- 三卡 ---------------------------------------------------------------------------------------


@pytest.fixture
def household(pw):
    """A resident in building 3 of C01/G01, the building 孙红 is responsible for."""
    house = house_create(actor=None, grid=pw.w.c01_g01, building="3", room="101")
    neighbour = resident_create(
        actor=None, grid=pw.w.c01_g01, name="何邻居", id_number=make_id_number("19600101", 21), house=house
    )
    services.responsibility_assign(
        actor=None, member=pw.member, building=house.building, start_date=date(2026, 1, 1)
    )
    return neighbour


def test_cards_follow_the_responsibility_area_and_earn_the_configured_points(pw, sec, household):
    secretary, _ = sec
    with pytest.raises(DomainError, match="不在孙红的党员责任区"):
        services.card_create(
            actor=secretary,
            member=pw.member,
            kind="contact",
            day=date(2026, 11, 17),
            title="问候",
            resident=pw.newcomer,
            way="phone",
        )
    contact = services.card_create(
        actor=secretary,
        member=pw.member,
        kind="contact",
        day=date(2026, 11, 17),
        title="问候独居老人",
        resident=household,
        way="phone",
    )
    with pytest.raises(DomainError, match="活动地点"):
        services.card_create(
            actor=secretary, member=pw.member, kind="activity", day=date(2026, 11, 17), title="文明劝导"
        )
    feedback = services.card_create(
        actor=secretary,
        member=pw.member,
        kind="feedback",
        day=date(2026, 11, 10),
        title="楼道灯坏了",
        resident=household,
        passed_to="物业公司",
    )
    assert feedback.status == "open"
    assert PointEntry.objects.filter(member=pw.member, source=f"card:{feedback.pk}").count() == 0
    with pytest.raises(DomainError, match="早于反映日期"):
        services.card_close(actor=secretary, card=feedback, outcome="已修好", closed_on=date(2026, 11, 1))
    services.card_close(
        actor=secretary, card=feedback, outcome="物业已更换灯泡", closed_on=date(2026, 11, 12)
    )
    codes = set(PointEntry.objects.filter(member=pw.member).values_list("rule__code", flat=True))
    assert {"card_contact", "card_feedback"} <= codes
    services.card_void(actor=secretary, card=contact, reason="登记重复")
    assert not PointEntry.objects.filter(source=f"card:{contact.pk}").exists()
    assert MemberCard.objects.get(pk=contact.pk).status == "voided"


def test_cards_are_capped_per_month(pw, household):
    for day in range(1, 7):
        services.card_create(
            actor=None,
            member=pw.member,
            kind="contact",
            day=date(2026, 11, day),
            title=f"联系{day}",
            resident=household,
            way="wechat",
        )
    total = sum(
        PointEntry.objects.filter(member=pw.member, rule__code="card_contact").values_list(
            "points", flat=True
        )
    )
    assert total == 4


def test_cards_of_another_branch_are_out_of_reach(pw, sec):
    secretary, _ = sec
    other = services.member_create(
        actor=None, organisation=pw.branch2, name="园区党员", joined_on=date(2010, 1, 1)
    )
    with pytest.raises(Forbidden):
        services.card_create(
            actor=secretary, member=other, kind="activity", day=date(2026, 11, 1), title="共建", place="园区"
        )
    assert not MemberCard.objects.exists()


def test_cards_export_is_audited_and_the_api_records_one(pw, sec, household):
    secretary, _ = sec
    client = Client()
    client.login(username=pw.w.c01_leader.username, password=PASSWORD)
    made = client.post(
        "/api/v1/party-cards",
        {
            "member_id": pw.member.pk,
            "kind": "contact",
            "day": "2026-11-16",
            "title": "电话问候",
            "resident_id": household.pk,
            "way": "phone",
        },
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    refused = client.post(
        "/api/v1/party-cards",
        {
            "member_id": pw.member.pk,
            "kind": "contact",
            "day": "2026-11-16",
            "title": "x",
            "resident_id": pw.newcomer.pk,
            "way": "phone",
        },
        content_type="application/json",
    )
    assert refused.status_code == 400
    assert MemberCard.objects.count() == 1
    response = client.get("/party/cards/?year=2026&format=xlsx")
    assert response.status_code == 200
    assert AuditEntry.objects.filter(action="export", object_type="party.membercard").exists()
