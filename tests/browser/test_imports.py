"""A stalled import on a community worker's phone: said plainly, and resumed with one tap."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from linli.transfers.models import ImportJob
from linli.transfers.services import import_job_create
from tests.browser.test_shell import sign_in
from tests.factories import build_world, make_id_number

pytestmark = pytest.mark.browser


def test_a_stalled_import_is_shown_and_resumed_on_a_phone(
    transactional_db, live_server, page_factory, tmp_path
):
    world = build_world()
    path = tmp_path / "ledger.csv"
    path.write_text(f"姓名,身份证号,网格\n甲,{make_id_number('19800101', 1)},G01\n", encoding="utf-8")
    job = import_job_create(actor=world.c01_worker, community=world.c01, path=Path(path))
    # What a worker killed mid-import leaves: the job running, its last heartbeat long ago.
    long_ago = timezone.now() - timedelta(minutes=10)
    ImportJob.objects.filter(pk=job.pk).update(status="running", heartbeat_at=long_ago)
    shots = os.environ.get("LINLI_SHOTS")
    for width in (1366, 375):
        page = page_factory(width, 740)
        sign_in(page, live_server.url, "c01-worker")
        page.goto(f"{live_server.url}/transfers/imports/{job.pk}/")
        expect(page.get_by_test_id("job-stalled")).to_contain_text("导入已停滞")
        expect(page.get_by_role("button", name="继续导入")).to_be_visible()
        if shots:
            page.screenshot(path=f"{shots}/stalled-{width}.png", full_page=True)
    page.get_by_role("button", name="继续导入").click()
    expect(page.get_by_test_id("job-status")).to_have_text("等待中")
    job.refresh_from_db()
    assert (job.status, job.attempt) == ("pending", 1)
