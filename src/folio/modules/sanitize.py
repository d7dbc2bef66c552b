"""Cleaning HTML that came from someone else's package (untrusted, RELIABILITY §21-22)."""

from __future__ import annotations

import nh3

_SCHEMES = {"http", "https", "mailto", "tel"}
_GENERIC = {"id", "class", "lang", "title", "dir", "aria-label", "aria-hidden"}


def clean_imported_html(html: str) -> str:
    """Drop scripts, styles, frames, event handlers and unsafe URL schemes; keep prose."""
    attributes = {tag: set(attrs) for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items()}
    attributes["*"] = attributes.get("*", set()) | _GENERIC
    return nh3.clean(html, attributes=attributes, url_schemes=_SCHEMES,
                     link_rel="noopener noreferrer")
