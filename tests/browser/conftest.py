from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = os.environ.get("LINLI_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(os.environ.get("LINLI_TEST_ARTIFACTS", "test-artifacts"))


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's 'chromium' package (.ci/run does)")
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page_factory(browser: Browser, request, transactional_db) -> Iterator:
    """page_factory(width) → a fresh page; console errors (CSP violations included) fail the test.

    It asks for the database itself so that, whatever order a test names its fixtures in, its pages are
    closed (after their requests under way have been answered) before the database is emptied."""
    pages: list[tuple[Page, list[str], set[object]]] = []

    def make(width: int = 1280, height: int = 860) -> Page:
        context = browser.new_context(viewport={"width": width, "height": height}, locale="en-US")
        page = context.new_page()
        errors: list[str] = []
        # A form re-rendered with its errors is answered 400, as the app means it to be; Chromium
        # logs that document load as a console error. Only those documents are excused.
        refused_documents: set[str] = set()
        page.on(
            "response",
            lambda r: (
                refused_documents.add(r.url)
                if r.status == 400 and r.request.resource_type == "document"
                else None
            ),
        )

        def on_console(m) -> None:
            if m.type != "error":
                return
            if m.text.startswith("Failed to load resource") and m.location.get("url") in refused_documents:
                return
            errors.append(m.text)

        page.on("console", on_console)
        page.on("pageerror", lambda e: errors.append(str(e)))
        # Requests still under way when the test ends (a map's data, an htmx refresh) are waited for
        # before the page closes: otherwise the live server answers them after the test's database is
        # gone, and on a busy machine that is a 500 in the next test's log (issue #25).
        inflight: set[object] = set()
        # (Playwright marks each handler it is given, so the handlers are functions, not set.add itself.)
        page.on("request", lambda r: inflight.add(r))
        page.on("requestfinished", lambda r: inflight.discard(r))
        page.on("requestfailed", lambda r: inflight.discard(r))
        pages.append((page, errors, inflight))
        return page

    yield make
    for index, (page, errors, inflight) in enumerate(pages):
        settle(page, inflight)
        if request.node.rep_call.failed if hasattr(request.node, "rep_call") else False:
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-{index}.png"), full_page=True)
        page.context.close()
        assert not errors, f"browser console errors: {errors}"


def settle(page: Page, inflight: set[object], timeout_s: float = 60) -> None:
    """Until the page has no request under way (checked between Playwright's event dispatches), at most
    `timeout_s`; a page already closed has none."""
    deadline = time.monotonic() + timeout_s
    while inflight and not page.is_closed() and time.monotonic() < deadline:
        page.wait_for_timeout(20)  # lets Playwright dispatch the request events; the loop waits on them


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)
