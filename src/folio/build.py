"""The whole pipeline, top to bottom: load -> link -> Markdown -> render -> write.

`Builder` keeps pure results between builds (parsed files and rendered
Markdown by content hash, file bytes by stat), so `folio serve` re-does only
what an edit touched; whatever it skips, the result equals a clean build.
`build()` is the one-shot form that also writes the output folder; it spills
pages, cards, packages and the search bundle to disk as they are made
(:mod:`folio.spill`), so its memory does not grow with the output.
Nothing here imports Click.
"""

from __future__ import annotations

import gc
import os
import stat
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .bodies import MarkdownStage
from .cache import FileBytes
from .config import find_site_root
from .errors import BuildFailed, Diagnostic, FolioError, Report
from .link import entity_index, link_site
from .load import load_site
from .loadmemo import EntityMemo, ParseCache
from .markdown import MarkdownContext, Rendered
from .model import Site
from .pagecache import PageRenderer, structure_of, template_fingerprint
from .sitefiles import SECTIONS, TOP_FILES, content_paths
from .spill import Output, Spill, Spilled
from .stagememo import StageMemo, TemplateBytecodeCache
from .stages import SearchRun, start_search

if TYPE_CHECKING:
    from .search import PagefindTime

__all__ = ["BuildOptions", "BuildResult", "Builder", "build"]


@dataclass(frozen=True, slots=True)
class BuildOptions:
    output: Path | None = None  # default: <site>/<config.output>
    base_url: str | None = None  # overrides folio.yaml (CI for project pages)
    drafts: bool | None = None  # None: as folio.yaml says
    clean: bool = False
    search: bool | None = None  # None: as folio.yaml says
    jobs: int | None = None  # workers of every stage that has them; None: all cores
    cache: bool = True  # persistent .folio-cache/
    cards: bool = True  # social card images (serve skips them: no preview can fetch localhost)
    explicit_site: bool = True  # False: look for folio.yaml in parents too


@dataclass(frozen=True, slots=True)
class BuildResult:
    root: Path
    site: Site
    files: dict[str, Output]  # bytes, or (after `build()`) where the file was written
    warnings: tuple[Diagnostic, ...] = ()
    timings: dict[str, float] = field(default_factory=dict)
    pagefind: PagefindTime | None = None  # the index's runs, beside the stages; None: none ran
    output_dir: Path | None = None
    written: int = 0
    unchanged: int = 0
    removed: int = 0
    images: int = 0

    @property
    def pages(self) -> int:
        return sum(1 for p in self.files if p.endswith(".html"))


_CONTENT_TOP = frozenset({*SECTIONS, "modules", *TOP_FILES})

STAGES = ("load", "link", "images", "markdown", "pages", "copy", "packages", "cards", "search",
          "write")


class _Timer:
    """Seconds per stage, and a call to `progress(stage)` as each one ends."""

    def __init__(self, progress: Callable[[str], None] | None = None) -> None:
        self.timings: dict[str, float] = {}
        self.progress = progress
        self._t = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.timings[stage] = self.timings.get(stage, 0.0) + now - self._t
        self._t = now
        if self.progress is not None:
            self.progress(stage)


class Builder:
    """Builds one site folder to memory, again and again, reusing pure results."""

    def __init__(self, site_dir: Path | str | None, options: BuildOptions = BuildOptions()) -> None:
        self.options = options
        self.root = find_site_root(Path(site_dir) if site_dir else None, options.explicit_site)
        self.parse_cache = ParseCache()
        self.entity_memo = EntityMemo()
        self._link_memo: tuple | None = None
        self.file_cache = FileBytes()
        self.bodies = MarkdownStage(self.root, options.cache, options.jobs)
        self.pages = PageRenderer(options.jobs, cache_root=self.root if options.cache else None)
        self.progress: Callable[[str], None] | None = None  # told as each stage ends
        self.memo = StageMemo(self.root, options.cache)
        self._sources: dict[str, bytes] | None = None  # the last clean walk, for `changed` builds
        self.spill: Spill | None = None  # set: large outputs wait on disk (see folio.spill)

    # -- stages -------------------------------------------------------------------
    def _read_sources(self, report: Report, changed: Iterable[Path] | None) -> dict[str, bytes]:
        """Every content file's bytes: only the changed ones re-read when the caller
        knows them (see `_sources_after`), else the whole tree walked and stat-ed."""
        if changed is not None and (out := self._sources_after(changed)) is not None:
            self._sources = out
            return out
        marks = len(report.errors) + len(report.warnings)
        out = {}
        for rel in content_paths(self.root, report):
            try:
                out[rel] = self.file_cache.read(self.root / rel, rel)
            except OSError as exc:
                report.error(f"cannot read file: {exc.strerror}", rel)
        live = set(out)
        self.file_cache.entries = {k: v for k, v in self.file_cache.entries.items() if k in live
                                   or not k.endswith((".md", ".yaml"))}
        self.parse_cache.retain(live)
        # A walk that reported anything must be repeated: its diagnostics belong to every build.
        clean = len(report.errors) + len(report.warnings) == marks
        self._sources = out if clean else None
        return out

    def _sources_after(self, changed: Iterable[Path]) -> dict[str, bytes] | None:
        """The last build's content files with the changed ones re-read, or None when
        only a walk can tell: a path that was not a content file (a new file or folder
        in a content folder), or one that is no longer a regular file (deleted, a
        folder, a symlink). Paths outside the content (assets, templates, the theme)
        do not change this list; their stages look at the disk themselves."""
        last = self._sources
        if last is None:
            return None
        out = dict(last)
        for path in changed:
            try:
                rel = Path(path).relative_to(self.root).as_posix()
            except ValueError:
                continue  # a theme folder outside the site
            if rel == ".":
                return None
            if rel not in out:
                if rel.split("/", 1)[0] in _CONTENT_TOP or rel in _CONTENT_TOP:
                    return None
                continue
            try:
                st = os.lstat(self.root / rel)
            except OSError:
                return None
            if not stat.S_ISREG(st.st_mode):
                return None
            try:
                out[rel] = self.file_cache.read(self.root / rel, rel)
            except OSError:
                return None
        if len(self.parse_cache.entries) > 2 * len(out) + 64:  # old versions of edited files
            self.parse_cache.retain(set(out))
        return out

    def _link(self, loaded: Any, structure: tuple, report: Report) -> Site:
        """Cross-references; reused when only Markdown bodies changed since last time
        (the index is keys and front matter, so only the entity objects are refreshed)."""
        key = (structure, loaded.refs, loaded.hidden)
        memo = self._link_memo
        if memo is not None and memo[0] == key:
            _key, index, errors, warnings = memo
            report.errors.extend(errors)
            report.warnings.extend(warnings)
            return replace(loaded.site, index=replace(index, entities=entity_index(loaded.site)))
        marks = (len(report.errors), len(report.warnings))
        site = link_site(loaded.site, loaded.refs, report, loaded.hidden)
        self._link_memo = (key, site.index, tuple(report.errors[marks[0]:]),
                           tuple(report.warnings[marks[1]:]))
        return site

    def build(self, changed: Iterable[Path] | None = None) -> BuildResult:
        """Load, check and render the whole site to memory. Raises BuildFailed.

        `changed`: the absolute paths that changed since the last build, when the
        caller knows them (`folio serve` does); content files are then not walked.

        The cyclic garbage collector is paused meanwhile: a build makes millions of
        short-lived objects and few cycles, and full collections over the kept
        caches cost more than the build's own work on a one-file rebuild.
        """
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            return self._build(changed)
        finally:
            if was_enabled:
                gc.enable()

    def _build(self, changed: Iterable[Path] | None) -> BuildResult:
        timer = _Timer(self.progress)
        report = Report()
        self.memo.in_memory = self.spill is None
        sources = self._read_sources(report, None if changed is None else tuple(changed))
        parses = self._parse_disk()
        loaded = load_site(self.root, report, drafts=self.options.drafts,
                           base_url=self.options.base_url, parse=self.parse_cache.parse,
                           sources=sources, memo=self.entity_memo)
        if parses is not None:
            self.parse_cache.save(parses)
        timer.lap("load")
        structure = structure_of(loaded.site, self.pages.stripped)
        site = self._link(loaded, structure, report)
        timer.lap("link")

        from .templates import make_environment
        from .themes import load_theme

        chain = None
        try:
            chain = load_theme(site.config.theme, self.root)
        except FolioError as exc:
            report.add(exc)
        files: dict[str, Output] = {}
        urls = dict(site.index.urls)
        for rel in site.static:
            urls["static/" + rel] = "/" + rel
        images = self._process_images(site, report, files)
        timer.lap("images")
        ctx = MarkdownContext(site.config.base_path, urls, images, site.config.raw_html)
        rendered = self.bodies.render(site, ctx, report)
        timer.lap("markdown")
        _fail_with_sources(report, sources)

        env = make_environment(chain, self.root, site)
        env.bytecode_cache = self._template_cache().jinja
        folders = [Path(d).parent for d in chain.template_dirs] + [self.root / "templates"]
        self.pages.spill = self.spill
        pages = self.pages.render(site, rendered, env, images, template_fingerprint(folders),
                                  search=self._search_on(site), structure=structure)
        timer.lap("pages")
        search = self._start_search(site, pages)  # Pagefind indexes while the stages below run
        try:
            files.update(self._copy_files(site, chain, files))
            timer.lap("copy")
            files.update(self._module_packages(site, rendered, sources))
            timer.lap("packages")
            files.update(pages)
            files.update(self._social_cards(site, chain))
            timer.lap("cards")
            files.update(search.finish())
            timer.lap("search")  # the wait for Pagefind after the other stages
        finally:
            search.cancel()
        _fail_with_sources(report, sources)
        warnings = tuple(sorted(report.warnings, key=Diagnostic.sort_key))
        return BuildResult(self.root, site, dict(sorted(files.items())), warnings,
                           timer.timings, search.took, images=len(images))

    def _parse_disk(self) -> Any:
        """`.folio-cache/parse/` for the first build of this Builder, else None: the parses
        are read back once, and saved once (in `folio serve`, an edit re-parses one file
        in memory; the next `folio build` parses the files changed since)."""
        if not self.options.cache or getattr(self, "_parses_done", False):
            return None
        from .cache import Cache

        self._parses_done = True
        disk = Cache(self.root, "parse", "")
        self.parse_cache.load(disk)
        return disk

    def _template_cache(self) -> Any:
        """Compiled templates, in memory and in .folio-cache/: Jinja checks the source
        checksum on every load, so an edited template is always recompiled."""
        if getattr(self, "_bytecode", None) is None:
            from .cache import Cache, NullCache

            disk = Cache(self.root, "templates", "jinja") if self.options.cache else NullCache()
            self._bytecode = TemplateBytecodeCache(disk)
        return self._bytecode

    # -- optional stages (each lives in its own module) ----------------------------
    def _process_images(self, site: Site, report: Report, files: dict[str, bytes]) -> dict[str, Any]:
        try:
            from .images import ImagePipeline
        except ImportError:
            return {}
        if not hasattr(self, "_image_pipeline"):
            cache_dir = self.root / ".folio-cache" / "images" if self.options.cache else None
            self._image_pipeline = ImagePipeline(self.root, cache_dir, jobs=self.options.jobs)
        from .images import image_refs

        result = self._image_pipeline.process(site.assets, image_refs(site))
        report.extend(result.report)
        files.update(result.files)
        return dict(result.infos)

    def _social_cards(self, site: Site, chain: Any) -> dict[str, Output]:
        """One Open Graph image per shareable page, cached by what is drawn (each card
        in .folio-cache/og/; in memory, the whole set while its inputs are the same)."""
        if not self.options.cards:
            return {}
        from .social import card_specs, render_cards

        cache_dir = self.root / ".folio-cache" / "og" if self.options.cache else None
        specs = card_specs(site)
        options = getattr(chain, "options", None)
        if self.spill is not None:
            return render_cards(site, specs, self.root, cache_dir, theme_options=options,
                                spill=self.spill, jobs=self.options.jobs)
        inputs = (specs, site.profile, site.config, options, self._asset_stamps(site))
        return self.memo.run("cards", inputs, lambda: render_cards(
            site, specs, self.root, cache_dir, theme_options=options, jobs=self.options.jobs))

    def _copy_files(self, site: Site, chain: Any, done: Mapping[str, bytes]) -> dict[str, bytes]:
        """Theme static under /theme/, assets/ as they are, site static/ at the root."""
        out: dict[str, bytes] = {}
        for rel, path in sorted(chain.static_files().items()):
            out[f"theme/{rel}"] = self.file_cache.read(path, f"<theme>/{rel}")
        for rel in site.assets:
            if rel not in done:
                out[rel] = self.file_cache.read(self.root / rel, rel)
        for rel in site.static:
            out[rel] = self.file_cache.read(self.root / "static" / rel, f"static/{rel}")
        return out

    def _asset_stamps(self, site: Site) -> tuple:
        stamps = []
        for rel in site.assets:
            st = (self.root / rel).stat()
            stamps.append((rel, st.st_mtime_ns, st.st_size))
        return tuple(stamps)

    def _module_packages(self, site: Site, rendered: Mapping[str, Rendered],
                         loaded: Mapping[str, bytes]) -> dict[str, Output]:
        from .stages import cached_module_packages

        return cached_module_packages(site, rendered, loaded, self._read_site_file, self.memo,
                                      self.spill, self.options.jobs, self._asset_stamps(site))

    def _read_site_file(self, rel: str) -> bytes:
        return self.file_cache.read(self.root / rel, rel)

    def _search_on(self, site: Site) -> bool:
        return site.config.search if self.options.search is None else self.options.search

    def _start_search(self, site: Site, pages: Mapping[str, Output]) -> SearchRun:
        """Pagefind indexes while the stages after the pages run (see folio.stages)."""
        if not self._search_on(site):
            return SearchRun(spill=self.spill)
        return start_search(site, pages, self.memo, self.spill)


def _fail_with_sources(report: Report, sources: Mapping[str, bytes]) -> None:
    """Raise every error at once, each with its source line quoted."""
    if not report.errors:
        return
    texts: dict[str, str] = {}
    quoted = []
    for d in report.errors:
        if d.path and d.path not in texts and d.path in sources:
            texts[d.path] = sources[d.path].decode("utf-8", "replace").replace("\r\n", "\n")
        quoted.append(d.with_source(texts.get(d.path or "")))
    raise BuildFailed(quoted)


def build(site_dir: Path | str | None, options: BuildOptions = BuildOptions(),
          progress: Callable[[str], None] | None = None) -> BuildResult:
    """Build and write the site. The output folder is checked before anything runs."""
    from .write import check_output_dir, write_output

    builder = Builder(site_dir, options)
    builder.progress = progress
    out_dir = _output_dir(builder, options)
    check_output_dir(out_dir, builder.root, clean=options.clean)
    builder.spill = spill = Spill.beside(out_dir)
    try:
        result = builder.build()
        t = time.perf_counter()
        written = write_output(result.files, out_dir, builder.root, clean=options.clean)
    finally:
        spill.close()
    files = {path: Spilled(os.fspath(out_dir / path), 0, data.size, data.sha256)
             if isinstance(data, Spilled) else data for path, data in result.files.items()}
    timings = {**result.timings, "write": time.perf_counter() - t}
    notes = tuple(Diagnostic(w, str(out_dir), severity="warning") for w in written.warnings)
    return replace(result, files=files, output_dir=out_dir, timings=timings, written=written.written,
                   unchanged=written.unchanged, removed=written.removed,
                   warnings=result.warnings + notes)


def _output_dir(builder: Builder, options: BuildOptions) -> Path:
    if options.output is not None:
        return Path(os.path.abspath(Path(options.output).expanduser()))
    from .config import load_config

    config = load_config(builder.root, Report())
    return builder.root / config.output

