"""Where folio may write: checks on the output folder, before anything is written.

Covers SPEC §5 and RELIABILITY 1-3, 42-44. Safety rules, checked before any
file-system write (:func:`check_output_dir`): the output may not be the site
folder, contain it, overlap a content folder (also through a symlink or a case
variant), sit deeper than one level inside the site, be a file or a dangling
symlink, or be a folder holding files folio did not write. Paths are compared
after ``realpath`` + ``normcase`` with ``commonpath`` (and by inode, for
case-insensitive file systems), never with ``startswith``.

Also here, because the checks need them and :mod:`folio.write` and
:mod:`folio.pidlock` build on them: the rules for output paths
(:func:`check_keys`), reading a folder's ``.folio-manifest``, a sorted scan that
never follows symlinks, what the current output holds (:func:`inspect_old`) and
which of its files already hold the new bytes (:func:`unchanged`, with the
trust rule explained in :mod:`folio.write`), and OSErrors as one-line messages.
This module only reads; of folio it imports only :mod:`folio.errors`.

Decisions where the spec is silent:
- Inside the site only a top-level folder (``_site``) may be the output.
- A folder without a manifest is accepted when it holds nothing, or only
  ``.git``, ``CNAME``, ``.nojekyll``, ``.gitignore`` (a gh-pages checkout).
- ``clean=True`` also accepts one that looks like a previous output (see
  :func:`check_output_dir`); what is then done with its files is in
  :mod:`folio.write`.
- An output path that is a symlink to a folder is followed; the link stays.
"""

from __future__ import annotations

import errno
import json
import os
import re
import stat
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from operator import attrgetter
from pathlib import Path

from .errors import BuildFailed, Diagnostic, FolioError, printable
from .spill import Output, Spilled, same_as_file

MANIFEST = ".folio-manifest"
# Site folders that hold sources; the output may be neither one of them nor inside one.
CONTENT_DIRS = frozenset({"case-studies", "assets", "static", "modules", "posts", "pages",
                          "services", "skills", "templates", "themes"})
# Entries that alone do not make a folder "someone else's" (a gh-pages checkout).
KEEP = frozenset({".git", "CNAME", ".nojekyll", ".gitignore"})
SOURCE_SUFFIXES = (".md", ".markdown", ".yaml", ".yml", ".py")
NAME_MAX = 255
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# Names that need no further checks: ASCII, no segment empty or starting with a dot.
_PLAIN_KEY = re.compile(r"(?:[\w~-][\w.~-]{0,254}/)*[\w~-][\w.~-]{0,254}", re.ASCII)


# --------------------------------------------------------------------------- checks

def is_inside(root: str | os.PathLike, path: str | os.PathLike) -> bool:
    """True when `path` is `root` or below it, after resolving symlinks and case."""
    r = os.path.normcase(os.path.realpath(root))
    p = os.path.normcase(os.path.realpath(path))
    try:
        return os.path.commonpath([r, p]) == r
    except ValueError:  # different drives
        return False


def same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def shown_path(path: str | os.PathLike) -> str:
    return printable(os.fspath(path)) or "''"


def check_output_dir(out_dir: str | os.PathLike, site_dir: str | os.PathLike, *,
                     clean: bool = False) -> None:
    """Raise FolioError if writing the site to `out_dir` could harm anything.

    Reads only. `clean=True` accepts a folder without a manifest when it looks
    like a previous output: it has a top-level ``index.html`` and no source
    files (``*.md``, ``*.yaml``, ``*.yml``, ``*.py``) outside dot-folders.
    """
    out = resolve_target(out_dir, site_dir)
    check_contents(out, shown_path(out_dir), clean)


def resolve_target(out_dir: str | os.PathLike, site_dir: str | os.PathLike) -> Path:
    raw = os.fspath(out_dir)
    shown = shown_path(out_dir)
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
    if is_inside(out, site) or any(same_file(p, out) for p in (site, *site.parents)):
        what = "is the site folder" if same_file(out, site) or out == site else "contains the site folder"
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


def check_contents(out: Path, shown: str, clean: bool) -> None:
    _check_parent_writable(out, shown)
    try:
        entries = sorted(os.listdir(out))
    except FileNotFoundError:
        return
    except OSError as exc:
        raise from_os_error(exc, "reading") from None
    if not os.access(out, os.W_OK | os.X_OK):
        raise FolioError(f"permission denied: the output {out} is read-only", shown,
                         hint="make it writable (chmod u+w) or choose another --output")
    if not entries or set(entries) <= KEEP or _manifest_files(out) is not None:
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
    for rel, kind in scan_tree(out):
        seen += 1
        if seen > 50_000:
            return "it holds more than 50 000 files"
        if rel.split("/")[0].startswith("."):
            continue
        if kind != "dir" and rel.lower().endswith(SOURCE_SUFFIXES):
            return f"it holds source files such as {printable(rel)}"
    return None


def check_keys(files: Mapping[str, bytes], shown: str) -> list[str]:
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
    if not isinstance(key, str) or not isinstance(data, (bytes, bytearray, memoryview, Spilled)):
        return "is not a str -> bytes entry"
    if _PLAIN_KEY.fullmatch(key):
        return None
    if not key or key.startswith("/") or "\\" in key or _CONTROL.search(key):
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


# --------------------------------------------------------------------------- reading the folder

def read_manifest(folder: Path) -> dict[str, str] | None:
    """{path: sha256} from a folder's manifest; None if missing or not folio's."""
    return _safe_entries(_manifest_files(folder))


def _manifest_files(folder: Path, raw: bytes | None = None) -> dict | None:
    """The manifest's unchecked "files" table; None if missing or not folio's."""
    try:
        if raw is None:
            with open(folder / MANIFEST, "rb") as fh:
                raw = fh.read(64 * 1024 * 1024)
        data = json.loads(raw)
        files = data["files"]
        if data.get("folio") != 1 or not isinstance(files, dict):
            return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    return files


def _safe_entries(files: dict | None) -> dict[str, str] | None:
    if files is None:
        return None
    return {k: v for k, v in files.items()
            if isinstance(v, str) and _key_problem(k, b"") is None}


def scan_tree(root: str | os.PathLike, rel: str = "",
              before: Callable[[str], None] | None = None) -> Iterator[tuple[str, str]]:
    """(relative path, kind) of everything below root, sorted, never following symlinks.

    `before` is called with each folder's path just before it is listed.
    """
    base = os.fspath(root)
    here = os.path.join(base, rel) if rel else base
    if before is not None:
        before(here)
    with os.scandir(here) as it:
        entries = sorted(it, key=attrgetter("name"))
    prefix = rel + "/" if rel else ""
    for entry in entries:
        sub = prefix + entry.name
        if entry.is_symlink():
            yield sub, "link"
        elif entry.is_dir(follow_symlinks=False):
            yield sub, "dir"
            yield from scan_tree(base, sub, before)
        else:
            yield sub, "file" if entry.is_file(follow_symlinks=False) else "other"


def ancestors(rel: str) -> Iterator[str]:
    parts = rel.split("/")
    for i in range(1, len(parts)):
        yield "/".join(parts[:i])


# --------------------------------------------------------------------------- the old output

@dataclass(slots=True)
class OldOutput:
    """What the current output holds: folio's files (to replace) and everyone else's.

    `manifest` is its manifest's bytes, `listed` their {path: sha256}, and
    `sealed` the manifest's stat when it is a regular file: its times say which
    listed files can be trusted without reading them (:func:`unchanged`).
    """

    kinds: dict[str, str]
    ours: set[str]
    foreign: list[str]
    listed: dict[str, str]
    manifest: bytes | None = None
    sealed: os.stat_result | None = None


def inspect_old(out: Path, clean: bool) -> OldOutput:
    if not out.is_dir():
        return OldOutput({}, set(), [], {})
    kinds = dict(scan_tree(out))
    raw, sealed = _read_with_stat(out / MANIFEST)
    listed = _safe_entries(_manifest_files(out, raw)) if raw is not None else None
    if listed is None or kinds.get(MANIFEST) != "file" or os.name == "nt":
        sealed = None  # on Windows st_ctime is the creation time: every file is read back
    listed = listed or {}
    ours = {k for k in listed if kinds.get(k) in ("file", "link")}
    if clean:
        ours |= {rel for rel, kind in kinds.items() if kind != "dir" and rel != MANIFEST
                 and not rel.split("/")[0].startswith(".") and rel.split("/")[0] not in KEEP}
    our_dirs = {a for k in ours for a in ancestors(k)}
    filled = {a for rel, kind in kinds.items() if kind != "dir" for a in ancestors(rel)}
    foreign = [rel for rel, kind in kinds.items()
               if rel != MANIFEST and rel not in ours and rel not in our_dirs
               and not (kind == "dir" and rel in filled)]  # folders come with their files
    return OldOutput(kinds, ours, foreign, listed, raw, sealed)


def _read_with_stat(path: Path) -> tuple[bytes | None, os.stat_result | None]:
    """The file's bytes and the stat of that very file, taken first (an edit meanwhile
    makes the stat older than the bytes, which only trusts fewer files)."""
    try:
        with open(path, "rb") as fh:
            st = os.fstat(fh.fileno())
            return fh.read(64 * 1024 * 1024), st
    except OSError:
        return None, None


def unchanged(out: Path, files: Mapping[str, Output], digests: Mapping[str, str],
              old: OldOutput, candidates: Iterable[str]) -> tuple[set[str], int]:
    """The candidates whose file in `out` already holds the new bytes, and how many were read.

    A listed regular file of the right size whose mtime and ctime are both older
    than the sealed manifest's has not been written, replaced or touched since
    the manifest was sealed, so it holds what the manifest says: the digests
    decide. Any other candidate of the right size is read back.
    """
    base = os.fspath(out) + os.sep
    seal = old.sealed
    same: set[str] = set()
    read = 0
    for key in candidates:
        path, data = base + key, files[key]
        try:
            st = os.lstat(path)
        except OSError:
            continue
        if not stat.S_ISREG(st.st_mode) or st.st_size != len(data):
            continue
        if (seal is not None and key in old.listed and st.st_mtime_ns < seal.st_mtime_ns
                and st.st_ctime_ns < seal.st_ctime_ns):
            if old.listed[key] == digests[key]:
                same.add(key)
            continue
        read += 1
        if same_as_file(path, data):
            same.add(key)
    return same, read


def from_os_error(exc: OSError, doing: str, tmp_out: tuple[Path | None, Path] | None = None
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
