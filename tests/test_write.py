"""folio.write: atomic swap, manifest-only deletes, kept mtimes, locks, faults.

RELIABILITY 38-45 on real file systems in tmp dirs. The SIGKILL loop forks the
test process (a fresh interpreter per step would make it slow) and lets the
fault hook FOLIO_FAULT_AFTER_WRITES kill the child after write N, for every N.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from folio import outdir, write
from folio.errors import FolioError
from folio.write import MANIFEST, WriteResult, write_output

OLD = {
    "index.html": b"<h1>home v1</h1>",
    "work/a/index.html": b"case a v1",
    "work/b/index.html": b"case b stays",
    "gone/index.html": b"page to be deleted",
    "theme/site.css": b"body{}",
}
NEW = {
    "index.html": b"<h1>home v2</h1>",
    "work/a/index.html": b"case a v2",
    "work/b/index.html": b"case b stays",
    "fresh/index.html": b"new page",
    "theme/site.css": b"body{}",
}
FOREIGN = {  # files folio did not write; they must survive every build
    "CNAME": b"ada.example",
    ".nojekyll": b"",
    ".gitignore": b"*.tmp\n",
    ".git/HEAD": b"ref: refs/heads/gh-pages\n",
    ".git/objects/ab/cdef": b"\x00blob",
    "work/notes.txt": b"my notes inside a folio folder",
}


def snapshot(root: Path) -> dict[str, object]:
    """Everything below root: bytes of files, targets of links, folders."""
    out: dict[str, object] = {}
    if not os.path.lexists(root):
        return {"<missing>": True}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(dirnames + filenames):
            path = Path(dirpath, name)
            rel = path.relative_to(root).as_posix()
            if path.is_symlink():
                out[rel] = ("link", os.readlink(path))
            elif path.is_dir():
                out[rel] = "dir"
            else:
                out[rel] = path.read_bytes()
    return out


def leftovers(parent: Path) -> list[str]:
    return sorted(n for n in os.listdir(parent) if n.startswith(".folio-"))


@pytest.fixture
def site(tmp_path: Path) -> Path:
    root = tmp_path / "site"
    root.mkdir()
    (root / "folio.yaml").write_text("title: T\n")
    return root


def put(root: Path, files: dict[str, bytes]) -> None:
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)


@pytest.fixture
def built(site: Path) -> Path:
    """An output folder holding the OLD build plus foreign files and a symlink."""
    out = site / "_site"
    write_output(OLD, out, site)
    put(out, FOREIGN)
    os.symlink("work", out / "latest")
    return out


def expected(files: dict[str, bytes], out: Path, foreign: dict = FOREIGN) -> dict[str, object]:
    snap = {**files, **foreign, "latest": ("link", "work")}
    snap[MANIFEST] = write._manifest_bytes(out.name, files, sorted(files))
    for rel in list(snap):
        for anc in outdir.ancestors(rel):
            snap[anc] = "dir"
    return dict(sorted(snap.items()))


# --------------------------------------------------------------------------- basics

def test_first_build_writes_files_and_manifest(site: Path) -> None:
    out = site / "_site"
    result = write_output(OLD, out, site)
    assert result == WriteResult(written=5, unchanged=0, removed=0)
    manifest = json.loads((out / MANIFEST).read_text())
    assert manifest["output"] == "_site"
    assert sorted(manifest["files"]) == sorted(OLD)
    assert manifest["files"]["index.html"] == hashlib.sha256(OLD["index.html"]).hexdigest()
    assert {k: (out / k).read_bytes() for k in OLD} == OLD
    assert leftovers(site) == []


def test_rebuild_replaces_removes_stale_and_keeps_foreign(built: Path) -> None:
    result = write_output(NEW, built, built.parent)
    assert snapshot(built) == expected(NEW, built)
    assert not (built / "gone").exists()
    assert (result.written, result.unchanged, result.removed) == (3, 2, 1)
    assert leftovers(built.parent) == []


def test_unchanged_files_keep_their_mtime(built: Path) -> None:
    for rel in ("work/b/index.html", "index.html"):
        os.utime(built / rel, (1_000_000, 1_000_000))
    write_output(NEW, built, built.parent)
    assert (built / "work/b/index.html").stat().st_mtime == 1_000_000
    assert (built / "index.html").stat().st_mtime != 1_000_000


def test_same_input_gives_byte_identical_tree(site: Path) -> None:
    a, b = site / "a", site / "b"
    write_output(dict(sorted(NEW.items())), a, site)
    write_output(dict(sorted(NEW.items(), reverse=True)), b, site)
    sa, sb = snapshot(a), snapshot(b)
    sa[MANIFEST] = sa[MANIFEST].replace(b'"a"', b'"b"')
    assert sa == sb


def test_idempotent_rebuild_changes_nothing(built: Path) -> None:
    write_output(NEW, built, built.parent)
    before = {p: os.lstat(p).st_mtime_ns for p in built.rglob("*")}
    result = write_output(NEW, built, built.parent)
    assert (result.written, result.unchanged, result.removed) == (0, 5, 0)
    assert {p: os.lstat(p).st_mtime_ns for p in built.rglob("*")} == before


def test_foreign_file_identical_to_new_file_is_adopted(site: Path) -> None:
    out = site / "_site"
    out.mkdir()
    (out / "CNAME").write_bytes(b"ada.example")
    write_output({"CNAME": b"ada.example", "index.html": b"x"}, out, site)
    write_output({"index.html": b"x"}, out, site)
    assert not (out / "CNAME").exists()  # adopted into the manifest, then stale


def test_empty_foreign_folder_takes_new_files(built: Path) -> None:
    (built / "fresh").mkdir()
    (built / "empty").mkdir()
    write_output(NEW, built, built.parent)
    assert (built / "fresh/index.html").read_bytes() == b"new page"
    assert (built / "empty").is_dir()


def test_foreign_file_in_the_way_is_an_error(built: Path) -> None:
    before = snapshot(built)
    for files in ({**NEW, "CNAME": b"other.example"}, {**NEW, "work/notes.txt/x": b""},
                  {**NEW, ".git": b"x"}):
        with pytest.raises(FolioError, match="refusing to overwrite"):
            write_output(files, built, built.parent)
        assert snapshot(built) == before


@pytest.mark.parametrize("key", [
    "/abs.html", "../up.html", "a/../../b", "a\\b.html", "nul\x00.html", "", "a//b", "./a",
    "a/./b", "esc\x1b[2J.html", ".folio-manifest", ".folio-tmp-1-x/a", "x" * 300 + ".html",
    "ok/" + "y" * 256 + "/index.html",
])
def test_bad_output_paths_fail_before_any_write(built: Path, key: str) -> None:
    before = snapshot(built)
    with pytest.raises(FolioError) as info:
        write_output({**NEW, key: b"x"}, built, built.parent)
    assert "output path" in str(info.value.diagnostics[0].message)
    assert snapshot(built) == before and leftovers(built.parent) == []


def test_bad_output_paths_are_all_reported(site: Path) -> None:
    with pytest.raises(FolioError) as info:
        write_output({"../a": b"", "b/../../c": b"", "About/x": b"", "about/x": b"",
                      "d": b"", "d/e": b""}, site / "_site", site)
    messages = [d.message for d in info.value.diagnostics]
    assert len(messages) == 4, messages
    assert any("case-insensitive" in m for m in messages)
    assert any("both a file and a folder" in m for m in messages)
    assert not (site / "_site").exists()


def test_tampered_manifest_never_deletes_outside(site: Path, tmp_path: Path) -> None:
    victim_dir = tmp_path / "elsewhere"
    victim_dir.mkdir()
    (victim_dir / "victim.txt").write_text("precious")
    out = site / "_site"
    write_output({"index.html": b"x"}, out, site)
    os.symlink(victim_dir, out / "link")
    manifest = json.loads((out / MANIFEST).read_text())
    manifest["files"].update({"../../elsewhere/victim.txt": "0", "link/victim.txt": "0",
                              "/etc/hostname": "0"})
    (out / MANIFEST).write_text(json.dumps(manifest))
    write_output({"index.html": b"y"}, out, site)
    assert (victim_dir / "victim.txt").read_text() == "precious"
    assert os.readlink(out / "link") == str(victim_dir)


def test_output_symlink_to_a_folder_is_followed_not_replaced(site: Path, tmp_path: Path) -> None:
    real = tmp_path / "www"
    real.mkdir()
    os.symlink(real, site / "_site")
    write_output({"index.html": b"x"}, site / "_site", site)
    write_output({"index.html": b"y"}, site / "_site", site)
    assert (site / "_site").is_symlink()
    assert (real / "index.html").read_bytes() == b"y"
    assert leftovers(tmp_path) == []


# --------------------------------------------------------------------------- clean

def test_old_output_without_manifest_needs_clean(site: Path) -> None:
    out = site / "_site"
    put(out, {"index.html": b"old", "stale/index.html": b"old", "CNAME": b"a.example",
              ".git/HEAD": b"ref"})
    before = snapshot(out)
    with pytest.raises(FolioError, match="holds files folio did not write"):
        write_output({"index.html": b"new"}, out, site)
    assert snapshot(out) == before
    result = write_output({"index.html": b"new"}, out, site, clean=True)
    assert result.removed == 1
    assert snapshot(out) == {".folio-manifest": (out / MANIFEST).read_bytes(), ".git": "dir",
                             ".git/HEAD": b"ref", "CNAME": b"a.example", "index.html": b"new"}


def test_clean_refuses_a_folder_that_is_not_an_old_output(site: Path) -> None:
    out = site / "_site"
    put(out, {"index.html": b"x", "notes/plan.md": b"# plan"})
    before = snapshot(out)
    with pytest.raises(FolioError, match=r"does not look like a previous output.*plan\.md"):
        write_output({"index.html": b"new"}, out, site, clean=True)
    put(out / "..", {})
    assert snapshot(out) == before


def test_clean_with_a_manifest_removes_unlisted_files_but_keeps_dot_entries(built: Path) -> None:
    put(built, {"notes.txt": b"stray", ".well-known/security.txt": b"contact"})
    result = write_output(NEW, built, built.parent, clean=True)
    assert not (built / "notes.txt").exists() and not (built / "work/notes.txt").exists()
    assert (built / ".well-known/security.txt").exists() and (built / "CNAME").exists()
    assert (built / ".git/HEAD").exists() and (built / "latest").is_symlink() is False
    assert result.removed == 4  # gone/index.html, notes.txt, work/notes.txt, latest


def test_only_keep_list_entries_need_no_manifest(site: Path) -> None:
    out = site / "_site"
    put(out, {".git/HEAD": b"ref", "CNAME": b"a.example"})
    write_output({"index.html": b"x"}, out, site)
    assert (out / ".git/HEAD").read_bytes() == b"ref" and (out / "CNAME").exists()


# --------------------------------------------------------------------------- leftovers

def test_dead_leftovers_are_reclaimed_and_live_ones_kept(built: Path) -> None:
    parent = built.parent
    dead = parent / ".folio-tmp-999999999-_site"
    put(dead, {"index.html": b"half", "lost-and-found.txt": b"keep me"})
    (dead / MANIFEST).write_bytes(write._manifest_bytes("_site", {"index.html": b""},
                                                        ["index.html"]))
    dead_old = parent / ".folio-old-999999998-_site"
    put(dead_old, {"index.html": b"old", "work/a/index.html": b"old"})
    (dead_old / MANIFEST).write_bytes(write._manifest_bytes("_site", {"index.html": b""},
                                                            ["index.html"]))
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        live = parent / f".folio-tmp-{sleeper.pid}-_site"
        put(live, {"index.html": b"live"})
        result = write_output(NEW, built, parent)
        # an unlisted file the output also holds is left where it is, with a warning
        assert leftovers(parent) == [dead_old.name, live.name]
        assert snapshot(dead_old) == {"work": "dir", "work/a": "dir", "work/a/index.html": b"old"}
        assert any(dead_old.name in w and "work/a/index.html" in w for w in result.warnings)
        assert (live / "index.html").read_bytes() == b"live"
        # an unlisted file the output lacks is moved back into it, not deleted
        assert (built / "lost-and-found.txt").read_bytes() == b"keep me"
    finally:
        sleeper.kill()
        sleeper.wait()


# --------------------------------------------------------------------------- lock

def test_live_lock_gives_an_error_and_stale_lock_is_reclaimed(built: Path) -> None:
    lock = built.parent / ".folio-lock-_site"
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        lock.write_text(f"{sleeper.pid}\n")
        before = snapshot(built)
        with pytest.raises(FolioError, match=rf"folio pid {sleeper.pid} is building .*_site"):
            write_output(NEW, built, built.parent)
        assert snapshot(built) == before
    finally:
        sleeper.kill()
        sleeper.wait()
    write_output(NEW, built, built.parent)  # that pid is dead now: the lock is stale
    assert snapshot(built) == expected(NEW, built)
    assert not lock.exists()


@pytest.mark.parametrize("content, age", [(b"%d\n", 0), (b"garbage", 60), (b"", 60)])
def test_lock_with_own_pid_or_old_garbage_is_stale(built: Path, content: bytes, age: int) -> None:
    """A container restart can give the next folio the pid a killed one had."""
    lock = built.parent / ".folio-lock-_site"
    lock.write_bytes(content.replace(b"%d", str(os.getpid()).encode()))
    os.utime(lock, (time.time() - age, time.time() - age))
    write_output(NEW, built, built.parent)
    assert not lock.exists() and (built / "fresh/index.html").exists()


WORKER = """
import json, sys
from pathlib import Path
from folio.errors import FolioError
from folio.write import write_output
spec = json.loads(Path(sys.argv[1]).read_text())
try:
    r = write_output({k: v.encode() for k, v in spec["files"].items()}, Path(spec["out"]),
                     Path(spec["site"]))
except FolioError as exc:
    print(exc.format(), file=sys.stderr)
    sys.exit(1)
print(r.written, r.unchanged, r.removed)
"""


def spawn(tmp_path: Path, out: Path, site: Path, files: dict[str, bytes], **env: str):
    spec = tmp_path / f"spec-{len(list(tmp_path.glob('spec-*')))}.json"
    spec.write_text(json.dumps({"out": str(out), "site": str(site),
                                "files": {k: v.decode() for k, v in files.items()}}))
    return subprocess.Popen([sys.executable, "-c", WORKER, str(spec)], text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, **env})


def test_two_concurrent_writers_one_wins(built: Path, tmp_path: Path) -> None:
    big = {**NEW, **{f"p/{i}.html": b"x" * 200 for i in range(400)}}
    lock = built.parent / ".folio-lock-_site"
    first = spawn(tmp_path, built, built.parent, big)
    try:
        deadline = time.monotonic() + 30
        while not (lock.exists() and lock.read_text().strip() == str(first.pid)):
            assert first.poll() is None and time.monotonic() < deadline, first.stderr
            time.sleep(0.001)
        os.kill(first.pid, signal.SIGSTOP)  # hold it there, lock taken
        second = spawn(tmp_path, built, built.parent, NEW)
        _, err = second.communicate(timeout=60)
        assert second.returncode == 1
        assert f"folio pid {first.pid} is building" in err and "Traceback" not in err
    finally:
        os.kill(first.pid, signal.SIGCONT)
    first.communicate(timeout=60)
    assert first.returncode == 0
    assert (built / "p/399.html").exists() and (built / "CNAME").exists()
    assert leftovers(built.parent) == []


def test_two_writers_started_together(built: Path, tmp_path: Path) -> None:
    big = {**NEW, **{f"p/{i}.html": b"y" * 100 for i in range(200)}}
    procs = [spawn(tmp_path, built, built.parent, big) for _ in range(2)]
    results = [(p.wait(timeout=60), p.stderr.read()) for p in procs]
    assert sum(code == 0 for code, _ in results) >= 1
    for code, err in results:
        assert code == 0 or (code == 1 and "is building" in err), err
    assert snapshot(built) == expected(big, built)
    assert leftovers(built.parent) == []


# --------------------------------------------------------------------------- SIGKILL at every step

def _fork_write(files: dict[str, bytes], out: Path, site: Path, fault: int) -> int:
    pid = os.fork()
    if pid == 0:  # child: write, killed by the hook after `fault` steps
        code = 3
        try:
            os.environ[write.FAULT_ENV] = str(fault)
            write_output(files, out, site)
            code = 0
        finally:
            os._exit(code)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])


@pytest.fixture
def fast_tmp(tmp_path: Path):
    """A tmpfs folder when there is one: the kill loop runs ~50 builds."""
    shm = Path("/dev/shm")
    if not (shm.is_dir() and os.access(shm, os.W_OK)):
        yield tmp_path
        return
    import tempfile

    path = Path(tempfile.mkdtemp(prefix="folio-test-", dir=shm))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_sigkill_after_every_write_leaves_old_or_new(fast_tmp: Path) -> None:
    site = fast_tmp / "site"
    site.mkdir()
    built = site / "_site"
    write_output(OLD, built, site)
    foreign = {k: FOREIGN[k] for k in ("CNAME", ".git/HEAD", "work/notes.txt")}
    put(built, foreign)
    os.symlink("work", built / "latest")
    pristine = fast_tmp / "pristine"
    shutil.copytree(built.parent, pristine, symlinks=True)
    old_golden = snapshot(built)
    new_golden = expected(NEW, built, foreign)
    kills = {"old": 0, "new": 0}
    for n in range(1, 500):
        shutil.rmtree(built.parent)
        shutil.copytree(pristine, built.parent, symlinks=True)
        code = _fork_write(NEW, built, built.parent, n)
        if code == 0:
            break
        assert code == -signal.SIGKILL
        state = snapshot(built)
        assert state in (old_golden, new_golden), f"mixed tree after write {n}"
        kills["old" if state == old_golden else "new"] += 1
        write_output(NEW, built, built.parent)  # the next build recovers
        assert snapshot(built) == new_golden, f"recovery after write {n}"
        assert leftovers(built.parent) == [], n
    else:
        pytest.fail("the write never finished")
    assert kills["old"] >= 10 and kills["new"] >= 10, kills


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_sigkill_with_the_two_rename_swap(fast_tmp: Path, monkeypatch) -> None:
    """Without renameat2/renamex_np there is one step with no output; the next build restores."""
    monkeypatch.setattr(write, "_exchange", lambda a, b: False)
    site = fast_tmp / "site"
    site.mkdir()
    out = site / "_site"
    old, new = {"index.html": b"1", "a/index.html": b"1"}, {"index.html": b"2", "b.html": b"2"}
    write_output(old, out, site)
    put(out, {"CNAME": b"ada.example"})
    pristine = fast_tmp / "pristine"
    shutil.copytree(site, pristine, symlinks=True)
    old_golden = snapshot(out)
    gaps = 0
    for n in range(1, 100):
        shutil.rmtree(site)
        shutil.copytree(pristine, site, symlinks=True)
        if _fork_write(new, out, site, n) == 0:
            break
        state = snapshot(out)
        if state == {"<missing>": True}:
            gaps += 1
        else:
            assert state == old_golden or state == {**expected_plain(new, out),
                                                    "CNAME": b"ada.example"}, n
        write_output(new, out, site)
        assert snapshot(out) == {**expected_plain(new, out), "CNAME": b"ada.example"}, n
        assert leftovers(site) == [], n
    else:
        pytest.fail("the write never finished")
    assert gaps == 1


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_sigkill_during_first_build_leaves_nothing_half_made(fast_tmp: Path) -> None:
    site = fast_tmp / "site"
    site.mkdir()
    out = site / "_site"
    for n in range(1, 100):
        code = _fork_write(OLD, out, site, n)
        if code == 0:
            break
        assert snapshot(out) in ({"<missing>": True}, expected_plain(OLD, out))
        write_output(OLD, out, site)
        assert snapshot(out) == expected_plain(OLD, out) and leftovers(site) == []
        shutil.rmtree(out)
    else:
        pytest.fail("the write never finished")


def expected_plain(files: dict[str, bytes], out: Path) -> dict[str, object]:
    snap: dict[str, object] = {**files, MANIFEST: write._manifest_bytes(out.name, files,
                                                                         sorted(files))}
    for rel in list(snap):
        for anc in outdir.ancestors(rel):
            snap[anc] = "dir"
    return dict(sorted(snap.items()))


def test_fault_hook_works_in_a_real_subprocess(built: Path, tmp_path: Path) -> None:
    old_golden = snapshot(built)
    proc = spawn(tmp_path, built, built.parent, NEW, FOLIO_FAULT_AFTER_WRITES="6")
    proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    assert snapshot(built) == old_golden
    assert any(n.startswith(".folio-tmp-") for n in leftovers(built.parent))
    again = spawn(tmp_path, built, built.parent, NEW)
    again.communicate(timeout=60)
    assert again.returncode == 0
    assert snapshot(built) == expected(NEW, built) and leftovers(built.parent) == []


@pytest.mark.parametrize("delay", [0.05, 0.15, 0.3])
def test_popen_killed_after_a_delay(built: Path, tmp_path: Path, delay: float) -> None:
    big = {**NEW, **{f"p/{i}.html": b"z" * 100 for i in range(300)}}
    old_golden, new_golden = snapshot(built), expected(big, built)
    proc = spawn(tmp_path, built, built.parent, big)
    time.sleep(delay)
    proc.kill()
    proc.communicate(timeout=60)
    assert snapshot(built) in (old_golden, new_golden)
    write_output(big, built, built.parent)
    assert snapshot(built) == new_golden and leftovers(built.parent) == []


def test_same_files_under_other_hash_seeds_and_time_zones(site: Path, tmp_path: Path) -> None:
    trees = []
    for i, (seed, tz) in enumerate([("1", "UTC"), ("4242", "Pacific/Kiritimati")]):
        out = tmp_path / f"o{i}" / "_site"
        proc = spawn(tmp_path, out, site, NEW, PYTHONHASHSEED=seed, TZ=tz, LC_ALL="C")
        proc.communicate(timeout=60)
        assert proc.returncode == 0
        trees.append(snapshot(out))
    assert trees[0] == trees[1]


# --------------------------------------------------------------------------- injected OS errors

def _fail_at(monkeypatch, name: str, err: int, n: int, only_tmp: bool = True) -> list[int]:
    """Make os.<name> raise OSError(err) on its n-th call (inside a folio temp tree)."""
    real = getattr(os, name)
    calls = [0]

    def fake(*args, **kwargs):
        path = " ".join(str(a) for a in args[:2])
        if not only_tmp or ".folio-tmp-" in path:
            calls[0] += 1
            if calls[0] == n:
                raise OSError(err, os.strerror(err), str(args[0]))
        return real(*args, **kwargs)

    monkeypatch.setattr(os, name, fake)
    return calls


@pytest.mark.parametrize("name, err, exchange", [
    ("open", errno.ENOSPC, True), ("mkdir", errno.EROFS, True), ("link", errno.EDQUOT, True),
    ("replace", errno.EXDEV, False), ("open", errno.EACCES, True), ("open", errno.ENOSPC, False),
])
def test_os_error_at_every_step_keeps_old_output(built: Path, monkeypatch, name: str, err: int,
                                                 exchange: bool) -> None:
    if not exchange:  # the two-rename swap of platforms without renameat2/renamex_np
        monkeypatch.setattr(write, "_exchange", lambda a, b: False)
    old_golden = snapshot(built)
    failures = 0
    for n in range(1, 60):
        with monkeypatch.context() as m:
            calls = _fail_at(m, name, err, n)
            try:
                write_output(NEW, built, built.parent)
            except FolioError as exc:
                failures += 1
                assert os.strerror(err).split()[0].lower() in exc.format().lower() or \
                    "read-only" in exc.format() or "another file system" in exc.format() or \
                    "quota" in exc.format() or "permission" in exc.format()
                assert "_site" in exc.diagnostic.path and ".folio-tmp" not in exc.diagnostic.path
                assert "previous output is unchanged" in exc.format()
                assert snapshot(built) == old_golden, n
                assert leftovers(built.parent) == [], n
            else:
                assert calls[0] < n  # fewer calls than n: the error was never raised
                break
    assert failures >= 1
    assert snapshot(built) == expected(NEW, built)


def test_exchange_failing_with_exdev_keeps_old_output(built: Path, monkeypatch) -> None:
    def fake(a, b):
        raise OSError(errno.EXDEV, "Invalid cross-device link", str(b))

    monkeypatch.setattr(write, "_exchange", fake)
    before = snapshot(built)
    with pytest.raises(FolioError, match="another file system"):
        write_output(NEW, built, built.parent)
    assert snapshot(built) == before and leftovers(built.parent) == []


def test_without_exchange_two_renames_still_work(built: Path, monkeypatch) -> None:
    monkeypatch.setattr(write, "_exchange", lambda a, b: False)
    write_output(NEW, built, built.parent)
    assert snapshot(built) == expected(NEW, built) and leftovers(built.parent) == []


def test_without_hard_links_copies_keep_mtime_and_foreign_files_move(built: Path,
                                                                      monkeypatch) -> None:
    def no_links(*args, **kwargs):
        raise OSError(errno.EPERM, "Operation not permitted", str(args[0]))

    monkeypatch.setattr(os, "link", no_links)
    os.utime(built / "work/b/index.html", (1_000_000, 1_000_000))
    write_output(NEW, built, built.parent)
    assert snapshot(built) == expected(NEW, built) and leftovers(built.parent) == []
    assert (built / "work/b/index.html").stat().st_mtime == 1_000_000


def test_first_build_rename_exdev_leaves_nothing(site: Path, monkeypatch) -> None:
    _fail_at(monkeypatch, "replace", errno.EXDEV, 1)
    with pytest.raises(FolioError, match="another file system"):
        write_output(OLD, site / "_site", site)
    assert not (site / "_site").exists() and leftovers(site) == []


def test_300_byte_output_folder_name(site: Path, tmp_path: Path) -> None:
    out = tmp_path / ("o" * 300)
    with pytest.raises(FolioError, match="too long") as info:
        write_output(OLD, out, site)
    assert "o" * 300 in info.value.format()
    assert leftovers(tmp_path) == []


# --------------------------------------------------------------------------- permissions

NOBODY = 65534


@pytest.fixture
def as_user(tmp_path: Path):
    """Run a scenario as an unprivileged user: root ignores file modes.

    Not root: run it here. Root with fork: run it in a child that drops to uid
    65534, inside a folder that user owns. Otherwise skip.
    """
    def run(scenario) -> None:
        if os.geteuid() != 0:
            base = tmp_path / "perm"
            base.mkdir()
            scenario(base)
            return
        if not hasattr(os, "fork"):
            pytest.skip("root without fork: file modes cannot be tested")
        import tempfile
        import traceback

        base = Path(tempfile.mkdtemp(prefix="folio-perm-"))
        os.chmod(base, 0o755)
        os.chown(base, NOBODY, NOBODY)
        read, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(read)
            code = 1
            try:
                os.setgroups([])
                os.setgid(NOBODY)
                os.setuid(NOBODY)
                scenario(base)
                code = 0
            except BaseException:  # noqa: BLE001 - the child reports everything to the parent
                os.write(write_end, traceback.format_exc().encode())
            finally:
                os._exit(code)
        os.close(write_end)
        with os.fdopen(read, "rb") as fh:
            report = fh.read().decode()
        status = os.waitpid(pid, 0)[1]
        shutil.rmtree(base, ignore_errors=True)
        assert os.waitstatus_to_exitcode(status) == 0, report

    return run


def _perm_world(base: Path) -> tuple[Path, Path]:
    site = base / "site"
    site.mkdir()
    out = site / "_site"
    write_output(OLD, out, site)
    put(out, FOREIGN)
    return site, out


def test_read_only_parent_is_an_error(as_user) -> None:
    def scenario(base: Path) -> None:
        site, out = _perm_world(base)
        before = snapshot(out)
        site.chmod(0o500)
        try:
            with pytest.raises(FolioError, match="permission denied"):
                write_output(NEW, out, site)
        finally:
            site.chmod(0o700)
        assert snapshot(out) == before and leftovers(site) == []

    as_user(scenario)


def test_read_only_output_folder_is_an_error(as_user) -> None:
    def scenario(base: Path) -> None:
        site, out = _perm_world(base)
        before = snapshot(out)
        out.chmod(0o500)
        with pytest.raises(FolioError, match="read-only"):
            write_output(NEW, out, site)
        out.chmod(0o755)
        assert snapshot(out) == before and leftovers(site) == []

    as_user(scenario)


def test_unreadable_folder_in_the_output_is_an_error(as_user) -> None:
    def scenario(base: Path) -> None:
        site, out = _perm_world(base)
        before = snapshot(out)
        (out / ".git/objects").chmod(0)
        with pytest.raises(FolioError, match=r"\.git/objects.*permission denied"):
            write_output(NEW, out, site)
        (out / ".git/objects").chmod(0o755)
        assert snapshot(out) == before and leftovers(site) == []

    as_user(scenario)


def test_unreadable_files_and_read_only_subfolders_are_handled(as_user) -> None:
    def scenario(base: Path) -> None:
        site, out = _perm_world(base)
        (out / "work/b/index.html").chmod(0)  # folio's, unchanged: rewritten
        (out / "CNAME").chmod(0)  # not folio's: kept as it is
        (out / "work/a").chmod(0o500)  # folio's folder, read-only: still replaced
        write_output(NEW, out, site)
        write_output(NEW, out, site)
        assert (out / "work/b/index.html").read_bytes() == NEW["work/b/index.html"]
        assert (out / "work/a/index.html").read_bytes() == NEW["work/a/index.html"]
        assert (out / "CNAME").stat().st_mode & 0o777 == 0
        assert leftovers(site) == []

    as_user(scenario)


def test_private_foreign_folder_keeps_its_mode(built: Path) -> None:
    (built / ".git").chmod(0o700)
    write_output(NEW, built, built.parent)
    assert (built / ".git").stat().st_mode & 0o777 == 0o700
