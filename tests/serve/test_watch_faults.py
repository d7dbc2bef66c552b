"""Watching never stops silently (RELIABILITY 58): the inotify watch limit falls
back to polling with a message naming fs.inotify.max_user_watches, a handler
that raises costs nothing, a dead observer or a deleted-and-restored folder is
noticed through is_alive() and watching restarts. Plus builds that overlap
edits, with a builder that waits on an Event (no timing guesses)."""

from __future__ import annotations

import errno
import shutil
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest
from harness import InProcessServer, page_md, site_files, wait_until, write
from watchdog.observers import Observer

import folio.watch
from folio.errors import BuildFailed, Diagnostic
from folio.watch import ChangeQueue, SiteWatcher


def test_watch_limit_falls_back_to_polling(monkeypatch, make_site, capsys):
    def full(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, "inotify watch limit reached")

    monkeypatch.setattr(Observer, "schedule", full)
    srv = InProcessServer(make_site(site_files()))
    try:
        err = capsys.readouterr().err
        assert "fs.inotify.max_user_watches" in err and "polling" in err
        write(srv.site / "pages" / "about.md", page_md("About", "Seen by polling."))
        srv.wait_for_text("about/", "Seen by polling.", timeout=8)
    finally:
        srv.stop()


def test_other_watch_errors_are_not_swallowed(monkeypatch, tmp_path):
    def broken(self, *args, **kwargs):
        raise OSError(errno.EACCES, "permission denied")

    monkeypatch.setattr(Observer, "schedule", broken)
    watcher = SiteWatcher([tmp_path], ChangeQueue(), print)
    with pytest.raises(OSError):
        watcher.start()
    watcher.stop()


def test_handler_exception_does_not_stop_watching(monkeypatch, make_site, capsys):
    calls = {"n": 0}
    real = folio.watch.is_ignored

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] <= 3:
            raise RuntimeError("boom in the handler")
        return real(*args, **kwargs)

    monkeypatch.setattr(folio.watch, "is_ignored", flaky)
    srv = InProcessServer(make_site(site_files()))
    try:
        write(srv.site / "pages" / "about.md", page_md("About", "Despite the crash."))
        srv.wait_for_text("about/", "Despite the crash.")
        assert "boom in the handler" in capsys.readouterr().err
        write(srv.site / "pages" / "about.md", page_md("About", "And after it."))
        srv.wait_for_text("about/", "And after it.")
    finally:
        srv.stop()


def _watch(root: Path) -> tuple[SiteWatcher, ChangeQueue, list[str]]:
    queue = ChangeQueue(quiet=0.01)
    logs: list[str] = []
    watcher = SiteWatcher([root], queue, logs.append)
    watcher.start()
    return watcher, queue, logs


def _taken(queue: ChangeQueue, path: Path):
    got: list[set] = []
    t = threading.Thread(target=lambda: got.append(queue.take()), daemon=True)
    t.start()
    t.join(5)
    return got and path in got[0]


def test_dead_observer_is_restarted(tmp_path):
    watcher, queue, logs = _watch(tmp_path)
    try:
        assert watcher.healthy()
        watcher.observer.stop()  # as if its thread had died
        wait_until(lambda: watcher.restarts == 1 and watcher.healthy())
        assert any("restarting" in line for line in logs)
        queue.take()  # the restart queues a full rebuild (events may have been missed)
        write(tmp_path / "a.md", "x")
        assert _taken(queue, tmp_path / "a.md")
    finally:
        watcher.stop()


def test_deleted_folder_is_waited_for_and_watched_again(tmp_path):
    root = tmp_path / "site"
    root.mkdir()
    watcher, queue, logs = _watch(root)
    try:
        shutil.rmtree(root)
        wait_until(lambda: any("gone" in line for line in logs))
        root.mkdir()
        wait_until(lambda: watcher.restarts >= 1 and watcher.healthy())
        write(root / "b.md", "y")
        wait_until(lambda: _taken(queue, root / "b.md"))
    finally:
        watcher.stop()


# -- builds that overlap edits ------------------------------------------------------

class GatedBuilder:
    """Builds pages/*.md into a files dict; the build after `gate_on` waits on
    `release`, so a test can edit files while a build is running."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.count = 0
        self.gate_on = None
        self.entered = threading.Event()
        self.release = threading.Event()

    def build(self, changed=None):
        self.count += 1
        snapshot = {p.name: p.read_text() for p in sorted((self.root / "pages").glob("*.md"))}
        if self.count == self.gate_on:
            self.entered.set()
            self.release.wait(10)
        if any("BROKEN" in text for text in snapshot.values()):
            raise BuildFailed([Diagnostic("broken page", "pages/x.md", 1)])
        files = {f"{name[:-3]}/index.html": f"<body>{text}</body>".encode()
                 for name, text in snapshot.items()}
        files["index.html"] = b"<body>home</body>"
        config = SimpleNamespace(base_path="/", theme="none", output="_site")
        return SimpleNamespace(files=files, warnings=(), site=SimpleNamespace(config=config))


def test_edits_during_a_build_give_exactly_one_more_build(make_site):
    root = make_site({"pages/a.md": "one"})
    builder = GatedBuilder(root)
    srv = InProcessServer(root, builder=builder)
    try:
        builder.gate_on = builder.count + 1
        write(root / "pages" / "a.md", "two")
        assert builder.entered.wait(5)
        for i in range(20):  # edits while the build is running
            write(root / "pages" / f"n{i}.md", f"new {i}")
        write(root / "pages" / "a.md", "three")
        builder.release.set()
        srv.wait_for_text("a/", "three")
        srv.wait_for_text("n19/", "new 19")
        gated = builder.count
        srv.wait_for_builds(gated)
        assert gated == builder.gate_on + 1  # exactly one more build
        # a request during a build always sees one complete build
        assert srv.status()["errors"] is None
    finally:
        builder.release.set()
        srv.stop()


def test_requests_during_a_build_see_the_last_complete_build(make_site):
    root = make_site({"pages/a.md": "old-a", "pages/b.md": "old-b"})
    builder = GatedBuilder(root)
    srv = InProcessServer(root, builder=builder)
    try:
        builder.gate_on = builder.count + 1
        write(root / "pages" / "a.md", "new-a")
        write(root / "pages" / "b.md", "new-b")
        assert builder.entered.wait(5)
        assert "old-a" in srv.text("a/") and "old-b" in srv.text("b/")
        builder.release.set()
        srv.wait_for_text("a/", "new-a")
        assert "new-b" in srv.text("b/")
    finally:
        builder.release.set()
        srv.stop()


def test_edit_during_the_first_build_is_not_lost(make_site):
    root = make_site({"pages/a.md": "before"})
    builder = GatedBuilder(root)
    builder.gate_on = 1

    def edit_while_building() -> None:
        builder.entered.wait(10)
        write(root / "pages" / "a.md", "during the first build")
        builder.release.set()

    editor = threading.Thread(target=edit_while_building, daemon=True)
    editor.start()
    srv = InProcessServer(root, builder=builder)
    try:
        editor.join(5)
        srv.wait_for_text("a/", "during the first build")
    finally:
        builder.release.set()
        srv.stop()
