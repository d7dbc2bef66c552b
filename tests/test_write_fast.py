"""folio.write when little or nothing changed: the early return and trusted digests.

A warm build whose manifest equals the output's and whose files are intact
must not touch the output; a file deleted, replaced or edited by hand there
since the last build must still be noticed and restored.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from folio import outdir, write
from folio.errors import FolioError
from folio.write import MANIFEST, write_output

FILES = {
    "index.html": b"<h1>home</h1>",
    "work/a/index.html": b"case a",
    "work/b/index.html": b"case b",
    "theme/site.css": b"body{}",
}
FOREIGN = {"CNAME": b"ada.example", ".git/HEAD": b"ref: refs/heads/gh-pages\n"}
STEPS = ("write", "mkdir", "link", "copy", "move", "unlink", "rmdir", "exchange", "touch")


@pytest.fixture
def out(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    site.mkdir()
    (site / "folio.yaml").write_text("title: T\n")
    target = site / "_site"
    write_output(FILES, target, site)
    for rel, data in FOREIGN.items():
        (target / rel).parent.mkdir(parents=True, exist_ok=True)
        (target / rel).write_bytes(data)
    write_output(FILES, target, site)  # the foreign files are now part of a sealed output
    return target


def stats(root: Path) -> dict[str, tuple[int, int]]:
    """(inode, mtime) of the folder and of everything below it."""
    found = {".": (os.lstat(root).st_ino, os.lstat(root).st_mtime_ns)}
    for path in root.rglob("*"):
        st = os.lstat(path)
        found[path.relative_to(root).as_posix()] = (st.st_ino, st.st_mtime_ns)
    return found


def folio_entries(parent: Path) -> list[str]:
    return sorted(n for n in os.listdir(parent) if n.startswith(".folio-"))


def forbid(monkeypatch, *names: str) -> None:
    """Make the writer's steps named fail the test if they are taken."""
    for name in names:
        def refuse(self, *args, _name=name):
            raise AssertionError(f"{_name}{args} during a write that should change nothing")
        monkeypatch.setattr(write._Ops, name, refuse)


def no_read_back(monkeypatch) -> None:
    def refuse(path, data):
        raise AssertionError(f"read back {path}")
    monkeypatch.setattr(outdir, "same_as_file", refuse)


def written_paths(monkeypatch) -> list[str]:
    seen: list[str] = []
    real = write._Ops.write

    def record(self, path, data):
        seen.append(Path(path).name if Path(path).name == MANIFEST else
                    Path(path).relative_to(next(p for p in Path(path).parents
                                                if p.name.startswith(".folio-tmp-"))).as_posix())
        real(self, path, data)

    monkeypatch.setattr(write._Ops, "write", record)
    return seen


# --------------------------------------------------------------------------- nothing changed

def test_nothing_changed_touches_nothing_and_reads_nothing(out: Path, monkeypatch) -> None:
    before, manifest = stats(out), (out / MANIFEST).read_bytes()
    forbid(monkeypatch, *STEPS)
    no_read_back(monkeypatch)
    result = write_output(dict(reversed(FILES.items())), out, out.parent)
    assert (result.written, result.unchanged, result.removed) == (0, len(FILES), 0)
    assert stats(out) == before
    assert (out / MANIFEST).read_bytes() == manifest
    assert folio_entries(out.parent) == []


def test_clean_build_with_nothing_changed_also_returns_early(out: Path, monkeypatch) -> None:
    before = stats(out)
    forbid(monkeypatch, *STEPS)
    result = write_output(FILES, out, out.parent, clean=True)
    assert (result.written, result.unchanged, result.removed) == (0, len(FILES), 0)
    assert stats(out) == before


def test_clean_build_still_removes_a_stray_file(out: Path) -> None:
    (out / "work/stray.txt").write_bytes(b"left here")
    result = write_output(FILES, out, out.parent, clean=True)
    assert not (out / "work/stray.txt").exists()
    assert (result.written, result.unchanged, result.removed) == (0, len(FILES), 1)
    assert (out / "CNAME").read_bytes() == FOREIGN["CNAME"]


def test_foreign_files_added_since_do_not_stop_the_early_return(out: Path, monkeypatch) -> None:
    (out / "work/notes.txt").write_bytes(b"mine")
    before = stats(out)
    forbid(monkeypatch, *STEPS)
    write_output(FILES, out, out.parent)
    assert stats(out) == before


# --------------------------------------------------------------------------- hand changes

def _same_size_edit(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(bytes([data[0] ^ 1]) + data[1:])


def _edit_and_forge_mtime(path: Path) -> None:
    st = os.stat(path)
    _same_size_edit(path)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))  # the ctime still moves


def _replace_by_rename(path: Path) -> None:
    st = os.stat(path)
    other = path.with_name("edited")
    other.write_bytes(b"X" * st.st_size)
    os.utime(other, ns=(st.st_atime_ns, st.st_mtime_ns))
    os.replace(other, path)


def _make_folder(path: Path) -> None:
    path.unlink()
    path.mkdir()


def _make_symlink(path: Path) -> None:
    path.unlink()
    os.symlink("../b/index.html", path)


@pytest.mark.parametrize("change", [
    Path.unlink, _same_size_edit, _edit_and_forge_mtime, _replace_by_rename, _make_symlink,
    lambda p: p.write_bytes(b"longer than it was"), lambda p: p.chmod(0o600),
], ids=["deleted", "edited", "edited-mtime-forged", "replaced", "symlink", "resized", "chmod"])
def test_hand_change_in_the_output_is_restored(out: Path, change) -> None:
    target = out / "work/a/index.html"
    change(target)
    result = write_output(FILES, out, out.parent)
    assert target.is_file() and not target.is_symlink()
    assert target.read_bytes() == FILES["work/a/index.html"]
    assert result.written <= 1 and result.written + result.unchanged == len(FILES)
    assert (out / "CNAME").read_bytes() == FOREIGN["CNAME"]
    assert folio_entries(out.parent) == []


def test_edit_then_chmod_of_the_whole_output_is_still_noticed(out: Path) -> None:
    """`chmod -R` or `cp -a` after an edit renews the manifest's ctime, not its mtime."""
    target = out / "work/a/index.html"
    _same_size_edit(target)
    os.chmod(target, 0o644)
    while os.stat(out / MANIFEST).st_ctime_ns <= os.stat(target).st_ctime_ns:
        os.chmod(out / MANIFEST, 0o644)  # the manifest comes later in the walk
    write_output(FILES, out, out.parent)
    assert target.read_bytes() == FILES["work/a/index.html"]


def test_folder_made_in_place_of_a_file_is_refused_as_before(out: Path) -> None:
    _make_folder(out / "work/a/index.html")
    with pytest.raises(FolioError, match="refusing to overwrite"):
        write_output(FILES, out, out.parent)
    assert (out / "work/a/index.html").is_dir() and folio_entries(out.parent) == []


def test_hand_edit_is_restored_when_another_file_changes_too(out: Path) -> None:
    _same_size_edit(out / "work/b/index.html")
    result = write_output({**FILES, "index.html": b"<h1>new</h1>"}, out, out.parent)
    assert (out / "work/b/index.html").read_bytes() == FILES["work/b/index.html"]
    assert (result.written, result.unchanged) == (2, len(FILES) - 2)


def test_hand_edit_of_the_manifest_rewrites_it(out: Path) -> None:
    (out / MANIFEST).write_bytes(b'{"folio": 1, "files": {}}\n')
    write_output(FILES, out, out.parent)
    assert (out / MANIFEST).read_bytes() == write._manifest_bytes(out.name, FILES, sorted(FILES))


# --------------------------------------------------------------------------- small changes

def test_one_changed_file_writes_exactly_that_file(out: Path, monkeypatch) -> None:
    before = stats(out)
    no_read_back(monkeypatch)  # the manifest's digests decide, nothing is read back
    seen = written_paths(monkeypatch)
    result = write_output({**FILES, "work/b/index.html": b"case b, edited"}, out, out.parent)
    assert (result.written, result.unchanged, result.removed) == (1, len(FILES) - 1, 0)
    assert sorted(seen) == [MANIFEST, "work/b/index.html"]
    after = stats(out)
    for rel in ("index.html", "work/a/index.html", "theme/site.css", "CNAME", ".git/HEAD"):
        assert after[rel] == before[rel], rel
    assert (out / "work/b/index.html").read_bytes() == b"case b, edited"


def test_output_of_an_older_writer_is_read_back_once(out: Path, monkeypatch) -> None:
    """A manifest older than its files (no seal) makes them suspects; once they match, trust."""
    os.utime(out / MANIFEST, ns=(10**18, 10**18))
    with monkeypatch.context() as m:
        forbid(m, *(s for s in STEPS if s != "touch"))
        result = write_output(FILES, out, out.parent)
    assert (result.written, result.unchanged) == (0, len(FILES))
    before = stats(out)
    forbid(monkeypatch, *STEPS)
    no_read_back(monkeypatch)
    write_output(FILES, out, out.parent)
    assert stats(out) == before


def test_a_write_seals_the_manifest_after_its_last_change(out: Path) -> None:
    write_output({**FILES, "fresh.html": b"new"}, out, out.parent)
    seal = os.stat(out / MANIFEST)
    for rel in FILES:
        st = os.stat(out / rel)
        assert st.st_mtime_ns < seal.st_mtime_ns and st.st_ctime_ns < seal.st_ctime_ns, rel
