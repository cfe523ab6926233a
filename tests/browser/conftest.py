from __future__ import annotations

import os
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
def page_factory(browser: Browser, request) -> Iterator:
    """page_factory(width) → a fresh page; console errors (CSP violations included) fail the test."""
    pages: list[tuple[Page, list[str]]] = []

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
        pages.append((page, errors))
        return page

    yield make
    for index, (page, errors) in enumerate(pages):
        if request.node.rep_call.failed if hasattr(request.node, "rep_call") else False:
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-{index}.png"), full_page=True)
        page.context.close()
        assert not errors, f"browser console errors: {errors}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)
