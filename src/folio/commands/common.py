"""What every command shares: printing diagnostics and mapping errors to exit codes."""

from __future__ import annotations

import sys
from collections.abc import Iterable

import click

from ..errors import Diagnostic, FolioError

_COLOURS = {"error": "red", "warning": "yellow"}


def echo_diagnostics(diagnostics: Iterable[Diagnostic]) -> None:
    """Compiler-style lines on stderr; coloured on a terminal, plain when piped."""
    for d in diagnostics:
        lines = d.format().split("\n")
        head = lines[0].replace(f"{d.severity}:", click.style(f"{d.severity}:", fg=_COLOURS[d.severity], bold=True), 1)
        click.echo(head, err=True)
        for line in lines[1:]:
            click.echo(line, err=True)


def fail(exc: FolioError) -> None:
    """Print every diagnostic of a failed run and exit 1 (content/build errors)."""
    echo_diagnostics(exc.diagnostics)
    n = len(exc.diagnostics)
    if n > 1:
        click.echo(click.style(f"{n} errors", fg="red", bold=True), err=True)
    sys.exit(1)
