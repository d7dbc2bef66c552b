"""Request targets -> keys of the in-memory site, and their content types.

The development server serves only the files dict of the last good build; this
module decides, without touching the disk, which key (if any) a raw request
target names, so no encoding trick can reach a file outside that dict.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import quote, unquote_to_bytes

__all__ = ["MIME", "Route", "content_type", "route", "unsafe_text"]

MIME = {
    ".html": "text/html; charset=utf-8", ".htm": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8", ".json": "application/json",
    ".xml": "application/xml", ".txt": "text/plain; charset=utf-8",
    ".svg": "image/svg+xml", ".webp": "image/webp", ".avif": "image/avif",
    ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
    ".ico": "image/x-icon", ".woff": "font/woff", ".woff2": "font/woff2",
    ".pdf": "application/pdf", ".zip": "application/zip", ".webmanifest": "application/manifest+json",
    ".md": "text/markdown; charset=utf-8", ".wasm": "application/wasm",
}


def content_type(key: str) -> str:
    suffix = PurePosixPath(key).suffix.lower()
    return MIME.get(suffix) or mimetypes.guess_type(key)[0] or "application/octet-stream"


@dataclass(frozen=True, slots=True)
class Route:
    """What a request target means: a file, a redirect, or an error status."""

    status: int                      # 200, 302, 400 or 404
    key: str | None = None           # files key when 200
    location: str | None = None      # when 302; always one leading "/" and quoted
    candidates: tuple[str, ...] = ()  # files keys that would answer this path


def unsafe_text(text: str) -> bool:
    """Control characters, DEL or a backslash: never part of a path or host we accept."""
    return any(ord(c) < 0x20 or c in "\x7f\\" for c in text)


def route(target: str, base_path: str, files: Mapping[str, bytes]) -> Route:
    """Map a raw request target to a files key without ever touching the disk.

    Percent-decoding happens once, as strict UTF-8; control characters, NUL,
    backslashes and dot segments give 400; anything outside the base path or
    absent from the build gives 404. Redirect targets are rebuilt from the base
    path and clean segments, so they can never point off-site.
    """
    if not target.startswith("/"):
        return Route(400)  # absolute-form, "*", or garbage
    raw = target.split("?", 1)[0].split("#", 1)[0]
    if unsafe_text(raw) or " " in raw:
        return Route(400)
    try:
        path = unquote_to_bytes(raw.encode("latin-1")).decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return Route(400)
    if unsafe_text(path) or any(seg in (".", "..") for seg in path.split("/")):
        return Route(400)
    base = base_path if base_path.endswith("/") else base_path + "/"
    if base != "/" and path in ("/", base.rstrip("/")):
        return Route(302, location=quote(base))
    if not path.startswith(base):
        return Route(404)
    rel = path[len(base):]
    if "" in rel.split("/")[:-1]:  # "a//b" or a leading "/": never a real file
        return Route(404)
    if rel == "" or rel.endswith("/"):
        key = rel + "index.html"
        return Route(200, key, candidates=(key,)) if key in files else Route(404, candidates=(key,))
    candidates = (rel, rel + "/index.html")
    if rel in files:
        return Route(200, rel, candidates=candidates)
    if rel + "/index.html" in files:
        return Route(302, location=quote(base + rel + "/"), candidates=candidates)
    return Route(404, candidates=candidates)
