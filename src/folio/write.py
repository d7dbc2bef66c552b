"""The only module that changes the output folder (SPEC §5, RELIABILITY 1-3, 38-45).

What may be the output is checked before any file-system write
(:func:`check_output_dir`, in :mod:`folio.outdir`, which says what is refused and
why); the pid lock and the emptying of leftover and finished-with trees are in
:mod:`folio.pidlock`. Both are imported from here, never the other way round.

Writing (:func:`write_output`) never changes the output folder in place. The new
tree is built in a sibling ``.folio-tmp-<pid>-<name>``: its ``.folio-manifest``
first, then every file (unchanged files are hard links to the old ones, so they
keep their mtime), then hard links to every file folio did not write (``.git``,
``CNAME``, anything), and the two folders are swapped with one atomic
``renameat2(RENAME_EXCHANGE)``. A kill at any step leaves the output equal to the
old tree or the new one. Deleting only ever removes files named in a manifest,
or the second name of a file that the live output still holds (same inode);
anything else is moved back or left in place. Leftover temp folders of dead
processes are reclaimed by the next write; a ``.folio-lock-<name>`` file made
with O_EXCL and holding the pid keeps two builds of one output apart.

Decisions where the spec is silent (more in :mod:`folio.outdir`):
- ``clean=True`` also accepts one that looks like a previous output (see
  :func:`check_output_dir`) and then treats its files as folio's, except
  top-level dot-entries and ``CNAME``, which are kept. With a manifest it
  removes unlisted files the same way.
- A file folio did not write that is byte-identical to a new one is adopted;
  a different one in the way is an error, never overwritten.
- Files are not fsync'ed: the guarantee covers a killed process, not power loss.
"""

from __future__ import annotations

import ctypes
import errno
import hashlib
import json
import os
import shutil
import signal
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .errors import BuildFailed, Diagnostic, FolioError
from .outdir import (
    CONTENT_DIRS,
    KEEP,
    MANIFEST,
    ancestors,
    check_contents,
    check_keys,
    check_output_dir,
    from_os_error,
    is_inside,
    read_manifest,
    resolve_target,
    same_file,
    scan_tree,
    shown_path,
)
from .pidlock import PidLock, dispose_tree, reclaim_leftovers

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

def _manifest_bytes(name: str, files: Mapping[str, bytes], keys: list[str]) -> bytes:
    body = {"folio": 1, "output": name,
            "files": {k: hashlib.sha256(files[k]).hexdigest() for k in keys}}
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

    def write(self, path: Path, data: bytes) -> None:
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
        fd = os.open(path, flags, 0o666)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
        finally:
            os.close(fd)
        self._tick()

    def mkdir(self, path: Path) -> None:
        os.mkdir(path)
        self._tick()

    def link(self, src: Path, dst: Path) -> None:
        os.link(src, dst, follow_symlinks=False)
        self._tick()

    def copy(self, src: Path, dst: Path) -> None:
        shutil.copy2(src, dst, follow_symlinks=False)
        self._tick()

    def move(self, src: Path, dst: Path) -> None:
        os.replace(src, dst)
        self._tick()

    def unlink(self, path: Path) -> None:
        os.unlink(path)
        self._tick()

    def rmdir(self, path: Path) -> None:
        os.rmdir(path)
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

def _tag(name: str) -> str:
    return name if len(name.encode()) <= 100 else hashlib.sha256(name.encode()).hexdigest()[:16]


@dataclass(slots=True)
class _Old:
    """What the current output holds: folio's files (to replace) and everyone else's."""

    kinds: dict[str, str]
    ours: set[str]
    foreign: list[str]


def _inspect_old(out: Path, clean: bool) -> _Old:
    if not out.is_dir():
        return _Old({}, set(), [])
    kinds = dict(scan_tree(out))
    listed = read_manifest(out) or {}
    ours = {k for k in listed if kinds.get(k) in ("file", "link")}
    if clean:
        ours |= {rel for rel, kind in kinds.items() if kind != "dir" and rel != MANIFEST
                 and not rel.split("/")[0].startswith(".") and rel.split("/")[0] not in KEEP}
    our_dirs = {a for k in ours for a in ancestors(k)}
    filled = {a for rel, kind in kinds.items() if kind != "dir" for a in ancestors(rel)}
    foreign = [rel for rel, kind in kinds.items()
               if rel != MANIFEST and rel not in ours and rel not in our_dirs
               and not (kind == "dir" and rel in filled)]  # folders come with their files
    return _Old(kinds, ours, foreign)


def _plan_conflicts(keys: list[str], files: Mapping[str, bytes], out: Path, old: _Old,
                    shown: str) -> set[str]:
    """Foreign files identical to a new file are adopted; any other overlap is an error."""
    foreign = set(old.foreign)
    foreign_dirs = {a for f in foreign for a in ancestors(f)}
    adopted: set[str] = set()
    problems = []
    for key in keys:
        if key in foreign and old.kinds[key] == "file" and _same_bytes(out / key, files[key]):
            adopted.add(key)
        elif key in foreign or key in foreign_dirs or any(
                a in foreign and old.kinds[a] != "dir" for a in ancestors(key)):
            problems.append(Diagnostic(f"refusing to overwrite {out / key}: folio did not write "
                                       f"it", shown, hint="move it away, or put it in static/"))
    if problems:
        raise BuildFailed(problems)
    return adopted


def _same_bytes(path: Path, data: bytes) -> bool:
    try:
        if path.stat().st_size != len(data):
            return False
        with open(path, "rb") as fh:
            return fh.read(len(data) + 1) == data
    except OSError:
        return False


def write_output(files: Mapping[str, bytes], out_dir: str | os.PathLike,
                 site_dir: str | os.PathLike, *, clean: bool = False) -> WriteResult:
    """Replace the output folder's folio files with `files`, atomically and safely."""
    shown = shown_path(out_dir)
    keys = check_keys(files, shown)
    out = resolve_target(out_dir, site_dir)
    check_contents(out, shown, clean)
    ops = _Ops()
    parent, tag = out.parent, _tag(out.name)
    with _PROCESS_LOCK:
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise from_os_error(exc, "creating") from None
        with PidLock(parent / f".folio-lock-{tag}", out, ops._tick):
            warnings = reclaim_leftovers(parent, out, tag, ops)
            check_contents(out, shown, clean)
            return _write_locked(files, keys, out, ops, shown, clean, warnings)


def _write_locked(files: Mapping[str, bytes], keys: list[str], out: Path, ops: _Ops, shown: str,
                  clean: bool, warnings: list[str]) -> WriteResult:
    try:
        old = _inspect_old(out, clean)
        adopted = _plan_conflicts(keys, files, out, old, shown)
    except OSError as exc:
        raise from_os_error(exc, "reading") from None
    old.foreign = [rel for rel in old.foreign if rel not in adopted]
    pid = os.getpid()
    tmp: Path | None = out.parent / f".folio-tmp-{pid}-{_tag(out.name)}"
    if os.path.lexists(tmp):
        raise FolioError(f"{tmp} is left from an earlier build and could not be cleared", shown,
                         hint="remove it by hand; " + "; ".join(warnings))
    new_ours = set(keys) | {MANIFEST}
    counts = [0, 0]  # written, unchanged
    try:
        _fill(tmp, files, keys, out, old, adopted, ops, counts)
        if not out.exists():
            ops.move(tmp, out)
            tmp = None  # nothing old to clear away
        elif not ops.exchange(tmp, out):
            aside = out.parent / f".folio-old-{pid}-{_tag(out.name)}"
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
    removed = len(old.ours - set(keys))
    return WriteResult(counts[0], counts[1], removed, tuple(warnings))


def _fill(tmp: Path, files: Mapping[str, bytes], keys: list[str], out: Path, old: _Old,
          adopted: set[str], ops: _Ops, counts: list[int]) -> None:
    """Build the complete new tree in `tmp`: manifest first, then files, then foreign files."""
    ops.mkdir(tmp)
    manifest = _manifest_bytes(out.name, files, keys)
    made: set[str] = set()

    def parents(rel: str) -> None:
        for anc in ancestors(rel):
            if anc not in made:
                made.add(anc)
                if not (tmp / anc).is_dir():
                    ops.mkdir(tmp / anc)

    def keep(rel: str) -> None:
        try:
            ops.link(out / rel, tmp / rel)
        except OSError as exc:
            if exc.errno not in _LINK_UNSUPPORTED:
                raise
            ops.copy(out / rel, tmp / rel)

    if old.kinds.get(MANIFEST) == "file" and _same_bytes(out / MANIFEST, manifest):
        keep(MANIFEST)
    else:
        ops.write(tmp / MANIFEST, manifest)
    for key in keys:
        parents(key)
        reusable = key in adopted or (key in old.ours and old.kinds.get(key) == "file")
        if reusable and _same_bytes(out / key, files[key]):
            keep(key)
            counts[1] += 1
        else:
            ops.write(tmp / key, bytes(files[key]))
            counts[0] += 1
    for rel in old.foreign:
        parents(rel)
        if old.kinds[rel] == "dir":
            if not (tmp / rel).is_dir():
                ops.mkdir(tmp / rel)
            continue
        try:
            ops.link(out / rel, tmp / rel)
        except OSError as exc:
            if exc.errno not in _LINK_UNSUPPORTED:
                raise
            ops.move(out / rel, tmp / rel)  # the reclaim moves it back after a crash
    _keep_folder_stats(tmp, out, old)
    try:
        shutil.copymode(out, tmp)
    except OSError:
        pass


def _keep_folder_stats(tmp: Path, out: Path, old: _Old) -> None:
    """Folders keep their mode; one that lists the same names as before keeps its mtime."""
    for rel in sorted((r for r, k in old.kinds.items() if k == "dir"), reverse=True):
        try:
            if not (tmp / rel).is_dir():
                continue
            st = os.stat(out / rel)
            same = sorted(os.listdir(tmp / rel)) == sorted(os.listdir(out / rel))
            os.chmod(tmp / rel, st.st_mode & 0o7777)
            if same:
                os.utime(tmp / rel, ns=(st.st_atime_ns, st.st_mtime_ns))
        except OSError:
            pass
