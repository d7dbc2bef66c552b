"""The three downloads of every module, built with the site (build.py calls this)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

from ..errors import FolioError
from ..model import Module, Site
from .export_zip import build_folio_zip
from .imscc import build_imscc
from .offline import ReadFile, offline_module
from .scorm import build_scorm
from .view import builtin_theme_file, package_files

FORMATS = ("zip", "imscc", "scorm")


def export_module(site: Site, module: Module, rendered: Mapping, read_file: ReadFile,
                  fmt: str) -> bytes:
    """One package of one module, as bytes."""
    if fmt not in FORMATS:
        raise FolioError(f"unknown package format {fmt!r}", hint="use zip, imscc or scorm")
    if fmt == "scorm":
        return build_scorm(site, module, offline_module(site, module, rendered, read_file, scorm=True))
    offline = offline_module(site, module, rendered, read_file)
    if fmt == "imscc":
        return build_imscc(site, module, offline)
    return build_folio_zip(site, module, offline, read_file)


def build_packages(site: Site, rendered: Mapping, read_file: ReadFile) -> dict[str, bytes]:
    """Output path -> bytes: /modules/<slug>/<slug>.imscc, <slug>-scorm.zip, <slug>.zip."""
    out: dict[str, bytes] = {}
    for module in site.modules:
        out.update(module_packages(site, module, rendered, read_file))
    return out


def module_packages(site: Site, module: Module, rendered: Mapping,
                    read_file: ReadFile) -> dict[str, bytes]:
    """The three packages of one module (the build caches and parallelises per module)."""
    names = package_files(module.slug)
    offline = offline_module(site, module, rendered, read_file)
    folder = f"modules/{module.slug}/"
    scorm = offline_module(site, module, rendered, read_file, scorm=True)
    return {folder + names["imscc"]: build_imscc(site, module, offline),
            folder + names["zip"]: build_folio_zip(site, module, offline, read_file),
            folder + names["scorm"]: build_scorm(site, module, scorm)}


@lru_cache(maxsize=1)
def code_stamp() -> str:
    """A digest of everything besides the site that shapes the packages' bytes:
    this package's code, templates and static files, and the default theme's
    lesson.js. A cache of build_packages() output must include it in its key."""
    here = Path(__file__).resolve().parent
    digest = hashlib.blake2b(digest_size=16)
    files = sorted(p for p in here.rglob("*") if p.is_file() and p.suffix in {".py", ".html", ".css", ".js"})
    files.append(builtin_theme_file("static/js/lesson.js"))
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def source_paths(site: Site) -> tuple[str, ...]:
    """The site files copied byte for byte into the packages (besides assets)."""
    return tuple(path for module in site.modules
                 for path in (module.source.path, *(lesson.source.path for lesson in module.lessons)))
