"""Watching the site for `folio serve`: file events -> debounced change sets -> builds.

Editors do not simply write a file. vim renames the old file to a backup and
writes a new one, JetBrains writes a temp file and renames it onto the original
(no modify event at all), emacs drops `.#name` lock symlinks, `git checkout`
touches hundreds of files at once. So every event is reduced to the paths it
touches (source *and* destination of a move), junk names are dropped, and the
rest is collected until the tree has been quiet for a moment: one build per
save, one per checkout, plus one more if files changed while building.

Watching must never stop silently: a failing handler is caught and reported,
the inotify watch limit falls back to polling with a message that names
`fs.inotify.max_user_watches`, and a supervisor restarts an observer that died.
"""

from __future__ import annotations

import errno
import os
import re
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.polling import PollingObserver

__all__ = ["ChangeQueue", "SiteWatcher", "is_junk", "is_ignored", "tree_fingerprint"]

JUNK_NAMES = frozenset({".DS_Store", "Thumbs.db", "desktop.ini", "4913", ".folio-lock",
                        ".folio-manifest"})
IGNORED_DIRS = frozenset({".git", ".hg", ".svn", ".idea", ".vscode", ".folio-cache",
                          "node_modules", "__pycache__", ".venv", ".pytest_cache"})
_JUNK = re.compile(r"""
    ~$                          # emacs / vim backups: page.md~
  | \.sw[a-px]x?$               # vim swap: .page.md.swp, .swo, .swpx
  | ^\.\#                       # emacs lock symlinks: .#page.md
  | ^\#.*\#$                    # emacs autosave: #page.md#
  | ___jb_(?:tmp|old)___$       # JetBrains safe write
  | ^\.folio-(?:tmp|old|spill)- # folio's own temp folders
""", re.VERBOSE)
# Events that say nothing about content: reading a file must never trigger a build.
QUIET_EVENTS = frozenset({"opened", "closed_no_write"})

QUIET_PERIOD = 0.05   # seconds without events before a build starts
MAX_DELAY = 1.0       # build anyway after this long under a constant stream of events
POLL_INTERVAL = 1.0   # PollingObserver fallback
CHECK_INTERVAL = 1.0  # how often the supervisor looks at the observer


def is_junk(name: str) -> bool:
    """Editor and OS litter that is never part of a site."""
    return name in JUNK_NAMES or bool(_JUNK.search(name))


def is_ignored(path: Path, roots: Iterable[Path], excluded: Iterable[Path] = ()) -> bool:
    """True for paths that can never change the site: junk, VCS and cache folders,
    and anything folio writes itself (the output folder)."""
    for out in excluded:
        if path == out or out in path.parents:
            return True
    for root in roots:
        if path == root or root in path.parents:
            parts = path.relative_to(root).parts
            break
    else:
        parts = path.parts[-1:]
    if not parts:
        return False
    return is_junk(parts[-1]) or any(p in IGNORED_DIRS or _JUNK.search(p) for p in parts[:-1])


def tree_fingerprint(root: Path, excluded: Iterable[Path] = ()) -> int:
    """A cheap hash of every relevant file's name, size and mtime under `root`.

    `folio serve` runs its first build before any watcher thread exists (the
    build can then fork worker processes safely) and compares fingerprints taken
    before and after it, so an edit made during that build is not lost."""
    skip = {str(p) for p in excluded}
    entries = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in IGNORED_DIRS and not is_junk(d)
                       and os.path.join(dirpath, d) not in skip]
        for name in filenames:
            if is_junk(name):
                continue
            try:
                st = os.stat(os.path.join(dirpath, name))
            except OSError:
                continue
            entries.append((dirpath, name, st.st_size, st.st_mtime_ns))
    return hash(tuple(sorted(entries)))


class ChangeQueue:
    """Paths that changed since the last build, with a debounce."""

    def __init__(self, quiet: float = QUIET_PERIOD, max_delay: float = MAX_DELAY) -> None:
        self.quiet = quiet
        self.max_delay = max_delay
        self._pending: set[Path] = set()
        self._first = 0.0
        self._last = 0.0
        self._closed = False
        self._cond = threading.Condition()

    def add(self, paths: Iterable[Path]) -> None:
        with self._cond:
            now = time.monotonic()
            if not self._pending:
                self._first = now
            self._pending.update(paths)
            self._last = now
            self._cond.notify_all()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def take(self) -> set[Path] | None:
        """Wait for changes, then for a quiet moment; None once closed."""
        with self._cond:
            while True:
                if self._closed:
                    return None
                if not self._pending:
                    self._cond.wait()
                    continue
                now = time.monotonic()
                due = min(self._last + self.quiet, self._first + self.max_delay)
                if now >= due:
                    batch, self._pending = self._pending, set()
                    return batch
                self._cond.wait(due - now)


class _Handler(FileSystemEventHandler):
    """Turns one watchdog event into relevant paths; never lets an exception out."""

    def __init__(self, watcher: SiteWatcher) -> None:
        self.watcher = watcher

    def on_any_event(self, event: FileSystemEvent) -> None:
        try:
            self.watcher.handle(event)
        except Exception as exc:  # noqa: BLE001 - watching must go on
            self.watcher.log(f"warning: could not handle a file event ({type(exc).__name__}: "
                             f"{exc}); watching continues, rebuilding everything to be safe")
            try:
                self.watcher.queue.add(self.watcher.roots)
            except Exception:  # noqa: BLE001
                pass


class SiteWatcher:
    """Watches some folders recursively and feeds relevant paths to a ChangeQueue."""

    def __init__(self, roots: Iterable[Path], queue: ChangeQueue, log: Callable[[str], None],
                 excluded: Iterable[Path] = (), observer_class: type = Observer) -> None:
        self.roots = sorted({Path(r) for r in roots})
        self.excluded = tuple(excluded)
        self.queue = queue
        self.log = log
        self.observer_class = observer_class
        self.observer = None
        self.polling = observer_class is PollingObserver
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._supervisor: threading.Thread | None = None
        self.restarts = 0

    # -- events ----------------------------------------------------------------
    def handle(self, event: FileSystemEvent) -> None:
        if event.event_type in QUIET_EVENTS or (event.is_directory and event.event_type == "modified"):
            return
        paths = [event.src_path, getattr(event, "dest_path", "") or ""]
        relevant = [Path(_text(p)) for p in paths if p]
        relevant = [p for p in relevant if not is_ignored(p, self.roots, self.excluded)]
        if relevant:
            self.queue.add(relevant)

    # -- lifecycle ---------------------------------------------------------------
    def start(self) -> None:
        with self._lock:
            self._start_observer()
        self._supervisor = threading.Thread(target=self._supervise, name="folio-watch-check",
                                            daemon=True)
        self._supervisor.start()

    def _start_observer(self) -> None:
        try:
            self.observer = self._schedule(self.observer_class)
        except OSError as exc:
            if exc.errno not in (errno.ENOSPC, errno.EMFILE) or self.polling:
                raise
            self.log("warning: the inotify watch limit is reached "
                     f"({exc.strerror or exc}); watching by polling every {POLL_INTERVAL:g} s instead.\n"
                     "  hint: raise it with `sudo sysctl fs.inotify.max_user_watches=524288` "
                     "(and fs.inotify.max_user_instances if needed)")
            self.polling = True
            self.observer_class = PollingObserver
            self.observer = self._schedule(PollingObserver)

    def _schedule(self, cls: type):
        observer = cls(timeout=POLL_INTERVAL) if cls is PollingObserver else cls()
        handler = _Handler(self)
        try:
            for root in self.roots:
                if root.is_dir():
                    observer.schedule(handler, str(root), recursive=True)
            observer.start()
        except BaseException:
            _stop_observer(observer)
            raise
        return observer

    def set_roots(self, roots: Iterable[Path], excluded: Iterable[Path] = ()) -> None:
        """Watch a different set of folders (the theme or output folder moved)."""
        roots = sorted({Path(r) for r in roots})
        excluded = tuple(excluded)
        if roots == self.roots and excluded == self.excluded:
            return
        with self._lock:
            self.roots, self.excluded = roots, excluded
            if self.observer is not None and not self._stop.is_set():
                _stop_observer(self.observer)
                self._start_observer()

    def healthy(self) -> bool:
        obs = self.observer
        return obs is not None and obs.is_alive() and all(e.is_alive() for e in obs.emitters)

    def _supervise(self) -> None:
        missing_reported = False
        while not self._stop.wait(CHECK_INTERVAL):
            try:
                if self.healthy():
                    continue
                if not all(r.is_dir() for r in self.roots):
                    if not missing_reported:
                        gone = ", ".join(str(r) for r in self.roots if not r.is_dir())
                        self.log(f"warning: watched folder is gone: {gone}; waiting for it")
                        missing_reported = True
                    continue
                missing_reported = False
                with self._lock:
                    if self._stop.is_set():
                        return
                    self.log("warning: file watching stopped unexpectedly; restarting it")
                    _stop_observer(self.observer)
                    self._start_observer()
                    self.restarts += 1
                self.queue.add(self.roots)  # events may have been missed: rebuild
            except Exception as exc:  # noqa: BLE001 - the supervisor must outlive any failure
                self.log(f"warning: could not restart file watching: {exc}")

    def stop(self, wait: bool = True) -> None:
        """Stop watching; `wait=False` when the process is about to exit anyway."""
        self._stop.set()
        with self._lock:
            if self.observer is not None:
                _stop_observer(self.observer, wait)


def _stop_observer(observer, wait: bool = True) -> None:
    try:
        observer.stop()
        if wait and observer.is_alive():
            observer.join(timeout=1.0)
    except Exception:  # noqa: BLE001 - stopping a broken observer must not raise
        pass


def _text(path: str | bytes) -> str:
    return path.decode("utf-8", "surrogateescape") if isinstance(path, bytes) else path
