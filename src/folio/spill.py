"""Output files kept on disk, not in memory, from the stage that makes them to the write.

A site's output is far larger than its model: at 10,000 pages about 1.3 GB, most
of it social cards, packages and page HTML. Held as bytes until the write, it
made the build's memory grow with the output (2.5 GB at 10,000 pages). With a
:class:`Spill`, each stage hands a finished file to :meth:`Spill.put`, which
appends it to one file per process in a private folder beside the output and
returns a :class:`Spilled` (where, how long, SHA-256). The write stage copies
the range into the new tree in the kernel (``copy_file_range``) only when the
file changed. Workers of a pool spill their own results, so the bytes never
cross a pipe either.

Appending rather than one file per output: creating a file is the expensive
step (measured on ext4: 0.05 ms on a quiet disk, up to 1.2 ms under write-back,
against 0.02 ms to append 30 KB), and a warm build whose files are all
unchanged then creates none.

A finished file that already sits on the same file system, such as a social
card in the build cache, is not copied in: :meth:`Spill.link` gives it a second
name in the folder, and the build holds that name with the offset of the bytes.

The folder, ``.folio-spill-<pid>-<output name>``, is only ever folio's: it holds
flat files named ``<pid>-<n>.out`` and nothing else, and is removed when the
write ends. A killed build leaves it behind; the next write of the same output
removes those files once their process is gone
(:func:`folio.pidlock.reclaim_leftovers`, with the other folders builds leave).

`folio serve` and tests build in memory (no spill): every output is bytes there.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from .errors import FolioError

__all__ = ["Output", "Spill", "Spilled", "data_of", "digest_of", "output_tag", "remove_spill",
           "same_as_file"]

PREFIX = ".folio-spill-"
_FILE = re.compile(r"^\d+-\d+\.out$")


@dataclass(frozen=True, slots=True)
class Spilled:
    """One output file's bytes, on disk: in which file, from where, how many, and
    their SHA-256 (hex)."""

    path: str
    offset: int
    size: int
    sha256: str

    def __len__(self) -> int:
        return self.size

    def read(self) -> bytes:
        fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
        try:
            return os.pread(fd, self.size, self.offset) if self.size else b""
        finally:
            os.close(fd)

    def copy_to(self, fd: int) -> None:
        """Write the bytes to the open file `fd`, in the kernel where it can."""
        src = os.open(self.path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
        try:
            offset, left = self.offset, self.size
            copy = getattr(os, "copy_file_range", None)
            while left and copy is not None:
                try:
                    done = copy(src, fd, left, offset)
                except OSError:
                    break  # another file system, or none to copy in: by hand below
                if done == 0:
                    break
                offset, left = offset + done, left - done
            while left:
                chunk = os.pread(src, min(left, 1 << 20), offset)
                if not chunk:
                    raise OSError(f"{self.path} is shorter than expected")
                view = memoryview(chunk)
                while view:
                    view = view[os.write(fd, view):]
                offset, left = offset + len(chunk), left - len(chunk)
        finally:
            os.close(src)


Output = bytes | Spilled
"""What a build holds for one output path: the bytes, or where they wait on disk."""


def data_of(value: Output) -> bytes:
    return value.read() if isinstance(value, Spilled) else value


def digest_of(value: Output) -> str:
    """SHA-256 (hex) of an output's bytes; free for a spilled one (taken when spilled)."""
    return value.sha256 if isinstance(value, Spilled) else hashlib.sha256(value).hexdigest()


def same_as_file(path: str | os.PathLike, value: Output) -> bool:
    """Whether the file at `path` holds exactly these bytes."""
    try:
        if os.stat(path).st_size != len(value):
            return False
        with open(path, "rb") as fh:
            return fh.read(len(value) + 1) == data_of(value)
    except OSError:
        return False


def output_tag(name: str) -> str:
    """The output folder's name as it appears in the names of folio's sibling folders."""
    return name if len(name.encode()) <= 100 else hashlib.sha256(name.encode()).hexdigest()[:16]


class Spill:
    """A private folder for a build's finished output files (see the module docstring).

    Forked workers share the object: each process appends to a file of its own,
    named by its pid, so they never collide.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        os.mkdir(folder)
        self._base = os.fspath(folder) + os.sep
        self._files = 0  # files this process has opened, for unique names
        self._pid = 0  # the process that owns the open file below
        self._fd = -1
        self._path = ""
        self._offset = 0

    @classmethod
    def beside(cls, out: Path) -> Spill:
        """A new spill folder next to the output folder `out` (the same file system, so
        the write copies from it in the kernel)."""
        out = Path(os.path.abspath(out))
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
        except OSError:
            pass  # then making the folder fails, with its own message
        folder = out.parent / f"{PREFIX}{os.getpid()}-{output_tag(out.name)}"
        remove_spill(folder)  # left by an earlier build in this process, if any
        try:
            return cls(folder)
        except OSError as exc:
            raise FolioError(f"cannot make {folder}: {exc.strerror}", os.fspath(out),
                             hint="folio keeps finished files beside the output folder until "
                                  "it writes them; that folder must be writable") from None

    def put(self, data: bytes) -> Spilled:
        """Append one finished file; a full disk or a lost folder is a FolioError."""
        try:
            if self._pid != os.getpid():  # the first file of this process (a fresh fork, too)
                self._pid = os.getpid()
                self._path = f"{self._base}{self._pid}-{self._files}.out"
                self._files += 1
                self._fd = os.open(self._path, os.O_WRONLY | os.O_CREAT | os.O_EXCL
                                   | getattr(os, "O_BINARY", 0), 0o600)
                self._offset = 0
            view = memoryview(data)
            while view:
                view = view[os.write(self._fd, view):]
        except OSError as exc:
            raise FolioError(f"cannot keep finished files in {self.folder}: "
                             f"{exc.strerror or exc}", os.fspath(self.folder),
                             hint="free some space there; the previous output is unchanged"
                             ) from None
        found = Spilled(self._path, self._offset, len(data), hashlib.sha256(data).hexdigest())
        self._offset += len(data)
        return found

    def link(self, source: str | os.PathLike) -> str | None:
        """A second name in the spill for a finished file, such as a cache entry: its
        bytes then stay put whatever later happens to `source`, and none are copied.
        None if `source` is missing or this file system cannot link it here."""
        name = f"{self._base}{os.getpid()}-{self._files}.out"
        try:
            os.link(source, name, follow_symlinks=False)
        except OSError:
            return None
        self._files += 1
        return name

    def put_all(self, files: dict[str, bytes]) -> dict[str, Spilled]:
        """Spill every file of `files`, emptying it as it goes (each bytes object is
        freed once it is on disk)."""
        return {path: self.put(files.pop(path)) for path in sorted(files)}

    def close(self) -> None:
        """Remove the folder and what is in it (the write has copied what it needs)."""
        if self._pid == os.getpid() and self._fd >= 0:
            os.close(self._fd)
            self._fd, self._pid = -1, 0
        remove_spill(self.folder)


def remove_spill(folder: Path) -> bool:
    """Delete the spill files in `folder` and the folder; False if anything else is there
    (then it is left in place)."""
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return True
    except OSError:
        return False
    foreign = False
    for name in names:
        if _FILE.match(name):
            try:
                os.unlink(folder / name)
            except FileNotFoundError:
                pass
            except OSError:
                foreign = True
        else:
            foreign = True
    if foreign:
        return False
    try:
        os.rmdir(folder)
    except OSError:
        return False
    return True
