"""`folio build` and `folio check`."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import click

from ..errors import FolioError
from .common import echo_diagnostics, fail


class StageProgress:
    """A one-line stage indicator on a terminal, once a build has run for a second.

    Quiet when stderr is not a terminal or CI is set, so logs stay clean.
    """

    def __init__(self) -> None:
        from ..build import STAGES

        self.stages = STAGES
        self.start = time.perf_counter()
        self.enabled = sys.stderr.isatty() and not os.environ.get("CI")
        self.shown = False

    def __call__(self, stage: str) -> None:
        if not self.enabled or time.perf_counter() - self.start < 1.0:
            return
        done = self.stages.index(stage) + 1 if stage in self.stages else 0
        width = 20
        bar = "#" * (width * done // len(self.stages))
        click.echo(f"\r  building [{bar:<{width}}] {stage:<10}", nl=False, err=True)
        self.shown = True

    def clear(self) -> None:
        if self.shown:
            click.echo("\r" + " " * 48 + "\r", nl=False, err=True)
            self.shown = False


site_argument = click.argument("site", required=False, type=click.Path(file_okay=False, path_type=Path))


@click.command()
@site_argument
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Output folder (default: folio.yaml `output`, _site).")
@click.option("--base-url", help="Override base_url, e.g. for a project page: https://user.github.io/repo/")
@click.option("--drafts/--no-drafts", default=None, help="Include drafts.")
@click.option("--clean", is_flag=True, help="Allow replacing an output folder that looks like an older build.")
@click.option("--no-search", is_flag=True, help="Skip the search index.")
@click.option("--no-cache", is_flag=True, help="Do not read or write .folio-cache/.")
@click.option("-j", "--jobs", type=click.IntRange(1, 64), help="Workers per stage: processes, and threads for images (default: all cores).")
@click.option("-v", "--verbose", is_flag=True,
              help="Print the time of each pipeline stage, and of the search indexing beside them.")
def build(site, output, base_url, drafts, clean, no_search, no_cache, jobs, verbose):
    """Build the site into its output folder."""
    from ..build import BuildOptions
    from ..build import build as run_build

    options = BuildOptions(output=output, base_url=base_url, drafts=drafts, clean=clean,
                           search=False if no_search else None, jobs=jobs, cache=not no_cache,
                           explicit_site=site is not None)
    progress = StageProgress()
    try:
        result = run_build(site, options, progress=progress)
    except FolioError as exc:
        progress.clear()
        fail(exc)
        return
    progress.clear()
    echo_diagnostics(result.warnings)
    total = sum(result.timings.values())
    where = click.format_filename(str(result.output_dir))
    click.echo(f"Built {result.pages} pages, {len(result.files)} files, {result.images} images "
               f"in {total:.2f} s -> {where} ({result.written} written, {result.unchanged} unchanged, "
               f"{result.removed} removed)")
    if verbose:
        for stage, seconds in result.timings.items():
            click.echo(f"  {stage:<10} {seconds * 1000:8.1f} ms")
        if result.pagefind is not None:  # not a stage: it ran beside them, "search" is the wait
            click.echo("  " + result.pagefind.describe())


@click.command()
@site_argument
@click.option("--base-url", help="Check links as they will be under this base URL.")
@click.option("--drafts/--no-drafts", default=None, help="Check drafts too.")
def check(site, base_url, drafts):
    """Check content, references and internal links without writing the site."""
    from ..build import Builder, BuildOptions

    options = BuildOptions(base_url=base_url, drafts=drafts, search=False,
                           explicit_site=site is not None)
    try:
        result = Builder(site, options).build()
    except FolioError as exc:
        fail(exc)
        return
    echo_diagnostics(result.warnings)
    click.echo(f"Checked {result.pages} pages: no errors, {len(result.warnings)} warnings")
