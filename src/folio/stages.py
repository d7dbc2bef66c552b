"""Two stages of the build after the pages: LMS packages and the search index.

Both are reused through the stage memo (:mod:`folio.stagememo`) while what they
read is unchanged, and both work beside the main process: packages are built on
all cores, each worker caching and spilling its own; Pagefind indexes in its own
process while the build draws the social cards.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

from .markdown import Rendered
from .model import Site
from .parallel import map_ordered
from .spill import Output, Spill, data_of, digest_of
from .stagememo import StageMemo

if TYPE_CHECKING:
    from .search import PagefindTime

__all__ = ["SearchRun", "cached_module_packages", "start_search"]


def cached_module_packages(site: Site, rendered: Mapping[str, Rendered],
                           loaded: Mapping[str, bytes], read_file: Callable[[str], bytes],
                           memo: StageMemo, spill: Spill | None, jobs: int | None,
                           asset_stamps: tuple) -> dict[str, Output]:
    """Three LMS packages per module, cached per module, the missing ones built on all cores.

    `loaded`: the content files this build read (module and lesson files among them);
    `read_file(rel)`: any other site file's bytes. With a spill, packages go to disk
    (and the cache) in the process that made them.
    """
    if not site.modules:
        return {}
    from .modules.packages import code_stamp

    def read(rel: str) -> bytes:
        data = loaded.get(rel)
        return data if data is not None else read_file(rel)

    common = (site.config, site.profile, tuple((m.slug, m.title, m.url) for m in site.modules),
              asset_stamps, code_stamp())
    out: dict[str, Output] = {}
    todo = []
    for i, module in enumerate(site.modules):
        sources = [(rel, read(rel)) for rel in
                   (module.source.path, *(lesson.source.path for lesson in module.lessons))]
        inputs = (common, module, tuple(rendered.get(lesson.key) for lesson in module.lessons),
                  sources)
        digest, found = memo.get("packages", module.slug, inputs)
        if found is None:
            todo.append((i, inputs, digest))
        else:
            out.update(found if spill is None else spill.put_all(found))
    built = map_ordered(_package_module, [(i, digest) for i, _, digest in todo], jobs,
                        initializer=_init_packages, serial_below=4, fork_only=True,
                        initargs=(site, rendered, read_file, memo, spill))
    for (i, inputs, digest), files in zip(todo, built, strict=True):
        if spill is None:  # else the worker saved them (it had the bytes)
            memo.put("packages", site.modules[i].slug, inputs, digest, files)
        out.update(files)
    return out


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


def start_search(site: Site, pages: Mapping[str, Output], memo: StageMemo,
                 spill: Spill | None) -> SearchRun:
    """The search index, shard by shard (see :func:`folio.search.shards`): each shard
    from the memo when what Pagefind reads of its pages is unchanged, the others
    indexed by a Pagefind run started now and collected by `SearchRun.finish()`."""
    from .search import Indexing, page_filters, shards

    filters = page_filters(site)
    # Only the pages Pagefind reads: an edit that changes no indexed page (the
    # home page, a listing, a service) reuses the index.
    html = {p: pages[p] for p in filters if p in pages}
    groups = shards(list(html))
    bundles: list[dict[str, bytes] | None] = []
    todo: list[tuple[int, Callable[[dict[str, bytes]], None]]] = []
    for n, paths in enumerate(groups):
        part = {p: filters[p] for p in paths}
        indexed = (_indexed_digests(memo, f"shard-{n}", paths, html, site.config.base_path, part),
                   site.config.base_path, part)
        digest, found = memo.get("search", f"shard-{n}", indexed)
        bundles.append(found)
        if found is None:
            todo.append((n, partial(memo.put, "search", f"shard-{n}", indexed, digest)))
    if not todo:
        return SearchRun(bundles, spill=spill)
    running = Indexing(html, filters, [groups[n] for n, _ in todo])
    return SearchRun(bundles, running, todo, spill)


def _indexed_digests(memo: StageMemo, name: str, paths: list[str], html: Mapping[str, Output],
                     base_path: str, filters: dict) -> list[tuple[str, bytes]]:
    """Each page's digest of what Pagefind reads of it (:func:`folio.search.without_ignored`).
    Reading and cutting the pages is done again only when a page of the shard changed:
    the digests are remembered by the pages' own."""
    import hashlib

    from .search import without_ignored

    whole = ([(p, digest_of(html[p])) for p in paths], base_path, filters)
    digest, known = memo.get("search-pages", name, whole)
    if known is not None:
        joined = known["indexed"]
        return [(p, joined[32 * i:32 * i + 32]) for i, p in enumerate(paths)]
    digests = [(p, hashlib.sha256(without_ignored(data_of(html[p]))).digest()) for p in paths]
    memo.put("search-pages", name, whole, digest, {"indexed": b"".join(d for _, d in digests)})
    return digests


@dataclass(slots=True)
class SearchRun:
    """The search stage's result: each shard's bundle, ready or from a Pagefind run to
    wait for and remember (`todo`: the shards it indexes, each with how to remember
    its bundle). No shards: search is off, or nothing is indexed."""

    bundles: list[dict[str, bytes] | None] = field(default_factory=list)
    running: Any = None
    todo: list[tuple[int, Callable[[dict[str, bytes]], None]]] = field(default_factory=list)
    spill: Spill | None = None
    took: PagefindTime | None = None  # what the runs took, once finished; None if none ran

    def finish(self) -> dict[str, Output]:
        from .search import assemble

        if self.running is not None:
            made = self.running.finish()
            self.took = self.running.took
            self.running = None
            for (n, remember), bundle in zip(self.todo, made, strict=True):
                remember(bundle)
                self.bundles[n] = bundle
        files = assemble(self.bundles)
        self.bundles = []
        if self.spill is None or not files:
            return files
        return self.spill.put_all(files)

    def cancel(self) -> None:
        if self.running is not None:
            self.running.cancel()
            self.running = None
