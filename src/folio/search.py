"""Site search with Pagefind: an index built at build time, searched in the browser.

:func:`index` takes the rendered site (output path -> bytes) and returns the
``pagefind/`` bundle to add to it. Only each page's ``<main>`` is indexed (not
the navigation and footer every page shares). :func:`page_filters` says which
pages are worth finding (case studies, skills, modules, lessons, posts, tracks,
free pages) and gives each its ``type`` and ``track`` filters; they are added
to the copy Pagefind reads, as empty ``data-pagefind-filter`` elements, so the
theme needs no search-specific markup (a theme may add its own attributes too).

Pagefind reads a copy of those pages and writes its bundle in a temporary folder,
in memory (``/dev/shm``) when there is room (:func:`scratch_dir`), since creating
its ~2,000 short-lived files on a busy disk took seconds.

A site with more than :data:`SHARD_PAGES` indexed pages is indexed in shards
(:func:`shards`, :func:`assemble`): one Pagefind run each, one after another,
so Pagefind's memory is one shard's (one index of 10,000 pages took 2.6 GB),
and an edit re-indexes only the shards whose pages changed. search.js merges
them in the browser with Pagefind's ``mergeIndex``.

Why the binary and not Pagefind's Python API: the API talks to the same binary
over a pipe and polls for each answer every 100 ms, so indexing 40 pages took
4.5 s against 0.17 s for one run of the binary over a temporary folder (Pagefind
1.5.2, this machine). Result URLs in the index are relative to the site root
("/work/x/"); in the browser Pagefind prefixes them with its ``baseUrl``,
which search.js sets to the site's base path.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import FolioError
from .model import Site
from .spill import Output, data_of
from .urls import output_path

__all__ = ["BUNDLE_DIR", "SHARD_LIST", "Indexing", "PagefindTime", "assemble", "index",
           "page_filters", "pagefind_binary", "scratch_dir", "shards", "without_ignored"]

Filters = Mapping[str, Mapping[str, list[str]]]  # output path -> filter name -> values

BUNDLE_DIR = "pagefind"
SHARD_LIST = f"{BUNDLE_DIR}/shards.json"
SHARD_PAGES = 2000  # indexed pages per shard of the index; Pagefind takes ~0.25 MB a page
TIMEOUT_SECONDS = 300
MEMORY_DIR = "/dev/shm"  # Linux's memory-backed folder; absent elsewhere, and then unused
_MEMORY_MARGIN = 64 << 20
STALE_SECONDS = 3600  # a scratch folder this old was left by a killed build (runs last minutes)


def pagefind_binary() -> Path | None:
    """The Pagefind executable from the `pagefind[bin]` wheel, $PAGEFIND_BINARY_PATH or PATH."""
    try:
        from pagefind.service import get_executable
    except ImportError:
        import shutil

        found = shutil.which("pagefind_extended") or shutil.which("pagefind")
        return Path(found) if found else None
    return get_executable()


def page_filters(site: Site) -> dict[str, dict[str, list[str]]]:
    """The pages search should find, by output path, with their type and track titles."""
    titles = {t.id: t.title for t in site.config.tracks}

    def entry(kind: str, tracks: tuple[str, ...]) -> dict[str, list[str]]:
        found = {"type": [kind]}
        names = [titles[t] for t in tracks if t in titles]
        if names:
            found["track"] = names
        return found

    out: dict[str, dict[str, list[str]]] = {}
    for case in site.case_studies:
        out[output_path(case.url)] = entry("Case study", case.tracks)
    for skill in site.skills:
        out[output_path(skill.url)] = entry("Skill", skill.tracks)
    for module in site.modules:
        out[output_path(module.url)] = entry("Module", module.tracks)
        for lesson in module.lessons:
            out[output_path(lesson.url)] = entry("Lesson", module.tracks)
    for post in site.posts:
        out[output_path(post.url)] = entry("Post", post.tracks)
    for track in site.config.tracks:
        out[output_path(track.url or f"/tracks/{track.id}/")] = entry("Track", (track.id,))
    for page in site.pages:
        out[output_path(page.url)] = {"type": ["Page"]}
    return dict(sorted(out.items()))


def _with_filters(data: bytes, filters: Mapping[str, list[str]]) -> bytes:
    """The page with empty filter elements at the end of <main> (for the indexer only)."""
    marks = "".join(f'<span data-pagefind-filter="{html.escape(f"{name}:{value}")}"></span>'
                    for name, values in sorted(filters.items()) for value in values).encode()
    for closing in (b"</main>", b"</body>"):
        at = data.rfind(closing)
        if at != -1:
            return data[:at] + marks + data[at:]
    return data + marks


_IGNORE = b"data-pagefind-ignore"
_KEEP_INSIDE = (b"<h1", b"data-pagefind-filter", b"data-pagefind-meta", b"data-pagefind-body",
                b"data-pagefind-sort")
_TAG_NAME = re.compile(rb"<([A-Za-z][A-Za-z0-9-]*)")
_VOID = frozenset({b"area", b"base", b"br", b"col", b"embed", b"hr", b"img", b"input", b"link",
                   b"meta", b"source", b"track", b"wbr"})


def without_ignored(data: bytes) -> bytes:
    """The page without the elements in its ``<main>`` marked ``data-pagefind-ignore``.

    Pagefind would skip their words anyway; cut here, they are also out of the
    search cache's key, so a listing that changes with the pages it lists (a skill
    page showing a post's reading time) does not re-index the skill page's shard.
    An element holding what Pagefind still reads from ignored parts (the ``<h1>``
    that titles the page, filters, metadata) is left for Pagefind to handle, and so
    is one whose end cannot be found.
    """
    main = data.find(b"<main")
    end_main = data.rfind(b"</main>")
    if main == -1 or end_main < main or data.find(_IGNORE, main, end_main) == -1:
        return data
    out: list[bytes] = []
    kept_from = 0  # the bytes before this are in `out` or cut
    pos = main
    while (at := data.find(_IGNORE, pos, end_main)) != -1:
        start = data.rfind(b"<", pos, at)
        name = _TAG_NAME.match(data, start) if start != -1 else None
        if name is None or data.find(b">", start, at) != -1:  # not inside a start tag
            pos = at + len(_IGNORE)
            continue
        end = _element_end(data, name.group(1).lower(), name.end(), end_main)
        if end is None or any(data.find(k, at + len(_IGNORE), end) != -1 for k in _KEEP_INSIDE):
            pos = at + len(_IGNORE)
            continue
        out.append(data[kept_from:start])
        kept_from = pos = end
    if not out:
        return data
    out.append(data[kept_from:])
    return b"".join(out)


def _element_end(data: bytes, name: bytes, after_name: int, limit: int) -> int | None:
    """Where the element whose start tag names `name` ends (after its end tag), counting
    nested elements of the same name; None when it does not end before `limit`."""
    tag_end = data.find(b">", after_name, limit)
    if tag_end == -1:
        return None
    if name in _VOID:
        return tag_end + 1
    depth = 1
    pattern = re.compile(rb"<(/?)" + re.escape(name) + rb"[\s/>]", re.IGNORECASE)
    for found in pattern.finditer(data, tag_end + 1, limit):
        depth += -1 if found.group(1) else 1
        if depth == 0:
            close = data.find(b">", found.start(), limit)
            return None if close == -1 else close + 1
    return None


def index(files: Mapping[str, Output], base_path: str = "/",
          filters: Filters | None = None) -> dict[str, bytes]:
    """Index the HTML in `files`; return the bundle as {"pagefind/...": bytes}.

    With `filters` (from :func:`page_filters`) only those pages are indexed,
    each with its filters; without, every page but 404.html is. Raises
    FolioError when Pagefind is missing or fails (``--no-search`` skips this).
    `base_path` is where the bundle will be served; the index itself does not
    depend on it (search.js passes it to Pagefind as ``baseUrl``).
    """
    del base_path  # see the docstring
    groups = shards(_indexed(files, filters))
    return assemble(Indexing(files, filters, groups).finish())


def shards(paths: Sequence[str]) -> list[list[str]]:
    """The indexed pages split into shards of about :data:`SHARD_PAGES`, each sorted.

    A page's shard is a hash of its output path, so an edit re-indexes only the
    shard of the pages it changed, and one Pagefind run holds one shard in memory
    (2.6 GB for 10,000 pages in one index, ~350 MB a shard of 1,300). Sites under
    SHARD_PAGES indexed pages have one index, as Pagefind alone would make.
    """
    count = max(1, -(-len(paths) // SHARD_PAGES))
    groups: list[list[str]] = [[] for _ in range(count)]
    for rel in sorted(paths):
        groups[zlib.crc32(rel.encode("utf-8")) % count].append(rel)
    return [group for group in groups if group]


def assemble(bundles: Sequence[Mapping[str, bytes] | None]) -> dict[str, bytes]:
    """One bundle per shard -> the site's ``pagefind/`` folder and its shard list.

    The first shard is the bundle search.js imports; the others go to
    ``pagefind/shard-N/``, without Pagefind's scripts and styles (only their index
    files and wasm are fetched), and ``pagefind/shards.json`` names them for
    search.js to merge (Pagefind's ``mergeIndex``)."""
    out: dict[str, bytes] = {}
    merged: list[str] = []
    for n, bundle in enumerate(b for b in bundles if b):
        if n == 0:
            out.update((f"{BUNDLE_DIR}/{rel}", data) for rel, data in bundle.items())
            continue
        folder = f"shard-{n}/"
        merged.append(folder)
        out.update((f"{BUNDLE_DIR}/{folder}{rel}", data) for rel, data in bundle.items()
                   if not rel.endswith((".js", ".css")))
    if out:
        out[SHARD_LIST] = (json.dumps({"shards": merged}) + "\n").encode()
    return out


@dataclass(frozen=True, slots=True)
class PagefindTime:
    """What the Pagefind runs of one build took. They work beside other stages, so the
    stage times show only the wait for them; `folio build -v` prints this too."""

    runs: int
    seconds: float
    cpu_seconds: float | None  # None where the system does not count children's CPU

    def describe(self) -> str:
        """The line `folio build -v` prints after the stages."""
        runs = f"{self.runs} run{'s' if self.runs != 1 else ''}"
        cpu = "" if self.cpu_seconds is None else f", {self.cpu_seconds:.1f} s of CPU"
        return (f"{'pagefind':<10} {self.seconds * 1000:8.1f} ms beside copy, packages and "
                f"cards ({runs}{cpu})")


class Indexing:
    """Pagefind runs under way, one per group of pages (one shard of the index each):
    the build goes on with other stages (social cards, packages) while they work, and
    collects the bundles with `finish()`. They run one after another in a child
    process (:mod:`folio.pagefind_runs`); no thread is involved, so the build may still
    fork its worker processes."""

    def __init__(self, files: Mapping[str, Output], filters: Filters | None,
                 groups: Sequence[Sequence[str]]) -> None:
        self._tmp: tempfile.TemporaryDirectory | None = None
        self._proc: subprocess.Popen | None = None
        self._bundles: list[Path] = []
        self.took: PagefindTime | None = None  # set by a finish() that succeeded
        binary = pagefind_binary()
        if binary is None:
            raise FolioError("search: the Pagefind program was not found",
                             hint="pip install 'pagefind[bin]', or build with --no-search")
        groups = [list(g) for g in groups if g]
        if not groups:
            return
        where = scratch_dir(sum(len(files[p]) for g in groups for p in g))  # a Spilled: its size
        if where is not None:
            _remove_stale(where)
        try:
            self._write_copies(files, groups, filters, where)
        except OSError:
            if where is None:
                raise
            self.cancel()  # the memory folder filled up meanwhile: use the disk
            self._write_copies(files, groups, filters, None)
        commands = [[str(binary), "--site", str(b.parent), "--output-path", str(b),
                     "--root-selector", "main", "--silent"] for b in self._bundles]
        assert self._tmp is not None
        self._log = Path(self._tmp.name) / "pagefind.log"
        try:
            with open(self._log, "wb") as log:
                self._proc = subprocess.Popen(
                    [*_runner(), json.dumps(commands)],
                    stdin=subprocess.PIPE, stdout=log, stderr=log, cwd=self._tmp.name,
                    start_new_session=os.name == "posix")
        except OSError as exc:
            self.cancel()
            raise FolioError(f"search: Pagefind could not run ({exc})",
                             hint="build with --no-search to skip the search index") from None

    def _write_copies(self, files: Mapping[str, Output], groups: list[list[str]],
                      filters: Filters | None, where: str | None) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="folio-search-", dir=where)
        self._bundles = []
        for n, paths in enumerate(groups):
            root = Path(self._tmp.name) / f"site-{n}"
            self._bundles.append(root / BUNDLE_DIR)
            _write_pages(root, files, paths, filters)

    def finish(self) -> list[dict[str, bytes]]:
        """One bundle per group, as {path in the bundle: bytes}; FolioError if Pagefind
        failed."""
        try:
            if self._proc is None:
                return []
            try:
                self._proc.wait(timeout=TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                raise FolioError(f"search: Pagefind took over {TIMEOUT_SECONDS} s",
                                 hint="build with --no-search to skip the search index") from None
            if self._proc.returncode != 0 or not all(b.is_dir() for b in self._bundles):
                text = self._log.read_text("utf-8", "replace") if self._log.is_file() else ""
                detail = text.strip().splitlines()[-3:]
                raise FolioError("search: Pagefind failed: " + " / ".join(detail or ["no output"]),
                                 hint="build with --no-search to skip the search index")
            self.took = _reported_time(self._log)
            return [{p.relative_to(bundle).as_posix(): p.read_bytes()
                     for p in sorted(bundle.rglob("*")) if p.is_file()}
                    for bundle in self._bundles]
        finally:
            self.cancel()

    def cancel(self) -> None:
        """Stop Pagefind if it still runs and remove the temporary folder."""
        proc = self._proc
        if proc is not None and proc.poll() is None:
            _stop(proc)
        if proc is not None and proc.stdin is not None:
            proc.stdin.close()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None


def _reported_time(log: Path) -> PagefindTime | None:
    """The runner's last line (see :mod:`folio.pagefind_runs`); None if it is not there."""
    try:
        lines = log.read_text("utf-8", "replace").strip().splitlines()
        found = json.loads(lines[-1]) if lines else None
        cpu = found["cpu_seconds"]
        return PagefindTime(int(found["runs"]), float(found["seconds"]),
                            None if cpu is None else float(cpu))
    except (OSError, ValueError, TypeError, KeyError):
        return None


def _runner() -> list[str]:
    """How to start :mod:`folio.pagefind_runs`: as a script, without site-packages (it
    needs only the standard library, and folio may be importable here only through the
    working folder, which the runner does not share); as a module where folio is zipped."""
    script = Path(__file__).with_name("pagefind_runs.py")
    if script.is_file():
        return [sys.executable, "-S", str(script)]
    return [sys.executable, "-m", "folio.pagefind_runs"]


def _stop(proc: subprocess.Popen) -> None:
    """The runner and the Pagefind it started: its process group on POSIX; elsewhere the
    runner sees its stdin close and kills its child itself."""
    if os.name == "posix":
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except OSError:
            proc.kill()
    else:
        try:
            assert proc.stdin is not None
            proc.stdin.close()
            proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            proc.kill()
    proc.wait()


def scratch_dir(needed: int) -> str | None:
    """Where Pagefind's copy of the site and its bundle go: :data:`MEMORY_DIR` when
    both it and the machine's available memory have room for twice `needed` bytes,
    else the system's temporary folder (None). The files live only while Pagefind
    runs, and creating ~2,000 of them on a busy disk took seconds (bench/README.md).
    A TMPDIR that is set is obeyed."""
    if os.environ.get("TMPDIR") or not MEMORY_DIR:
        return None
    try:
        if not (os.path.isdir(MEMORY_DIR) and os.access(MEMORY_DIR, os.W_OK | os.X_OK)):
            return None
        room = min(shutil.disk_usage(MEMORY_DIR).free, _available_memory())
    except (OSError, ValueError):
        return None
    return MEMORY_DIR if room >= 2 * needed + _MEMORY_MARGIN else None


def _remove_stale(folder: str) -> None:
    """Scratch folders a killed build left in memory: they would hold it until a reboot."""
    too_old = time.time() - STALE_SECONDS
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        try:
            if (entry.name.startswith("folio-search-") and entry.is_dir(follow_symlinks=False)
                    and entry.stat(follow_symlinks=False).st_mtime < too_old):
                shutil.rmtree(entry.path, ignore_errors=True)
        except OSError:
            continue


def _available_memory() -> int:
    """MemAvailable from /proc/meminfo (OSError where there is none)."""
    with open("/proc/meminfo", "rb") as meminfo:
        for line in meminfo:
            if line.startswith(b"MemAvailable:"):
                return int(line.split()[1]) * 1024
    return 0


def _indexed(files: Mapping[str, Output], filters: Filters | None) -> list[str]:
    """The paths Pagefind reads, sorted: the filtered ones, else every page but 404.html."""
    if filters is not None:
        return sorted(rel for rel in files if rel in filters)
    return sorted(rel for rel in files if rel.endswith(".html") and rel != "404.html"
                  and not rel.startswith(f"{BUNDLE_DIR}/"))


def _write_pages(root: Path, files: Mapping[str, Output], paths: list[str],
                 filters: Filters | None) -> None:
    """The copy of the site Pagefind reads, each page cut as :func:`without_ignored`
    says and given its filters."""
    for rel in paths:
        data = without_ignored(data_of(files[rel]))
        if filters is not None:
            data = _with_filters(data, filters[rel])
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
