"""A case on paper (工单): its fields as the page shows them (the reporter's phone masked), its history,
Chinese text drawn; printing is audited; another grid's worker does not find it."""

from __future__ import annotations

import pytest
from django.test import Client

from linli.cases.tests.conftest import build_case_world, new_case
from linli.core.models import AuditEntry
from tests import pdfcheck

pytestmark = pytest.mark.django_db


def test_a_case_prints_as_a_form_with_its_history_and_a_masked_phone(world, client: Client):
    cw = build_case_world(world)
    case = new_case(cw, title="井盖松动", reporter_phone="13812345678")
    client.force_login(world.grid_worker_c01_g01)
    response = client.get(f"/cases/{case.pk}/print/")
    assert response["Content-Type"] == "application/pdf"
    pages = pdfcheck.read(response.content)
    assert pages.sizes_mm[0] == (210.0, 297.0)
    assert "诉求工单" in pages.text
    assert "井盖松动" in pages.text
    assert "办理经过" in pages.text
    assert "13812345678" not in pages.text
    assert pdfcheck.glyphs_drawn(pages)
    assert AuditEntry.objects.filter(action="export", object_id=str(case.pk)).count() == 1
    client.force_login(world.grid_worker_c01_g02)
    assert client.get(f"/cases/{case.pk}/print/").status_code == 404
