"""Volunteers' services: registration, status, teams, bookings, honest service records, proofs."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.db import transaction

from linli.core.errors import DomainError, Forbidden, NotFound
from linli.core.models import AuditEntry
from linli.volunteers import services
from linli.volunteers.models import (
    ActivityStatus,
    Proof,
    RecordStatus,
    ServiceRecord,
    ServiceRecordChange,
    SignMethod,
    Volunteer,
    VolunteerStatus,
)
from linli.volunteers.signals import service_confirmed
from linli.volunteers.tests.conftest import ELEVEN, NINE, VolunteerWorld
from tests.factories import make_id_number


def _in(vw: VolunteerWorld, volunteer, clock, at):
    record = services.activity_assign(actor=vw.w.c01_worker, activity=vw.activity, volunteer=volunteer)
    clock.move_to(at)
    return services.record_sign_in(
        actor=None, record=record, method=SignMethod.QR, token=vw.activity.checkin_token
    )


# --- registration ---------------------------------------------------------------------------------


def test_registration_links_the_resident_and_keeps_search_keys(vw: VolunteerWorld):
    assert vw.ann.resident == vw.resident
    assert vw.ann.grid == vw.w.c01_g01
    assert vw.ann.status == VolunteerStatus.ACTIVE
    assert vw.ann.name_initials == "ay"
    assert vw.ann.id_reversed == vw.ann.id_number[::-1]
    assert vw.bo.resident is None
    assert vw.cai.grid == vw.w.c01_g02
    assert vw.ann.available_at(NINE)
    assert not vw.ann.available_at(NINE + timedelta(days=1))


def test_a_bad_id_number_is_refused_and_nothing_written(vw: VolunteerWorld):
    before = Volunteer.objects.count()
    with pytest.raises(DomainError) as err:
        services.volunteer_register(
            actor=vw.w.c01_worker,
            community=vw.w.c01,
            name="某人",
            id_number="370502198001010000",
            phone="13800000009",
        )
    assert err.value.field == "id_number"
    assert Volunteer.objects.count() == before


def test_the_same_person_twice_in_a_community_is_refused(vw: VolunteerWorld):
    with pytest.raises(DomainError, match="已在本社区登记"):
        services.volunteer_register(
            actor=vw.w.c01_worker,
            community=vw.w.c01,
            name="薄一鸣",
            id_number=vw.bo.id_number,
            phone="13800000002",
        )


def test_a_name_that_differs_from_the_registry_is_refused(vw: VolunteerWorld):
    from linli.registry.services import resident_create

    r = resident_create(
        actor=None,
        grid=vw.w.c01_g02,
        name="钱多多",
        id_number=make_id_number("19950101", 7),
        phone="13800000010",
    )
    with pytest.raises(DomainError, match="不一致"):
        services.volunteer_register(
            actor=vw.w.c01_worker,
            community=vw.w.c01,
            name="钱少少",
            id_number=r.id_number,
            phone="13800000010",
        )


def test_unit_volunteers_need_their_unit(vw: VolunteerWorld):
    with pytest.raises(DomainError) as err:
        services.volunteer_register(
            actor=vw.w.c01_worker,
            community=vw.w.c01,
            name="邓超",
            id_number=make_id_number("19800808", 9),
            phone="13800000011",
            kind="party_member",
        )
    assert err.value.field == "unit_name"


def test_grid_workers_may_not_register_and_other_communities_are_out_of_scope(vw: VolunteerWorld):
    kwargs: dict[str, Any] = {
        "name": "邓超",
        "id_number": make_id_number("19800808", 9),
        "phone": "13800000011",
    }
    with pytest.raises(Forbidden):
        services.volunteer_register(actor=vw.w.grid_worker_c01_g01, community=vw.w.c01, **kwargs)
    with pytest.raises(NotFound):
        services.volunteer_register(actor=vw.w.c01_worker, community=vw.w.c02, **kwargs)


def test_self_registration_waits_for_approval_then_status_moves_by_the_table(vw: VolunteerWorld):
    token = services.join_token(vw.w.c01)
    community = services.community_for_join(token)
    v = services.volunteer_self_register(
        community=community,
        ip="10.0.0.1",
        name="邓超",
        id_number=make_id_number("19800808", 9),
        phone="13800000011",
    )
    assert v.status == VolunteerStatus.APPLIED
    assert v.channel == "self"
    with pytest.raises(DomainError, match="不能改为"):
        services.volunteer_set_status(actor=vw.w.c01_worker, volunteer=v, status="suspended", note="x")
    v = services.volunteer_set_status(actor=vw.w.c01_worker, volunteer=v, status="active")
    with pytest.raises(DomainError, match="原因"):
        services.volunteer_set_status(actor=vw.w.c01_worker, volunteer=v, status="left")
    v = services.volunteer_set_status(actor=vw.w.c01_worker, volunteer=v, status="left", note="搬家")
    assert v.status == VolunteerStatus.LEFT
    assert [c.kind for c in v.changes.order_by("at", "pk")] == ["create", "status", "status"]
    with pytest.raises(NotFound):
        services.community_for_join("forged")


def test_update_masks_numbers_in_history_and_audit(vw: VolunteerWorld):
    services.volunteer_update(actor=vw.w.c01_worker, volunteer=vw.bo, phone="13900000002", preferences="周末")
    change = vw.bo.changes.filter(kind="update").get()
    assert change.changes["phone"] == ["138****0002", "139****0002"]
    entry = AuditEntry.objects.filter(object_type="volunteers.volunteer", action="update").latest("pk")
    assert "13900000002" not in str(entry.changes)


# --- teams ------------------------------------------------------------------------------------------


def test_tree_and_membership(vw: VolunteerWorld):
    assoc = services.team_create(
        actor=vw.w.c01_worker, community=vw.w.c01, name="锦绣志愿者协会", level="association"
    )
    corps = services.team_create(
        actor=vw.w.c01_worker, community=vw.w.c01, name="助老总队", level="corps", parent=assoc
    )
    services.team_update(actor=vw.w.c01_worker, team=vw.team, parent=corps)
    with pytest.raises(DomainError):
        services.team_create(
            actor=vw.w.c01_worker, community=vw.w.c01, name="错层", level="association", parent=corps
        )
    with pytest.raises(DomainError, match="不能设在"):
        services.team_update(actor=vw.w.c01_worker, team=corps, parent=corps)
    m = services.team_add_member(actor=vw.w.c01_worker, team=vw.team, volunteer=vw.ann, is_leader=True)
    services.team_add_member(actor=vw.w.c01_worker, team=corps, volunteer=vw.ann)  # several teams
    with pytest.raises(DomainError, match="已在该队伍中"):
        services.team_add_member(actor=vw.w.c01_worker, team=vw.team, volunteer=vw.ann)
    services.team_remove_member(actor=vw.w.c01_worker, membership=m)
    services.team_add_member(actor=vw.w.c01_worker, team=vw.team, volunteer=vw.ann)


# --- bookings ---------------------------------------------------------------------------------------


def test_capacity_and_overlap_are_refused_with_a_clear_message(vw: VolunteerWorld):
    services.activity_sign_up(volunteer=vw.ann, activity=vw.activity)
    services.activity_assign(actor=vw.w.c01_worker, activity=vw.activity, volunteer=vw.bo)
    with pytest.raises(DomainError, match="名额已满") as full:
        services.activity_sign_up(volunteer=vw.cai, activity=vw.activity)
    assert full.value.code == "full"
    with pytest.raises(DomainError, match="已报名该活动"):
        services.activity_sign_up(volunteer=vw.ann, activity=vw.activity)
    overlapping = services.activity_create(
        actor=vw.w.c01_worker,
        community=vw.w.c01,
        title="清扫楼道",
        place="3号楼",
        starts_at=NINE + timedelta(minutes=30),
        ends_at=ELEVEN + timedelta(hours=1),
        capacity=5,
    )
    records = ServiceRecord.objects.count()
    with pytest.raises(DomainError, match="同一时段已报名“陪独居老人买菜”") as clash:
        services.activity_sign_up(volunteer=vw.ann, activity=overlapping)
    assert clash.value.code == "overlap"
    assert ServiceRecord.objects.count() == records


def test_a_cancelled_booking_frees_the_place_and_may_be_taken_again(vw: VolunteerWorld):
    r = services.activity_sign_up(volunteer=vw.ann, activity=vw.activity)
    services.activity_sign_up(volunteer=vw.bo, activity=vw.activity)
    services.record_cancel(actor=None, record=r, by_volunteer=True)
    services.activity_sign_up(volunteer=vw.cai, activity=vw.activity)
    with pytest.raises(DomainError, match="名额已满"):
        services.activity_sign_up(volunteer=vw.ann, activity=vw.activity)


def test_suspended_volunteers_cannot_book_and_lose_future_bookings(vw: VolunteerWorld):
    r = services.activity_sign_up(volunteer=vw.ann, activity=vw.activity)
    services.volunteer_set_status(actor=vw.w.c01_worker, volunteer=vw.ann, status="suspended", note="休假")
    r.refresh_from_db()
    assert r.status == RecordStatus.CANCELLED
    with pytest.raises(DomainError, match="不是在册志愿者"):
        services.activity_sign_up(volunteer=vw.ann, activity=vw.activity)


# --- sign-in and minutes ------------------------------------------------------------------------------


def test_sign_in_outside_the_slot_and_a_second_sign_in_are_refused(vw: VolunteerWorld, clock):
    record = services.activity_sign_up(volunteer=vw.ann, activity=vw.activity)
    token = vw.activity.checkin_token
    with pytest.raises(DomainError, match="不在活动时段内") as early:  # 08:00, the slot starts at 09:00
        services.record_sign_in(actor=None, record=record, token=token)
    assert early.value.code == "outside_slot"
    assert ServiceRecordChange.objects.filter(record=record, kind="sign_in").count() == 0
    clock.move_to(NINE)
    with pytest.raises(DomainError, match="签到码无效"):
        services.record_sign_in(actor=None, record=record, token="wrong")
    services.record_sign_in(actor=None, record=record, token=token)
    with pytest.raises(DomainError, match="不能重复签到") as again:
        services.record_sign_in(actor=None, record=record, token=token)
    assert again.value.code == "already_signed_in"
    clock.move_to(ELEVEN + timedelta(minutes=1))
    other = ServiceRecord.objects.get(pk=record.pk)
    assert other.status == RecordStatus.SIGNED_IN


def test_minutes_count_only_above_the_share_of_the_slot(vw: VolunteerWorld, clock):
    ann = _in(vw, vw.ann, clock, NINE + timedelta(minutes=10))
    clock.move_to(NINE + timedelta(minutes=70))  # 60 of 120 minutes: below 60%
    ann = services.record_sign_out(actor=None, record=ann, token=vw.activity.checkin_token)
    assert ann.status == RecordStatus.SIGNED_OUT
    assert ann.minutes == 0
    bo = _in(vw, vw.bo, clock, NINE + timedelta(minutes=71))
    clock.move_to(ELEVEN + timedelta(minutes=30))  # signing out late counts only to the slot's end
    bo = services.record_sign_out(actor=vw.w.c01_worker, record=bo, method=SignMethod.ROLL_CALL)
    assert bo.minutes == 0  # 49 minutes
    assert (
        services.counted_minutes(vw.activity, NINE - timedelta(minutes=20), NINE + timedelta(minutes=72))
        == 72
    )


def test_roll_call_is_for_the_leader_only(vw: VolunteerWorld, clock):
    record = services.activity_sign_up(volunteer=vw.ann, activity=vw.activity)
    clock.move_to(NINE)
    with pytest.raises(Forbidden):  # in scope, but neither its leader nor a manager
        services.record_sign_in(actor=vw.w.viewer, record=record, method=SignMethod.ROLL_CALL)
    with pytest.raises(NotFound):
        services.record_sign_in(actor=vw.w.grid_worker_c02_g01, record=record, method=SignMethod.ROLL_CALL)
    services.record_sign_in(actor=vw.w.c01_worker, record=record, method=SignMethod.ROLL_CALL)


def test_a_team_leader_with_an_account_runs_the_activity(vw: VolunteerWorld, clock):
    vw.ann.user = vw.w.viewer
    vw.ann.save()
    services.team_add_member(actor=vw.w.c01_worker, team=vw.team, volunteer=vw.ann, is_leader=True)
    record = services.activity_sign_up(volunteer=vw.bo, activity=vw.activity)
    clock.move_to(NINE)
    services.record_sign_in(actor=vw.w.viewer, record=record, method=SignMethod.ROLL_CALL)


def test_forgotten_sign_out_is_closed_at_the_slot_end_and_flagged_once(vw: VolunteerWorld, clock):
    record = _in(vw, vw.ann, clock, NINE)
    clock.move_to(ELEVEN - timedelta(minutes=1))
    assert services.records_close_forgotten() == 0
    clock.move_to(ELEVEN + timedelta(hours=2))
    assert services.records_close_forgotten() == 1
    assert services.records_close_forgotten() == 0  # running twice is safe
    record.refresh_from_db()
    assert record.auto_closed
    assert record.signed_out_at == ELEVEN
    assert record.minutes == 120
    assert record.changes.filter(kind="auto_close").count() == 1


def test_correction_within_the_slot_with_a_reason_and_never_beyond(vw: VolunteerWorld, clock):
    record = _in(vw, vw.ann, clock, NINE + timedelta(minutes=40))
    clock.move_to(ELEVEN + timedelta(hours=1))
    services.records_close_forgotten()
    with pytest.raises(DomainError, match="超出活动时段") as beyond:
        services.record_correct(
            actor=vw.w.c01_worker,
            record=record,
            signed_in_at=NINE - timedelta(minutes=30),
            signed_out_at=ELEVEN,
            reason="提前到场",
        )
    assert beyond.value.code == "beyond_slot"
    with pytest.raises(DomainError, match="更正原因"):
        services.record_correct(
            actor=vw.w.c01_worker, record=record, signed_in_at=NINE, signed_out_at=ELEVEN, reason=""
        )
    record.refresh_from_db()
    assert not record.corrected
    assert record.minutes == 80
    record = services.record_correct(
        actor=vw.w.c01_worker,
        record=record,
        signed_in_at=NINE,
        signed_out_at=ELEVEN,
        reason="扫码时手机没有信号",
    )
    assert record.minutes == 120
    assert record.corrected
    assert not record.auto_closed
    correction = record.changes.get(kind="correct")
    assert correction.reason == "扫码时手机没有信号"
    assert "minutes" in correction.changes


def test_leader_confirms_in_bulk_and_the_signal_carries_the_records(vw: VolunteerWorld, clock):
    received = []

    def receiver(sender, records, actor, **kwargs):
        received.append(([r.pk for r in records], actor))

    ann = _in(vw, vw.ann, clock, NINE)
    services.activity_sign_up(volunteer=vw.bo, activity=vw.activity)  # never comes
    with pytest.raises(DomainError, match="活动结束后"):
        services.records_confirm(actor=vw.w.c01_worker, activity=vw.activity)
    clock.move_to(ELEVEN + timedelta(minutes=5))
    service_confirmed.connect(receiver, dispatch_uid="test")
    try:
        confirmed = services.records_confirm(actor=vw.w.c01_worker, activity=vw.activity)
    finally:
        service_confirmed.disconnect(dispatch_uid="test")
    assert [r.pk for r in confirmed] == [ann.pk]
    assert received == [([ann.pk], vw.w.c01_worker)]
    ann.refresh_from_db()
    assert ann.status == RecordStatus.CONFIRMED
    assert ann.minutes == 120
    assert ann.confirmed_by == vw.w.c01_worker
    assert ServiceRecord.objects.get(volunteer=vw.bo).status == RecordStatus.ABSENT
    vw.activity.refresh_from_db()
    assert vw.activity.status == ActivityStatus.CONFIRMED
    with pytest.raises(DomainError, match="已确认"):
        services.record_correct(
            actor=vw.w.c01_worker, record=ann, signed_in_at=NINE, signed_out_at=ELEVEN, reason="x"
        )


def test_a_receiver_that_raises_rolls_the_confirmation_back(vw: VolunteerWorld, clock):
    record = _in(vw, vw.ann, clock, NINE)
    clock.move_to(ELEVEN)

    def refuse(sender, records, actor, **kwargs):
        raise DomainError("时间银行拒绝入账")

    service_confirmed.connect(refuse, dispatch_uid="refuse")
    try:
        with pytest.raises(DomainError, match="时间银行"), transaction.atomic():
            services.records_confirm(actor=vw.w.c01_worker, activity=vw.activity)
    finally:
        service_confirmed.disconnect(dispatch_uid="refuse")
    record.refresh_from_db()
    assert record.status == RecordStatus.SIGNED_IN
    assert not record.changes.filter(kind="confirm").exists()


def test_cancelling_an_activity_cancels_its_bookings(vw: VolunteerWorld):
    r = services.activity_sign_up(volunteer=vw.ann, activity=vw.activity)
    with pytest.raises(DomainError, match="取消原因"):
        services.activity_cancel(actor=vw.w.c01_worker, activity=vw.activity, reason="")
    services.activity_cancel(actor=vw.w.c01_worker, activity=vw.activity, reason="暴雨")
    r.refresh_from_db()
    assert r.status == RecordStatus.CANCELLED
    with pytest.raises(DomainError, match="不能报名"):
        services.activity_sign_up(volunteer=vw.bo, activity=vw.activity)


def test_capacity_cannot_drop_below_the_places_taken(vw: VolunteerWorld):
    services.activity_sign_up(volunteer=vw.ann, activity=vw.activity)
    services.activity_sign_up(volunteer=vw.bo, activity=vw.activity)
    with pytest.raises(DomainError, match="不能少于"):
        services.activity_update(actor=vw.w.c01_worker, activity=vw.activity, capacity=1)
    services.activity_update(actor=vw.w.c01_worker, activity=vw.activity, capacity=3, title="陪老人买菜")


# --- proofs and stars ---------------------------------------------------------------------------------


def test_proof_is_numbered_per_community_and_year_and_needs_hours(vw: VolunteerWorld, clock):
    with pytest.raises(DomainError, match="没有已确认的服务时长"):
        services.proof_issue(
            actor=vw.w.c01_worker,
            volunteer=vw.ann,
            period_start=date(2026, 1, 1),
            period_end=date(2026, 11, 21),
        )
    _in(vw, vw.ann, clock, NINE)
    clock.move_to(ELEVEN)
    services.records_confirm(actor=vw.w.c01_worker, activity=vw.activity)
    first = services.proof_issue(
        actor=vw.w.c01_worker, volunteer=vw.ann, period_start=date(2026, 1, 1), period_end=date(2026, 11, 21)
    )
    second = services.proof_issue(
        actor=vw.w.c01_worker, volunteer=vw.ann, period_start=date(2026, 11, 1), period_end=date(2026, 11, 21)
    )
    assert (first.number, second.number) == ("ZYFW-C01-2026-00001", "ZYFW-C01-2026-00002")
    assert first.minutes == 120
    assert first.records == 1
    with pytest.raises(DomainError, match="将来"):
        services.proof_issue(
            actor=vw.w.c01_worker,
            volunteer=vw.ann,
            period_start=date(2026, 1, 1),
            period_end=date(2026, 12, 31),
        )
    services.proof_revoke(actor=vw.w.c01_worker, proof=first, reason="期间填错")
    with pytest.raises(DomainError, match="已作废"):
        services.proof_revoke(actor=vw.w.c01_worker, proof=first, reason="again")
    assert Proof.objects.filter(revoked_at__isnull=True).count() == 1


def test_star_levels_follow_the_thresholds(settings):
    settings.LINLI_VOLUNTEER_STAR_HOURS = [100, 300, 600, 1000, 1500]
    assert [services.star_level(h * 60) for h in (0, 99, 100, 301, 1500)] == [0, 0, 1, 2, 5]
    settings.LINLI_VOLUNTEER_STAR_HOURS = [10]
    assert services.star_level(600) == 1


def test_card_links_are_revoked_by_a_reset(vw: VolunteerWorld):
    token = services.card_token(vw.ann)
    assert services.volunteer_for_card(token) == vw.ann
    services.volunteer_card_reset(actor=vw.w.c01_worker, volunteer=vw.ann)
    with pytest.raises(NotFound):
        services.volunteer_for_card(token)
