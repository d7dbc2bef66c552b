"""Which files of a site folder are content, found safely.

The walk skips editor and OS droppings, refuses control characters in names, and
confines symlinks to the site folder (a dangling, looping or escaping link is an
error naming it), with one system call per folder.
"""

from __future__ import annotations

import os
from pathlib import Path

from .errors import FolioError, Report

__all__ = ["SECTIONS", "TOP_FILES", "check_link", "content_paths", "is_junk", "read_sources", "walk"]

SECTIONS = ("case-studies", "skills", "services", "posts", "pages")
TOP_FILES = ("profile.md", "skills.yaml", "testimonials.yaml")
JUNK_NAMES = frozenset({".DS_Store", "Thumbs.db", "desktop.ini", "4913"})


def is_junk(name: str) -> bool:
    """Editor and OS droppings that are never content (RELIABILITY item 28)."""
    return (name.startswith((".", "#")) or name.endswith(("~", ".swp", ".swo", ".swx", ".tmp"))
            or "___jb_" in name or name in JUNK_NAMES)


def check_link(path: Path, root: Path, rel: str) -> None:
    """Symlinks may point inside the site; outside, dangling or looping is an error."""
    if not path.is_symlink():
        return
    try:
        target = path.resolve(strict=True)
    except (OSError, RuntimeError):
        raise FolioError("symlink is dangling or loops", rel,
                         hint="remove it or point it at a file inside the site") from None
    if os.path.commonpath([str(target), str(root)]) != str(root):
        raise FolioError(f"symlink points outside the site folder ({target})", rel,
                         hint="copy the file into the site instead of linking to it")


def walk(root: Path, folder: str, report: Report) -> list[str]:
    """Site-relative POSIX paths of the files under `folder`, sorted, junk skipped.

    os.scandir's cached file types keep this to one system call per folder;
    only symlinks are resolved, to confine them to the site.
    """
    found: list[str] = []
    stack = [folder]
    while stack:
        rel_dir = stack.pop()
        try:
            entries = sorted(os.scandir(root / rel_dir), key=lambda e: e.name)
        except (FileNotFoundError, NotADirectoryError):
            continue
        except OSError as exc:
            report.error(f"cannot read folder: {exc.strerror}", rel_dir)
            continue
        subdirs = []
        for entry in entries:
            if is_junk(entry.name):
                continue
            rel = f"{rel_dir}/{entry.name}"
            if any(ord(c) < 32 for c in entry.name):
                report.error("file name contains control characters", rel)
                continue
            if entry.is_symlink():
                try:
                    check_link(Path(entry.path), root, rel)
                except FolioError as exc:
                    report.add(exc)
                    continue
            if entry.is_dir():
                subdirs.append(rel)
            else:
                found.append(rel)
        stack.extend(reversed(subdirs))
    return sorted(found)


def content_paths(root: Path, report: Report) -> list[str]:
    """Every file the model is built from (not assets/static), sorted."""
    top = [p for p in TOP_FILES if (root / p).exists()]
    for p in top:  # files in sections are checked by walk
        try:
            check_link(root / p, root, p)
        except FolioError as exc:
            report.add(exc)
    paths = list(top)
    for section in SECTIONS:
        paths += [p for p in walk(root, section, report)
                  if p.endswith(".md") and p.count("/") == 1]
    paths += [p for p in walk(root, "modules", report)
              if p.count("/") == 2 and (p.endswith(".md") or p.endswith("/module.yaml"))]
    return paths


def read_sources(root: Path, report: Report) -> dict[str, bytes]:
    """Every content file's bytes by site-relative path; unreadable ones are errors."""
    out: dict[str, bytes] = {}
    for rel in content_paths(root, report):
        try:
            out[rel] = (root / rel).read_bytes()
        except OSError as exc:
            report.error(f"cannot read file: {exc.strerror}", rel)
    return out
