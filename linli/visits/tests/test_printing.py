"""A visit on paper: the record as its page shows it, with Chinese text drawn, audited; out of scope 404."""

from __future__ import annotations

import pytest
from django.test import Client

from linli.core.models import AuditEntry
from linli.visits import services
from tests import pdfcheck

pytestmark = pytest.mark.django_db


def test_a_visit_prints_as_a_record_with_places_to_sign(vw, client: Client):
    visit = services.visit_create(
        actor=vw.w.grid_worker_c01_g01,
        mode="in_person",
        resident=vw.alone,
        observations="老人身体尚可，独自在家，冰箱食物充足。",
        needs="希望有人帮忙买药",
    )
    client.force_login(vw.w.grid_worker_c01_g01)
    response = client.get(f"/visits/{visit.pk}/print/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    pages = pdfcheck.read(response.content)
    assert pages.sizes_mm[0] == (210.0, 297.0)
    assert "走访记录" in pages.text
    assert vw.alone.name in pages.text
    assert "冰箱食物充足" in pages.text
    assert "帮忙买药" in pages.text
    assert "走访人签字" in pages.text
    assert vw.alone.id_number not in pages.text
    assert pdfcheck.glyphs_drawn(pages)
    assert AuditEntry.objects.filter(
        action="export", object_id=str(visit.pk), changes__what="visit_record"
    ).exists()
    # Another grid's worker does not find it, and nothing is audited for them.
    client.force_login(vw.w.grid_worker_c01_g02)
    assert client.get(f"/visits/{visit.pk}/print/").status_code == 404
    assert AuditEntry.objects.filter(action="export", object_id=str(visit.pk)).count() == 1
