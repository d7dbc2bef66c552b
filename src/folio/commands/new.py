"""`folio new PATH [--from-resume FILE]`."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import FolioError
from .common import fail


@click.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--from-resume", "resume", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Seed the site from a JSON Resume file (jsonresume.org).")
def new(path: Path, resume: Path | None) -> None:
    """Create a new site in PATH (a new or empty folder) that builds as it is."""
    from ..scaffold import create_site

    try:
        written, notes = create_site(path, resume)
    except FolioError as exc:
        fail(exc)
        return
    for note in notes:
        click.echo(f"note: {note}", err=True)
    where = click.format_filename(str(path))
    click.echo(f"Created {where} ({len(written)} files).")
    click.echo("Next:")
    click.echo(f"  cd {where}")
    click.echo("  folio serve      # preview while you edit")
    click.echo("  folio build      # write the site to _site/")
