"""Progress, quizzes, filters and the SCORM bridge in headless Chromium."""

from __future__ import annotations

import functools
import http.server
import io
import os
import re
import shutil
import threading
import zipfile
from pathlib import Path

import pytest

pytest.importorskip("playwright")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Chromium not installed")]

SF = "modules/spreadsheet-foundations/"
SLUG = "spreadsheet-foundations"


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def served(example_files, tmp_path_factory):
    """The example build on 127.0.0.1 under its base path /portfolio/."""
    root = tmp_path_factory.mktemp("served")
    site = root / "portfolio"
    for rel, data in example_files.items():
        path = site / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    for name in (f"{SLUG}-scorm.zip", f"{SLUG}.zip"):
        folder = root / name.replace(".", "_")
        zipfile.ZipFile(io.BytesIO(example_files[SF + name])).extractall(folder)
    handler = functools.partial(_Quiet, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/", root
    server.shutdown()
    server.server_close()


@pytest.fixture
def tab(browser):
    context = browser.new_context()
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert errors == []


def test_progress_persists_across_reload_and_pages(served, tab):
    base, _ = served
    lesson = base + "portfolio/" + SF + "formulas-you-can-read/"
    tab.goto(lesson)
    button = tab.locator("article [data-complete]")
    assert button.is_visible() and button.get_attribute("aria-pressed") == "false"
    button.click()
    assert button.get_attribute("aria-pressed") == "true"
    tab.reload()
    button = tab.locator("article [data-complete]")
    assert button.get_attribute("aria-pressed") == "true"
    done = tab.locator("nav.lesson-sidebar a.is-done")
    assert done.count() == 1 and done.get_attribute("data-lesson") == "formulas-you-can-read"
    tab.goto(base + "portfolio/" + SF)
    cont = tab.locator("a[data-continue]")
    assert cont.is_visible()
    assert cont.get_attribute("href") == "/portfolio/" + SF + "formulas-you-can-read/"
    assert "Formulas you can read aloud" in cont.inner_text()
    assert tab.locator("[data-progress-count]").inner_text() == "1 of 4 lessons completed"
    tab.goto(lesson)  # undo
    tab.locator("article [data-complete]").click()
    tab.reload()
    assert tab.locator("article [data-complete]").get_attribute("aria-pressed") == "false"


def test_quiz_gives_feedback_per_answer_with_the_explanation(served, tab):
    base, _ = served
    tab.goto(base + "portfolio/" + SF + "lookups-without-tears/")
    first = tab.locator("fieldset[data-question]").nth(0)
    feedback = first.locator("[data-feedback]")
    assert not feedback.is_visible()
    first.get_by_label("The closest value").check()
    assert feedback.is_visible()
    assert feedback.inner_text().startswith("Not quite. #N/A is XLOOKUP's way")
    assert "is-wrong" in feedback.get_attribute("class")
    first.get_by_label("An #N/A error").check()
    assert feedback.inner_text().startswith("Correct.")
    tab.locator("fieldset[data-question]").nth(1).get_by_label("TRIM").check()
    tab.locator("fieldset[data-question]").nth(2).get_by_label("It is slower").check()
    assert tab.locator("[data-quiz-score]").inner_text() == "You got 2 of 3 right."
    stored = tab.evaluate("Object.values(localStorage).join(' ')")
    assert '"lookups-without-tears":[2,3]' in stored


def test_catalogue_filter_hides_and_shows(served, tab):
    base, _ = served
    tab.goto(base + "portfolio/modules/")
    assert tab.locator("form[data-module-filter]").is_visible()
    cards = tab.locator("[data-module-card]")
    assert cards.count() == 2
    tab.select_option("select[name=level]", "beginner")
    visible = [c for c in cards.all() if c.is_visible()]
    assert [c.locator("h2").inner_text() for c in visible] == ["Spreadsheet foundations"]
    assert tab.locator("[data-filter-status]").inner_text() == "1 of 2 modules shown"
    tab.select_option("select[name=level]", "")
    tab.select_option("select[name=track]", "translation")
    visible = [c for c in cards.all() if c.is_visible()]
    assert [c.locator("h2").inner_text() for c in visible] == ["Plain-language data reports"]


def test_offline_package_works_from_file_urls(served, tab):
    _, root = served
    lesson = (root / f"{SLUG}_zip" / "lessons" / "tidy-tables.html").as_uri()
    tab.goto(lesson)
    tab.locator("[data-complete]").click()
    tab.reload()
    assert tab.locator("[data-complete]").get_attribute("aria-pressed") == "true"
    tab.locator("a[rel=next]").first.click()
    assert tab.url.endswith("lessons/formulas-you-can-read.html")
    tab.goto((root / f"{SLUG}_zip" / "index.html").as_uri())
    assert tab.locator("a[data-continue]").is_visible()
    tab.goto((root / f"{SLUG}_zip" / "lessons" / "lookups-without-tears.html").as_uri())
    assert tab.locator("img").count() == 1
    assert tab.evaluate("Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)")


HARNESS = """<!DOCTYPE html><html lang="en"><title>LMS</title><script>
window.calls = [];
window.API = {
  LMSInitialize: function () { calls.push(["init"]); return "true"; },
  LMSGetValue: function (k) { return k === "cmi.core.lesson_status" ? "not attempted" : ""; },
  LMSSetValue: function (k, v) { calls.push([k, v]); return "true"; },
  LMSCommit: function () { return "true"; },
  LMSFinish: function () { calls.push(["finish"]); return "true"; },
  LMSGetLastError: function () { return "0"; }
};
</script><iframe id="sco" title="lesson" src="lessons/lookups-without-tears.html"></iframe></html>"""


def test_scorm_lesson_reports_to_the_lms_api_in_a_parent_frame(served, tab):
    base, root = served
    (root / f"{SLUG}-scorm_zip" / "lms.html").write_text(HARNESS)
    tab.goto(base + f"{SLUG}-scorm_zip/lms.html")
    frame = tab.frame_locator("#sco")
    frame.locator("fieldset[data-question]").nth(0).get_by_label("An #N/A error").check()
    frame.locator("fieldset[data-question]").nth(1).get_by_label("TRIM").check()
    frame.locator("fieldset[data-question]").nth(2).get_by_label("It is slower").check()
    calls = tab.evaluate("calls")
    assert calls[0] == ["init"]
    assert ["cmi.core.lesson_status", "incomplete"] in calls
    assert ["cmi.core.score.raw", "67"] in calls and ["cmi.core.score.max", "100"] in calls
    assert calls[-1] == ["cmi.core.lesson_status", "completed"]
    tab.evaluate("document.getElementById('sco').src = 'about:blank'")
    tab.wait_for_function("calls.some(c => c[0] === 'finish')")


def test_scorm_lesson_works_without_an_lms(served, tab):
    base, _ = served
    tab.goto(base + f"{SLUG}-scorm_zip/lessons/tidy-tables.html")
    assert tab.evaluate("window.FolioLMS.present") is False
    tab.locator("[data-complete]").click()
    assert tab.locator("[data-complete]").get_attribute("aria-pressed") == "true"


def test_print_page_makes_a_clean_handout(served, tab):
    base, _ = served
    tab.goto(base + "portfolio/" + SF + "print/")
    tab.emulate_media(media="print")
    for chrome in ("header.site-header", "footer.site-footer", ".no-print"):
        if tab.locator(chrome).count():
            assert not tab.locator(chrome).first.is_visible(), chrome
    assert tab.locator("section.print-lesson").count() == 4
    breaks = tab.evaluate("Array.from(document.querySelectorAll('.print-lesson'))"
                          ".map(s => getComputedStyle(s).breakBefore)")
    assert breaks == ["page"] * 4
    pdf = tab.pdf(format="A4")
    pages = re.findall(rb"/Type\s*/Page(?!s)", pdf)
    assert pdf.startswith(b"%PDF") and len(pages) >= 5  # a cover, then a page per lesson


AXE = Path(__file__).resolve().parents[1] / "js" / "node_modules" / "axe-core" / "axe.min.js"


@pytest.mark.skipif(not AXE.is_file(), reason="axe-core not installed (npm ci in tests/js)")
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_module_pages_pass_axe_after_interaction(served, browser, scheme):
    base, _ = served
    context = browser.new_context(color_scheme=scheme)
    tab = context.new_page()
    try:
        for path in ("modules/", SF, SF + "lookups-without-tears/", SF + "print/"):
            tab.goto(base + "portfolio/" + path)
            if path.endswith("tears/"):  # the states that only exist after clicks
                tab.locator("article [data-complete]").click()
                questions = tab.locator("fieldset[data-question]")
                questions.nth(0).get_by_label("The closest value").check()
                questions.nth(1).get_by_label("TRIM").check()
            tab.add_script_tag(path=str(AXE))
            result = tab.evaluate("async () => await axe.run(document, {runOnly: {type: 'tag', "
                                  "values: ['wcag2a', 'wcag2aa', 'best-practice']}})")
            assert [(v["id"], [n["target"] for n in v["nodes"]]) for v in result["violations"]] == [], path
    finally:
        context.close()
