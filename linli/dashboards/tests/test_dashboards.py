"""Dashboards: figures equal a direct count after writes (the memo follows every write), boundaries are
checked, the map picker's answer, the profile on paper with Chinese text, each role sees its own."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from linli.areas.services import area_update, boundary_overlaps
from linli.cases.models import Case
from linli.cases.tests.conftest import build_case_world, new_case
from linli.core.errors import DomainError
from linli.dashboards import selectors
from linli.dashboards.services import building_point_set
from linli.registry.models import Resident, ResidentStatus
from linli.registry.services import resident_create
from tests import pdfcheck
from tests.factories import make_id_number

pytestmark = pytest.mark.django_db


def square(west: float, south: float, size: float) -> dict[str, object]:
    ring = [
        [west, south],
        [west + size, south],
        [west + size, south + size],
        [west, south + size],
        [west, south],
    ]
    return {"type": "Polygon", "coordinates": [ring]}


def figure(user, label: str, area: str = ""):
    found = [f for p in selectors.panels(user, area) for f in p.figures if f.label == label]
    assert found, label
    return found[0].value


def test_population_follows_every_write_exactly(world):
    admin = world.street_admin
    before = figure(admin, "在册人口")
    assert before == Resident.objects.visible_to(admin).filter(status=ResidentStatus.ACTIVE).count()
    resident_create(actor=None, grid=world.c01_g01, name="李新", id_number=make_id_number(seq=41))
    assert figure(admin, "在册人口") == before + 1
    assert (
        figure(admin, "在册人口")
        == Resident.objects.visible_to(admin).filter(status=ResidentStatus.ACTIVE).count()
    )


def test_cases_received_this_month_follow_a_new_case(world):
    cw = build_case_world(world)
    admin = world.street_admin
    before = figure(admin, "本月受理")
    new_case(cw, title="楼道灯坏了")
    assert figure(admin, "本月受理") == before + 1 == Case.objects.visible_to(admin).count()


def test_a_grid_worker_sees_their_grid_and_their_todos_first(world):
    build_case_world(world)
    data = selectors.dashboard(world.grid_worker_c01_g01)
    assert [f.label for f in data["todo"]][:1] == ["待办工单"]
    assert figure(world.grid_worker_c01_g01, "社区") == 0  # a grid worker's scope is one grid


def test_a_department_handler_sees_their_departments_cases_only(world):
    build_case_world(world)
    panels = selectors.panels(world.department)
    assert [p.title for p in panels] == ["本部门工单"]


def test_every_figure_links_to_a_list_that_opens(world, client: Client):
    build_case_world(world)
    client.force_login(world.street_admin)
    urls = {f.url for p in selectors.panels(world.street_admin) for f in p.figures if f.url}
    urls |= {u for p in selectors.panels(world.street_admin) for c in p.charts for u in c.urls if u}
    assert urls
    for url in urls:
        assert client.get(url).status_code == 200, url


def test_a_self_crossing_boundary_is_refused(world):
    bow = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}
    with pytest.raises(DomainError, match="自相交"):
        area_update(actor=world.street_admin, area=world.c01_g01, boundary=bow)


def test_a_grid_must_lie_inside_its_community_and_overlaps_are_warned(world):
    area_update(actor=world.street_admin, area=world.c01, boundary=square(104.0, 30.0, 0.02))
    with pytest.raises(DomainError, match="超出了上级区域"):
        area_update(actor=world.street_admin, area=world.c01_g01, boundary=square(104.015, 30.0, 0.01))
    g1 = area_update(actor=world.street_admin, area=world.c01_g01, boundary=square(104.0, 30.0, 0.01))
    assert boundary_overlaps(g1) == []
    g2 = area_update(actor=world.street_admin, area=world.c01_g02, boundary=square(104.005, 30.0, 0.01))
    assert boundary_overlaps(g2) == [g1]
    # Sharing a border is no overlap.
    g2 = area_update(actor=world.street_admin, area=world.c01_g02, boundary=square(104.01, 30.0, 0.005))
    assert boundary_overlaps(g2) == []


def test_the_picker_finds_the_grid_holding_a_point(world, client: Client):
    area_update(actor=world.street_admin, area=world.c01_g01, boundary=square(104.0, 30.0, 0.01))
    client.force_login(world.c01_worker)
    found = client.get("/dashboard/map/locate/", {"lat": "30.005", "lng": "104.005"}).json()
    assert found["area"] == world.c01_g01.pk
    assert client.get("/dashboard/map/locate/", {"lat": "31", "lng": "104.005"}).json()["area"] is None
    assert client.get("/dashboard/map/locate/", {"lat": "x"}).status_code == 400


def test_a_case_placed_on_the_map_gets_its_point_and_the_grid(world, client: Client):
    cw = build_case_world(world)
    case = new_case(cw, title="井盖松动")
    client.force_login(world.c01_worker)
    response = client.post(
        f"/cases/{case.pk}/location/",
        {"area": world.c01_g02.pk, "latitude": "30.004", "longitude": "104.002"},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert (str(case.latitude), str(case.longitude), case.area_id) == (
        "30.004000",
        "104.002000",
        world.c01_g02.pk,
    )


def test_a_building_point_outside_its_grid_is_refused(world):
    cw = build_case_world(world)
    area_update(actor=world.street_admin, area=world.c01_g01, boundary=square(104.0, 30.0, 0.01))
    building = cw.house.building
    with pytest.raises(DomainError, match="不在"):
        building_point_set(actor=world.street_admin, building=building, latitude="31", longitude="104.005")
    point = building_point_set(
        actor=world.street_admin, building=building, latitude="30.005", longitude="104.005"
    )
    assert str(point.latitude) == "30.005000"
    with pytest.raises(DomainError):
        building_point_set(actor=world.c01_leader, building=building, latitude="30.005", longitude="104.005")


def test_the_profile_agrees_with_the_dashboard_and_prints_in_chinese(world, client: Client):
    for seq in range(3):
        resident_create(
            actor=None, grid=world.c01_g01, name=f"张{seq}", id_number=make_id_number(seq=50 + seq)
        )
    client.force_login(world.c01_leader)
    population = figure(world.c01_leader, "在册人口")
    profile = {f.label: f.value for _, figs in selectors.profile(world.c01_leader) for f in figs}
    assert profile["在册人口"] == population == 3
    page = client.get("/dashboard/profile/")
    assert "在册人口" in page.content.decode()
    response = client.get("/dashboard/profile/?format=pdf")
    assert response["Content-Type"] == "application/pdf"
    pages = pdfcheck.read(response.content)
    assert "概况" in pages.text
    assert "在册人口" in pages.text
    assert pdfcheck.glyphs_drawn(pages)
    xlsx = client.get("/dashboard/profile/?format=xlsx")
    assert xlsx.status_code == 200
    # A grid worker may read the profile but not export it.
    client.force_login(world.grid_worker_c01_g01)
    assert client.get("/dashboard/profile/?format=pdf").status_code == 403


def test_figures_kept_for_one_user_are_never_served_to_another(world):
    resident_create(actor=None, grid=world.c01_g01, name="赵一", id_number=make_id_number(seq=61))
    assert figure(world.street_admin, "在册人口") == 1
    assert figure(world.grid_worker_c01_g02, "在册人口") == 0
    assert figure(world.grid_worker_c01_g01, "在册人口") == 1


def test_an_edit_without_a_new_row_still_moves_the_figures(world):
    """Moving a resident out adds no resident: the audit entry of the service moves the stamp."""
    from linli.registry.services import resident_move_out

    resident = resident_create(actor=None, grid=world.c01_g01, name="钱二", id_number=make_id_number(seq=62))
    assert figure(world.street_admin, "在册人口") == 1
    resident_move_out(
        actor=world.street_admin, resident=resident, effective_date=timezone.localdate(), destination="外区"
    )
    assert figure(world.street_admin, "在册人口") == 0


def direct_population(user) -> dict[str, int]:
    active = Resident.objects.visible_to(user).filter(status=ResidentStatus.ACTIVE)
    counts = {"在册人口": active.count()}
    for value, label in Resident.ResidenceType.choices:
        counts[f"{label}人口"] = active.filter(residence_type=value).count()
    return counts


def test_the_figures_equal_a_direct_count_after_each_write_through_the_services(world):
    """Population by residence type and the open and this month's cases, read from the dashboard (kept
    between writes) against a direct count, after each of a run of writes of either module."""
    from linli.cases.models import OPEN_STATUSES
    from linli.cases.tests.conftest import run_to_handled
    from linli.registry.services import resident_move_out, resident_update

    cw = build_case_world(world)
    admin = world.street_admin

    def check() -> None:
        for label, count in direct_population(admin).items():
            assert figure(admin, label) == count, label
        cases = Case.objects.visible_to(admin)
        assert figure(admin, "未结案") == cases.filter(status__in=OPEN_STATUSES).count()
        assert figure(admin, "本月受理") == cases.count()

    check()
    people = [
        resident_create(actor=None, grid=world.c01_g01, name=f"孙{i}", id_number=make_id_number(seq=70 + i))
        for i in range(3)
    ]
    check()
    resident_update(actor=admin, resident=people[0], residence_type="floating")
    check()
    case = new_case(cw, title="路灯不亮")
    check()
    resident_update(actor=admin, resident=people[1], residence_type="lodging")
    check()
    run_to_handled(cw, case)
    check()
    from linli.cases import services as case_services

    case_services.case_reject(actor=world.c01_worker, case=new_case(cw, title="重复提交"), reason="重复")
    check()
    resident_move_out(
        actor=admin, resident=people[2], effective_date=timezone.localdate(), destination="外区"
    )
    check()


def test_a_write_moves_the_stamps_of_the_modules_that_read_its_app_only(world):
    """A note on a case recounts the cases' figures and keeps the population's; a resident's edit recounts
    the population and the visits (they follow the register) and keeps the cases'."""
    from linli.cases.services import case_comment
    from linli.core.modules import dashboard_figures
    from linli.registry.services import resident_update

    cw = build_case_world(world)
    admin = world.street_admin
    contributions = dashboard_figures(admin)
    case = new_case(cw, title="井盖缺失")
    resident = resident_create(actor=None, grid=world.c01_g01, name="周五", id_number=make_id_number(seq=80))
    before = selectors.stamps(contributions)
    case_comment(actor=admin, case=case, note="已联系管道公司")
    after_case = selectors.stamps(contributions)
    assert {app for app in before if before[app] != after_case[app]} == {"cases"}
    resident_update(actor=admin, resident=resident, residence_type="floating")
    after_resident = selectors.stamps(contributions)
    assert {app for app in before if after_case[app] != after_resident[app]} == {"registry", "visits"}


def test_reading_and_exporting_move_no_stamp(world, client: Client):
    """Only writes recount: a profile export, a sign-in and a reveal leave audit entries with no app."""
    from linli.core.audit import audit_record
    from linli.core.modules import dashboard_figures

    resident = resident_create(actor=None, grid=world.c01_g01, name="吴六", id_number=make_id_number(seq=81))
    contributions = dashboard_figures(world.street_admin)
    before = selectors.stamps(contributions)
    client.force_login(world.c01_leader)
    assert client.get("/dashboard/profile/?format=xlsx").status_code == 200
    audit_record(actor=world.street_admin, action="reveal", obj=resident, changes={"field": "id_number"})
    assert selectors.stamps(contributions) == before


def test_a_write_of_no_app_recounts_every_module(world):
    """A write whose entry names no app (a restore) cannot say what it changed: every module counts again."""
    from linli.core.audit import audit_record
    from linli.core.modules import dashboard_figures

    contributions = dashboard_figures(world.street_admin)
    before = selectors.stamps(contributions)
    audit_record(actor=None, action="restore", object_repr="备份恢复")
    after = selectors.stamps(contributions)
    assert all(before[app] != after[app] for app in before)


def test_the_kept_figures_follow_a_write_made_on_another_server(world):
    """Figures are kept in the cache, but the stamp is read from the database on every request: a write by
    another server (which cannot touch this server's cache) still shows at once."""
    admin = world.street_admin
    assert figure(admin, "在册人口") == 0
    from django.core.cache import cache

    # This server's memory as it is now; the write below reaches only the database.
    snapshot = dict(cache._cache)  # type: ignore[attr-defined]
    resident_create(actor=None, grid=world.c01_g01, name="郑七", id_number=make_id_number(seq=82))
    cache._cache.clear()  # type: ignore[attr-defined]
    cache._cache.update(snapshot)  # type: ignore[attr-defined]
    assert figure(admin, "在册人口") == 1


def chart(user, title: str):
    found = [c for p in selectors.panels(user) for c in p.charts if c.title == title]
    assert found, title
    return found[0]


def test_the_age_pyramid_and_the_case_trend_equal_a_direct_count(world):
    """The pyramid's bars (a count per gender and band) and the trend's months (a count per month) against
    the resident list's age filter and the cases received in that month, after writes."""
    from datetime import date

    from linli.cases.tests.conftest import run_to_handled
    from linli.registry.forms import AGE_BANDS, _years_ago
    from linli.registry.models import Gender

    cw = build_case_world(world)
    admin = world.street_admin
    for seq, birth in enumerate(["19400101", "19600615", "19900301", "20150101", "19640229"]):
        resident_create(
            actor=None,
            grid=world.c01_g01,
            name=f"冯{seq}",
            id_number=make_id_number(birth=birth, seq=90 + seq),
        )
    run_to_handled(cw, new_case(cw, title="垃圾清运"))
    new_case(cw, title="占道经营")
    today = date.today()  # noqa: DTZ011  (as the pyramid counts)
    active = Resident.objects.visible_to(admin).filter(status=ResidentStatus.ACTIVE)
    pyramid = chart(admin, "年龄结构")
    for gender, label in Gender.choices:
        bars = dict(pyramid.series)[label]
        for i, (band, _) in enumerate(AGE_BANDS):
            low, _, high = band.partition("-")
            people = active.filter(gender=gender, birth_date__lte=_years_ago(today, int(low)))
            if high:
                people = people.filter(birth_date__gt=_years_ago(today, int(high) + 1))
            assert bars[i] == people.count(), (label, band)
    trend = chart(admin, "近 12 个月受理与结案")
    received, closed = dict(trend.series)["受理"], dict(trend.series)["已结案"]
    cases = Case.objects.visible_to(admin)
    month = timezone.localtime().strftime("%Y-%m")
    assert trend.labels[-1] == month
    assert received[-1] == cases.count() == 2
    assert closed[-1] == cases.filter(status="closed").count()
    assert sum(received[:-1]) == 0
