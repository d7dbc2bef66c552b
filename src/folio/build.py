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
from functools import partial
from pathlib import Path
from typing import Any

from .cache import FileBytes
from .config import find_site_root
from .errors import BuildFailed, Diagnostic, FolioError, Report
from .link import entity_index, link_site
from .load import SECTIONS, TOP_FILES, EntityMemo, ParseCache, content_paths, load_site
from .markdown import MarkdownContext, MarkdownJob, Rendered, Result, render
from .model import Site
from .pagecache import PageRenderer, structure_of, template_fingerprint
from .parallel import map_ordered
from .spill import Output, Spill, Spilled, digest_of
from .stagememo import StageMemo, TemplateBytecodeCache

__all__ = ["BuildOptions", "BuildResult", "Builder", "build", "markdown_jobs"]


@dataclass(frozen=True, slots=True)
class BuildOptions:
    output: Path | None = None  # default: <site>/<config.output>
    base_url: str | None = None  # overrides folio.yaml (CI for project pages)
    drafts: bool | None = None  # None: as folio.yaml says
    clean: bool = False
    search: bool | None = None  # None: as folio.yaml says
    jobs: int | None = None  # worker processes for Markdown; None: all cores
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


def markdown_jobs(site: Site, memo: dict[int, tuple] | None = None) -> list[MarkdownJob]:
    """Every Markdown body in the site, keyed by the entity it belongs to.

    `memo` (id(entity) -> (entity, job), from the last call) keeps the job object
    of every entity the loader handed back unchanged, so the Markdown stage can
    tell unchanged bodies by identity instead of comparing every text.
    """
    seen = {} if memo is None else memo
    fresh: dict[int, tuple] = {}

    def job(entity: Any, key: str, path: str, trusted: bool = True) -> MarkdownJob:
        hit = seen.get(id(entity))
        if hit is None or hit[0] is not entity or hit[1].trusted != trusted:
            hit = (entity, MarkdownJob(key, path, entity.body.text, entity.body.line, trusted))
        fresh[id(entity)] = hit
        return hit[1]

    jobs = [job(site.profile, "profile.md", "profile.md")]
    for item in (*site.case_studies, *site.services, *site.posts, *site.pages):
        jobs.append(job(item, item.key, item.source.path))
    for skill in site.skills:
        if skill.body:
            jobs.append(job(skill, skill.key, skill.source.path))
    for module in site.modules:
        for lesson in module.lessons:
            jobs.append(job(lesson, lesson.key, lesson.source.path, trusted=not module.imported))
    if memo is not None:
        memo.clear()
        memo.update(fresh)
    return jobs


class Builder:
    """Builds one site folder to memory, again and again, reusing pure results."""

    def __init__(self, site_dir: Path | str | None, options: BuildOptions = BuildOptions()) -> None:
        self.options = options
        self.root = find_site_root(Path(site_dir) if site_dir else None, options.explicit_site)
        self.parse_cache = ParseCache()
        self.entity_memo = EntityMemo()
        self._link_memo: tuple | None = None
        self.file_cache = FileBytes()
        self.markdown_cache: dict[tuple, Result] = {}
        self.pages = PageRenderer(options.jobs, cache_root=self.root if options.cache else None)
        self.progress: Callable[[str], None] | None = None  # told as each stage ends
        self.memo = StageMemo(self.root, options.cache)
        self._sources: dict[str, bytes] | None = None  # the last clean walk, for `changed` builds
        self._job_memo: dict[int, tuple] = {}  # markdown_jobs: id(entity) -> (entity, job)
        self._md_state: tuple | None = None  # the Markdown context of the last build
        self._md_last: dict[str, tuple[MarkdownJob, Result]] = {}
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

    def _disk_cache(self, ctx: MarkdownContext) -> Any:
        """The persistent Markdown cache, salted with what changes every result."""
        from .cache import Cache, NullCache

        salt = f"{ctx.base_path}|{ctx.raw_html}"
        if not self.options.cache:
            return NullCache()
        if getattr(self, "_disk", None) is None or self._disk.salt != salt:
            self._disk = Cache(self.root, "markdown", salt)
        return self._disk

    def _render_markdown(self, site: Site, ctx: MarkdownContext,
                         report: Report) -> dict[str, Rendered]:
        """Render every body, reusing results whose inputs and link targets are unchanged.

        When the context (link targets, images) equals the last build's, a job that is
        the very object of last time reuses its result at once; anything else is looked
        up by content in memory, then on disk, and checked against the context.
        """
        from .cache import MISS

        jobs = markdown_jobs(site, self._job_memo)
        state = (ctx.base_path, ctx.raw_html, ctx.urls, ctx.images)
        last = self._md_last if self._md_state == state else {}
        disk = self._disk_cache(ctx)
        results: dict[str, Result] = {}
        todo: list[tuple[tuple, MarkdownJob]] = []
        for job in jobs:
            same = last.get(job.key)
            if same is not None and same[0] is job:
                results[job.key] = same[1]
                continue
            key = (job, ctx.base_path, ctx.raw_html)
            hit = self.markdown_cache.get(key)
            if hit is None:
                hit = disk.get(disk.key(job.path, job.text, str(job.line), str(job.trusted)))
                hit = None if hit is MISS else hit
            if isinstance(hit, Result) and _still_valid(hit, ctx):
                results[job.key] = hit
                self.markdown_cache[key] = hit
            else:
                todo.append((key, job))
        # Each process stores what it rendered in `disk`, so the writes are spread
        # over the cores and overlap the rendering instead of following it.
        fresh = map_ordered(_render_in_worker, [j for _, j in todo], self.options.jobs,
                            initializer=_init_worker, initargs=(ctx, disk))
        for (key, job), result in zip(todo, fresh, strict=True):
            results[job.key] = result
            self.markdown_cache[key] = result
        if len(self.markdown_cache) > 2 * len(jobs):
            live = {(job, ctx.base_path, ctx.raw_html) for job in jobs}
            self.markdown_cache = {k: v for k, v in self.markdown_cache.items() if k in live}
        self._md_state = state
        self._md_last = {job.key: (job, results[job.key]) for job in jobs}
        for result in results.values():
            for d in result.diagnostics:
                (report.errors if d.severity == "error" else report.warnings).append(d)
        return {k: r.rendered for k, r in results.items()}

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

        from .templates import load_theme, make_environment

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
        rendered = self._render_markdown(site, ctx, report)
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
                           timer.timings, images=len(images))

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
            self._image_pipeline = ImagePipeline(self.root, cache_dir)
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
                                spill=self.spill)
        inputs = (specs, site.profile, site.config, options, self._asset_stamps(site))
        return self.memo.run("cards", inputs, lambda: render_cards(
            site, specs, self.root, cache_dir, theme_options=options))

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
        """Three LMS packages per module, cached per module, the missing ones built on all cores.
        `loaded`: the content files this build read (module and lesson files among them).
        With a spill, packages go to disk (and the cache) in the process that made them."""
        if not site.modules:
            return {}

        def read(rel: str) -> bytes:
            data = loaded.get(rel)
            return data if data is not None else self._read_site_file(rel)

        from .modules.packages import code_stamp

        common = (site.config, site.profile, tuple((m.slug, m.title, m.url) for m in site.modules),
                  self._asset_stamps(site), code_stamp())
        spill = self.spill
        out: dict[str, Output] = {}
        todo = []
        for i, module in enumerate(site.modules):
            sources = [(rel, read(rel)) for rel in
                       (module.source.path, *(lesson.source.path for lesson in module.lessons))]
            inputs = (common, module, tuple(rendered.get(lesson.key) for lesson in module.lessons),
                      sources)
            digest, found = self.memo.get("packages", module.slug, inputs)
            if found is None:
                todo.append((i, inputs, digest))
            else:
                out.update(found if spill is None else spill.put_all(found))
        built = map_ordered(_package_module, [(i, digest) for i, _, digest in todo],
                            self.options.jobs, initializer=_init_packages, serial_below=4,
                            initargs=(site, rendered, self._read_site_file, self.memo, spill))
        for (i, inputs, digest), files in zip(todo, built, strict=True):
            if spill is None:  # else the worker saved them (it had the bytes)
                self.memo.put("packages", site.modules[i].slug, inputs, digest, files)
            out.update(files)
        return out

    def _read_site_file(self, rel: str) -> bytes:
        return self.file_cache.read(self.root / rel, rel)

    def _search_on(self, site: Site) -> bool:
        return site.config.search if self.options.search is None else self.options.search

    def _start_search(self, site: Site, pages: Mapping[str, Output]) -> _Search:
        """The search index from memory or .folio-cache/ when its input is unchanged,
        else a Pagefind run started now and collected by `finish()`."""
        if not self._search_on(site):
            return _Search(spill=self.spill)
        from .search import Indexing, page_filters

        filters = page_filters(site)
        # Only the pages Pagefind reads: an edit that changes no indexed page (the
        # home page, a listing, a service) reuses the index.
        html = {p: pages[p] for p in filters if p in pages}
        inputs = (sorted((p, digest_of(b)) for p, b in html.items()), site.config.base_path,
                  filters)
        digest, found = self.memo.get("search", "", inputs)
        if found is not None:
            return _Search(found, spill=self.spill)
        return _Search(None, Indexing(html, filters),
                       partial(self.memo.put, "search", "", inputs, digest), self.spill)


@dataclass(slots=True)
class _Search:
    """The search stage's result: ready, or a Pagefind run to wait for and remember."""

    ready: dict[str, bytes] | None = None
    running: Any = None
    remember: Callable[[dict[str, bytes]], None] | None = None
    spill: Spill | None = None

    def finish(self) -> dict[str, Output]:
        if self.running is not None:
            self.ready = self.running.finish()
            self.running = None
            if self.remember is not None:
                self.remember(self.ready)
        if self.spill is None or not self.ready:
            return self.ready or {}
        ready, self.ready = self.ready, None
        return self.spill.put_all(ready)

    def cancel(self) -> None:
        if self.running is not None:
            self.running.cancel()
            self.running = None


_PACKAGING: tuple | None = None


def _init_packages(site: Site, rendered: Mapping[str, Rendered], read_file: Callable,
                   memo: StageMemo, spill: Spill | None) -> None:
    global _PACKAGING
    _PACKAGING = (site, rendered, read_file, memo, spill)


def _package_module(item: tuple[int, str]) -> dict[str, Output]:
    """One module's packages; with a spill, cached and spilled here, not in the parent."""
    from .modules.packages import module_packages

    assert _PACKAGING is not None
    site, rendered, read_file, memo, spill = _PACKAGING
    index, digest = item
    files = module_packages(site, site.modules[index], rendered, read_file)
    if spill is None:
        return files
    memo.save("packages", digest, files)
    return spill.put_all(files)


def _still_valid(result: Result, ctx: MarkdownContext) -> bool:
    """A cached body is reusable while every link target and image resolves the same."""
    return (all(ctx.urls.get(p) == u for p, u in result.deps)
            and all(ctx.images.get(p) == info for p, info in result.image_infos))


_WORKER_CTX: tuple[MarkdownContext, Any] | None = None


def _init_worker(ctx: MarkdownContext, disk: Any) -> None:
    global _WORKER_CTX
    _WORKER_CTX = (ctx, disk)


def _render_in_worker(job: MarkdownJob) -> Result:
    """One body, rendered and stored in the persistent cache by this process."""
    assert _WORKER_CTX is not None
    ctx, disk = _WORKER_CTX
    result = render(job, ctx)
    disk.put(disk.key(job.path, job.text, str(job.line), str(job.trusted)), result)
    return result


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

