"""axe-core (WCAG 2 A/AA and best practices) on one page of every template, in
Chromium, light and dark, at desktop width and at 375 px; and no horizontal
scrolling at 320 px (WCAG 1.4.10 reflow).

Each page is loaded once per width; the colour scheme is switched in place
(transitions are switched off first, so contrast is measured on the final
colours, not halfway through a fade).
"""

from __future__ import annotations

import pytest

from .tools import AXE, require

pytestmark = pytest.mark.browser

VARIANTS = [(1280, "light"), (1280, "dark"), (375, "light"), (375, "dark")]
REQUIRED = ["home", "case study", "skill", "track", "services", "module overview",
            "lesson with quiz", "CV", "post", "tag", "404"]
MORE = ["work index", "skills index", "track CV", "module catalogue", "module print",
        "writing index", "free page"]
AXE_RUN = """async () => {
  const r = await axe.run(document, {
    runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'best-practice']},
    resultTypes: ['violations']});
  return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map(n => ({target: n.target.join(' '),
      summary: (n.failureSummary || '').split('\\n').slice(0, 3).join(' ')}))}));
}"""
NO_TRANSITIONS = "*, *::before, *::after { transition: none !important; animation: none !important; }"
OVERFLOW = """() => {
  const W = document.documentElement.clientWidth;
  const wide = el => el.getBoundingClientRect().right > W + 1;
  const clipped = el => { for (let e = el.parentElement; e && e !== document.body; e = e.parentElement)
      if (/(auto|scroll|hidden|clip)/.test(getComputedStyle(e).overflowX)) return true;
    return false; };
  const path = el => { const p = [];
    for (let e = el; e && e !== document.body; e = e.parentElement)
      p.unshift(e.tagName.toLowerCase() + (typeof e.className === 'string' && e.className.trim()
        ? '.' + e.className.trim().split(/\\s+/).join('.') : ''));
    return p.join(' > ') + ' (' + Math.round(el.getBoundingClientRect().right) + 'px)'; };
  const culprits = [...document.querySelectorAll('body *')]
    .filter(el => wide(el) && !wide(el.parentElement) && !clipped(el)).slice(0, 5).map(path);
  return {scroll: document.documentElement.scrollWidth, client: W, wide: culprits};
}"""


def axe_violations(page) -> list[dict]:
    if not page.evaluate("() => typeof axe !== 'undefined'"):
        page.add_script_tag(path=str(require(AXE)))
    return page.evaluate(AXE_RUN)


def describe(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"  [{v['impact']}] {v['id']}: {v['help']}")
        lines += [f"      at {n['target']}: {n['summary']}" for n in v["nodes"]]
    return "\n".join(lines)


def audit(page, site, rel: str) -> list[str]:
    """Every variant of one page: axe violations and sideways scrolling, readably.

    The page is loaded afresh at each width (as a visitor on that device
    would get it, scripts that measure the layout included) and the colour
    scheme is switched in place. The 404 page is audited where visitors meet
    it: at a missing, nested URL.
    """
    url = site.base_url + "no/such/page/" if rel == "404.html" else site.url(rel)

    def load(width: int, height: int = 900) -> None:
        page.set_viewport_size({"width": width, "height": height})
        response = page.goto(url, wait_until="load")
        assert response is not None and \
            response.status == (404 if rel == "404.html" else 200), rel
        page.add_style_tag(content=NO_TRANSITIONS)

    failures = []
    width_loaded = None
    for width, scheme in VARIANTS:
        if width != width_loaded:
            load(width)
            width_loaded = width
        page.emulate_media(color_scheme=scheme)
        violations = axe_violations(page)
        if violations:
            failures.append(f"{rel} at {width}px, {scheme}:\n{describe(violations)}")
    load(320, 800)
    overflow = page.evaluate(OVERFLOW)
    if overflow["scroll"] > overflow["client"]:
        failures.append(f"{rel} scrolls sideways at 320px ({overflow['scroll']}px wide > "
                        f"{overflow['client']}px); too wide: {overflow['wide']}")
    return failures


def test_every_required_template_is_built(built_site):
    missing = set(REQUIRED) - set(built_site.template_pages())
    assert not missing, f"{built_site.name} has no page for: {sorted(missing)}"


@pytest.mark.parametrize("template", REQUIRED + MORE)
def test_axe_and_reflow(built_site, new_page, template):
    rel = built_site.template_pages().get(template)
    if rel is None:
        pytest.skip(f"{built_site.name} has no {template} page")
    failures = audit(new_page(), built_site, rel)
    assert not failures, "\n".join(failures)


def test_axe_reports_violations(new_page, example_site):
    """The gate can fail: an unlabelled input and too wide a box are both reported."""
    page = new_page()
    page.goto(example_site.url("index.html"))
    page.evaluate("""() => { const main = document.querySelector('main');
                             const box = document.createElement('div');
                             box.className = 'too-wide';
                             box.style.cssText = 'width:900px;min-width:900px;max-width:none;height:4px';
                             main.append(document.createElement('input'), box); }""")
    assert "label" in {v["id"] for v in axe_violations(page)}
    page.set_viewport_size({"width": 320, "height": 800})
    overflow = page.evaluate(OVERFLOW)
    assert overflow["scroll"] > overflow["client"]
    assert any("div.too-wide" in w for w in overflow["wide"]), overflow
