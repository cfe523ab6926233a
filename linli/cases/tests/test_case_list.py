"""The case list for real work (issue 15, item 3): filters, sort by deadline, the Excel download, and
the indicators' period (item 5)."""

from __future__ import annotations

import io
from datetime import datetime, timedelta

from django.test import Client
from openpyxl import load_workbook

from linli.cases import services
from linli.cases.models import Case
from linli.cases.tests.conftest import SHANGHAI, CaseWorld, new_case
from linli.core.models import AuditEntry


def numbers(response) -> list[str]:
    """The case numbers on a list page, in the order shown."""
    html = response.content.decode()
    html = html[html.index('data-testid="case-table"') :]
    found = []
    for chunk in html.split('class="nowrap cell-number"><a href="')[1:]:
        found.append(chunk.split(">", 1)[1].split("<", 1)[0])
    return found


def street(cw: CaseWorld, clock) -> dict[str, Case]:
    """Four cases: two in 锦绣社区's grids, one on a red card, one in 和平社区, received on different days."""
    clock.move_to(datetime(2026, 11, 10, 9, 0, tzinfo=SHANGHAI))
    old_red = new_case(cw, house=None, area=cw.w.c01_g02, channel="phone", title="化粪池外溢")
    Case.objects.filter(pk=old_red.pk).update(
        overdue_since=old_red.received_at + timedelta(hours=3), escalation_level=2
    )
    clock.move_to(datetime(2026, 11, 12, 9, 0, tzinfo=SHANGHAI))
    c02 = new_case(cw, actor=cw.w.street_admin, house=None, area=cw.w.c02_g01, title="和平社区路灯")
    clock.move_to(datetime(2026, 11, 16, 9, 0, tzinfo=SHANGHAI))
    noisy = new_case(cw, title='=HYPERLINK("http://evil.example","点我")', reporter_phone="13800138000")
    closed = new_case(cw, title="已办结的井盖")
    services.case_reject(actor=cw.w.c01_worker, case=closed, reason="重复")
    return {"old_red": old_red, "c02": c02, "noisy": noisy, "rejected": closed}


def test_filters_by_community_grid_channel_red_card_dates_and_sort(cw: CaseWorld, clock, client_for) -> None:
    cases = street(cw, clock)
    admin = client_for(cw.w.street_admin)
    everything = numbers(admin.get("/cases/"))
    assert len(everything) == 4
    assert numbers(admin.get("/cases/", {"community": cw.w.c02.pk})) == [cases["c02"].number]
    assert numbers(admin.get("/cases/", {"grid": cw.w.c01_g02.pk})) == [cases["old_red"].number]
    assert numbers(admin.get("/cases/", {"channel": "phone"})) == [cases["old_red"].number]
    assert numbers(admin.get("/cases/", {"alert": "red"})) == [cases["old_red"].number]
    assert numbers(admin.get("/cases/", {"alert": "overdue"})) == [cases["old_red"].number]
    assert set(numbers(admin.get("/cases/", {"start": "2026-11-11", "end": "2026-11-12"}))) == {
        cases["c02"].number
    }
    # By deadline: the running stage's deadline soonest first; ended cases have none and are left out.
    by_deadline = numbers(admin.get("/cases/", {"sort": "deadline"}))
    assert by_deadline[0] == cases["old_red"].number
    assert len(by_deadline) == 3
    assert cases["rejected"].number not in by_deadline
    # Grids are named with their community: two communities both have a 第一网格.
    page = admin.get("/cases/").content.decode()
    assert "锦绣社区 · 第一网格" in page
    assert "和平社区 · 第一网格" in page
    # A bad date range is explained, not a crash.
    bad = admin.get("/cases/", {"start": "2026-11-12", "end": "2026-11-01"})
    assert bad.status_code == 200
    assert "结束日期不能早于开始日期" in bad.content.decode()


def test_mine_is_what_waits_for_me(cw: CaseWorld, clock, client_for) -> None:
    cases = street(cw, clock)
    grid = client_for(cw.w.grid_worker_c01_g01)
    assert numbers(grid.get("/cases/", {"mine": "on"})) == []
    case = services.case_register(actor=cw.w.c01_worker, case=cases["noisy"])
    services.case_dispatch(actor=cw.w.c01_worker, case=case)
    assert numbers(grid.get("/cases/", {"mine": "on"})) == [case.number]


def test_the_filtered_list_exports_to_excel_scoped_masked_audited_and_as_text(
    cw: CaseWorld, clock, client_for
) -> None:
    cases = street(cw, clock)
    worker = client_for(cw.w.c01_worker)
    response = worker.get("/cases/", {"status": "open", "format": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert "状态：未结案" in sheet["A1"].value
    rows = {row[0]: row for row in sheet.iter_rows(min_row=3, values_only=True)}
    # The worker's scope (锦绣社区) and the filter (open): not 和平社区's case, not the rejected one.
    assert set(rows) == {cases["old_red"].number, cases["noisy"].number}
    noisy = rows[cases["noisy"].number]
    # A title that looks like a formula stays text; the phone is masked as on the page.
    assert noisy[1] == '=HYPERLINK("http://evil.example","点我")'
    cell = next(c for c in sheet[3] + sheet[4] if c.value == noisy[1])
    assert cell.data_type == "s"
    assert "138****8000" in noisy
    assert "13800138000" not in [str(v) for row in rows.values() for v in row]
    assert (noisy[4], noisy[5]) == ("锦绣社区", "第一网格")
    assert rows[cases["old_red"].number][14] == "红牌"
    entry = AuditEntry.objects.get(action="export", object_type="cases.case")
    assert entry.actor == cw.w.c01_worker
    assert entry.changes["rows"] == 2
    assert "未结案" in entry.changes["filters"]
    # The page offers the download with the same filters.
    page = worker.get("/cases/", {"status": "open"}).content.decode()
    assert 'href="?status=open&amp;format=xlsx"' in page


def test_users_who_may_not_export_get_no_button_and_403(cw: CaseWorld, client_for) -> None:
    new_case(cw)
    for user in (cw.w.viewer, cw.w.grid_worker_c01_g01):
        client = client_for(user)
        assert 'data-testid="export-cases"' not in client.get("/cases/").content.decode()
        assert client.get("/cases/", {"format": "xlsx"}).status_code == 403
    assert not AuditEntry.objects.filter(action="export").exists()


def test_the_api_list_takes_the_same_filters(cw: CaseWorld, clock, client: Client, bearer) -> None:
    cases = street(cw, clock)
    headers = bearer(cw.w.street_admin)

    def listed(**params) -> list[str]:
        response = client.get("/api/v1/cases", params, **headers)
        assert response.status_code == 200, response.content
        return [item["number"] for item in response.json()["items"]]

    assert listed(area="S01/C02") == [cases["c02"].number]
    assert listed(channel="phone", alert="red") == [cases["old_red"].number]
    assert listed(start="2026-11-11", end="2026-11-12") == [cases["c02"].number]
    assert listed(sort="deadline")[0] == cases["old_red"].number


def test_indicators_open_on_this_month_and_say_their_period(cw: CaseWorld, client_for) -> None:
    new_case(cw)
    leader = client_for(cw.w.c01_leader)
    page = leader.get("/cases/indicators/").content.decode()
    # The clock stands on Monday 16 November 2026.
    assert 'value="2026-11-01"' in page
    assert 'value="2026-11-16"' in page
    heading = page[page.index('data-testid="indicator-heading"') :].split("</h1>", 1)[0]
    assert "2026-11-01 至 2026-11-16" in heading
    assert 'href="?group=grid&amp;start=2026-11-01&amp;end=2026-11-16&amp;format=xlsx"' in page
    workbook = leader.get("/cases/indicators/", {"format": "xlsx"})
    sheet = load_workbook(io.BytesIO(workbook.content)).active
    assert "2026-11-01 至 2026-11-16" in sheet["A1"].value
