from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import time_machine

from linli.core.errors import DomainError, Forbidden, NotFound
from linli.core.models import AuditEntry
from linli.registry.models import Building, House, Resident, ResidentChange, Tag
from linli.registry.services import resident_create, resident_set_status, resident_set_tags, resident_update
from tests.factories import make_id_number


@pytest.fixture
def house(world):
    building = Building.objects.create(grid=world.c01_g01, number="8")
    return House.objects.create(building=building, room_number="1401")


@pytest.fixture
def zhang(world, house):
    return resident_create(
        actor=world.grid_worker_c01_g01,
        grid=world.c01_g01,
        name=" 张三 ",
        id_number=make_id_number("19520315", 11),
        phone="138 0013 8000",
        residence_type="registered",
        house=house,
    )


def test_default_key_group_tags_are_seeded_with_sensitive_ones_marked(db):
    assert Tag.objects.get(name="独居老人").sensitive is False
    assert Tag.objects.get(name="低保").sensitive is True
    assert Tag.objects.get(name="残疾人").sensitive is True
    assert Tag.objects.count() >= 20


def test_gender_and_birth_date_come_from_the_id_number(zhang):
    assert zhang.name == "张三"
    assert zhang.gender == "male"
    assert zhang.birth_date == date(1952, 3, 15)
    assert zhang.phone == "13800138000"
    assert (zhang.name_pinyin, zhang.name_initials) == ("zhangsan", "zs")
    assert zhang.id_reversed == zhang.id_number[::-1]


def test_creation_is_in_the_history_and_the_audit_log_without_the_id_number(zhang):
    change = ResidentChange.objects.get(resident=zhang)
    assert change.kind == "create"
    assert change.actor.username == "c01g01"
    entry = AuditEntry.objects.get(object_type="registry.resident", object_id=str(zhang.pk))
    assert entry.area_path == "S01/C01/G01"
    assert zhang.id_number not in str(entry.changes)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "  ", "姓名不能为空"),
        ("id_number", "110105194912310021", "校验位不正确"),
        ("id_number", "12345", "应为 18 位"),
        ("phone", "电话坏了", "联系电话格式不正确"),
        ("residence_type", "游客", "人口类型应为"),
    ],
)
def test_bad_input_is_refused_with_a_reason_and_nothing_is_written(world, field, value, message):
    values: dict[str, Any] = {
        "name": "李四",
        "id_number": make_id_number(seq=3),
        "phone": "",
        "residence_type": "permanent",
    }
    values[field] = value
    before = (Resident.objects.count(), AuditEntry.objects.count())
    with pytest.raises(DomainError, match=message) as info:
        resident_create(actor=world.grid_worker_c01_g01, grid=world.c01_g01, **values)
    assert info.value.field == field
    assert (Resident.objects.count(), AuditEntry.objects.count()) == before


def test_legacy_id_numbers_are_stored_in_18_digit_form(world):
    resident = resident_create(actor=None, grid=world.c01_g01, name="王五", id_number="110105491231002")
    assert resident.id_number == "11010519491231002X"


def test_one_resident_per_id_number_with_the_place_shown_only_in_scope(world, zhang):
    with pytest.raises(DomainError, match="该身份证号已登记（锦绣社区 · 第一网格，张三）"):
        resident_create(actor=world.c01_worker, grid=world.c01_g02, name="张三", id_number=zhang.id_number)
    with pytest.raises(DomainError, match="其他辖区") as info:
        resident_create(
            actor=world.grid_worker_c02_g01, grid=world.c02_g01, name="张三", id_number=zhang.id_number
        )
    assert "第一网格" not in info.value.message


def test_residents_must_be_registered_in_a_grid_in_scope(world):
    with pytest.raises(DomainError, match="必须登记在网格下"):
        resident_create(actor=None, grid=world.c01, name="赵六", id_number=make_id_number(seq=5))
    with pytest.raises(NotFound):
        resident_create(
            actor=world.grid_worker_c01_g01, grid=world.c01_g02, name="赵六", id_number=make_id_number(seq=5)
        )
    with pytest.raises(Forbidden):
        resident_create(actor=world.viewer, grid=world.c01_g01, name="赵六", id_number=make_id_number(seq=5))


def test_the_house_must_be_in_the_residents_grid(world, house):
    with pytest.raises(DomainError, match="房屋不在该居民所属网格内"):
        resident_create(
            actor=None, grid=world.c01_g02, name="钱七", id_number=make_id_number(seq=7), house=house
        )


def test_updates_keep_old_and_new_values_and_mask_them_in_the_audit_log(world, zhang):
    changes = resident_update(
        actor=world.grid_worker_c01_g01, resident=zhang, phone="13912345678", education="高中"
    )
    assert changes == {"phone": ["13800138000", "13912345678"], "education": ["", "高中"]}
    history = ResidentChange.objects.filter(resident=zhang, kind="update").get()
    assert history.changes["phone"] == ["13800138000", "13912345678"]
    entry = AuditEntry.objects.filter(action="update", object_id=str(zhang.pk)).get()
    assert entry.changes["phone"] == ["***", "***"]
    assert entry.changes["education"] == ["", "高中"]


def test_an_update_that_changes_nothing_leaves_no_trace(world, zhang):
    before = (ResidentChange.objects.count(), AuditEntry.objects.count())
    assert resident_update(actor=None, resident=zhang, phone="13800138000", name="张三") == {}
    assert (ResidentChange.objects.count(), AuditEntry.objects.count()) == before


def test_correcting_the_id_number_rederives_gender_and_birth(world, zhang):
    changes = resident_update(actor=None, resident=zhang, id_number=make_id_number("19520316", 12))
    assert set(changes) == {"id_number", "gender", "birth_date"}
    zhang.refresh_from_db()
    assert (zhang.gender, zhang.birth_date) == ("female", date(1952, 3, 16))


def test_a_grid_worker_cannot_move_a_resident_out_of_their_scope(world, zhang):
    with pytest.raises(NotFound):
        resident_update(actor=world.grid_worker_c01_g01, resident=zhang, grid=world.c01_g02, house=None)
    resident_update(actor=world.c01_worker, resident=zhang, grid=world.c01_g02, house=None)
    zhang.refresh_from_db()
    assert zhang.grid == world.c01_g02


def test_status_changes_are_dated_in_the_history(world, zhang):
    with time_machine.travel(date(2026, 11, 22), tick=False):
        resident_set_status(
            actor=None, resident=zhang, status="moved_out", effective_date=date(2026, 10, 1), note="迁往外省"
        )
        change = ResidentChange.objects.get(resident=zhang, kind="status")
        assert change.effective_date == date(2026, 10, 1)
        assert change.changes == {"status": ["active", "moved_out"], "note": "迁往外省"}
        with pytest.raises(DomainError, match="不能晚于今天"):
            resident_set_status(actor=None, resident=zhang, status="active", effective_date=date(2026, 12, 1))
        resident_set_status(actor=None, resident=zhang, status="deceased", effective_date=date(2026, 11, 1))
        with pytest.raises(DomainError, match="不能恢复"):
            resident_set_status(actor=None, resident=zhang, status="active", effective_date=date(2026, 11, 2))


def test_grid_workers_cannot_set_sensitive_tags_and_do_not_erase_them(world, zhang):
    dibao, alone = Tag.objects.get(name="低保"), Tag.objects.get(name="独居老人")
    with pytest.raises(DomainError, match="无权设置敏感标签"):
        resident_set_tags(actor=world.grid_worker_c01_g01, resident=zhang, tags=[dibao])
    resident_set_tags(actor=world.c01_worker, resident=zhang, tags=[dibao])
    # The grid worker sets the tags they can see; the sensitive one they cannot see stays.
    resident_set_tags(actor=world.grid_worker_c01_g01, resident=zhang, tags=[alone])
    assert set(zhang.tags.all()) == {dibao, alone}


def test_residents_are_scoped_by_grid(world, zhang):
    assert list(Resident.objects.visible_to(world.grid_worker_c01_g01)) == [zhang]
    assert list(Resident.objects.visible_to(world.c01_leader)) == [zhang]
    assert not Resident.objects.visible_to(world.grid_worker_c01_g02).exists()
    assert not Resident.objects.visible_to(world.other_street_admin).exists()
    assert not ResidentChange.objects.visible_to(world.grid_worker_c02_g01).exists()
