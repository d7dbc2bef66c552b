"""`folio module import`: a module package from another folio site, treated as hostile.

Every check runs before anything is written: the archive's size and entry
count, each entry's name (no `..`, absolute paths, backslashes, drive letters,
control characters or symlinks), the sha256 of every file against
folio-module.json, the license against an allowlist, and the file types.
Then the module is written to modules/<slug>/ (and its assets to assets/)
through a staging folder, with an `origin:` mapping that keeps the authors,
license, version and source. Its raw HTML is cleaned when it is rendered.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import yaml

from ..errors import FolioError
from ..urls import check_slug
from ..yamlload import load_yaml
from .adapt import drop_unknown_ids, relink_lesson, site_ids
from .export_zip import FORMAT_VERSION, MANIFEST
from .licenses import ALLOWED_LICENSES

MAX_PACKAGE_BYTES = 50 * 1024 * 1024
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_TOTAL_BYTES = 100 * 1024 * 1024
MAX_ENTRIES = 500
SOURCE_SUFFIXES = {".md", ".yaml"}
ASSET_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".avif", ".pdf", ".csv", ".xlsx",
                  ".ods", ".txt", ".mp3", ".mp4", ".webm", ".json"}
RENDERED = ("index.html", "lessons/")  # the offline copy, rebuilt by the importing site


@dataclass(frozen=True, slots=True)
class ImportResult:
    slug: str
    title: str
    written: tuple[str, ...]  # site-relative paths
    replaced: bool = False
    skipped: tuple[str, ...] = field(default=())  # assets already present, identical


def _bad(message: str, where: str, hint: str | None = None) -> FolioError:
    return FolioError(message, where, hint=hint)


def check_entry_name(name: str, where: str) -> str:
    """Refuse any name that could land outside the target folder (zip slip)."""
    if "\\" in name:
        raise _bad(f"package entry {name!r} contains a backslash", where,
                   "entries must use '/' and stay inside the package")
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        raise _bad(f"package entry {name!r} is an absolute path", where)
    if any(ord(c) < 32 or c == "\x7f" for c in name):
        raise _bad(f"package entry {name!r} contains control characters", where)
    parts = name.rstrip("/").split("/")
    if any(p in ("", ".", "..") for p in parts):
        raise _bad(f"package entry {name!r} leaves the package folder", where,
                   "'..' and empty path segments are not allowed")
    return name


def _is_symlink(info: zipfile.ZipInfo) -> bool:
    mode = info.external_attr >> 16
    return info.create_system == 3 and stat.S_ISLNK(mode)


def read_package(data: bytes, where: str) -> dict[str, bytes]:
    """Entries of an untrusted zip, after the structural checks; directories dropped."""
    if len(data) > MAX_PACKAGE_BYTES:
        raise _bad(f"package is {len(data):,} bytes; the limit is {MAX_PACKAGE_BYTES:,}", where)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as exc:
        raise _bad(f"not a readable zip file ({exc})", where,
                   "make one with `folio module export SLUG --format zip`") from None
    if len(infos) > MAX_ENTRIES:
        raise _bad(f"package has {len(infos)} entries; the limit is {MAX_ENTRIES}", where)
    files: dict[str, bytes] = {}
    total = 0
    for info in infos:
        check_entry_name(info.filename, where)
        if _is_symlink(info):
            raise _bad(f"package entry {info.filename!r} is a symbolic link", where)
        if info.is_dir():
            continue
        if info.filename in files:
            raise _bad(f"package entry {info.filename!r} appears twice", where)
        if info.file_size > MAX_FILE_BYTES:
            raise _bad(f"package entry {info.filename!r} is {info.file_size:,} bytes; "
                       f"the limit is {MAX_FILE_BYTES:,}", where)
        try:
            with archive.open(info) as handle:
                content = handle.read(MAX_FILE_BYTES + 1)  # the header may lie
        except (zipfile.BadZipFile, NotImplementedError, RuntimeError, EOFError, OSError) as exc:
            raise _bad(f"cannot read package entry {info.filename!r} ({exc})", where) from None
        if len(content) > MAX_FILE_BYTES:
            raise _bad(f"package entry {info.filename!r} is larger than {MAX_FILE_BYTES:,} bytes",
                       where)
        total += len(content)
        if total > MAX_TOTAL_BYTES:
            raise _bad(f"package unpacks to more than {MAX_TOTAL_BYTES:,} bytes", where)
        files[info.filename] = content
    return files


def read_manifest(files: dict[str, bytes], where: str) -> dict:
    if MANIFEST not in files:
        raise _bad(f"not a folio module package: {MANIFEST} is missing", where,
                   "import the .zip made by `folio module export --format zip`, "
                   "not the .imscc or SCORM package")
    try:
        meta = json.loads(files[MANIFEST].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _bad(f"{MANIFEST} is not valid JSON ({exc})", where) from None
    if not isinstance(meta, dict) or meta.get("format") != "folio-module":
        raise _bad(f"{MANIFEST} does not describe a folio module", where)
    if meta.get("format_version") != FORMAT_VERSION:
        raise _bad(f"package format version {meta.get('format_version')!r} is not supported "
                   f"(this folio reads version {FORMAT_VERSION})", where,
                   "upgrade folio, or export the module again")
    for key in ("slug", "title", "license", "module_yaml"):
        if not isinstance(meta.get(key), str) or not meta[key]:
            raise _bad(f"{MANIFEST}: '{key}' is missing or not text", where)
    if not isinstance(meta.get("files"), dict):
        raise _bad(f"{MANIFEST}: 'files' must map each path to its sha256", where)
    if not isinstance(meta.get("authors", []), list):
        raise _bad(f"{MANIFEST}: 'authors' must be a list", where)
    urls = [("source", meta.get("source", ""))]
    urls += [("authors", a.get("url", "")) for a in meta.get("authors", []) if isinstance(a, dict)]
    for key, url in urls:
        if url and not (isinstance(url, str) and url.startswith(("https://", "http://"))):
            raise _bad(f"{MANIFEST}: '{key}' has an unsafe or unsupported URL: {url!r}", where,
                       "only http(s) addresses are accepted")
    return meta


def verify_checksums(files: dict[str, bytes], meta: dict, where: str) -> None:
    listed = meta["files"]
    for name in sorted(files):
        if name == MANIFEST:
            continue
        expected = listed.get(name)
        if expected is None:
            raise _bad(f"package entry {name!r} is not listed in {MANIFEST}", where,
                       "the package was changed after it was exported")
        if hashlib.sha256(files[name]).hexdigest() != expected:
            raise _bad(f"checksum mismatch for {name!r}", where,
                       "the package was changed or damaged after it was exported")
    missing = sorted(set(listed) - set(files))
    if missing:
        raise _bad(f"{MANIFEST} lists {missing[0]!r} but the package does not contain it", where)


def select_files(files: dict[str, bytes], meta: dict, where: str) -> tuple[str, dict[str, bytes]]:
    """The module's sources and assets, each checked for place and type."""
    slug = check_slug(meta["slug"], where)
    folder = f"modules/{slug}/"
    if meta["module_yaml"] != folder + "module.yaml" or meta["module_yaml"] not in files:
        raise _bad(f"{MANIFEST}: module_yaml must be {folder}module.yaml and be in the package",
                   where)
    chosen: dict[str, bytes] = {}
    for name, data in sorted(files.items()):
        if name == MANIFEST or name == RENDERED[0] or name.startswith(RENDERED[1]):
            continue
        suffix = PurePosixPath(name).suffix.lower()
        if name.startswith(folder):
            allowed = SOURCE_SUFFIXES | ASSET_SUFFIXES
        elif name.startswith("assets/"):
            allowed = ASSET_SUFFIXES
        else:
            raise _bad(f"package entry {name!r} is outside {folder} and assets/", where)
        if suffix not in allowed:
            raise _bad(f"package entry {name!r}: {suffix or 'no extension'} files are not "
                       "imported", where, "allowed: " + " ".join(sorted(allowed)))
        chosen[name] = data
    return slug, chosen


def with_origin(module_yaml: bytes, meta: dict, where: str) -> bytes:
    """module.yaml plus `origin:` (and explicit `authors:`), unless it already has them."""
    try:
        text = module_yaml.decode("utf-8")
    except UnicodeDecodeError:
        raise _bad("module.yaml is not UTF-8", where) from None
    data = load_yaml(text, meta["module_yaml"])
    if not isinstance(data, dict):
        raise _bad("module.yaml must be a mapping of fields", where)
    authors = [{"name": str(a.get("name", "")), "url": str(a.get("url", ""))}
               for a in meta.get("authors", []) if isinstance(a, dict) and a.get("name")]
    extra: dict = {}
    if "authors" not in data and authors:
        extra["authors"] = [{k: v for k, v in a.items() if v} for a in authors]
    if "origin" not in data:
        extra["origin"] = {"title": meta["title"], "url": str(meta.get("source", "")),
                           "authors": [{k: v for k, v in a.items() if v} for a in authors],
                           "version": str(meta.get("version", "")), "license": meta["license"]}
    if not extra:
        return module_yaml
    block = yaml.safe_dump(extra, sort_keys=False, allow_unicode=True, default_flow_style=False)
    sep = "" if text.endswith("\n") or not text else "\n"
    note = "# Imported with `folio module import`: keep this origin when you adapt it.\n"
    return (text + sep + note + block).encode("utf-8")


def import_module(package: Path, site_dir: Path, *, force: bool = False) -> ImportResult:
    """Check a package completely, then write it into the site."""
    where = package.name
    try:
        data = package.read_bytes()
    except OSError as exc:
        raise FolioError(f"cannot read {package}: {exc.strerror}", where) from None
    files = read_package(data, where)
    meta = read_manifest(files, where)
    verify_checksums(files, meta, where)
    if meta["license"] not in ALLOWED_LICENSES:
        raise _bad(f"license {meta['license']!r} is not one folio imports", where,
                   "allowed: " + ", ".join(sorted(ALLOWED_LICENSES)))
    slug, chosen = select_files(files, meta, where)
    adapt_to_site(chosen, meta, site_dir.resolve(), where)
    return write_module(site_dir, slug, meta["title"], chosen, force=force)


def adapt_to_site(chosen: dict[str, bytes], meta: dict, root: Path, where: str) -> None:
    """Relink lessons to pages this site lacks, drop unknown ids, add `origin:`."""
    links = meta.get("links") if isinstance(meta.get("links"), dict) else {}
    links = {k: v for k, v in links.items() if isinstance(k, str) and isinstance(v, str)
             and v.startswith(("https://", "http://"))}

    def exists(path: str) -> bool:
        return path in chosen or (root / path).is_file()

    for name in sorted(chosen):
        if name.endswith(".md"):
            try:
                text = chosen[name].decode("utf-8")
            except UnicodeDecodeError:
                raise _bad(f"{name} is not UTF-8 text", where) from None
            new = relink_lesson(text, name, links, exists)
            if new != text:
                chosen[name] = new.encode("utf-8")
    path = meta["module_yaml"]
    try:
        text = chosen[path].decode("utf-8")
    except UnicodeDecodeError:
        raise _bad("module.yaml is not UTF-8", where) from None
    skills, tracks = site_ids(root)
    text = drop_unknown_ids(text, path, skills, tracks)
    chosen[path] = with_origin(text.encode("utf-8"), meta, where)


def write_module(site_dir: Path, slug: str, title: str, chosen: dict[str, bytes], *,
                 force: bool) -> ImportResult:
    root = site_dir.resolve()
    target = root / "modules" / slug
    replaced = target.exists() or target.is_symlink()
    if replaced and not force:
        raise FolioError(f"module '{slug}' already exists", f"modules/{slug}",
                         hint="pass --force to replace it with the imported version")
    if target.is_symlink() or (target.exists() and not target.is_dir()):
        raise FolioError(f"modules/{slug} is not a plain folder; refusing to replace it",
                         f"modules/{slug}")
    skipped, conflicts = [], []
    for name, content in chosen.items():
        if name.startswith("assets/"):
            dest = root / name
            if dest.is_symlink() or (dest.exists() and not dest.is_file()):
                conflicts.append(name)
            elif dest.exists():
                if dest.read_bytes() == content:
                    skipped.append(name)
                elif not force:
                    conflicts.append(name)
            _check_inside(root, dest)
    if conflicts:
        raise FolioError(f"{conflicts[0]} already exists with different content", conflicts[0],
                         hint="pass --force to overwrite it"
                         + (f" ({len(conflicts)} files in all)" if len(conflicts) > 1 else ""))
    staging = root / "modules" / f".{slug}.import-{os.getpid()}"
    if staging.exists():
        shutil.rmtree(staging)
    written = []
    try:
        for name, content in chosen.items():
            if name.startswith("assets/"):
                continue
            dest = staging / name[len(f"modules/{slug}/"):]
            _check_inside(staging, dest)
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(content)
            written.append(name)
        for name, content in chosen.items():
            if name.startswith("assets/") and name not in skipped:
                dest = root / name
                dest.parent.mkdir(parents=True, exist_ok=True)
                dest.write_bytes(content)
                written.append(name)
        if replaced:
            shutil.rmtree(target)
        os.replace(staging, target)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return ImportResult(slug, title, tuple(sorted(written)), replaced, tuple(skipped))


def _check_inside(root: Path, dest: Path) -> None:
    """Belt and braces after the name checks: the real path must stay under root."""
    real_root = os.path.realpath(root)
    real = os.path.realpath(dest)
    if os.path.commonpath([real_root, real]) != real_root:
        raise FolioError(f"{dest} would be written outside {root}", str(dest))
