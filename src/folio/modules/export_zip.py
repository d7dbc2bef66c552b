"""folio's own module package: sources another folio site can import.

    folio-module.json          title, version, authors, license, source URL,
                               sha256 of every other file in the package
    modules/<slug>/module.yaml and the lesson Markdown, byte for byte
    assets/...                 the files the lessons use
    index.html, lessons/*.html the module rendered to open from file://
Paths keep the site layout, so an import writes each file where it came from.
"""

from __future__ import annotations

import hashlib
import json

from ..model import Module, Site
from . import view
from .adapt import outbound_links
from .licenses import license_url
from .offline import OfflineModule, ReadFile
from .ziputil import deterministic_zip

MANIFEST = "folio-module.json"
FORMAT_VERSION = 1


def source_files(module: Module, read_file: ReadFile) -> dict[str, bytes]:
    files = {module.source.path: read_file(module.source.path)}
    for lesson in module.lessons:
        files[lesson.source.path] = read_file(lesson.source.path)
    return files


def describe(site: Site, module: Module, files: dict[str, bytes], links: dict[str, str]) -> dict:
    origin = None
    if module.origin is not None:
        o = module.origin
        origin = {"title": o.title, "url": o.url, "version": o.version, "license": o.license,
                  "authors": [{"name": a.name, "url": a.url} for a in o.authors]}
    return {
        "format": "folio-module",
        "format_version": FORMAT_VERSION,
        "slug": module.slug,
        "title": module.title,
        "summary": module.summary,
        "version": module.version,
        "license": module.license or "CC-BY-4.0",
        "license_url": license_url(module.license or "CC-BY-4.0"),
        "authors": [{"name": a.name, "url": a.url} for a in view.authors_of(site, module)],
        "source": view.source_url(site, module),
        "module_yaml": module.source.path,
        "origin": origin,
        "links": links,
        "files": {path: hashlib.sha256(data).hexdigest() for path, data in sorted(files.items())},
    }


def build_folio_zip(site: Site, module: Module, offline: OfflineModule, read_file: ReadFile) -> bytes:
    files = dict(offline.files)
    files.update(source_files(module, read_file))
    meta = describe(site, module, files, outbound_links(site, module, read_file))
    files[MANIFEST] = (json.dumps(meta, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()
    return deterministic_zip(files, first=(MANIFEST,))
