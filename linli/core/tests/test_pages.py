from __future__ import annotations

from django.urls import reverse

from linli.core.middleware import CONTENT_SECURITY_POLICY


def test_anonymous_visitors_are_sent_to_login(db, client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_home_shows_the_scope_in_figures(world, client_for):
    body = client_for(world.c01_leader).get("/").content.decode()
    assert "锦绣社区" in body
    assert "和平社区" not in body


def test_home_flags_grids_without_a_worker(world, client_for):
    from linli.areas.services import area_create

    area_create(actor=None, kind="grid", code="G09", name="无人网格", parent=world.c01)
    body = client_for(world.c01_leader).get("/").content.decode()
    assert "无人网格" in body


def test_navigation_lists_only_modules_the_user_may_open(world, client_for):
    admin_page = client_for(world.street_admin).get("/").content.decode()
    worker_page = client_for(world.grid_worker_c01_g01).get("/").content.decode()
    assert reverse("core:audit") in admin_page
    assert reverse("core:audit") not in worker_page


def test_ui_is_chinese_even_when_the_browser_asks_for_english(world, client_for):
    body = client_for(world.c01_leader).get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert 'lang="zh-hans"' in body
    assert "首页" in body


def test_english_when_the_user_chooses_it(world, client_for):
    client = client_for(world.c01_leader)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    body = client.get("/").content.decode()
    assert 'lang="en"' in body
    assert "Home" in body


def test_security_headers_on_every_page(world, client_for):
    response = client_for(world.c01_leader).get("/")
    assert response["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert "script-src 'self'" in CONTENT_SECURITY_POLICY
    assert "unsafe-inline" not in CONTENT_SECURITY_POLICY
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "no-store"


def test_pages_carry_no_inline_script_and_no_external_assets(world, client_for):
    import re

    body = client_for(world.street_admin).get(reverse("areas:tree")).content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", body)
    assert not re.search(r"""(src|href)=["']https?://""", body)
    assert " on" + "click=" not in body


def test_404_page_is_in_chinese(world, client_for):
    response = client_for(world.c01_leader).get("/no-such-page/")
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()
