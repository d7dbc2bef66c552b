"""`folio doctor [SITE]`: deploy-readiness checks, one line per finding and a hint."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..errors import Diagnostic, FolioError
from .common import fail

_COLOURS = {"error": "red", "warning": "yellow"}


@click.command()
@click.argument("site", required=False, type=click.Path(file_okay=False, path_type=Path))
def doctor(site: Path | None) -> None:
    """Check that the site is ready to deploy to GitHub Pages, and say what to fix.

    Exit status 0 when nothing must be fixed (warnings may remain), 1 otherwise.
    """
    from ..config import find_site_root
    from ..doctor import diagnose

    try:
        root = find_site_root(site, explicit=site is not None)
        report = diagnose(root)
    except FolioError as exc:
        fail(exc)
        return
    findings = sorted([*report.errors, *report.warnings], key=Diagnostic.sort_key)
    for d in findings:
        head = d.headline().replace(f"{d.severity}:", click.style(
            f"{d.severity}:", fg=_COLOURS[d.severity], bold=True), 1)
        click.echo(head)
        if d.hint:
            click.echo(f"  hint: {d.hint}")
    errors, warnings = len(report.errors), len(report.warnings)
    if errors:
        click.echo(click.style(f"{errors} to fix before deploying", fg="red", bold=True)
                   + (f", {warnings} to improve" if warnings else ""))
        sys.exit(1)
    if warnings:
        click.echo(f"Ready to deploy; {warnings} thing{'s' if warnings != 1 else ''} to improve.")
    else:
        click.echo("Ready to deploy: nothing to fix.")
