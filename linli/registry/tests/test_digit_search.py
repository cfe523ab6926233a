"""Searching residents by identity or phone digits must not undo the mask (issue 16, item 1).

A grid worker sees 3705**********1234 and 138****8000. Matching ever longer endings of the number, one
guessed digit at a time, used to recover all of it in a few dozen searches: these tests run that
attack through the API, the 人口台账 page and the visit picker.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from linli.cases.models import Notification
from linli.core.models import AuditEntry
from linli.registry.models import Resident
from linli.registry.services import resident_create
from tests.factories import PASSWORD, make_id_number

ID_NUMBER = make_id_number("19820222", 765, region="510104")
PHONE = "13912347657"
REFUSED = "只能按身份证号或电话的后 4 位查找"


@pytest.fixture
def target(world) -> Resident:
    """The resident whose numbers the attacker wants, in the grid worker's own grid; and some others."""
    for seq, phone in ((11, "13800001111"), (13, "13700002222"), (15, "")):
        resident_create(
            actor=None,
            grid=world.c01_g01,
            name=f"邻居{seq}",
            id_number=make_id_number("19700101", seq),
            phone=phone,
        )
    return resident_create(actor=None, grid=world.c01_g01, name="赵敏", id_number=ID_NUMBER, phone=PHONE)


def grow_ending(found: Callable[[str], bool], visible: str, length: int) -> str:
    """The attack: starting from the visible ending, guess the digit before it until a search finds the
    target, and go on; stop when no guess finds it. Returns what was recovered."""
    known = visible
    while len(known) < length:
        for digit in "0123456789":
            if found(digit + known):
                known = digit + known
                break
        else:
            return known
    return known


def api_probe(client: Client, headers: dict[str, Any], name: str, seen: list[int]) -> Callable[[str], bool]:
    def found(query: str) -> bool:
        response = client.get("/api/v1/residents", {"search": query}, **headers)
        seen.append(response.status_code)
        return response.status_code == 200 and name in {r["name"] for r in response.json()["items"]}

    return found


def page_probe(client: Client, url: str, name: str, seen: list[int], **extra: Any) -> Callable[[str], bool]:
    def found(query: str) -> bool:
        response = client.get(url, {"q": query}, **extra)
        seen.append(response.status_code)
        return name in response.content.decode()

    return found


# --- the attack -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("number", "length"), [("id_number", 18), ("phone", 11)])
def test_growing_the_ending_over_the_api_recovers_nothing_the_mask_hides(
    world, target, bearer, number, length
):
    full = getattr(target, number)
    seen: list[int] = []
    found = api_probe(Client(), bearer(world.grid_worker_c01_g01), "赵敏", seen)
    assert found(full[-4:])  # what the masked view shows is searchable
    assert grow_ending(found, full[-4:], length) == full[-4:]
    assert set(seen[1:]) == {400}  # refused, not an empty answer: a miss would say "not this digit"


def test_the_refusal_says_why_in_the_api(world, target, bearer):
    response = Client().get(
        "/api/v1/residents", {"search": ID_NUMBER[-6:]}, **bearer(world.grid_worker_c01_g01)
    )
    assert response.status_code == 400
    body = response.json()
    assert REFUSED in body["detail"]
    assert (body["code"], body["field"]) == ("digits_refused", "search")


def test_growing_the_ending_on_the_register_page_recovers_nothing(world, target, client_for):
    client = client_for(world.grid_worker_c01_g01)
    url = reverse("registry:residents")
    for extra in ({}, {"HTTP_HX_REQUEST": "true"}):  # the full page, and the live search box (htmx)
        seen: list[int] = []
        found = page_probe(client, url, "赵敏", seen, **extra)
        assert grow_ending(found, ID_NUMBER[-4:], 18) == ID_NUMBER[-4:]
        assert grow_ending(found, PHONE[-4:], 11) == PHONE[-4:]
        assert set(seen) == ({400} if not extra else {200})  # htmx swaps only 2xx answers
    refused = client.get(url, {"q": ID_NUMBER[-5:]}, HTTP_HX_REQUEST="true").content.decode()
    assert REFUSED in refused
    assert 'data-testid="search-error"' in refused


def test_growing_the_ending_in_the_visit_picker_recovers_nothing(world, target, client_for):
    seen: list[int] = []
    found = page_probe(client_for(world.grid_worker_c01_g01), reverse("visits:new"), "赵敏", seen)
    assert grow_ending(found, ID_NUMBER[-4:], 18) == ID_NUMBER[-4:]
    assert (
        REFUSED
        in client_for(world.grid_worker_c01_g01).get(reverse("visits:new"), {"q": "0227657"}).content.decode()
    )


def test_a_refused_search_exports_nothing_instead(world, target, client_for):
    client = client_for(world.c01_worker)  # may export, may not reveal
    url = f"{reverse('registry:export')}?q={ID_NUMBER[-8:]}"
    response = client.post(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("registry:residents"))
    assert not AuditEntry.objects.filter(action="export").exists()
    assert client.post(f"{reverse('registry:export')}?q={ID_NUMBER[-4:]}").status_code == 200
    assert AuditEntry.objects.filter(action="export").count() == 1
    assert AuditEntry.objects.filter(action="search_digits", actor=world.c01_worker).count() == 1


# --- what remains possible -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query", [ID_NUMBER[-4:], PHONE[-4:], ID_NUMBER, PHONE, "139-1234-7657", ID_NUMBER.lower()]
)
def test_without_reveal_the_visible_ending_or_the_whole_number_finds_the_resident(
    world, target, bearer, query
):
    body = Client().get("/api/v1/residents", {"search": query}, **bearer(world.grid_worker_c01_g01)).json()
    assert [r["name"] for r in body["items"]] == ["赵敏"]
    assert body["items"][0]["id_number"].count("*") == 10


def test_the_whole_number_matches_only_exactly(world, target, bearer):
    """An 18-character guess with one digit wrong finds no one: it confirms a guess, nothing more."""
    wrong = ID_NUMBER[:10] + ("1" if ID_NUMBER[10] != "1" else "2") + ID_NUMBER[11:]
    response = Client().get("/api/v1/residents", {"search": wrong}, **bearer(world.grid_worker_c01_g01))
    assert (response.status_code, response.json()["count"]) == (200, 0)


def test_a_user_who_may_reveal_still_finds_by_any_ending(world, target, bearer, client_for):
    """A community leader may reveal the number anyway: endings of any length still work for them."""
    h = bearer(world.c01_leader)
    for query in (ID_NUMBER[-6:], ID_NUMBER[-13:], PHONE[-7:]):
        body = Client().get("/api/v1/residents", {"search": query}, **h).json()
        assert [r["name"] for r in body["items"]] == ["赵敏"], query
    page = client_for(world.c01_leader).get(reverse("registry:residents"), {"q": ID_NUMBER[-6:]})
    assert page.status_code == 200
    assert "赵敏" in page.content.decode()
    assert "邻居11" not in page.content.decode()


def test_the_search_box_says_what_it_accepts(world, target, client_for):
    worker = client_for(world.grid_worker_c01_g01).get(reverse("registry:residents")).content.decode()
    assert "证件号或电话后 4 位（或完整号码）" in worker
    leader = client_for(world.c01_leader).get(reverse("registry:residents")).content.decode()
    assert "证件号或电话后几位" in leader


# --- audit ----------------------------------------------------------------------------------------


def test_every_search_by_digits_is_audited_with_the_query_masked(world, target, bearer, client_for):
    Client().get("/api/v1/residents", {"search": ID_NUMBER}, **bearer(world.grid_worker_c01_g01))
    client_for(world.grid_worker_c01_g01).get(reverse("registry:residents"), {"q": PHONE})
    Client().get("/api/v1/residents", {"search": ID_NUMBER[-13:]}, **bearer(world.c01_leader))
    client_for(world.grid_worker_c01_g01).get(reverse("visits:new"), {"q": PHONE[-4:]})
    entries = list(AuditEntry.objects.filter(action="search_digits").order_by("pk"))
    assert [(e.actor, e.via, e.changes["query"], e.changes["match"]) for e in entries] == [
        (world.grid_worker_c01_g01, "api", ID_NUMBER[:4] + "*" * 10 + ID_NUMBER[-4:], "exact"),
        (world.grid_worker_c01_g01, "web", "139****7657", "exact"),
        (world.c01_leader, "api", "*" * 9 + ID_NUMBER[-4:], "ending"),
        (world.grid_worker_c01_g01, "web", PHONE[-4:], "ending"),
    ]
    # The audit log shows no more of a number than the mask does: the hidden middle is nowhere in it.
    everything = json.dumps(list(AuditEntry.objects.values().order_by("pk")), default=str, ensure_ascii=False)
    for hidden in (ID_NUMBER[4:14], ID_NUMBER[-13:], PHONE[:7], PHONE[-8:]):
        assert hidden not in everything
    # Read by the street admin on the audit page, under its own name.
    page = client_for(world.street_admin).get(reverse("core:audit"), {"action": "search_digits"})
    assert "按号码查找" in page.content.decode()
    # Who looked for numbers ending 7657? The audit page's keyword finds it in the masked query.
    found = client_for(world.street_admin).get(reverse("core:audit"), {"q": "7657"}).content.decode()
    assert "139****7657" in found


def test_searches_that_are_not_by_digits_and_refused_shapes_are_not_audited(world, target, bearer):
    h = bearer(world.grid_worker_c01_g01)
    for query in ("赵敏", "zm", "8-1401", ID_NUMBER[-7:]):
        Client().get("/api/v1/residents", {"search": query}, **h)
    assert not AuditEntry.objects.filter(action__in=["search_digits", "search_limited"]).exists()


# --- rate limit and alert ---------------------------------------------------------------------------

START = datetime(2026, 12, 1, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def test_too_many_searches_by_digits_are_refused_and_the_street_admin_alerted(
    world, target, bearer, client_for, settings
):
    settings.LINLI_DIGIT_SEARCHES_PER_HOUR = 3
    with time_machine.travel(START, tick=False) as clock:
        api, web = bearer(world.grid_worker_c01_g01), client_for(world.grid_worker_c01_g01)
        # The web and the API share one count.
        assert Client().get("/api/v1/residents", {"search": "7657"}, **api).status_code == 200
        assert web.get(reverse("registry:residents"), {"q": "1111"}).status_code == 200
        assert Client().get("/api/v1/residents", {"search": PHONE}, **api).status_code == 200
        clock.shift(timedelta(minutes=30))
        refused = Client().get("/api/v1/residents", {"search": "2222"}, **api)
        assert refused.status_code == 429
        assert refused.json()["code"] == "rate_limited"
        assert "一小时内按身份证号或电话查找已达 3 次" in refused.json()["detail"]
        page = web.get(reverse("registry:residents"), {"q": "2222"})
        assert page.status_code == 429
        assert "请稍后再试" in page.content.decode()
        assert "邻居13" not in page.content.decode()
        # Names and places still work: only searches by digits are limited.
        assert Client().get("/api/v1/residents", {"search": "邻居"}, **api).json()["count"] == 3

        # The street admin of the worker's street is told once, in the inbox; no one else.
        alerts = Notification.objects.filter(kind="security")
        assert [n.user for n in alerts] == [world.street_admin]
        assert "网格员" in alerts[0].text
        assert world.grid_worker_c01_g01.full_name in alerts[0].text
        assert alerts[0].link.startswith(reverse("core:audit"))
        limited = AuditEntry.objects.filter(action="search_limited", actor=world.grid_worker_c01_g01)
        assert [e.changes["alerted"] for e in limited.order_by("pk")] == [True, False]
        inbox = client_for(world.street_admin).get(reverse("cases:inbox")).content.decode()
        assert "安全提醒" in inbox

        # An hour after the first three, they have left the window: three more, and the limit again.
        clock.shift(timedelta(minutes=31))
        for _ in range(3):
            assert Client().get("/api/v1/residents", {"search": "2222"}, **api).status_code == 200
        assert Client().get("/api/v1/residents", {"search": "2222"}, **api).status_code == 429
        assert alerts.all().count() == 1  # the last alert is less than an hour old
        clock.shift(timedelta(minutes=30))
        assert Client().get("/api/v1/residents", {"search": "2222"}, **api).status_code == 429
        assert alerts.all().count() == 2
    assert AuditEntry.objects.filter(action="search_digits").count() == 6


def test_the_limit_is_per_user(world, target, bearer, settings):
    settings.LINLI_DIGIT_SEARCHES_PER_HOUR = 1
    assert (
        Client().get("/api/v1/residents", {"search": "7657"}, **bearer(world.grid_worker_c01_g01)).status_code
        == 200
    )
    assert (
        Client().get("/api/v1/residents", {"search": "7657"}, **bearer(world.grid_worker_c01_g01)).status_code
        == 429
    )
    assert (
        Client().get("/api/v1/residents", {"search": "7657"}, **bearer(world.c01_leader)).status_code == 200
    )


def test_a_street_admin_over_the_limit_alerts_the_other_admins_not_themselves(
    world, target, bearer, settings
):
    from linli.accounts.roles import Role
    from linli.accounts.services import user_create

    colleague, _ = user_create(
        actor=None, username="admin-b", role=Role.STREET_ADMIN, areas=[world.s01], password=PASSWORD
    )
    settings.LINLI_DIGIT_SEARCHES_PER_HOUR = 1
    h = bearer(world.street_admin)
    assert Client().get("/api/v1/residents", {"search": ID_NUMBER[-9:]}, **h).status_code == 200
    assert Client().get("/api/v1/residents", {"search": ID_NUMBER[-9:]}, **h).status_code == 429
    assert [n.user for n in Notification.objects.filter(kind="security")] == [colleague]


def test_zero_means_no_limit(world, target, bearer, settings):
    settings.LINLI_DIGIT_SEARCHES_PER_HOUR = 0
    h = bearer(world.grid_worker_c01_g01)
    assert {Client().get("/api/v1/residents", {"search": "7657"}, **h).status_code for _ in range(5)} == {200}
    assert AuditEntry.objects.filter(action="search_digits").count() == 5


@pytest.mark.parametrize("sort", ["id_number", "id_reversed", "phone", "-phone_reversed"])
def test_the_list_cannot_be_sorted_by_number(world, target, client_for, sort):
    """An order by the hidden digits would tell them apart as well as a search does."""
    page = client_for(world.grid_worker_c01_g01).get(reverse("registry:residents"), {"sort": sort})
    assert "选择一个有效的选项" in page.content.decode()
