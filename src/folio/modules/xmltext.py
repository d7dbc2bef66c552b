"""Escaping for the hand-written manifests (exact bytes, namespaces where Moodle looks)."""

from __future__ import annotations

from urllib.parse import quote
from xml.sax.saxutils import escape, quoteattr

_CONTROL = dict.fromkeys(c for c in range(32) if c not in (9, 10, 13))


def text(value: str) -> str:
    return escape(value.translate(_CONTROL))


def attr(value: str) -> str:
    return quoteattr(value.translate(_CONTROL))


def href(path: str) -> str:
    """A package path as a quoted URI reference (spaces become %20)."""
    return attr(quote(path, safe="/-._~!$&'()*+,;=:@"))
