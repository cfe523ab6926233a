"""Every page a role works with, on a 375 px phone and a desk: nothing wider than the screen, lists are
cards on the phone and tables on the desk; the header holds a long name at every width; pages print
without the menu and buttons."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from playwright.sync_api import Page, expect

from linli.accounts.models import User
from linli.areas.models import Area
from linli.core.demo import DEMO_PASSWORD, build_demo
from linli.registry.models import Household, Resident
from tests.browser.helpers import assert_fits_screen, assert_rows_are_cards, assert_rows_are_table_rows
from tests.browser.test_shell import sign_in

pytestmark = pytest.mark.browser

STREET_ADMIN, LEADER, WORKER, GRID_WORKER, DEPARTMENT, VIEWER = (
    "admin",
    "c01-leader",
    "c01-worker",
    "c01g01",
    "chengguan",
    "viewer",
)

# Each list page and the roles whose work it is. The case list (/cases/) is left to the cases tests.
LIST_PAGES: dict[str, list[str]] = {
    "/registry/residents/": [STREET_ADMIN, WORKER, GRID_WORKER, VIEWER],
    "/registry/residents/{resident}/": [GRID_WORKER],
    "/registry/houses/{house}/": [GRID_WORKER],
    "/registry/households/{household}/": [GRID_WORKER],
    "/transfers/imports/": [STREET_ADMIN, WORKER],
    "/areas/{street}/": [STREET_ADMIN],
    "/areas/{community}/": [LEADER],
    "/cases/indicators/?period=month": [STREET_ADMIN, LEADER],
    "/cases/categories/": [STREET_ADMIN],
    "/cases/calendar/": [STREET_ADMIN],
    "/visits/log/": [LEADER, GRID_WORKER, VIEWER],
    "/visits/targets/": [WORKER, GRID_WORKER],
    "/visits/tasks/": [WORKER, GRID_WORKER],
    "/visits/coverage/": [STREET_ADMIN, LEADER],
    "/visits/plans/": [STREET_ADMIN, LEADER],
    "/time-bank/requests/": [WORKER, GRID_WORKER],
    "/time-bank/": [LEADER, WORKER],
    "/time-bank/pools/": [LEADER],
    "/audit/": [STREET_ADMIN],
    "/portal-admin/?done=1": [WORKER, GRID_WORKER],
    "/accounts/profile/": [DEPARTMENT, GRID_WORKER],
}
# Pages whose list is never empty in the demo street: the test insists on seeing cards there.
WITH_ROWS = {"/registry/residents/", "/visits/log/", "/visits/targets/", "/visits/coverage/"}
# Pages that are no table at all: the audit log reads as a ledger, one block an entry at every width.
LEDGERS = {"/audit/": "audit-ledger"}


# Data the migrations seed, which a transactional test before this one may have flushed.
SEEDS = (
    "linli.registry.migrations.0002_default_key_group_tags",
    "linli.registry.migrations.0004_default_tag_aliases",
    "linli.cases.migrations.0003_seed_categories",
)


@pytest.fixture
def demo_street(transactional_db, live_server):
    for module in SEEDS:
        importlib.import_module(module).seed(apps, None)
    build_demo(residents=120, cases=30, seed=7)
    resident = Resident.objects.filter(grid__path="S01/C01/G01", house__isnull=False).first()
    household = Household.objects.filter(house__building__grid__path="S01/C01/G01").first()
    assert resident is not None
    assert household is not None
    ids = {
        "resident": resident.pk,
        "house": resident.house_id,
        "household": household.pk,
        "street": Area.objects.get(path="S01").pk,
        "community": Area.objects.get(path="S01/C01").pk,
    }
    return live_server.url, ids


def _sign_in(page: Page, base: str, username: str) -> None:
    sign_in(page, base, username, DEMO_PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_contain_text("您好")


def _pages_of(role: str, ids: dict[str, int | None]) -> list[str]:
    return [path.format(**ids) for path, roles in LIST_PAGES.items() if role in roles]


@pytest.mark.parametrize("role", [STREET_ADMIN, LEADER, WORKER, GRID_WORKER, DEPARTMENT, VIEWER])
def test_every_list_page_is_cards_on_a_phone_and_a_table_on_a_desk(demo_street, page_factory, role):
    base, ids = demo_street
    phone = page_factory(375, 740)
    _sign_in(phone, base, role)
    assert_fits_screen(phone)  # the role's home page
    for path in _pages_of(role, ids):
        response = phone.goto(base + path)
        assert response is not None
        assert response.status == 200, path
        assert_fits_screen(phone)
        rows = assert_rows_are_cards(phone)
        if path in WITH_ROWS:
            assert rows > 0, f"{path} shows no rows for {role}"
        if path in LEDGERS:
            expect(phone.get_by_test_id(LEDGERS[path]).locator("li.ledger-entry").first).to_be_visible()

    desk = page_factory(1366, 860)
    _sign_in(desk, base, role)
    assert_fits_screen(desk)
    for path in _pages_of(role, ids):
        desk.goto(base + path)
        assert_fits_screen(desk)
        assert_rows_are_table_rows(desk)


def test_grids_are_named_with_their_community_where_communities_meet(demo_street, page_factory):
    """Every community of the demo street has a 第一网格: a street-wide list says whose."""
    base, _ = demo_street
    page = page_factory(1366, 860)
    _sign_in(page, base, STREET_ADMIN)
    page.goto(f"{base}/visits/coverage/")
    table = page.get_by_test_id("coverage-table")
    for community in ("锦绣社区", "和平社区", "幸福里社区", "滨河社区"):
        expect(table.get_by_role("rowheader", name=f"{community} · 第一网格")).to_be_visible()
    page.goto(f"{base}/registry/residents/")
    grid_filter = page.get_by_label("网格")
    expect(grid_filter.locator("option", has_text="和平社区 · 第一网格")).to_have_count(1)
    expect(grid_filter.locator("option", has_text="锦绣社区 · 第四网格东片")).to_have_count(1)


WIDTHS = [320, 360, 375, 414, 600, 760, 761, 800, 1024, 1280, 1366, 1600, 1920]

_HEADER = """() => {
  const box = (s) => { const e = document.querySelector(s); if (!e) return null;
    const st = getComputedStyle(e); if (st.display === "none") return null;
    const r = e.getBoundingClientRect(); return {l: r.left, r: r.right, t: r.top, b: r.bottom}; };
  return {bar: box(".topbar"), brand: box(".brand"), name: box(".user-link > span"),
          role: box(".user-link small"), out: box(".topbar-user form"), toggle: box(".nav-toggle")};
}"""


def test_the_header_holds_a_long_name_and_role_at_every_width(demo_street, page_factory):
    base, _ = demo_street
    # The longest role there is, and a long name.
    User.objects.filter(username=DEPARTMENT).update(full_name="欧阳慕容司马长孙上官诸葛")
    page = page_factory(WIDTHS[0], 700)
    _sign_in(page, base, DEPARTMENT)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 700})
        assert_fits_screen(page)
        h = page.evaluate(_HEADER)
        bar, name, role = h["bar"], h["name"], h["role"]
        for part in ("brand", "name", "role", "out"):
            if h[part]:
                assert bar["t"] - 0.5 <= h[part]["t"], (width, part, h)
                assert h[part]["b"] <= bar["b"] + 0.5, (width, part, h)
        assert h["brand"]["r"] <= name["l"], (width, "the name runs into the brand", h)
        assert name["r"] <= h["out"]["l"], (width, "the name runs into 退出", h)
        if role:  # shown on a desk, under the name
            assert name["b"] <= role["t"] + 0.5, (width, "the name overlaps the role", h)
            assert role["r"] <= h["out"]["l"], (width, h)


def test_the_closed_menu_leaves_no_strip_on_a_phone(demo_street, page_factory):
    base, _ = demo_street
    page = page_factory(375, 740)
    _sign_in(page, base, GRID_WORKER)
    nav = page.locator("#sidenav")
    # Hidden, not only moved off screen: its shadow drew a grey strip down the left edge.
    expect(nav).to_be_hidden()
    expect(nav).not_to_be_in_viewport()
    page.get_by_role("button", name="菜单").click()
    expect(nav).to_be_visible()
    expect(nav).to_be_in_viewport()
    page.get_by_role("button", name="菜单").click()
    expect(nav).to_be_hidden()


@pytest.mark.parametrize("path", ["/registry/residents/{resident}/", "/visits/log/", "/audit/"])
def test_a_printed_page_has_the_street_and_date_and_no_menu_or_buttons(demo_street, page_factory, path):
    base, ids = demo_street
    page = page_factory(1366, 860)
    _sign_in(page, base, STREET_ADMIN)
    page.goto(base + path.format(**ids))
    page.wait_for_load_state("load")
    page.emulate_media(media="print")
    header = page.locator(".print-header")
    expect(header).to_be_visible()
    expect(header).to_contain_text("望江街道")
    expect(header).to_contain_text("打印日期")
    for hidden in (".topbar", "#sidenav", "main .btn", "main button", "main form.card"):
        for element in page.locator(hidden).all():
            expect(element).to_be_hidden()
    expect(page.locator("main h1")).to_be_visible()
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF")
    page.emulate_media(media="screen")
    expect(header).to_be_hidden()
