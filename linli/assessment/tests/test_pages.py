"""The pages: round setup, opening, sample, progress, results, exports, the rating page, a worker's own page."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from linli.assessment import services
from linli.assessment.models import EntryState, Rating, SampleEntry
from linli.core.models import AuditEntry
from tests import pdfcheck


def _token(outbox) -> str:
    return outbox[-1].text.rsplit("/rate/", 1)[1].strip("/")


def test_round_setup_open_and_progress_pages(aw, client_for):
    admin = client_for(aw.w.street_admin)
    response = admin.post(
        "/assessment/new/",
        {
            "area": aw.w.c01.pk,
            "kind": "quarter",
            "title": "第四季度",
            "period_start": "2026-10-01",
            "period_end": "2026-12-31",
            "min_sample": "8",
            "workers": [aw.worker.pk, aw.other.pk],
            "auditor": aw.w.street_admin.pk,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    pk = int(response["Location"].rstrip("/").rsplit("/", 1)[1])
    response = admin.post(f"/assessment/{pk}/open/", {"seed": "dice-3-5-1"})
    page = admin.get(f"/assessment/{pk}/").content.decode()
    assert "dice-3-5-1" in page
    assert "评议中" in page
    assert "评议进度" in page
    sample = admin.get(f"/assessment/{pk}/sample/").content.decode()
    assert sample.count("待邀请") >= 8
    # Bad input: period reversed → form error, nothing written.
    bad = admin.post(
        "/assessment/new/",
        {
            "area": aw.w.c01.pk,
            "kind": "quarter",
            "title": "x",
            "period_start": "2026-12-31",
            "period_end": "2026-10-01",
            "min_sample": "0",
        },
    )
    assert bad.status_code == 400
    assert "不能早于" in bad.content.decode()


def test_worker_in_an_open_round_cannot_see_the_sample(aw, client_for):
    round_ = services.round_open(
        actor=aw.w.street_admin, round=aw.new_round(workers=[aw.worker, aw.w.c01_leader])
    )
    leader = client_for(aw.w.c01_leader)  # holds `assess`, but is under assessment in this round
    assert leader.get(f"/assessment/{round_.pk}/sample/").status_code == 403
    # No link into the refusal: the round's page says when the sample can be seen.
    detail = leader.get(f"/assessment/{round_.pk}/").content.decode()
    assert f"/assessment/{round_.pk}/sample/" not in detail
    assert "抽样名单（考核结束后可看）" in detail
    assert client_for(aw.worker).get(f"/assessment/{round_.pk}/sample/").status_code == 403  # no `assess`
    assert client_for(aw.worker).get("/assessment/mine/").status_code == 200


def test_resident_rates_through_the_link_once(aw, client_for, sms_outbox, django_capture_on_commit_callbacks):
    services.profile_update(
        actor=None,
        user=aw.worker,
        resident_id=aw.own.pk,
        base_annual_pay=None,
        photo=b"\x89PNG\r\n\x1a\n" + b"\x00" * 64,
    )
    round_ = services.round_open(
        actor=aw.w.street_admin, round=aw.new_round(min_sample=1, workers=[aw.worker])
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.invitations_send(actor=aw.w.street_admin, round=round_)
    token = _token(sms_outbox)
    from django.test import Client

    client = Client()
    page = client.get(f"/rate/{token}/").content.decode()
    entry = SampleEntry.objects.get(round=round_, state=EntryState.SENT)
    assert aw.worker.full_name in page
    assert entry.service_text in page
    assert "/photo/" in page
    assert client.get(f"/rate/{token}/photo/").status_code == 200
    assert client.post(f"/rate/{token}/", {"grade": ""}).status_code == 400
    # 优 without a reason: told it would be invalid, nothing stored; the rater may add one or confirm.
    asked = client.post(f"/rate/{token}/", {"grade": "excellent", "reason": ""})
    assert asked.status_code == 400
    assert "否则本次评议无效" in asked.content.decode()
    assert 'name="confirmed" value="1"' in asked.content.decode()
    assert Rating.objects.count() == 0
    done = client.post(f"/rate/{token}/", {"grade": "good", "reason": ""})
    assert done.status_code == 200
    assert "感谢您的评议" in done.content.decode()
    again = client.post(f"/rate/{token}/", {"grade": "poor", "reason": "x"})
    assert again.status_code == 409
    assert Rating.objects.count() == 1
    assert AuditEntry.objects.filter(changes__refused="token_used").exists()
    assert client.get("/rate/not-a-token/").status_code == 404


def test_excellent_without_a_reason_confirmed_is_stored_invalid(
    aw, sms_outbox, django_capture_on_commit_callbacks
):
    round_ = services.round_open(
        actor=aw.w.street_admin, round=aw.new_round(min_sample=1, workers=[aw.worker])
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.invitations_send(actor=aw.w.street_admin, round=round_)
    from django.test import Client

    done = Client().post(
        f"/rate/{_token(sms_outbox)}/", {"grade": "excellent", "reason": "", "confirmed": "1"}
    )
    assert done.status_code == 200
    assert Rating.objects.get().validity == "no_reason"


def test_results_page_and_exports(aw, client_for):
    round_ = services.round_open(actor=aw.w.street_admin, round=aw.new_round(min_sample=4))
    for entry, grade in zip(
        SampleEntry.objects.filter(round=round_, worker=aw.worker, state=EntryState.INVITED),
        ["excellent", "good", "fair", "poor"],
        strict=True,
    ):
        services.rating_record_by_phone(
            actor=aw.w.c01_leader, entry=entry, grade=grade, reason="" if grade == "poor" else "好"
        )
    services.round_close(actor=aw.w.street_admin, round=round_)
    admin = client_for(aw.w.street_admin)
    page = admin.get(f"/assessment/{round_.pk}/results/").content.decode()
    assert "<progress" in page
    assert "95% 置信区间" in page
    assert "收入差距" in page
    ratings = admin.get(f"/assessment/{round_.pk}/ratings/").content.decode()
    assert "无效评议（1）" in ratings
    xlsx = admin.get(f"/assessment/{round_.pk}/results/?format=xlsx")
    book = load_workbook(io.BytesIO(b"".join(xlsx.streaming_content)))
    assert (
        book["考核结果"]["A3"].value == aw.worker.full_name
        or book["考核结果"]["A4"].value == aw.worker.full_name
    )
    pdf = admin.get(f"/assessment/{round_.pk}/results/?format=pdf")
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    # Rendered as a reader sees it: the worker's name, the seed and the spread line, glyphs drawn.
    pages = pdfcheck.read(b"".join(pdf.streaming_content) if pdf.streaming else pdf.content)
    assert pdfcheck.glyphs_drawn(pages)
    assert aw.worker.full_name in pages.text
    assert round_.seed in pages.text
    assert "收入差距" in pages.text
    assert pages.sizes_mm[0][0] > pages.sizes_mm[0][1]  # landscape
    assert AuditEntry.objects.filter(action="export", object_id=str(round_.pk)).count() == 2
    mine = client_for(aw.worker).get("/assessment/mine/").content.decode()
    assert round_.title in mine
    assert "1 / 1 / 1 / 0" in mine
    assert "4/4（100%）" in mine  # response rate
    assert "3 / 1" in mine  # valid / invalid (差 without a reason)


def test_other_pages_render(aw, client_for):
    admin = client_for(aw.w.street_admin)
    for url in [
        "/assessment/",
        "/assessment/duties/",
        "/assessment/tasks/",
        "/assessment/settings/",
        "/assessment/staff/",
        "/assessment/agreements/",
        "/assessment/departments/",
        f"/assessment/staff/{aw.worker.pk}/",
    ]:
        assert admin.get(url).status_code == 200, url
    response = admin.post(
        "/assessment/duties/",
        {
            "area": aw.w.s01.pk,
            "kind": "routine",
            "role": "grid_worker",
            "title": "网格巡查",
            "standard": "每日巡查一次，问题 24 小时内上报",
        },
    )
    assert response.status_code == 302
    assert "网格巡查" in admin.get("/assessment/duties/").content.decode()
    # The workers to choose are named with their role and place (grids repeat their names across communities).
    new = admin.get("/assessment/new/").content.decode()
    assert f"{aw.other.full_name}（网格员 · {aw.w.c01.name}{aw.w.c01_g01.name}）" in new
    # Out of scope: another street's admin gets 404 for this street's round.
    round_ = aw.new_round()
    assert client_for(aw.w.other_street_admin).get(f"/assessment/{round_.pk}/").status_code == 404


def test_community_reviews_a_dispatched_case_from_the_rounds_department_page(aw, client_for):
    from linli.cases import services as cases
    from linli.cases.tests.conftest import new_case

    case = cases.case_register(
        actor=aw.w.c01_worker, case=new_case(aw.cw, category=aw.cw.dept_category, attributes={})
    )
    case = cases.case_dispatch(actor=aw.w.c01_worker, case=case, department=aw.cw.department)
    round_ = services.round_open(actor=aw.w.street_admin, round=aw.new_round())
    leader = client_for(aw.w.c01_leader)
    page = leader.get(f"/assessment/{round_.pk}/departments/").content.decode()
    assert case.number in page
    response = leader.post(
        f"/assessment/cases/{case.pk}/review/?round={round_.pk}", {"on_time": "0", "wrongly_returned": "on"}
    )
    assert response["Location"] == f"/assessment/{round_.pk}/departments/"
    assert case.number not in leader.get(f"/assessment/{round_.pk}/departments/").content.decode()
    # The department reads its results: the case reviewed late and wrongly returned, and once the round
    # closes, the community's rating against the list of duties by law with its reason.
    services.department_review_save(
        actor=aw.w.street_admin,
        round=round_,
        department=aw.cw.department,
        basis="by_law",
        grade="poor",
        reason="占道经营派单三次退回社区",
    )
    dept = client_for(aw.w.department)
    before = dept.get("/assessment/departments/").content.decode()
    assert "占道经营派单三次退回社区" not in before  # not while the round runs
    services.round_close(actor=aw.w.street_admin, round=round_)
    page = dept.get("/assessment/departments/").content.decode()
    assert (
        '<td data-label="评价工单">1</td><td data-label="按时办结">0</td><td data-label="无理退单">1</td>'
        in page
    )
    assert "占道经营派单三次退回社区" in page
    assert "依法履职事项清单" in page


def test_printed_invitations_carry_a_one_time_qr_code(aw, client_for):
    round_ = services.round_open(
        actor=aw.w.street_admin, round=aw.new_round(min_sample=2, workers=[aw.worker])
    )
    admin = client_for(aw.w.street_admin)
    response = admin.post(f"/assessment/{round_.pk}/slips/")
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert SampleEntry.objects.filter(round=round_, state=EntryState.SENT).count() == 2
    assert AuditEntry.objects.filter(action="export", changes__invitation_slips=2).exists()
    # Printed once: nothing left to print.
    again = admin.post(f"/assessment/{round_.pk}/slips/")
    assert again.status_code == 302


def test_the_published_duties_are_read_by_the_workers_assessed_by_them(aw, client_for):
    # Item 1: the street publishes a grid worker's daily duty with its standard; the grid worker and the
    # community leader below it read it; only `assess` publishes or edits.
    services.duty_create(
        actor=aw.w.street_admin,
        area=aw.w.s01,
        kind="routine",
        role="grid_worker",
        title="网格巡查",
        standard="每个工作日巡查一遍网格，问题 24 小时内上报",
    )
    grid_worker = client_for(aw.other)
    page = grid_worker.get("/assessment/duties/").content.decode()
    assert "网格巡查" in page
    assert "每个工作日巡查一遍网格" in page
    assert "发布职责" not in page
    refused = grid_worker.post(
        "/assessment/duties/",
        {"area": aw.w.c01.pk, "kind": "routine", "role": "grid_worker", "title": "x", "standard": "y"},
    )
    assert refused.status_code == 403
    leader = client_for(aw.w.c01_leader).get("/assessment/duties/").content.decode()
    assert "每个工作日巡查一遍网格" in leader
    # Another street's list is not theirs.
    assert "网格巡查" not in client_for(aw.w.other_street_admin).get("/assessment/duties/").content.decode()
