"""Real editor save sequences (RELIABILITY 53-57): each gives exactly one rebuild
with the final content, with the inotify observer (a `folio serve` subprocess)
and with the polling fallback (in-process). Rebuilds are counted through the
status document; `settle()` makes a sentinel edit so a late stray rebuild would
be counted too."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest
from harness import InProcessServer, page_md, site_files, wait_until, write
from watchdog.observers.polling import PollingObserver


def vim_save(path: Path, text: str) -> None:
    """vim with 'writebackup' and no 'backupcopy': probe file 4913, rename the
    original to a backup, write a new file, delete the backup; swap file around."""
    swap = path.with_name(f".{path.name}.swp")
    swap.write_bytes(b"b0VIM 9.0")
    probe = path.with_name("4913")
    probe.write_text("")
    probe.unlink()
    backup = path.with_name(path.name + "~")
    os.rename(path, backup)
    path.write_text(text)
    backup.unlink()
    swap.unlink()


def jetbrains_save(path: Path, text: str) -> None:
    """JetBrains 'safe write': temp file, old file renamed aside, temp renamed onto it."""
    tmp = path.with_name(path.name + "___jb_tmp___")
    old = path.with_name(path.name + "___jb_old___")
    tmp.write_text(text)
    os.rename(path, old)
    os.rename(tmp, path)
    old.unlink()


def jetbrains_direct_save(path: Path, text: str) -> None:
    """JetBrains safe write renaming the temp file straight onto the original:
    the only event about the page is a move whose *destination* it is."""
    tmp = path.with_name(path.name + "___jb_tmp___")
    tmp.write_text(text)
    os.replace(tmp, path)


def replace_save(path: Path, text: str) -> None:
    """Atomic write as many tools do it: a temp file in the folder, then os.replace."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".part")
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def emacs_save(path: Path, text: str) -> None:
    """emacs: a dangling `.#name` lock symlink while editing, an autosave `#name#`,
    a `name~` backup by rename, then the new file; locks removed afterwards."""
    lock = path.with_name(".#" + path.name)
    os.symlink("user@host.1234:1700000000", lock)
    autosave = path.with_name(f"#{path.name}#")
    autosave.write_text(text)
    os.rename(path, path.with_name(path.name + "~"))
    path.write_text(text)
    autosave.unlink()
    lock.unlink()


def in_place_save(path: Path, text: str) -> None:
    """VS Code and most simple editors: truncate and write the same file."""
    with open(path, "r+") as f:
        f.truncate(0)
        f.write(text)


SAVES = [vim_save, jetbrains_save, jetbrains_direct_save, replace_save, emacs_save, in_place_save]


@pytest.fixture(params=["inotify", "polling"])
def server(request, serve, make_site):
    if request.param == "inotify":
        yield serve()
        return
    srv = InProcessServer(make_site(site_files()), observer_class=PollingObserver)
    try:
        yield srv
    finally:
        srv.stop()


@pytest.mark.parametrize("save", SAVES, ids=lambda f: f.__name__)
def test_editor_save_gives_one_rebuild_with_final_content(server, save):
    timeout = 8 if isinstance(server, InProcessServer) else 5
    before = server.settle(timeout)
    save(server.site / "pages" / "about.md", page_md("About", f"Saved by {save.__name__}."))
    server.wait_for_text("about/", f"Saved by {save.__name__}.", timeout)
    after = server.settle(timeout)
    assert after == before + 2, server.output()  # the save, then the sentinel
    assert server.status()["errors"] is None


def test_twice_in_a_row(server):
    for n in range(2):
        vim_save(server.site / "pages" / "about.md", page_md("About", f"Round {n}."))
        server.wait_for_text("about/", f"Round {n}.", 8)


def test_checkout_burst_is_debounced(server, tmp_path):
    """A branch switch touching 200 files (mostly static files, which build fast,
    so the test measures debouncing rather than page rendering)."""
    staged = tmp_path / "staged"
    staged.mkdir()
    moves = []
    for i in range(195):
        moves.append((staged / f"f{i:03}.txt", server.site / "static" / "files" / f"f{i:03}.txt"))
        moves[-1][0].write_text(f"file {i}\n")
    for i in range(5):
        moves.append((staged / f"gen-{i}.md", server.site / "pages" / f"gen-{i}.md"))
        moves[-1][0].write_text(page_md(f"Gen {i}", f"Generated {i}."))
    (server.site / "static" / "files").mkdir(parents=True)
    before = server.settle(8)
    for source, dest in moves:  # as fast as git writes a checkout
        os.rename(source, dest)
    server.wait_for_text("gen-4/", "Generated 4.", 10)
    assert server.text("files/f194.txt") == "file 194\n"
    after = server.settle(8)
    # one build for the burst, perhaps one more if events kept coming while it ran
    assert before + 2 <= after <= before + 3, server.output()


def test_directories_created_renamed_and_deleted(server, tmp_path):
    site = server.site
    post = page_md("Hello", "First post.", date="2024-05-01")
    write(site / "posts" / "2024-05-01-hello.md", post)  # a new folder, watched from now on
    server.wait_for_text("writing/hello/", "First post.", 8)
    write(site / "posts" / "2024-05-01-hello.md", post.replace("First", "Edited"))
    server.wait_for_text("writing/hello/", "Edited post.", 8)
    # moved out of the site: the pages vanish
    shutil.move(str(site / "posts"), tmp_path / "posts-away")
    wait_until(lambda: server.get("writing/hello/")[0] == 404, 8, message=server.output())
    # moved back in: built again, and files inside are watched again
    shutil.move(str(tmp_path / "posts-away"), site / "posts")
    server.wait_for_text("writing/hello/", "Edited post.", 8)
    write(site / "posts" / "2024-05-01-hello.md", post.replace("First", "Third"))
    server.wait_for_text("writing/hello/", "Third post.", 8)
    # renamed within the site (a folder the builder ignores), then deleted
    os.rename(site / "posts", site / "drafts-box")
    wait_until(lambda: server.get("writing/hello/")[0] == 404, 8, message=server.output())
    shutil.rmtree(site / "drafts-box")
    server.settle(8)
    assert server.status()["errors"] is None


def test_file_moved_into_the_site(server, tmp_path):
    outside = tmp_path / "incoming.md"
    outside.write_text(page_md("Incoming", "Moved in."))
    shutil.move(str(outside), server.site / "pages" / "incoming.md")
    server.wait_for_text("incoming/", "Moved in.", 8)
