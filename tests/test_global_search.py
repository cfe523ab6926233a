"""The global search: one box, each module answering for its own records, scoped; numbers are the
resident list's (masked, audited, rate-limited), so the box only points there."""

from __future__ import annotations

import pytest
from django.test import Client

from linli.cases.tests.conftest import build_case_world, new_case
from linli.core.modules import global_search
from linli.registry.services import resident_create
from tests.factories import make_id_number

pytestmark = pytest.mark.django_db


def test_one_box_finds_residents_and_cases_in_scope_only(world, client: Client):
    cw = build_case_world(world)
    resident_create(actor=None, grid=world.c01_g01, name="王小明", id_number=make_id_number(seq=71))
    resident_create(actor=None, grid=world.c02_g01, name="王大明", id_number=make_id_number(seq=73))
    case = new_case(cw, title="王家楼道灯坏了")
    kinds = {(h.kind, h.label.split("（")[0]) for h in global_search(world.grid_worker_c01_g01, "王")}
    assert ("居民", "王小明") in kinds
    assert ("居民", "王大明") not in kinds  # another community's grid
    numbers = [h.label for h in global_search(world.c01_worker, case.number)]
    assert any(label.startswith(case.number) for label in numbers)
    client.force_login(world.grid_worker_c01_g01)
    page = client.get("/search/", {"q": "wxm"}).content.decode()
    assert "王小明" in page


def test_residents_come_in_the_resident_lists_order_and_the_rest_is_one_link_away(world, client: Client):
    names = ["王" + c for c in "安波聪德恩飞刚华杰凯龙明"]  # in pinyin order: an, bo, cong, …
    for i, name in enumerate(reversed(names)):
        resident_create(actor=None, grid=world.c01_g01, name=name, id_number=make_id_number(seq=100 + i))
    for query in ("王", "wang"):  # a name's matches are sorted; pinyin's are read in the index's order
        hits = [h for h in global_search(world.c01_worker, query) if h.kind == "居民"]
        assert [h.label.split("（")[0] for h in hits[:10]] == names[:10]
        assert hits[10].label == "更多居民…"
    client.force_login(world.c01_worker)
    listing = client.get(hits[10].url).content.decode()
    assert [n for n in names if n in listing] == names
    assert listing.index(names[9]) < listing.index(names[10]) < listing.index(names[11])


def test_a_number_is_sent_to_the_resident_list_not_matched_here(world):
    resident_create(actor=None, grid=world.c01_g01, name="李四", id_number=make_id_number(seq=75))
    hits = global_search(world.c01_worker, "0755")
    assert [h.kind for h in hits if h.kind == "居民"] == ["居民"]
    assert "李四" not in " ".join(h.label for h in hits)


def test_a_department_handler_finds_no_residents(world):
    resident_create(actor=None, grid=world.c01_g01, name="赵六", id_number=make_id_number(seq=77))
    assert [h for h in global_search(world.department, "赵") if h.kind == "居民"] == []


def _volunteer(world, name: str, seq: int, kind: str = "resident"):
    from linli.volunteers.services import volunteer_register

    return volunteer_register(
        actor=None,
        community=world.c01,
        name=name,
        id_number=make_id_number("19800101", seq),
        phone=f"1390000{seq:04d}",
        kind=kind,
        grid=world.c01_g01,
        unit_name="区税务局" if kind == "party_member" else "",
    )


def test_volunteers_are_found_by_name_in_scope_and_numbers_go_to_their_list(world):
    _volunteer(world, "郑志愿", 81)
    found = [h for h in global_search(world.c01_worker, "郑志愿") if h.kind == "志愿者"]
    assert [h.label.split("（")[0] for h in found] == ["郑志愿"]
    assert "身份" not in found[0].label
    assert "139" not in found[0].label
    assert [h for h in global_search(world.grid_worker_c02_g01, "郑志愿") if h.kind == "志愿者"] == []
    assert [h for h in global_search(world.department, "郑志愿") if h.kind == "志愿者"] == []
    by_number = [h for h in global_search(world.c01_worker, "13900000081") if h.kind == "志愿者"]
    assert len(by_number) == 1
    assert "郑志愿" not in by_number[0].label
    assert by_number[0].url.startswith("/volunteers/?q=")


def test_the_people_visits_cover_are_found_with_their_next_visit_in_scope(world):
    from linli.visits.services import care_plan_create, pairing_create

    resident = resident_create(
        actor=None, grid=world.c01_g01, name="冯关怀", id_number=make_id_number(seq=83)
    )
    care_plan_create(actor=None, interval_days=30, resident=resident)
    pairing_create(actor=None, resident=resident, visitor=world.grid_worker_c01_g01)
    found = [h for h in global_search(world.grid_worker_c01_g01, "冯关怀") if h.kind == "走访对象"]
    assert len(found) == 1
    assert "应访" in found[0].label
    assert found[0].url == f"/registry/residents/{resident.pk}/"
    assert [h for h in global_search(world.grid_worker_c01_g02, "冯关怀") if h.kind == "走访对象"] == []


def _member_and_not(world):
    """Two residents alike in all but one thing: 林甲 is a party member (their volunteer record is an
    在职党员报到 one, their pairing a 党员 one); 林乙 is not."""
    from datetime import date

    from linli.party import services as party
    from linli.visits.services import care_plan_create, pairing_create

    branch = party.organisation_create(
        actor=None, name="锦绣党支部", kind="branch", area=world.c01, founded_on=date(2020, 1, 1)
    )
    people = {}
    for name, seq, member in [("林甲", 85, True), ("林乙", 86, False)]:
        resident = resident_create(
            actor=None, grid=world.c01_g01, name=name, id_number=make_id_number("19700101", seq)
        )
        volunteer = _volunteer(world, name, seq, "party_member" if member else "resident")
        care_plan_create(actor=None, interval_days=30, resident=resident)
        pairing_create(
            actor=None,
            resident=resident,
            visitor=world.grid_worker_c01_g01,
            kind="party_member" if member else "worker",
        )
        if member:
            m = party.member_create(
                actor=None, organisation=branch, resident=resident, joined_on=date(2000, 7, 1)
            )
            party.member_link_volunteer(actor=None, member=m, volunteer=volunteer)
        people[name] = resident
    return people


def _normalised(text: str, name: str) -> str:
    import re
    from urllib.parse import quote

    text = text.replace(name, "某").replace(quote(name), "某")
    text = re.sub(r"/\d+/", "/N/", text)
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", text)
    return re.sub(r'"X-CSRFToken": "[^"]+"', "", text)


def test_an_insider_without_party_learns_nothing_of_membership_from_the_search(world, client: Client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _member_and_not(world)
    insider = world.c01_worker  # sees both people, their volunteer records and visits; no `party`
    assert not insider.can("party")
    client.force_login(insider)
    pages, queries, hits = {}, {}, {}
    for name in ("林甲", "林乙"):
        client.get("/search/", {"q": name})  # warm: the first request of a session reads more
        with CaptureQueriesContext(connection) as captured:
            response = client.get("/search/", {"q": name})
        assert response.status_code == 200
        pages[name] = _normalised(response.content.decode(), name)
        queries[name] = len(captured)
        hits[name] = [(h.kind, _normalised(h.label, name)) for h in global_search(insider, name)]
        assert "党员" not in " ".join(label for _, label in hits[name])
    assert hits["林甲"] == hits["林乙"]
    assert {kind for kind, _ in hits["林甲"]} == {"居民", "志愿者", "走访对象"}
    assert pages["林甲"] == pages["林乙"]
    assert queries["林甲"] == queries["林乙"]
    # Pinyin and initials too.
    assert len(global_search(insider, "linjia")) == len(global_search(insider, "linyi"))
    # The difference is there to be found, by a user who may see it.
    leader = [h for h in global_search(world.c01_leader, "林甲") if h.kind == "党员"]
    assert [h.label.split("（")[0] for h in leader] == ["林甲"]
    assert [h for h in global_search(world.c01_leader, "林乙") if h.kind == "党员"] == []
    assert [h.label.split("（")[0] for h in global_search(world.c01_leader, "lj") if h.kind == "党员"] == [
        "林甲"
    ]


def test_party_members_out_of_the_leaders_scope_are_not_found(world):
    from datetime import date

    from linli.party import services as party

    branch = party.organisation_create(
        actor=None, name="和平党支部", kind="branch", area=world.c02, founded_on=date(2020, 1, 1)
    )
    party.member_create(actor=None, organisation=branch, name="吴和平", joined_on=date(2005, 1, 1))
    assert [h for h in global_search(world.c01_leader, "吴和平") if h.kind == "党员"] == []
    assert [h.kind for h in global_search(world.street_admin, "吴和平")] == ["党员"]
