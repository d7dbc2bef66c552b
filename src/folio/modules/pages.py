"""The module pages of SPEC §3: catalogue, overview, lessons, printable module.

`module_jobs(site, rendered)` returns PageJobs for render.py; templates live
in the theme under templates/modules/. Bodies of imported modules are
sanitised here as well as by the Markdown stage: they are someone else's HTML.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

from ..model import MODULE_LEVELS, Lesson, Module, Site
from ..render import LazyMarkup, PageJob
from ..urls import track_url
from . import view
from .offline import lesson_body

CATALOGUE_URL = "/modules/"
_ID = re.compile(r'(\sid=")([^"]+)(")')
_HASH_HREF = re.compile(r'(\shref=")#([^"]+)(")')


def _jsonld(name: str, *args: Any) -> Callable[[], dict | None]:
    """JSON-LD made when the page is rendered (render_page calls it), not when planned."""
    def make() -> dict | None:
        from .. import jsonld

        fn = getattr(jsonld, name, None)
        return fn(*args) if fn else None

    return make


def _job(url: str, template: str, title: str, description: str, jsonld: dict | None,
         og_type: str = "website", image: Any = None, **context: Any) -> PageJob:
    page = {"url": url, "title": title, "description": description, "section": "modules",
            "image": image, "og_type": og_type}
    return PageJob(url, template, {"page": page, "jsonld": jsonld, **context})


def _skills(site: Site, module: Module) -> list:
    return [site.skill(s) for s in module.skills if f"skill:{s}" in site.index.entities]


def _tracks(site: Site, ids) -> list[dict[str, str]]:
    known = {t.id: t for t in site.config.tracks}
    return [{"id": t, "title": known[t].title, "url": track_url(t)} for t in ids if t in known]


def _common(site: Site, module: Module) -> dict[str, Any]:
    return {
        "module": module, "lessons": module.lessons, "total": len(module.lessons),
        "authors": view.authors_of(site, module), "license_url": view.license_link(module),
        "progress_key": "folio:" + view.source_url(site, module),
        "minutes": view.format_minutes,
    }


def catalogue_job(site: Site) -> PageJob:
    tracks_used = {t for m in site.modules for t in m.tracks}
    levels_used = {m.level for m in site.modules if m.level}
    levels = [lvl for lvl in MODULE_LEVELS if lvl in levels_used]
    levels += sorted(levels_used - set(levels))
    return _job(CATALOGUE_URL, "modules/catalogue.html", "Learning modules",
                f"Free learning modules by {site.profile.name}, ready for any LMS.",
                _jsonld("item_list", site, site.modules, "Learning modules"),
                modules=site.modules,
                filter_tracks=[t for t in _tracks(site, [t.id for t in site.config.tracks])
                               if t["id"] in tracks_used],
                filter_levels=levels, minutes=view.format_minutes,
                module_tracks={m.slug: _tracks(site, m.tracks) for m in site.modules})


def overview_job(site: Site, module: Module) -> PageJob:
    return _job(view.url_of(module), "modules/overview.html", module.title,
                module.summary or f"A learning module by {site.profile.name}.",
                _jsonld("course", site, module), image=module.cover,
                prerequisites=view.prerequisites(site, module), module_skills=_skills(site, module),
                module_tracks=_tracks(site, module.tracks), packages=view.package_links(module),
                **_common(site, module))


def lesson_job(site: Site, module: Module, lesson: Lesson, number: int,
               rendered: Mapping) -> PageJob:
    lessons = module.lessons
    return _job(view.lesson_url_of(module, lesson), "modules/lesson.html", lesson.title,
                f"Lesson {number} of {len(lessons)} in {module.title}"
                + (f": {'; '.join(lesson.objectives)}" if lesson.objectives else "."),
                _jsonld("lesson", site, module, lesson), og_type="article",
                lesson=lesson, number=number,
                previous=lessons[number - 2] if number > 1 else None,
                next=lessons[number] if number < len(lessons) else None,
                body=LazyMarkup(lambda: lesson_body(site, module, lesson, rendered)),
                **_common(site, module))


def _scoped(html: str, lesson: Lesson) -> str:
    """Prefix ids and in-page links so several lessons can share one page."""
    html = _ID.sub(lambda m: f"{m.group(1)}{lesson.slug}--{m.group(2)}{m.group(3)}", html)
    return _HASH_HREF.sub(lambda m: f"{m.group(1)}#{lesson.slug}--{m.group(2)}{m.group(3)}", html)


def _scoped_body(site: Site, module: Module, lesson: Lesson, rendered: Mapping) -> str:
    return _scoped(lesson_body(site, module, lesson, rendered), lesson)


def print_job(site: Site, module: Module, rendered: Mapping) -> PageJob:
    bodies = {lesson.slug: LazyMarkup(partial(_scoped_body, site, module, lesson, rendered))
              for lesson in module.lessons}
    return _job(view.url_of(module) + "print/", "modules/print.html",
                f"{module.title} (printable)",
                f"The whole of {module.title} on one page, for printing or saving as PDF.",
                _jsonld("course", site, module), bodies=bodies, prerequisites=view.prerequisites(site, module),
                source_url=view.source_url(site, module), **_common(site, module))


def module_jobs(site: Site, rendered: Mapping) -> list[PageJob]:
    """Every module page, in a stable order (render.py calls this)."""
    if not site.modules:
        return []
    jobs = [catalogue_job(site)]
    for module in site.modules:
        jobs.append(overview_job(site, module))
        for number, lesson in enumerate(module.lessons, 1):
            jobs.append(lesson_job(site, module, lesson, number, rendered))
        jobs.append(print_job(site, module, rendered))
    return jobs
