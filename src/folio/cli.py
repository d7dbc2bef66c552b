"""The `folio` command: a thin Click layer over the pipeline.

Commands are loaded lazily (`folio --version` must not import Jinja or
markdown-it), each from its own module under `folio.commands`. Core modules
never import Click; this layer maps FolioError to exit code 1 and usage
errors to 2 (Click's own convention).
"""

from __future__ import annotations

import importlib
import sys

import click

from . import __version__

# command name -> "module:attribute"; each module is a thin Click wrapper.
COMMANDS = {
    "build": "folio.commands.build:build",
    "check": "folio.commands.build:check",
    "new": "folio.commands.new:new",
    "serve": "folio.commands.serve:serve",
    "module": "folio.commands.module:module",
    "doctor": "folio.commands.doctor:doctor",
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported only when they are run."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        target = COMMANDS.get(name)
        if target is None:
            return None
        module_name, attr = target.split(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                return None  # not built yet
            raise
        return getattr(module, attr)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="folio", message="%(prog)s %(version)s")
def cli() -> None:
    """folio builds a portfolio site (skills, case studies, services, learning
    modules) from a folder of Markdown and YAML."""


def main() -> None:
    cli(prog_name="folio")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
