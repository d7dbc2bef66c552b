"""The default theme in a real browser: axe-core (WCAG 2 AA) in light and dark, no
horizontal scroll down to 320 px, and a colour-scheme toggle that persists without a
flash. Skipped when Chromium or axe-core is absent (CI installs both)."""

from __future__ import annotations

import functools
import http.server
import threading
from pathlib import Path

import pytest
from folio_testing import CHROMIUM, CHROMIUM_ARGS  # noqa: F401

from .conftest import FULL_SITE, build_files

REPO = Path(__file__).resolve().parents[2]
AXE = REPO / "tests" / "js" / "node_modules" / "axe-core" / "axe.min.js"
PAGES = ["/", "/work/", "/work/boxly/", "/skills/", "/skills/sql/", "/tracks/data/",
         "/services/", "/writing/", "/writing/hello/", "/cv/", "/tracks/data/cv/", "/about/",
         "/tags/data/", "/404.html"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Chromium"),
    pytest.mark.skipif(not AXE.exists(), reason="needs axe-core (npm ci in tests/js)"),
]


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The full test site built and served under its base path /repo/."""
    from tests.conftest import write_tree

    root = tmp_path_factory.mktemp("browser")
    site = write_tree(root / "site", {**FULL_SITE, "posts/2024-06-code.md": (
        "---\ntitle: Code\ndate: 2024-06-01\n---\n```python\n# comment\nx = 'str' + 1\n"
        f"y = {'[' + ', '.join(str(i) for i in range(80)) + ']'}\n```\n\n"
        f"| {' | '.join(f'column {i}' for i in range(14))} |\n|{'---|' * 14}\n"
        f"| {' | '.join(f'value {i}' for i in range(14))} |\n"
        "\n::: warning\nCareful.\n:::\n")})
    files = build_files(site)
    out = root / "www" / "repo"
    for rel, data in files.items():
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_bytes(data)
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_Quiet, directory=str(root / "www")))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/repo"
    server.shutdown()


@pytest.fixture(scope="module")
def chrome(browser):
    """pytest-playwright's session browser (Debian's Chromium, see tests/conftest.py):
    a second sync Playwright in the same process is refused."""
    return browser


def axe_violations(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("""async () => await axe.run(document, {runOnly: {type: 'tag',
        values: ['wcag2a', 'wcag2aa', 'wcag21aa', 'best-practice']}})""")
    return [f"{v['id']}: {n['target']} {n.get('failureSummary', '')[:160]}"
            for v in result["violations"] for n in v["nodes"]]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_nothing(served, chrome, scheme):
    problems = []
    page = chrome.new_page(color_scheme=scheme)
    for url in [*PAGES, "/writing/code/"]:
        page.goto(served + url)
        problems += [f"{url} {p}" for p in axe_violations(page)]
    page.close()
    assert problems == []


@pytest.mark.parametrize("width", [320, 768, 1280])
def test_no_horizontal_scroll(served, chrome, width):
    wide = []
    page = chrome.new_page(viewport={"width": width, "height": 800})
    for url in [*PAGES, "/writing/code/"]:
        page.goto(served + url)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        if overflow > 0:
            wide.append(f"{url}: {overflow}px")
    page.close()
    assert wide == []


def test_theme_toggle_persists_without_a_flash(served, chrome):
    context = chrome.new_context(color_scheme="light")
    page = context.new_page()
    page.goto(served + "/")
    bg_light = page.evaluate("getComputedStyle(document.body).backgroundColor")
    toggle = page.locator(".theme-toggle")
    assert toggle.is_visible() and toggle.get_attribute("aria-pressed") == "false"
    toggle.click()
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    assert toggle.get_attribute("aria-pressed") == "true"
    bg_dark = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert bg_dark != bg_light
    # Next page: the saved choice is applied by the inline head script, before any
    # stylesheet or deferred script runs, so the first paint is already dark.
    seen = []
    page.route("**/theme.js*", lambda route: (seen.append(page.evaluate(
        "document.documentElement.dataset.theme || ''")), route.continue_()))
    page.goto(served + "/work/")
    assert seen == ["dark"]
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == bg_dark
    context.close()


def test_keyboard_skip_link_and_focus_ring(served, chrome):
    page = chrome.new_page()
    page.goto(served + "/work/boxly/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.className")
    assert focused == "skip-link"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"
    page.close()


def test_print_hides_navigation_and_buttons(served, chrome):
    page = chrome.new_page()
    page.goto(served + "/cv/")
    page.emulate_media(media="print")
    hidden = page.evaluate("""() => ['.site-header', '.site-footer', '.cv-actions']
        .map(s => getComputedStyle(document.querySelector(s)).display)""")
    assert hidden == ["none", "none", "none"]
    page.close()
