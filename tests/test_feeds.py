"""folio.feeds: Atom (RFC 4287), sitemap (sitemaps.org) and robots.txt."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

import pytest
from lxml import etree
from quality.checks import ATOM, SM, atom_problems, sitemap_problems
from quality.samples import HOSTILE, minimal_site, sample_site

from folio import feeds
from folio.model import PartialDate


@dataclass
class Html:
    html: str


def rendered_for(site):
    return {e.key: Html(f"<p>Body of <a href=\"{site.config.base_path}work/\">{e.title}</a></p>")
            for e in (*site.posts, *site.case_studies)}


@pytest.fixture
def site():
    return sample_site()


def parse(data: bytes):
    return etree.fromstring(data)


def test_atom_has_every_required_element(site):
    data = feeds.atom(site, rendered_for(site))
    assert atom_problems(data) == []
    root = parse(data)
    assert root.findtext(ATOM + "id") == "https://ada.example/portfolio/"
    assert root.findtext(ATOM + "title") == "Ada Example"
    assert root.findtext(f"{ATOM}author/{ATOM}name") == "Ada Example"
    self_link = root.find(f"{ATOM}link[@rel='self']")
    assert self_link.get("href") == "https://ada.example/portfolio/feed.xml"
    assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == "en-GB"


def test_atom_checker_catches_missing_elements():
    bad = (b'<feed xmlns="http://www.w3.org/2005/Atom"><title>x</title>'
           b'<entry><id>/relative</id><updated>yesterday</updated></entry></feed>')
    problems = atom_problems(bad)
    assert "feed: needs exactly one atom:id, found 0" in problems
    assert any("rel=self" in p for p in problems)
    assert any("entry 1: needs exactly one atom:title" in p for p in problems)
    assert any("not an RFC 3339 date" in p for p in problems)
    assert any("not an absolute IRI" in p for p in problems)
    assert any("no atom:author" in p for p in problems)


def test_entries_newest_first_undated_left_out(site):
    root = parse(feeds.atom(site, rendered_for(site)))
    entries = root.findall(ATOM + "entry")
    assert [e.findtext(ATOM + "id") for e in entries] == [
        "https://ada.example/portfolio/writing/three-careers/",
        "https://ada.example/portfolio/work/charity-shop/",
        "https://ada.example/portfolio/work/boxly/",
        "https://ada.example/portfolio/writing/hello/",
    ]
    assert [e.findtext(ATOM + "updated") for e in entries] == [
        "2025-10-02T09:30:00Z", "2024-01-15T00:00:00Z", "2023-09-01T00:00:00+01:00",
        "2022-01-01T00:00:00Z"]  # midnight in Europe/Lisbon (WET in winter, WEST in summer)


def test_feed_updated_is_newest_entry_not_build_time(site):
    root = parse(feeds.atom(site, rendered_for(site)))
    assert root.findtext(ATOM + "updated") == "2025-10-02T09:30:00Z"


def test_feed_is_deterministic(site, monkeypatch):
    first = feeds.atom(site, rendered_for(site))
    monkeypatch.setenv("TZ", "Pacific/Kiritimati")
    assert feeds.atom(sample_site(), rendered_for(sample_site())) == first


def test_empty_feed_uses_source_date_epoch_or_1970(monkeypatch):
    site = minimal_site()
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    data = feeds.atom(site, {})
    assert atom_problems(data) == []
    assert parse(data).findtext(ATOM + "updated") == "1970-01-01T00:00:00Z"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert parse(feeds.atom(site, {})).findtext(ATOM + "updated") == "2023-11-14T22:13:20Z"


def test_entry_content_is_html_and_summary_text(site):
    root = parse(feeds.atom(site, rendered_for(site)))
    entry = root.find(ATOM + "entry")
    content = entry.find(ATOM + "content")
    assert content.get("type") == "html"
    assert content.text.startswith("<p>Body of <a href=\"/portfolio/work/\">")
    assert root.get("{http://www.w3.org/XML/1998/namespace}base") == \
        "https://ada.example/portfolio/"  # resolves root-relative links in content
    assert entry.findtext(ATOM + "summary") == "On portfolio careers"
    assert [c.get("term") for c in entry.findall(ATOM + "category")] == \
        ["careers", "freelance", "teaching"]
    assert entry.find(f"{ATOM}link[@rel='alternate']").get("href") == \
        "https://ada.example/portfolio/writing/three-careers/"


def test_hostile_text_is_escaped_and_control_chars_dropped(site):
    data = feeds.atom(site, rendered_for(site))
    assert b"<script>" not in data
    title = parse(data).find(ATOM + "entry").findtext(ATOM + "title")
    assert title == "Why three careers " + HOSTILE.replace("\x0c", "")


def test_entry_without_rendered_body_has_no_content(site):
    root = parse(feeds.atom(site, {}))
    assert root.find(f"{ATOM}entry/{ATOM}content") is None
    assert atom_problems(feeds.atom(site, {})) == []


def test_drafts_never_in_feed(site):
    draft = replace(site.posts[0], draft=True)
    site = replace(site, posts=(draft, site.posts[1]))
    ids = [e.findtext(ATOM + "id") for e in parse(feeds.atom(site, {})).findall(ATOM + "entry")]
    assert "https://ada.example/portfolio/writing/three-careers/" not in ids


URLS = ["/", "/work/", "/work/boxly/", "/writing/three-careers/", "/work/über/", "/404.html",
        "/writing/hello/", "/modules/sheets/print/", "/modules/sheets/"]


def test_sitemap_follows_protocol(site):
    data = feeds.sitemap(site, URLS)
    assert sitemap_problems(data, site.config.base_url) == []
    urls = parse(data).findall(SM + "url")
    locs = [u.findtext(SM + "loc") for u in urls]
    assert locs == sorted(locs)
    assert "https://ada.example/portfolio/work/%C3%BCber/" in locs
    assert not any("404" in loc or "/print/" in loc for loc in locs)
    assert "https://ada.example/portfolio/modules/sheets/" in locs
    lastmod = {u.findtext(SM + "loc"): u.findtext(SM + "lastmod") for u in urls}
    assert lastmod["https://ada.example/portfolio/work/boxly/"] == "2023-09"
    assert lastmod["https://ada.example/portfolio/writing/three-careers/"] == \
        "2025-10-02T09:30:00+00:00"
    assert lastmod["https://ada.example/portfolio/writing/hello/"] == "2022"
    assert lastmod["https://ada.example/portfolio/"] is None


def test_sitemap_mapping_gives_lastmod(site):
    data = feeds.sitemap(site, {"/about/": PartialDate(2024, 5, 6), "/": None})
    urls = parse(data).findall(SM + "url")
    assert [(u.findtext(SM + "loc"), u.findtext(SM + "lastmod")) for u in urls] == [
        ("https://ada.example/portfolio/", None),
        ("https://ada.example/portfolio/about/", "2024-05-06")]


def test_sitemap_checker_catches_problems():
    bad = (b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>/x</loc>'
           b'<lastmod>May 2024</lastmod></url></urlset>')
    problems = sitemap_problems(bad, "https://a.example/")
    assert any("not under" in p for p in problems)
    assert any("not a W3C datetime" in p for p in problems)


def test_robots_points_at_sitemap(site):
    assert feeds.robots(site) == (b"User-agent: *\nAllow: /\n\n"
                                  b"Sitemap: https://ada.example/portfolio/sitemap.xml\n")


def test_bad_timezone_falls_back_to_utc():
    site = sample_site()
    site = replace(site, config=replace(site.config, timezone="Not/AZone"))
    assert atom_problems(feeds.atom(site, {})) == []
    assert dt.UTC  # the fallback zone
