"""Structured data and machine-readable files of both builds.

- every page: one <title>, a meta description, an absolute canonical URL that
  is the page's own, Open Graph tags, and at most one ld+json block that parses;
- pages SPEC §3 names carry their schema.org @type with the rich-results
  properties (checks.jsonld_problems);
- resume.json and every track's resume.json validate against @jsonresume/schema;
- feed.xml has every RFC 4287 required element; sitemap.xml follows the
  protocol and lists exactly the indexable pages; robots.txt names the sitemap.
"""

from __future__ import annotations

import json
import re

import pytest
from lxml import etree
from lxml import html as lxml_html

from .checks import ATOM, SM, atom_problems, jsonld_problems, sitemap_problems, top_types
from .tools import resume_errors

# output path pattern -> the @type SPEC §3 requires on that page
EXPECTED_TYPES = [
    (r"index\.html", "Person"),
    (r"cv/index\.html", "Person"),
    (r"tracks/[^/]+/cv/index\.html", "Person"),
    (r"work/[^/]+/index\.html", "CreativeWork"),
    (r"modules/(?!index)[^/]+/index\.html", "Course"),
    (r"modules/[^/]+/(?!print/)[^/]+/index\.html", "LearningResource"),
    (r"writing/(?!index)[^/]+/index\.html", "BlogPosting"),
]


def expected_type(rel: str) -> str | None:
    return next((t for pattern, t in EXPECTED_TYPES if re.fullmatch(pattern, rel)), None)


def page_problems(site, rel: str) -> list[str]:
    doc = lxml_html.fromstring(site.read(rel).encode("utf-8"))
    problems = []
    titles = doc.xpath("//head/title")
    if len(titles) != 1 or not titles[0].text_content().strip():
        problems.append("needs exactly one non-empty <title>")
    desc = doc.xpath("//head/meta[@name='description']/@content")
    if len(desc) != 1 or not desc[0].strip():
        problems.append("needs one non-empty meta description")
    canonical = doc.xpath("//head/link[@rel='canonical']/@href")
    own = site.url(rel) if rel != "404.html" else site.base_url + "404.html"
    if canonical != [own]:
        problems.append(f"canonical {canonical} is not [{own!r}]")
    for prop in ("og:title", "og:type", "og:url", "og:description"):
        if not doc.xpath(f"//head/meta[@property='{prop}']/@content"):
            problems.append(f"no {prop}")
    blocks = doc.xpath("//script[@type='application/ld+json']")
    if len(blocks) > 1:
        problems.append(f"{len(blocks)} ld+json blocks (one per page)")
    want = expected_type(rel)
    if want and not blocks:
        problems.append(f"no JSON-LD; SPEC §3 wants {want}")
    for block in blocks:
        try:
            data = json.loads(block.text or "")
        except json.JSONDecodeError as exc:
            problems.append(f"ld+json does not parse: {exc}")
            continue
        problems += [f"JSON-LD: {p}" for p in jsonld_problems(data)]
        if want and want not in top_types(data):
            problems.append(f"JSON-LD types {sorted(top_types(data))} lack {want}")
    return [f"{rel}: {p}" for p in problems]


def test_every_page_has_metadata_and_valid_jsonld(built_site):
    problems = [p for rel in built_site.pages for p in page_problems(built_site, rel)]
    kinds = {expected_type(rel) for rel in built_site.pages} - {None}
    assert kinds == {t for _, t in EXPECTED_TYPES}, f"page kinds missing from the build: {kinds}"
    assert problems == [], "\n".join(problems)


def test_page_checker_can_fail(built_site, tmp_path):
    import shutil

    bad = type(built_site)(built_site.name, built_site.source, tmp_path, built_site.base_url)
    (tmp_path / "work" / "x").mkdir(parents=True)
    shutil.copy(built_site.out / "index.html", tmp_path / "work" / "x" / "index.html")
    problems = page_problems(bad, "work/x/index.html")
    assert any("canonical" in p for p in problems)
    assert any("lack CreativeWork" in p for p in problems)


def test_resume_json_validates(built_site):
    files = sorted(built_site.out.glob("tracks/*/resume.json")) + [built_site.out / "resume.json"]
    assert len(files) >= 2
    for path in files:
        doc = json.loads(path.read_text(encoding="utf-8"))
        assert resume_errors(doc) == [], path
        assert doc["basics"]["name"]
        assert doc["meta"]["canonical"] == built_site.base_url + \
            path.relative_to(built_site.out).as_posix()


def test_feed_is_complete_atom(built_site):
    data = (built_site.out / "feed.xml").read_bytes()
    assert atom_problems(data) == []
    root = etree.fromstring(data)
    self_href = root.find(f"{ATOM}link[@rel='self']").get("href")
    assert self_href == built_site.base_url + "feed.xml"
    entries = root.findall(ATOM + "entry")
    assert entries, "the feed has no entries"
    for entry in entries:
        link = entry.find(f"{ATOM}link[@rel='alternate']").get("href")
        assert link.startswith(built_site.base_url), link
        content = entry.find(ATOM + "content")
        if content is not None:
            lxml_html.fragment_fromstring(content.text, create_parent="div")  # parses as HTML
    dates = [e.findtext(ATOM + "updated") for e in entries]
    assert root.findtext(ATOM + "updated") == max(dates)


def test_sitemap_lists_exactly_the_indexable_pages(built_site):
    data = (built_site.out / "sitemap.xml").read_bytes()
    assert sitemap_problems(data, built_site.base_url) == []
    locs = {u.findtext(SM + "loc") for u in etree.fromstring(data).findall(SM + "url")}
    indexable = set()
    for rel in built_site.pages:
        doc = lxml_html.fromstring(built_site.read(rel).encode("utf-8"))
        robots = " ".join(doc.xpath("//meta[@name='robots']/@content"))
        if "noindex" not in robots and rel != "404.html":
            indexable.add(built_site.url(rel))
    assert sorted(locs - indexable) == [], "sitemap lists pages that are not indexable"
    assert sorted(indexable - locs) == [], "indexable pages missing from the sitemap"


def test_robots_txt_names_the_sitemap(built_site):
    text = (built_site.out / "robots.txt").read_text(encoding="utf-8")
    assert re.search(r"(?mi)^user-agent: \*$", text)
    assert f"Sitemap: {built_site.base_url}sitemap.xml" in text.splitlines()


@pytest.mark.parametrize("rel", ["work/ubersicht/index.html", "writing/cafe-tags/index.html",
                                 "modules/sheets-101/tidy/index.html"])
def test_hostile_text_stays_inside_jsonld(kitchen_sink, rel):
    """RELIABILITY 32 on a real build: markup in titles round-trips through ld+json."""
    html = kitchen_sink.read(rel)
    doc = lxml_html.fromstring(html.encode("utf-8"))
    assert len(doc.xpath("//script[@type='application/ld+json']")) == 1
    assert "<script>alert(1)" not in html
    data = json.loads(doc.xpath("//script[@type='application/ld+json']")[0].text)
    text = json.dumps(data, ensure_ascii=False)
    if rel.startswith("work/"):
        assert "</title><script>alert(1)</script>" in text
    assert "<" in text  # markup kept as text, escaped only in the HTML
