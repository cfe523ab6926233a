"""The audit page as a street admin reads it, on a desk and on a phone."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from linli.accounts.services import user_update
from linli.registry.models import Building, Entrance, House
from linli.registry.services import resident_create
from tests.browser.test_shell import sign_in
from tests.factories import build_world, make_id_number

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("LINLI_SCREENSHOTS", "")


@pytest.fixture
def live_ledger(transactional_db, live_server):
    w = build_world()
    building = Building.objects.create(grid=w.c01_g01, number="3")
    house = House.objects.create(
        building=building, entrance=Entrance.objects.create(building=building, number="2"), room_number="501"
    )
    resident_create(actor=w.c01_worker, grid=w.c01_g01, name="王芳", id_number=make_id_number(), house=house)
    user_update(actor=w.c01_worker, user=w.c01_worker, phone="13912345678")
    user_update(actor=w.c01_worker, user=w.c01_worker, phone="13800001111")
    return live_server.url


@pytest.mark.parametrize("width", [1366, 375])
def test_the_audit_ledger_reads_at_desk_and_phone_width(live_ledger, page_factory, width):
    page = page_factory(width)
    sign_in(page, live_ledger, "admin")
    page.goto(f"{live_ledger}/audit/")
    ledger = page.get_by_test_id("audit-ledger")
    expect(ledger).to_contain_text("王芳（3栋2单元501）")
    expect(ledger).to_contain_text("刘芳（社区工作者）")
    expect(ledger).to_contain_text("139****5678 → 138****1111")
    expect(ledger).not_to_contain_text("13912345678")
    # Nothing wider than the screen: the entries wrap instead of squeezing a table.
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SHOTS}/audit-{width}.png", full_page=True)
        page.screenshot(path=f"{SHOTS}/audit-{width}-top.png")
    # The keyword box finds what a worker did by their name (the entries keep their login as the label).
    page.goto(f"{live_ledger}/audit/?q=刘芳")
    expect(ledger).to_contain_text("王芳（3栋2单元501）")
    expect(ledger).to_contain_text("刘芳（社区工作者）")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/audit-{width}-keyword.png", full_page=True)
