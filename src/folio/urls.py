"""Slugs and URLs: one place decides where every page lives (SPEC §3).

All URLs in the model are site-relative ("/work/boxly/"); the base path of
`base_url` is added only when a template or the Markdown renderer writes a
link, through :func:`with_base`. Output file paths come from :func:`output_path`,
which refuses anything that could leave the output folder.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from urllib.parse import quote

from .errors import FolioError

__all__ = [
    "slugify", "file_slug", "collision_key", "with_base", "output_path", "check_slug",
    "case_study_url", "skill_url", "track_url", "service_url", "post_url", "page_url",
    "module_url", "lesson_url", "tag_url", "RESERVED_PAGE_SLUGS",
]

_ORDER_PREFIX = re.compile(r"^[0-9][0-9-]*-(?=[^-])")
_UNSAFE = re.compile(r"[^\w\-.~]+", re.UNICODE)
_DASHES = re.compile(r"-{2,}")
_DOTS = re.compile(r"\.{2,}")
_WINDOWS_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)),
                     *(f"lpt{i}" for i in range(1, 10))}
MAX_SEGMENT = 120

# Free pages live at /<slug>/, so they may not take a section's place.
RESERVED_PAGE_SLUGS = frozenset({
    "work", "skills", "tracks", "services", "modules", "writing", "tags", "cv", "assets",
    "feed.xml", "sitemap.xml", "robots.txt", "404", "404.html", "resume.json", "pagefind",
    "static", "search", "folio.json",
})


def slugify(text: str) -> str:
    """Text -> URL segment: NFC, lower case, words joined by dashes; idempotent."""
    text = unicodedata.normalize("NFC", text).strip().lower()
    text = _UNSAFE.sub("-", text.replace("_", "-"))
    text = _DASHES.sub("-", _DOTS.sub(".", text)).strip("-.")
    return text[:MAX_SEGMENT].rstrip("-.")


def file_slug(stem: str) -> str:
    """A content file's slug: its name without an order prefix (`01-`, `2025-10-`)."""
    stripped = _ORDER_PREFIX.sub("", stem)
    return slugify(stripped or stem)


def windows_reserved(segment: str) -> bool:
    """True for names Windows keeps for devices (con, nul, lpt1, com1.txt, ...)."""
    return segment.lower().split(".")[0] in _WINDOWS_RESERVED


def collision_key(url: str) -> str:
    """Two URLs that collide on a case-insensitive file system share this key."""
    return unicodedata.normalize("NFC", url).casefold()


def check_slug(value: str, path: str, line: int | None = None, col: int | None = None) -> str:
    """Validate a user-given `slug:`; refuse anything that could escape a folder."""
    bad = (not value or "/" in value or "\\" in value or "\x00" in value
           or value in (".", "..") or "%" in value or any(ord(c) < 32 for c in value))
    if bad:
        raise FolioError(f"slug {value!r} is not a single URL segment", path, line, col,
                         hint="use letters, digits and dashes, e.g. slug: my-project")
    if len(value.encode()) > MAX_SEGMENT:
        raise FolioError(f"slug is {len(value.encode())} bytes; the limit is {MAX_SEGMENT}",
                         path, line)
    if windows_reserved(value):
        raise FolioError(f"slug {value!r} is a reserved device name on Windows", path, line,
                         hint="pick another name; the site could not be checked out on Windows")
    return unicodedata.normalize("NFC", value)


def case_study_url(slug: str) -> str:
    return f"/work/{slug}/"


def skill_url(skill_id: str) -> str:
    return f"/skills/{skill_id}/"


def track_url(track_id: str) -> str:
    return f"/tracks/{track_id}/"


def service_url(slug: str) -> str:
    return f"/services/#{slug}"


def post_url(slug: str) -> str:
    return f"/writing/{slug}/"


def page_url(slug: str) -> str:
    return f"/{slug}/"


def module_url(slug: str) -> str:
    return f"/modules/{slug}/"


def lesson_url(module_slug: str, lesson_slug: str) -> str:
    return f"/modules/{module_slug}/{lesson_slug}/"


def tag_url(tag_slug: str) -> str:
    return f"/tags/{tag_slug}/"


def tag_slug(tag: str) -> str:
    """A tag's URL segment; a name Windows keeps for a device ("aux") gets "-tag",
    so the output folder can be written and checked out there."""
    slug = slugify(tag)
    return f"{slug}-tag" if slug and windows_reserved(slug) else slug


def with_base(base_path: str, url: str) -> str:
    """Prefix a site-relative URL with the base path; leave absolute URLs alone.

    `with_base("/repo/", "/work/x/") == "/repo/work/x/"`. Non-ASCII and unsafe
    characters are percent-encoded; `#` fragments and `?` queries are kept.
    """
    if not url.startswith("/") or url.startswith("//"):
        return url
    return _prefixed(str(base_path), str(url))


@lru_cache(maxsize=1 << 16)
def _prefixed(base_path: str, url: str) -> str:
    """Memoised on plain strings: every page links the same navigation, and quoting
    is most of the cost of a link."""
    return base_path.rstrip("/") + quote(url, safe="/#?&=%~:@!$'()*+,;")


def output_path(url: str) -> str:
    """Site-relative URL -> output file path: "/work/x/" -> "work/x/index.html".

    Raises ValueError for anything that is not a clean relative path, so nothing
    can be written outside the output folder.
    """
    path = url.split("#", 1)[0].split("?", 1)[0]
    if not path.startswith("/"):
        raise ValueError(f"URL must start with '/': {url!r}")
    rel = path.lstrip("/")
    if rel == "" or rel.endswith("/"):
        rel += "index.html"
    parts = rel.split("/")
    if any(p in ("", ".", "..") or "\\" in p or "\x00" in p for p in parts):
        raise ValueError(f"unsafe output path: {url!r}")
    return rel


_SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):")
SAFE_SCHEMES = frozenset({"http", "https", "mailto", "tel"})


def is_safe_url(url: str) -> bool:
    """Allowlist for URLs from content: http(s), mailto, tel, relative paths, `#`.

    Browsers ignore tabs, newlines and leading control characters inside a
    scheme (`java\\tscript:`), so those are removed before the scheme is read.
    Protocol-relative `//host` is refused: it silently leaves the site.
    """
    squeezed = "".join(ch for ch in url if ord(ch) > 32 and ch != "\x7f").lower()
    if squeezed.startswith(("//", "\\\\", "/\\", "\\/")):
        return False
    m = _SCHEME.match(squeezed)
    if m is None:
        return ":" not in squeezed.split("/", 1)[0] or squeezed.startswith(("#", "?", "."))
    return m.group(1) in SAFE_SCHEMES
