"""Rendering pages fast: all cores on a cold build, only what changed on a rebuild.

Each page is rendered with a recording view of the rendered-Markdown mapping,
so the build knows which bodies every page read. When the next build has the
same model apart from Markdown bodies (same front matter, config, images,
templates), only the pages that read a changed body are rendered again; any
other change renders everything. Either way the files equal a clean build:
what a page can depend on is either compared here or recorded as it is read.

`folio serve` keeps the last build in memory and compares objects. Between
processes the same memory lives in `.folio-cache/pages/` as digests (of the
key and of every body) plus the bytes of each file, so a warm `folio build`
or a one-file edit in a new process renders only what it must too.
"""

from __future__ import annotations

import hashlib
import io
import os
import pickle
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from .model import Body, Site
from .parallel import map_ordered
from .render import RenderPlan, machine_files, plan_site, render_page, replan
from .spill import Output, Spill, data_of, digest_of
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


@dataclass(frozen=True, slots=True)
class _Index:
    """What `.folio-cache/pages/` remembers of the last build: digests, not objects."""

    key: bytes  # digest of the render key (structure, templates, images, ...)
    bodies: dict[str, bytes]  # rendered Markdown key -> digest
    reads: dict[str, tuple[frozenset[str], bool]]  # url -> (keys read, read everything)
    pages: dict[str, bytes]  # output path -> digest of its bytes
    machine: dict[str, bytes]  # feeds, sitemap, JSON Resume: output path -> digest
    machine_reads: tuple[frozenset[str], bool]


@dataclass(slots=True)
class _Previous:
    """The last build, held in memory (`rendered` set) or restored from disk (`bodies` set)."""

    key: tuple | None  # None when restored: compare `key_digest` instead
    key_digest: bytes | None
    rendered: Mapping[str, Any] | None
    bodies: dict[str, bytes] | None
    pages: dict[str, bytes]  # output path -> bytes (restored: read on demand)
    reads: dict[str, tuple[frozenset[str], bool]]  # url -> (keys read, read everything)
    machine: dict[str, bytes]  # feeds, sitemap, JSON Resume
    machine_reads: tuple[frozenset[str], bool]
    index: _Index | None = None  # restored: the digests of the files on disk


def _digest(value: Any) -> bytes | None:
    """A digest of a picklable value that depends only on its contents.

    Pickle's fast mode writes shared objects out again instead of referring back
    to them, so equal values digest the same whichever objects they share; a
    value that cannot be pickled has no digest (the cache is then skipped).
    """
    buf = io.BytesIO()
    pickler = pickle.Pickler(buf, protocol=5)
    pickler.fast = True
    try:
        pickler.dump(value)
    except Exception:  # unpicklable or cyclic: a miss, never a wrong page
        return None
    return hashlib.sha256(buf.getbuffer()).digest()[:16]


def _key_digest(key: tuple) -> bytes | None:
    """The render key's digest, with template contents in place of their mtimes:
    a touched template is still a hit in the next process, an edited one never."""
    structure, stamps, *rest = key
    contents = []
    for path, _mtime, size in stamps:
        try:
            contents.append((path, size, _file_digest(Path(path).read_bytes())))
        except OSError:
            return None
    return _digest((structure, tuple(contents), *rest))


def _file_digest(data: Output) -> bytes:
    return bytes.fromhex(digest_of(data))[:16]


class _Disk:
    """Pages and machine files in `.folio-cache/pages/`: one index, one entry per file.

    An entry is the file's digest followed by its bytes, so a file is reused only
    if it is exactly the one the index names: an entry rewritten by a later or a
    concurrent build is a miss, never a wrong page. Entries are written before
    the index, so an interrupted write leaves at worst pages that are rendered again.
    """

    def __init__(self, root: Path) -> None:
        from .cache import Cache

        self.cache = Cache(root, "pages", "")
        self.stored: dict[str, bytes] = {}  # output path -> digest of its entry, as far as known

    def index(self) -> _Index | None:
        found = self.cache.get(self.cache.key("index"))
        if not isinstance(found, _Index):
            return None
        self.stored = {**found.pages, **found.machine}
        return found

    def read(self, path: str, digest: bytes) -> bytes | None:
        data = self.cache.get_bytes(self.cache.key("file", path))
        if data is None or data[:16] != digest:
            self.stored.pop(path, None)
            return None
        return data[16:]

    def put(self, path: str, digest: bytes, data: bytes) -> None:
        """One file's entry (any process may write it; the index says which is current)."""
        self.cache.put_bytes(self.cache.key("file", path), digest + data)

    def save(self, files: Mapping[str, bytes], digests: Mapping[str, bytes], index: _Index) -> None:
        for path, digest in digests.items():
            if self.stored.get(path) != digest:
                self.put(path, digest, data_of(files[path]))
                self.stored[path] = digest
        self.cache.put(self.cache.key("index"), index)


_WORKER: tuple[Any, RenderPlan, RecordingMapping, Spill | None, _Disk | None] | None = None


def _init_worker(env: Any, plan: RenderPlan, proxy: RecordingMapping, spill: Spill | None,
                 disk: _Disk | None) -> None:
    global _WORKER
    _WORKER = (env, plan, proxy, spill, disk)


def _render_index(index: int) -> tuple[str, Output, frozenset[str], bool, bytes | None]:
    """One page, spilled and stored in `.folio-cache/pages/` (with `disk`) by the
    process that rendered it; the last item is the digest of the stored entry."""
    assert _WORKER is not None
    env, plan, proxy, spill, disk = _WORKER
    job = plan.jobs[index]
    proxy.take()
    html = render_page(env, plan, job)
    reads, read_all = proxy.take()
    out = html if spill is None else spill.put(html)
    stored = None
    if disk is not None:
        stored = _file_digest(out)
        disk.put(output_path(job.url), stored, html)
    return job.url, out, reads, read_all, stored


@dataclass(slots=True)
class PageRenderer:
    """Renders a site's pages, remembering enough to redo only what an edit touched.

    With `cache_root` the memory survives the process: the first build of a new
    process compares digests with `.folio-cache/pages/` instead of objects.
    """

    jobs: int | None = None
    cache_root: Path | None = None  # site folder whose .folio-cache/ keeps pages between processes
    previous: _Previous | None = None
    last_rendered_count: int = field(default=0)
    last_rendered: tuple[str, ...] = ()  # urls of the pages the last call rendered
    stripped: dict[int, tuple[Any, Any]] = field(default_factory=dict)
    paths: dict[str, str] = field(default_factory=dict)  # url -> output path, computed once
    body_digests: dict[str, tuple[Any, bytes | None]] = field(default_factory=dict)
    file_digests: dict[str, bytes] = field(default_factory=dict)  # output path -> digest
    disk: _Disk | None = None
    proxy: RecordingMapping = field(default_factory=lambda: RecordingMapping({}))
    plan: tuple[RenderPlan, frozenset[str], tuple] | None = None  # plan, what planning read, key
    spill: Spill | None = None  # set: pages go to disk as they are made (see folio.spill)

    def render(self, site: Site, rendered: Mapping[str, Any], env: Any,
               images: Mapping[str, Any] | None, fingerprint: tuple,
               search: bool | None = None, structure: tuple | None = None) -> dict[str, Output]:
        if structure is None:
            structure = structure_of(site, self.stripped)
        has_search = site.config.search if search is None else search
        # Everything a page can depend on besides the bodies it reads (recorded).
        key = (structure, fingerprint, tuple(sorted((images or {}).items())),
               bool(has_search), os.environ.get("SOURCE_DATE_EPOCH"))
        if self.cache_root is not None and self.disk is None:
            self.disk = _Disk(self.cache_root)
        prev = self.previous if self.previous is not None else self._restore()
        key_digest = None
        if self.disk is not None:  # before rendering: a template edited meanwhile is a miss
            same = prev is not None and prev.key is not None and prev.key == key
            key_digest = prev.key_digest if same else _key_digest(key)  # type: ignore[union-attr]
        changed = self._changed(prev, key, key_digest, rendered)
        plan, plan_reads = self._plan(site, rendered, images, search, changed, key)
        pages: dict[str, Output] = {}
        reads: dict[str, tuple[frozenset[str], bool]] = {}
        redo: list[int] = []
        modules_stale = bool(changed and changed & plan_reads)  # module pages embed bodies
        for i, job in enumerate(plan.jobs):
            old = prev.reads.get(job.url) if changed is not None and prev is not None else None
            if (old is not None and not _touched(old, changed)
                    and not (modules_stale and job.url.startswith("/modules/"))):
                data = self._reuse(prev, self._path(job.url))  # type: ignore[arg-type]
                if data is not None:
                    pages[self._path(job.url)] = data if self.spill is None else self.spill.put(data)
                    reads[job.url] = old
                    continue
            redo.append(i)
        # Saved after a full render or the first build of a process. A rebuild in memory
        # (`folio serve`) leaves the disk as it is: the next process then renders the
        # pages whose bodies changed since, which is cheaper than saving on every edit.
        in_memory = prev is not None and prev.rendered is not None and changed is not None
        saving = (self.disk is not None and not in_memory and key_digest is not None
                  and None not in self._body_digests(rendered).values())
        fresh = {}
        stored: dict[str, bytes] = {}  # output path -> digest of the entry its worker wrote
        proxy = self.proxy
        for url, html, got, read_all, entry in self._run(env, plan, proxy, redo,
                                                         self.disk if saving else None):
            path = self._path(url)
            fresh[path] = html
            reads[url] = (got, read_all)
            if entry is not None:
                stored[path] = entry
        pages.update(fresh)
        pages = {self._path(job.url): pages[self._path(job.url)] for job in plan.jobs}
        machine: dict[str, Any] | None = None
        if changed is not None and prev is not None and not _touched(prev.machine_reads, changed):
            names = prev.machine if prev.index is None else prev.index.machine
            machine = {path: self._reuse(prev, path, machine=True) for path in names}
        if machine is None or None in machine.values():
            proxy.take()
            machine = machine_files(plan)
            machine_reads = proxy.take()
            fresh.update(machine)
        else:
            machine_reads = prev.machine_reads  # type: ignore[union-attr]
        self.previous = _Previous(key, key_digest, dict(rendered), None, pages, reads, machine,
                                  machine_reads)
        self.last_rendered_count = len(redo)
        self.last_rendered = tuple(plan.jobs[i].url for i in redo)
        if saving and (fresh or changed):
            self._save(rendered, pages, machine, fresh, stored)
        return {**pages, **machine}

    def _plan(self, site: Site, rendered: Mapping[str, Any], images: Mapping[str, Any] | None,
              search: bool | None, changed: set[str] | None,
              key: tuple) -> tuple[RenderPlan, frozenset[str]]:
        """The page jobs: the last plan again when only bodies changed and planning read
        none of them (jobs see bodies only through the one recording mapping, whose data
        is swapped here), else planned afresh (10,000 jobs cost a few hundred ms)."""
        proxy = self.proxy
        proxy.data = rendered
        proxy.take()
        last = self.plan
        # The plan's own key, not only the last build's: a build that failed after
        # planning leaves a plan newer than `previous`.
        if (last is not None and changed is not None and self.previous is not None
                and self.previous.rendered is not None and last[2] == key
                and not changed & last[1]):
            return replan(last[0], site), last[1]
        plan = plan_site(site, proxy, images, search=search)
        plan_reads, _ = proxy.take()
        self.plan = (plan, plan_reads, key)
        return plan, plan_reads

    # -- what changed ------------------------------------------------------------
    def _changed(self, prev: _Previous | None, key: tuple, key_digest: bytes | None,
                 rendered: Mapping[str, Any]) -> set[str] | None:
        """The bodies changed since `prev`, or None if anything else did."""
        if prev is None:
            return None
        if prev.rendered is not None:  # in memory: compare objects
            if prev.key != key:
                return None
            old = prev.rendered
            return {k for k in set(rendered) | set(old)
                    if rendered.get(k) is not old.get(k) and rendered.get(k) != old.get(k)}
        if key_digest is None or key_digest != prev.key_digest or prev.bodies is None:
            return None
        now = self._body_digests(rendered)
        return {k for k in now.keys() | prev.bodies.keys()
                if now.get(k) is None or now.get(k) != prev.bodies.get(k)}

    def _body_digests(self, rendered: Mapping[str, Any]) -> dict[str, bytes | None]:
        """A digest per rendered body, hashing only objects not seen last time."""
        memo, fresh = self.body_digests, {}
        for k, value in rendered.items():
            hit = memo.get(k)
            fresh[k] = hit if hit is not None and hit[0] is value else (value, _digest(value))
        self.body_digests = fresh
        return {k: v[1] for k, v in fresh.items()}

    # -- reuse and persistence -----------------------------------------------------
    def _path(self, url: str) -> str:
        return self.paths.get(url) or self.paths.setdefault(url, output_path(url))

    def _restore(self) -> _Previous | None:
        index = self.disk.index() if self.disk is not None else None
        if index is None:
            return None
        self.file_digests = {**index.pages, **index.machine}
        return _Previous(None, index.key, None, index.bodies, {}, index.reads, {},
                         index.machine_reads, index)

    def _reuse(self, prev: _Previous, path: str, machine: bool = False) -> bytes | None:
        """A file of the last build: from memory, or from disk if it is the one the index names."""
        if prev.index is None:
            return (prev.machine if machine else prev.pages).get(path)
        digest = (prev.index.machine if machine else prev.index.pages).get(path)
        return self.disk.read(path, digest) if digest is not None and self.disk else None

    def _save(self, rendered: Mapping[str, Any], pages: dict[str, Output],
              machine: dict[str, bytes], fresh: dict[str, Output],
              stored: Mapping[str, bytes]) -> None:
        """Write what changed: entries for new bytes (those in `stored`, by digest, the
        workers wrote already), then the index. Only called when `render` may save."""
        prev = self.previous
        assert prev is not None and self.disk is not None and prev.key_digest is not None
        bodies = self._body_digests(rendered)
        self.disk.stored.update(stored)
        digests = self.file_digests
        for path, data in fresh.items():
            digests[path] = stored.get(path) or _file_digest(data)
        files = {**pages, **machine}
        digests = {path: digests[path] for path in files}
        self.file_digests = digests
        index = _Index(prev.key_digest, bodies, prev.reads,  # type: ignore[arg-type]
                       {p: digests[p] for p in pages}, {p: digests[p] for p in machine},
                       prev.machine_reads)
        self.disk.save(files, digests, index)

    def _run(self, env: Any, plan: RenderPlan, proxy: RecordingMapping, indices: list[int],
             disk: _Disk | None) -> list[tuple[str, Output, frozenset[str], bool, bytes | None]]:
        return map_ordered(_render_index, indices, self.jobs, initializer=_init_worker,
                           initargs=(env, plan, proxy, self.spill, disk),
                           serial_below=PARALLEL_FROM, fork_only=True)


def _touched(read: tuple[frozenset[str], bool], changed: set[str] | None) -> bool:
    keys, read_all = read
    return read_all or bool(keys & (changed or set()))
