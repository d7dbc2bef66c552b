"""folio.yaml -> a frozen SiteConfig, every problem reported with its line.

The site root is the folder holding folio.yaml. Given no folder, folio looks
in the current folder and its parents, the way git finds a repository, and
says which paths it searched when there is none.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

from .errors import FolioError, Report
from .frontmatter import decode
from .model import AVAILABILITY_STATUSES, Availability, MenuItem, SiteConfig, Track
from .schema import Fields, valid_id, zone
from .urls import track_url
from .yamlload import Marked, MarkedList, load_yaml

__all__ = ["CONFIG_NAME", "find_site_root", "load_config", "parse_config"]

CONFIG_NAME = "folio.yaml"
KNOWN = ("title", "base_url", "language", "description", "theme", "tracks", "availability",
         "menu", "output", "drafts", "markdown", "timezone", "search", "theme_options",
         "limits", "social_cards")
_LANG = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")


def find_site_root(start: Path | None, explicit: bool) -> Path:
    """The folder with folio.yaml: `start` itself when given, else cwd or a parent."""
    base = (start or Path.cwd()).resolve()
    if not base.is_dir():
        raise FolioError(f"site folder not found: {start}", hint="give the folder that holds folio.yaml")
    searched = [base] if explicit else [base, *base.parents]
    for folder in searched:
        if (folder / CONFIG_NAME).is_file():
            return folder
    hint = "create it with `folio new PATH`, or pass the site folder"
    for folder in searched:
        for alt in ("folio.yml", "Folio.yaml", "folio.YAML"):
            if (folder / alt).is_file():
                hint = f"found {folder / alt}: rename it to {CONFIG_NAME}"
    listed = ", ".join(str(f) for f in searched[:6]) + (" ..." if len(searched) > 6 else "")
    raise FolioError(f"no {CONFIG_NAME} found (searched: {listed})", hint=hint)


def load_config(root: Path, report: Report) -> SiteConfig:
    path = root / CONFIG_NAME
    try:
        text = decode(path.read_bytes(), CONFIG_NAME)
    except OSError as exc:
        raise FolioError(f"cannot read {CONFIG_NAME}: {exc.strerror}", CONFIG_NAME) from None
    return parse_config(text, report)


def parse_config(text: str, report: Report) -> SiteConfig:
    data = load_yaml(text, CONFIG_NAME) if text.strip() else None
    if data is None:
        raise FolioError(f"{CONFIG_NAME} is empty", CONFIG_NAME, 1, 1,
                         hint="it needs at least `title:` and `base_url:`")
    if not isinstance(data, dict):
        raise FolioError(f"{CONFIG_NAME} must be a mapping of settings, not a list or a value",
                         CONFIG_NAME, 1, 1, hint="write settings as `key: value` lines")
    f = Fields(data, CONFIG_NAME, report, KNOWN, strict_unknown=True)
    title = f.text("title", required=True)
    base_url, base_path = _base_url(f)
    language = f.text("language", default="en")
    if language and not _LANG.match(language):
        f._error("language", f"'language' must be a BCP 47 tag like en or pt-BR, got '{language}'")
        language = "en"
    tz_name = f.text("timezone", default="UTC")
    try:
        tz = zone(tz_name)
    except Exception:  # ZoneInfoNotFoundError, ValueError for odd names
        f._error("timezone", f"unknown timezone '{tz_name}'", "use an IANA name like Europe/Lisbon")
        tz_name = "UTC"
        tz = zone("UTC")
    f.tz = tz
    markdown = data.get("markdown") if isinstance(data.get("markdown"), dict) else {}
    raw_html = markdown.get("raw_html", True)
    if not isinstance(raw_html, bool):
        f._error("markdown", "'markdown.raw_html' must be true or false")
        raw_html = True
    limits = data.get("limits") if isinstance(data.get("limits"), dict) else {}
    max_file_bytes = limits.get("max_file_bytes", 8 * 1024 * 1024)
    if isinstance(max_file_bytes, bool) or not isinstance(max_file_bytes, int) or max_file_bytes < 1:
        f._error("limits", "'limits.max_file_bytes' must be a positive whole number of bytes")
        max_file_bytes = 8 * 1024 * 1024
    theme_options = data.get("theme_options") if isinstance(data.get("theme_options"), dict) else {}
    return SiteConfig(
        title=title,
        base_url=base_url,
        base_path=base_path,
        language=language,
        description=f.text("description"),
        theme=f.text("theme", default="default") or "default",
        tracks=_tracks(f, report),
        availability=_availability(f, report),
        menu=_menu(f, report),
        output=f.text("output", default="_site") or "_site",
        drafts=f.boolean("drafts"),
        raw_html=raw_html,
        timezone=tz_name,
        search=f.boolean("search", default=True),
        social_cards=f.choice("social_cards", ("all", "sections", "off"), default="all") or "all",
        max_file_bytes=max_file_bytes,
        theme_options=dict(theme_options),
        extra={},
    )


def _base_url(f: Fields) -> tuple[str, str]:
    value = f.text("base_url", required=True)
    if not value:
        return "http://localhost/", "/"
    return normalise_base_url(value, f)


def normalise_base_url(value: str, f: Fields | None = None) -> tuple[str, str]:
    """`https://ada.github.io/portfolio` -> ("https://ada.github.io/portfolio/", "/portfolio/")."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        message = f"'base_url' must be an absolute http(s) URL, got '{value}'"
        hint = "e.g. base_url: https://ada.github.io/portfolio/"
        if f is None:
            raise FolioError(message, hint=hint)
        f._error("base_url", message, hint)
        return "http://localhost/", "/"
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    return f"{parts.scheme}://{parts.netloc}{path}", path


def _sub(f: Fields, key: str, value, report: Report, known) -> Fields | None:
    if not isinstance(value, dict):
        f._error(key, f"'{key}' must be a mapping")
        return None
    return Fields(value, f.path, report, known, tz=f.tz, strict_unknown=True)


def _items(f: Fields, key: str) -> list:
    value = f.data.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        f._error(key, f"'{key}' must be a list")
        return []
    return value if isinstance(value, MarkedList) else MarkedList(value)


def _tracks(f: Fields, report: Report) -> tuple[Track, ...]:
    tracks, seen = [], set()
    for item in _items(f, "tracks"):
        sub = _sub(f, "tracks", item, report, ("id", "title", "summary"))
        if sub is None:
            continue
        track_id = sub.text("id", required=True)
        line = item.mark.line if isinstance(item, Marked) else 0
        if track_id and not valid_id(track_id):
            sub._error("id", f"track id '{track_id}' must be lower-case letters, digits and dashes")
            continue
        if track_id in seen:
            sub._error("id", f"duplicate track id '{track_id}'")
            continue
        seen.add(track_id)
        if track_id:
            tracks.append(Track(track_id, sub.text("title", required=True), sub.text("summary"),
                                track_url(track_id), line))
    return tuple(tracks)


def _availability(f: Fields, report: Report) -> Availability:
    if not f.has("availability"):
        return Availability()
    sub = _sub(f, "availability", f.data["availability"], report, ("status", "until", "note"))
    if sub is None:
        return Availability()
    return Availability(sub.choice("status", AVAILABILITY_STATUSES, default="open") or "open",
                        sub.date("until"), sub.text("note"))


def _menu(f: Fields, report: Report) -> tuple[MenuItem, ...]:
    out = []
    for item in _items(f, "menu"):
        sub = _sub(f, "menu", item, report, ("title", "url"))
        if sub is not None:
            url = sub.url("url")
            title = sub.text("title", required=True)
            if title and url:
                out.append(MenuItem(title, url))
    return tuple(out)
