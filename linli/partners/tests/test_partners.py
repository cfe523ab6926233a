"""Partner units: the registry, agreements with dated commitments and their fulfilment, needs, activities,
members reporting, the yearly report (page and Excel), the bulk load from Excel and the API."""

from __future__ import annotations

import io
import json
from datetime import date

import pytest
import time_machine
from django.test import Client
from openpyxl import Workbook, load_workbook

from linli.core.cli import main
from linli.core.errors import DomainError, Forbidden
from linli.core.models import AuditEntry
from linli.partners import services
from linli.partners.importing import import_partners, write_report
from linli.partners.models import Agreement, Commitment, Need, PartnerUnit
from linli.partners.selectors import year_report

TODAY = date(2026, 11, 20)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel("2026-11-20 10:00 +0800", tick=False):
        yield


def _unit(world, name: str = "第一实验小学", **extra) -> PartnerUnit:
    return services.unit_create(
        actor=world.c01_worker,
        area=world.c01,
        data={
            "name": name,
            "kind": "school",
            "staff_count": 120,
            "party_members": 30,
            "contact_phone": "13912345678",
            **extra,
        },
    )


def _agreement(world, unit: PartnerUnit) -> Agreement:
    return services.agreement_create(
        actor=world.c01_worker,
        unit=unit,
        title="2026年度共建协议",
        signed_on=date(2026, 1, 5),
        starts_on=date(2026, 1, 10),
        ends_on=date(2026, 12, 31),
        commitments=[
            ("开放操场", date(2026, 3, 31)),
            ("义诊一次", date(2026, 6, 30)),
            ("捐赠图书", date(2026, 12, 20)),
        ],
    )


def test_a_unit_is_registered_once_per_community_and_refused_clearly(world):
    unit = _unit(world)
    assert AuditEntry.objects.filter(object_type="partners.partnerunit", object_id=str(unit.pk)).exists()
    with pytest.raises(DomainError, match="已登记"):
        _unit(world)
    with pytest.raises(DomainError, match="党员人数"):
        _unit(world, name="别的单位", party_members=500)
    with pytest.raises(DomainError, match="单位类型"):
        services.unit_create(actor=world.c01_worker, area=world.c01, data={"name": "x", "kind": "火星"})
    with pytest.raises(Forbidden):
        services.unit_create(
            actor=world.grid_worker_c01_g01, area=world.c01, data={"name": "y", "kind": "school"}
        )
    assert PartnerUnit.objects.count() == 1


def test_commitments_are_dated_within_the_agreement_and_recorded_with_their_outcome(world):
    unit = _unit(world)
    agreement = _agreement(world, unit)
    with pytest.raises(DomainError, match="协议期内"):
        services.commitment_add(
            actor=world.c01_worker, agreement=agreement, text="太晚", due_on=date(2027, 2, 1)
        )
    first, second, third = agreement.commitments.order_by("due_on")
    services.commitment_record(
        actor=world.c01_worker,
        commitment=first,
        status="fulfilled",
        outcome="已开放",
        done_on=date(2026, 3, 20),
    )
    with pytest.raises(DomainError, match="原因"):
        services.commitment_record(actor=world.c01_worker, commitment=second, status="missed", outcome="")
    services.commitment_record(actor=world.c01_worker, commitment=second, status="missed", outcome="医生外派")
    report = year_report(unit, 2026)
    assert (report.due, report.fulfilled, report.missed, report.pending) == (3, 1, 1, 1)
    assert report.fulfilment_rate == pytest.approx(1 / 3)
    services.agreement_end(
        actor=world.c01_worker, agreement=agreement, ended_on=date(2026, 11, 1), reason="单位搬迁"
    )
    third.refresh_from_db()
    assert third.status == Commitment.Status.CANCELLED


def test_a_unit_that_leaves_ends_its_agreements_and_can_be_restored(world):
    unit = _unit(world)
    agreement = _agreement(world, unit)
    services.unit_end(actor=world.c01_worker, unit=unit, left_on=TODAY, reason="搬迁")
    agreement.refresh_from_db()
    assert agreement.status == "ended"
    with pytest.raises(DomainError, match="已撤离"):
        services.resource_add(actor=world.c01_worker, unit=unit, kind="room", description="会议室")
    services.unit_restore(actor=world.c01_worker, unit=unit)
    unit.refresh_from_db()
    assert unit.active


def test_needs_are_met_by_a_unit_and_members_reporting_must_add_up(world):
    unit = _unit(world)
    resource = services.resource_add(
        actor=world.c01_worker, unit=unit, kind="money", description="共建经费", amount="20000"
    )
    need = services.need_create(actor=world.c01_worker, area=world.c01, kind="money", title="楼道改造")
    services.need_meet(actor=world.c01_worker, need=need, unit=unit, resource=resource)
    assert Need.objects.get().status == "met"
    with pytest.raises(DomainError, match="已对接"):
        services.need_meet(actor=world.c01_worker, need=need, unit=unit)
    with pytest.raises(DomainError, match="不符"):
        services.member_checkin_add(
            actor=world.c01_worker, unit=unit, reported_on=TODAY, count=3, names="张三\n李四"
        )
    services.member_checkin_add(
        actor=world.c01_worker, unit=unit, reported_on=TODAY, count=2, names="张三\n李四"
    )
    activity = services.activity_create(
        actor=world.c01_worker, area=world.c01, title="义诊", held_on=TODAY, units=[unit], participants=40
    )
    report = year_report(unit, 2026)
    assert report.members_reported == 2
    assert report.activities == [activity]
    assert report.needs_met == [need]


def test_pages_report_and_its_audited_excel(world):
    unit = _unit(world)
    _agreement(world, unit)
    client = Client()
    client.force_login(world.c01_worker)
    for url in (
        "/partners/",
        f"/partners/{unit.pk}/",
        "/partners/needs/",
        "/partners/activities/",
        f"/partners/{unit.pk}/report/?year=2026",
    ):
        assert client.get(url).status_code == 200, url
    page = client.get(f"/partners/{unit.pk}/").content.decode()
    assert "13912345678" not in page  # masked without reveal_personal
    data = client.get(f"/partners/{unit.pk}/report/?year=2026&format=xlsx").content
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["履约情况", "承诺", "活动", "资源与需求"]
    assert AuditEntry.objects.filter(action="export", object_id=str(unit.pk)).exists()
    outsider = Client()
    outsider.force_login(world.other_street_admin)
    assert outsider.get(f"/partners/{unit.pk}/").status_code == 404


def test_the_form_refuses_and_shows_why(world):
    client = Client()
    client.force_login(world.c01_worker)
    response = client.post("/partners/new/", {"area": world.c01.pk, "name": "", "kind": "school"})
    assert response.status_code == 400
    assert PartnerUnit.objects.count() == 0


def _sheet(path, rows) -> None:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    book.save(path)


def test_the_bulk_load_imports_good_rows_and_reports_bad_ones(world, tmp_path):
    _unit(world, name="区人民医院")
    path = tmp_path / "units.xlsx"
    _sheet(
        path,
        [
            ["单位名称", "类型", "联系人", "联系电话", "党组织", "职工人数", "党员人数", "颜色"],
            ["区人民医院", "医院", "王主任", "13900000000", "区医院党委", 800, 120, "红"],
            ["第三中学", "学校", "李老师", "0531-1234567", "", 200, 40, ""],
            ["火星公司", "外星企业", "", "", "", 10, 1, ""],
            ["第三中学", "学校", "", "", "", 1, 0, ""],
        ],
    )
    dry = import_partners(actor=None, area=world.c01, path=path, dry_run=True)
    assert dry.as_dict()["error"] == 2
    assert PartnerUnit.objects.count() == 1
    summary = import_partners(actor=None, area=world.c01, path=path)
    assert [r.outcome for r in summary.rows] == ["updated", "created", "error", "error"]
    assert summary.unknown_columns == ["颜色"]
    assert PartnerUnit.objects.get(name="区人民医院").kind == "hospital"
    report = tmp_path / "report.xlsx"
    assert write_report(summary, report) == 2
    lines = list(load_workbook(report)["问题行"].values)
    assert lines[1][0] == 4
    assert "单位类型" in lines[1][2]


def test_the_cli_loads_partners_and_says_what_it_refused(world, tmp_path, capsys):
    path = tmp_path / "units.xlsx"
    _sheet(path, [["单位名称", "类型"], ["区图书馆", "事业单位"], ["", "学校"]])
    report = tmp_path / "problems.xlsx"
    code = main(["import", "partners", str(path), "--community", "S01/C01", "--report", str(report)])
    out = capsys.readouterr().out
    assert code == 0
    assert "1 created" in out
    assert "1 with errors" in out
    assert "row 3: 请填写单位名称" in out
    assert report.exists()
    assert main(["import", "partners", str(tmp_path / "none.xlsx"), "--community", "S01/C01"]) == 1
    assert "no such file" in capsys.readouterr().err
    assert PartnerUnit.objects.filter(name="区图书馆", kind="institution").exists()


def test_the_api_lists_masks_and_creates(world, bearer):
    unit = _unit(world)
    client = Client()
    listing = client.get("/api/v1/partners", **bearer(world.c01_worker)).json()
    assert listing["items"][0]["contact_phone"] != "13912345678"
    revealed = client.get(f"/api/v1/partners/{unit.pk}", **bearer(world.c01_leader)).json()
    assert revealed["contact_phone"] == "13912345678"
    created = client.post(
        "/api/v1/partners",
        json.dumps({"area": "S01/C01", "name": "新单位", "kind": "private"}),
        content_type="application/json",
        **bearer(world.c01_worker),
    )
    assert created.status_code == 201
    refused = client.post(
        "/api/v1/partners",
        json.dumps({"area": "S01/C01", "name": "新单位", "kind": "private"}),
        content_type="application/json",
        **bearer(world.c01_worker),
    )
    assert refused.status_code == 400
    assert client.get(f"/api/v1/partners/{unit.pk}", **bearer(world.other_street_admin)).status_code == 404


def test_a_joint_activity_names_the_volunteer_activity_it_was_run_as_in_its_own_community(world):
    from datetime import datetime, time, timedelta

    from django.utils import timezone

    from linli.volunteers import services as volunteers

    unit = _unit(world)
    start = timezone.make_aware(datetime.combine(TODAY + timedelta(days=1), time(9)))

    def run_as(community):
        return volunteers.activity_create(
            actor=None,
            community=community,
            title="义诊进社区",
            place="服务大厅",
            starts_at=start,
            ends_at=start + timedelta(hours=3),
            capacity=20,
        )

    ours, theirs = run_as(world.c01), run_as(world.c02)
    with pytest.raises(DomainError, match="不在这个社区"):
        services.activity_create(
            actor=None, area=world.c01, title="义诊", held_on=TODAY, units=[unit], volunteer_activity=theirs
        )
    activity = services.activity_create(
        actor=world.c01_worker,
        area=world.c01,
        title="义诊",
        held_on=TODAY,
        units=[unit],
        volunteer_activity=ours,
    )
    assert activity.volunteer_activity == ours
    client = Client()
    client.force_login(world.c01_worker)
    page = client.get("/partners/activities/").content.decode()
    assert f"/volunteers/activities/{ours.pk}/" in page
