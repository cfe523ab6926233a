"""The audit page reads like a ledger: names, object kinds, Chinese field names, old → new, masked."""

from __future__ import annotations

from django.urls import reverse

from linli.accounts.services import user_update
from linli.core.models import AuditEntry
from linli.registry.models import Building, Entrance, House
from linli.registry.services import resident_create
from tests.factories import make_id_number


def _page(client, **params) -> str:
    return client.get(reverse("core:audit"), params).content.decode()


def test_entries_name_people_and_objects_not_logins(world, client_for):
    building = Building.objects.create(grid=world.c01_g01, number="3")
    entrance = Entrance.objects.create(building=building, number="2")
    house = House.objects.create(building=building, entrance=entrance, room_number="501")
    resident_create(
        actor=world.c01_worker, grid=world.c01_g01, name="王芳", id_number=make_id_number(), house=house
    )
    body = _page(client_for(world.street_admin), action="create")
    assert "刘芳（社区工作者）" in body  # the worker's name and role, not "c01-worker"
    assert "居民" in body
    assert "王芳（3栋2单元501）" in body
    assert "望江街道 · 锦绣社区 · 第一网格" in body


def test_phone_changes_show_old_and_new_masked_with_chinese_field_names(world, client_for):
    user_update(actor=world.c01_worker, user=world.c01_worker, phone="13912345678")
    user_update(actor=world.c01_worker, user=world.c01_worker, phone="13800001111")
    admin = client_for(world.street_admin)
    body = _page(admin, action="update")
    assert "手机号：" in body
    assert "<del>139****5678</del> → <ins>138****1111</ins>" in body
    assert "13912345678" not in body
    assert "13800001111" not in body
    assert not AuditEntry.objects.filter(action="reveal").exists()


def test_a_reader_who_may_reveal_can_show_the_numbers_and_that_is_audited(world, client_for):
    user_update(actor=world.c01_worker, user=world.c01_worker, phone="13912345678")
    body = _page(client_for(world.street_admin), action="update", reveal="1")
    assert "13912345678" in body
    reveal = AuditEntry.objects.get(action="reveal")
    assert reveal.actor == world.street_admin
    assert reveal.object_type == "core.auditentry"


def test_a_reader_who_may_not_reveal_gets_masked_numbers_even_when_asking(world, client_for):
    from linli.accounts.services import user_set_operator

    # A grid worker made deployment operator may read the area-less entries, not reveal.
    operator = user_set_operator(actor=None, user=world.grid_worker_c01_g01, operator=True)
    from linli.core.audit import Action, audit_record

    audit_record(
        actor=None, action=Action.UPDATE, object_repr="控制台修改", changes={"phone": ["13912345678", ""]}
    )
    body = _page(client_for(operator), reveal="1")
    assert "139****5678" in body
    assert "13912345678" not in body
    assert "显示身份证号和手机号明文" not in body


def test_a_persons_name_finds_their_entries(world, client_for):
    user_update(actor=world.c01_worker, user=world.c01_worker, phone="13912345678")
    body = _page(client_for(world.street_admin), q="刘芳", action="update")
    assert "共 1 条" in body


def test_unknown_names_logged_before_masking_are_masked_on_the_page(world, client_for):
    from linli.accounts.services import user_set_operator
    from linli.core.audit import Action, audit_record

    audit_record(
        actor=None,
        actor_label="hunter2-pass",
        action=Action.LOGIN_FAILED,
        object_repr="hunter2-pass",
        area_path="",
    )
    operator = user_set_operator(actor=None, user=world.street_admin, operator=True)
    body = _page(client_for(operator), action="login_failed")
    assert "h***" in body
    assert "hunter2-pass" not in body


def test_areas_in_changes_are_named_not_coded(world, client_for):
    """A resident registered in a grid, an account created for a community: the ledger names the places,
    as it names the entry's own area, instead of showing their codes."""
    resident_create(actor=world.c01_worker, grid=world.c01_g01, name="王芳", id_number=make_id_number())
    body = _page(client_for(world.street_admin), action="create")
    assert "网格：</span>望江街道 · 锦绣社区 · 第一网格" in body  # the resident's grid
    assert "管辖区域：</span>望江街道 · 锦绣社区<" in body  # the worker's account (build_world)
    assert f"网格：</span>{world.c01_g01.path}" not in body
    assert f"管辖区域：</span>{world.c01.path}" not in body
