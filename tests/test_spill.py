"""`folio build` keeps finished files on disk, not in memory, until it writes them.

The one-shot build spills pages, social cards, packages and the search bundle
into a private folder beside the output (one append-only file per process) and
copies what changed into the new tree. Its
output must equal the in-memory build byte for byte, leave nothing behind, and
a folder left by a killed build must be cleaned up by the next one without
touching anything folio did not write.
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from folio_testing import EXAMPLE_SITE

from folio import spill as spill_module
from folio import write
from folio.build import Builder, BuildOptions, build
from folio.errors import FolioError
from folio.spill import Spill, Spilled, data_of, digest_of, same_as_file
from folio.write import write_output


@pytest.fixture()
def site(tmp_path: Path) -> Path:
    root = tmp_path / "site"
    shutil.copytree(EXAMPLE_SITE, root, ignore=shutil.ignore_patterns(".folio-cache", "public"))
    return root


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


def spill_folders(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith(spill_module.PREFIX))


def test_spilled_build_equals_the_in_memory_build(site: Path, tmp_path: Path) -> None:
    options = BuildOptions(output=tmp_path / "out", search=False, cache=False)
    in_memory = Builder(site, options).build().files
    result = build(site, options)
    written = tree(tmp_path / "out")
    written.pop(".folio-manifest")
    assert written == {k: bytes(v) for k, v in in_memory.items()}
    # The large files were spilled: the result names where they now are.
    spilled = {k for k, v in result.files.items() if isinstance(v, Spilled)}
    assert any(k.endswith(".html") for k in spilled)
    assert any(k.startswith("og/") for k in spilled)
    assert any(k.endswith(".imscc") for k in spilled)
    for key in sorted(spilled):
        value = result.files[key]
        assert Path(value.path) == tmp_path / "out" / key
        assert value.read() == in_memory[key]
        assert value.sha256 == digest_of(in_memory[key])
    # Nothing is left beside the output, and no output file has a second name.
    assert spill_folders(tmp_path) == []
    assert all((tmp_path / "out" / k).stat().st_nlink == 1 for k in spilled)


def test_a_warm_spilled_build_writes_nothing(site: Path, tmp_path: Path) -> None:
    options = BuildOptions(output=tmp_path / "out", search=False)
    first = build(site, options)
    assert first.written > 0
    second = build(site, options)
    assert (second.written, second.removed) == (0, 0)
    assert second.unchanged == len(second.files)
    assert spill_folders(tmp_path) == []


def cache_entries(site: Path, namespace: str) -> dict[Path, tuple[int, bytes]]:
    folder = site / ".folio-cache" / namespace
    return {p: (p.stat().st_ino, p.read_bytes()) for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("can_link", [True, False])
def test_cached_cards_are_linked_into_the_spill_not_copied(
        site: Path, tmp_path: Path, monkeypatch, can_link: bool) -> None:
    """With a warm cache and a new output folder (a CI run), cards come from the cache
    as second names in the spill (or copies where the file system cannot link); the
    output equals a build without cache, and the cache is left as it was."""
    options = BuildOptions(output=tmp_path / "out", search=False)
    build(site, options)
    clean = Builder(site, BuildOptions(search=False, cache=False)).build().files
    shutil.rmtree(tmp_path / "out")
    before = cache_entries(site, "og")
    links = []
    real_link = os.link

    def link(src, dst, **kwargs):
        if not can_link:
            raise OSError(errno.EXDEV, "Invalid cross-device link")
        links.append(Path(src))
        return real_link(src, dst, **kwargs)

    monkeypatch.setattr(os, "link", link)
    result = build(site, options)
    written = tree(tmp_path / "out")
    written.pop(".folio-manifest")
    assert written == {k: bytes(v) for k, v in clean.items()}
    if can_link:
        assert {p.parent.parent.name for p in links} == {"og"}
        assert len(links) == sum(1 for k in result.files if k.startswith("og/")) > 0
    assert cache_entries(site, "og") == before
    out_inodes = {(tmp_path / "out" / k).stat().st_ino for k in result.files}
    assert not out_inodes & {ino for ino, _ in before.values()}, "no output shares the cache's file"
    assert spill_folders(tmp_path) == []


def test_a_damaged_cached_card_is_drawn_again_through_its_link(site: Path, tmp_path: Path) -> None:
    options = BuildOptions(output=tmp_path / "out", search=False)
    build(site, options)
    clean = Builder(site, BuildOptions(search=False, cache=False)).build().files
    shutil.rmtree(tmp_path / "out")
    entry = next(p for p in sorted((site / ".folio-cache" / "og").rglob("*")) if p.is_file())
    data = bytearray(entry.read_bytes())
    data[-10] ^= 0xFF  # same length, wrong bytes
    entry.write_bytes(bytes(data))
    build(site, options)
    written = tree(tmp_path / "out")
    written.pop(".folio-manifest")
    assert written == {k: bytes(v) for k, v in clean.items()}
    assert spill_folders(tmp_path) == []


def test_spilled_search_bundle_is_written(site: Path, tmp_path: Path) -> None:
    from folio.search import pagefind_binary

    if pagefind_binary() is None:
        pytest.skip("Pagefind is not installed")
    result = build(site, BuildOptions(output=tmp_path / "out", search=True, cache=False))
    bundle = {k: v for k, v in result.files.items() if k.startswith("pagefind/")}
    assert "pagefind/pagefind.js" in bundle
    assert all(isinstance(v, Spilled) for v in bundle.values())
    for key, value in bundle.items():
        assert (tmp_path / "out" / key).read_bytes() == value.read()


@pytest.mark.parametrize("kernel_copy", [True, False])
def test_spilled_files_are_copied_with_or_without_copy_file_range(tmp_path: Path, monkeypatch,
                                                                  kernel_copy: bool) -> None:
    """Without copy_file_range (another OS, an old kernel, a file system that refuses
    it), the range is copied by hand; either way each file gets exactly its bytes."""
    out = tmp_path / "site" / "_site"
    (tmp_path / "site").mkdir()
    spill = Spill.beside(out)
    big = bytes(range(256)) * 9000  # over 2 MiB: several chunks when copied by hand
    files = {"index.html": spill.put(b"<p>home</p>"), "big.bin": spill.put(big),
             "empty.txt": spill.put(b""), "after.html": spill.put(b"<p>after</p>"),
             "a/b.txt": b"plain bytes"}
    if not kernel_copy:
        def refuse(*args, **kwargs):
            raise OSError(errno.EXDEV, "Invalid cross-device link")
        monkeypatch.setattr(os, "copy_file_range", refuse, raising=False)
    write_output(files, out, tmp_path / "site")
    spill.close()
    assert (out / "index.html").read_bytes() == b"<p>home</p>"
    assert (out / "big.bin").read_bytes() == big
    assert (out / "empty.txt").read_bytes() == b""
    assert (out / "after.html").read_bytes() == b"<p>after</p>"
    assert (out / "a/b.txt").read_bytes() == b"plain bytes"
    assert spill_folders(tmp_path / "site") == []


WORKERS_SCRIPT = """
import os, sys
from pathlib import Path
from folio.parallel import map_ordered, start_method
from folio.spill import Spill

HELD = []

def keep(spill):
    HELD[:] = [spill]

def put(item):
    return HELD[0].put(f"item {item} from {os.getpid()}".encode())

if __name__ == "__main__":
    assert start_method() == "fork", start_method()
    spill = Spill(Path(sys.argv[1]))
    first = spill.put(b"from the parent")
    found = map_ordered(put, list(range(200)), 2, serial_below=1, initializer=keep,
                        initargs=(spill,))
    texts = [value.read().decode() for value in found]
    assert [t.split(" from ")[0] for t in texts] == [f"item {i}" for i in range(200)]
    assert first.read() == b"from the parent"
    assert len({v.path for v in found} | {first.path}) >= 2, "workers used the parent's file"
    spill.close()
    print("ok", len({v.path for v in found}))
"""


def test_worker_processes_append_to_files_of_their_own(tmp_path: Path) -> None:
    """Forked workers (a fresh process, so the pool forks) each append to a file of
    their own; the parent's file and offsets stay right."""
    if not sys.platform.startswith("linux"):
        pytest.skip("workers are forked only on Linux")
    run = subprocess.run([sys.executable, "-c", WORKERS_SCRIPT, str(tmp_path / "spill")],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.startswith("ok")
    assert not (tmp_path / "spill").exists()


def test_unchanged_spilled_files_are_kept_not_rewritten(tmp_path: Path, monkeypatch) -> None:
    root = tmp_path / "site"
    root.mkdir()
    out = root / "_site"
    write_output({"index.html": b"<p>one</p>", "b.html": b"<p>b</p>"}, out, root)
    inode = (out / "b.html").stat().st_ino
    spill = Spill.beside(out)
    files = {"index.html": spill.put(b"<p>two</p>"), "b.html": spill.put(b"<p>b</p>")}
    result = write_output(files, out, root)
    spill.close()
    assert (result.written, result.unchanged) == (1, 1)
    assert (out / "b.html").stat().st_ino == inode
    assert (out / "index.html").read_bytes() == b"<p>two</p>"


def test_values_read_compare_and_digest_alike(tmp_path: Path) -> None:
    spill = Spill(tmp_path / "spill")
    before = spill.put(b"something before")
    data = b"x" * 100_000 + b"end"
    value = spill.put(data)
    assert value.path == before.path and value.offset == len(b"something before")
    assert len(value) == len(data) and data_of(value) == data and data_of(data) == data
    assert digest_of(value) == digest_of(data)
    other = tmp_path / "other"
    other.write_bytes(data)
    assert same_as_file(other, value) and same_as_file(other, data)
    other.write_bytes(data[:-1] + b"!")
    assert not same_as_file(other, value) and not same_as_file(other, data)
    spill.close()
    assert not (tmp_path / "spill").exists()


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_killed_builds_spill_folder_is_removed_by_the_next_build(site: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    left = tmp_path / f"{spill_module.PREFIX}{dead_pid()}-out"
    left.mkdir()
    (left / "123-0.out").write_bytes(b"half a card")
    (left / "123-1.out").write_bytes(b"a page")
    build(site, BuildOptions(output=out, search=False))
    assert spill_folders(tmp_path) == []


def test_a_spill_folder_holding_other_files_is_left_with_a_warning(site: Path,
                                                                   tmp_path: Path) -> None:
    left = tmp_path / f"{spill_module.PREFIX}{dead_pid()}-out"
    left.mkdir()
    (left / "9-0.out").write_bytes(b"ours")
    (left / "notes.txt").write_text("the user's")
    result = build(site, BuildOptions(output=tmp_path / "out", search=False))
    assert (left / "notes.txt").read_text() == "the user's"
    assert not (left / "9-0.out").exists()
    assert any(str(left) in w.message for w in result.warnings)


def test_a_running_builds_spill_folder_is_left_alone(site: Path, tmp_path: Path) -> None:
    with subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"]) as proc:
        try:
            busy = tmp_path / f"{spill_module.PREFIX}{proc.pid}-out"
            busy.mkdir()
            (busy / f"{proc.pid}-0.out").write_bytes(b"in use")
            build(site, BuildOptions(output=tmp_path / "out", search=False))
            assert (busy / f"{proc.pid}-0.out").read_bytes() == b"in use"
        finally:
            proc.kill()


def test_a_failed_build_leaves_no_spill_folder(site: Path, tmp_path: Path) -> None:
    from folio.errors import BuildFailed

    post = next((site / "posts").glob("*.md"))
    post.write_text("---\ntitle: [unclosed\n---\nbody\n")
    with pytest.raises(BuildFailed):
        build(site, BuildOptions(output=tmp_path / "out", search=False))
    assert spill_folders(tmp_path) == []


def test_spilled_pages_keep_write_fault_safety(site: Path, tmp_path: Path, monkeypatch) -> None:
    """A write that fails half-way leaves the old output, and the spill folder goes."""
    out = tmp_path / "out"
    build(site, BuildOptions(output=out, search=False))
    before = tree(out)
    (site / "profile.md").write_text((site / "profile.md").read_text() + "\nOne more line.\n")
    real = write._Ops.link
    calls = {"n": 0}

    def failing_link(self, src, dst):
        calls["n"] += 1
        if calls["n"] == 40:
            raise OSError(errno.EIO, "Input/output error", os.fspath(dst))
        real(self, src, dst)

    monkeypatch.setattr(write._Ops, "link", failing_link)
    with pytest.raises(FolioError, match="Input/output error"):
        build(site, BuildOptions(output=out, search=False))
    assert tree(out) == before
    assert spill_folders(tmp_path) == []


def test_a_full_disk_while_spilling_is_a_clear_error(site: Path, tmp_path: Path,
                                                     monkeypatch) -> None:
    """ENOSPC in a worker appending a card or a page: an error naming the folder, the
    old output kept, nothing left behind (RELIABILITY 42)."""
    if not Path("/proc/self/fd").is_dir():
        pytest.skip("needs /proc to tell a spill file's descriptor")
    out = tmp_path / "out"
    build(site, BuildOptions(output=out, search=False))
    before = tree(out)
    (site / "profile.md").write_text((site / "profile.md").read_text() + "\nOne more line.\n")
    real = os.write

    def full(fd, data):
        if spill_module.PREFIX in os.readlink(f"/proc/self/fd/{fd}"):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(fd, data)

    monkeypatch.setattr(os, "write", full)
    with pytest.raises(FolioError) as info:
        build(site, BuildOptions(output=out, search=False, cache=False))
    message = info.value.format()
    assert "No space left on device" in message and spill_module.PREFIX in message
    assert "previous output is unchanged" in message
    monkeypatch.undo()
    assert tree(out) == before
    assert spill_folders(tmp_path) == []
