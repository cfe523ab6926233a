"""The register on paper: the resident card masked as the page shows it (in full only with the reveal
capability, audited as a reveal), the ledger in inspection layout with the list's filters; both rendered
to images to see that the Chinese text is there."""

from __future__ import annotations

import pytest
from django.test import Client

from linli.core.models import AuditEntry
from linli.registry.models import Building, House, Household
from linli.registry.printing import LEDGER_MAX_ROWS
from linli.registry.services import resident_create
from tests import pdfcheck
from tests.factories import make_id_number

pytestmark = pytest.mark.django_db

ID = make_id_number("19500101", 11)
PHONE = "13800138000"


@pytest.fixture
def zhang(world):
    house = House.objects.create(
        building=Building.objects.create(grid=world.c01_g01, number="8"), room_number="1401"
    )
    household = Household.objects.create(house=house)
    head = resident_create(
        actor=None,
        grid=world.c01_g01,
        name="张三",
        id_number=ID,
        phone=PHONE,
        house=house,
        household=household,
        relation_to_head="户主",
        political_status="中共党员",
    )
    resident_create(
        actor=None,
        grid=world.c01_g01,
        name="李梅",
        id_number=make_id_number("19520202", 12),
        house=house,
        household=household,
        relation_to_head="配偶",
    )
    return head


def test_a_grid_worker_prints_the_card_masked_and_without_party_membership(world, zhang, client: Client):
    client.force_login(world.grid_worker_c01_g01)
    response = client.get(f"/registry/residents/{zhang.pk}/card.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    pages = pdfcheck.read(response.content)
    assert pages.sizes_mm[0] == (210.0, 297.0)
    assert "居民信息卡" in pages.text
    assert "张三" in pages.text
    assert "李梅" in pages.text
    assert "8-1401" in pages.text
    assert ID not in pages.text
    assert PHONE not in pages.text
    assert ID[-4:] in pages.text
    assert "已按规定遮蔽" in pages.text
    assert "中共党员" not in pages.text
    assert "政治面貌" not in pages.text
    assert pdfcheck.glyphs_drawn(pages)
    entry = AuditEntry.objects.filter(action="export", object_id=str(zhang.pk)).get()
    assert entry.changes == {"what": "resident_card", "revealed": False}
    # Nobody may ask for the full numbers without the capability: refused, no reveal recorded.
    assert client.post(f"/registry/residents/{zhang.pk}/card.pdf", {"reveal": "1"}).status_code == 403
    assert not AuditEntry.objects.filter(action="reveal").exists()


def test_a_leader_prints_the_full_numbers_only_by_asking_and_it_is_audited(world, zhang, client: Client):
    client.force_login(world.c01_leader)
    masked = pdfcheck.read(client.get(f"/registry/residents/{zhang.pk}/card.pdf").content)
    assert ID not in masked.text
    assert "中共党员" in masked.text  # the leader has `party`
    response = client.post(f"/registry/residents/{zhang.pk}/card.pdf", {"reveal": "1"})
    pages = pdfcheck.read(response.content)
    assert ID in pages.text
    assert PHONE in pages.text
    assert "妥善保管" in pages.text
    assert AuditEntry.objects.filter(action="reveal", object_id=str(zhang.pk)).count() == 1
    assert AuditEntry.objects.filter(action="export", object_id=str(zhang.pk)).count() == 2


def test_a_card_out_of_scope_is_not_found(world, zhang, client: Client):
    client.force_login(world.grid_worker_c01_g02)
    assert client.get(f"/registry/residents/{zhang.pk}/card.pdf").status_code == 404
    assert not AuditEntry.objects.filter(action="export").exists()


def test_the_ledger_prints_the_lists_filters_by_grid_and_room_masked(world, zhang, client: Client):
    resident_create(actor=None, grid=world.c01_g02, name="王五", id_number=make_id_number("19800303", 13))
    resident_create(actor=None, grid=world.c02_g01, name="赵六", id_number=make_id_number("19800404", 14))
    client.force_login(world.c01_worker)
    response = client.get("/registry/residents/ledger.pdf")
    assert response.status_code == 200
    pages = pdfcheck.read(response.content)
    assert pages.sizes_mm[0] == (297.0, 210.0)  # landscape A4
    text = pages.text
    assert "人口台账" in text
    assert "共 3 人" in text
    assert "张三" in text
    assert "李梅" in text
    assert "王五" in text
    assert "赵六" not in text  # another community
    assert ID not in text
    assert PHONE not in text
    assert "户主" in text
    assert "配偶" in text
    assert text.index("张三") < text.index("王五")  # G01 before G02
    assert pdfcheck.glyphs_drawn(pages)
    entry = AuditEntry.objects.get(action="export", object_repr="打印人口台账")
    assert entry.changes["rows"] == 3
    # The list's filters: one grid.
    narrowed = pdfcheck.read(client.get(f"/registry/residents/ledger.pdf?grid={world.c01_g02.pk}").content)
    assert "王五" in narrowed.text
    assert "张三" not in narrowed.text
    assert "共 1 人" in narrowed.text


def test_the_ledger_needs_export_and_refuses_a_digit_search_beyond_the_mask(world, zhang, client: Client):
    client.force_login(world.grid_worker_c01_g01)  # no EXPORT
    assert client.get("/registry/residents/ledger.pdf").status_code == 403
    client.force_login(world.c01_worker)
    response = client.get("/registry/residents/ledger.pdf?q=" + ID[-6:])
    assert response.status_code == 302  # back to the list, which says why
    assert not AuditEntry.objects.filter(object_repr="打印人口台账").exists()


def test_too_long_a_ledger_is_refused_with_the_reason(world, zhang, client: Client, monkeypatch):
    monkeypatch.setattr("linli.registry.printing.LEDGER_MAX_ROWS", 1)
    client.force_login(world.c01_worker)
    response = client.get("/registry/residents/ledger.pdf", follow=True)
    assert "超过 1 人" in response.content.decode()
    assert not AuditEntry.objects.filter(object_repr="打印人口台账").exists()
    assert LEDGER_MAX_ROWS == 2000
