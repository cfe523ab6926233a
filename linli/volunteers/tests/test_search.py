"""The volunteer search reads indexes only: a name substring through the name grams (kept on registration and
renaming), and `in_scope` selects exactly the rows `visible_to` does."""

from __future__ import annotations

from linli.volunteers import selectors, services
from linli.volunteers.models import Volunteer, VolunteerNameGram
from linli.volunteers.tests.conftest import VolunteerWorld


def _names(user, query: str) -> set[str]:
    return set(selectors.search(selectors.in_scope(user), query).values_list("name", flat=True))


def test_a_name_substring_is_found_through_the_grams(vw: VolunteerWorld):
    user = vw.w.c01_worker
    assert _names(user, "一鸣") == {"薄一鸣"}
    assert _names(user, "鸣") == {"薄一鸣"}
    assert _names(user, "薄一鸣") == {"薄一鸣"}
    assert _names(user, "一薄") == set()
    assert set(VolunteerNameGram.objects.filter(volunteer=vw.bo).values_list("gram", flat=True)) == {
        "薄",
        "一",
        "鸣",
        "薄一",
        "一鸣",
    }


def test_renaming_moves_the_grams(vw: VolunteerWorld):
    services.volunteer_update(actor=vw.w.c01_worker, volunteer=vw.bo, name="薄一凡")
    assert _names(vw.w.c01_worker, "一鸣") == set()
    assert _names(vw.w.c01_worker, "一凡") == {"薄一凡"}


def test_in_scope_is_visible_to(vw: VolunteerWorld):
    w = vw.w
    for user in (
        w.street_admin,
        w.c01_worker,
        w.grid_worker_c01_g01,
        w.grid_worker_c02_g01,
        w.other_street_admin,
    ):
        assert set(selectors.in_scope(user).values_list("pk", flat=True)) == set(
            Volunteer.objects.visible_to(user).values_list("pk", flat=True)
        ), user


def test_statistics_count_those_who_served_with_minutes_and_leave_out_those_who_left(
    vw: VolunteerWorld, clock
):
    from linli.volunteers.tests.conftest import ELEVEN, NINE

    served = services.activity_assign(actor=vw.w.c01_worker, activity=vw.activity, volunteer=vw.ann)
    services.activity_assign(actor=vw.w.c01_worker, activity=vw.activity, volunteer=vw.bo)  # never comes
    clock.move_to(NINE)
    services.record_sign_in(actor=None, record=served, token=vw.activity.checkin_token)
    clock.move_to(ELEVEN)
    services.record_sign_out(actor=None, record=served, token=vw.activity.checkin_token)
    services.records_confirm(actor=vw.w.c01_worker, activity=vw.activity)
    services.volunteer_set_status(actor=vw.w.c01_worker, volunteer=vw.cai, status="left", note="搬家")
    figures = selectors.statistics(vw.w.c01_leader, year=2026)
    c01 = next(c for c in figures.communities if c.name == "锦绣社区")
    assert (c01.volunteers, c01.active, c01.serving) == (2, 2, 1)
    assert c01.active_share == 50.0
    assert figures.total.serving == 1
    assert figures.by_team[0][0] == "锦绣助老队"
    assert figures.by_team[0][1][10] == 2.0  # November: 2 hours
