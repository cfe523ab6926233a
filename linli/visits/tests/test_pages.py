from __future__ import annotations

from datetime import datetime

from linli.core.models import AuditEntry
from linli.visits import services
from linli.visits.models import CarePlan, DiaryEntry, Pairing, Visit, VisitTask
from linli.visits.tests.conftest import SHANGHAI, VisitWorld


def test_the_grid_workers_todo_lists_tasks_and_overdue_people(vw: VisitWorld, client_for, clock) -> None:
    services.task_create(actor=None, resident=vw.dibao, trigger="hospitalised", note="住院")
    clock.move_to(datetime(2026, 11, 28, 9, 0, tzinfo=SHANGHAI))
    page = client_for(vw.w.grid_worker_c01_g01).get("/visits/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "孙困难" in html  # the task
    assert "钱老伯" in html  # overdue weekly visit
    assert "周独居" not in html  # another grid's
    assert "低保" not in html  # a sensitive reason is not named to a grid worker


def test_logging_a_visit_from_the_phone_form(vw: VisitWorld, client_for) -> None:
    services.task_create(actor=None, resident=vw.dibao, trigger="hospitalised", note="住院")
    client = client_for(vw.w.grid_worker_c01_g01)
    form = client.get(f"/visits/new/?resident={vw.alone.pk}")
    assert form.status_code == 200
    assert "入户" in form.content.decode()
    done = client.post(
        f"/visits/new/?resident={vw.alone.pk}",
        {"mode": "in_person", "visited_on": "2026-11-20", "observations": "一切安好", "needs": ""},
    )
    assert done.status_code == 302
    assert done["Location"] == f"/visits/?after={vw.alone.pk}"
    assert Visit.objects.get().observations == "一切安好"
    # The to-do list then offers the next person on it, with where they live and a masked phone.
    html = client.get(done["Location"]).content.decode()
    offer = html[html.index('data-testid="next-visit"') :]
    offer = offer[: offer.index("</section>")]
    assert "孙困难" in offer  # the open 八必访 task comes first
    assert "钱老伯" not in offer
    assert "139****1111" in offer
    assert "13900001111" not in html


def test_a_visit_with_a_need_goes_to_the_visit_to_turn_it_into_a_case(vw: VisitWorld, client_for) -> None:
    client = client_for(vw.w.grid_worker_c01_g01)
    done = client.post(
        f"/visits/new/?household={vw.household.pk}",
        {
            "mode": "neighbour",
            "visited_on": "2026-11-20",
            "observations": "邻居说老人不常出门",
            "needs": "送餐",
        },
    )
    visit = Visit.objects.get()
    assert done["Location"] == f"/visits/{visit.pk}/"
    detail = client.get(done["Location"]).content.decode()
    assert "一键转为诉求" in detail


def test_bad_input_is_explained_in_chinese_and_nothing_is_saved(vw: VisitWorld, client_for) -> None:
    page = client_for(vw.w.grid_worker_c01_g01).post(
        f"/visits/new/?resident={vw.alone.pk}",
        {"mode": "in_person", "visited_on": "2026-12-31", "observations": "x"},
    )
    assert page.status_code == 400
    assert "走访日期不能晚于今天" in page.content.decode()
    assert not Visit.objects.exists()


def test_people_and_visits_outside_scope_are_not_found(vw: VisitWorld, client_for) -> None:
    client = client_for(vw.w.grid_worker_c01_g01)
    assert client.get(f"/visits/new/?resident={vw.c02_alone.pk}").status_code == 404
    other = services.visit_create(actor=None, resident=vw.c02_alone, mode="phone", observations="x")
    assert client.get(f"/visits/{other.pk}/").status_code == 404
    assert client.get(f"/visits/residents/{vw.c02_alone.pk}/task/").status_code == 404
    assert client_for(vw.w.viewer).get(f"/visits/new/?resident={vw.alone.pk}").status_code == 403


def test_finding_someone_to_visit_by_name(vw: VisitWorld, client_for) -> None:
    page = client_for(vw.w.grid_worker_c01_g01).get("/visits/new/?q=钱")
    html = page.content.decode()
    assert "钱老伯" in html
    assert f"?resident={vw.alone.pk}" in html


def test_recording_a_mandatory_visit_event_from_the_resident(vw: VisitWorld, client_for) -> None:
    client = client_for(vw.w.c01_worker)
    bad = client.post(f"/visits/residents/{vw.alone.pk}/task/", {"trigger": "hospitalised", "note": ""})
    assert bad.status_code == 400
    assert not VisitTask.objects.exists()
    done = client.post(
        f"/visits/residents/{vw.alone.pk}/task/", {"trigger": "hospitalised", "note": "心脏不适住院"}
    )
    assert done.status_code == 302
    assert VisitTask.objects.get().assignee == vw.w.grid_worker_c01_g01
    resident_page = client.get(f"/registry/residents/{vw.alone.pk}/").content.decode()
    assert "住院" in resident_page
    assert "走访对象" in resident_page


def test_cancelling_a_task_from_the_list(vw: VisitWorld, client_for) -> None:
    task = services.task_create(actor=None, resident=vw.alone, trigger="worries", note="x")
    client = client_for(vw.w.c01_worker)
    client.post(f"/visits/tasks/{task.pk}/cancel/", {"reason": ""})
    task.refresh_from_db()
    assert task.status == "open"
    client.post(f"/visits/tasks/{task.pk}/cancel/", {"reason": "重复登记"})
    task.refresh_from_db()
    assert task.status == "cancelled"


def test_leaders_add_tag_plans_and_grid_workers_may_not(vw: VisitWorld, client_for) -> None:
    from linli.registry.models import Tag

    tag = Tag.objects.get(code="elderly_80")
    form = {"area": vw.w.c01.pk, "tag": tag.pk, "interval_days": "14", "note": ""}
    assert client_for(vw.w.grid_worker_c01_g01).post("/visits/plans/", form).status_code == 403
    bad = client_for(vw.w.c01_leader).post("/visits/plans/", {**form, "interval_days": "0"})
    assert bad.status_code == 400
    assert client_for(vw.w.c01_leader).post("/visits/plans/", form).status_code == 302
    assert CarePlan.objects.filter(tag=tag, area=vw.w.c01, interval_days=14).exists()


def test_the_plans_page_hides_sensitive_plans_from_those_who_may_not_see_them(
    vw: VisitWorld, client_for
) -> None:
    html = client_for(vw.w.grid_worker_c01_g01).get("/visits/plans/").content.decode()
    assert "独居老人" in html
    assert "低保" not in html


def test_a_personal_plan_and_a_pairing_from_the_resident(vw: VisitWorld, client_for) -> None:
    client = client_for(vw.w.c01_worker)
    url = f"/visits/residents/{vw.untagged.pk}/care/"
    assert client.get(url).status_code == 200
    assert client.post(url, {"form": "plan", "interval_days": "10"}).status_code == 302
    assert (
        client.post(url, {"form": "pairing", "visitor": vw.w.c01_worker.pk, "kind": "volunteer"}).status_code
        == 302
    )
    assert Pairing.objects.get(resident=vw.untagged).kind == "volunteer"
    assert vw.untagged.visit_target.visitor == vw.w.c01_worker


def test_coverage_page_and_its_export_are_scoped_and_audited(vw: VisitWorld, client_for) -> None:
    client = client_for(vw.w.c01_leader)
    html = client.get("/visits/coverage/?group=community").content.decode()
    assert "锦绣社区" in html
    assert "和平社区" not in html
    download = client.get("/visits/coverage/?group=grid&format=xlsx")
    assert download["Content-Type"].startswith("application/vnd.openxmlformats")
    assert AuditEntry.objects.filter(action="export", object_type="visits.coverage").exists()
    assert (
        client_for(vw.w.grid_worker_c01_g01).get("/visits/coverage/?group=grid&format=xlsx").status_code
        == 403
    )


def test_visit_log_export(vw: VisitWorld, client_for) -> None:
    services.visit_create(actor=None, resident=vw.alone, mode="phone", observations="x")
    client = client_for(vw.w.c01_worker)
    assert "钱老伯" in client.get("/visits/log/").content.decode()
    download = client.get("/visits/log/?start=2026-11-01&end=2026-11-20&format=xlsx")
    assert download.status_code == 200
    assert AuditEntry.objects.filter(action="export", object_type="visits.visit").exists()


def test_targets_page_filters_never_visited(vw: VisitWorld, client_for) -> None:
    services.visit_create(actor=None, resident=vw.alone, mode="phone", observations="x")
    html = client_for(vw.w.c01_worker).get("/visits/targets/?state=never").content.decode()
    assert "孙困难" in html
    assert "钱老伯" not in html


def test_the_diary_page_writes_searches_and_keeps_to_scope(vw: VisitWorld, client_for) -> None:
    client = client_for(vw.w.grid_worker_c01_g01)
    assert client.post("/visits/diary/", {"day": "2026-11-20", "text": ""}).status_code == 400
    assert client.post("/visits/diary/", {"day": "2026-11-20", "text": "居民反映路灯不亮"}).status_code == 302
    assert "路灯" in client.get("/visits/diary/?q=路灯").content.decode()
    assert "路灯" not in client.get("/visits/diary/?q=电梯").content.decode()
    assert "路灯" not in client_for(vw.w.grid_worker_c02_g01).get("/visits/diary/").content.decode()
    entry = DiaryEntry.objects.get()
    assert client_for(vw.w.c01_leader).get(f"/visits/diary/{entry.pk}/").status_code == 404


def test_the_navigation_badge_counts_my_overdue_visits(vw: VisitWorld, client_for, clock) -> None:
    clock.move_to(datetime(2026, 11, 28, 9, 0, tzinfo=SHANGHAI))
    html = client_for(vw.w.grid_worker_c01_g01).get("/visits/").content.decode()
    assert 'href="/visits/"' in html
    assert "民情日记" in html


def test_a_photo_taken_on_the_visit_is_shown_only_within_scope(vw: VisitWorld, client_for) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    png = SimpleUploadedFile("p.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 32, content_type="image/png")
    client = client_for(vw.w.grid_worker_c01_g01)
    client.post(
        f"/visits/new/?resident={vw.alone.pk}",
        {"mode": "in_person", "visited_on": "2026-11-20", "observations": "门口台阶破损", "photo": png},
    )
    photo = Visit.objects.get().photos.get()
    assert photo.content_type == "image/png"
    assert client.get(f"/visits/photos/{photo.pk}/").status_code == 200
    assert client_for(vw.w.grid_worker_c02_g01).get(f"/visits/photos/{photo.pk}/").status_code == 404


def test_the_case_made_from_a_need_links_back_to_the_visit(vw: VisitWorld, client_for) -> None:
    from linli.cases.services import category_create

    parent = category_create(actor=None, code="V", name="测试大类")
    category = category_create(actor=None, code="V-HELP", name="生活帮扶", parent=parent)
    visit = services.visit_create(
        actor=None, resident=vw.alone, mode="in_person", observations="x", needs="扶手"
    )
    client = client_for(vw.w.grid_worker_c01_g01)
    done = client.post(
        f"/visits/{visit.pk}/case/", {"category": category.pk, "title": "装扶手", "urgency": "normal"}
    )
    assert done.status_code == 302
    case_page = client.get(done["Location"]).content.decode()
    assert f'href="/visits/{visit.pk}/"' in case_page
    assert "装扶手" in client.get(f"/visits/{visit.pk}/").content.decode()
    bad = client.post(f"/visits/{visit.pk}/case/", {"category": "", "title": ""})
    assert bad.status_code == 400


def test_a_resident_who_moved_grids_brings_no_old_visit_notes_to_the_new_grid(
    vw: VisitWorld, client_for
) -> None:
    from linli.registry.services import resident_update

    services.visit_create(actor=None, resident=vw.untagged, mode="in_person", observations="旧网格的记录")
    resident_update(actor=None, resident=vw.untagged, grid=vw.w.c01_g02, house=None, household=None)
    new_grid = client_for(vw.w.grid_worker_c01_g02).get(f"/registry/residents/{vw.untagged.pk}/")
    assert new_grid.status_code == 200
    assert "旧网格的记录" not in new_grid.content.decode()
    assert (
        "旧网格的记录"
        in client_for(vw.w.c01_worker).get(f"/registry/residents/{vw.untagged.pk}/").content.decode()
    )


def test_the_todo_list_shows_where_people_live_and_a_masked_phone(vw: VisitWorld, client_for) -> None:
    html = client_for(vw.w.grid_worker_c01_g01).get("/visits/").content.decode()
    soon = html[html.index('data-testid="visits-soon"') :]
    soon = soon[: soon.index("</li>")]
    assert "钱老伯" in soon
    assert "3-101" in soon  # building 3, room 101
    assert "139****1111" in soon
    assert "13900001111" not in html


def test_the_read_only_viewer_gets_no_visit_buttons(vw: VisitWorld, client_for) -> None:
    services.task_create(actor=None, resident=vw.dibao, trigger="hospitalised", note="住院")
    viewer = client_for(vw.w.viewer).get("/visits/tasks/").content.decode()
    assert "孙困难" in viewer
    assert "去走访" not in viewer
    assert "确认撤销" not in viewer
    worker = client_for(vw.w.grid_worker_c01_g01).get("/visits/tasks/").content.decode()
    assert "去走访" in worker
    assert client_for(vw.w.viewer).get("/visits/?after=1").status_code == 200


def test_only_those_who_keep_ledgers_see_the_import_entry(vw: VisitWorld, client_for) -> None:
    assert "台账导入" not in client_for(vw.w.grid_worker_c01_g01).get("/visits/").content.decode()
    assert "台账导入" not in client_for(vw.w.viewer).get("/visits/").content.decode()
    assert "台账导入" in client_for(vw.w.c01_worker).get("/visits/").content.decode()
