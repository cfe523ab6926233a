from __future__ import annotations

from pathlib import Path

import openpyxl

from linli.registry.models import NameGram, Resident, name_grams
from linli.registry.selectors import search
from linli.registry.services import resident_create, resident_update
from tests.factories import make_id_number


def names(query: str) -> set[str]:
    return {r.name for r in search(Resident.objects.all(), query)}


def test_grams_are_single_characters_and_pairs():
    assert name_grams("张三丰") == {"张", "三", "丰", "张三", "三丰"}
    assert name_grams("欧阳 娜娜") == {"欧", "阳", "娜", "欧阳", "阳娜", "娜娜"}


def test_the_index_follows_renames_and_moves(world):
    r = resident_create(actor=None, grid=world.c01_g01, name="赵大明", id_number=make_id_number(seq=1))
    assert names("大明") == {"赵大明"}
    resident_update(actor=None, resident=r, name="赵小明")
    assert names("大明") == set()
    assert names("小明") == {"赵小明"}
    resident_update(actor=None, resident=r, grid=world.c01_g02)
    assert set(NameGram.objects.filter(resident=r).values_list("grid", flat=True)) == {world.c01_g02.pk}


def test_longer_substrings_need_every_pair_and_the_exact_text(world):
    resident_create(actor=None, grid=world.c01_g01, name="司马相如", id_number=make_id_number(seq=3))
    resident_create(actor=None, grid=world.c01_g01, name="马相司如", id_number=make_id_number(seq=5))
    assert names("马相如") == {"司马相如"}
    assert names("司马相如") == {"司马相如"}
    assert names("相司") == {"马相司如"}


def test_imported_residents_are_indexed(world, tmp_path: Path):
    from linli.transfers.services import import_job_create, import_job_run

    wb = openpyxl.Workbook()
    wb.active.append(["姓名", "身份证号", "网格"])
    wb.active.append(["钱多多", make_id_number(seq=7), "G01"])
    wb.save(tmp_path / "a.xlsx")
    import_job_run(
        actor=None, job=import_job_create(actor=None, community=world.c01, path=tmp_path / "a.xlsx")
    )
    assert names("多多") == {"钱多多"}
    wb = openpyxl.Workbook()
    wb.active.append(["姓名", "身份证号", "网格"])
    wb.active.append(["钱少少", make_id_number(seq=7), "G01"])  # same person, name corrected
    wb.save(tmp_path / "b.xlsx")
    import_job_run(
        actor=None, job=import_job_create(actor=None, community=world.c01, path=tmp_path / "b.xlsx")
    )
    assert names("多多") == set()
    assert names("少少") == {"钱少少"}


def test_demo_residents_are_indexed(db):
    from linli.core.demo import build_demo

    build_demo(seed=4, residents=200)
    sample = Resident.objects.order_by("pk")[17]
    assert sample in search(Resident.objects.all(), sample.name[1:])
    assert NameGram.objects.values("resident").distinct().count() == 200
