"""Safe YAML that keeps line marks and turns every parser error into a FolioError.

The rules of SPEC §1 "YAML rules": safe tags only; `yes/no/on/off` stay
strings (only `true`/`false` are booleans, as in YAML 1.2); dates stay text
and are parsed by the schema so `2024-02-30` gets a proper error; duplicate
keys are errors naming both lines. Anchors and aliases are refused outright:
content files have no use for them and they are how alias bombs work.

Every mapping comes back as a :class:`Marked` dict that remembers, per key,
the 1-based line and column of the key and its value and the raw scalar text
("got bool from `no`"), so later stages can point at the exact place.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from typing import Any

import yaml

from .errors import FolioError

try:  # the C parser is several times faster; the constructor stays in Python
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

__all__ = ["Marked", "MarkedList", "Mark", "load_yaml", "MAX_DEPTH", "freeze", "thaw"]

MAX_DEPTH = 64
MAX_NODES = 200_000


@dataclass(frozen=True, slots=True)
class Mark:
    """Where a key or value sits: 1-based line and column, and its raw text."""

    line: int
    col: int
    raw: str | None = None  # the scalar exactly as written, for "quote it" hints
    style: str | None = None  # None for plain scalars, '"' or "'" when quoted


# Marks are kept packed, one int per place (line << 32 | col), and made into Mark
# objects only when asked for: a loaded site keeps the front matter of every file,
# and one object per node was most of its size. A text scalar's raw text is the
# value itself; raw text and style are stored only for scalars that are not text
# (the ones a "quote it" hint is for).
_HOME = 1 << 32 | 1  # line 1, column 1
_LOW = (1 << 64) - 1  # a key's place is key position << 64 | value position


def _unpack(pos: int, raw: str | None = None, style: str | None = None) -> Mark:
    return Mark(pos >> 32, pos & 0xFFFFFFFF, raw, style)


class Marked(dict):
    """A dict from YAML that knows where each key and value came from."""

    __slots__ = ("_at", "_places", "_raw")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._at = _HOME
        self._places: dict[Any, int] = {}  # key -> key position << 64 | value position
        self._raw: dict[Any, tuple[str, str | None]] | None = None

    @property
    def mark(self) -> Mark:
        return _unpack(self._at)

    def key_mark(self, key: Any) -> Mark | None:
        place = self._places.get(key)
        return None if place is None else _unpack(place >> 64)

    def value_mark(self, key: Any) -> Mark | None:
        place = self._places.get(key)
        if place is None:
            return None
        value = self.get(key)
        if isinstance(value, str):
            return _unpack(place & _LOW, value)
        return _unpack(place & _LOW, *(self._raw or {}).get(key, (None, None)))

    def line_of(self, key: Any) -> int:
        return self.where(key).line

    def where(self, key: Any) -> Mark:
        return self.value_mark(key) or self.mark

    def __reduce__(self):  # pickles as a plain dict (marks are only for errors)
        return (dict, (dict(self),))


class MarkedList(list):
    """A list from YAML that knows where each item came from."""

    __slots__ = ("_at", "_places", "_raw")

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self._at = _HOME
        self._places: tuple[int, ...] = ()  # position of each item
        self._raw: dict[int, tuple[str, str | None]] | None = None

    @property
    def mark(self) -> Mark:
        return _unpack(self._at)

    def where(self, index: int) -> Mark:
        if not 0 <= index < len(self._places):
            return self.mark
        item = self[index] if index < len(self) else None
        if isinstance(item, str):
            return _unpack(self._places[index], item)
        return _unpack(self._places[index], *(self._raw or {}).get(index, (None, None)))

    def __reduce__(self):
        return (list, (list(self),))


_YAML_BREAKS = "\x85\u2028\u2029"


def _line_map(text: str) -> list[int] | None:
    """YAML counts NEL, LS and PS as line breaks; editors do not. Map YAML's
    0-based line numbers to real ones so errors point where the user looks."""
    if not any(ch in text for ch in _YAML_BREAKS):
        return None
    real, out = 0, [0]
    for ch in text:
        if ch == "\n":
            real += 1
            out.append(real)
        elif ch in _YAML_BREAKS:
            out.append(real)
    return out


def _line(mark_line: int, line_map: list[int] | None) -> int:
    if line_map is not None and mark_line < len(line_map):
        return line_map[mark_line]
    return mark_line


def _pos(node: yaml.Node, line_offset: int, line_map: list[int] | None = None) -> int:
    m = node.start_mark
    return (_line(m.line, line_map) + 1 + line_offset) << 32 | (m.column + 1)


def _raw(node: yaml.Node, value: Any) -> tuple[str, str | None] | None:
    """What a scalar that is not text was written as; None when nothing to keep."""
    if isinstance(node, yaml.ScalarNode) and not isinstance(value, str):
        return node.value, node.style
    return None


class _Loader(_BaseLoader):  # type: ignore[misc, valid-type]
    """Safe loader: YAML 1.2 booleans, no timestamps, marks, no duplicate keys."""

    line_offset = 0
    line_map: list[int] | None = None

    def construct_mapping(self, node, deep=False):  # noqa: D102
        if not isinstance(node, yaml.MappingNode):
            return super().construct_mapping(node, deep)
        self.flatten_mapping(node)
        out = Marked()
        out._at = self._pos(node)
        places = out._places
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, (str, int, float, bool)) or key is None:
                raise _located("a mapping key must be plain text", key_node, self)
            if isinstance(key, bool):  # `true:` as a key: keep the text the user wrote
                key = key_node.value
            if isinstance(key, str):  # the same few field names in every file: one copy
                key = sys.intern(key)
            if key in out:
                first = places[key] >> 96
                raise _located(
                    f"duplicate key '{key}' (first defined on line {first})",
                    key_node, self,
                    hint="remove one of the two; YAML keeps only the last, which hides mistakes",
                )
            value = out[key] = self.construct_object(value_node, deep=True)
            places[key] = self._pos(key_node) << 64 | self._pos(value_node)
            raw = _raw(value_node, value)
            if raw is not None:
                if out._raw is None:
                    out._raw = {}
                out._raw[key] = raw
        return out

    def _pos(self, node: yaml.Node) -> int:
        return _pos(node, self.line_offset, self.line_map)

    def construct_yaml_map(self, node):  # noqa: D102
        data = self.construct_mapping(node, deep=True)
        yield data

    def construct_yaml_seq(self, node):  # noqa: D102
        out = MarkedList()
        out._at = self._pos(node)
        out.extend(self.construct_object(child, deep=True) for child in node.value)
        out._places = tuple(self._pos(child) for child in node.value)
        for i, (child, item) in enumerate(zip(node.value, out, strict=True)):
            raw = _raw(child, item)
            if raw is not None:
                if out._raw is None:
                    out._raw = {}
                out._raw[i] = raw
        yield out


_Loader.add_constructor("tag:yaml.org,2002:map", _Loader.construct_yaml_map)
_Loader.add_constructor("tag:yaml.org,2002:seq", _Loader.construct_yaml_seq)
# Dates are text until the schema parses them (so `2024-02-30` is a clear error).
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_str)

# YAML 1.2 booleans: only true/false. `no`, `on`, `yes`, `off` stay strings.
_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


def _located(message: str, node: yaml.Node, loader: _Loader, hint: str | None = None) -> FolioError:
    m = node.start_mark
    return FolioError(message, None, _line(m.line, loader.line_map) + 1 + loader.line_offset,
                      m.column + 1, hint)


def _precheck(text: str, path: str, offset: int, line_map: list[int] | None) -> None:
    """Refuse aliases and runaway nesting before anything is constructed.

    Runs over the parser's event stream (iterative, in C when available), so a
    billion-laughs document or `[[[[...` 50,000 deep fails fast and in little memory.
    """
    depth = 0
    count = 0
    try:
        for event in yaml.parse(text, Loader=_BaseLoader):
            count += 1
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > MAX_DEPTH:
                    m = event.start_mark
                    raise FolioError(f"YAML nested deeper than {MAX_DEPTH} levels", path,
                                     _line(m.line, line_map) + 1 + offset, m.column + 1)
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
            if isinstance(event, yaml.AliasEvent) or (
                isinstance(event, (yaml.ScalarEvent, yaml.MappingStartEvent,
                                   yaml.SequenceStartEvent)) and event.anchor
            ):
                m = event.start_mark
                raise FolioError("YAML anchors and aliases (&name, *name) are not allowed",
                                 path, _line(m.line, line_map) + 1 + offset, m.column + 1,
                                 hint="write the value out in full")
            if count > MAX_NODES:
                raise FolioError(f"YAML document has more than {MAX_NODES} nodes", path,
                                 offset + 1, 1)
    except yaml.MarkedYAMLError as exc:
        raise _yaml_error(exc, path, offset, line_map) from None
    except yaml.reader.ReaderError as exc:
        char = exc.character if isinstance(exc.character, str) else chr(exc.character)
        pos = max(text.find(char), 0)  # the C reader counts bytes, not characters
        line = text.count("\n", 0, pos) + 1 + offset
        col = pos - (text.rfind("\n", 0, pos) + 1) + 1
        raise FolioError(f"character U+{ord(char):04X} is not allowed in YAML", path, line, col,
                         hint="remove it, or write it as an escape inside double quotes") from None


def _yaml_error(exc: yaml.MarkedYAMLError, path: str, offset: int,
                line_map: list[int] | None = None) -> FolioError:
    mark = exc.problem_mark or exc.context_mark
    line = _line(mark.line, line_map) + 1 + offset if mark else offset + 1
    col = mark.column + 1 if mark else None
    problem = exc.problem or "invalid YAML"
    if exc.context:
        problem = f"{problem} ({exc.context})"
    hint = None
    if "mapping values are not allowed" in problem:
        hint = "a value containing ': ' must be quoted, e.g. title: \"Foo: Bar\""
    elif "found character '\\t'" in problem or "\\t" in problem:
        hint = "YAML indents with spaces, not tabs"
    elif "could not determine a constructor" in problem:
        hint = "folio reads YAML safely: tags that build objects are refused"
    return FolioError(f"invalid YAML: {problem}", path, line, col, hint)


def load_yaml(text: str, path: str, line_offset: int = 0) -> Any:
    """Parse one YAML document safely. Errors carry `path` and absolute line numbers.

    `line_offset` is the number of lines before the YAML text in its file (front
    matter starts after the opening `---`).
    """
    line_map = _line_map(text)
    _precheck(text, path, line_offset, line_map)
    loader = _Loader(text)
    loader.line_offset = line_offset
    loader.line_map = line_map
    try:
        return loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        raise _yaml_error(exc, path, line_offset, line_map) from None
    except FolioError as exc:
        d = exc.diagnostic
        raise FolioError(d.message, path, d.line, d.col, d.hint) from None
    except (ValueError, TypeError, RecursionError, yaml.YAMLError) as exc:
        raise FolioError(f"invalid YAML: {exc}", path, line_offset + 1, None) from None
    finally:
        loader.dispose()


# -- keeping parses between processes --------------------------------------------------
# Marked and MarkedList pickle as plain dict and list (their marks are only for
# errors, and worker processes need none). The persistent parse cache needs the marks
# too, so it stores this plain form instead: a tuple never comes out of YAML, so a
# tuple here is always a frozen mapping or list.

def freeze(value: Any) -> Any:
    """`value` (from :func:`load_yaml`) as plain tuples, lists and dicts, marks included."""
    if isinstance(value, Marked):
        return (0, [(k, freeze(v)) for k, v in value.items()], value._at, value._places,
                value._raw)
    if isinstance(value, MarkedList):
        return (1, [freeze(v) for v in value], value._at, value._places, value._raw)
    return value


def thaw(value: Any) -> Any:
    """The inverse of :func:`freeze`: equal values with equal marks."""
    if type(value) is not tuple:
        return value
    kind, items, at, places, raw = value
    out: Marked | MarkedList
    if kind == 0:
        out = Marked()
        for key, item in items:
            out[key] = thaw(item)
    else:
        out = MarkedList(thaw(item) for item in items)
    out._at, out._places, out._raw = at, places, raw
    return out
