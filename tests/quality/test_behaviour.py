"""What a visitor does, in Chromium: keyboard first, colour scheme, availability,
and printing the CV and a module handout."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser

# elements that must not reach paper
SCREEN_ONLY = [".site-header", ".site-nav", ".site-footer", ".skip-link", ".theme-toggle",
               "button", ".button", "[data-print]"]


def test_tab_reaches_skip_link_first_and_it_moves_focus_to_main(example_site, new_page):
    page = new_page()
    page.goto(example_site.url("work/"))
    page.keyboard.press("Tab")
    focused = page.evaluate("""() => { const a = document.activeElement, r = a.getBoundingClientRect();
        return {cls: a.className, href: a.getAttribute('href'), text: a.textContent.trim(),
                visible: r.width > 0 && r.height > 0 && r.top >= 0 && r.left >= 0}; }""")
    assert "skip-link" in focused["cls"], f"first Tab lands on {focused}"
    assert focused["visible"], "the skip link must show when focused"
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.activeElement && document.activeElement.id === 'main'",
                           timeout=5000)
    assert page.evaluate("() => document.activeElement.tagName") == "MAIN"
    page.keyboard.press("Tab")  # the next stop is inside main, not back in the header
    assert page.evaluate("() => !!document.activeElement.closest('main')")


def _background(page) -> tuple[int, ...]:
    color = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
    return tuple(int(x) for x in re.findall(r"\d+", color)[:3])


def _is_dark(rgb) -> bool:
    return sum(rgb) / 3 < 100


@pytest.mark.parametrize("system", ["light", "dark"])
def test_theme_toggle_persists_across_pages(example_site, new_page, system):
    page = new_page(color_scheme=system)
    page.goto(example_site.url("index.html"))
    assert _is_dark(_background(page)) == (system == "dark"), "the page follows the system"
    toggle = page.locator(".theme-toggle")
    assert toggle.is_visible()
    toggle.click()
    other = "light" if system == "dark" else "dark"
    assert page.evaluate("() => document.documentElement.dataset.theme") == other
    assert toggle.get_attribute("aria-pressed") == ("true" if other == "dark" else "false")
    page.wait_for_timeout(50)
    assert _is_dark(_background(page)) == (other == "dark")
    page.goto(example_site.url("writing/"))
    assert page.evaluate("() => document.documentElement.dataset.theme") == other
    assert _is_dark(_background(page)) == (other == "dark"), "choice lost on the next page"
    assert page.locator(".theme-toggle").get_attribute("aria-pressed") == \
        ("true" if other == "dark" else "false")


def test_availability_is_shown_and_booked_hides_booking(example_site, kitchen_sink, new_page):
    page = new_page()
    page.goto(example_site.url("index.html"))
    badge = page.locator(".availability").first
    assert badge.is_visible()
    assert re.search(r"(?i)limited|available", badge.inner_text()), badge.inner_text()
    assert page.locator(".header-cta").count() == 1  # limited: still bookable
    page.goto(kitchen_sink.url("index.html"))
    badge = page.locator(".availability").first
    assert badge.is_visible() and re.search(r"(?i)booked", badge.inner_text())
    assert page.get_by_text("Fully booked until March 2027").first.is_visible()
    assert page.locator(".header-cta").count() == 0
    assert page.locator("a[href='https://cal.example.com/kim/audit']").count() == 0


def _hidden_in_print(page) -> list[str]:
    """Screen-only elements still visible under print media."""
    page.emulate_media(media="print")
    shown = []
    for selector in SCREEN_ONLY:
        loc = page.locator(selector)
        for i in range(loc.count()):
            if loc.nth(i).is_visible():
                shown.append(f"{selector} #{i}: {loc.nth(i).inner_text()[:40]!r}")
    return shown


def _print(page, site, rel: str) -> bytes:
    response = page.goto(site.url(rel))
    assert response is not None and response.status == 200
    still = _hidden_in_print(page)
    assert still == [], f"{rel} prints screen-only elements: {still}"
    assert page.locator("main").is_visible()
    pdf = page.pdf(format="A4", print_background=False)
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    return pdf


def test_cv_prints(built_site, new_page):
    pdf = _print(new_page(), built_site, "cv/index.html")
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) >= 1


def test_track_cv_prints(example_site, new_page):
    rel = example_site.template_pages()["track CV"]
    _print(new_page(), example_site, rel)


def test_module_print_view_prints_every_lesson(built_site, new_page):
    rel = built_site.template_pages().get("module print")
    if rel is None:
        pytest.skip(f"{built_site.name} has no modules")
    page = new_page()
    overview = rel.replace("print/", "")
    page.goto(built_site.url(overview))
    lessons = page.locator("main a[href*='/modules/']").evaluate_all(
        "(as) => [...new Set(as.map(a => a.pathname))]")
    pdf = _print(page, built_site, rel)
    pages = len(re.findall(rb"/Type\s*/Page\b", pdf))
    lesson_count = page.locator(".print-lesson").count()
    assert lesson_count >= 1 and pages >= lesson_count, (lesson_count, pages)
    assert lesson_count == len([u for u in lessons if u.count("/") == 5
                                and not u.endswith("/print/")]), lessons


def test_quiz_checks_answers_in_the_browser(built_site, new_page):
    rel = built_site.template_pages().get("lesson with quiz")
    if rel is None:
        pytest.skip(f"{built_site.name} has no quiz")
    page = new_page()
    page.goto(built_site.url(rel))
    first = page.locator("[data-question]").first
    answer = first.get_attribute("data-answer")
    first.locator(f"input[value='{answer}']").check()
    page.locator("[data-quiz-check]").click()
    feedback = first.locator("[data-feedback]")
    feedback.wait_for(state="visible", timeout=5000)
    assert feedback.inner_text().strip()
    assert page.locator("[data-quiz-score]").inner_text().strip()
