"""The example site in headless Chromium: search finds a case study, the gallery
lightbox works with the keyboard. Skipped when Chromium or Playwright is absent."""

from __future__ import annotations

import functools
import os
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from extras_helpers import CHROMIUM

pytest.importorskip("playwright")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs headless Chromium"),
]

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "example-site"
CASE_WITH_GALLERY = "/work/food-bank-stock-dashboard/"


class _BaseHandler(SimpleHTTPRequestHandler):
    """Serves the output folder under the site's base path, as GitHub Pages would."""

    base = "/"

    def translate_path(self, path: str) -> str:
        if not path.startswith(self.base):
            return str(Path(self.directory) / "__outside_the_base_path__")
        return super().translate_path("/" + path[len(self.base):])

    def log_message(self, *args) -> None:  # keep test output clean
        pass


def _serve(out: Path, shard_pages: int | None):
    """Build the example site (search on; with `shard_pages`, its index in shards of
    that many pages) into `out` and serve it; yields (root URL, result)."""
    import folio.search
    from folio.build import Builder, BuildOptions

    if not (EXAMPLE / "folio.yaml").is_file():
        pytest.skip("no example site")
    with pytest.MonkeyPatch.context() as patch:
        if shard_pages is not None:
            patch.setattr(folio.search, "SHARD_PAGES", shard_pages)
        result = Builder(EXAMPLE, BuildOptions(search=True, cache=False)).build()
    assert any(path.startswith("pagefind/") for path in result.files)
    for rel, data in result.files.items():
        target = out / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    base = result.site.config.base_path
    handler = type("Handler", (_BaseHandler,), {"base": base})
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(out)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{base.rstrip('/')}", result
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    yield from _serve(tmp_path_factory.mktemp("example-out"), None)


SMALL_SHARDS = 8  # the example site's ~40 indexed pages in five shards


@pytest.fixture(scope="module")
def served_in_shards(tmp_path_factory):
    yield from _serve(tmp_path_factory.mktemp("example-shards"), SMALL_SHARDS)


@pytest.fixture(params=["one index", "shards"])
def search_served(request):
    """The search tests run against one index and against an index in shards."""
    return request.getfixturevalue("served" if request.param == "one index" else "served_in_shards")


def test_typing_in_search_finds_a_case_study(page, served):
    root, result = served
    case = next(c for c in result.site.case_studies if c.url == CASE_WITH_GALLERY)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(root + "/")
    toggle = page.get_by_role("button", name="Search")
    toggle.wait_for(state="visible")  # shown only once the index has loaded
    toggle.click()
    field = page.get_by_label("Search work, skills, modules and lessons")
    assert field.evaluate("el => el === document.activeElement")
    field.fill("food bank")
    # By its title: a page that quotes the title may rank above it.
    link = page.locator(".search-results a", has=page.get_by_text(case.title, exact=True))
    link.wait_for()
    assert link.get_attribute("href") == result.site.config.base_path.rstrip("/") + case.url
    assert "result" in page.locator(".search-status").inner_text()
    field.press("ArrowDown")
    assert page.evaluate("document.activeElement.closest('.search-results') !== null")
    page.keyboard.press("Escape")
    assert page.locator(".search-panel").is_hidden()
    assert toggle.evaluate("el => el === document.activeElement")
    field_after = page.locator("#site-search-input")
    toggle.click()
    field_after.fill("zzzzqqqq")
    page.locator(".search-status", has_text="No results").wait_for()
    assert errors == []


def test_track_filter_narrows_results(page, search_served):
    from folio.urls import with_base

    root, result = search_served
    site = result.site
    track = next(t for t in site.config.tracks if site.in_track(t.id, "case-study"))
    members = site.in_track(track.id)
    urls = {m.url for m in members} | {track.url or f"/tracks/{track.id}/"}
    urls |= {lesson.url for m in members if m.kind == "module" for lesson in m.lessons}
    allowed = {with_base(site.config.base_path, u) for u in urls}
    case = site.in_track(track.id, "case-study")[0]
    page.goto(root + "/")
    page.get_by_role("button", name="Search").click()
    choose = page.get_by_label("Track")
    choose.wait_for(state="visible")
    assert sorted(choose.locator("option").all_inner_texts()) == sorted(
        ["All tracks", *[t.title for t in site.config.tracks]])
    choose.select_option(label=track.title)
    page.locator(".search-results a").first.wait_for()
    hrefs = page.locator(".search-results a").evaluate_all(
        "as => as.map(a => a.getAttribute('href'))")
    assert hrefs and set(hrefs) <= allowed
    page.locator("#site-search-input").fill(case.title)
    page.locator(".search-results a", has_text=case.title).first.wait_for()
    found = page.locator(".search-results a", has_text=case.title).first
    assert found.locator(".search-kind").text_content() == "Case study"
    found.click()
    page.wait_for_url(root.rsplit("/", 1)[0] + with_base(site.config.base_path, case.url))
    assert page.locator("h1").inner_text() == case.title


def test_search_finds_a_page_from_every_shard(page, served_in_shards):
    """Each shard is merged into the first: a page indexed in any of them is found,
    and the shards' own copies of Pagefind's scripts are not needed."""
    import json

    from folio.search import SHARD_LIST, page_filters, shards
    from folio.urls import output_path

    root, result = served_in_shards
    listed = json.loads(result.files[SHARD_LIST])["shards"]
    with pytest.MonkeyPatch.context() as patch:
        import folio.search

        patch.setattr(folio.search, "SHARD_PAGES", SMALL_SHARDS)
        groups = shards([p for p in page_filters(result.site) if p in result.files])
    assert len(groups) >= 3 and len(listed) == len(groups) - 1
    by_path = {output_path(c.url): c for c in result.site.case_studies}
    by_path.update((output_path(p.url), p) for p in result.site.posts)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(root + "/")
    page.get_by_role("button", name="Search").click()
    field = page.get_by_label("Search work, skills, modules and lessons")
    searched = 0
    for group in groups:
        entry = next((by_path[p] for p in group if p in by_path), None)
        if entry is None:
            continue
        field.fill(entry.title)
        page.locator(".search-results a", has_text=entry.title).first.wait_for()
        searched += 1
    assert searched >= 3
    assert errors == []


def test_gallery_lightbox_works_with_the_keyboard(page, served):
    root, result = served
    case = next(c for c in result.site.case_studies if c.url == CASE_WITH_GALLERY)
    assert len(case.gallery) >= 2
    page.goto(root + CASE_WITH_GALLERY)
    links = page.locator("[data-gallery-item]")
    assert links.count() == len(case.gallery)
    first = links.nth(0)
    first.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Image viewer")
    dialog.wait_for(state="visible")
    assert dialog.locator(".lightbox-count").inner_text() == f"1 of {len(case.gallery)}"
    assert dialog.locator("img").get_attribute("alt") == case.gallery[0].alt.strip()
    page.keyboard.press("ArrowRight")
    assert dialog.locator(".lightbox-count").inner_text() == f"2 of {len(case.gallery)}"
    assert dialog.locator("img").get_attribute("alt") == case.gallery[1].alt.strip()
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")  # wraps around to the last image
    assert dialog.locator(".lightbox-count").inner_text() == \
        f"{len(case.gallery)} of {len(case.gallery)}"
    page.keyboard.press("Escape")
    dialog.wait_for(state="hidden")
    assert first.evaluate("el => el === document.activeElement")  # focus came back
    # the image really loaded (a WebP variant or the fallback)
    first.click()
    img = dialog.locator("img")
    img.wait_for()
    page.wait_for_function("() => { const i = document.querySelector('dialog img'); "
                           "return i && i.complete && i.naturalWidth > 0; }")
    page.get_by_role("button", name="Close").click()
    dialog.wait_for(state="hidden")


def test_gallery_links_work_without_javascript(browser, served):
    root, _result = served
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(root + CASE_WITH_GALLERY)
        href = page.locator("[data-gallery-item]").first.get_attribute("href")
        response = page.goto(_absolute(root, href))
        assert response.status == 200
        assert response.headers["content-type"].startswith("image/")
    finally:
        context.close()


def _absolute(root: str, href: str) -> str:
    scheme_host = "/".join(root.split("/")[:3])
    return scheme_host + href


AXE = REPO / "tests" / "js" / "node_modules" / "axe-core" / "axe.min.js"


def _axe_violations(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    found = page.evaluate("""async () => {
        const r = await axe.run(document, {runOnly: {type: 'tag',
                                values: ['wcag2a', 'wcag2aa', 'best-practice']}});
        return r.violations.map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '));
    }""")
    return found


@pytest.mark.skipif(not AXE.is_file(), reason="needs axe-core (npm ci in tests/js)")
def test_open_lightbox_and_search_panel_pass_axe(page, served):
    root, _result = served
    page.goto(root + CASE_WITH_GALLERY)
    page.locator("[data-gallery-item]").first.click()
    page.get_by_role("dialog", name="Image viewer").wait_for(state="visible")
    mine = [v for v in _axe_violations(page) if "lightbox" in v or "gallery" in v]
    assert mine == []
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Search").click()
    page.locator("#site-search-input").fill("spreadsheet")
    page.locator(".search-results a").first.wait_for()
    mine = [v for v in _axe_violations(page) if "search" in v]
    assert mine == []
