"""The only module that changes the output folder (SPEC §5, RELIABILITY 1-3, 38-45).

What may be the output is checked before any file-system write
(:func:`check_output_dir`, in :mod:`folio.outdir`, which says what is refused and
why); the pid lock and the emptying of leftover and finished-with trees are in
:mod:`folio.pidlock`. Both are imported from here, never the other way round.

Writing (:func:`write_output`) never changes the output folder in place. The new
tree is built in a sibling ``.folio-tmp-<pid>-<name>``: its ``.folio-manifest``
first, then every file (unchanged files are hard links to the old ones, so they
keep their mtime; a changed file the build spilled to disk, :mod:`folio.spill`,
is copied from there in the kernel), then hard links to every file folio did
not write (``.git``, ``CNAME``, anything), and the two folders are swapped with one atomic
``renameat2(RENAME_EXCHANGE)``. A kill at any step leaves the output equal to the
old tree or the new one. Deleting only ever removes files named in a manifest,
or the second name of a file that the live output still holds (same inode);
anything else is moved back or left in place. Leftover temp folders of dead
processes are reclaimed by the next write; a ``.folio-lock-<name>`` file made
with O_EXCL and holding the pid keeps two builds of one output apart.

When nothing changed, nothing is written: if the new manifest equals the old one
byte for byte, every file it lists is still a regular file holding those bytes
and (with ``clean=True``) no stray file waits to be removed, the write returns
after taking the lock, without a temp tree, link or swap. There is no in-place
path for small changes: a changed file and the manifest cannot be replaced in
one step, so a kill between the two would leave a tree that is neither the old
nor the new one; a small change still builds the hard-link tree.

Which files still hold their bytes is decided without reading them where that is
safe (:func:`folio.outdir.unchanged`). Every write ends by "sealing" the
manifest: its mtime and ctime are set to now, later than every change the write
made. A listed file whose size is right and whose mtime and ctime are both older
than the manifest's has not been written, replaced, renamed over or chmod'ed
since, so the manifest's digest says what it holds. Any write to a file moves
its ctime, which no one can set back, so an edit by hand is seen even when the
mtime is restored; the mtime check catches an edit followed by something that
renews the manifest's ctime too (``chmod -R``, ``cp -a`` of the folder). Every
other file (a newer or unsealed one, or the first build after an older folio)
is read back and compared, and if all matched the manifest is sealed again so
the next build trusts them. Not covered: edits made while a build is writing
(they can be sealed in), a manifest replaced by hand, and a clock set back.

Decisions where the spec is silent (more in :mod:`folio.outdir`):
- ``clean=True`` also accepts one that looks like a previous output (see
  :func:`check_output_dir`) and then treats its files as folio's, except
  top-level dot-entries and ``CNAME``, which are kept. With a manifest it
  removes unlisted files the same way.
- A file folio did not write that is byte-identical to a new one is adopted;
  a different one in the way is an error, never overwritten.
- Files are not fsync'ed: the guarantee covers a killed process, not power loss.
- The manifest's mtime is the time of the last write (or check after a read-back),
  not of its content: the seal moves it even when its bytes stay the same.
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import shutil
import signal
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .errors import BuildFailed, Diagnostic, FolioError
from .outdir import (
    CONTENT_DIRS,
    KEEP,
    MANIFEST,
    OldOutput,
    ancestors,
    check_contents,
    check_keys,
    check_output_dir,
    from_os_error,
    inspect_old,
    is_inside,
    resolve_target,
    same_file,
    shown_path,
    unchanged,
)
from .pidlock import PidLock, dispose_tree, reclaim_leftovers
from .spill import Output, Spilled, digest_of, output_tag, same_as_file

__all__ = [
    "CONTENT_DIRS", "KEEP", "MANIFEST", "WriteResult", "check_output_dir", "is_inside",
    "write_output",
]

FAULT_ENV = "FOLIO_FAULT_AFTER_WRITES"
_LINK_UNSUPPORTED = {errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP, errno.EOPNOTSUPP,
                     errno.EACCES}
_PROCESS_LOCK = threading.Lock()


@dataclass(frozen=True, slots=True)
class WriteResult:
    written: int
    unchanged: int
    removed: int
    warnings: tuple[str, ...] = field(default=())


# --------------------------------------------------------------------------- manifest

def _manifest_bytes(name: str, files: Mapping[str, Output], keys: list[str],
                    digests: Mapping[str, str] | None = None) -> bytes:
    if digests is None:
        digests = {k: digest_of(files[k]) for k in keys}
    body = {"folio": 1, "output": name, "files": {k: digests[k] for k in keys}}
    return (json.dumps(body, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode()


# --------------------------------------------------------------------------- file-system steps

class _Ops:
    """Every mutating step goes through here, so the fault hook can stop after any one."""

    def __init__(self) -> None:
        raw = os.environ.get(FAULT_ENV, "")
        self.fault_after = int(raw) if raw.isdigit() else None
        self.count = 0

    def _tick(self) -> None:
        self.count += 1
        if self.fault_after is not None and self.count >= self.fault_after:
            os.kill(os.getpid(), signal.SIGKILL)

    def write(self, path: str | Path, data: Output) -> None:
        """A new file holding `data`; a spilled one is copied from the spill in the kernel."""
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
        fd = os.open(path, flags, 0o666)
        try:
            if isinstance(data, Spilled):
                data.copy_to(fd)
            else:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
        finally:
            os.close(fd)
        self._tick()

    def mkdir(self, path: str | Path) -> None:
        os.mkdir(path)
        self._tick()

    def link(self, src: str | Path, dst: str | Path) -> None:
        os.link(src, dst, follow_symlinks=False)
        self._tick()

    def copy(self, src: str | Path, dst: str | Path) -> None:
        shutil.copy2(src, dst, follow_symlinks=False)
        self._tick()

    def move(self, src: str | Path, dst: str | Path) -> None:
        os.replace(src, dst)
        self._tick()

    def unlink(self, path: str | Path) -> None:
        os.unlink(path)
        self._tick()

    def rmdir(self, path: str | Path) -> None:
        os.rmdir(path)
        self._tick()

    def touch(self, path: Path) -> None:
        os.utime(path)
        self._tick()

    def exchange(self, a: Path, b: Path) -> bool:
        done = _exchange(a, b)
        if done:
            self._tick()
        return done


def _swap_function():
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except (OSError, TypeError):
        return None
    if hasattr(libc, "renameat2"):  # Linux: RENAME_EXCHANGE
        fn = libc.renameat2
        fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
        return lambda a, b: fn(-100, a, -100, b, 2)
    if hasattr(libc, "renamex_np"):  # macOS: RENAME_SWAP
        fn = libc.renamex_np
        fn.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_uint]
        return lambda a, b: fn(a, b, 2)
    return None


_SWAP = _swap_function()


def _exchange(a: Path, b: Path) -> bool:
    """Swap two directories in one step; False when the platform or file system cannot."""
    if _SWAP is None:
        return False
    if _SWAP(os.fsencode(a), os.fsencode(b)) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), os.fspath(b))


# --------------------------------------------------------------------------- write

def _plan_conflicts(keys: list[str], files: Mapping[str, Output], out: Path, old: OldOutput,
                    shown: str) -> set[str]:
    """Foreign files identical to a new file are adopted; any other overlap is an error."""
    foreign = set(old.foreign)
    foreign_dirs = {a for f in foreign for a in ancestors(f)}
    adopted: set[str] = set()
    problems = []
    for key in keys:
        if key in foreign and old.kinds[key] == "file" and same_as_file(out / key, files[key]):
            adopted.add(key)
        elif key in foreign or key in foreign_dirs or any(
                a in foreign and old.kinds[a] != "dir" for a in ancestors(key)):
            problems.append(Diagnostic(f"refusing to overwrite {out / key}: folio did not write "
                                       f"it", shown, hint="move it away, or put it in static/"))
    if problems:
        raise BuildFailed(problems)
    return adopted


def write_output(files: Mapping[str, Output], out_dir: str | os.PathLike,
                 site_dir: str | os.PathLike, *, clean: bool = False) -> WriteResult:
    """Replace the output folder's folio files with `files`, atomically and safely."""
    shown = shown_path(out_dir)
    keys = check_keys(files, shown)
    out = resolve_target(out_dir, site_dir)
    check_contents(out, shown, clean)
    ops = _Ops()
    parent, tag = out.parent, output_tag(out.name)
    with _PROCESS_LOCK:
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise from_os_error(exc, "creating") from None
        with PidLock(parent / f".folio-lock-{tag}", out, ops._tick):
            warnings = reclaim_leftovers(parent, out, tag, ops)
            check_contents(out, shown, clean)
            return _write_locked(files, keys, out, ops, shown, clean, warnings)


def _write_locked(files: Mapping[str, Output], keys: list[str], out: Path, ops: _Ops, shown: str,
                  clean: bool, warnings: list[str]) -> WriteResult:
    digests = {k: digest_of(files[k]) for k in keys}
    manifest = _manifest_bytes(out.name, files, keys, digests)
    try:
        old = inspect_old(out, clean)
        adopted = _plan_conflicts(keys, files, out, old, shown)
        same, read = unchanged(out, files, digests, old,
                               (k for k in keys if k in old.ours and old.kinds[k] == "file"))
    except OSError as exc:
        raise from_os_error(exc, "reading") from None
    if (old.manifest == manifest and old.kinds.get(MANIFEST) == "file"
            and len(same) == len(keys) and old.ours == set(keys)):
        if read:  # the files read back matched: let the next build trust them unread
            _seal(out / MANIFEST, ops)
        return WriteResult(0, len(keys), 0, tuple(warnings))
    old.foreign = [rel for rel in old.foreign if rel not in adopted]
    pid = os.getpid()
    tmp: Path | None = out.parent / f".folio-tmp-{pid}-{output_tag(out.name)}"
    if os.path.lexists(tmp):
        raise FolioError(f"{tmp} is left from an earlier build and could not be cleared", shown,
                         hint="remove it by hand; " + "; ".join(warnings))
    new_ours = set(keys) | {MANIFEST}
    try:
        _fill(tmp, files, keys, manifest, out, old, same | adopted, ops)
        if not out.exists():
            ops.move(tmp, out)
            tmp = None  # nothing old to clear away
        elif not ops.exchange(tmp, out):
            aside = out.parent / f".folio-old-{pid}-{output_tag(out.name)}"
            ops.move(out, aside)
            try:
                ops.move(tmp, out)
            except OSError:
                os.replace(aside, out)
                raise
            tmp = aside
    except OSError as exc:
        if tmp is not None and tmp.exists() and not same_file(tmp, out):
            warnings += dispose_tree(tmp, out, new_ours, ops)
        raise from_os_error(exc, "writing", (tmp, out)) from None
    if tmp is not None:  # it now holds the old tree
        warnings += dispose_tree(tmp, out, old.ours | {MANIFEST}, ops)
    _seal(out / MANIFEST, ops)
    kept = len(same | adopted)
    return WriteResult(len(keys) - kept, kept, len(old.ours - set(keys)), tuple(warnings))


def _seal(manifest: Path, ops: _Ops) -> None:
    """Give the manifest times later than every change made so far (see the docstring)."""
    done = time.time_ns()  # file times come from a clock never ahead of this one
    try:
        for _ in range(25):  # a coarse clock needs up to one tick (10 ms at HZ=100)
            ops.touch(manifest)
            st = os.stat(manifest)
            if min(st.st_mtime_ns, st.st_ctime_ns) > done:
                return
            time.sleep(0.001)
    except OSError:
        pass  # then the next build reads the files back instead


def _fill(tmp: Path, files: Mapping[str, Output], keys: list[str], manifest: bytes, out: Path,
          old: OldOutput, same: set[str], ops: _Ops) -> None:
    """Build the complete new tree in `tmp`: manifest first, then files, then foreign files."""
    ops.mkdir(tmp)
    t, o = os.fspath(tmp) + "/", os.fspath(out) + "/"
    made: set[str] = set()  # everything in tmp, to compare folder listings without reading them

    def parents(rel: str) -> None:
        for anc in ancestors(rel):
            if anc not in made:
                made.add(anc)
                ops.mkdir(t + anc)

    def keep(rel: str) -> None:
        try:
            ops.link(o + rel, t + rel)
        except OSError as exc:
            if exc.errno not in _LINK_UNSUPPORTED:
                raise
            ops.copy(o + rel, t + rel)

    if old.kinds.get(MANIFEST) == "file" and old.manifest == manifest:
        keep(MANIFEST)
    else:
        ops.write(t + MANIFEST, manifest)
    made.add(MANIFEST)
    for key in keys:
        parents(key)
        if key in same:
            keep(key)
        else:
            ops.write(t + key, files[key])
        made.add(key)
    for rel in old.foreign:
        parents(rel)
        if rel in made:
            continue
        made.add(rel)
        if old.kinds[rel] == "dir":
            ops.mkdir(t + rel)
            continue
        try:
            ops.link(o + rel, t + rel)
        except OSError as exc:
            if exc.errno not in _LINK_UNSUPPORTED:
                raise
            ops.move(o + rel, t + rel)  # the reclaim moves it back after a crash
    _keep_folder_stats(t, o, old, made)
    try:
        shutil.copymode(out, tmp)
    except OSError:
        pass


def _keep_folder_stats(t: str, o: str, old: OldOutput, made: set[str]) -> None:
    """Folders keep their mode; one that lists the same names as before keeps its mtime."""
    def listings(rels) -> dict[str, set[str]]:
        found: dict[str, set[str]] = {}
        for rel in rels:
            parent, _, name = rel.rpartition("/")
            found.setdefault(parent, set()).add(name)
        return found

    before, after = listings(old.kinds), listings(made)
    for rel in sorted((r for r, k in old.kinds.items() if k == "dir" and r in made),
                      reverse=True):
        try:
            st = os.stat(o + rel)
            os.chmod(t + rel, st.st_mode & 0o7777)
            if before.get(rel, set()) == after.get(rel, set()):
                os.utime(t + rel, ns=(st.st_atime_ns, st.st_mtime_ns))
        except OSError:
            pass
