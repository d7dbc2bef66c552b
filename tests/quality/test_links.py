"""Every link and resource of every page resolves on a real server under the sub-path.

The crawler reads href, src, srcset, poster, and absolute URLs in meta content
and JSON-LD; every internal one must answer 200 and every #fragment must name
an element id (or <a name>) on its target page. External links are not
fetched (the gate runs offline) but must use an allowed scheme.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from functools import cache
from urllib.parse import quote, unquote, urljoin, urlsplit, urlunsplit

from lxml import html as lxml_html

SAFE_EXTERNAL = ("http", "https", "mailto", "tel")


def fetch(url: str) -> tuple[int, bytes, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as resp:
            return resp.status, resp.read(), resp.headers.get_content_type()
    except urllib.error.HTTPError as err:
        return err.code, err.read(), err.headers.get_content_type()


def _srcset(value: str) -> list[str]:
    return [part.strip().split()[0] for part in value.split(",") if part.strip()]


def _jsonld_urls(data) -> list[tuple[str, str]]:
    out = []
    if isinstance(data, dict):
        for key, value in data.items():
            if key in ("url", "@id", "image") and isinstance(value, str):
                out.append((key, value))
            elif key in ("image",) and isinstance(value, list):
                out += [(key, v) for v in value if isinstance(v, str)]
            else:
                out += _jsonld_urls(value)
    elif isinstance(data, list):
        for value in data:
            out += _jsonld_urls(value)
    return out


def references(doc) -> list[tuple[str, str]]:
    """(what, raw url) for everything a page points at."""
    refs = []
    for el in doc.iter():
        if not isinstance(el.tag, str):
            continue
        for attr in ("href", "src", "poster", "action", "data"):
            value = el.get(attr)
            if value is not None and not (el.tag == "object" and attr != "data"):
                refs.append((f"<{el.tag} {attr}>", value))
        for attr in ("srcset", "imagesrcset"):
            if el.get(attr):
                refs += [(f"<{el.tag} {attr}>", u) for u in _srcset(el.get(attr))]
        if el.tag == "meta" and (el.get("content") or "").startswith(("http://", "https://")):
            refs.append((f"<meta {el.get('property') or el.get('name')}>", el.get("content")))
        if el.tag == "script" and el.get("type") == "application/ld+json":
            refs += [(f"JSON-LD {k}", u) for k, u in _jsonld_urls(json.loads(el.text or "{}"))]
    return refs


@cache
def _ids(doc) -> frozenset[str]:
    return frozenset({*doc.xpath("//@id"), *doc.xpath("//a/@name")})


def ids_of(doc) -> set[str]:
    return set(_ids(doc))


class Crawler:
    def __init__(self, site) -> None:
        self.site = site
        self.origin = "{0.scheme}://{0.netloc}".format(urlsplit(site.base_url))
        self.checked = 0

    @cache  # noqa: B019 - one crawler per test
    def get(self, url: str):
        status, body, ctype = fetch(url)
        ids = None
        if status == 200 and ctype == "text/html":
            ids = ids_of(lxml_html.fromstring(body))
        return status, ids

    def crawl(self) -> list[str]:
        problems: list[str] = []
        for rel in self.site.pages:
            page_url = self.site.url(rel)
            status, body, _ = fetch(page_url)
            if rel != "404.html" and status != 200:
                problems.append(f"{rel}: page itself answers {status}")
                continue
            doc = lxml_html.fromstring(body or (self.site.out / rel).read_bytes())
            for what, raw in references(doc):
                problems += self.check(rel, page_url, what, raw, ids_of(doc))
        return problems

    def check(self, rel: str, page_url: str, what: str, raw: str,
              page_ids: set[str] | None = None) -> list[str]:
        raw = raw.strip()
        if not raw or raw == "#":
            return []
        if raw.startswith("#") and page_ids is not None:  # same document, wherever it is served
            self.checked += 1
            if unquote(raw[1:]) not in page_ids:
                return [f"{rel}: {what} {raw!r}: no such id on the page"]
            return []
        target = urljoin(page_url, raw)
        parts = urlsplit(target)
        if parts.scheme not in SAFE_EXTERNAL:
            return [f"{rel}: {what} {raw!r} uses scheme {parts.scheme!r}"]
        if f"{parts.scheme}://{parts.netloc}" != self.origin:
            return []  # external: not fetched offline
        self.checked += 1
        if not parts.path.startswith(self.site.base_path):
            return [f"{rel}: {what} {raw!r} leaves the base path {self.site.base_path}"]
        path = quote(parts.path, safe="/%:@!$&'()*+,;=~")  # as a browser sends it
        bare = urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))
        status, ids = self.get(bare)
        if status != 200:
            return [f"{rel}: {what} {raw!r} -> {status}"]
        # a JSON-LD @id fragment ("#person") names a node, not an element
        if parts.fragment and ids is not None and unquote(parts.fragment) not in ids \
                and what != "JSON-LD @id":
            return [f"{rel}: {what} {raw!r}: no id {unquote(parts.fragment)!r} on the target"]
        return []


def test_every_internal_link_resolves(built_site, record_property):
    crawler = Crawler(built_site)
    problems = crawler.crawl()
    record_property("links_checked", crawler.checked)
    print(f"\nlinks: {built_site.name}: {len(built_site.pages)} pages crawled, "
          f"{crawler.checked} internal links checked, {len(problems)} broken")
    assert crawler.checked > 10 * len(built_site.pages)
    assert problems == [], f"{len(problems)} broken links:\n" + "\n".join(sorted(set(problems)))


def test_crawler_catches_broken_links_and_fragments(built_site):
    crawler = Crawler(built_site)
    page = built_site.url("index.html")
    assert crawler.check("x", page, "a", "nope/") == ["x: a 'nope/' -> 404"]
    assert "no id" in crawler.check("x", page, "a", "#no-such-id")[0]
    assert "no such id" in crawler.check("x", page, "a", "#nope", {"main"})[0]
    assert crawler.check("x", page, "a", "#main", {"main"}) == []
    assert "leaves the base path" in crawler.check("x", page, "a", "/work/")[0]
    assert "scheme" in crawler.check("x", page, "a", "javascript:alert(1)")[0]
    assert crawler.check("x", page, "a", "#main") == []


def test_server_refuses_paths_outside_the_build(built_site):
    root = built_site.base_url.removesuffix(built_site.base_path)
    assert fetch(root + "/index.html")[0] == 404
    assert fetch(built_site.base_url + "../../etc/passwd")[0] == 404
    assert fetch(built_site.base_url + "%2e%2e/%2e%2e/etc/passwd")[0] == 404
    assert fetch(built_site.base_url)[0] == 200


def test_404_page_links_work_from_a_nested_missing_url(built_site):
    """GitHub Pages serves 404.html at whatever URL was missing, so its links must
    not depend on where it is served (root-relative with the base path)."""
    crawler = Crawler(built_site)
    missing = built_site.base_url + "no/such/deep/page/"
    status, body, _ = fetch(missing)
    assert status == 404 and body
    doc = lxml_html.fromstring(body)
    problems = [p for what, raw in references(doc)
                for p in crawler.check("404 at a nested URL", missing, what, raw, ids_of(doc))]
    assert crawler.checked > 5
    assert problems == [], "\n".join(problems)
