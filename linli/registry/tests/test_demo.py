from __future__ import annotations

from linli.areas.models import Area
from linli.core.demo import build_demo
from linli.registry.idnumber import parse
from linli.registry.models import Household, Resident


def test_demo_residents_look_like_a_real_street(db):
    result = build_demo(seed=3, residents=600)
    assert result.residents == Resident.objects.count() == 600
    for number in Resident.objects.values_list("id_number", flat=True):
        parse(number)  # every demo identity number passes GB 11643
    assert not Household.objects.filter(head=None).exists()
    assert not Resident.objects.filter(house=None).exists()
    # Spread over every leaf grid of the demo street (a grid split into sub-grids has none of its own).
    leaves = Area.objects.filter(kind="grid", children__isnull=True)
    assert set(Resident.objects.order_by().values_list("grid", flat=True).distinct()) == set(
        leaves.values_list("pk", flat=True)
    )
    assert Resident.objects.filter(name_pinyin="").count() == 0
    heads = Resident.objects.filter(relation_to_head="户主").count()
    assert heads == Household.objects.count()


def test_demo_residents_never_run_out_of_houses(db):
    from linli.areas.services import area_create
    from linli.registry.demo import build_demo_residents

    street = area_create(actor=None, kind="street", code="S09", name="测试街道")
    community = area_create(actor=None, kind="community", code="C01", name="测试社区", parent=street)
    area_create(actor=None, kind="grid", code="G01", name="第一网格", parent=community)
    # 375 people: the old estimate built one building (144 houses); with vacancies they need ~151.
    assert build_demo_residents(street=street, count=375, seed=1) == 375
