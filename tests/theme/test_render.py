"""Every page kind, rendered from a small complete site and parsed (SPEC §3)."""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

import pytest

from folio.render import PageJob, menu_items

from .conftest import FULL_SITE, build_files, html_pages, jsonld_blocks, parse

EXPECTED_PAGES = [
    "index.html", "work/index.html", "work/boxly/index.html", "work/report/index.html",
    "skills/index.html", "skills/sql/index.html", "skills/pt-en/index.html",
    "tracks/data/index.html", "tracks/words/index.html", "tracks/data/cv/index.html",
    "services/index.html", "writing/index.html", "writing/hello/index.html",
    "tags/sql-tips/index.html", "tags/data/index.html", "about/index.html", "cv/index.html",
    "404.html",
]
SAFE_SCHEMES = ("http:", "https:", "mailto:", "tel:")


def test_every_page_kind_is_rendered(built):
    for path in EXPECTED_PAGES:
        assert path in built, path
    assert built[".nojekyll"] == b""
    for extra in ("feed.xml", "sitemap.xml", "robots.txt", "resume.json",
                  "tracks/data/resume.json", "tracks/words/resume.json"):
        assert extra in built, extra
    assert json.loads(built["tracks/words/resume.json"])["basics"]["name"] == "Ada Example"


@pytest.mark.parametrize("path", EXPECTED_PAGES)
def test_every_page_has_the_head_a_crawler_needs(built, path):
    raw = built[path]
    assert raw.startswith(b"<!DOCTYPE html>")
    doc = parse(raw)
    assert doc.get("lang") == "en-GB"
    title = doc.findtext(".//title")
    assert title and title.strip()
    assert doc.xpath('//meta[@name="description"]/@content')[0].strip()
    canonical = doc.xpath('//link[@rel="canonical"]/@href')[0]
    assert canonical.startswith("https://example.test/repo/")
    for prop in ("og:title", "og:description", "og:url", "og:type"):
        assert doc.xpath(f'//meta[@property="{prop}"]/@content'), prop
    assert doc.xpath('//meta[@name="twitter:card"]/@content')
    blocks = jsonld_blocks(doc)
    assert len(blocks) == 1
    assert blocks[0]["@context"] == "https://schema.org"
    assert len(doc.xpath("//main")) == 1 and doc.xpath("//header") and doc.xpath("//footer")
    assert doc.xpath('//a[@class="skip-link"]/@href') == ["#main"]
    ids = doc.xpath("//@id")
    assert len(ids) == len(set(ids)), "duplicate ids"


@pytest.mark.parametrize("path,kind", [
    ("index.html", "Person"), ("cv/index.html", "Person"), ("tracks/data/cv/index.html", "Person"),
    ("work/boxly/index.html", "CreativeWork"), ("writing/hello/index.html", "BlogPosting"),
    ("services/index.html", "Service"),
])
def test_jsonld_type_per_page(built, path, kind):
    data = jsonld_blocks(parse(built[path]))[0]
    types = [data.get("@type")] + [n.get("@type") for n in data.get("@graph", [])]
    assert kind in types


def test_base_path_is_on_every_internal_link(built):
    for path, raw in html_pages(built).items():
        doc = parse(raw)
        for attr in doc.xpath("//@href | //@src | //@srcset"):
            for value in attr.split(",") if attr.attrname == "srcset" else [attr]:
                value = value.strip().split(" ")[0]
                if value.startswith(("#",) + SAFE_SCHEMES):
                    continue
                assert value.startswith("/repo/"), f"{path}: {value}"


def test_internal_links_point_at_pages_that_exist(built):
    for path, raw in html_pages(built).items():
        for href in parse(raw).xpath("//a/@href"):
            if not href.startswith("/repo/"):
                continue
            target = urlsplit(href).path[len("/repo/"):]
            if target == "" or target.endswith("/"):
                target += "index.html"
            assert target in built, f"{path} links to missing {href}"


def test_menu_marks_the_current_section(built):
    doc = parse(built["work/boxly/index.html"])
    current = doc.xpath('//nav[@aria-label="Main"]//a[@aria-current]')
    assert [a.text_content() for a in current] == ["Work"]
    home = parse(built["work/index.html"])
    assert home.xpath('//nav//a[@aria-current="page"]/text()') == ["Work"]


def test_generated_menu_lists_sections_and_menu_pages(built):
    labels = parse(built["index.html"]).xpath('//nav[@aria-label="Main"]//a/text()')
    assert labels == ["Work", "Skills", "Services", "Writing", "About"]


def test_menu_from_folio_yaml_overrides(full_site):
    site = full_site({"folio.yaml": FULL_SITE["folio.yaml"] + "menu:\n"
                                    "  - {title: Projects, url: /work/}\n"
                                    "  - {title: Blog, url: 'https://blog.example.test/'}\n"})
    labels = parse(build_files(site)["index.html"]).xpath('//nav[@aria-label="Main"]//a/@href')
    assert labels == ["/repo/work/", "https://blog.example.test/"]


def test_home_shows_profile_availability_tracks_and_featured_work(built):
    doc = parse(built["index.html"])
    text = doc.text_content()
    assert "Ada Example" in doc.xpath("//h1")[0].text_content()
    assert "small teams" in text  # the bio from profile.md
    assert "Available for new projects until Jan 2030" in text
    assert doc.xpath('//a[@href="/repo/tracks/data/"]')
    assert doc.xpath('//a[@href="/repo/work/boxly/"]')
    assert doc.xpath('//a[@href="/repo/skills/sql/"]')
    assert doc.xpath('//a[@href="/repo/writing/hello/"]')
    assert doc.xpath('//a[@href="https://cal.example.test/ada"]')  # booking CTA


def test_case_study_page(built):
    doc = parse(built["work/boxly/index.html"])
    text = doc.text_content()
    for expected in ("Boxly", "Analyst", "January 2023 – June 2023", "Cut churn by 12%",
                     "Great work.", "Bo Lee"):
        assert expected in text
    assert doc.xpath('//a[@class="chip" and @href="/repo/skills/sql/"]')
    assert doc.xpath('//pre[contains(@class, "highlight")]//span[@class="nb"]')  # Pygments
    assert doc.xpath('//div[@class="admonition note"]')
    assert doc.xpath('//a[@href="/repo/services/#audit"]')  # link rewritten from .md


def test_skill_page_lists_its_evidence(built):
    doc = parse(built["skills/sql/index.html"])
    hrefs = doc.xpath("//main//a/@href")
    for target in ("/repo/work/boxly/", "/repo/writing/hello/"):
        assert target in hrefs
    assert "Data audit" in doc.text_content()
    assert "Expert" in doc.text_content()


def test_skills_index_groups_by_category(built):
    doc = parse(built["skills/index.html"])
    assert doc.xpath("//main//h2/text()") == ["Data", "Language"]


def test_track_page_holds_only_its_track_and_links_its_cv(built):
    doc = parse(built["tracks/words/index.html"])
    hrefs = doc.xpath("//main//a/@href")
    assert "/repo/work/report/" in hrefs and "/repo/work/boxly/" not in hrefs
    assert "/repo/tracks/words/cv/" in hrefs
    cv = parse(built["tracks/words/cv/index.html"]).text_content()
    assert "Impact report" in cv and "Boxly churn" not in cv


def test_services_show_price_duration_and_booking(built):
    doc = parse(built["services/index.html"])
    text = doc.text_content()
    assert "from €600 / day" in text and "5 days" in text
    assert doc.xpath('//a[@href="https://cal.example.test/ada"]')


@pytest.mark.parametrize("status", ["booked", "closed"])
def test_booking_calls_to_action_hidden_when_booked(full_site, status):
    config = FULL_SITE["folio.yaml"].replace(
        "availability: {status: open, until: 2030-01, note: Two slots left.}",
        f"availability: {{status: {status}, note: Back in spring.}}")
    files = build_files(full_site({"folio.yaml": config}))
    for path in ("index.html", "services/index.html", "work/boxly/index.html"):
        doc = parse(files[path])
        assert not doc.xpath('//a[@href="https://cal.example.test/ada"]'), path
        assert not doc.xpath('//a[normalize-space()="Hire me"]'), path
        assert not doc.xpath('//a[normalize-space()="Start a project"]'), path
    assert "Back in spring." in parse(files["services/index.html"]).text_content()
    assert "Back in spring." in parse(files["index.html"]).text_content()


def test_markdown_body_with_template_syntax_is_literal(full_site):
    site = full_site({"posts/2024-06-x.md": "---\ntitle: X\ndate: 2024-06-01\n---\n"
                                            "Result: {{ 7*7 }} {% raw %}\n"})
    page = build_files(site)["writing/x/index.html"].decode()
    assert "{{ 7*7 }}" in page and "{% raw %}" in page
    assert ">Result: 49" not in page


HOSTILE = {
    "case-studies/evil.md": (
        "---\ntitle: \"</title><script>alert(1)</script>\"\n"
        "summary: 'x\" onmouseover=\"alert(1)'\n"
        "client: \"<img src=x onerror=alert(1)>\"\n"
        "outcomes: [\"</script><script>alert(2)</script>\", \"<!--<script>\"]\n"
        "links: [{label: ok, url: 'https://ok.test/'}]\n"
        "---\nBody.\n"
    ),
    "services/evil.md": "---\ntitle: \"<b onclick=alert(4)>Evil\"\n---\n",
}


def test_hostile_front_matter_is_escaped_everywhere(full_site):
    files = build_files(full_site(HOSTILE))
    for path, raw in html_pages(files).items():
        doc = parse(raw)
        for script in doc.xpath("//script"):
            src = script.get("src", "")
            kind = script.get("type", "")
            assert src.startswith("/repo/theme/") or kind == "application/ld+json" \
                or "folio-theme" in (script.text or ""), f"{path}: foreign script"
            assert "alert(" not in (script.text or "") or kind == "application/ld+json"
        for el in doc.iter():
            for name in el.attrib:
                assert not name.lower().startswith("on"), f"{path}: {name} on <{el.tag}>"
        for value in doc.xpath("//@href | //@src"):
            assert "script:" not in value.lower(), f"{path}: {value}"
        assert doc.findtext(".//title").count("<script>") == (1 if path == "work/evil/index.html" else 0)
    page = parse(files["work/evil/index.html"])
    assert page.xpath("//h1")[0].text_content() == "</title><script>alert(1)</script>"
    assert "https://ok.test/" in page.xpath("//a/@href")
    block = page.xpath('//script[@type="application/ld+json"]')[0].text
    assert "</script" not in block and "<!--" not in block
    assert json.loads(block)["name"] == "</title><script>alert(1)</script>"


def test_og_image_is_the_cover_when_there_is_one(full_site, tmp_path):
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (1200, 800), "teal").save(buf, "JPEG")
    site = full_site({"assets/cover.jpg": buf.getvalue(),
                      "case-studies/pic.md": "---\ntitle: Pic\ncover: {src: assets/cover.jpg, "
                                             "alt: A teal square}\n---\n"})
    files = build_files(site)
    doc = parse(files["work/pic/index.html"])
    og = doc.xpath('//meta[@property="og:image"]/@content')[0]
    assert og.startswith("https://example.test/repo/assets/cover.jpg")
    picture = doc.xpath('//div[@class="wrap case-cover"]//picture')[0]
    img = picture.xpath(".//img")[0]
    assert img.get("alt") == "A teal square" and img.get("width") and img.get("height")
    assert picture.xpath(".//source/@srcset")[0].startswith("/repo/assets/")


def test_print_css_hides_navigation_and_buttons(built):
    css = built["theme/css/site.css"].decode()
    block = css[css.index("@media print"):]
    for selector in (".site-header", ".site-footer", ".button", ".theme-toggle", "nav"):
        assert selector in block.split("display: none")[0]


def test_assets_are_cache_busted(built):
    hrefs = parse(built["index.html"]).xpath('//link[@rel="stylesheet"]/@href')
    assert any(re.fullmatch(r"/repo/theme/css/site\.css\?v=[0-9a-f]{10}", h) for h in hrefs)


def test_render_output_is_deterministic(full_site):
    site = full_site()
    assert build_files(site) == build_files(site)


def test_menu_items_unit():
    from folio.model import Page, Profile, Site, SiteConfig, Source

    site = Site(SiteConfig("T", "https://e.test/", "/"), Profile("P"),
                pages=(Page("b", "B", "/b/", Source("pages/b.md"), menu=2),
                       Page("a", "A", "/a/", Source("pages/a.md"), menu=1),
                       Page("c", "C", "/c/", Source("pages/c.md"))))
    assert menu_items(site) == [{"title": "A", "url": "/a/"}, {"title": "B", "url": "/b/"}]
    assert PageJob("/x/", "t.html").context == {}


# -- the render layer on its own: model objects built by hand, a Rendered stand-in ----

class FakeRendered:
    def __init__(self, html: str):
        self.html, self.toc, self.text, self.words = html, (), html, len(html.split())


def hand_built_site():
    """A site that skipped the loader's URL checks, to prove the theme checks again."""
    from folio.model import (
        Availability,
        CaseStudy,
        Link,
        MenuItem,
        Profile,
        Service,
        Site,
        SiteConfig,
        SiteIndex,
        Source,
    )

    case = CaseStudy("x", "X", "/work/x/", Source("case-studies/x.md"),
                     links=(Link("bad", "javascript:alert(1)"), Link("evil", "//evil.test/"),
                            Link("good", "https://good.test/")))
    svc = Service("s", "S", "/services/#s", Source("services/s.md"),
                  booking_url="data:text/html,<script>alert(1)</script>")
    config = SiteConfig("T", "https://e.test/repo/", "/repo/",
                        availability=Availability("open"),
                        menu=(MenuItem("Bad", "vbscript:x"), MenuItem("Work", "/work/")))
    profile = Profile("P", links=(Link("me", "JaVaScRiPt:alert(2)"),))
    index = SiteIndex(entities={case.key: case, svc.key: svc},
                      urls={case.key: case.url, svc.key: svc.url})
    return Site(config, profile, case_studies=(case,), services=(svc,), index=index)


def test_theme_drops_unsafe_urls_that_reach_it(make_site):
    from folio.render import render_site
    from folio.templates import make_environment
    from folio.themes import load_theme

    site = hand_built_site()
    site_dir = make_site({})
    env = make_environment(load_theme("default", site_dir), site_dir, site)
    rendered = {"case-studies/x.md": FakeRendered("<p>{{ 7*7 }}</p>")}
    files = render_site(site, rendered, env)
    for path in ("index.html", "work/x/index.html", "services/index.html"):
        doc = parse(files[path])
        for value in doc.xpath("//@href | //@src"):
            low = value.lower()
            assert "script:" not in low and not low.startswith(("data:", "//")), f"{path}: {value}"
    case = parse(files["work/x/index.html"])
    assert "https://good.test/" in case.xpath("//a/@href")
    assert "<p>{{ 7*7 }}</p>" in files["work/x/index.html"].decode()
    assert "javascript:alert(1)" in env.folio_dropped_urls
