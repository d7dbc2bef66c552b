"""`folio module export` and `folio module import`: thin Click wrappers."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import FolioError
from .common import fail


@click.group()
def module():
    """Share learning modules: export packages for an LMS, import other people's modules."""


@module.command("export")
@click.argument("slug")
@click.option("--site", "site_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Site folder (default: the current folder or a parent).")
@click.option("--format", "fmt", type=click.Choice(["zip", "imscc", "scorm"]), default="zip",
              show_default=True, help="zip: folio package; imscc: Common Cartridge 1.1; scorm: SCORM 1.2.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="File to write (default: <slug>.zip, <slug>.imscc or <slug>-scorm.zip).")
def export_command(slug, site_dir, fmt, output):
    """Package the module SLUG for other people and other platforms."""
    from ..modules.export import export_package

    try:
        name, data = export_package(slug, site_dir, fmt)
        target = output or Path(name)
        try:
            target.write_bytes(data)
        except OSError as exc:
            raise FolioError(f"cannot write {target}: {exc.strerror}", str(target)) from None
    except FolioError as exc:
        fail(exc)
        return
    click.echo(f"Wrote {click.format_filename(str(target))} ({len(data):,} bytes, {fmt})")


@module.command("import")
@click.argument("package", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("site", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace a module (and assets) that already exist.")
def import_command(package, site, force):
    """Add a module package made by another folio site, keeping its authors and license."""
    from ..config import find_site_root
    from ..modules.importer import import_module

    try:
        root = find_site_root(site, explicit=site is not None)
        result = import_module(package, root, force=force)
    except FolioError as exc:
        fail(exc)
        return
    verb = "Replaced" if result.replaced else "Added"
    click.echo(f"{verb} module '{result.slug}' ({result.title}): {len(result.written)} files "
               f"in modules/{result.slug}/" + (" and assets/" if any(
                   p.startswith("assets/") for p in result.written) else ""))
