"""The layout helper itself: it fails a page that stays wider than the screen and waits out one whose
layout is still settling (a chart resized by the page's script a moment after the viewport changed)."""

from __future__ import annotations

import pytest

from tests.browser.helpers import assert_fits_screen

pytestmark = pytest.mark.browser


def test_a_page_that_stays_too_wide_fails(page_factory):
    page = page_factory(375, 700)
    page.set_content('<body style="margin:0"><div style="width:900px">宽</div></body>')
    with pytest.raises(AssertionError, match="wider than the 375px screen"):
        assert_fits_screen(page, settle_ms=500)


def test_a_page_whose_script_narrows_it_a_moment_later_passes(page_factory):
    page = page_factory(375, 700)
    page.set_content(
        '<body style="margin:0"><div id="w" style="width:900px">宽</div>'
        '<script>setTimeout(() => { document.getElementById("w").style.width = "100px"; }, 400);</script></body>'
    )
    assert_fits_screen(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
