"""Checkers for the machine-readable outputs, each returning a list of problems
(empty when the document is right), so assertion messages say what is wrong.

- atom_problems: RFC 4287's required elements and their formats (there is no
  strict Atom validator on PyPI; this encodes sections 3.3, 4.1.1, 4.1.2, 4.2).
- sitemap_problems: the sitemaps.org 0.9 protocol.
- jsonld_problems: the schema.org types SPEC §3 names, with the properties
  Google's rich results read.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from lxml import etree

ATOM = "{http://www.w3.org/2005/Atom}"
SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
W3C_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?"
                      r"(Z|[+-]\d{2}:\d{2}))?)?)?$")
ISO_DURATION = re.compile(r"^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?$")
ISO_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?(T\d{2}:\d{2}(:\d{2})?(Z|[+-]\d{2}:\d{2})?)?$")


def _absolute(url: str | None) -> bool:
    if not url:
        return False
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _one(parent, tag: str, where: str, problems: list[str]):
    found = parent.findall(ATOM + tag)
    if len(found) != 1:
        problems.append(f"{where}: needs exactly one atom:{tag}, found {len(found)}")
        return None
    return found[0]


def _check_date(el, where: str, problems: list[str]) -> None:
    if el is not None and not RFC3339.match((el.text or "").strip()):
        problems.append(f"{where}: {el.tag.split('}')[1]} {el.text!r} is not an RFC 3339 date")


def _check_person(el, where: str, problems: list[str]) -> None:
    names = el.findall(ATOM + "name")
    if len(names) != 1 or not (names[0].text or "").strip():
        problems.append(f"{where}: atom:author needs exactly one non-empty atom:name")


def atom_problems(data: bytes) -> list[str]:
    try:
        root = etree.fromstring(data)
    except etree.XMLSyntaxError as exc:
        return [f"not well-formed XML: {exc}"]
    problems: list[str] = []
    if root.tag != ATOM + "feed":
        return [f"root element is {root.tag}, not atom:feed"]
    for tag in ("id", "title", "updated"):
        _one(root, tag, "feed", problems)
    _check_date(root.find(ATOM + "updated"), "feed", problems)
    feed_id = root.find(ATOM + "id")
    if feed_id is not None and not _absolute(feed_id.text):
        problems.append(f"feed: id {feed_id.text!r} is not an absolute IRI")
    feed_authors = root.findall(ATOM + "author")
    for a in feed_authors:
        _check_person(a, "feed", problems)
    links = root.findall(ATOM + "link")
    if not any(link.get("rel") == "self" and _absolute(link.get("href")) for link in links):
        problems.append("feed: no atom:link rel=self with an absolute href")
    for link in links:
        if not link.get("href"):
            problems.append("feed: atom:link without href")
    alternates = [(lk.get("type"), lk.get("hreflang")) for lk in links
                  if lk.get("rel", "alternate") == "alternate"]
    if len(alternates) != len(set(alternates)):
        problems.append("feed: two alternate links with the same type and hreflang")
    ids = set()
    for n, entry in enumerate(root.findall(ATOM + "entry"), 1):
        where = f"entry {n}"
        for tag in ("id", "title", "updated"):
            _one(entry, tag, where, problems)
        _check_date(entry.find(ATOM + "updated"), where, problems)
        _check_date(entry.find(ATOM + "published"), where, problems)
        eid = entry.find(ATOM + "id")
        if eid is not None:
            if not _absolute(eid.text):
                problems.append(f"{where}: id {eid.text!r} is not an absolute IRI")
            if eid.text in ids:
                problems.append(f"{where}: duplicate id {eid.text}")
            ids.add(eid.text)
        if not feed_authors and not entry.findall(ATOM + "author"):
            problems.append(f"{where}: no atom:author on the entry or the feed")
        content = entry.find(ATOM + "content")
        has_alternate = any(lk.get("rel", "alternate") == "alternate"
                            for lk in entry.findall(ATOM + "link"))
        if content is None and not has_alternate:
            problems.append(f"{where}: needs atom:content or an alternate atom:link")
        if content is not None and content.get("type") not in (None, "text", "html", "xhtml"):
            if entry.find(ATOM + "summary") is None:
                problems.append(f"{where}: content of type {content.get('type')} needs a summary")
    return problems


def sitemap_problems(data: bytes, base_url: str) -> list[str]:
    try:
        root = etree.fromstring(data)
    except etree.XMLSyntaxError as exc:
        return [f"not well-formed XML: {exc}"]
    if root.tag != SM + "urlset":
        return [f"root element is {root.tag}, not urlset in the sitemaps.org namespace"]
    problems: list[str] = []
    urls = root.findall(SM + "url")
    if len(urls) > 50_000 or len(data) > 50 * 1024 * 1024:
        problems.append("more than 50,000 URLs or 50 MB: needs a sitemap index")
    seen = set()
    for n, url in enumerate(urls, 1):
        locs = url.findall(SM + "loc")
        if len(locs) != 1:
            problems.append(f"url {n}: needs exactly one loc")
            continue
        loc = (locs[0].text or "").strip()
        if not loc.startswith(base_url):
            problems.append(f"url {n}: loc {loc!r} is not under {base_url}")
        if len(loc) >= 2048:
            problems.append(f"url {n}: loc longer than 2,048 characters")
        if loc in seen:
            problems.append(f"url {n}: duplicate loc {loc}")
        seen.add(loc)
        for lastmod in url.findall(SM + "lastmod"):
            if not W3C_DATE.match((lastmod.text or "").strip()):
                problems.append(f"url {n}: lastmod {lastmod.text!r} is not a W3C datetime")
        for child in url:
            if child.tag not in (SM + "loc", SM + "lastmod", SM + "changefreq", SM + "priority"):
                problems.append(f"url {n}: unexpected element {child.tag}")
    return problems


# -- JSON-LD -------------------------------------------------------------------------

# @type -> properties a page of that kind must carry (schema.org + Google rich results).
REQUIRED = {
    "Person": ("name", "url"),
    "WebSite": ("name", "url"),
    "CreativeWork": ("name", "url", "author"),
    "Service": ("name", "provider"),
    "BlogPosting": ("headline", "datePublished", "author", "url", "mainEntityOfPage"),
    "Course": ("name", "description", "provider", "offers", "hasCourseInstance"),
    "LearningResource": ("name", "url", "isPartOf"),
    "ItemList": ("itemListElement",),
}


def _nodes(data):
    if isinstance(data, dict):
        if "@graph" in data:
            for node in data["@graph"]:
                yield from _nodes(node)
        else:
            yield data
    elif isinstance(data, list):
        for node in data:
            yield from _nodes(node)


def _walk(value):
    if isinstance(value, dict):
        yield value
        for v in value.values():
            yield from _walk(v)
    elif isinstance(value, list):
        for v in value:
            yield from _walk(v)


def top_types(data) -> set[str]:
    types = set()
    for node in _nodes(data):
        t = node.get("@type")
        types.update(t if isinstance(t, list) else [t])
    return types


def jsonld_problems(data) -> list[str]:
    """Problems with one parsed ld+json block (context, types, required properties)."""
    problems = []
    if not isinstance(data, dict) or data.get("@context") not in (
            "https://schema.org", "https://schema.org/", "http://schema.org"):
        return ["top level is not an object with @context https://schema.org"]
    for node in _nodes(data):
        t = node.get("@type")
        if not t:
            problems.append(f"node without @type: {str(node)[:80]}")
            continue
        for prop in REQUIRED.get(t, ()):
            if node.get(prop) in (None, "", [], {}):
                problems.append(f"{t}: missing {prop}")
        if t == "Course":
            for offer in node.get("offers") or []:
                if not offer.get("category"):
                    problems.append("Course: offer without category (Google requires it)")
            for inst in node.get("hasCourseInstance") or []:
                if not inst.get("courseMode") or not (inst.get("courseWorkload")
                                                      or inst.get("courseSchedule")):
                    problems.append("Course: instance needs courseMode and a workload/schedule")
        if t == "BlogPosting" and len(node.get("headline", "")) > 110:
            problems.append("BlogPosting: headline longer than 110 characters")
        if t == "ItemList":
            positions = [e.get("position") for e in node.get("itemListElement", [])]
            if positions != list(range(1, len(positions) + 1)):
                problems.append(f"ItemList: positions {positions} are not 1..n")
    for obj in _walk(data):
        for key, value in obj.items():
            if key in ("url", "image", "license") and isinstance(value, str) \
                    and not _absolute(value):
                problems.append(f"{obj.get('@type', '?')}.{key} is not absolute: {value!r}")
            if key in ("timeRequired", "courseWorkload") and not ISO_DURATION.match(str(value)):
                problems.append(f"{key} {value!r} is not an ISO 8601 duration")
            if key in ("datePublished", "dateModified", "dateCreated") \
                    and not ISO_DATE.match(str(value)):
                problems.append(f"{key} {value!r} is not an ISO 8601 date")
    return problems
