"""The Markdown stage: extensions, link rewriting, safety, headings, caching."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from folio.errors import Diagnostic
from folio.markdown import (
    FEATURES,
    MarkdownContext,
    MarkdownJob,
    Rendered,
    Result,
    features,
    heading_id,
    make_parser,
    render,
)

URLS = {"case-studies/boxly.md": "/work/boxly/", "posts/hello.md": "/writing/hello/",
        "assets/chart.png": "/assets/chart.png", "static/cv.pdf": "/cv.pdf"}
CTX = MarkdownContext("/repo/", URLS)


def md(text: str, path: str = "case-studies/a.md", ctx: MarkdownContext = CTX, trusted=True) -> Result:
    return render(MarkdownJob("k", path, text, 10, trusted), ctx)


class Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def tags(html: str) -> list[tuple[str, dict]]:
    c = Collect()
    c.feed(html)
    return c.tags


def attr_values(html: str, name: str) -> list[str]:
    return [a[name] for _, a in tags(html) if a.get(name) is not None]


def test_relative_links_become_urls_with_base_path_and_fragment():
    r = md("[b](boxly.md#results) [p](../posts/hello.md) ![c](../assets/chart.png)")
    assert attr_values(r.rendered.html, "href") == ["/repo/work/boxly/#results", "/repo/writing/hello/"]
    assert attr_values(r.rendered.html, "src") == ["/repo/assets/chart.png"]
    assert r.diagnostics == ()


def test_missing_file_is_an_error_with_file_line():
    r = md("Intro\n\nSee [x](gone.md) now.")
    assert r.diagnostics == (Diagnostic("link to a missing file: gone.md", "case-studies/a.md", 12,
                                        None, r.diagnostics[0].hint),)


def test_link_outside_site_is_an_error():
    r = md("[x](../../../etc/passwd)")
    assert "outside the site folder" in r.diagnostics[0].message


def test_absolute_and_site_paths():
    r = md("[a](https://x.org/p) [b](/work/) [c](#top) [d](mailto:a@b.c)")
    assert attr_values(r.rendered.html, "href") == ["https://x.org/p", "/repo/work/", "#top", "mailto:a@b.c"]


@pytest.mark.parametrize("url", ["javascript:alert(1)", "JaVaScRiPt:alert(1)", "javascript&#58;alert(1)",
                                 "&#x6A;avascript:alert(1)", "java\tscript:alert(1)", "vbscript:x",
                                 "file:///etc/passwd", "data:text/html,<script>alert(1)</script>",
                                 "data:image/svg+xml,<svg onload=alert(1)>"])
def test_unsafe_schemes_never_reach_href_or_src(url):
    r = md(f"[x]({url}) ![y]({url}) <{url}>")
    for value in attr_values(r.rendered.html, "href") + attr_values(r.rendered.html, "src"):
        squeezed = "".join(ch for ch in value if ord(ch) > 32).lower()
        assert not squeezed.startswith(("javascript", "vbscript", "file", "data")), value


def test_raw_html_passes_for_the_site_and_is_escaped_for_imported_modules():
    text = '<script>alert(1)</script>\n\n<img src=x onerror="alert(1)">'
    assert ("script", {}) in tags(md(text).rendered.html)
    untrusted = md(text, trusted=False).rendered.html
    assert all(tag not in ("script", "img") for tag, _ in tags(untrusted))


def test_raw_html_off_by_config():
    ctx = MarkdownContext("/", {}, raw_html=False)
    assert all(tag != "script" for tag, _ in tags(md("<script>x</script>", ctx=ctx).rendered.html))


def test_template_syntax_is_literal():
    assert "{{ 7*7 }}" in md("{{ 7*7 }} {% include '/etc/passwd' %}").rendered.html


def test_extensions():
    text = ("| a | b |\n|---|---|\n| 1 | 2 |\n\n~~old~~ text[^1]\n\n[^1]: note\n\n- [x] done\n\n"
            "Term\n: Definition\n\n::: warning Mind the gap\nCareful\n:::\n\n```python\nx = 1\n```\n")
    names = [t for t, _ in tags(md(text).rendered.html)]
    html = md(text).rendered.html
    for tag in ("table", "s", "sup", "dl", "dd", "input"):
        assert tag in names, tag
    assert ("div", {"class": "admonition warning", "role": "note"}) in tags(html)
    assert ("pre", {"class": "highlight"}) in tags(html)
    assert ("span", {"class": "n"}) in tags(html)


FRAGMENTS = ["\n", "\n\n", "\r\n", " ", "  ", "\t", "> ", "- ", "1. ", "::: ", ":::", "::::", "note",
             "warning Title", "foo", ": ", "~ ", "~~", "~", "[^1]", "[^1]: ", "^[", "]", "[ ] ", "[x] ",
             "[X] ", "[", "*", "_", "`", "```\n", "Term", "text", "## ", "| a |", "|---|", "\\", "&#91;"]


# A fence with an unknown language makes Pygments load its lexer plugins; one of
# them (jedi, via IPython) raises the recursion limit, which Hypothesis reports.
@pytest.mark.filterwarnings("ignore:The recursion limit will not be reset")
@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=40).map("".join))
def test_a_parser_without_the_unused_plugins_renders_the_same(text):
    """render() picks a parser with only the plugins whose markers the text has."""
    env = {"base_path": "/"}
    full = make_parser(True).render(text, dict(env))
    assert make_parser(True, features(text)).render(text, dict(env)) == full


@pytest.mark.parametrize("text", [
    "::: note\nA\n:::", "::: tip Read this\n::: warning Inner\nB\n:::\n:::",
    ":::: danger\n::: info\nC\n:::\n::::", "::: unknown\nD\n:::", "- [ ] a\n- [x] b",
    "1. [X] done", "~~s~~",
])
def test_each_optional_syntax_is_detected(text):
    assert make_parser(True, features(text)).render(text, {"base_path": "/"}) == \
        make_parser(True).render(text, {"base_path": "/"})
    assert features(text), "no feature detected"
    assert set(features(text)) <= set(FEATURES)


def test_heading_ids_safe_unique_capped_and_collected():
    r = md("## Results\n\n## Results\n\n## constructor\n\n## " + "x" * 5000 + "\n\n### <b>bold</b>\n")
    ids = [a["id"] for t, a in tags(r.rendered.html) if t.startswith("h") and "id" in a]
    assert ids[:3] == ["results", "results-1", "h-constructor"]
    assert len(ids[3]) <= 80 and len(set(ids)) == len(ids)
    assert [h.id for h in r.rendered.toc] == ids
    assert heading_id("__proto__") == "proto" and heading_id("") == "section"


def test_plain_text_and_words():
    """Every body counts its words; only the profile's bio keeps its plain text."""
    source = "# Title\n\nSome *emphasis* and `code`."
    bio = render(MarkdownJob("profile.md", "profile.md", source, 4), CTX).rendered
    other = md(source).rendered
    assert bio.text == "Title Some emphasis and code ." and bio.words == 6
    assert other.text == "" and other.words == 6 and other.html == bio.html


@settings(max_examples=100, deadline=None)
@given(st.text())
def test_rendered_html_is_kept_packed_and_read_back_exactly(html):
    assert Rendered.of(html).html == html


def test_rendered_html_waits_compressed():
    text = "Words of a long paragraph, some of them twice. " * 200
    rendered = md(text).rendered
    assert rendered.html == f"<p>{text.strip()}</p>\n"
    assert len(rendered.packed) * 4 < len(rendered.html)
    assert Rendered.of("\ud800 lone surrogate").html == "\ud800 lone surrogate"


def test_image_without_alt_is_a_warning_with_line():
    (d,) = md("Text\n\n![](../assets/chart.png)").diagnostics
    assert (d.severity, d.line, d.message) == ("warning", 12, "image has no alt text")


def test_deps_record_what_links_resolved_to():
    r = md("[b](boxly.md) [g](gone.md)")
    assert ("case-studies/boxly.md", "/work/boxly/") in r.deps
    assert ("case-studies/gone.md", None) in r.deps


def test_crlf_renders_like_lf():
    text = "# T\n\nPara one\nline two\n\n- a\n- b\n"
    assert md(text.replace("\n", "\r\n").replace("\r\n", "\n")).rendered.html == md(text).rendered.html


@pytest.mark.parametrize("text", ["*a" * 50_000, "[" * 50_000, "> " * 5_000 + "x",
                                  "|a|\n|-|\n" + "|x|\n" * 10_000])
def test_pathological_input_renders_or_errors_cleanly(text):
    r = md(text)
    assert isinstance(r, Result)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(list("[]()<>!#*_`:/.\\ \nabmd-") + ["../", ".md", "javascript:"]),
                max_size=120).map("".join))
def test_any_text_gives_html_and_well_placed_diagnostics(text):
    r = md(text)
    lines = text.count("\n") + 1
    assert isinstance(r.rendered.html, str)
    for d in r.diagnostics:
        assert 10 <= d.line <= 10 + lines


def test_errors_survive_worker_processes():
    import pickle

    from folio.errors import BuildFailed, FolioError

    many = BuildFailed([Diagnostic("a", "p.md", 1), Diagnostic("b", "q.md", 2, 3, "h")])
    again = pickle.loads(pickle.dumps(many))
    assert again.diagnostics == many.diagnostics and str(again) == str(many)
    one = FolioError("m", "p.md", 3, 4, "hint")
    assert pickle.loads(pickle.dumps(one)).diagnostic == one.diagnostic
