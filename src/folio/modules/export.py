"""`folio module export`: one package of one module, from a fresh in-memory build."""

from __future__ import annotations

from pathlib import Path

from ..errors import FolioError, closest
from .packages import FORMATS
from .view import package_files


def default_filename(slug: str, fmt: str) -> str:
    return package_files(slug)[fmt]


def export_package(slug: str, site_dir: Path | None, fmt: str = "zip") -> tuple[str, bytes]:
    """(file name, bytes) of the package, built exactly as `folio build` builds it."""
    if fmt not in FORMATS:
        raise FolioError(f"unknown package format {fmt!r}", hint="use zip, imscc or scorm")
    from ..build import Builder, BuildOptions

    result = Builder(site_dir, BuildOptions(search=False, explicit_site=site_dir is not None)).build()
    module = result.site.module(slug)
    if module is None:
        slugs = [m.slug for m in result.site.modules]
        guess = closest(slug, slugs)
        hint = (f"did you mean '{guess}'?" if guess
                else f"modules in this site: {', '.join(slugs) or 'none'}")
        raise FolioError(f"no module '{slug}' in this site", "modules", hint=hint)
    name = default_filename(slug, fmt)
    return name, result.files[f"modules/{slug}/{name}"]
