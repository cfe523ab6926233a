"""Layout checks every browser test may use: does the page fit the screen, are its lists cards."""

from __future__ import annotations

from playwright.sync_api import Page
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

# Boxes that stick out of the screen, or scroll sideways inside it. An element cut off by an ancestor that
# clips it (overflow hidden, e.g. "…" ellipsis or a visually hidden table header) does not count; a hidden
# one (the closed side menu) neither.
_OVERFLOWING = """() => {
  const width = document.documentElement.clientWidth;
  const found = [];
  const name = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
    (el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\\s+/).join(".") : "");
  const clipped = (el) => {
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      const s = getComputedStyle(a);
      if (/(hidden|clip)/.test(s.overflowX) || s.clip !== "auto") return true;
    }
    return false;
  };
  if (document.documentElement.scrollWidth > width) {
    found.push(`the page is ${document.documentElement.scrollWidth}px wide`);
  }
  for (const el of document.body.querySelectorAll("*")) {
    const style = getComputedStyle(el);
    if (style.visibility === "hidden" || style.display === "none") continue;
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;
    const scrolls = /(auto|scroll)/.test(style.overflowX) && el.scrollWidth > el.clientWidth + 1;
    if (scrolls) found.push(`${name(el)} scrolls sideways (${el.scrollWidth}px in ${el.clientWidth}px)`);
    else if ((box.right > width + 1 || box.left < -1) && !clipped(el)) {
      found.push(`${name(el)} spans ${Math.round(box.left)}–${Math.round(box.right)}px`);
    }
    if (found.length >= 8) break;
  }
  return found;
}"""


def assert_fits_screen(page: Page, *, settle_ms: int = 5000) -> None:
    """Nothing on `page` is wider than the screen: the page does not scroll sideways, no box sticks out,
    and no table or box scrolls sideways inside it. Waits for the page (and its fonts) to have loaded, and
    for its layout to settle: after a viewport change the window's resize event reaches the page's scripts
    later (a chart keeps its old width until ECharts resizes it), so an overflow is only a failure if it is
    still there after `settle_ms`."""
    # Call it after waiting for something of the page it measures (a heading, a URL): right after a click
    # that navigates, the old document may still be the loaded one. `wait_for_function` is run again in the
    # new document when a navigation is under way, so it never reads a document that has no root yet.
    page.wait_for_load_state("load")
    ready = 'document.readyState === "complete" && document.body && document.fonts.status === "loaded"'
    measure = f"""() => {ready}
        ? {{width: document.documentElement.clientWidth, overflowing: ({_OVERFLOWING})()}} : null"""
    try:
        page.wait_for_function(
            f"() => {{ const m = ({measure})(); return m && m.overflowing.length === 0 ? m : null; }}",
            polling="raf",
            timeout=settle_ms,
        )
        return
    except PlaywrightTimeoutError:
        found = page.wait_for_function(measure).json_value()
    assert not found["overflowing"], (
        f"{page.url} is wider than the {found['width']}px screen: {found['overflowing']}"
    )


# Each table of the page: its classes, how its body rows are laid out, and the cells of a card that would
# show a bare value (no data-label) — the `table cards` convention of docs/architecture.md.
_TABLES = """() => [...document.querySelectorAll("main table")].map((table) => {
  const rows = [...table.tBodies].flatMap((b) => [...b.rows]);
  const unlabelled = [];
  for (const row of rows) {
    [...row.cells].forEach((cell, i) => {
      if (i === 0 || cell.hasAttribute("data-label") || cell.colSpan > 1) return;
      if (cell.classList.contains("card-actions") || getComputedStyle(cell).display === "none") return;
      unlabelled.push(cell.textContent.trim().slice(0, 20) || "(empty)");
    });
  }
  return {
    classes: [...table.classList],
    displays: [...new Set(rows.map((r) => getComputedStyle(r).display))],
    rows: rows.length,
    unlabelled: unlabelled.slice(0, 5),
  };
})"""


# How a row laid out as a card may display (a figures card lays its cells out as a grid).
CARD_DISPLAYS = {"block", "grid", "flex"}


def assert_rows_are_cards(page: Page) -> int:
    """Every table of `page` is a list of cards at this (phone) width, and each card labels its values.
    Returns how many rows were seen, so a test can insist there were some."""
    page.wait_for_load_state("load")
    tables = page.evaluate(_TABLES)
    seen = 0
    for table in tables:
        assert "cards" in table["classes"], f"{page.url}: a table is not `table cards`: {table}"
        assert set(table["displays"]) <= CARD_DISPLAYS, f"{page.url}: rows are not cards: {table}"
        assert not table["unlabelled"], f"{page.url}: card cells without data-label: {table}"
        seen += table["rows"]
    return seen


def assert_rows_are_table_rows(page: Page) -> None:
    """On a desk the same tables stay tables."""
    page.wait_for_load_state("load")
    for table in page.evaluate(_TABLES):
        assert table["displays"] in ([], ["table-row"]), f"{page.url}: {table}"


def wait_for_htmx(page: Page) -> None:
    """Wait until htmx has nothing in flight and has settled what it swapped in.

    A select htmx has just swapped in is visible before htmx has bound its own `change` handler (it does
    so as the swap settles); a test that picks an option at once, on a busy machine, picks it unheard and
    the next part of the form never comes. A person is never that fast; a test must wait."""
    page.wait_for_function(
        """() => document.readyState === "complete" && !document.querySelector(
            ".htmx-request, .htmx-swapping, .htmx-settling, .htmx-added")"""
    )
