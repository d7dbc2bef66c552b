"""Machine-readable outputs: the Atom feed, the sitemap and robots.txt.

All XML is built with ElementTree, so user text is escaped by the serializer
(never by string concatenation), and characters XML 1.0 cannot hold (a stray
form feed in a title) are dropped first. Output is deterministic: entries are
sorted, and the feed's `updated` is the newest entry's date, never the build
time, so two builds of the same content are byte-identical (RELIABILITY 45).
"""

from __future__ import annotations

import datetime as _dt
import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from . import __version__
from .jsonld import absolute_url
from .model import PartialDate, Site

__all__ = ["atom", "sitemap", "robots", "ATOM_NS", "SITEMAP_NS", "entry_date"]

ATOM_NS = "http://www.w3.org/2005/Atom"
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
XML_NS = "http://www.w3.org/XML/1998/namespace"
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_NOT_LISTED = re.compile(r"^/404(\.html)?/?$|^/modules/[^/]+/print/$")
_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.UTC)


def _xml_text(text: str) -> str:
    return _NOT_XML.sub("", text)


def _tz(site: Site) -> _dt.tzinfo:
    try:
        return ZoneInfo(site.config.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return _dt.UTC


def _rfc3339(moment: _dt.datetime) -> str:
    text = moment.isoformat(timespec="seconds")
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _fallback_updated() -> _dt.datetime:
    """A feed with no dated entry still needs `updated`: SOURCE_DATE_EPOCH, else 1970."""
    try:
        return _dt.datetime.fromtimestamp(int(os.environ["SOURCE_DATE_EPOCH"]), _dt.UTC)
    except (KeyError, ValueError, OverflowError, OSError):
        return _EPOCH


def entry_date(entity: Any) -> PartialDate | None:
    """The date a post or case study is listed under: post date; case date, end, start."""
    for name in ("date", "end", "start"):
        value = getattr(entity, name, None)
        if isinstance(value, PartialDate):
            return value
    return None


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    """A child element; the namespace is the root's default one (set with `xmlns`)."""
    el = ET.SubElement(parent, tag, {k: _xml_text(v) for k, v in attrs.items()})
    if text is not None:
        el.text = _xml_text(text)
    return el


def _serialize(root: ET.Element) -> bytes:
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


FEED_ENTRIES = 50  # the newest entries; readers poll often, and a feed of everything grows without end


def atom(site: Site, rendered: Mapping[str, Any]) -> bytes:
    """RFC 4287 feed of the newest posts and case studies; undated case studies are left out."""
    tz = _tz(site)
    cfg = site.config
    dated = []
    for entity in (*site.posts, *site.case_studies):
        when = entry_date(entity)
        if when is not None and not getattr(entity, "draft", False):
            dated.append((when.as_datetime(tz), entity))
    dated.sort(key=lambda pair: (pair[0], pair[1].url), reverse=True)

    feed = ET.Element("feed", {"xmlns": ATOM_NS, f"{{{XML_NS}}}lang": cfg.language,
                               f"{{{XML_NS}}}base": cfg.base_url})
    _sub(feed, "id", cfg.base_url)
    _sub(feed, "title", cfg.title)
    if cfg.description:
        _sub(feed, "subtitle", cfg.description)
    updated = dated[0][0] if dated else _fallback_updated()
    _sub(feed, "updated", _rfc3339(updated))
    author = _sub(feed, "author")
    _sub(author, "name", site.profile.name)
    _sub(author, "uri", cfg.base_url)
    if site.profile.email:
        _sub(author, "email", site.profile.email)
    _sub(feed, "link", rel="self", type="application/atom+xml",
         href=absolute_url(site, "/feed.xml"))
    _sub(feed, "link", rel="alternate", type="text/html", href=cfg.base_url)
    _sub(feed, "generator", "folio", version=__version__)

    for when, entity in dated[:FEED_ENTRIES]:
        url = absolute_url(site, entity.url)
        entry = _sub(feed, "entry")
        _sub(entry, "id", url)
        _sub(entry, "title", entity.title)
        _sub(entry, "updated", _rfc3339(when))
        _sub(entry, "published", _rfc3339(when))
        _sub(entry, "link", rel="alternate", type="text/html", href=url)
        for term in (*getattr(entity, "tags", ()), *entity.tracks):
            _sub(entry, "category", term=term)
        if entity.summary:
            _sub(entry, "summary", entity.summary)
        body = rendered.get(entity.key)
        if body is not None and body.html:
            _sub(entry, "content", body.html, type="html")
    return _serialize(feed)


def _lastmods(site: Site) -> dict[str, PartialDate]:
    found: dict[str, PartialDate] = {}
    for entity in (*site.posts, *site.case_studies):
        when = entry_date(entity)
        if when is not None:
            found[entity.url] = when
    return found


def sitemap(site: Site, urls: Iterable[str] | Mapping[str, PartialDate | None]) -> bytes:
    """sitemaps.org urlset of the given site-relative page URLs, sorted, with lastmod when known.

    A mapping gives each URL's lastmod explicitly; otherwise posts and case
    studies get theirs from their dates. The 404 page and the module print
    views (noindex duplicates of the lessons) are never listed.
    """
    known = dict(urls) if isinstance(urls, Mapping) else {}
    lastmods = {**_lastmods(site), **{u: d for u, d in known.items() if d is not None}}
    tz = _tz(site)
    root = ET.Element("urlset", {"xmlns": SITEMAP_NS})
    locs = {absolute_url(site, u): u for u in urls if not _NOT_LISTED.search(u)}
    for loc, url in sorted(locs.items()):
        node = _sub(root, "url")
        _sub(node, "loc", loc)
        when = lastmods.get(url)
        if when is not None:
            text = when.as_datetime(tz).isoformat(timespec="seconds") if when.time else when.iso()
            _sub(node, "lastmod", text)
    return _serialize(root)


def robots(site: Site) -> bytes:
    """Allow everything and point at the sitemap.

    Crawlers read robots.txt only at the host root; on a project site
    (base path "/repo/") this file is still written, for a custom domain later.
    """
    return (f"User-agent: *\nAllow: /\n\nSitemap: {absolute_url(site, '/sitemap.xml')}\n"
            .encode())
