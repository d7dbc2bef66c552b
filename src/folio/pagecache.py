"""Rendering pages fast: all cores on a cold build, only what changed on a rebuild.

Each page is rendered with a recording view of the rendered-Markdown mapping,
so the build knows which bodies every page read. When the next build has the
same model apart from Markdown bodies (same front matter, config, images,
templates), only the pages that read a changed body are rendered again; any
other change renders everything. Either way the files equal a clean build:
what a page can depend on is either compared here or recorded as it is read.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from .model import Body, Site
from .parallel import map_ordered, start_method
from .render import RenderPlan, machine_files, plan_site, render_page
from .urls import output_path

__all__ = ["PageRenderer", "RecordingMapping", "structure_of"]

PARALLEL_FROM = 200  # pages; below this a pool costs more than it saves


class RecordingMapping(Mapping):
    """A read-only mapping that remembers which keys were looked up."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.data = data
        self.reads: set[str] = set()
        self.read_all = False

    def __getitem__(self, key: str) -> Any:
        self.reads.add(key)
        return self.data[key]

    def get(self, key: str, default: Any = None) -> Any:
        self.reads.add(key)
        return self.data.get(key, default)

    def __contains__(self, key: object) -> bool:
        self.reads.add(key)  # type: ignore[arg-type]
        return key in self.data

    def __iter__(self) -> Iterator[str]:
        self.read_all = True
        return iter(self.data)

    def __len__(self) -> int:
        self.read_all = True
        return len(self.data)

    def take(self) -> tuple[frozenset[str], bool]:
        """The reads since the last take, and whether everything was read."""
        found = (frozenset(self.reads), self.read_all)
        self.reads, self.read_all = set(), False
        return found


def _stripped(entity: Any) -> Any:
    if hasattr(entity, "body") and isinstance(entity.body, Body):
        entity = replace(entity, body=Body())
    if hasattr(entity, "lessons"):
        entity = replace(entity, lessons=tuple(_stripped(lesson) for lesson in entity.lessons))
    return entity


def structure_of(site: Site, seen: dict[int, tuple[Any, Any]] | None = None) -> tuple:
    """The site minus Markdown bodies and derived indexes: equal means only bodies changed.

    `seen` maps id(entity) -> (entity, stripped) from the last call: the loader
    hands back the same objects for unchanged files, so most are not rebuilt.
    """
    seen = {} if seen is None else seen
    fresh: dict[int, tuple[Any, Any]] = {}

    def strip(entity: Any) -> Any:
        hit = seen.get(id(entity))
        if hit is None or hit[0] is not entity:
            hit = (entity, _stripped(entity))
        fresh[id(entity)] = hit
        return hit[1]

    parts = []
    for f in fields(site):
        if f.name == "index":
            continue
        value = getattr(site, f.name)
        parts.append(tuple(strip(v) for v in value) if isinstance(value, tuple) else strip(value))
    seen.clear()
    seen.update(fresh)
    return tuple(parts)


def template_fingerprint(folders: list[Path]) -> tuple:
    """Every template and theme file's (path, mtime, size): any edit re-renders all."""
    stamps = []
    for folder in folders:
        if folder.is_dir():
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    st = path.stat()
                    stamps.append((str(path), st.st_mtime_ns, st.st_size))
    return tuple(stamps)


@dataclass(slots=True)
class _Previous:
    key: tuple
    rendered: Mapping[str, Any]
    pages: dict[str, bytes]  # output path -> bytes
    reads: dict[str, tuple[frozenset[str], bool]]  # url -> (keys read, read everything)
    plan_reads: frozenset[str]  # bodies read while planning (module pages embed them)
    machine: dict[str, bytes]  # feeds, sitemap, JSON Resume
    machine_reads: tuple[frozenset[str], bool]


_WORKER: tuple[Any, RenderPlan, RecordingMapping] | None = None


def _init_worker(env: Any, plan: RenderPlan, proxy: RecordingMapping) -> None:
    global _WORKER
    _WORKER = (env, plan, proxy)


def _render_index(index: int) -> tuple[str, bytes, frozenset[str], bool]:
    assert _WORKER is not None
    env, plan, proxy = _WORKER
    job = plan.jobs[index]
    proxy.take()
    html = render_page(env, plan, job)
    reads, read_all = proxy.take()
    return job.url, html, reads, read_all


@dataclass(slots=True)
class PageRenderer:
    """Renders a site's pages, remembering enough to redo only what an edit touched."""

    jobs: int | None = None
    cache_root: Path | None = None  # site folder whose .folio-cache/ keeps pages between processes
    previous: _Previous | None = None
    last_rendered_count: int = field(default=0)
    stripped: dict[int, tuple[Any, Any]] = field(default_factory=dict)
    paths: dict[str, str] = field(default_factory=dict)  # url -> output path, computed once

    def render(self, site: Site, rendered: Mapping[str, Any], env: Any,
               images: Mapping[str, Any] | None, fingerprint: tuple,
               search: bool | None = None, structure: tuple | None = None) -> dict[str, bytes]:
        proxy = RecordingMapping(rendered)
        plan = plan_site(site, proxy, images, search=search)
        plan_reads, _ = proxy.take()
        if structure is None:
            structure = structure_of(site, self.stripped)
        key = (structure, fingerprint, tuple(sorted((images or {}).items())))
        prev = self.previous
        changed: set[str] | None = None
        if prev is not None and prev.key == key:
            changed = {k for k in set(rendered) | set(prev.rendered)
                       if rendered.get(k) is not prev.rendered.get(k)
                       and rendered.get(k) != prev.rendered.get(k)}
            redo = [i for i, job in enumerate(plan.jobs) if job.url not in prev.reads
                    or _touched(prev.reads[job.url], changed)
                    or (changed & plan_reads and job.url.startswith("/modules/"))]
            pages = dict(prev.pages)
            reads = dict(prev.reads)
        else:
            redo = list(range(len(plan.jobs)))
            pages, reads = {}, {}
        paths = self.paths
        for url, html, got, read_all in self._run(env, plan, proxy, redo):
            pages[paths.get(url) or paths.setdefault(url, output_path(url))] = html
            reads[url] = (got, read_all)
        live = {job.url for job in plan.jobs}
        if len(reads) != len(live) or len(pages) != len(live):
            for url in live:
                paths.setdefault(url, output_path(url))
            pages = {paths[u]: pages[paths[u]] for u in live}
            reads = {u: r for u, r in reads.items() if u in live}
        if changed is not None and prev is not None and not _touched(prev.machine_reads, changed):
            machine, machine_reads = prev.machine, prev.machine_reads
        else:
            proxy.take()
            machine = machine_files(plan)
            machine_reads = proxy.take()
        self.previous = _Previous(key, dict(rendered), pages, reads, plan_reads, machine,
                                  machine_reads)
        self.last_rendered_count = len(redo)
        return {**pages, **machine}

    def _run(self, env: Any, plan: RenderPlan, proxy: RecordingMapping,
             indices: list[int]) -> list[tuple[str, bytes, frozenset[str], bool]]:
        if len(indices) >= PARALLEL_FROM and start_method() == "fork":
            return map_ordered(_render_index, indices, self.jobs, initializer=_init_worker,
                               initargs=(env, plan, proxy), serial_below=PARALLEL_FROM)
        _init_worker(env, plan, proxy)
        return [_render_index(i) for i in indices]


def _touched(read: tuple[frozenset[str], bool], changed: set[str]) -> bool:
    keys, read_all = read
    return read_all or bool(keys & changed)
