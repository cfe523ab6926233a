"""The case workflow, move by move, as the people who make each move."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.db import DatabaseError, transaction

from linli.cases import services
from linli.cases.models import Case, CaseEvent, ExtensionRequest, Notification, Status
from linli.cases.tests.conftest import SHANGHAI, CaseWorld, new_case, run_to_handled
from linli.core.errors import DomainError, Forbidden, NotFound
from linli.core.models import AuditEntry


def actions(case: Case) -> list[str]:
    return list(CaseEvent.objects.filter(case=case).order_by("at", "id").values_list("action", flat=True))


def test_a_case_goes_from_intake_to_follow_up(cw: CaseWorld, clock) -> None:
    w = cw.w
    case = new_case(cw)
    assert case.number == "20261116-0001"
    assert case.area == w.c01_g01
    assert case.building == cw.building
    assert case.first_receiver == w.c01_worker
    # Register within 2 working hours: Monday 11:00.
    assert case.stage_due_at == datetime(2026, 11, 16, 11, 0, tzinfo=SHANGHAI)

    case = services.case_register(actor=w.c01_worker, case=case)
    case = services.case_dispatch(actor=w.c01_worker, case=case)
    assert case.assignee == w.grid_worker_c01_g01  # the grid's on-duty worker
    # Handling: three working days after Monday → close of Thursday.
    assert case.stage_due_at == datetime(2026, 11, 19, 17, 30, tzinfo=SHANGHAI)
    case = services.case_accept(actor=w.grid_worker_c01_g01, case=case)
    case = services.case_finish(actor=w.grid_worker_c01_g01, case=case, result="已劝导，停止夜间施工。")
    assert case.handler == w.grid_worker_c01_g01
    case = services.case_verify(actor=w.c01_leader, case=case)
    case = services.case_pass(actor=w.c01_leader, case=case, note="现场核实已停工。")
    assert case.status == Status.CLOSED
    assert case.closed_at is not None
    assert case.handling_seconds == round((case.closed_at - case.received_at).total_seconds())
    assert case.stage_due_at is None
    case = services.case_follow_up(actor=w.c01_worker, case=case, satisfaction="satisfied")
    assert case.satisfaction == "satisfied"
    assert actions(case) == [
        "receive",
        "register",
        "dispatch",
        "accept",
        "finish",
        "verify",
        "pass",
        "follow_up",
    ]
    dispatch = CaseEvent.objects.get(case=case, action="dispatch")
    assert dispatch.from_status == "registered"
    assert dispatch.to_status == "dispatched"
    assert dispatch.data["override"] is False
    assert Notification.objects.filter(user=w.grid_worker_c01_g01, kind="assigned", case=case).exists()


def test_illegal_moves_are_refused_and_change_nothing(cw: CaseWorld) -> None:
    w = cw.w
    case = new_case(cw)
    with pytest.raises(DomainError, match="不能开始核查"):
        services.case_verify(actor=w.c01_leader, case=case)
    with pytest.raises(DomainError, match="不能签收处置"):
        services.case_accept(actor=w.c01_leader, case=case)
    with pytest.raises(Forbidden):  # not the handler of this case
        services.case_accept(actor=w.grid_worker_c01_g01, case=case)
    case.refresh_from_db()
    assert case.status == Status.RECEIVED
    assert actions(case) == ["receive"]


def test_rejecting_needs_a_reason(cw: CaseWorld) -> None:
    case = new_case(cw)
    with pytest.raises(DomainError, match="不予立案的理由") as exc:
        services.case_reject(actor=cw.w.c01_worker, case=case, reason="  ")
    assert exc.value.field == "note"
    case = services.case_reject(actor=cw.w.c01_worker, case=case, reason="属于民事纠纷，已告知诉讼途径。")
    assert case.status == Status.REJECTED
    assert case.stage_due_at is None


def test_the_handler_cannot_verify_their_own_work(cw: CaseWorld) -> None:
    w = cw.w
    case = new_case(cw)
    case = services.case_register(actor=w.c01_worker, case=case)
    case = services.case_dispatch(actor=w.c01_worker, case=case, assignee=w.c01_worker)
    case = services.case_accept(actor=w.c01_worker, case=case)
    case = services.case_finish(actor=w.c01_worker, case=case, result="已处理")
    with pytest.raises(DomainError, match="处置人以外"):
        services.case_verify(actor=w.c01_worker, case=case)
    services.case_verify(actor=w.c01_leader, case=case)


def test_failed_verification_is_rework_back_to_handling(cw: CaseWorld) -> None:
    w = cw.w
    case = run_to_handled(cw, new_case(cw))
    case = services.case_verify(actor=w.c01_leader, case=case)
    case = services.case_rework(actor=w.c01_leader, case=case, reason="现场仍有施工噪声。")
    assert case.status == Status.HANDLING
    assert case.rework_count == 1
    assert Notification.objects.filter(user=w.grid_worker_c01_g01, kind="rework").exists()


def test_a_department_returns_a_wrongly_routed_case_for_redispatch(cw: CaseWorld) -> None:
    w = cw.w
    case = new_case(cw, category=cw.dept_category, attributes={})
    case = services.case_register(actor=w.c01_worker, case=case)
    case = services.case_dispatch(actor=w.c01_worker, case=case)
    assert case.department == cw.department
    assert case.assignee is None
    with pytest.raises(Forbidden):
        services.case_return(actor=w.grid_worker_c01_g01, case=case, reason="不归我管")
    case = services.case_return(actor=cw.dept_member, case=case, reason="系小区内部道路，属物业管理。")
    assert case.status == Status.REGISTERED
    assert case.return_count == 1
    assert case.department is None
    case = services.case_dispatch(
        actor=w.c01_worker, case=case, assignee=w.grid_worker_c01_g01, note="改派网格员"
    )
    event = CaseEvent.objects.filter(case=case, action="dispatch").last()
    assert event is not None
    assert event.data["override"] is True


def test_dispatch_refuses_someone_outside_the_cases_area(cw: CaseWorld) -> None:
    w = cw.w
    case = services.case_register(actor=w.c01_worker, case=new_case(cw))
    with pytest.raises(DomainError, match="管辖范围"):
        services.case_dispatch(actor=w.c01_worker, case=case, assignee=w.grid_worker_c02_g01)


def test_extension_needs_approval_and_moves_both_deadlines(cw: CaseWorld) -> None:
    w = cw.w
    case = services.case_dispatch(
        actor=w.c01_worker, case=services.case_register(actor=w.c01_worker, case=new_case(cw))
    )
    due, close_due = case.stage_due_at, case.close_due_at
    request = services.extension_request(
        actor=w.grid_worker_c01_g01, case=case, amount=2, unit="days", reason="需协调物业共同处理。"
    )
    with pytest.raises(DomainError, match="待审批"):
        services.extension_request(
            actor=w.grid_worker_c01_g01, case=case, amount=1, unit="days", reason="再延"
        )
    with pytest.raises(Forbidden):
        services.extension_decide(actor=w.c01_worker, extension=request, approve=True)
    services.extension_decide(actor=w.c01_leader, extension=request, approve=True, note="同意")
    case.refresh_from_db()
    request.refresh_from_db()
    assert request.decision == ExtensionRequest.Decision.APPROVED
    assert case.extended
    assert case.stage_due_at == datetime(2026, 11, 23, 17, 30, tzinfo=SHANGHAI)  # Thu close + 2 working days
    assert case.close_due_at is not None
    assert close_due is not None
    assert case.close_due_at > close_due
    assert due is not None
    assert case.stage_due_at > due


def test_a_closed_case_can_be_reopened(cw: CaseWorld) -> None:
    w = cw.w
    case = run_to_handled(cw, new_case(cw))
    case = services.case_pass(actor=w.c01_leader, case=services.case_verify(actor=w.c01_leader, case=case))
    case = services.case_reopen(actor=w.c01_worker, case=case, reason="居民反映问题复发。")
    assert case.status == Status.HANDLING
    assert case.reopen_count == 1
    assert case.closed_at is None
    assert case.handling_seconds is None  # the handling time counts again from the next close


def test_a_duplicate_is_merged_into_the_open_case(cw: CaseWorld) -> None:
    first = new_case(cw)
    second = new_case(cw, reporter_name="钱先生", reporter_phone="13900139000")
    merged = services.case_merge(actor=cw.w.c01_worker, case=second, into=first)
    assert merged.status == Status.MERGED
    assert merged.merged_into == first
    assert CaseEvent.objects.filter(case=first, action="merge").exists()
    with pytest.raises(DomainError, match="自身"):
        services.case_merge(actor=cw.w.c01_worker, case=first, into=first)


def test_grid_workers_receive_but_do_not_register(cw: CaseWorld) -> None:
    case = new_case(cw, actor=cw.w.grid_worker_c01_g01, channel="patrol")
    with pytest.raises(Forbidden):
        services.case_register(actor=cw.w.grid_worker_c01_g01, case=case)


def test_a_worker_cannot_touch_a_case_outside_their_area(cw: CaseWorld) -> None:
    case = new_case(cw)
    with pytest.raises(NotFound):
        services.case_register(actor=cw.w.other_street_admin, case=case)
    with pytest.raises(NotFound):
        new_case(cw, actor=cw.w.grid_worker_c02_g01)


def test_intake_validates_every_field(cw: CaseWorld) -> None:
    with pytest.raises(DomainError, match="标题") as exc:
        new_case(cw, title="")
    assert exc.value.field == "title"
    with pytest.raises(DomainError, match="联系电话"):
        new_case(cw, reporter_phone="12345")
    with pytest.raises(DomainError, match="发生时段"):
        new_case(cw, attributes={})
    with pytest.raises(DomainError, match="选项无效"):
        new_case(cw, attributes={"period": "noon"})
    with pytest.raises(DomainError, match="小类"):
        new_case(cw, category=cw.category.parent)
    with pytest.raises(DomainError, match="同时填写"):
        new_case(cw, house=None, area=cw.w.c01, latitude="30.1")
    with pytest.raises(DomainError, match="纬度超出范围"):
        new_case(cw, house=None, area=cw.w.c01, latitude="91", longitude="120")
    assert Case.objects.count() == 0


def test_coordinates_find_the_grid_by_its_boundary(cw: CaseWorld) -> None:
    square = [[120.0, 30.0], [120.01, 30.0], [120.01, 30.01], [120.0, 30.01], [120.0, 30.0]]
    cw.w.c01_g02.boundary = {"type": "Polygon", "coordinates": [square]}
    cw.w.c01_g02.save()
    case = new_case(cw, house=None, area=cw.w.c01, latitude="30.005", longitude="120.005")
    assert case.area == cw.w.c01_g02
    outside = new_case(cw, house=None, area=cw.w.c01, latitude="31", longitude="121")
    assert outside.area == cw.w.c01


def test_case_events_cannot_be_rewritten(cw: CaseWorld) -> None:
    case = new_case(cw)
    event = CaseEvent.objects.get(case=case)
    with pytest.raises(DatabaseError), transaction.atomic():
        CaseEvent.objects.filter(pk=event.pk).update(note="改写历史")


def test_every_move_is_audited(cw: CaseWorld) -> None:
    case = services.case_register(actor=cw.w.c01_worker, case=new_case(cw))
    entries = AuditEntry.objects.filter(object_type="cases.case", object_id=str(case.pk))
    assert {e.action for e in entries} == {"create", "update"}
    assert entries.filter(changes__action="register").exists()


def test_tracking_numbers_count_up_per_day(cw: CaseWorld, clock) -> None:
    assert [new_case(cw).number for _ in range(3)] == ["20261116-0001", "20261116-0002", "20261116-0003"]


def test_urgent_cases_get_shorter_limits(cw: CaseWorld) -> None:
    normal = new_case(cw)
    urgent = new_case(cw, urgency="critical")
    assert urgent.stage_due_at is not None
    assert normal.stage_due_at is not None
    assert urgent.stage_due_at < normal.stage_due_at


def test_the_resident_confirms_or_disputes_the_result(cw: CaseWorld) -> None:
    case = run_to_handled(cw, new_case(cw))
    assert services.tracking_match(case.number, "138-0013-8000") == case
    assert services.tracking_match(case.number, "13900139000") is None
    with pytest.raises(DomainError, match="哪里还没有解决"):
        services.resident_verdict(case=case, solved=False)
    case = services.resident_verdict(case=case, solved=False, note="晚上还在施工")
    assert case.status == Status.HANDLING
    assert case.rework_count == 1
    case = services.case_finish(actor=cw.w.grid_worker_c01_g01, case=case, result="再次劝导")
    case = services.resident_verdict(case=case, solved=True)
    assert case.status == Status.CLOSED
    assert CaseEvent.objects.filter(case=case, action="resident_confirm", actor_label="居民本人").exists()
