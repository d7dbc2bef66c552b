"""The three downloads of every module, built with the site (build.py calls this)."""

from __future__ import annotations

from collections.abc import Mapping

from ..errors import FolioError
from ..model import Module, Site
from .export_zip import build_folio_zip
from .imscc import build_imscc
from .offline import ReadFile, offline_module
from .scorm import build_scorm
from .view import package_files

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
        names = package_files(module.slug)
        offline = offline_module(site, module, rendered, read_file)
        folder = f"modules/{module.slug}/"
        out[folder + names["imscc"]] = build_imscc(site, module, offline)
        out[folder + names["zip"]] = build_folio_zip(site, module, offline, read_file)
        scorm = offline_module(site, module, rendered, read_file, scorm=True)
        out[folder + names["scorm"]] = build_scorm(site, module, scorm)
    return out
