"""The global search box as a community worker uses it, on a desk and on a phone: a surname, its first ten
residents in the resident list's order, and the link that continues that list."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from linli.registry.services import resident_create
from tests.browser.test_shell import sign_in
from tests.factories import build_world, make_id_number

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("LINLI_SCREENSHOTS", "")
NAMES = ["王" + c for c in "安波聪德恩飞刚华杰凯龙明"]  # pinyin order: an, bo, cong, …


@pytest.fixture
def live_search(transactional_db, live_server):
    w = build_world()
    for i, name in enumerate(reversed(NAMES)):
        resident_create(actor=None, grid=w.c01_g01, name=name, id_number=make_id_number(seq=200 + i))
    resident_create(actor=None, grid=w.c02_g01, name="王外社", id_number=make_id_number(seq=240))
    return live_server.url


@pytest.mark.parametrize("width", [1366, 375])
def test_a_surname_lists_ten_residents_in_order_and_the_rest_is_the_list(live_search, page_factory, width):
    page = page_factory(width)
    sign_in(page, live_search, "c01-worker")
    page.goto(f"{live_search}/search/")
    page.get_by_label("搜索", exact=True).fill("王")
    page.get_by_role("button", name="搜索").click()
    group = page.get_by_test_id("search-group").filter(has_text="居民")
    links = group.get_by_role("link")
    expect(links).to_have_count(11)
    labels = links.all_inner_texts()
    assert [label.split("（")[0] for label in labels[:10]] == NAMES[:10]
    assert all("第一网格" in label for label in labels[:10])  # where each lives, by name
    expect(group).not_to_contain_text("王外社")  # another community
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SHOTS}/search-{width}.png", full_page=True)
    links.last.click()
    expect(page).to_have_url(re.compile(r"/registry/residents/\?q="))
    body = page.locator("main")
    for name in NAMES:
        expect(body).to_contain_text(name)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/search-{width}-more.png", full_page=True)
