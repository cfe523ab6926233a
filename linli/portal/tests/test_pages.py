"""What a signed-in resident sees and does, and what they never see."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from linli.cases import services as cases
from linli.cases.models import Case, CaseEvent, CasePhoto, Status
from linli.cases.tests.conftest import run_to_handled
from linli.core.models import AuditEntry
from linli.portal.models import CorrectionRequest, LinkStatus, PortalFiling, ProxyLink
from linli.portal.tests.conftest import PNG, png
from linli.registry.models import Household, Resident
from linli.visits import services as visits

pytestmark = pytest.mark.django_db


def _file(client: Client, category, **extra):
    data = {
        "category": category.pk,
        "title": "楼道灯坏了",
        "description": "二单元三楼楼道灯不亮一周了",
        "where": "home",
        **extra,
    }
    return client.post("/portal/cases/new/", data)


# --- household, grid worker ------------------------------------------------------------------


def test_the_household_is_shown_as_registered_with_numbers_masked(pw, portal_client):
    page = portal_client(pw.fang).get("/portal/household/").content.decode()
    assert "王芳" in page
    assert "张小明" in page
    assert pw.son.id_number not in page
    assert pw.son.id_number[-4:] in page
    assert "138****0004" in page
    assert "李秀英" not in page  # another household, even a relative's
    assert "赵强" not in page


def test_a_correction_reaches_the_grid_worker_as_a_to_do_not_an_edit(pw, portal_client, client_for):
    client = portal_client(pw.fang)
    r = client.post("/portal/household/", {"text": "儿子的电话换成 13900000000 了"})
    assert r.status_code == 302
    correction = CorrectionRequest.objects.get()
    assert correction.grid == pw.w.c01_g01
    assert correction.status == "open"
    assert Resident.objects.get(pk=pw.son.pk).phone == "13800000004"  # nothing edited
    worker = client_for(pw.w.grid_worker_c01_g01)
    assert "儿子的电话" in worker.get("/portal-admin/").content.decode()
    assert "儿子的电话" not in client_for(pw.w.grid_worker_c01_g02).get("/portal-admin/").content.decode()
    assert "1" in worker.get("/").content.decode()  # the home card counts it
    r = worker.post(f"/portal-admin/corrections/{correction.pk}/resolve/", {"done": "0", "reply": ""})
    correction.refresh_from_db()
    assert correction.status == "open"  # declining needs a reason
    worker.post(f"/portal-admin/corrections/{correction.pk}/resolve/", {"done": "1", "reply": "已更新"})
    correction.refresh_from_db()
    assert correction.status == "done"
    assert correction.handled_by == pw.w.grid_worker_c01_g01
    assert "已更新" in client.get("/portal/household/").content.decode()
    assert (
        client_for(pw.w.grid_worker_c01_g02)
        .post(f"/portal-admin/corrections/{correction.pk}/resolve/", {"done": "1"})
        .status_code
        == 404
    )


def test_an_empty_correction_is_refused_in_chinese(pw, portal_client):
    r = portal_client(pw.fang).post("/portal/household/", {"text": "   "})
    assert r.status_code == 400
    assert "必填" in r.content.decode() or "请填写" in r.content.decode()
    assert not CorrectionRequest.objects.exists()


def test_my_grid_worker_with_work_phone_and_last_visit(pw, portal_client, clock):
    w = pw.w
    w.grid_worker_c01_g01.phone = "13512345678"
    w.grid_worker_c01_g01.save()
    page = portal_client(pw.fang).get("/portal/grid-worker/").content.decode()
    assert w.grid_worker_c01_g01.full_name in page
    assert "13512345678" in page
    assert "暂无走访记录" in page
    visits.visit_create(
        actor=w.grid_worker_c01_g01, mode="in_person", observations="家中整洁", household=pw.fang.household
    )
    page = portal_client(pw.fang).get("/portal/").content.decode()
    assert "上次走访您家：2026-11-16" in page
    assert "家中整洁" not in page  # the worker's notes stay with staff


# --- cases ----------------------------------------------------------------------------------


def test_filing_at_home_with_a_photo(pw, portal_client):
    client = portal_client(pw.fang)
    r = _file(client, pw.cw.dept_category, photos=[png("a.png"), png("b.png")])
    case = Case.objects.get(title="楼道灯坏了")
    assert r["Location"] == f"/portal/cases/{case.number}/"
    assert case.house == pw.cw.house
    assert case.area == pw.w.c01_g01
    assert case.reporter_phone == "13800000001"
    assert case.channel == "online"
    assert PortalFiling.objects.get(case=case).principal == pw.fang
    photos = CasePhoto.objects.filter(case=case)
    assert photos.count() == 2
    page = client.get(r["Location"]).content.decode()
    assert "楼道灯坏了" in page
    first = photos.first()
    assert client.get(f"/portal/cases/{case.number}/photos/{first.pk}/").status_code == 200
    receive = CaseEvent.objects.get(case=case, action="receive")
    assert receive.actor_label == "居民 王芳"


def test_a_photo_is_checked_by_its_content(pw, portal_client):
    fake = SimpleUploadedFile("x.png", b"<html>not a picture</html>", content_type="image/png")
    r = _file(portal_client(pw.fang), pw.cw.dept_category, photos=[fake])
    assert r.status_code == 400
    assert not Case.objects.filter(title="楼道灯坏了").exists()


def test_filing_elsewhere_needs_a_community_and_a_place(pw, portal_client):
    client = portal_client(pw.fang)
    r = _file(client, pw.cw.dept_category, where="address")
    assert r.status_code == 400
    r = _file(client, pw.cw.dept_category, where="address", community=pw.w.c01.pk, address="锦绣公园东门")
    assert r.status_code == 302
    assert Case.objects.get(title="楼道灯坏了").address == "锦绣公园东门"


def test_a_category_with_questions_asks_them(pw, portal_client):
    client = portal_client(pw.fang)
    r = _file(client, pw.cw.category)
    assert r.status_code == 400
    assert "发生时段" in r.content.decode()
    r = _file(client, pw.cw.category, **{"attribute[period]": "night"})
    assert r.status_code == 302
    assert Case.objects.get(title="楼道灯坏了").attributes == {"period": "night"}


def test_duplicates_are_hinted_by_count_only(pw, portal_client):
    client = portal_client(pw.fang)
    cases.case_create(
        actor=None,
        category=pw.cw.dept_category,
        channel="phone",
        title="邻居说的同一件事",
        description="8 号楼门口占道",
        building=pw.cw.building,
        reporter_phone="13700000000",
    )
    _file(client, pw.cw.dept_category)
    case = Case.objects.get(title="楼道灯坏了")
    page = client.get(f"/portal/cases/{case.number}/").content.decode()
    assert "附近 7 天内已有 1 件同类问题" in page
    assert "邻居说的同一件事" not in page


def test_rating_a_closed_case_and_saying_it_is_not_solved(pw, portal_client, clock):
    client = portal_client(pw.fang)
    _file(client, pw.cw.dept_category)
    case = Case.objects.get(title="楼道灯坏了")
    case = run_to_handled(pw.cw, case)
    url = f"/portal/cases/{case.number}/"
    assert 'data-testid="verdict"' in client.get(url).content.decode()
    client.post(url + "verdict/", {"solved": "1"})
    case.refresh_from_db()
    assert case.status == Status.CLOSED
    page = client.get(url).content.decode()
    assert 'data-testid="rate"' in page
    client.post(url + "rate/", {"satisfaction": "bogus"})
    case.refresh_from_db()
    assert case.satisfaction == ""
    client.post(url + "rate/", {"satisfaction": "satisfied", "note": "很快"})
    case.refresh_from_db()
    assert case.satisfaction == "satisfied"
    assert case.followed_up_at is not None
    assert 'data-testid="rate"' not in client.get(url).content.decode()
    r = client.post(url + "rate/", {"satisfaction": "dissatisfied"}, follow=True)
    assert "已评价" in r.content.decode()
    client.post(url + "verdict/", {"solved": "0", "note": "灯又坏了"})
    case.refresh_from_db()
    assert case.status == Status.HANDLING
    assert case.rework_count == 1
    clock.shift(timedelta(days=1))


# --- privacy: every id -------------------------------------------------------------------------


def test_no_portal_url_returns_another_households_data(pw, portal_client):
    """王芳 tries every case number, photo, relative link, resident and household id in every portal URL
    that takes one: only her own case answers."""
    client = portal_client(pw.fang)
    _file(client, pw.cw.dept_category, photos=[png()])
    mine = Case.objects.get(title="楼道灯坏了")
    ProxyLink.objects.create(agent=pw.neighbour, principal=pw.mother, grid=pw.mother.grid, relation="邻居")
    own_photos = set(CasePhoto.objects.filter(case=mine).values_list("pk", flat=True))
    all_ids = (
        set(Case.objects.values_list("pk", flat=True))
        | set(CasePhoto.objects.values_list("pk", flat=True))
        | set(Resident.objects.values_list("pk", flat=True))
        | set(Household.objects.values_list("pk", flat=True))
        | set(ProxyLink.objects.values_list("pk", flat=True))
    )
    for case in Case.objects.all():
        expected = 200 if case.pk == mine.pk else 404
        assert client.get(f"/portal/cases/{case.number}/").status_code == expected
        assert client.get(f"/portal/cases/{case.pk}/").status_code == 404
        for photo_id in all_ids | set(CasePhoto.objects.values_list("pk", flat=True)):
            status = client.get(f"/portal/cases/{case.number}/photos/{photo_id}/").status_code
            assert status == (200 if case.pk == mine.pk and photo_id in own_photos else 404)
        if case.pk != mine.pk:
            for action in ("verdict", "rate", "photos"):
                assert (
                    client.post(f"/portal/cases/{case.number}/{action}/", {"solved": "1"}).status_code == 404
                )
    for some_id in all_ids:
        assert client.post(f"/portal/relatives/{some_id}/end/").status_code == 404
        assert client.post("/portal/act-for/", {"link": some_id}).status_code == 404
    # The pages that take no id show nothing of the neighbour's.
    for url in (
        "/portal/",
        "/portal/household/",
        "/portal/cases/",
        "/portal/grid-worker/",
        "/portal/relatives/",
    ):
        page = client.get(url).content.decode()
        for secret in ("赵强", "楼道堆物", pw.neighbour.id_number, pw.neighbour.phone, "李秀英"):
            assert secret not in page, (url, secret)


# --- acting for a relative (代办) --------------------------------------------------------------


def test_acting_for_an_elderly_relative(
    pw, portal_client, client_for, sms_outbox, django_capture_on_commit_callbacks
):
    client = portal_client(pw.fang)
    mother = pw.mother
    r = client.post(
        "/portal/relatives/", {"name": "李秀英", "id_number": mother.id_number, "relation": "母亲"}
    )
    assert r.status_code == 302
    link = ProxyLink.objects.get()
    assert link.status == LinkStatus.REQUESTED
    assert client.post("/portal/act-for/", {"link": link.pk}).status_code == 404  # not yet approved
    # Approved by a community worker of the mother's community; a grid worker cannot.
    assert client_for(pw.w.grid_worker_c01_g01).post(
        f"/portal-admin/links/{link.pk}/decide/", {"approve": "1"}
    ).status_code in (302, 403)
    link.refresh_from_db()
    assert link.status == LinkStatus.REQUESTED
    with django_capture_on_commit_callbacks(execute=True):
        client_for(pw.w.c01_worker).post(f"/portal-admin/links/{link.pk}/decide/", {"approve": "1"})
    link.refresh_from_db()
    assert link.status == LinkStatus.APPROVED
    assert sms_outbox[-1].phone == mother.phone
    assert "王芳" in sms_outbox[-1].text

    client.post("/portal/act-for/", {"link": link.pk})
    home = client.get("/portal/").content.decode()
    assert "正在代 李秀英 办理" in home
    assert "李秀英，您好" in home
    household = client.get("/portal/household/").content.decode()
    assert "8-502" in household or "502" in household
    assert "张小明" not in household
    sms_outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        _file(client, pw.cw.dept_category, title="家里水管漏水")
    case = Case.objects.get(title="家里水管漏水")
    filing = PortalFiling.objects.get(case=case)
    assert (filing.principal, filing.agent) == (mother, pw.fang)
    assert case.reporter_name == "李秀英"
    assert CaseEvent.objects.get(case=case, action="receive").actor_label == "居民 王芳（代 李秀英）"
    entry = AuditEntry.objects.filter(
        object_type="cases.case", object_id=str(case.pk), changes__agent=pw.fang.pk
    ).get()
    assert entry.changes["principal"] == mother.pk
    assert [m.phone for m in sms_outbox] == [mother.phone]
    assert case.number in sms_outbox[0].text
    switch = AuditEntry.objects.filter(changes__act_for=True).get()
    assert switch.object_id == str(mother.pk)

    # Back to herself: her own cases again; the mother's case is not hers.
    client.post("/portal/act-for/", {})
    assert client.get(f"/portal/cases/{case.number}/").status_code == 404
    # The mother ends the link herself; the daughter can no longer act for her.
    mother_client = portal_client(mother)
    assert "王芳" in mother_client.get("/portal/relatives/").content.decode()
    mother_client.post(f"/portal/relatives/{link.pk}/end/")
    link.refresh_from_db()
    assert link.status == LinkStatus.ENDED
    assert client.post("/portal/act-for/", {"link": link.pk}).status_code == 404


def test_only_the_elderly_or_disabled_may_be_represented(pw, portal_client):
    client = portal_client(pw.mother)
    r = client.post(
        "/portal/relatives/", {"name": "王芳", "id_number": pw.fang.id_number, "relation": "女儿"}
    )
    assert r.status_code == 400
    assert "60 岁以上" in r.content.decode()
    r = client.post("/portal/relatives/", {"name": "王芳", "id_number": pw.son.id_number, "relation": "女儿"})
    assert r.status_code == 400
    assert not ProxyLink.objects.exists()


def test_refusing_a_link_needs_a_reason(pw, portal_client, client_for):
    client = portal_client(pw.fang)
    client.post(
        "/portal/relatives/", {"name": "李秀英", "id_number": pw.mother.id_number, "relation": "母亲"}
    )
    link = ProxyLink.objects.get()
    worker = client_for(pw.w.c01_worker)
    worker.post(f"/portal-admin/links/{link.pk}/decide/", {"approve": "0"})
    link.refresh_from_db()
    assert link.status == LinkStatus.REQUESTED
    worker.post(f"/portal-admin/links/{link.pk}/decide/", {"approve": "0", "note": "本人不同意"})
    link.refresh_from_db()
    assert link.status == LinkStatus.REFUSED
    assert "本人不同意" in client.get("/portal/relatives/").content.decode()


# --- shell -----------------------------------------------------------------------------------


def test_manifest_and_service_worker_are_scoped_to_the_portal(db):
    client = Client()
    manifest = client.get("/portal/manifest.webmanifest")
    assert manifest["Content-Type"] == "application/manifest+json"
    data = manifest.json()
    assert data["scope"] == "/portal/"
    assert data["start_url"] == "/portal/"
    assert {"192x192", "512x512"} <= {i["sizes"] for i in data["icons"]}
    sw = client.get("/portal/sw.js")
    assert sw["Content-Type"].startswith("text/javascript")
    assert "/portal/offline/" in sw.content.decode()
    assert client.get("/portal/offline/").status_code == 200


def test_large_text_is_kept(db):
    client = Client()
    r = client.post("/portal/text-size/", {"large": "1", "next": "/portal/signin/"})
    assert r["Location"] == "/portal/signin/"
    assert 'class="text-large"' in client.get("/portal/signin/").content.decode()
    client.post("/portal/text-size/", {"large": "0", "next": "https://evil.example/"})
    assert 'class="text-large"' not in client.get("/portal/signin/").content.decode()


def test_portal_photos_of_a_case_are_its_own(pw, portal_client):
    client = portal_client(pw.fang)
    _file(client, pw.cw.dept_category)
    case = Case.objects.get(title="楼道灯坏了")
    r = client.post(
        f"/portal/cases/{case.number}/photos/",
        {"photo": SimpleUploadedFile("c.png", PNG, content_type="image/png")},
    )
    assert r.status_code == 302
    assert CasePhoto.objects.filter(case=case).count() == 1


def test_staff_may_end_a_link_and_a_second_request_for_the_same_relative_is_refused(
    pw, portal_client, client_for
):
    client = portal_client(pw.fang)
    data = {"name": "李秀英", "id_number": pw.mother.id_number, "relation": "母亲"}
    client.post("/portal/relatives/", data)
    r = client.post("/portal/relatives/", data)
    assert r.status_code == 400
    assert "已申请" in r.content.decode()
    link = ProxyLink.objects.get()
    worker = client_for(pw.w.c01_worker)
    worker.post(f"/portal-admin/links/{link.pk}/decide/", {"approve": "1"})
    client.post("/portal/act-for/", {"link": link.pk})
    assert "正在代 李秀英 办理" in client.get("/portal/").content.decode()
    assert client_for(pw.w.grid_worker_c02_g01).post(f"/portal-admin/links/{link.pk}/end/").status_code in (
        403,
        404,
    )
    worker.post(f"/portal-admin/links/{link.pk}/end/", {"note": "本人要求"})
    link.refresh_from_db()
    assert link.status == LinkStatus.ENDED
    home = client.get("/portal/").content.decode()
    assert "正在代" not in home
    assert "王芳，您好" in home
    # Ended, it may be asked for again.
    assert client.post("/portal/relatives/", data).status_code == 302


def test_a_session_ends_when_the_resident_leaves_the_registry(pw, portal_client):
    from linli.registry.services import resident_move_out

    client = portal_client(pw.son)
    assert client.get("/portal/").status_code == 200
    resident_move_out(actor=None, resident=pw.son, effective_date=pw.son.created_at.date())
    r = client.get("/portal/")
    assert r.status_code == 302
    assert r["Location"].startswith("/portal/signin/")


def test_my_cases_include_those_reported_with_my_phone_anywhere(pw, portal_client):
    def hall(title: str, phone: str, **place) -> Case:
        return cases.case_create(
            actor=pw.w.c01_worker,
            category=pw.cw.dept_category,
            channel="walk_in",
            title=title,
            description="大厅登记",
            reporter_phone=phone,
            **place,
        )

    mine = hall("大厅登记的我的诉求", pw.fang.phone, house=pw.cw.house)
    lamp = hall("二网格路灯不亮", pw.fang.phone, area=pw.w.c01_g02)
    neighbours = hall("同楼邻居的诉求", "13700000001", house=pw.cw.house)
    client = portal_client(pw.fang)
    page = client.get("/portal/cases/").content.decode()
    assert mine.title in page
    assert lamp.title in page
    assert neighbours.title not in page
    assert client.get(f"/portal/cases/{lamp.number}/").status_code == 200
    assert client.get(f"/portal/cases/{neighbours.number}/").status_code == 404
