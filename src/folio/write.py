"""The only module that touches the output folder (SPEC §5, RELIABILITY 1-3, 38-45).

Safety rules, checked before any file-system write (:func:`check_output_dir`):
the output may not be the site folder, contain it, overlap a content folder
(also through a symlink or a case variant), sit deeper than one level inside the
site, be a file or a dangling symlink, or be a folder holding files folio did
not write. Paths are compared after ``realpath`` + ``normcase`` with
``commonpath`` (and by inode, for case-insensitive file systems), never with
``startswith``.

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

Decisions where the spec is silent:
- Inside the site only a top-level folder (``_site``) may be the output.
- A folder without a manifest is accepted when it holds nothing, or only
  ``.git``, ``CNAME``, ``.nojekyll``, ``.gitignore`` (a gh-pages checkout).
- ``clean=True`` also accepts one that looks like a previous output (see
  :func:`check_output_dir`) and then treats its files as folio's, except
  top-level dot-entries and ``CNAME``, which are kept. With a manifest it
  removes unlisted files the same way.
- A file folio did not write that is byte-identical to a new one is adopted;
  a different one in the way is an error, never overwritten.
- An output path that is a symlink to a folder is followed; the link stays.
- Files are not fsync'ed: the guarantee covers a killed process, not power loss.
"""

from __future__ import annotations

import ctypes
import errno
import hashlib
import json
import os
import re
import shutil
import signal
import threading
import time
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self

from .errors import BuildFailed, Diagnostic, FolioError, printable

__all__ = [
    "CONTENT_DIRS", "KEEP", "MANIFEST", "WriteResult", "check_output_dir", "is_inside",
    "write_output",
]

MANIFEST = ".folio-manifest"
# Site folders that hold sources; the output may be neither one of them nor inside one.
CONTENT_DIRS = frozenset({"case-studies", "assets", "static", "modules", "posts", "pages",
                          "services", "skills", "templates", "themes"})
# Entries that alone do not make a folder "someone else's" (a gh-pages checkout).
KEEP = frozenset({".git", "CNAME", ".nojekyll", ".gitignore"})
SOURCE_SUFFIXES = (".md", ".markdown", ".yaml", ".yml", ".py")
NAME_MAX = 255
FAULT_ENV = "FOLIO_FAULT_AFTER_WRITES"
_LEFTOVER = re.compile(r"^\.folio-(tmp|old)-(\d+)-(.+)$")
_LINK_UNSUPPORTED = {errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP, errno.EOPNOTSUPP,
                     errno.EACCES}
_PROCESS_LOCK = threading.Lock()


@dataclass(frozen=True, slots=True)
class WriteResult:
    written: int
    unchanged: int
    removed: int
    warnings: tuple[str, ...] = field(default=())


# --------------------------------------------------------------------------- checks

def is_inside(root: str | os.PathLike, path: str | os.PathLike) -> bool:
    """True when `path` is `root` or below it, after resolving symlinks and case."""
    r = os.path.normcase(os.path.realpath(root))
    p = os.path.normcase(os.path.realpath(path))
    try:
        return os.path.commonpath([r, p]) == r
    except ValueError:  # different drives
        return False


def _same(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _shown(path: str | os.PathLike) -> str:
    return printable(os.fspath(path)) or "''"


def check_output_dir(out_dir: str | os.PathLike, site_dir: str | os.PathLike, *,
                     clean: bool = False) -> None:
    """Raise FolioError if writing the site to `out_dir` could harm anything.

    Reads only. `clean=True` accepts a folder without a manifest when it looks
    like a previous output: it has a top-level ``index.html`` and no source
    files (``*.md``, ``*.yaml``, ``*.yml``, ``*.py``) outside dot-folders.
    """
    out = _resolve_target(out_dir, site_dir)
    _check_contents(out, _shown(out_dir), clean)


def _resolve_target(out_dir: str | os.PathLike, site_dir: str | os.PathLike) -> Path:
    raw = os.fspath(out_dir)
    shown = _shown(out_dir)
    if not raw.strip():
        raise FolioError("the output folder is an empty path", shown,
                         hint="give a folder such as _site")
    given = os.path.abspath(os.path.expanduser(raw))
    too_long = [p for p in Path(given).parts if len(os.fsencode(p)) > NAME_MAX]
    if too_long:
        raise FolioError(f"the output path has a {len(os.fsencode(too_long[0]))}-byte name "
                         f"{printable(too_long[0])!r}: a file name is too long "
                         f"(file systems allow {NAME_MAX} bytes)", shown)
    site = Path(os.path.realpath(site_dir))
    out = Path(os.path.realpath(given))
    pair = f"(output {out}, site {site})"
    probe = Path(given)
    for part in (probe, *probe.parents):
        if os.path.lexists(part) and not os.path.exists(part):
            raise FolioError(f"{part} is a dangling symbolic link or a link loop {pair}", shown,
                             hint="point the link at a real folder, or choose another --output")
    if out.exists() and not out.is_dir():
        raise FolioError(f"the output {out} is a file, not a folder", shown,
                         hint="choose a folder for --output")
    if out == Path(out.anchor):
        raise FolioError(f"refusing to use the file-system root as the output {pair}", shown)
    if is_inside(out, site) or any(_same(p, out) for p in (site, *site.parents)):
        what = "is the site folder" if _same(out, site) or out == site else "contains the site folder"
        raise FolioError(f"the output folder {what} {pair}", shown,
                         hint="use a folder such as _site inside the site, or one outside it")
    if out == Path(os.path.realpath(os.path.expanduser("~"))):
        raise FolioError(f"refusing to use your home folder as the output {pair}", shown)
    for name in sorted(CONTENT_DIRS):
        content = site / name
        if os.path.lexists(content):
            real = Path(os.path.realpath(content))
            if is_inside(real, out) or is_inside(out, real):
                raise FolioError(f"the output overlaps the content folder {name}/ "
                                 f"(output {out}, {name}/ is {real})", shown,
                                 hint="use a folder such as _site")
    if is_inside(site, out):
        parts = Path(os.path.relpath(out, site)).parts
        if len(parts) != 1:
            raise FolioError(f"the output is nested inside the site folder {pair}", shown,
                             hint="inside the site, only a top-level folder such as _site")
        if parts[0].casefold() in CONTENT_DIRS or parts[0].startswith(".folio-"):
            raise FolioError(f"the output is the site's folder {parts[0]}/ {pair}", shown,
                             hint="use a folder such as _site")
    return out


def _check_contents(out: Path, shown: str, clean: bool) -> None:
    _check_parent_writable(out, shown)
    try:
        entries = sorted(os.listdir(out))
    except FileNotFoundError:
        return
    except OSError as exc:
        raise _os_error(exc, "reading") from None
    if not os.access(out, os.W_OK | os.X_OK):
        raise FolioError(f"permission denied: the output {out} is read-only", shown,
                         hint="make it writable (chmod u+w) or choose another --output")
    if not entries or set(entries) <= KEEP or _read_manifest(out) is not None:
        return
    if clean:
        reason = _not_an_output_because(out)
        if reason is None:
            return
        raise FolioError(f"refusing to clean {out}: it does not look like a previous output "
                         f"({reason})", shown, hint="empty it by hand or choose another --output")
    sample = ", ".join(printable(e) for e in entries[:3]) + (", ..." if len(entries) > 3 else "")
    raise FolioError(f"refusing to write into {out}: it holds files folio did not write "
                     f"({sample})", shown,
                     hint="choose an empty or new folder, or pass --clean if it is an older "
                          "build of this site")


def _check_parent_writable(out: Path, shown: str) -> None:
    """folio creates the output next to where it will live, so that folder must be writable."""
    parent = out.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if parent.is_dir() and not os.access(parent, os.W_OK | os.X_OK):
        raise FolioError(f"permission denied: cannot create {out} in {parent}", shown,
                         hint="choose an output folder you can write to")


def _not_an_output_because(out: Path) -> str | None:
    if not (out / "index.html").is_file():
        return "it has no index.html"
    seen = 0
    for rel, kind in _scan(out):
        seen += 1
        if seen > 50_000:
            return "it holds more than 50 000 files"
        if rel.split("/")[0].startswith("."):
            continue
        if kind != "dir" and rel.lower().endswith(SOURCE_SUFFIXES):
            return f"it holds source files such as {printable(rel)}"
    return None


def _check_keys(files: Mapping[str, bytes], shown: str) -> list[str]:
    """Every output path must be a clean relative POSIX path; report all bad ones."""
    problems: list[Diagnostic] = []
    keys = sorted(files)
    seen: dict[str, str] = {}
    for key in keys:
        problem = _key_problem(key, files[key])
        if problem is None:
            fold = unicodedata.normalize("NFC", key).casefold()
            if fold in seen:
                problem = f"collides with {seen[fold]!r} on case-insensitive file systems"
            seen[fold] = key
        if problem:
            problems.append(Diagnostic(f"output path {printable(key)!r} {problem}", shown))
    dirs = {"/".join(k.split("/")[:i]) for k in keys for i in range(1, k.count("/") + 1)}
    for key in sorted(dirs.intersection(keys)):
        problems.append(Diagnostic(f"output path {printable(key)!r} is both a file and a folder",
                                   shown))
    if problems:
        raise BuildFailed(problems)
    return keys


def _key_problem(key: object, data: object) -> str | None:
    if not isinstance(key, str) or not isinstance(data, (bytes, bytearray, memoryview)):
        return "is not a str -> bytes entry"
    if not key or key.startswith("/") or "\\" in key or any(ord(c) < 32 or c == "\x7f" for c in key):
        return "is not a clean relative path"
    parts = key.split("/")
    if any(p in ("", ".", "..") for p in parts):
        return "is not a clean relative path"
    if parts[0] == MANIFEST or parts[0].startswith(".folio-"):
        return "uses a name folio reserves"
    longest = max(len(p.encode("utf-8", "surrogateescape")) for p in parts)
    if longest > NAME_MAX:
        return f"has a {longest}-byte name; file systems allow {NAME_MAX}"
    if os.path.normpath(key).replace(os.sep, "/") != key:
        return "is not a clean relative path"
    return None


# --------------------------------------------------------------------------- manifest

def _read_manifest(folder: Path) -> dict[str, str] | None:
    """{path: sha256} from a folder's manifest; None if missing or not folio's."""
    try:
        with open(folder / MANIFEST, "rb") as fh:
            data = json.loads(fh.read(64 * 1024 * 1024))
        files = data["files"]
        if data.get("folio") != 1 or not isinstance(files, dict):
            return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    return {k: v for k, v in files.items()
            if isinstance(v, str) and _key_problem(k, b"") is None}


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


def _scan(root: Path, rel: str = "") -> Iterator[tuple[str, str]]:
    """(relative path, kind) of everything below root, sorted, never following symlinks."""
    with os.scandir(root / rel if rel else root) as it:
        entries = sorted(it, key=lambda e: e.name)
    for entry in entries:
        sub = f"{rel}/{entry.name}" if rel else entry.name
        if entry.is_symlink():
            yield sub, "link"
        elif entry.is_dir(follow_symlinks=False):
            yield sub, "dir"
            yield from _scan(root, sub)
        else:
            yield sub, "file" if entry.is_file(follow_symlinks=False) else "other"


def _ancestors(rel: str) -> Iterator[str]:
    parts = rel.split("/")
    for i in range(1, len(parts)):
        yield "/".join(parts[:i])


def _dirs_to(root: Path, rel: str, ops: _Ops) -> bool:
    """Make the folders from root down to rel's parent; False if a symlink or file is in the way."""
    if not root.is_dir():
        return False
    for anc in _ancestors(rel):
        path = root / anc
        if os.path.islink(path):
            return False
        if not os.path.lexists(path):
            ops.mkdir(path)
        elif not path.is_dir():
            return False
    return True


def _os_error(exc: OSError, doing: str, tmp_out: tuple[Path | None, Path] | None = None
              ) -> FolioError:
    """An OSError as one line naming the path; a temp path is named by its final place."""
    where = os.fspath(exc.filename or exc.filename2 or "the output folder")
    if tmp_out and tmp_out[0] is not None:
        tmp, out = os.fspath(tmp_out[0]), os.fspath(tmp_out[1])
        if where == tmp or where.startswith(tmp + os.sep):
            where = out + where[len(tmp):]
    reasons = {
        errno.ENOSPC: "no space left on the device",
        errno.EDQUOT: "disk quota exceeded",
        errno.EROFS: "the file system is read-only",
        errno.EACCES: "permission denied",
        errno.EPERM: "operation not permitted",
        errno.EXDEV: "it is on another file system (folio builds next to the output folder "
                     "and renames it into place)",
        errno.ENAMETOOLONG: "a file name is too long",
        errno.EBUSY: "it is busy or a mount point",
    }
    reason = reasons.get(exc.errno or 0, exc.strerror or str(exc))
    return FolioError(f"{doing} {printable(where)} failed: {reason}", printable(where),
                      hint="the previous output is unchanged")


# --------------------------------------------------------------------------- lock

def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    try:  # a zombie has exited; only its parent has not collected it yet
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except (OSError, IndexError):
        return True


def _read_pid(path: Path) -> int | None:
    try:
        text = path.read_bytes().strip()
    except FileNotFoundError:
        return -1
    except OSError:
        return None
    return int(text) if text.isdigit() else None


class _Lock:
    """An O_EXCL file with the builder's pid next to the output folder."""

    def __init__(self, path: Path, out: Path, ops: _Ops) -> None:
        self.path, self.out, self.ops = path, out, ops

    def __enter__(self) -> Self:
        for _ in range(500):
            if self._try_create():
                self.ops._tick()
                return self
            pid = _read_pid(self.path)
            if pid == -1:  # released just now
                continue
            if pid is None and time.time() - _mtime(self.path) < 10:
                time.sleep(0.01)  # being written this instant
                continue
            if pid is not None and pid != os.getpid() and _pid_alive(pid):
                raise FolioError(f"folio pid {pid} is building {self.out}",
                                 printable(os.fspath(self.out)),
                                 hint=f"wait for it, or remove {self.path} if that process "
                                      "is not folio")
            self._reclaim_stale(pid)
        raise FolioError(f"could not take the lock {self.path}", printable(os.fspath(self.out)))

    def _try_create(self) -> bool:
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            return False
        except OSError as exc:
            raise _os_error(exc, "creating the lock") from None
        try:
            os.write(fd, f"{os.getpid()}\n".encode())
        finally:
            os.close(fd)
        return True

    def _reclaim_stale(self, pid: int | None) -> None:
        """Move the stale lock aside, then make sure it was still the stale one."""
        aside = self.path.with_name(f"{self.path.name}.stale-{os.getpid()}")
        try:
            os.replace(self.path, aside)
        except FileNotFoundError:
            return
        if _read_pid(aside) == pid:
            aside.unlink(missing_ok=True)
            return
        try:  # someone took the lock in between: give it back
            os.link(aside, self.path)
        except OSError:
            pass
        aside.unlink(missing_ok=True)

    def __exit__(self, *exc: object) -> None:
        if _read_pid(self.path) == os.getpid():
            self.path.unlink(missing_ok=True)
            self.ops._tick()


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


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
    kinds = dict(_scan(out))
    listed = _read_manifest(out) or {}
    ours = {k for k in listed if kinds.get(k) in ("file", "link")}
    if clean:
        ours |= {rel for rel, kind in kinds.items() if kind != "dir" and rel != MANIFEST
                 and not rel.split("/")[0].startswith(".") and rel.split("/")[0] not in KEEP}
    our_dirs = {a for k in ours for a in _ancestors(k)}
    filled = {a for rel, kind in kinds.items() if kind != "dir" for a in _ancestors(rel)}
    foreign = [rel for rel, kind in kinds.items()
               if rel != MANIFEST and rel not in ours and rel not in our_dirs
               and not (kind == "dir" and rel in filled)]  # folders come with their files
    return _Old(kinds, ours, foreign)


def _plan_conflicts(keys: list[str], files: Mapping[str, bytes], out: Path, old: _Old,
                    shown: str) -> set[str]:
    """Foreign files identical to a new file are adopted; any other overlap is an error."""
    foreign = set(old.foreign)
    foreign_dirs = {a for f in foreign for a in _ancestors(f)}
    adopted: set[str] = set()
    problems = []
    for key in keys:
        if key in foreign and old.kinds[key] == "file" and _same_bytes(out / key, files[key]):
            adopted.add(key)
        elif key in foreign or key in foreign_dirs or any(
                a in foreign and old.kinds[a] != "dir" for a in _ancestors(key)):
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
    shown = _shown(out_dir)
    keys = _check_keys(files, shown)
    out = _resolve_target(out_dir, site_dir)
    _check_contents(out, shown, clean)
    ops = _Ops()
    parent, tag = out.parent, _tag(out.name)
    with _PROCESS_LOCK:
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _os_error(exc, "creating") from None
        with _Lock(parent / f".folio-lock-{tag}", out, ops):
            warnings = _reclaim(parent, out, tag, ops)
            _check_contents(out, shown, clean)
            return _write_locked(files, keys, out, ops, shown, clean, warnings)


def _write_locked(files: Mapping[str, bytes], keys: list[str], out: Path, ops: _Ops, shown: str,
                  clean: bool, warnings: list[str]) -> WriteResult:
    try:
        old = _inspect_old(out, clean)
        adopted = _plan_conflicts(keys, files, out, old, shown)
    except OSError as exc:
        raise _os_error(exc, "reading") from None
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
        if tmp is not None and tmp.exists() and not _same(tmp, out):
            warnings += _dispose(tmp, out, new_ours, ops)
        raise _os_error(exc, "writing", (tmp, out)) from None
    if tmp is not None:  # it now holds the old tree
        warnings += _dispose(tmp, out, old.ours | {MANIFEST}, ops)
    removed = len(old.ours - set(keys))
    return WriteResult(counts[0], counts[1], removed, tuple(warnings))


def _fill(tmp: Path, files: Mapping[str, bytes], keys: list[str], out: Path, old: _Old,
          adopted: set[str], ops: _Ops, counts: list[int]) -> None:
    """Build the complete new tree in `tmp`: manifest first, then files, then foreign files."""
    ops.mkdir(tmp)
    manifest = _manifest_bytes(out.name, files, keys)
    made: set[str] = set()

    def parents(rel: str) -> None:
        for anc in _ancestors(rel):
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


def _open_up(folder: Path) -> None:
    """Give ourselves rwx on every folder of a tree we are about to empty."""
    def fix(path: str) -> None:
        if not os.path.islink(path) and not os.access(path, os.R_OK | os.W_OK | os.X_OK):
            try:
                os.chmod(path, os.stat(path).st_mode | 0o700)
            except OSError:
                pass

    fix(os.fspath(folder))
    for dirpath, dirnames, _ in os.walk(folder):
        for name in dirnames:
            fix(os.path.join(dirpath, name))


def _dispose(folder: Path, out: Path, ours: set[str] | None, ops: _Ops) -> list[str]:
    """Empty a finished-with tree without losing anything folio did not write.

    Files in `ours` (default: the folder's own manifest) are deleted; a file the
    output also holds under the same name and inode is a second name and goes;
    a file the output lacks is moved back into it; anything else stays, with a
    warning.
    """
    if ours is None:
        ours = set(_read_manifest(folder) or ()) | {MANIFEST}
    kept: list[str] = []
    _open_up(folder)
    try:
        entries = list(_scan(folder))
    except OSError as exc:
        return [f"could not read {folder}: {exc.strerror}"]
    our_dirs = {a for k in ours for a in _ancestors(k)}
    moved: set[str] = set()
    for rel, kind in entries:
        if any(a in moved for a in _ancestors(rel)):
            continue
        here, there = folder / rel, out / rel
        if rel == MANIFEST:
            continue  # goes last: it says which of the other files are folio's
        try:
            if kind == "dir":
                if rel not in our_dirs and not os.path.lexists(there) and _dirs_to(out, rel, ops):
                    ops.move(here, there)
                    moved.add(rel)
                continue
            if rel in ours or _same_inode(here, there):
                ops.unlink(here)
            elif not os.path.lexists(there) and _dirs_to(out, rel, ops):
                ops.move(here, there)
            else:
                kept.append(rel)
        except OSError as exc:
            kept.append(f"{rel} ({exc.strerror})")
    for rel, kind in reversed(entries):
        if kind == "dir" and rel not in moved and not any(a in moved for a in _ancestors(rel)):
            try:
                ops.rmdir(folder / rel)
            except OSError:
                pass
    if MANIFEST in ours and os.path.lexists(folder / MANIFEST):
        try:
            ops.unlink(folder / MANIFEST)
        except OSError as exc:
            kept.append(f"{MANIFEST} ({exc.strerror})")
    try:
        ops.rmdir(folder)
    except OSError:
        pass
    if kept:
        return [f"left {folder}: it holds files folio did not write ({', '.join(kept[:3])})"]
    return []


def _same_inode(a: Path, b: Path) -> bool:
    try:
        sa, sb = os.lstat(a), os.lstat(b)
    except OSError:
        return False
    return (sa.st_ino, sa.st_dev) == (sb.st_ino, sb.st_dev)


def _reclaim(parent: Path, out: Path, tag: str, ops: _Ops) -> list[str]:
    """Clean up temp trees of dead builds of this output; restore the output if missing."""
    me = os.getpid()
    found = []
    try:
        names = os.listdir(parent)
    except OSError:
        return []
    for name in names:
        m = _LEFTOVER.match(name)
        if m and m.group(3) == tag:
            pid = int(m.group(2))
            if pid == me or not _pid_alive(pid):
                found.append((m.group(1) != "old", pid, parent / name))
    warnings: list[str] = []
    for is_tmp, _pid, folder in sorted(found):
        if not is_tmp and not os.path.lexists(out):
            try:
                ops.move(folder, out)
                continue
            except OSError as exc:
                raise _os_error(exc, "restoring") from None
        warnings += _dispose(folder, out, None, ops)
    return warnings
