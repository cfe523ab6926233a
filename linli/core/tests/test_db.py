"""The bulk insert helper the import and demo paths use, on whichever database the suite runs."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from linli.core.db import insert_objects, insert_rows
from linli.registry.models import Resident, ResidentChange, ResidentTag, Tag
from linli.registry.services import resident_create
from tests.factories import make_id_number


def test_insert_rows_adapts_dates_times_and_json_and_can_skip_duplicates(world) -> None:
    resident = resident_create(actor=None, grid=world.c01_g01, name="王五", id_number=make_id_number())
    tag = Tag.objects.get(code="elderly_alone")
    at = datetime(2026, 11, 20, 10, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
    insert_rows(
        ResidentChange,
        ["resident_id", "at", "actor_id", "actor_label", "kind", "effective_date", "changes"],
        [(resident.pk, at, None, "cli", "import", date(2026, 11, 1), {"name": ["王 五", "王五"]})],
    )
    change = ResidentChange.objects.get(kind="import")
    assert change.at == at
    assert change.effective_date == date(2026, 11, 1)
    assert change.changes == {"name": ["王 五", "王五"]}
    links = [(resident.pk, tag.pk, date(2026, 11, 20))]
    assert insert_rows(ResidentTag, ["resident_id", "tag_id", "since"], links, ignore_conflicts=True) == 1
    insert_rows(ResidentTag, ["resident_id", "tag_id", "since"], links, ignore_conflicts=True)
    assert ResidentTag.objects.filter(resident=resident).count() == 1


def test_insert_objects_writes_every_column_of_unsaved_instances(world) -> None:
    resident = Resident(
        grid=world.c01_g02,
        name="赵六",
        id_number=make_id_number(seq=3),
        gender="male",
        birth_date=date(1980, 1, 1),
    )
    assert insert_objects(Resident, [resident]) == 1
    saved = Resident.objects.get(id_number=resident.id_number)
    assert (saved.grid, saved.name, saved.status) == (world.c01_g02, "赵六", "active")


def test_insert_rows_adapts_each_distinct_value_once_but_keeps_equal_values_of_other_types_apart(
    world,
) -> None:
    resident = resident_create(actor=None, grid=world.c01_g01, name="孙七", id_number=make_id_number(seq=5))
    at = datetime(2026, 11, 20, 10, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
    fields = ["resident_id", "at", "actor_id", "actor_label", "kind", "effective_date", "changes"]
    # True == 1 in Python, but they are different JSON; the shared timestamp is one value.
    rows = [(resident.pk, at, None, "cli", "import", None, value) for value in (True, 1, True, "1")]
    insert_rows(ResidentChange, fields, rows)
    saved = list(ResidentChange.objects.filter(kind="import").order_by("pk").values_list("at", "changes"))
    assert [c for _, c in saved] == [True, 1, True, "1"]
    assert {a for a, _ in saved} == {at}
    assert [type(c) for _, c in saved] == [bool, int, bool, str]
