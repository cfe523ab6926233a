"""Keeping residents in the UI's services: register into a house and household (made on the way),
move within the street, move out, record a death, merge a duplicate, add and remove tags — each all or
nothing, audited, scoped, and refused to viewers and department handlers."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from linli.areas.services import area_create
from linli.cases.models import Case, Notification
from linli.cases.services import case_create, category_create
from linli.core.errors import DomainError, Forbidden, NotFound
from linli.core.models import AuditEntry
from linli.registry.models import (
    Building,
    House,
    Household,
    NameGram,
    Resident,
    ResidentChange,
    ResidentTag,
    Tag,
)
from linli.registry.services import (
    NEW_HOUSEHOLD,
    NewHouse,
    house_create,
    resident_create,
    resident_merge,
    resident_move,
    resident_move_out,
    resident_record_death,
    resident_set_tags,
    resident_tag_add,
    resident_tag_remove,
    resident_update,
)
from linli.visits.models import CarePlan, Visit, VisitTarget
from linli.visits.services import care_plan_create, visit_create
from tests.factories import make_id_number


def counts() -> tuple[int, ...]:
    return (
        Resident.objects.count(),
        Building.objects.count(),
        House.objects.count(),
        Household.objects.count(),
        ResidentChange.objects.count(),
        AuditEntry.objects.count(),
        NameGram.objects.count(),
    )


@pytest.fixture
def wang(world):
    """王芳, registered by the grid worker of C01/G01 into a new house 8-2-1401 and a new household."""
    return resident_create(
        actor=world.grid_worker_c01_g01,
        grid=world.c01_g01,
        name="王芳",
        id_number=make_id_number("19800101", 2),
        phone="13800138000",
        house=NewHouse(building="8栋", entrance="2单元", room="1401室"),
        household=NEW_HOUSEHOLD,
    )


def test_a_new_house_and_household_are_made_on_the_way_with_the_resident_as_head(world, wang):
    house = wang.house
    assert str(house) == "8-2-1401"
    assert house.building.grid == world.c01_g01
    assert wang.household.house == house
    assert wang.household.head == wang
    assert wang.relation_to_head == "户主"
    created = set(AuditEntry.objects.filter(action="create").values_list("object_type", flat=True))
    assert {"registry.building", "registry.house", "registry.household", "registry.resident"} <= created


def test_a_second_member_joins_the_household_and_the_house_is_reused(world, wang):
    son = resident_create(
        actor=world.grid_worker_c01_g01,
        grid=world.c01_g01,
        name="王小明",
        id_number=make_id_number("20100101", 3),
        house=wang.house,
        household=wang.household,
        relation_to_head="子",
    )
    assert son.household == wang.household
    assert Household.objects.get(pk=wang.household.pk).head == wang  # the head stays
    assert House.objects.count() == 1


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"id_number": "110105194912310021"}, "校验位不正确"),
        ({"name": " "}, "姓名不能为空"),
        ({"phone": "坏号码"}, "联系电话格式不正确"),
        ({"house": NewHouse(building="", room="101")}, "请填写楼栋号"),
        ({"house": NewHouse(building="9", room="")}, "请填写房号"),
        ({"house": None, "household": NEW_HOUSEHOLD}, "新立户须先选择或新建房屋"),
    ],
)
def test_a_refused_registration_writes_nothing_not_even_the_new_house(world, values, message):
    arguments = {
        "actor": world.grid_worker_c01_g01,
        "grid": world.c01_g01,
        "name": "李四",
        "id_number": make_id_number(seq=5),
        "house": NewHouse(building="9", room="101"),
        "household": NEW_HOUSEHOLD,
    } | values
    before = counts()
    with pytest.raises(DomainError, match=message):
        resident_create(**arguments)
    assert counts() == before


def test_a_duplicate_id_number_is_refused_after_the_house_would_have_been_made(world, wang):
    before = counts()
    with pytest.raises(DomainError, match="该身份证号已登记（锦绣社区 · 第一网格，王芳）"):
        resident_create(
            actor=world.c01_worker,
            grid=world.c01_g01,
            name="王芳",
            id_number=wang.id_number,
            house=NewHouse(building="9", room="101"),
            household=NEW_HOUSEHOLD,
        )
    assert counts() == before


def test_an_existing_house_cannot_be_made_twice(world, wang):
    with pytest.raises(DomainError, match="房屋 8-2-1401 已登记"):
        house_create(
            actor=world.grid_worker_c01_g01, grid=world.c01_g01, building="8", entrance="2", room="1401"
        )


def test_a_number_registered_elsewhere_is_refused_without_the_place_and_the_street_admin_is_told(world, wang):
    notes_before = Notification.objects.count()
    with pytest.raises(DomainError) as info:
        resident_create(
            actor=world.grid_worker_c02_g01,
            grid=world.c02_g01,
            name="王芳",
            id_number=wang.id_number,
            house=NewHouse(building="3", room="201"),
            household=NEW_HOUSEHOLD,
        )
    assert info.value.message == "该身份证号已在本系统其他辖区登记，请联系街道核实。"
    assert not Resident.objects.filter(grid=world.c02_g01).exists()
    assert not House.objects.filter(building__grid=world.c02_g01).exists()  # nothing half-written
    # The street admin sees both communities; the C01 leader does not see C02, and is not told.
    note = Notification.objects.get(kind="duplicate_id")
    assert Notification.objects.count() == notes_before + 1
    assert note.user == world.street_admin
    assert note.link == f"/registry/residents/{wang.pk}/"
    assert "赵磊（网格员）" in note.text
    assert "和平社区 · 第一网格" in note.text
    assert "锦绣社区 · 第一网格" in note.text
    assert "王芳" in note.text
    assert wang.id_number not in note.text
    assert wang.id_number[-4:] not in note.text
    entry = AuditEntry.objects.get(changes__refused="duplicate_id")
    assert entry.area_path == "S01"  # readable only by someone who sees both places
    assert wang.id_number not in str(entry.changes)
    # Trying again while the item is unread does not pile up the inbox.
    with pytest.raises(DomainError):
        resident_create(
            actor=world.grid_worker_c02_g01, grid=world.c02_g01, name="王芳", id_number=wang.id_number
        )
    assert Notification.objects.filter(kind="duplicate_id").count() == 1


def test_within_one_community_the_community_leader_is_the_supervisor_told(world, wang):
    with pytest.raises(DomainError, match="其他辖区"):
        resident_create(
            actor=world.grid_worker_c01_g02, grid=world.c01_g02, name="王芳", id_number=wang.id_number
        )
    assert list(
        Notification.objects.filter(kind="duplicate_id").values_list("user__username", flat=True)
    ) == ["c01-leader"]


def test_changing_an_id_number_to_one_registered_elsewhere_is_reported_too(world, wang):
    other = resident_create(actor=None, grid=world.c02_g01, name="李四", id_number=make_id_number(seq=7))
    with pytest.raises(DomainError, match="其他辖区"):
        resident_update(actor=world.grid_worker_c01_g01, resident=wang, id_number=other.id_number)
    assert Notification.objects.filter(kind="duplicate_id", user=world.street_admin).exists()
    wang.refresh_from_db()
    assert wang.id_number == make_id_number("19800101", 2)


@pytest.mark.parametrize("who", ["viewer", "department"])
def test_viewers_and_department_handlers_may_not_keep_the_registry(world, wang, who):
    actor = getattr(world, who)
    today = timezone.localdate()
    tag = Tag.objects.get(name="独居老人")
    attempts = [
        lambda: resident_create(
            actor=actor, grid=world.c01_g01, name="赵六", id_number=make_id_number(seq=9)
        ),
        lambda: resident_update(actor=actor, resident=wang, phone="13912345678"),
        lambda: resident_move(actor=actor, resident=wang, grid=world.c01_g02, house=NewHouse("5", "101")),
        lambda: resident_move_out(actor=actor, resident=wang, effective_date=today),
        lambda: resident_record_death(actor=actor, resident=wang, date_of_death=today),
        lambda: resident_tag_add(actor=actor, resident=wang, tag=tag),
        lambda: house_create(actor=actor, grid=world.c01_g01, building="5", room="101"),
    ]
    before = counts()
    for attempt in attempts:
        with pytest.raises(Forbidden):
            attempt()
    assert counts() == before


def test_moving_within_the_street_is_dated_history_and_the_old_household_loses_its_head(world, wang):
    old_household = wang.household
    resident_move(
        actor=world.c01_worker,
        resident=wang,
        grid=world.c01_g02,
        house=NewHouse(building="12", room="301"),
        household=NEW_HOUSEHOLD,
        effective_date=date(2026, 3, 1),
        note="购房迁入",
    )
    wang.refresh_from_db()
    assert (wang.grid, str(wang.house), wang.relation_to_head) == (world.c01_g02, "12-301", "户主")
    assert wang.household.head == wang
    assert wang.household != old_household
    assert Household.objects.get(pk=old_household.pk).head is None
    change = ResidentChange.objects.get(resident=wang, kind="move")
    assert change.effective_date == date(2026, 3, 1)
    assert change.changes["house"] == ["8-2-1401", "12-301"]
    assert change.changes["grid"] == ["S01/C01/G01", "S01/C01/G02"]
    assert change.changes["note"] == "购房迁入"
    # The name index follows the grid, so a scoped name search finds them in their new grid.
    assert set(NameGram.objects.filter(resident=wang).values_list("grid_id", flat=True)) == {world.c01_g02.pk}
    assert AuditEntry.objects.filter(object_id=str(wang.pk), changes__has_key="house").exists()


def test_moving_across_communities_needs_a_scope_over_both(world, wang):
    with pytest.raises(NotFound):
        resident_move(actor=world.c01_worker, resident=wang, grid=world.c02_g01, house=NewHouse("1", "101"))
    resident_move(actor=world.street_admin, resident=wang, grid=world.c02_g01, house=NewHouse("1", "101"))
    wang.refresh_from_db()
    assert wang.grid == world.c02_g01


def test_leaving_the_street_is_a_move_out_not_a_move(world, wang):
    s02_grid = area_create(actor=None, kind="grid", code="G01", name="东湖一格", parent=world.s02_c01)
    before = counts()
    with pytest.raises(DomainError, match="只能在本街道内迁居"):
        resident_move(actor=None, resident=wang, grid=s02_grid, house=NewHouse("1", "101"))
    assert counts() == before  # the new house in S02 was not left behind


def test_a_move_to_the_same_house_or_of_someone_who_left_is_refused(world, wang):
    with pytest.raises(DomainError, match="新住址与现住址相同"):
        resident_move(actor=None, resident=wang, grid=world.c01_g01, house=wang.house)
    resident_move_out(actor=None, resident=wang, effective_date=timezone.localdate())
    with pytest.raises(DomainError, match="已迁出，不能迁居"):
        resident_move(actor=None, resident=wang, grid=world.c01_g02, house=NewHouse("5", "101"))


def test_moving_out_keeps_the_record_and_history_and_leaves_the_visit_list(world, wang):
    care_plan_create(actor=None, area=world.c01, resident=wang, interval_days=30)
    assert VisitTarget.objects.filter(resident=wang).exists()
    resident_move_out(
        actor=world.grid_worker_c01_g01,
        resident=wang,
        effective_date=date(2026, 5, 1),
        destination="成都市武侯区",
        note="工作调动",
    )
    wang.refresh_from_db()
    assert (wang.status, wang.status_since) == ("moved_out", date(2026, 5, 1))
    assert wang.house is not None  # the last address stays
    change = ResidentChange.objects.get(resident=wang, kind="status")
    assert change.changes == {"status": ["active", "moved_out"], "note": "迁往：成都市武侯区；工作调动"}
    assert not VisitTarget.objects.filter(resident=wang).exists()
    assert ResidentChange.objects.filter(resident=wang).count() == 2  # registration and the move out


def test_a_death_is_final_and_cannot_be_dated_in_the_future_or_before_birth(world, wang):
    with pytest.raises(DomainError, match="不能晚于今天"):
        resident_record_death(
            actor=None, resident=wang, date_of_death=timezone.localdate() + timedelta(days=1)
        )
    with pytest.raises(DomainError, match="不能早于出生日期"):
        resident_record_death(actor=None, resident=wang, date_of_death=date(1979, 1, 1))
    resident_record_death(actor=world.c01_leader, resident=wang, date_of_death=date(2026, 6, 1), note="病故")
    wang.refresh_from_db()
    assert wang.status == "deceased"
    with pytest.raises(DomainError, match="不能恢复状态"):
        resident_move_out(actor=None, resident=wang, effective_date=date(2026, 6, 2))


@pytest.fixture
def duplicate(world, wang):
    """The same woman registered again, with her number mistyped (a different valid number), in G02."""
    return resident_create(
        actor=world.grid_worker_c01_g02,
        grid=world.c01_g02,
        name="王芳",
        id_number=make_id_number("19800101", 4),
        phone="13900139000",
        tags=[Tag.objects.get(name="独居老人")],
    )


def test_merging_moves_history_tags_visits_and_cases_and_marks_the_duplicate(world, wang, duplicate):
    visit = visit_create(
        actor=world.grid_worker_c01_g02, resident=duplicate, mode="phone", observations="电话问候"
    )
    parent = category_create(actor=None, code="T", name="测试大类")
    category = category_create(actor=None, code="T-X", name="测试小类", parent=parent)
    case = case_create(
        actor=world.c01_worker,
        category=category,
        channel="walk_in",
        title="楼道灯坏了",
        description="2 单元楼道灯不亮。",
        area=world.c01_g02,
        resident=duplicate,
    )
    care_plan_create(actor=None, area=world.c01, resident=duplicate, interval_days=30)
    moved = resident_merge(
        actor=world.c01_leader, survivor=wang, duplicate=duplicate, note="同一人，号码录错"
    )
    assert moved["visits"] == 1
    assert moved["cases"] == 1
    assert moved["tags"] == 1
    assert moved["history"] == 1
    duplicate.refresh_from_db()
    assert (duplicate.status, duplicate.merged_into) == ("merged", wang)
    assert duplicate.house is None
    assert duplicate.household is None
    assert Visit.objects.get(pk=visit.pk).resident == wang
    assert Case.objects.get(pk=case.pk).resident == wang
    assert CarePlan.objects.get(resident=wang).interval_days == 30
    assert VisitTarget.objects.filter(resident=wang).exists()
    assert not VisitTarget.objects.filter(resident=duplicate).exists()
    assert list(ResidentTag.objects.filter(resident=wang).values_list("tag__name", flat=True)) == ["独居老人"]
    kinds = list(
        ResidentChange.objects.filter(resident=wang).order_by("at", "id").values_list("kind", flat=True)
    )
    assert kinds == ["create", "create", "merge"]  # the duplicate's registration came along
    assert ResidentChange.objects.get(resident=duplicate).changes["merged_into"] == [None, "王芳"]
    assert AuditEntry.objects.filter(object_id=str(duplicate.pk), changes__merged_into=wang.pk).exists()
    # The duplicate's number stays taken, and says where it went.
    with pytest.raises(DomainError, match="已合并到居民 王芳"):
        resident_create(
            actor=world.c01_leader, grid=world.c01_g01, name="王芳", id_number=duplicate.id_number
        )
    with pytest.raises(DomainError, match="已合并过"):
        resident_merge(actor=world.c01_leader, survivor=wang, duplicate=duplicate)


def test_merging_needs_the_reveal_right_and_both_records_in_scope(world, wang, duplicate):
    before = counts()
    with pytest.raises(Forbidden):  # a grid worker sees masked numbers only: cannot tell the two apart
        resident_merge(actor=world.grid_worker_c01_g01, survivor=wang, duplicate=duplicate)
    with pytest.raises(Forbidden):
        resident_merge(actor=world.c01_worker, survivor=wang, duplicate=duplicate)
    other = resident_create(actor=None, grid=world.c02_g01, name="王芳", id_number=make_id_number(seq=21))
    with pytest.raises(NotFound):
        resident_merge(actor=world.c01_leader, survivor=wang, duplicate=other)
    with pytest.raises(DomainError, match="另一条"):
        resident_merge(actor=world.c01_leader, survivor=wang, duplicate=wang)
    assert counts()[0] == before[0] + 1
    assert Resident.objects.filter(status="merged").count() == 0


def test_a_merged_record_cannot_be_edited_or_tagged(world, wang, duplicate):
    resident_merge(actor=world.street_admin, survivor=wang, duplicate=duplicate)
    with pytest.raises(DomainError, match="已合并"):
        resident_update(actor=world.street_admin, resident=duplicate, phone="13700137000")
    with pytest.raises(DomainError, match="已合并"):
        resident_set_tags(actor=world.street_admin, resident=duplicate, tags=[])


def test_tags_are_added_and_removed_one_at_a_time_in_the_history(world, wang):
    alone = Tag.objects.get(name="独居老人")
    assert resident_tag_add(actor=world.grid_worker_c01_g01, resident=wang, tag=alone) == {
        "tags_added": ["独居老人"],
        "tags_removed": [],
    }
    assert resident_tag_add(actor=world.grid_worker_c01_g01, resident=wang, tag=alone) == {}
    resident_tag_remove(actor=world.grid_worker_c01_g01, resident=wang, tag=alone)
    assert not ResidentTag.objects.filter(resident=wang).exists()
    assert ResidentChange.objects.filter(resident=wang, kind="update").count() == 2


def test_a_grid_worker_neither_adds_nor_removes_a_sensitive_tag(world, wang):
    low_income = Tag.objects.get(name="低保")
    resident_tag_add(actor=world.c01_worker, resident=wang, tag=low_income)
    for change in (resident_tag_add, resident_tag_remove):
        with pytest.raises(DomainError, match="无权设置敏感标签"):
            change(actor=world.grid_worker_c01_g01, resident=wang, tag=low_income)
    assert ResidentTag.objects.filter(resident=wang, tag=low_income).exists()


def test_residents_of_hong_kong_macao_taiwan_and_foreign_permanent_residents_are_registered(world):
    from linli.registry.idnumber import check_char

    numbers = {
        "陈大文": "81000019900101123",  # 香港居民居住证
        "何嘉欣": "82000019920202124",  # 澳门居民居住证
        "林志明": "83000019850303125",  # 台湾居民居住证
    }
    for name, body in numbers.items():
        resident = resident_create(
            actor=None, grid=world.c01_g01, name=name, id_number=body + check_char(body)
        )
        assert resident.birth_date.year in (1990, 1992, 1985)
    # The example the National Immigration Administration's 2023 rules give.
    foreigner = resident_create(
        actor=None, grid=world.c01_g01, name="艾哈迈德", id_number="932682198501010017"
    )
    assert (foreigner.birth_date, foreigner.gender) == (date(1985, 1, 1), "male")
    with pytest.raises(DomainError, match="2017 版外国人永久居留身份证"):
        resident_create(actor=None, grid=world.c01_g01, name="阿斯兰", id_number="KAZ110090123105")


def test_a_personal_care_plan_follows_the_resident_to_the_new_grid(world, wang):
    care_plan_create(actor=None, area=world.c01, resident=wang, interval_days=30)
    resident_move(actor=world.c01_worker, resident=wang, grid=world.c01_g02, house=NewHouse("12", "301"))
    assert CarePlan.objects.get(resident=wang).area == world.c01_g02
    assert VisitTarget.objects.get(resident=wang).grid == world.c01_g02
