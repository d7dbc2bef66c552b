"""What loading may reuse between builds: parsed files and the entities made from them.

Parsing one file is pure (bytes -> SourceText), and so is turning it into a model
object for one configuration, so both are kept by content hash: a rebuild parses
and checks only the files whose bytes changed, and whatever is reused equals a
fresh load.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import model as m
from .frontmatter import SourceText, decode, read_front_matter
from .yamlload import freeze, thaw

__all__ = ["EntityMemo", "ParseCache"]

_NONE_HIDDEN: frozenset[tuple[str, str]] = frozenset()


@dataclass(slots=True)
class ParseCache:
    """Parsed files by content hash: a rebuild parses only files whose bytes changed.

    Between processes the parses live in `.folio-cache/parse/` as plain data (front
    matter with its marks, where the body starts), so a warm `folio build` decodes
    each file but parses no YAML; YAML is most of the load stage.
    """

    entries: dict[tuple[str, str], SourceText] = field(default_factory=dict)
    latest: dict[str, tuple[str, str]] = field(default_factory=dict)  # rel -> key last parsed
    stored: dict[tuple[str, str], tuple] = field(default_factory=dict)  # key -> frozen parse
    parsed: int = 0  # files parsed, not restored, since the last save

    def parse(self, rel: str, data: bytes) -> SourceText:
        key = (rel, hashlib.blake2b(data, digest_size=16).hexdigest())
        self.latest[rel] = key
        hit = self.entries.get(key)
        if hit is None:
            kept = self.stored.get(key)
            if kept is not None:
                hit = _restored(data, rel, kept)
            else:
                hit = read_front_matter(data, rel, max_bytes=len(data))  # the loader applies the site's cap
                self.parsed += 1
            self.entries[key] = hit
        return hit

    def load(self, cache: Any) -> None:
        """The parses a build in another process saved (a damaged entry is a miss)."""
        found = cache.get(cache.key("parses"), None)
        if isinstance(found, dict):
            self.stored = found

    def save(self, cache: Any) -> None:
        """Save the live files' parses if any was parsed, not restored; then forget the
        saved forms (what they held is in `entries` now)."""
        if self.parsed:
            stored = {}
            for key in self.latest.values():
                st = self.entries.get(key)
                if st is not None:
                    stored[key] = (self.stored.get(key)
                                   or (freeze(st.meta), st.body_line, len(st.head)))
            cache.put(cache.key("parses"), stored)
            self.parsed = 0
        self.stored = {}

    def retain(self, live: set[str]) -> None:
        """Keep the latest version of each live file (older ones are edits gone by)."""
        self.latest = {rel: key for rel, key in self.latest.items() if rel in live}
        self.entries = {k: v for k, v in self.entries.items() if self.latest.get(k[0]) == k}


def _restored(data: bytes, rel: str, kept: tuple) -> SourceText:
    """A saved parse of these very bytes: decoded again, the YAML not parsed again."""
    meta, body_line, head_length = kept
    text = decode(data, rel, max_bytes=len(data))
    return SourceText(thaw(meta), text[head_length:], body_line, text[:head_length])


@dataclass(slots=True)
class EntityMemo:
    """What loading one file produced (entity, refs, diagnostics), by its bytes.

    Valid for one configuration; a rebuild after a one-file edit re-checks only
    that file instead of re-validating every entity of the site.
    """

    key: tuple = ()
    entries: dict[tuple, tuple] = field(default_factory=dict)
    used: set[tuple] = field(default_factory=set)

    def begin(self, config: m.SiteConfig, drafts: bool) -> None:
        if self.key != (config, drafts):
            self.key, self.entries = (config, drafts), {}
        self.used = set()

    def end(self) -> None:
        if len(self.entries) != len(self.used):  # every used key has an entry
            self.entries = {k: v for k, v in self.entries.items() if k in self.used}

    def run(self, key: tuple, loader: Any, make: Callable[..., Any], *args: Any) -> Any:
        """make(*args), or a replay of what it did last time for the same inputs.
        `loader`: the `folio.load` loader whose refs, report and hidden set `make` adds to."""
        self.used.add(key)
        hit = self.entries.get(key)
        report = loader.report
        if hit is not None:
            item, refs, errors, warnings, hidden = hit
        else:
            marks = (len(loader.refs), len(report.errors), len(report.warnings), set(loader.hidden))
            item = make(*args)
            refs = tuple(loader.refs[marks[0]:])
            errors = tuple(report.errors[marks[1]:])
            warnings = tuple(report.warnings[marks[2]:])
            hidden = frozenset(loader.hidden - marks[3]) or _NONE_HIDDEN  # one empty set for all
            self.entries[key] = (item, refs, errors, warnings, hidden)
            return item
        loader.refs.extend(refs)
        report.errors.extend(errors)
        report.warnings.extend(warnings)
        loader.hidden.update(hidden)
        return item
