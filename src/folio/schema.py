"""Typed field readers over one YAML mapping, collecting every problem.

`Fields(data, path, report, known)` reads `data` (a yamlload.Marked) the way a
content kind declares it: `f.text("title", required=True)`, `f.date("start")`,
`f.ids("skills", "skill")`. A wrong type is an error that points at the value
and says how to fix it ("got bool from `no`: quote it"). Unknown keys are kept
for templates (`f.extra()`); one that is 1-2 edits from a known key is a
warning with a suggestion. References to other entities are recorded as
:class:`Ref` so link.py can check them with the same file and line.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from .errors import Report, edit_distance
from .model import Author, Image, Link, PartialDate
from .yamlload import Mark, Marked, MarkedList

__all__ = ["Fields", "Ref", "parse_date", "parse_duration"]

_DATE = re.compile(
    r"^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2}))?"
    r"\s*(Z|[+-]\d{1,2}(?::?\d{2})?)?)?)?)?$"
)
_DURATION = re.compile(r"^(?:(\d+(?:\.\d+)?)\s*h(?:ours?)?)?\s*(?:(\d+)\s*m(?:in(?:utes?)?)?)?$")
_ID = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


@dataclass(frozen=True, slots=True)
class Ref:
    """A reference from a file to an id that link.py must resolve."""

    kind: str  # "skill", "track", "testimonial", "case-study", "module"
    id: str
    path: str
    line: int
    col: int


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if value is None:
        return "an empty value"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


def parse_date(value: Any, tz: _dt.tzinfo = _dt.UTC) -> PartialDate:
    """`2024`, `2024-03`, `2024-03-14`, `2024-03-14 10:00 +05:00` -> PartialDate; ValueError."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ValueError(f"expected a date, got {_type_name(value)}")
    text = str(value).strip()
    m = _DATE.match(text)
    if not m:
        raise ValueError(f"'{text}' is not a date (use YYYY, YYYY-MM or YYYY-MM-DD)")
    year, month, day, hour, minute, second, offset = m.groups()
    y, mo, d = int(year), int(month) if month else None, int(day) if day else None
    try:
        _dt.date(y, mo or 1, d or 1)
    except ValueError as exc:
        raise ValueError(f"'{text}' is not a real date ({exc})") from None
    moment = None
    if hour is not None:
        naive = _dt.datetime(y, mo or 1, d or 1, int(hour), int(minute), int(second or 0))
        if offset:
            moment = naive.replace(tzinfo=_parse_offset(offset)).astimezone(tz)
        else:
            moment = naive.replace(tzinfo=tz)
        y, mo, d = moment.year, moment.month, moment.day
    return PartialDate(y, mo, d, moment)


def _parse_offset(text: str) -> _dt.tzinfo:
    if text == "Z":
        return _dt.UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, minutes = (int(digits[:-2]), int(digits[-2:])) if len(digits) > 2 else (int(digits), 0)
    if hours > 14 or minutes > 59:
        raise ValueError(f"'{text}' is not a UTC offset")
    return _dt.timezone(sign * _dt.timedelta(hours=hours, minutes=minutes))


def parse_duration(value: Any) -> int:
    """`3h`, `45m`, `1h30m`, `1.5h`, or a number of minutes -> minutes; ValueError."""
    if isinstance(value, bool):
        raise ValueError("expected a duration like 45m or 3h, got true/false")
    if isinstance(value, int):
        return value
    text = str(value).strip().lower().replace(" ", "")
    m = _DURATION.match(text)
    if not text or not m or not any(m.groups()):
        raise ValueError(f"'{value}' is not a duration (use e.g. 45m, 3h or 1h30m)")
    hours, minutes = m.groups()
    return round(float(hours or 0) * 60) + int(minutes or 0)


class Fields:
    """Reads the fields of one mapping; problems go to `report`, never raised."""

    def __init__(self, data: Marked | dict, path: str, report: Report, known: Iterable[str],
                 refs: list[Ref] | None = None, tz: _dt.tzinfo | None = None,
                 strict_unknown: bool = False) -> None:
        self.data = data
        self.path = path
        self.report = report
        self.known = frozenset(known)
        self.refs = refs if refs is not None else []
        self.tz = tz or _dt.UTC
        self.strict_unknown = strict_unknown
        self._check_keys()

    # -- locations ---------------------------------------------------------------
    def where(self, key: str) -> Mark:
        if isinstance(self.data, Marked):
            return self.data.where(key)
        return Mark(1, 1)

    def line(self, key: str) -> int:
        return self.where(key).line

    def _error(self, key: str, message: str, hint: str | None = None,
               mark: Mark | None = None) -> None:
        m = mark or self.where(key)
        self.report.error(message, self.path, m.line, m.col, hint)

    def _quote_hint(self, key: str, value: Any, mark: Mark | None = None) -> str | None:
        m = mark or self.where(key)
        raw = m.raw if m.raw is not None else None
        if raw is not None and not m.style and not isinstance(value, (dict, list)):
            return f"YAML read `{raw}` as {_type_name(value)}; quote it: {key}: \"{raw}\""
        return None

    def _check_keys(self) -> None:
        for key in self.data:
            if not isinstance(key, str):
                self._error(str(key), f"field name {key!r} must be text")
                continue
            if key in self.known:
                continue
            near = [k for k in self.known if edit_distance(key.lower(), k) <= 2]
            if near and len(key) > 2:
                best = min(near, key=lambda k: (edit_distance(key.lower(), k), k))
                m = self.data.key_mark(key) if isinstance(self.data, Marked) else None
                line, col = (m.line, m.col) if m else (None, None)
                say = self.report.error if self.strict_unknown else self.report.warn
                say(f"unknown field '{key}'", self.path, line, col, f"did you mean '{best}'?")

    def has(self, key: str) -> bool:
        return key in self.data and self.data[key] is not None

    # -- scalar readers ----------------------------------------------------------
    def text(self, key: str, required: bool = False, default: str = "") -> str:
        if not self.has(key):
            if required:
                self._missing(key)
            return default
        value = self.data[key]
        if isinstance(value, str):
            return value.strip()
        self._error(key, f"'{key}' must be text, got {_type_name(value)}",
                    self._quote_hint(key, value))
        return default

    def _missing(self, key: str) -> None:
        where = self.data.mark if isinstance(self.data, Marked) else Mark(1, 1)
        self.report.error(f"missing required field '{key}'", self.path, where.line, None,
                          f"add a line `{key}: ...`")

    def boolean(self, key: str, default: bool = False) -> bool:
        if not self.has(key):
            return default
        value = self.data[key]
        if isinstance(value, bool):
            return value
        self._error(key, f"'{key}' must be true or false, got {_type_name(value)}",
                    "write true or false (yes/no/on/off stay text)")
        return default

    def integer(self, key: str, default: int | None = None) -> int | None:
        if not self.has(key):
            return default
        value = self.data[key]
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        self._error(key, f"'{key}' must be a whole number, got {_type_name(value)}")
        return default

    def choice(self, key: str, choices: Iterable[str], default: str = "") -> str:
        value = self.text(key, default=default)
        options = tuple(choices)
        if value and value not in options:
            self._error(key, f"'{key}' must be one of {', '.join(options)}; got '{value}'")
            return default
        return value

    def date(self, key: str, required: bool = False) -> PartialDate | None:
        if not self.has(key):
            if required:
                self._missing(key)
            return None
        try:
            return parse_date(self.data[key], self.tz)
        except ValueError as exc:
            self._error(key, f"'{key}': {exc}")
            return None

    def duration(self, key: str) -> int | None:
        if not self.has(key):
            return None
        try:
            return parse_duration(self.data[key])
        except ValueError as exc:
            self._error(key, f"'{key}': {exc}")
            return None

    def url(self, key: str) -> str:
        from .urls import is_safe_url

        value = self.text(key)
        if value and not is_safe_url(value):
            self._error(key, f"'{key}' has an unsafe or unsupported URL: {value!r}",
                        "use an http(s), mailto: or tel: address, or a site path")
            return ""
        return value

    # -- lists ---------------------------------------------------------------------
    def _list(self, key: str) -> list[tuple[Any, Mark]]:
        if not self.has(key):
            return []
        value = self.data[key]
        if isinstance(value, str):  # a single item written without brackets
            return [(value, self.where(key))]
        if not isinstance(value, list):
            self._error(key, f"'{key}' must be a list, got {_type_name(value)}")
            return []
        marks = value.where if isinstance(value, MarkedList) else (lambda i: self.where(key))
        return [(item, marks(i)) for i, item in enumerate(value)]

    def texts(self, key: str) -> tuple[str, ...]:
        out = []
        for item, mark in self._list(key):
            if isinstance(item, str):
                out.append(item.strip())
            else:
                self._error(key, f"items of '{key}' must be text, got {_type_name(item)}",
                            self._quote_hint(key, item, mark), mark)
        return tuple(out)

    def ids(self, key: str, kind: str) -> tuple[str, ...]:
        """A list of ids of another entity kind; each becomes a Ref for link.py."""
        out = []
        for item, mark in self._list(key):
            if isinstance(item, (int, float)) and not isinstance(item, bool):
                item = mark.raw or str(item)
            if not isinstance(item, str):
                self._error(key, f"items of '{key}' must be {kind} ids, got {_type_name(item)}",
                            mark=mark)
                continue
            ident = item.strip()
            self.refs.append(Ref(kind, ident, self.path, mark.line, mark.col))
            out.append(ident)
        return tuple(dict.fromkeys(out))

    def links(self, key: str) -> tuple[Link, ...]:
        from .urls import is_safe_url

        out = []
        for item, mark in self._list(key):
            if isinstance(item, dict) and isinstance(item.get("url"), str):
                url = item["url"].strip()
                label = item.get("label", item.get("title", url))
                if not is_safe_url(url):
                    self._error(key, f"unsafe link URL {url!r}", mark=mark)
                    continue
                out.append(Link(str(label), url))
            else:
                self._error(key, f"items of '{key}' must be {{label, url}} mappings", mark=mark)
        return tuple(out)

    def authors(self, key: str) -> tuple[Author, ...]:
        out = []
        for item, mark in self._list(key):
            if isinstance(item, str):
                out.append(Author(item.strip()))
            elif isinstance(item, dict) and isinstance(item.get("name"), str):
                out.append(Author(item["name"].strip(), str(item.get("url") or "")))
            else:
                self._error(key, f"items of '{key}' must be {{name, url}} mappings", mark=mark)
        return tuple(out)

    def image(self, key: str) -> Image | None:
        if not self.has(key):
            return None
        return self._image(self.data[key], self.where(key), key)

    def images(self, key: str) -> tuple[Image, ...]:
        found = (self._image(item, mark, key) for item, mark in self._list(key))
        return tuple(i for i in found if i is not None)

    def _image(self, value: Any, mark: Mark, key: str) -> Image | None:
        if isinstance(value, str):
            return Image(asset_path(value), "", "", mark.line)
        if isinstance(value, dict) and isinstance(value.get("src"), str):
            return Image(asset_path(value["src"]), str(value.get("alt") or ""),
                         str(value.get("caption") or ""), mark.line)
        self._error(key, f"'{key}' must be an image path under assets/ or {{src, alt}}",
                    mark=mark)
        return None

    def extra(self) -> dict[str, Any]:
        """Unknown fields, kept for templates (users extend themes)."""
        return {k: _plain(v) for k, v in self.data.items() if k not in self.known}


def asset_path(value: str) -> str:
    """`cover.jpg`, `assets/cover.jpg`, `/assets/cover.jpg` -> `assets/cover.jpg`."""
    value = value.strip().lstrip("/")
    while value.startswith("../"):
        value = value[3:]
    return value if value.startswith("assets/") else f"assets/{value}"


def _plain(value: Any) -> Any:
    """Marked containers -> plain dicts/lists (picklable, no marks)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def valid_id(value: str) -> bool:
    return bool(_ID.match(value))


def zone(name: str) -> _dt.tzinfo:
    return _dt.UTC if name in ("UTC", "") else ZoneInfo(name)
