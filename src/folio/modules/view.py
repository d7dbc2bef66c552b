"""Small views of a module shared by the site pages and the packages."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

from ..model import Author, Lesson, Module, Site
from ..urls import lesson_url, module_url
from .licenses import license_url


def format_minutes(minutes: int | None) -> str:
    """45 -> "45 min", 90 -> "1 h 30 min", None or 0 -> ""."""
    if not minutes:
        return ""
    hours, rest = divmod(int(minutes), 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h {rest} min" if rest else f"{hours} h"


def iso_duration(minutes: int | None) -> str:
    if not minutes:
        return ""
    hours, rest = divmod(int(minutes), 60)
    return "PT" + (f"{hours}H" if hours else "") + (f"{rest}M" if rest or not hours else "")


def authors_of(site: Site, module: Module) -> tuple[Author, ...]:
    """Declared authors, else the site's owner (SPEC §1 default)."""
    if module.authors:
        return module.authors
    if module.origin is not None and module.origin.authors:
        return module.origin.authors
    return (Author(site.profile.name, site.config.base_url),)


def absolute(site: Site, url: str) -> str:
    """Site-relative URL -> absolute URL on the deployed site."""
    return urljoin(site.config.base_url, url.lstrip("/"))


def source_url(site: Site, module: Module) -> str:
    return absolute(site, module.url or module_url(module.slug))


def url_of(module: Module) -> str:
    return module.url or module_url(module.slug)


def lesson_url_of(module: Module, lesson: Lesson) -> str:
    return lesson.url or lesson_url(module.slug, lesson.slug)


@dataclass(frozen=True, slots=True)
class Prerequisite:
    text: str
    url: str = ""  # site-relative, when the prerequisite is another module


def prerequisites(site: Site, module: Module) -> tuple[Prerequisite, ...]:
    found = []
    for item in module.prerequisites:
        other = site.module(item)
        found.append(Prerequisite(other.title, url_of(other)) if other else Prerequisite(item))
    return tuple(found)


@dataclass(frozen=True, slots=True)
class PackageLink:
    format: str
    label: str
    url: str  # site-relative
    note: str


def package_files(slug: str) -> dict[str, str]:
    """Format -> file name; every package sits in /modules/<slug>/."""
    return {"imscc": f"{slug}.imscc", "scorm": f"{slug}-scorm.zip", "zip": f"{slug}.zip"}


def package_links(module: Module) -> tuple[PackageLink, ...]:
    names = package_files(module.slug)
    base = url_of(module)
    return (
        PackageLink("imscc", "Common Cartridge (.imscc)", base + names["imscc"],
                    "Canvas, Moodle, Blackboard, Brightspace, Schoology: import as a course."),
        PackageLink("scorm", "SCORM 1.2 package (.zip)", base + names["scorm"],
                    "Any LMS that plays SCORM; records completion and quiz scores."),
        PackageLink("zip", "folio module (.zip)", base + names["zip"],
                    "Markdown sources for another folio site, plus pages that open offline."),
    )


def license_link(module: Module) -> str:
    return license_url(module.license or "CC-BY-4.0")


def builtin_theme_file(relative: str) -> Path:
    """A file of the built-in default theme, in a wheel (folio/themes) or a checkout."""
    here = Path(__file__).resolve()
    for root in (here.parents[1] / "themes", here.parents[3] / "themes"):
        candidate = root / "default" / relative
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"default theme file {relative} not found")
