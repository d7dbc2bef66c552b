"""Reading a JSON Resume file: JSON with positions, typed access by JSON path.

Python's json module does not say where a value was, so objects are parsed
with the pure-Python scanner and remember the offset of their `{`; an error
then names the JSON path (`work[2].startDate`) and the line and column of
the key. Every shape problem is collected, so a person fixes them in one go.
"""

from __future__ import annotations

import json
import re
from json import decoder as _json_decoder
from json import scanner as _json_scanner
from pathlib import Path
from typing import Any

from ..errors import FolioError, Report
from ..frontmatter import decode
from ..schema import parse_date
from ..urls import is_safe_url

__all__ = ["Reader", "clean", "kind_of", "load_resume", "one_line"]

_RESUME_DATE = re.compile(r"^\d{4}(?:-\d{2}(?:-\d{2})?)?$")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_SPACES = re.compile(r"\s+")


# -- reading JSON with positions ------------------------------------------------

class _Obj(dict):
    """A JSON object that remembers where its `{` is, for error lines."""

    __slots__ = ("start",)


def _parse_json(text: str, path: str) -> Any:
    """json.loads, but objects carry their offset and duplicate keys are errors."""
    dec = json.JSONDecoder()

    def parse_object(s_and_end, strict, scan_once, object_hook, object_pairs_hook, memo=None):
        pairs, end = _json_decoder.JSONObject(s_and_end, strict, scan_once, None, list, memo)
        obj = _Obj()
        obj.start = s_and_end[1] - 1
        for key, value in pairs:
            if key in obj:
                line, col = _line_col(text, obj.start)
                raise FolioError(f"duplicate key {key!r} in a JSON object", path, line, col,
                                 hint="JSON keeps only the last one; remove the other")
            obj[key] = value
        return obj, end

    dec.parse_object = parse_object  # type: ignore[assignment]
    dec.scan_once = _json_scanner.py_make_scanner(dec)  # the Python scanner calls parse_object
    try:
        return dec.decode(text)
    except json.JSONDecodeError as exc:
        raise FolioError(f"invalid JSON: {exc.msg}", path, exc.lineno, exc.colno,
                         hint="a JSON Resume file is one JSON object; check commas and quotes"
                         ) from None
    except RecursionError:
        raise FolioError("invalid JSON: nested too deeply", path, 1, 1) from None


def _line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def clean(value: str) -> str:
    """Text as a person meant it: LF line breaks, no control characters."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    value = value.translate({0x2028: "\n", 0x2029: "\n", 0x85: "\n"})
    return _CONTROL.sub("", value).strip()


def one_line(value: str) -> str:
    return _SPACES.sub(" ", value).strip()


class Reader:
    """Typed access to the resume by JSON path; collects every shape error."""

    def __init__(self, text: str, path: str) -> None:
        self.text = text
        self.path = path
        self.report = Report()

    def error(self, where: str, message: str, obj: Any = None, key: str | None = None) -> None:
        line, col = self.position(obj, key)
        self.report.error(f"{where}: {message}", self.path, line, col)

    def position(self, obj: Any, key: str | None) -> tuple[int | None, int | None]:
        if not isinstance(obj, _Obj):
            return None, None
        offset = obj.start
        if key is not None:
            found = self.text.find(json.dumps(key), obj.start)
            offset = found if found >= 0 else offset
        return _line_col(self.text, offset)

    def obj(self, parent: dict, key: str, where: str) -> dict:
        value = parent.get(key)
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.error(where, f"expected an object {{...}}, got {kind_of(value)}", parent, key)
            return {}
        return value

    def objects(self, parent: dict, key: str, where: str) -> list[tuple[dict, str]]:
        value = parent.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.error(where, f"expected a list [...], got {kind_of(value)}", parent, key)
            return []
        out = []
        for i, item in enumerate(value):
            if isinstance(item, dict):
                out.append((item, f"{where}[{i}]"))
            else:
                self.error(f"{where}[{i}]", f"expected an object {{...}}, got {kind_of(item)}",
                           parent, key)
        return out

    def text_of(self, obj: dict, key: str, where: str) -> str:
        value = obj.get(key)
        if value is None:
            return ""
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            self.error(f"{where}.{key}", f"expected text, got {kind_of(value)}", obj, key)
            return ""
        return clean(str(value))

    def texts(self, obj: dict, key: str, where: str) -> list[str]:
        value = obj.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.error(f"{where}.{key}", f"expected a list of text, got {kind_of(value)}", obj, key)
            return []
        out = []
        for i, item in enumerate(value):
            if isinstance(item, str) or (isinstance(item, (int, float)) and not isinstance(item, bool)):
                if clean(str(item)):
                    out.append(clean(str(item)))
            else:
                self.error(f"{where}.{key}[{i}]", f"expected text, got {kind_of(item)}", obj, key)
        return out

    def date(self, obj: dict, key: str, where: str) -> str:
        value = self.text_of(obj, key, where)
        if not value:
            return ""
        try:
            if not _RESUME_DATE.match(value):
                raise ValueError(f"'{value}' is not a date")
            parse_date(value)
        except ValueError as exc:
            self.error(f"{where}.{key}", f"{exc}; JSON Resume dates are YYYY, YYYY-MM or "
                       "YYYY-MM-DD", obj, key)
            return ""
        return value

    def url(self, obj: dict, key: str, where: str, notes: list[str]) -> str:
        value = self.text_of(obj, key, where)
        if value and not (is_safe_url(value) and value.startswith(("http://", "https://"))):
            notes.append(f"{where}.{key}: left out {value!r} (only http and https links are kept)")
            return ""
        return value


def kind_of(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "null"
    return "text"


# -- mapping ------------------------------------------------------------------------

def load_resume(path: Path) -> tuple[dict, Reader]:
    """Read and parse the file; the top level must be an object."""
    shown = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise FolioError(f"cannot read the resume: {exc.strerror}", shown) from None
    text = decode(data, shown)
    doc = _parse_json(text, shown)
    if not isinstance(doc, dict):
        raise FolioError(f"a JSON Resume is an object {{...}}, this file holds {kind_of(doc)}",
                         shown, 1, 1, hint="see https://jsonresume.org/schema")
    return doc, Reader(text, shown)

