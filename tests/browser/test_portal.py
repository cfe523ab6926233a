"""The residents' portal in a real browser at phone width: signing in with the code from the text message,
filing with a photo, rating a closed case, acting for a relative; the first load's weight, 320 px, large
text and the offline shell."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from linli.cases.models import Case, CasePhoto
from linli.cases.tests.conftest import run_to_handled
from linli.portal.models import PortalFiling, ProxyLink
from linli.portal.tests.conftest import PortalWorld, build_portal_world
from linli.registry.models import Resident
from tests.browser.helpers import assert_fits_screen, assert_rows_are_cards, assert_rows_are_table_rows
from tests.browser.test_cases import shot
from tests.browser.test_shell import sign_in
from tests.factories import build_world

pytestmark = pytest.mark.browser

FIRST_LOAD_LIMIT = 200 * 1024


@pytest.fixture
def live_portal(transactional_db, live_server, sms_outbox) -> tuple[str, PortalWorld]:
    return live_server.url, build_portal_world(build_world())


def _photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 120, 40)).save(out, format="JPEG")
    return out.getvalue()


def portal_sign_in(page: Page, base: str, resident: Resident, sms_outbox: list[Any]) -> None:
    page.goto(f"{base}/portal/")
    expect(page).to_have_url(re.compile(r"/portal/signin/"))
    page.get_by_label("姓名").fill(resident.name)
    page.get_by_label("身份证号").fill(resident.id_number)
    page.get_by_label("手机号").fill(resident.phone)
    sent = len(sms_outbox)
    page.get_by_role("button", name="获取验证码").click()
    expect(page.get_by_test_id("code-sent")).to_be_visible()
    assert len(sms_outbox) == sent + 1
    code = re.search(r"验证码是 (\d{6})", sms_outbox[-1].text).group(1)
    page.get_by_label("短信验证码").fill(code)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_test_id("portal-home")).to_be_visible()


def test_sign_in_with_the_code_file_with_a_photo_and_rate_on_a_phone(live_portal, page_factory, sms_outbox):
    base, pw = live_portal
    phone = page_factory(375, 760)
    # First load of the portal (the sign-in page and all it pulls in): transferred bytes, as the browser
    # counts them on the wire.
    cdp = phone.context.new_cdp_session(phone)
    cdp.send("Network.enable")
    transferred: list[int] = []
    cdp.on("Network.loadingFinished", lambda e: transferred.append(int(e["encodedDataLength"])))
    phone.goto(f"{base}/portal/signin/")
    phone.wait_for_load_state("load")
    phone.wait_for_function("() => navigator.serviceWorker.ready.then(() => true)")
    assert 0 < sum(transferred) <= FIRST_LOAD_LIMIT, f"first load {sum(transferred)} bytes"
    print(f"portal first load: {sum(transferred)} bytes in {len(transferred)} requests")  # noqa: T201
    assert_fits_screen(phone)
    shot(phone, "portal-signin-375")

    portal_sign_in(phone, base, pw.fang, sms_outbox)
    expect(phone.get_by_test_id("grid-worker").first).to_contain_text(pw.w.grid_worker_c01_g01.full_name)
    assert_fits_screen(phone)
    shot(phone, "portal-home-375")

    # File a case at home, with a photo.
    phone.get_by_role("link", name="反映问题").first.click()
    phone.get_by_text("测试占道").click()
    phone.get_by_label("一句话说明").fill("楼道灯坏了")
    phone.get_by_label("具体情况").fill("二单元三楼楼道灯不亮一周了")
    expect(phone.get_by_label("在我家")).to_be_checked()
    phone.locator("#id_photos").set_input_files(
        files=[{"name": "light.jpg", "mimeType": "image/jpeg", "buffer": _photo()}]
    )
    assert_fits_screen(phone)
    shot(phone, "portal-file-375")
    phone.get_by_role("button", name="提交").click()
    expect(phone.get_by_test_id("portal-status")).to_have_text("已受理")
    case = Case.objects.get(title="楼道灯坏了")
    assert case.house == pw.cw.house
    assert CasePhoto.objects.filter(case=case).count() == 1
    expect(phone.locator(".photos img")).to_have_count(1)
    phone.wait_for_function(
        "() => [...document.querySelectorAll('.photos img')].every(i => i.naturalWidth > 0)"
    )
    assert_fits_screen(phone)

    # Handled by the grid worker; the resident confirms, then rates.
    run_to_handled(pw.cw, case)
    phone.reload()
    phone.get_by_test_id("verdict").get_by_role("button", name="已解决").click()
    expect(phone.get_by_test_id("portal-status")).to_have_text("已结案")
    rate = phone.get_by_test_id("rate")
    rate.get_by_text("满意", exact=True).click()
    rate.get_by_role("button", name="提交评价").click()
    expect(phone.get_by_test_id("rated")).to_contain_text("满意")
    case.refresh_from_db()
    assert case.satisfaction == "satisfied"
    expect(phone.get_by_test_id("timeline")).to_contain_text("回访")
    assert_fits_screen(phone)
    shot(phone, "portal-case-375")

    # Every page at 320 px, lists as cards; large text kept across pages.
    narrow = page_factory(320, 640)
    narrow.context.add_cookies(phone.context.cookies())
    for path in (
        "/portal/",
        "/portal/household/",
        "/portal/cases/",
        f"/portal/cases/{case.number}/",
        "/portal/cases/new/",
        "/portal/relatives/",
        "/portal/grid-worker/",
        "/portal/volunteer/",
        "/portal/volunteer/join/",
        "/portal/time-bank/",
        "/portal/time-bank/help/",
    ):
        narrow.goto(f"{base}{path}")
        expect(narrow.locator("h1")).to_be_visible()
        assert_fits_screen(narrow)
        assert_rows_are_cards(narrow)
    narrow.get_by_test_id("text-size").click()
    expect(narrow.locator("html")).to_have_class("text-large")
    narrow.goto(f"{base}/portal/household/")
    expect(narrow.locator("html")).to_have_class("text-large")
    assert_fits_screen(narrow)
    shot(narrow, "portal-household-320-large")


def test_the_installed_portal_opens_its_shell_offline(live_portal, page_factory):
    base, _ = live_portal
    phone = page_factory(375, 760)
    phone.goto(f"{base}/portal/signin/")
    phone.wait_for_function("() => navigator.serviceWorker.ready.then(() => true)")
    manifest = phone.evaluate("() => fetch('/portal/manifest.webmanifest').then(r => r.json())")
    assert manifest["scope"] == "/portal/"
    phone.context.set_offline(True)
    phone.goto(f"{base}/portal/")
    expect(phone.get_by_test_id("offline")).to_be_visible()
    assert_fits_screen(phone)
    phone.context.set_offline(False)


def test_acting_for_an_elderly_mother_approved_by_the_community(live_portal, page_factory, sms_outbox):
    base, pw = live_portal
    phone = page_factory(375, 760)
    portal_sign_in(phone, base, pw.fang, sms_outbox)
    phone.get_by_role("link", name="代办亲属").click()
    phone.get_by_label("亲属姓名").fill(pw.mother.name)
    phone.get_by_label("亲属身份证号").fill(pw.mother.id_number)
    phone.get_by_label("与您的关系").fill("母亲")
    phone.get_by_role("button", name="提交申请").click()
    expect(phone.get_by_test_id("links")).to_contain_text("待审核")
    assert_fits_screen(phone)

    # The staff side on a phone: the request is a card with its buttons.
    staff_phone = page_factory(375, 760)
    sign_in(staff_phone, base, "c01-worker")
    staff_phone.goto(f"{base}/portal-admin/")
    expect(staff_phone.get_by_test_id("links")).to_contain_text(pw.mother.name)
    assert_fits_screen(staff_phone)
    assert assert_rows_are_cards(staff_phone) >= 1
    shot(staff_phone, "portal-admin-375")

    desk = page_factory(1366)
    sign_in(desk, base, "c01-worker")
    desk.goto(f"{base}/portal-admin/")
    row = desk.get_by_test_id("links").locator("tr", has_text=pw.mother.name)
    row.get_by_role("button", name="批准", exact=True).click()
    expect(desk.get_by_text("已处理。")).to_be_visible()
    assert ProxyLink.objects.get().status == "approved"
    assert any(m.phone == pw.mother.phone for m in sms_outbox)

    phone.reload()
    phone.get_by_role("button", name="开始代办").click()
    expect(phone.get_by_test_id("acting-banner")).to_contain_text("正在代 李秀英 办理")
    expect(phone.get_by_test_id("portal-home")).to_contain_text("李秀英")
    assert_fits_screen(phone)
    shot(phone, "portal-acting-375")
    phone.get_by_role("link", name="反映问题").first.click()
    phone.get_by_text("测试占道").click()
    phone.get_by_label("一句话说明").fill("家里水管漏水")
    phone.get_by_label("具体情况").fill("厨房水管接口漏水")
    sent = len(sms_outbox)
    phone.get_by_role("button", name="提交").click()
    expect(phone.get_by_test_id("portal-status")).to_be_visible()
    case = Case.objects.get(title="家里水管漏水")
    filing = PortalFiling.objects.get(case=case)
    assert (filing.principal, filing.agent) == (pw.mother, pw.fang)
    told = [m for m in sms_outbox[sent:] if m.phone == pw.mother.phone]
    assert len(told) == 1
    assert case.number in told[0].text
    phone.get_by_test_id("acting-banner").get_by_role("button", name="回到本人").click()
    expect(phone.get_by_test_id("portal-home")).to_contain_text("王芳")
    expect(phone.get_by_test_id("acting-banner")).to_have_count(0)


def test_the_portal_on_a_desk(live_portal, page_factory, sms_outbox):
    base, pw = live_portal
    desk = page_factory(1366, 860)
    portal_sign_in(desk, base, pw.fang, sms_outbox)
    for path in (
        "/portal/",
        "/portal/household/",
        "/portal/cases/",
        "/portal/cases/new/",
        "/portal/relatives/",
    ):
        desk.goto(f"{base}{path}")
        expect(desk.locator("h1")).to_be_visible()
        assert_fits_screen(desk)
        assert_rows_are_table_rows(desk)
    shot(desk, "portal-household-1366")
