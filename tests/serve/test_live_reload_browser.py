"""An open page in headless Chromium, against a real `folio serve`: it reloads
itself after an edit, swaps the stylesheet without reloading after a CSS-only
change, stays put when another page changes, and shows then clears the build
error overlay."""

from __future__ import annotations

import shutil

import pytest
from folio_testing import CHROMIUM, CHROMIUM_ARGS  # noqa: F401
from harness import page_md, write

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not shutil.os.path.exists(CHROMIUM), reason="needs Chromium")]


@pytest.fixture
def page(browser):
    """A tab of pytest-playwright's session browser (a second sync Playwright is refused)."""
    tab = browser.new_page()
    tab.set_default_timeout(5000)
    yield tab
    tab.close()


def test_open_page_follows_edits(serve, page):
    srv = serve()
    about = srv.site / "pages" / "about.md"
    page.goto(srv.url + "about/")
    assert page.text_content("main") .strip().startswith("About")
    page.wait_for_function("() => window.__folioLive === true")

    # an edit to this page reloads it (the marker set on the old document is gone)
    page.evaluate("() => { window.__marker = 'old document'; }")
    write(about, page_md("About", "Reloaded by itself."))
    page.wait_for_selector("text=Reloaded by itself.")
    assert page.evaluate("() => window.__marker") is None

    # a CSS-only change swaps the stylesheet in place: no reload
    page.evaluate("() => { window.__marker = 'kept'; }")
    css = srv.site / "themes" / "t" / "static" / "css" / "site.css"
    write(css, "body { color: rgb(200, 10, 20); }\n")
    page.wait_for_function("() => getComputedStyle(document.body).color === 'rgb(200, 10, 20)'")
    assert page.evaluate("() => window.__marker") == "kept"

    # another page changing does not reload this one (checked through a later CSS swap)
    write(srv.site / "pages" / "other.md", page_md("Other", "Elsewhere."))
    srv.wait_for_text("other/", "Elsewhere.")
    write(css, "body { color: rgb(0, 128, 0); }\n")
    page.wait_for_function("() => getComputedStyle(document.body).color === 'rgb(0, 128, 0)'")
    assert page.evaluate("() => window.__marker") == "kept"

    # a build error shows the overlay over the last good page; fixing it recovers
    write(about, "---\ntitle: [broken\n---\nx\n")
    overlay = page.wait_for_selector("#folio-error-overlay")
    assert "pages/about.md:" in overlay.text_content()
    assert "Reloaded by itself." in page.text_content("main")
    write(about, page_md("About", "Fixed and reloaded."))
    page.wait_for_selector("text=Fixed and reloaded.")
    page.wait_for_selector("#folio-error-overlay", state="detached")
