"""Cross-references: check every id a file names, and index the relations.

Builds the SiteIndex: skill -> evidence (case studies, services, posts,
modules), track -> everything in it, testimonials -> case studies, tags ->
posts, source path -> URL (for Markdown links), and refuses two sources that
would write the same URL (compared case-folded and NFC, as on macOS/Windows).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from typing import Any

from .errors import Report, closest
from .model import Site, SiteIndex
from .schema import Ref
from .urls import RESERVED_PAGE_SLUGS, collision_key, output_path, tag_slug

__all__ = ["entity_index", "link_site", "url_owners"]


def _entities(site: Site) -> list:
    """Every entity with its own URL, in a stable order."""
    return [*site.case_studies, *site.skills, *site.services, *site.posts, *site.pages,
            *site.modules, *site.lessons()]


def link_site(site: Site, refs: tuple[Ref, ...], report: Report,
              hidden: frozenset[tuple[str, str]] = frozenset()) -> Site:
    """-> the same Site with its index filled in. Bad references go to `report`.

    `hidden` holds (kind, id) of drafts left out of this build: naming one is fine.
    """
    known = {
        "skill": {s.id for s in site.skills},
        "track": {t.id for t in site.config.tracks},
        "testimonial": {t.id for t in site.testimonials},
        "case-study": {c.slug for c in site.case_studies},
        "module": {mod.slug for mod in site.modules},
    }
    nouns = {"skill": "skill", "track": "track", "testimonial": "testimonial",
             "case-study": "case study", "module": "module"}
    for ref in refs:
        ids = known[ref.kind]
        if ref.id in ids or (ref.kind, ref.id) in hidden:
            continue
        guess = closest(ref.id, ids)
        where = {"skill": "skills.yaml", "track": "folio.yaml `tracks:`",
                 "testimonial": "testimonials.yaml", "case-study": "case-studies/",
                 "module": "modules/"}[ref.kind]
        hint = f"did you mean '{guess}'?" if guess else f"define it in {where}"
        report.error(f"unknown {nouns[ref.kind]} '{ref.id}'", ref.path, ref.line, ref.col, hint)
    _check_duplicates(site, report)

    entities = entity_index(site)
    evidence: dict[str, list[str]] = defaultdict(list)
    by_track: dict[str, list[str]] = defaultdict(list)
    for item in [*site.case_studies, *site.services, *site.posts, *site.modules]:
        for skill_id in item.skills:
            if skill_id in known["skill"]:
                evidence[skill_id].append(item.key)
    for item in [*site.case_studies, *site.skills, *site.services, *site.modules, *site.posts]:
        for track_id in item.tracks:
            if track_id in known["track"]:
                by_track[track_id].append(item.key)
    tags: dict[str, list[str]] = defaultdict(list)
    tag_names: dict[str, str] = {}
    for post in site.posts:
        for tag in post.tags:
            slug = tag_slug(tag)
            if slug:
                tags[slug].append(post.key)
                tag_names.setdefault(slug, tag)
    testimonials: dict[str, list[str]] = defaultdict(list)
    by_slug = {c.slug: c for c in site.case_studies}
    for t in site.testimonials:
        if t.case_study in by_slug:
            testimonials[by_slug[t.case_study].key].append(t.id)
    for case in site.case_studies:
        if case.testimonial_id and case.testimonial_id not in testimonials[case.key]:
            testimonials[case.key].insert(0, case.testimonial_id)

    urls = {"profile.md": "/"}
    for e in _entities(site):
        urls[e.source.path] = e.url
    for skill in site.skills:  # skills.yaml holds many: link to the list
        if skill.source.path == "skills.yaml":
            urls["skills.yaml"] = "/skills/"
    for module in site.modules:
        urls[module.source.path] = module.url
        urls[module.folder] = module.url
        urls[module.folder + "/"] = module.url
    for asset in site.assets:
        urls[asset] = "/" + asset
    index = SiteIndex(
        evidence={k: tuple(v) for k, v in sorted(evidence.items())},
        by_track={k: tuple(v) for k, v in sorted(by_track.items())},
        tags={k: tuple(v) for k, v in sorted(tags.items())},
        tag_names=dict(sorted(tag_names.items())),
        testimonials={k: tuple(dict.fromkeys(v)) for k, v in testimonials.items()},
        urls=urls,
        entities=entities,
    )
    site = replace(site, index=index)
    check_collisions(site, report)
    return site


def entity_index(site: Site) -> dict[str, Any]:
    """Key -> entity for everything with a page (skills included)."""
    return {e.key: e for e in _entities(site)}


def _check_duplicates(site: Site, report: Report) -> None:
    seen: dict[tuple[str, str], str] = {}
    for kind, items, attr in (("skill", site.skills, "id"), ("testimonial", site.testimonials, "id")):
        for item in items:
            ident = getattr(item, attr)
            key = (kind, ident)
            where = f"{item.source.path}:{item.source.line}"
            if key in seen:
                report.error(f"duplicate {kind} id '{ident}' (also at {seen[key]})",
                             item.source.path, item.source.line)
            else:
                seen[key] = where


def url_owners(site: Site) -> dict[str, list[str]]:
    """Output path -> the sources that would write it."""
    owners: dict[str, list[str]] = defaultdict(list)
    for e in _entities(site):
        if e.kind == "service":
            continue  # services share /services/ by design, one anchor each
        owners[output_path(e.url)].append(e.source.path if e.kind != "skill"
                                          else f"{e.source.path}:{e.source.line}")
    return owners


def check_collisions(site: Site, report: Report) -> None:
    """Two sources, one URL: refused, listing every source and the shared output path."""
    groups: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for path, sources in url_owners(site).items():
        for src in sources:
            groups[collision_key(path)].append((path, src))
    for page in site.pages:
        if page.slug.casefold() in RESERVED_PAGE_SLUGS:
            report.error(f"page slug '{page.slug}' is taken by a built-in section",
                         page.source.path, hint="rename the file or set another `slug:`")
    services = defaultdict(list)
    for svc in site.services:
        services[svc.slug.casefold()].append(svc.source.path)
    for srcs in services.values():
        if len(srcs) > 1:
            report.error(f"services share one anchor: {', '.join(srcs)}", srcs[1])
    for members in groups.values():
        if len(members) > 1:
            listed = ", ".join(src for _, src in members)
            first = members[1][1].split(":")[0]
            report.error(f"{len(members)} files would write {members[0][0]}: {listed}", first,
                         hint="rename one file or give it another `slug:`")
