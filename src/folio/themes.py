"""Themes: folders with ``templates/``, ``static/`` and an optional ``theme.yaml``.

``theme.yaml`` gives ``name``, ``parent`` and ``options``. :func:`load_theme`
resolves a name (the site's ``themes/``, then the built-in ones) or a
site-relative path, and its parents, into a :class:`ThemeChain`, child first; a
child's file overrides its parent's. A theme outside the site, a cycle of
parents or a symlink that leaves a theme is an error naming the file.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import folio

from .errors import FolioError

__all__ = ["Theme", "ThemeChain", "builtin_theme_dirs", "inside", "load_theme"]

_THEME_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


@dataclass(frozen=True, slots=True)
class Theme:
    name: str
    root: Path
    label: str  # how messages name its folder: "themes/default" or "my-theme"
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def templates(self) -> Path:
        return self.root / "templates"

    @property
    def static(self) -> Path:
        return self.root / "static"


@dataclass(frozen=True, slots=True)
class ThemeChain:
    """A theme and its parents, child first."""

    themes: tuple[Theme, ...]

    @property
    def name(self) -> str:
        return self.themes[0].name

    @property
    def template_dirs(self) -> tuple[Path, ...]:
        return tuple(t.templates for t in self.themes)

    @property
    def options(self) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        for theme in reversed(self.themes):
            merged.update(theme.options)
        return merged

    def static_files(self) -> dict[str, Path]:
        """Relative POSIX path -> file; a child's file overrides its parent's."""
        files: dict[str, Path] = {}
        for theme in reversed(self.themes):
            if not theme.static.is_dir():
                continue
            for path in sorted(_walk(theme.static, theme)):
                files[path.relative_to(theme.static).as_posix()] = path
        return dict(sorted(files.items()))

    def label_for(self, path: Path) -> str:
        """A file of the chain as messages show it ("themes/default/templates/x.html")."""
        for theme in self.themes:
            try:
                rel = path.resolve().relative_to(theme.root.resolve())
            except ValueError:
                continue
            return f"{theme.label}/{rel.as_posix()}"
        return path.as_posix()


def builtin_theme_dirs() -> list[Path]:
    """Where built-in themes live: inside the wheel, else the repository's themes/."""
    package = Path(folio.__file__).resolve().parent
    return [package / "themes", package.parents[1] / "themes"]


def _walk(folder: Path, theme: Theme):
    """Files under a theme folder; a symlink that leaves the theme is an error."""
    root = theme.root.resolve()
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames.sort()
        for name in [*dirnames, *filenames]:
            path = Path(dirpath) / name
            if not path.is_symlink():
                continue
            shown = f"{theme.label}/{path.relative_to(theme.root).as_posix()}"
            if not path.exists():
                raise FolioError(f"dangling symlink {shown}", shown)
            if not inside(path.resolve(), root):
                raise FolioError(f"theme file {shown} is a symlink that leaves the theme",
                                 shown, hint="copy the file into the theme instead")
        for name in sorted(filenames):
            if name in (".DS_Store", "Thumbs.db") or name.endswith(("~", ".swp")):
                continue
            yield Path(dirpath) / name


def inside(path: Path, root: Path) -> bool:
    try:
        return os.path.commonpath([os.path.normcase(path), os.path.normcase(root)]) \
            == os.path.normcase(root)
    except ValueError:
        return False


def _looks_like_path(value: str) -> bool:
    return "/" in value or "\\" in value or value.startswith(".") or not _THEME_NAME.match(value)


def _find_theme(value: str, site_dir: Path, relative_to: Path, referrer: str) -> tuple[Path, str]:
    site = site_dir.resolve()
    if _looks_like_path(value):
        candidate = (relative_to / value).resolve()
        if not inside(candidate, site):
            raise FolioError(f"theme {value!r} is outside the site folder", referrer,
                             hint="put the theme inside the site (e.g. themes/mine) "
                                  "or use a built-in theme name")
        label = candidate.relative_to(site).as_posix()
        if not candidate.is_dir():
            raise FolioError(f"theme folder {label} does not exist", referrer)
        return candidate, label
    local = site / "themes" / value
    if local.is_dir():
        return local, f"themes/{value}"
    for base in builtin_theme_dirs():
        if (base / value).is_dir():
            return (base / value).resolve(), f"themes/{value}"
    known = sorted({p.name for b in builtin_theme_dirs() if b.is_dir() for p in b.iterdir()
                    if p.is_dir()})
    raise FolioError(f"theme {value!r} not found", referrer,
                     hint=f"built-in themes: {', '.join(known) or 'none'}; "
                          "or give a folder path such as ./themes/mine")


def _theme_yaml(root: Path, label: str) -> dict[str, Any]:
    path = root / "theme.yaml"
    if not path.is_file():
        return {}
    from .yamlload import load_yaml

    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise FolioError(f"not UTF-8 (byte {exc.start})", f"{label}/theme.yaml") from None
    data = load_yaml(text, f"{label}/theme.yaml") or {}
    if not isinstance(data, dict):
        raise FolioError("theme.yaml must be a mapping (name, parent, options)",
                         f"{label}/theme.yaml", 1)
    options = data.get("options") or {}
    if not isinstance(options, dict):
        raise FolioError("options must be a mapping", f"{label}/theme.yaml")
    return {"name": str(data.get("name") or root.name), "parent": data.get("parent"),
            "options": dict(options)}


def load_theme(name_or_path: str, site_dir: Path | str) -> ThemeChain:
    """Resolve a theme name or site-relative path and its parents into a chain."""
    site_dir = Path(site_dir)
    themes: list[Theme] = []
    seen: list[Path] = []
    value, relative_to, referrer = str(name_or_path or "default"), site_dir, "folio.yaml"
    while True:
        root, label = _find_theme(value, site_dir, relative_to, referrer)
        if root in seen:
            names = " -> ".join([*(t.label for t in themes), label])
            raise FolioError(f"theme parents form a cycle: {names}", referrer)
        seen.append(root)
        meta = _theme_yaml(root, label)
        theme = Theme(meta.get("name", root.name), root, label, meta.get("options", {}))
        if not theme.templates.is_dir():
            raise FolioError(f"theme {label} has no templates/ folder", label,
                             hint="a theme is a folder with templates/ and static/")
        themes.append(theme)
        parent = meta.get("parent")
        if not parent:
            break
        value, relative_to, referrer = str(parent), root, f"{label}/theme.yaml"
    chain = ThemeChain(tuple(themes))
    for theme in chain.themes:  # refuse symlinks that leave a theme, before any render
        for folder in (theme.templates, theme.static):
            if folder.is_dir():
                for _ in _walk(folder, theme):
                    pass
    return chain
