"""Volunteers' pages over HTTP: search and masking, forms, roll call and bulk confirmation, corrections,
statistics and their export, proofs as PDF, and the public pages (registration, card, sign-in, verify)."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import openpyxl
import pytest
from django.test import Client

from linli.core.models import AuditEntry
from linli.volunteers import services
from linli.volunteers.models import Activity, Proof, RecordStatus, ServiceRecord, Volunteer, VolunteerStatus
from linli.volunteers.tests.conftest import ELEVEN, NINE, VolunteerWorld
from tests.factories import make_id_number
from tests.pdfcheck import read


def test_list_searches_by_pinyin_and_id_ending_masked(vw: VolunteerWorld, client_for):
    c = client_for(vw.w.c01_worker)
    page = c.get("/volunteers/?q=ay").content.decode()
    assert "安雅" in page
    assert "薄一鸣" not in page
    assert vw.ann.id_number not in page
    assert "138****0001" in page
    tail = vw.bo.id_number[-4:]
    page = c.get(f"/volunteers/?q={tail}").content.decode()
    assert "薄一鸣" in page
    assert AuditEntry.objects.filter(actor=vw.w.c01_worker, action="search_digits").exists()
    # a longer ending would tell, digit by digit, what the mask hides
    refused = c.get(f"/volunteers/?q={vw.bo.id_number[-8:]}")
    assert refused.status_code == 400
    assert "后 4 位" in refused.content.decode()


def test_a_grid_worker_sees_no_community_volunteers_and_other_scopes_404(vw: VolunteerWorld, client_for):
    assert "安雅" not in client_for(vw.w.grid_worker_c01_g01).get("/volunteers/").content.decode()
    assert client_for(vw.w.grid_worker_c02_g01).get(f"/volunteers/{vw.ann.pk}/").status_code == 404
    assert (
        client_for(vw.w.other_street_admin).get(f"/volunteers/activities/{vw.activity.pk}/").status_code
        == 404
    )


def test_reveal_is_audited(vw: VolunteerWorld, client_for):
    page = client_for(vw.w.c01_leader).get(f"/volunteers/{vw.ann.pk}/?reveal=1").content.decode()
    assert vw.ann.id_number in page
    assert AuditEntry.objects.filter(action="reveal", object_type="volunteers.volunteer").count() == 1
    page = client_for(vw.w.c01_worker).get(f"/volunteers/{vw.ann.pk}/?reveal=1").content.decode()
    assert vw.ann.id_number not in page  # a worker may not reveal


def test_register_through_the_form_and_refuse_a_bad_id(vw: VolunteerWorld, client_for):
    c = client_for(vw.w.c01_worker)
    data = {
        "community": vw.w.c01.pk,
        "name": "邓超",
        "id_number": "110101199001011234",
        "phone": "13800000020",
        "kind": "resident",
    }
    response = c.post("/volunteers/new/", data)
    assert response.status_code == 200
    assert "身份" in response.content.decode()
    assert not Volunteer.objects.filter(name="邓超").exists()
    data["id_number"] = make_id_number("19900101", 21)
    response = c.post("/volunteers/new/", data)
    assert response.status_code == 302
    assert Volunteer.objects.get(name="邓超").status == VolunteerStatus.ACTIVE


def test_edit_keeps_a_masked_number_untouched(vw: VolunteerWorld, client_for):
    c = client_for(vw.w.c01_worker)
    form = c.get(f"/volunteers/{vw.bo.pk}/edit/").content.decode()
    masked = re.search(r'name="id_number"[^>]*value="([^"]+)"', form)
    assert masked is not None
    assert "*" in masked.group(1)
    response = c.post(
        f"/volunteers/{vw.bo.pk}/edit/",
        {
            "name": "薄一鸣",
            "id_number": masked.group(1),
            "phone": "138****0002",
            "kind": "unit",
            "unit_name": "市电力公司",
        },
    )
    assert response.status_code == 302
    vw.bo.refresh_from_db()
    assert vw.bo.unit_name == "市电力公司"
    assert vw.bo.id_number == make_id_number("19850505", 3)


def test_publish_roll_call_confirm_and_correct(vw: VolunteerWorld, client_for, clock):
    c = client_for(vw.w.c01_worker)
    start = (NINE + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M")
    end = (ELEVEN + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M")
    response = c.post(
        "/volunteers/activities/new/",
        {
            "community": vw.w.c01.pk,
            "title": "义诊",
            "place": "服务站",
            "starts_at": start,
            "ends_at": end,
            "capacity": 3,
        },
    )
    assert response.status_code == 302
    assert Activity.objects.filter(title="义诊").exists()
    c.post(f"/volunteers/activities/{vw.activity.pk}/assign/", {"volunteer": vw.ann.pk})
    c.post(f"/volunteers/activities/{vw.activity.pk}/assign/", {"volunteer": vw.bo.pk})
    full = c.post(f"/volunteers/activities/{vw.activity.pk}/assign/", {"volunteer": vw.cai.pk}, follow=True)
    assert "名额已满" in full.content.decode()
    ann = ServiceRecord.objects.get(volunteer=vw.ann)
    bo = ServiceRecord.objects.get(volunteer=vw.bo)
    early = c.post(f"/volunteers/records/{ann.pk}/sign/", {"action": "in"}, follow=True)
    assert "不在活动时段内" in early.content.decode()
    clock.move_to(NINE)
    c.post(f"/volunteers/records/{ann.pk}/sign/", {"action": "in"})
    c.post(f"/volunteers/records/{bo.pk}/sign/", {"action": "in"})
    again = c.post(f"/volunteers/records/{ann.pk}/sign/", {"action": "in"}, follow=True)
    assert "不能重复签到" in again.content.decode()
    clock.move_to(ELEVEN - timedelta(minutes=5))
    c.post(f"/volunteers/records/{ann.pk}/sign/", {"action": "out"})
    clock.move_to(ELEVEN + timedelta(minutes=30))
    # bo forgot to sign out; the organiser corrects, never beyond the slot
    beyond = c.post(
        f"/volunteers/records/{bo.pk}/",
        {"signed_in_at": "2026-11-21T08:00", "signed_out_at": "2026-11-21T11:00", "reason": "提前到"},
    )
    assert "超出活动时段" in beyond.content.decode()
    response = c.post(
        f"/volunteers/records/{bo.pk}/",
        {"signed_in_at": "2026-11-21T09:00", "signed_out_at": "2026-11-21T10:30", "reason": "忘记签退"},
    )
    assert response.status_code == 302
    history = c.get(f"/volunteers/records/{bo.pk}/").content.decode()
    assert "忘记签退" in history
    assert "更正" in history
    response = c.post(f"/volunteers/activities/{vw.activity.pk}/confirm/", {"record": [ann.pk, bo.pk]})
    assert response.status_code == 302
    assert set(ServiceRecord.objects.filter(activity=vw.activity).values_list("status", flat=True)) == {
        "confirmed"
    }
    assert ServiceRecord.objects.get(pk=bo.pk).minutes == 90


def test_statistics_and_their_export_are_audited(vw: VolunteerWorld, client_for, clock):
    record = services.activity_assign(actor=vw.w.c01_worker, activity=vw.activity, volunteer=vw.ann)
    clock.move_to(NINE)
    services.record_sign_in(actor=None, record=record, token=vw.activity.checkin_token)
    clock.move_to(ELEVEN)
    services.record_sign_out(actor=None, record=record, token=vw.activity.checkin_token)
    services.records_confirm(actor=vw.w.c01_worker, activity=vw.activity)
    c = client_for(vw.w.c01_leader)
    page = c.get("/volunteers/stats/?year=2026").content.decode()
    assert "锦绣助老队" in page
    assert "锦绣社区 · 第一网格" in page
    response = c.get("/volunteers/stats/?year=2026&format=xlsx")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    rows = list(book["志愿者概况"].iter_rows(values_only=True))
    c01 = next(r for r in rows if r[0] == "锦绣社区")
    assert c01[2] == 3
    assert c01[5] == 1
    team_rows = list(book["按队伍服务时长"].iter_rows(values_only=True))
    assert any(r[0] == "锦绣助老队" and r[11] == 2 for r in team_rows)  # November: 2 hours
    assert AuditEntry.objects.filter(action="export", object_type="volunteers.statistics").count() == 1
    assert client_for(vw.w.viewer).get("/volunteers/stats/?format=xlsx").status_code == 403


def test_proof_pdf_and_public_verification_show_no_personal_data(vw: VolunteerWorld, client_for, clock):
    record = services.activity_assign(actor=vw.w.c01_worker, activity=vw.activity, volunteer=vw.cai)
    clock.move_to(NINE)
    services.record_sign_in(actor=None, record=record, token=vw.activity.checkin_token)
    clock.move_to(ELEVEN)
    services.records_confirm(actor=vw.w.c01_worker, activity=vw.activity)
    c = client_for(vw.w.c01_worker)
    response = c.post(
        f"/volunteers/{vw.cai.pk}/proof/", {"period_start": "2026-01-01", "period_end": "2026-11-21"}
    )
    proof = Proof.objects.get()
    assert response["Location"] == f"/volunteers/proofs/{proof.pk}/"
    pdf = c.get(response["Location"])
    assert pdf["Content-Type"] == "application/pdf"
    text = read(pdf.content).text
    assert proof.number in text
    assert "锦绣社区" in text
    assert "2.0" in text
    assert "盖章" in text
    assert vw.cai.id_number not in text
    public = Client().get(f"/v/proof/{proof.verify_token}/").content.decode()
    assert proof.number in public
    assert "蔡*姬" in public
    assert "2.0" in public
    assert "蔡文姬" not in public
    assert vw.cai.phone not in public
    assert vw.cai.id_number[-4:] not in public
    assert Client().get("/v/proof/not-a-token/").status_code == 404


def test_self_registration_by_the_community_link(vw: VolunteerWorld, clock):
    token = services.join_token(vw.w.c01)
    c = Client()
    page = c.get(f"/v/join/{token}/")
    assert "锦绣社区" in page.content.decode()
    data = {
        "name": "邓超",
        "id_number": make_id_number("19900101", 31),
        "phone": "13800000031",
        "kind": "resident",
    }
    refused = c.post(f"/v/join/{token}/", data)  # the consent box is required
    assert not Volunteer.objects.filter(name="邓超").exists()
    assert refused.status_code == 200
    response = c.post(f"/v/join/{token}/", {**data, "agree": "on"})
    assert "报名已提交" in response.content.decode()
    assert Volunteer.objects.get(name="邓超").status == VolunteerStatus.APPLIED
    assert Client().get("/v/join/forged/").status_code == 404


def test_card_sign_up_and_place_code_sign_in_and_out(vw: VolunteerWorld, clock):
    phone = Client()
    card = services.card_token(vw.ann)
    page = phone.get(f"/v/card/{card}/").content.decode()
    assert "陪独居老人买菜" in page
    phone.post(f"/v/card/{card}/", {"action": "signup", "activity": vw.activity.pk})
    record = ServiceRecord.objects.get(volunteer=vw.ann)
    checkin = f"/v/checkin/{vw.activity.checkin_token}/"
    early = phone.post(checkin, {"action": "in"}, follow=True).content.decode()
    assert "不在活动时段内" in early
    clock.move_to(NINE + timedelta(minutes=2))
    phone.post(checkin, {"action": "in"})
    clock.move_to(ELEVEN - timedelta(minutes=1))
    done = phone.post(checkin, {"action": "out"}, follow=True).content.decode()
    assert "签退成功" in done
    record.refresh_from_db()
    assert record.status == RecordStatus.SIGNED_OUT
    assert record.minutes == 117


def test_sign_in_without_the_card_by_phone_and_id_tail(vw: VolunteerWorld, clock):
    services.activity_sign_up(volunteer=vw.bo, activity=vw.activity)
    clock.move_to(NINE)
    c = Client()
    checkin = f"/v/checkin/{vw.activity.checkin_token}/"
    wrong = c.post(checkin, {"phone": "13800000002", "id_tail": "0000"})
    assert wrong.status_code == 400
    assert "没有找到" in wrong.content.decode()
    c.post(checkin, {"phone": "13800000002", "id_tail": vw.bo.id_number[-4:]})
    c.post(checkin, {"action": "in"})
    assert ServiceRecord.objects.get(volunteer=vw.bo).status == RecordStatus.SIGNED_IN
    # someone not booked learns nothing
    other = Client().post(checkin, {"phone": "13800000003", "id_tail": vw.cai.id_number[-4:]})
    assert "没有找到" in other.content.decode()


def test_team_pages_tree_members_and_ranking(vw: VolunteerWorld, client_for):
    c = client_for(vw.w.c01_worker)
    response = c.post(
        "/volunteers/teams/", {"community": vw.w.c01.pk, "name": "锦绣志愿者协会", "level": "association"}
    )
    assert response.status_code == 302
    c.post(f"/volunteers/teams/{vw.team.pk}/", {"volunteer": vw.ann.pk, "is_leader": "on"})
    page = c.get(f"/volunteers/teams/{vw.team.pk}/").content.decode()
    assert "安雅" in page
    assert "队长" in page
    tree = c.get("/volunteers/teams/").content.decode()
    assert "锦绣志愿者协会" in tree
    assert "锦绣助老队" in tree


@pytest.mark.parametrize("path", ["/volunteers/activities/", "/volunteers/join/", "/volunteers/new/"])
def test_pages_render(vw: VolunteerWorld, client_for, path):
    assert client_for(vw.w.c01_worker).get(path).status_code == 200


def test_calendar_lists_the_months_activities(vw: VolunteerWorld, client_for):
    page = client_for(vw.w.c01_worker).get("/volunteers/activities/?month=2026-11").content.decode()
    assert "陪独居老人买菜" in page
    assert (
        "陪独居老人买菜"
        not in client_for(vw.w.c01_worker).get("/volunteers/activities/?month=2026-10").content.decode()
    )
