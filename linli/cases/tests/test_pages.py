"""The case pages over real HTTP requests (Django's test client through every middleware)."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from linli.cases import selectors, services
from linli.cases.models import CalendarOverride, Case, CaseEvent, CasePhoto, Notification
from linli.cases.tests.conftest import CaseWorld, new_case, run_to_handled
from linli.core.models import AuditEntry

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def intake(cw: CaseWorld, **overrides) -> dict:
    data = {
        "category": cw.category.pk,
        "channel": "walk_in",
        "urgency": "normal",
        "title": "楼道堆放杂物",
        "description": "8 栋 2 单元楼道堆满纸箱，存在消防隐患。",
        "area": cw.w.c01_g01.pk,
        "building": "8",
        "room": "301",
        "reporter_name": "钱先生",
        "reporter_phone": "139 0013 9000",
        "attribute[period]": "day",
    }
    data.update(overrides)
    return data


def test_a_worker_receives_a_case_with_a_photo(cw: CaseWorld, client_for) -> None:
    client = client_for(cw.w.c01_worker)
    assert client.get("/cases/new/").status_code == 200
    questions = client.get("/cases/new/questions/", {"category": cw.category.pk})
    assert "发生时段" in questions.content.decode()
    data = intake(cw)
    data["photo"] = SimpleUploadedFile("scene.png", PNG, content_type="image/png")
    response = client.post("/cases/new/", data)
    assert response.status_code == 302
    case = Case.objects.get()
    assert response["Location"] == f"/cases/{case.pk}/"
    assert case.house == cw.house
    assert case.reporter_phone == "13900139000"
    assert CasePhoto.objects.filter(case=case, content_type="image/png").exists()
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "139****9000" in page
    assert "13900139000" not in page
    assert case.number in page


def test_bad_intake_explains_in_chinese_and_keeps_what_was_typed(cw: CaseWorld, client_for) -> None:
    client = client_for(cw.w.c01_worker)
    response = client.post("/cases/new/", intake(cw, building="99", reporter_phone="123"))
    assert response.status_code == 400
    page = response.content.decode()
    assert "没有 99 号楼" in page
    assert "8 栋 2 单元楼道堆满纸箱" in page  # nothing typed is lost
    response = client.post("/cases/new/", intake(cw, **{"attribute[period]": ""}))
    assert "请回答：发生时段" in response.content.decode() or "这个字段是必填项" in response.content.decode()
    photo = SimpleUploadedFile("virus.exe", b"MZ\x90\x00", content_type="image/png")
    response = client.post("/cases/new/", {**intake(cw), "photo": photo})
    assert response.status_code == 400
    assert "JPEG、PNG 或 WebP" in response.content.decode()
    assert Case.objects.count() == 0


def test_moves_are_made_on_the_case_page_and_refusals_shown(cw: CaseWorld, client_for) -> None:
    case = new_case(cw)
    worker = client_for(cw.w.c01_worker)
    page = worker.get(f"/cases/{case.pk}/").content.decode()
    assert 'data-testid="action-register"' in page
    assert 'data-testid="action-reject"' in page
    response = worker.post(f"/cases/{case.pk}/reject/", {"note": ""})
    assert response.status_code == 400
    assert "请填写不予立案的理由" in response.content.decode()
    assert worker.post(f"/cases/{case.pk}/register/", {"note": ""}).status_code == 302
    assert worker.post(f"/cases/{case.pk}/dispatch/", {}).status_code == 302
    case.refresh_from_db()
    assert case.status == "dispatched"
    assert case.assignee == cw.w.grid_worker_c01_g01
    # Clicking register again (a stale page) is refused with the reason.
    response = worker.post(f"/cases/{case.pk}/register/", {})
    assert response.status_code == 400
    assert "可能已被他人处理" in response.content.decode()
    assert worker.post(f"/cases/{case.pk}/nonsense/", {}).status_code == 404


def test_out_of_scope_cases_are_404_everywhere(cw: CaseWorld, client_for) -> None:
    case = new_case(cw)
    other = client_for(cw.w.grid_worker_c02_g01)
    for url in (f"/cases/{case.pk}/", f"/cases/{case.pk}/register/", f"/cases/{case.pk}/reveal/"):
        response = other.post(url) if url.count("/") > 3 else other.get(url)
        assert response.status_code == 404, url
    assert case.number not in other.get("/cases/").content.decode()


def test_revealing_the_reporters_phone_is_audited(cw: CaseWorld, client_for) -> None:
    case = new_case(cw)
    leader = client_for(cw.w.c01_leader)
    response = leader.post(f"/cases/{case.pk}/reveal/")
    assert "13800138000" in response.content.decode()
    assert AuditEntry.objects.filter(action="reveal", object_id=str(case.pk), actor=cw.w.c01_leader).exists()
    # A grid worker who is not handling it may not; once it is theirs, they may (to call back).
    grid = client_for(cw.w.grid_worker_c01_g01)
    assert grid.post(f"/cases/{case.pk}/reveal/").status_code == 403
    services.case_dispatch(
        actor=cw.w.c01_worker, case=services.case_register(actor=cw.w.c01_worker, case=case)
    )
    assert "13800138000" in grid.post(f"/cases/{case.pk}/reveal/").content.decode()


def test_the_inbox_lists_work_and_the_navigation_counts_it(cw: CaseWorld, client_for) -> None:
    case = services.case_dispatch(
        actor=cw.w.c01_worker, case=services.case_register(actor=cw.w.c01_worker, case=new_case(cw))
    )
    grid = client_for(cw.w.grid_worker_c01_g01)
    page = grid.get("/cases/inbox/").content.decode()
    assert case.title in page
    assert "新派单" in page
    assert 'data-testid="nav-badge">2<' in page  # one to-do, one unread notification
    grid.post("/cases/inbox/read/")
    assert not Notification.objects.filter(user=cw.w.grid_worker_c01_g01, read_at__isnull=True).exists()


def test_the_navigation_badge_says_99_plus_above_99(cw: CaseWorld, client_for) -> None:
    user = cw.w.grid_worker_c01_g01
    Notification.objects.bulk_create(
        Notification(user=user, kind=Notification.Kind.WARNING, text=f"提醒 {i}") for i in range(99)
    )
    client = client_for(user)
    assert 'data-testid="nav-badge">99<' in client.get("/cases/inbox/").content.decode()
    Notification.objects.create(user=user, kind=Notification.Kind.WARNING, text="第 100 条")
    assert 'data-testid="nav-badge">99+<' in client.get("/cases/inbox/").content.decode()
    assert selectors.inbox_counts(user)["unread"] == 100  # uncapped where a page needs the number


def test_a_department_members_to_do_lists_each_case_once(cw: CaseWorld) -> None:
    """A member of two departments, in a department of two members."""
    member, colleague = cw.dept_member, cw.w.grid_worker_c02_g01
    cw.department.members.add(colleague)
    services.department_create(actor=None, area=cw.w.s01, code="SW", name="水务所", members=[member])
    case = services.case_register(
        actor=cw.w.c01_worker, case=new_case(cw, category=cw.dept_category, attributes={})
    )
    case = services.case_dispatch(actor=cw.w.c01_worker, case=case)
    assert (case.department, case.assignee) == (cw.department, None)
    assert list(selectors.todo(member)) == [case]
    assert selectors.inbox_counts(member)["todo"] == selectors.inbox_counts(member, upto=99)["todo"] == 1
    assert not selectors.todo(cw.w.viewer).exists()  # in no department, assigned nothing


def test_indicators_page_and_audited_excel_export(cw: CaseWorld, client_for) -> None:
    run_to_handled(cw, new_case(cw))
    leader = client_for(cw.w.c01_leader)
    leader.get("/cases/indicators/", {"group": "worker"}).content.decode()
    assert True
    response = leader.get("/cases/indicators/", {"group": "grid", "format": "xlsx"})
    assert response.status_code == 200
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    assert sheet["A4"].value == "锦绣社区 · 第一网格"  # grids are named with their community
    assert AuditEntry.objects.filter(action="export", object_type="cases.indicators").exists()
    assert (
        client_for(cw.w.grid_worker_c01_g01).get("/cases/indicators/", {"format": "xlsx"}).status_code == 403
    )
    bad = leader.get("/cases/indicators/", {"start": "2026-12-01", "end": "2026-11-01"}).content.decode()
    assert "结束日期不能早于开始日期" in bad


def test_street_admins_set_limits_and_calendar_days(cw: CaseWorld, client_for) -> None:
    admin = client_for(cw.w.street_admin)
    assert "测试噪声" in admin.get("/cases/categories/").content.decode()
    response = admin.post(
        f"/cases/categories/{cw.category.pk}/limits/",
        {"handle_amount": "5", "handle_unit": "days", "verify_amount": "0", "verify_unit": "days"},
        follow=True,
    )
    assert "核查时限" in response.content.decode()
    assert cw.category.limits.get(stage="handle").amount == 3  # all or nothing
    admin.post(f"/cases/categories/{cw.category.pk}/limits/", {"handle_amount": "5", "handle_unit": "days"})
    assert cw.category.limits.get(stage="handle").amount == 5
    admin.post("/cases/calendar/", {"day": "2027-01-01", "is_workday": "0", "note": "元旦"})
    assert CalendarOverride.objects.filter(day="2027-01-01", is_workday=False).exists()
    worker = client_for(cw.w.c01_worker)
    assert worker.post("/cases/calendar/", {"day": "2027-01-02", "is_workday": "1"}).status_code == 403
    assert worker.get("/cases/categories/").status_code == 200  # may read, not change
    assert (
        worker.post(
            f"/cases/categories/{cw.category.pk}/limits/", {"handle_amount": "9", "handle_unit": "days"}
        ).status_code
        == 403
    )


def test_a_resident_submits_tracks_and_confirms_without_an_account(cw: CaseWorld, client) -> None:
    page = client.get("/track/new/")
    assert page.status_code == 200
    data = {
        "community": cw.w.c01.pk,
        "category": cw.category.pk,
        "title": "路灯不亮",
        "description": "锦绣路 8 号门口路灯坏了一周。",
        "address": "锦绣路 8 号门口",
        "reporter_phone": "13700137000",
        "attribute[period]": "night",
    }
    response = client.post("/track/new/", data)
    assert response.status_code == 302
    case = Case.objects.get()
    assert case.channel == "online"
    assert case.first_receiver is None
    assert case.area == cw.w.c01
    assert CaseEvent.objects.get(case=case).actor_label == "居民网上提交"
    # Another browser must prove the phone first.
    other = type(client)()
    assert other.get(f"/track/{case.number}/").status_code == 404
    assert other.post("/track/", {"number": case.number, "phone": "13900000000"}).status_code == 400
    assert other.post("/track/", {"number": case.number, "phone": "137-0013-7000"}).status_code == 302
    assert "已受理" in other.get(f"/track/{case.number}/").content.decode()
    case = run_to_handled(cw, Case.objects.get())
    assert 'data-testid="verdict"' in other.get(f"/track/{case.number}/").content.decode()
    other.post(f"/track/{case.number}/verdict/", {"solved": "1"})
    case.refresh_from_db()
    assert case.status == "closed"


def test_tracking_lookups_lock_out_after_repeated_failures(cw: CaseWorld, client, settings) -> None:
    case = new_case(cw)
    for _ in range(settings.LINLI_LOCKOUT_PER_ACCOUNT):
        client.post("/track/", {"number": case.number, "phone": "13000000000"})
    response = client.post("/track/", {"number": case.number, "phone": "13800138000"})
    assert "次数过多" in response.content.decode()


@pytest.mark.parametrize("path", ["/cases/", "/cases/new/", "/cases/inbox/", "/cases/indicators/"])
def test_case_pages_need_a_login(client, path: str) -> None:
    assert client.get(path).status_code == 302


def test_a_case_raised_from_a_residents_page_is_linked_both_ways(cw: CaseWorld, client_for) -> None:
    from linli.registry.services import resident_create
    from tests.factories import make_id_number

    resident = resident_create(
        actor=None, grid=cw.w.c01_g01, name="孙大爷", id_number=make_id_number("19400101", 21), house=cw.house
    )
    client = client_for(cw.w.c01_worker)
    page = client.get(f"/registry/residents/{resident.pk}/").content.decode()
    assert f"/cases/new/?resident={resident.pk}" in page
    form = client.get(f"/cases/new/?resident={resident.pk}").content.decode()
    assert 'value="孙大爷"' in form
    assert 'value="301"' in form
    data = intake(cw, reporter_name="孙大爷")
    assert client.post(f"/cases/new/?resident={resident.pk}", data).status_code == 302
    case = Case.objects.get()
    assert case.resident == resident
    assert case.house == cw.house
    assert case.number in client.get(f"/registry/residents/{resident.pk}/").content.decode()


def test_a_garbled_public_submission_is_a_form_error_not_a_crash(cw: CaseWorld, client) -> None:
    response = client.post("/track/new/", {"category": "abc", "community": "x", "title": ""})
    assert (
        response.status_code == 400
        and "这个字段是必填项" in response.content.decode()
        or response.status_code == 400
    )
    assert Case.objects.count() == 0
