from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from linli.assessment import selectors, services
from linli.assessment.models import EntryState, Rating, RatingSeal, RoundStatus, SampleEntry, Validity
from linli.core.errors import DomainError, Forbidden
from linli.core.models import AuditEntry


def _token_of(outbox, index: int = -1) -> str:
    return outbox[index].text.rsplit("/rate/", 1)[1].strip("/")


def test_frame_is_the_residents_the_worker_served_without_their_household(aw):
    round_ = aw.new_round()
    frames = services.build_frame(round_)
    ids = {u.resident_id for u in frames[aw.worker.pk]}
    assert ids == {r.pk for r in aw.g01_residents + aw.g02_residents}
    assert aw.own.pk not in ids
    assert aw.relative.pk not in ids
    unit = frames[aw.worker.pk][0]
    assert "走访您家" in unit.service_text
    assert unit.service_text.startswith("2026-10-")
    assert frames[aw.other.pk] == []  # served nobody in the period


def test_case_received_and_closed_puts_the_resident_in_the_frame(aw):
    from linli.cases.tests.conftest import new_case

    r = aw.g01_residents[0]
    new_case(aw.cw, actor=aw.w.c01_leader, title="楼道堆物清理", resident=r)
    frame = services.build_frame(aw.new_round(workers=[aw.worker, aw.w.c01_leader]))[aw.w.c01_leader.pk]
    assert [(u.resident_id, u.service_text) for u in frame] == [(r.pk, "2026-12-01 为您受理：楼道堆物清理")]


def test_draw_is_reproducible_stratified_and_at_least_min_sample(aw):
    round_ = services.round_open(actor=aw.w.street_admin, round=aw.new_round(min_sample=10), seed="abc123")
    assert round_.seed == "abc123"
    assert round_.status == RoundStatus.OPEN
    entries = SampleEntry.objects.filter(round=round_, worker=aw.worker).order_by("rank")
    invited = [e for e in entries if e.state == EntryState.INVITED]
    assert len(invited) == 10
    assert entries.count() == 24
    # 18 of 24 in G01, 6 in G02: the first 10 hold the grids in proportion (7 or 8 : 2 or 3).
    assert sum(1 for e in invited if e.stratum.endswith("G02")) in (2, 3)
    again = services.sample_redraw(actor=None, round=round_, seed="abc123")
    assert [(d.rank, u.resident_id) for w, u, d in again if w == aw.worker.pk] == [
        (e.rank, e.resident_id) for e in entries
    ]
    # Everyone is sampled when the frame is smaller than the minimum.
    small = services.round_open(actor=aw.w.street_admin, round=aw.new_round(min_sample=30, title="小样本"))
    assert SampleEntry.objects.filter(round=small, worker=aw.worker, state=EntryState.INVITED).count() == 24


def test_a_changed_seed_after_publication_is_refused_and_audited(aw):
    round_ = services.round_open(actor=aw.w.street_admin, round=aw.new_round(), seed="published")
    with pytest.raises(DomainError, match="随机种子已于开启时公布"):
        services.sample_redraw(actor=aw.w.street_admin, round=round_, seed="other")
    entry = AuditEntry.objects.filter(object_id=str(round_.pk), changes__refused="seed_changed").get()
    assert entry.changes["seed"] == ["published", "other"]
    with pytest.raises(DomainError):
        services.round_open(actor=aw.w.street_admin, round=round_, seed="again")


def test_round_needs_an_auditor_before_opening(aw):
    round_ = aw.new_round(auditor=None)
    with pytest.raises(DomainError, match="审核人"):
        services.round_open(actor=aw.w.street_admin, round=round_)
    with pytest.raises(DomainError, match="审核人"):
        aw.new_round(auditor=aw.w.c01_leader)  # holds no audit_ratings


def test_link_rating_once_then_refused_and_audited(aw, sms_outbox, django_capture_on_commit_callbacks):
    round_ = services.round_open(actor=aw.w.street_admin, round=aw.new_round(min_sample=3))
    with django_capture_on_commit_callbacks(execute=True):
        assert services.invitations_send(actor=aw.w.street_admin, round=round_) == 3
    assert len(sms_outbox) == 3
    assert "/rate/" in sms_outbox[0].text
    assert sms_outbox[0].purpose == "assessment_rating"
    token = _token_of(sms_outbox, 0)
    rating = services.rating_submit(token=token, grade="excellent", reason="上门帮我办了医保")
    assert rating.validity == Validity.VALID
    assert rating.channel == "link"
    with pytest.raises(DomainError, match="已经使用过"):
        services.rating_submit(token=token, grade="poor", reason="再来一次")
    assert Rating.objects.filter(round=round_).count() == 1
    assert AuditEntry.objects.filter(object_id=str(round_.pk), changes__refused="token_used").exists()
    # The rating row holds nothing that names the rater.
    field_names = {f.name for f in Rating._meta.get_fields()}
    assert not field_names & {"resident", "entry", "token", "phone"}


def test_rating_after_the_round_closed_is_refused_and_audited(
    aw, sms_outbox, django_capture_on_commit_callbacks
):
    round_ = services.round_open(actor=aw.w.street_admin, round=aw.new_round(min_sample=2))
    with django_capture_on_commit_callbacks(execute=True):
        services.invitations_send(actor=aw.w.street_admin, round=round_)
    token = _token_of(sms_outbox, 0)
    entry = services.entry_for_token(token)
    services.round_close(actor=aw.w.street_admin, round=round_)
    with pytest.raises(DomainError, match="已经结束"):
        services.rating_submit(token=token, grade="good")
    assert entry is not None
    with pytest.raises(DomainError, match="已经结束"):
        services.rating_record_by_phone(actor=aw.w.c01_leader, entry=entry, grade="good")
    assert AuditEntry.objects.filter(object_id=str(round_.pk), changes__refused="round_closed").count() == 2
    assert Rating.objects.filter(round=round_).count() == 0


def test_excellent_or_poor_without_reason_is_kept_as_invalid(
    aw, sms_outbox, django_capture_on_commit_callbacks
):
    round_ = services.round_open(actor=aw.w.street_admin, round=aw.new_round(min_sample=3))
    with django_capture_on_commit_callbacks(execute=True):
        services.invitations_send(actor=aw.w.street_admin, round=round_)
    assert (
        services.rating_submit(token=_token_of(sms_outbox, 0), grade="excellent").validity
        == Validity.NO_REASON
    )
    assert services.rating_submit(token=_token_of(sms_outbox, 1), grade="fair").validity == Validity.VALID
    poor = services.rating_submit(token=_token_of(sms_outbox, 2), grade="poor", reason="从没来过")
    services.rating_mark_untrue(actor=aw.w.c01_leader, rating=poor, note="走访记录有照片和签字，理由不实")
    scores = {s.worker_id: s for s in selectors.scores(round_)}[aw.worker.pk]
    assert scores.valid == 1
    assert scores.invalid_no_reason == 1
    assert scores.invalid_untrue == 1
    assert scores.counts["fair"] == 1
    restored = services.rating_restore(actor=aw.w.c01_leader, rating=poor, note="复核：属实")
    assert restored.validity == Validity.VALID


def test_phone_rating_by_someone_other_than_the_worker(aw):
    round_ = services.round_open(actor=aw.w.street_admin, round=aw.new_round(min_sample=2))
    entry = SampleEntry.objects.filter(round=round_, worker=aw.worker, state=EntryState.INVITED)[0]
    rating = services.rating_record_by_phone(actor=aw.w.c01_leader, entry=entry, grade="good")
    assert rating.channel == "phone"
    assert rating.recorded_by == aw.w.c01_leader
    with pytest.raises(DomainError, match="已经评议过"):
        services.rating_record_by_phone(actor=aw.w.c01_leader, entry=entry, grade="good")


def test_the_worker_may_not_record_their_own_rating(aw):
    # A community leader under assessment holds `assess`, but not over the ratings of themselves.
    from linli.visits.services import visit_create

    visit_create(
        actor=aw.w.c01_leader,
        mode="phone",
        observations="问询",
        resident=aw.g01_residents[0],
        visited_on=date(2026, 11, 2),
    )
    round_ = services.round_open(
        actor=aw.w.street_admin, round=aw.new_round(workers=[aw.worker, aw.w.c01_leader], min_sample=2)
    )
    entry = SampleEntry.objects.get(round=round_, worker=aw.w.c01_leader)
    with pytest.raises(Forbidden):
        services.rating_record_by_phone(actor=aw.w.c01_leader, entry=entry, grade="excellent", reason="好")
    rating = services.rating_record_by_phone(
        actor=aw.w.street_admin, entry=entry, grade="poor", reason="没来过"
    )
    with pytest.raises(Forbidden):
        services.rating_mark_untrue(actor=aw.w.c01_leader, rating=rating, note="不实")


def test_non_respondent_is_replaced_by_the_next_in_draw_order(aw):
    round_ = services.round_open(actor=aw.w.street_admin, round=aw.new_round(min_sample=5))
    first = SampleEntry.objects.filter(round=round_, worker=aw.worker, state=EntryState.INVITED).order_by(
        "rank"
    )[0]
    nxt = services.entry_no_response(actor=aw.w.street_admin, entry=first)
    assert nxt is not None
    assert nxt.rank == 6
    assert nxt.replaces_id == first.pk
    first.refresh_from_db()
    assert first.state == EntryState.NO_RESPONSE


def test_only_the_rounds_auditor_sees_who_rated(aw):
    round_ = services.round_open(actor=aw.w.street_admin, round=aw.new_round(min_sample=2))
    entry = SampleEntry.objects.filter(round=round_, worker=aw.worker, state=EntryState.INVITED)[0]
    services.rating_record_by_phone(actor=aw.w.c01_leader, entry=entry, grade="good")
    with pytest.raises(Forbidden):
        services.rating_seals(actor=aw.w.c01_leader, round=round_)
    seals = services.rating_seals(actor=aw.w.street_admin, round=round_)
    assert [e.resident_id for _, e in seals] == [entry.resident_id]
    assert RatingSeal.objects.count() == 1
    assert AuditEntry.objects.filter(action="reveal", object_id=str(round_.pk)).exists()


def test_wilson_interval():
    ci = selectors.wilson(27, 30)
    assert ci is not None
    low, high = ci
    assert 0.73 < low < 0.75
    assert 0.96 < high < 0.97
    assert selectors.wilson(0, 0) is None
    ci = selectors.wilson(30, 30)
    assert ci is not None
    low, high = ci
    assert high == 1.0
    assert low < 0.9


def test_scores_weighting_and_pay_spread(aw):
    round_ = services.round_open(actor=aw.w.street_admin, round=aw.new_round(min_sample=10))
    entries = list(SampleEntry.objects.filter(round=round_, worker=aw.worker, state=EntryState.INVITED))
    grades = ["excellent"] * 3 + ["good"] * 4 + ["fair"] * 2 + ["poor"]
    for entry, grade in zip(entries, grades, strict=True):
        services.rating_record_by_phone(actor=aw.w.c01_leader, entry=entry, grade=grade, reason="有事实")
    member = round_.members.get(worker=aw.worker)
    services.scores_set(
        actor=aw.w.street_admin, member=member, street_score=Decimal(90), peer_score=Decimal(80)
    )
    other = round_.members.get(worker=aw.other)
    services.scores_set(
        actor=aw.w.street_admin, member=other, street_score=Decimal(65), peer_score=Decimal(70)
    )
    services.weighting_set(
        actor=aw.w.street_admin,
        street=aw.w.s01,
        residents=60,
        indicators=0,
        street_weight=30,
        peers=10,
        assessed_share=30,
        floor_score=60,
    )
    services.profile_update(actor=None, user=aw.worker, resident_id=aw.own.pk, base_annual_pay=Decimal(45000))
    services.profile_update(actor=None, user=aw.other, resident_id=None, base_annual_pay=Decimal(45000))
    s = {x.worker_id: x for x in selectors.scores(round_)}
    mine = s[aw.worker.pk]
    assert mine.valid == 10
    assert mine.good_share == 0.7
    assert mine.response_rate == 1.0
    assert mine.resident_score == 74.0  # (3×100 + 4×80 + 2×60 + 0) / 10
    assert mine.combined == round((60 * 74 + 30 * 90 + 10 * 80) / 100, 1)
    # No residents served: the street and peers carry the whole weight (30:10).
    assert s[aw.other.pk].combined == round((30 * 65 + 10 * 70) / 40, 1)
    pay = selectors.pay_spread(round_)
    assert pay.spread is not None
    assert pay.spread_percent is not None
    assert pay.spread > 0
    with pytest.raises(DomainError, match="合计 100"):
        services.weighting_set(
            actor=aw.w.street_admin,
            street=aw.w.s01,
            residents=60,
            indicators=10,
            street_weight=30,
            peers=10,
            assessed_share=30,
            floor_score=60,
        )


def test_one_off_task_closes_into_its_own_round_and_the_year_rolls_up(aw):
    task = services.task_create(
        actor=aw.w.street_admin,
        area=aw.w.c01,
        title="创文迎检",
        standard="楼道无堆物",
        start_date=date(2026, 10, 1),
        deadline=date(2026, 11, 30),
        workers=[aw.worker],
    )
    task_round = services.task_close(
        actor=aw.w.street_admin, task=task, result="按期完成", closed_on=date(2026, 11, 28)
    )
    assert task_round.kind == "task"
    assert task_round.period_end == date(2026, 11, 28)
    with pytest.raises(DomainError):
        services.task_close(actor=aw.w.street_admin, task=task, result="again")
    q4 = aw.new_round(workers=[aw.worker])
    for r, score in ((q4, Decimal(80)), (task_round, Decimal(60))):
        services.scores_set(
            actor=aw.w.street_admin,
            member=r.members.get(worker=aw.worker),
            street_score=score,
            peer_score=None,
        )
        r.auditor = aw.w.street_admin
        r.save()
        services.round_open(actor=aw.w.street_admin, round=r)
        services.round_close(actor=aw.w.street_admin, round=r)
    year = aw.new_round(
        kind="year",
        title="2026 年度",
        period_start=date(2026, 1, 1),
        period_end=date(2026, 12, 31),
        workers=[aw.worker],
    )
    s = selectors.scores(year)[0]
    assert [v for _, v in s.parts] == [60.0, 80.0]
    assert s.combined == 70.0


def test_two_way_case_review_and_department_results(aw):
    from linli.cases import services as cases
    from linli.cases.tests.conftest import new_case

    case = cases.case_register(
        actor=aw.w.c01_worker, case=new_case(aw.cw, category=aw.cw.dept_category, attributes={})
    )
    with pytest.raises(DomainError, match="没有派遣"):
        services.case_review_save(actor=aw.w.c01_worker, case=case, on_time=True, wrongly_returned=False)
    case = cases.case_dispatch(actor=aw.w.c01_worker, case=case, department=aw.cw.department)
    services.case_review_save(
        actor=aw.w.c01_worker, case=case, on_time=False, wrongly_returned=True, note="退回两次"
    )
    round_ = services.round_open(actor=aw.w.street_admin, round=aw.new_round())
    services.department_review_save(
        actor=aw.w.street_admin, round=round_, department=aw.cw.department, basis="by_law", grade="fair"
    )
    with pytest.raises(DomainError, match="须写明理由"):
        services.department_review_save(
            actor=aw.w.street_admin,
            round=round_,
            department=aw.cw.department,
            basis="assisting",
            grade="poor",
        )
    rows = selectors.department_results(aw.w.department, round_)  # the department sees its own results
    assert [(r.name, r.cases, r.on_time, r.wrongly_returned, r.grades) for r in rows] == [
        ("城管执法中队", 1, 0, 1, {"by_law": "中"})
    ]


GATEWAY: list[tuple[str, str, str]] = []


def _gateway(phone: str, text: str, purpose: str) -> None:
    GATEWAY.append((phone, text, purpose))


def test_sms_channel_is_the_pluggable_core_one(aw, settings, tmp_path, django_capture_on_commit_callbacks):
    # Item 4: a district's gateway plugs in by dotted path; the console outbox is the default.
    GATEWAY.clear()
    settings.LINLI_SMS_BACKEND = "linli.assessment.tests.test_services._gateway"
    round_ = services.round_open(actor=aw.w.street_admin, round=aw.new_round(min_sample=2))
    with django_capture_on_commit_callbacks(execute=True):
        assert services.invitations_send(actor=aw.w.street_admin, round=round_) == 2
    phones = {e.resident.phone for e in SampleEntry.objects.filter(round=round_, state=EntryState.SENT)}
    assert {p for p, _, _ in GATEWAY} == phones
    assert all("/rate/" in t and purpose == "assessment_rating" for _, t, purpose in GATEWAY)
    # Sending again does not text the same residents twice.
    assert services.invitations_send(actor=aw.w.street_admin, round=round_) == 0
    # The default: the console outbox under the var directory.
    settings.LINLI_SMS_BACKEND = "console"
    settings.VAR_DIR = tmp_path
    first = SampleEntry.objects.filter(round=round_, state=EntryState.SENT).order_by("rank")[0]
    services.entry_no_response(actor=aw.w.street_admin, entry=first)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.invitations_send(actor=aw.w.street_admin, round=round_) == 1
    lines = (tmp_path / "sms-outbox.log").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1
    assert "\tassessment_rating\t" in lines[0]
    assert "/rate/" in lines[0]
    assert len(GATEWAY) == 2


def test_case_handled_to_closure_puts_the_resident_in_the_handlers_frame(aw):
    # Item 3: "cases they received or handled to closure": the grid worker who handled it (not the receiver)
    # gets the resident in their frame, with the day it closed and what was done.
    from linli.cases import services as cases
    from linli.cases.tests.conftest import new_case, run_to_handled

    r = aw.g01_residents[3]
    case = run_to_handled(aw.cw, new_case(aw.cw, title="楼道堆物清理", resident=r))
    case = cases.case_verify(actor=aw.w.c01_worker, case=case)
    case = cases.case_pass(actor=aw.w.c01_worker, case=case)
    assert case.status == "closed"
    frames = services.build_frame(aw.new_round(workers=[aw.worker, aw.other]))
    assert [(u.resident_id, u.service_text) for u in frames[aw.other.pk]] == [
        (r.pk, "2026-12-01 为您办理：楼道堆物清理")
    ]
    # A case handled but not closed in the period does not count for its handler.
    open_case = run_to_handled(aw.cw, new_case(aw.cw, title="路灯不亮", resident=aw.g01_residents[4]))
    assert open_case.status != "closed"
    assert {u.resident_id for u in services.build_frame(aw.new_round())[aw.other.pk]} == {r.pk}


def test_default_minimum_sample_is_30_and_the_frame_freezes_when_the_round_opens(aw):
    round_ = services.round_create(
        actor=aw.w.street_admin,
        area=aw.w.c01,
        kind="quarter",
        title="默认样本",
        period_start=date(2026, 10, 1),
        period_end=date(2026, 12, 31),
        workers=[aw.worker],
        auditor=aw.w.street_admin,
    )
    assert round_.min_sample == 30
    round_ = services.round_open(actor=aw.w.street_admin, round=round_, seed="frozen")
    before = services.sample_redraw(actor=None, round=round_, seed="frozen")
    # Someone served after the seed was published changes nothing: the draw re-runs on the frozen frame.
    from linli.assessment.tests.conftest import _resident

    newcomer = _resident(aw.w.c01_g02, 60)
    from linli.visits.services import visit_create

    visit_create(
        actor=aw.worker, mode="phone", observations="问询", resident=newcomer, visited_on=date(2026, 11, 9)
    )
    assert services.sample_redraw(actor=None, round=round_, seed="frozen") == before
    assert len(before) == 24  # everyone of a frame smaller than 30


def test_a_round_is_per_community_or_street_and_takes_only_workers_bound_inside_it(aw):
    # Item 2: a street round reaches the workers of all its communities; a grid is not a unit of assessment;
    # a worker of another street is refused.
    street_round = aw.new_round(area=aw.w.s01, workers=services.eligible_workers(aw.w.s01))
    names = {m.worker_id for m in street_round.members.all()}
    assert {aw.worker.pk, aw.other.pk} <= names
    with pytest.raises(DomainError, match="社区或街道"):
        aw.new_round(area=aw.w.c01_g01)
    with pytest.raises(DomainError, match="不在该区域"):
        aw.new_round(workers=[aw.worker, aw.w.grid_worker_c02_g01])
    with pytest.raises(DomainError, match="最少抽样数"):
        aw.new_round(min_sample=0)


def test_someone_else_holding_audit_ratings_is_not_the_rounds_auditor(aw):
    from linli.accounts.services import user_create

    second, _ = user_create(
        actor=None, username="admin-b", role="street_admin", areas=[aw.w.s01], password="Pass-2026-linli"
    )
    round_ = services.round_open(actor=aw.w.street_admin, round=aw.new_round(min_sample=2))
    entry = SampleEntry.objects.filter(round=round_, worker=aw.worker, state=EntryState.INVITED)[0]
    services.rating_record_by_phone(actor=second, entry=entry, grade="good")
    with pytest.raises(Forbidden, match="评议审核人"):
        services.rating_seals(actor=second, round=round_)
    assert not AuditEntry.objects.filter(action="reveal", object_id=str(round_.pk)).exists()


def test_measured_indicators_enter_the_combined_score_by_the_streets_weight(aw):
    # Item 6: on-time closure and rework of the cases assigned to the worker, visit coverage of their
    # targets and 八必访 done by the deadline, averaged into the indicator score and weighted by the street.
    from datetime import datetime, timedelta

    from linli.assessment.tests.conftest import SHANGHAI
    from linli.cases import services as cases
    from linli.cases.models import Case
    from linli.cases.tests.conftest import new_case, run_to_handled
    from linli.visits.models import VisitTarget, VisitTask

    grid_worker = aw.other
    case = run_to_handled(aw.cw, new_case(aw.cw, title="楼道堆物清理", resident=aw.g01_residents[0]))
    cases.case_verify(actor=aw.w.c01_worker, case=case)
    cases.case_pass(actor=aw.w.c01_worker, case=case)
    late = run_to_handled(aw.cw, new_case(aw.cw, title="路灯不亮", resident=aw.g01_residents[1]))
    Case.objects.filter(pk=late.pk).update(
        close_due_at=datetime(2026, 11, 1, 12, 0, tzinfo=SHANGHAI), rework_count=1
    )
    cases.case_verify(actor=aw.w.c01_worker, case=late)
    cases.case_pass(actor=aw.w.c01_worker, case=late)
    for r in aw.g01_residents[:4]:
        VisitTarget.objects.create(
            resident=r,
            grid=aw.w.c01_g01,
            interval_days=30,
            visitor=grid_worker,
            since=date(2026, 10, 1),
            due_on=date(2026, 11, 1),
        )
    from linli.visits.services import visit_create

    visit_create(
        actor=grid_worker,
        mode="in_person",
        observations="了解近况",
        resident=aw.g01_residents[0],
        visited_on=date(2026, 11, 20),
    )
    due = datetime(2026, 11, 10, 18, 0, tzinfo=SHANGHAI)
    for done_at in (due - timedelta(days=1), due + timedelta(days=2)):
        VisitTask.objects.create(
            resident=aw.g01_residents[2],
            grid=aw.w.c01_g01,
            trigger=VisitTask.Trigger.values[0],
            note="住院",
            assignee=grid_worker,
            due_at=due,
            status="done",
            done_at=done_at,
        )
    round_ = aw.new_round()
    m = selectors.measured(round_, [grid_worker.pk])[grid_worker.pk]
    assert (m.on_time_rate, m.rework_rate, m.visit_coverage, m.mandatory_on_time) == (0.5, 0.5, 0.25, 0.5)
    assert m.score() == round(100 * (0.5 + 0.5 + 0.25 + 0.5) / 4, 1)
    services.weighting_set(
        actor=aw.w.street_admin,
        street=aw.w.s01,
        residents=50,
        indicators=20,
        street_weight=30,
        peers=0,
        assessed_share=30,
        floor_score=60,
    )
    services.scores_set(
        actor=aw.w.street_admin,
        member=round_.members.get(worker=grid_worker),
        street_score=Decimal(90),
        peer_score=None,
    )
    s = {x.worker_id: x for x in selectors.scores(round_)}[grid_worker.pk]
    assert s.indicator_score == 43.8
    # No resident ratings: indicators 20 and street 30 share the weight.
    assert s.combined == round((20 * 43.8 + 30 * 90) / 50, 1)


def test_pay_spread_is_computed_from_base_pay_share_and_floor_against_the_target(aw):
    # Item 7: two workers with combined scores 79.4 and 66.2, base 45,000 each.
    round_ = aw.new_round()
    for worker, street, peer in ((aw.worker, 79.4, 79.4), (aw.other, 66.2, 66.2)):
        services.scores_set(
            actor=aw.w.street_admin,
            member=round_.members.get(worker=worker),
            street_score=Decimal(str(street)),
            peer_score=Decimal(str(peer)),
        )
        services.profile_update(actor=None, user=worker, resident_id=None, base_annual_pay=Decimal(45000))

    def weigh(share: int, floor: int) -> selectors.PaySpread:
        services.weighting_set(
            actor=aw.w.street_admin,
            street=aw.w.s01,
            residents=60,
            indicators=0,
            street_weight=30,
            peers=10,
            assessed_share=share,
            floor_score=floor,
        )
        return selectors.pay_spread(round_)

    # 30 % tied, award from 0 at 60 to all of it at 100: 13,500 × 0.485 and × 0.155.
    pay = weigh(30, 60)
    awards = {a.worker_id: (a.assessed_part, a.award, a.income) for a in pay.awards}
    assert awards[aw.worker.pk] == (Decimal(13500), Decimal(6548), Decimal(38048))
    assert awards[aw.other.pk] == (Decimal(13500), Decimal(2093), Decimal(33593))
    assert pay.spread == Decimal(4455)
    assert pay.spread_percent == 12.4  # 4,455 of the mean income 35,820.5
    assert pay.on_target is False
    # Half tied and a floor of 70 reach the target: 22,500 × 0.3133 against nothing.
    pay = weigh(50, 70)
    assert pay.spread == Decimal(7050)
    assert pay.spread_percent == 27.1
    assert pay.on_target is True
