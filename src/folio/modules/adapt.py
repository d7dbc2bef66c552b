"""Making an imported module build in its new home, changing as little as possible.

A lesson may link to pages of the site it came from (`../../posts/x.md`) and
name that site's skills and tracks. At export, folio-module.json records the
public URL of every such link target. At import, a link whose target does not
exist in the new site is pointed at that URL, and skill or track ids the new
site does not define are dropped from module.yaml (with a comment saying so).
Into a site that has them all, the files are imported byte for byte.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from urllib.parse import unquote, urlsplit

import yaml

from ..errors import FolioError
from ..frontmatter import read_front_matter
from ..model import Module, Site
from ..yamlload import load_yaml
from . import view

# inline links/images `](target "title")` and reference definitions `[x]: target`
_INLINE = re.compile(r"(\]\(\s*<?)([^)\s>]+)")
_REFDEF = re.compile(r"(^[ ]{0,3}\[[^\]\n]+\]:[ \t]*<?)(\S+?)(?=>?(?:[ \t]|$))", re.MULTILINE)


def _targets(text: str):
    for pattern in (_INLINE, _REFDEF):
        yield from pattern.finditer(text)


def _resolve(folder: str, href: str) -> tuple[str, str] | None:
    """A relative link -> (site-relative source path, '#fragment' or '')."""
    parts = urlsplit(href)
    if parts.scheme or parts.netloc or href.startswith(("#", "/")) or not parts.path:
        return None
    path = posixpath.normpath(posixpath.join(folder, unquote(parts.path)))
    if path.startswith("../") or path == "..":
        return None
    return path, (f"#{parts.fragment}" if parts.fragment else "")


def outbound_links(site: Site, module: Module, read_file: Callable[[str], bytes]) -> dict[str, str]:
    """Source path -> public URL for lesson links that leave the module's folder."""
    found: dict[str, str] = {}
    folder = module.folder + "/"
    for lesson in module.lessons:
        try:
            text = read_file(lesson.source.path).decode("utf-8", "replace")
        except (OSError, KeyError, FolioError):
            continue
        for match in _targets(text):
            resolved = _resolve(posixpath.dirname(lesson.source.path), match.group(2))
            if resolved is None or resolved[0].startswith((folder, "assets/")):
                continue
            url = site.index.urls.get(resolved[0])
            if url:
                found[resolved[0]] = view.absolute(site, url)
    return dict(sorted(found.items()))


def relink_lesson(text: str, lesson_path: str, links: Mapping[str, str],
                  exists: Callable[[str], bool]) -> str:
    """Point links to files missing from this site at the source site's pages."""
    folder = posixpath.dirname(lesson_path)

    def replace(match: re.Match) -> str:
        resolved = _resolve(folder, match.group(2))
        if resolved is None or exists(resolved[0]) or resolved[0] not in links:
            return match.group(0)
        return match.group(1) + links[resolved[0]] + resolved[1]

    for pattern in (_INLINE, _REFDEF):
        text = pattern.sub(replace, text)
    return text


def site_ids(root: Path) -> tuple[set[str], set[str]]:
    """(skill ids, track ids) the importing site defines; unreadable files count as none."""
    skills: set[str] = set()
    tracks: set[str] = set()
    try:
        config = load_yaml((root / "folio.yaml").read_text(encoding="utf-8"), "folio.yaml")
        for item in (config or {}).get("tracks") or []:
            if isinstance(item, dict) and isinstance(item.get("id"), str):
                tracks.add(item["id"])
    except (OSError, UnicodeDecodeError, FolioError, AttributeError):
        pass
    try:
        listed = load_yaml((root / "skills.yaml").read_text(encoding="utf-8"), "skills.yaml")
        for item in listed if isinstance(listed, list) else []:
            if isinstance(item, dict) and isinstance(item.get("id"), str):
                skills.add(item["id"])
    except (OSError, UnicodeDecodeError, FolioError):
        pass
    for path in sorted((root / "skills").glob("*.md")) if (root / "skills").is_dir() else []:
        try:
            meta = read_front_matter(path.read_bytes(), f"skills/{path.name}").meta
            if isinstance(meta, dict) and isinstance(meta.get("id"), str):
                skills.add(meta["id"])
        except (OSError, FolioError):
            continue
    return skills, tracks


def _plain(value):
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def drop_unknown_ids(module_yaml: str, path: str, skills: set[str], tracks: set[str]) -> str:
    """module.yaml without the skill and track ids this site does not define."""
    data = load_yaml(module_yaml, path)
    if not isinstance(data, dict):
        return module_yaml
    dropped: list[str] = []
    for key, known in (("skills", skills), ("tracks", tracks)):
        value = data.get(key)
        items = [value] if isinstance(value, str) else value if isinstance(value, list) else []
        unknown = [i for i in items if isinstance(i, str) and i not in known]
        if unknown:
            dropped.append(f"{key}: {', '.join(unknown)}")
            data[key] = [i for i in items if i not in unknown]
            if not data[key]:
                del data[key]
    if not dropped:
        return module_yaml
    note = ("# Imported with `folio module import`. Not defined in this site, so left out: "
            + "; ".join(dropped) + "\n")
    return note + yaml.safe_dump(_plain(data), sort_keys=False, allow_unicode=True,
                                 default_flow_style=False, width=88)
