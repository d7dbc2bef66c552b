"""One build per output folder at a time, and the clean-up of the trees builds leave.

Covers RELIABILITY 40-41. A ``.folio-lock-<name>`` file made with O_EXCL and
holding the pid keeps two builds of one output apart; a lock whose process is
gone is stale and is taken over. Leftover temp folders of dead processes
(``.folio-tmp-<pid>-<name>``, ``.folio-old-<pid>-<name>``, and the
``.folio-spill-<pid>-<name>`` of :mod:`folio.spill`) are reclaimed by the next
write; a live pid's are never touched. Emptying such a tree, or the old tree
a finished write swapped out, deletes only folio's files (:func:`dispose_tree`).

Every step that changes the file system is taken through the writer's counted
steps (``ops``, ``tick``), so the fault hook of :mod:`folio.write` can stop after
any one; this module never imports :mod:`folio.write`.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol, Self

from .errors import FolioError, printable
from .outdir import MANIFEST, ancestors, from_os_error, read_manifest, scan_tree
from .spill import remove_spill

_LEFTOVER = re.compile(r"^\.folio-(tmp|old|spill)-(\d+)-(.+)$")


class TreeSteps(Protocol):
    """The writer's counted file-system steps that emptying a tree needs."""

    def mkdir(self, path: str | Path) -> None: ...
    def move(self, src: str | Path, dst: str | Path) -> None: ...
    def unlink(self, path: str | Path) -> None: ...
    def rmdir(self, path: str | Path) -> None: ...


# --------------------------------------------------------------------------- lock

def pid_alive(pid: int) -> bool:
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


class PidLock:
    """An O_EXCL file with the builder's pid next to the output folder."""

    def __init__(self, path: Path, out: Path, tick: Callable[[], None]) -> None:
        self.path, self.out, self.tick = path, out, tick

    def __enter__(self) -> Self:
        for _ in range(500):
            if self._try_create():
                self.tick()
                return self
            pid = _read_pid(self.path)
            if pid == -1:  # released just now
                continue
            if pid is None and time.time() - _mtime(self.path) < 10:
                time.sleep(0.01)  # being written this instant
                continue
            if pid is not None and pid != os.getpid() and pid_alive(pid):
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
            raise from_os_error(exc, "creating the lock") from None
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
            self.tick()


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


# --------------------------------------------------------------------------- trees left behind

def reclaim_leftovers(parent: Path, out: Path, tag: str, ops: TreeSteps) -> list[str]:
    """Clean up temp trees of dead builds of this output; restore the output if missing."""
    me = os.getpid()
    found = []
    warnings: list[str] = []
    try:
        names = os.listdir(parent)
    except OSError:
        return []
    for name in names:
        m = _LEFTOVER.match(name)
        if not m or m.group(3) != tag:
            continue
        kind, pid = m.group(1), int(m.group(2))
        if kind == "spill":  # this process's own is in use: its files are being written
            if pid != me and not pid_alive(pid) and not remove_spill(parent / name):
                warnings.append(f"left {parent / name} in place: it holds files folio did "
                                f"not write")
        elif pid == me or not pid_alive(pid):
            found.append((kind != "old", pid, parent / name))
    for is_tmp, _pid, folder in sorted(found):
        if not is_tmp and not os.path.lexists(out):
            try:
                ops.move(folder, out)
                continue
            except OSError as exc:
                raise from_os_error(exc, "restoring") from None
        warnings += dispose_tree(folder, out, None, ops)
    return warnings


def dispose_tree(folder: Path, out: Path, ours: set[str] | None, ops: TreeSteps) -> list[str]:
    """Empty a finished-with tree without losing anything folio did not write.

    Files in `ours` (default: the folder's own manifest) are deleted; a file the
    output also holds under the same name and inode is a second name and goes;
    a file the output lacks is moved back into it; anything else stays, with a
    warning.
    """
    if ours is None:
        ours = set(read_manifest(folder) or ()) | {MANIFEST}
    kept: list[str] = []
    try:
        entries = list(scan_tree(folder, before=_open_up))
    except OSError as exc:
        return [f"could not read {folder}: {exc.strerror}"]
    f, o = os.fspath(folder) + "/", os.fspath(out) + "/"
    our_dirs = {a for k in ours for a in ancestors(k)}
    moved: set[str] = set()
    for rel, kind in entries:
        if moved and any(a in moved for a in ancestors(rel)):
            continue
        here, there = f + rel, o + rel
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
        if kind == "dir" and not (moved and any(a in moved for a in (rel, *ancestors(rel)))):
            try:
                ops.rmdir(f + rel)
            except OSError:
                pass
    if MANIFEST in ours and os.path.lexists(f + MANIFEST):
        try:
            ops.unlink(f + MANIFEST)
        except OSError as exc:
            kept.append(f"{MANIFEST} ({exc.strerror})")
    try:
        ops.rmdir(folder)
    except OSError:
        pass
    if kept:
        return [f"left {folder}: it holds files folio did not write ({', '.join(kept[:3])})"]
    return []


def _open_up(path: str) -> None:
    """Give ourselves rwx on a folder of a tree we are about to empty, before listing it."""
    if not os.path.islink(path) and not os.access(path, os.R_OK | os.W_OK | os.X_OK):
        try:
            os.chmod(path, os.stat(path).st_mode | 0o700)
        except OSError:
            pass


def _same_inode(a: str | Path, b: str | Path) -> bool:
    try:
        sa, sb = os.lstat(a), os.lstat(b)
    except OSError:
        return False
    return (sa.st_ino, sa.st_dev) == (sb.st_ino, sb.st_dev)


def _dirs_to(root: Path, rel: str, ops: TreeSteps) -> bool:
    """Make the folders from root down to rel's parent; False if a symlink or file is in the way."""
    if not root.is_dir():
        return False
    for anc in ancestors(rel):
        path = root / anc
        if os.path.islink(path):
            return False
        if not os.path.lexists(path):
            ops.mkdir(path)
        elif not path.is_dir():
            return False
    return True
