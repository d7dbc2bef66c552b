"""The site as a JSON Resume document (https://jsonresume.org/schema, v1.0.0).

`/resume.json` holds the whole person; `/tracks/<id>/resume.json` only one
micro-career (its case studies, skills and the testimonials about them), for a
client who hires for that one thing. Mapping decisions:

- work: one entry per case study (name = client, or the title when there is
  none; position = role; highlights = outcomes; url = the case study page).
- projects: the learning modules (type "learning module").
- publications: the posts (publisher = the site).
- skills: grouped by category; keywords are the skill names.
- references: testimonials.
Every value is a plain str/list/dict, dates are `YYYY`, `YYYY-MM` or
`YYYY-MM-DD` (the schema's iso8601 pattern), and empty fields are left out.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from .jsonld import absolute_url
from .model import CaseStudy, Site, Testimonial

__all__ = ["json_resume", "SCHEMA_URL"]

SCHEMA_URL = "https://raw.githubusercontent.com/jsonresume/resume-schema/v1.0.0/schema.json"
_LANGUAGE = re.compile(r"^\s*(?P<language>[^()]+?)\s*\((?P<fluency>[^()]+)\)\s*$")


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v not in (None, "", [], {})}


def _location(text: str) -> dict[str, str]:
    """"Lisbon, Portugal" -> city Lisbon, region Portugal (the schema has no free-text field)."""
    if not text:
        return {}
    city, _, rest = text.partition(",")
    return _clean({"city": city.strip(), "region": rest.strip()})


def _profiles(site: Site) -> list[dict[str, str]]:
    profiles = []
    for link in site.profile.links:
        if not link.url.startswith(("http://", "https://")):
            continue  # mailto: and the like are not social profiles
        path = urlsplit(link.url).path.strip("/")
        username = path.rsplit("/", 1)[-1].lstrip("@") if path else ""
        profiles.append(_clean({"network": link.label, "username": username, "url": link.url}))
    return profiles


def _languages(site: Site) -> list[dict[str, str]]:
    out = []
    for text in site.profile.languages:
        m = _LANGUAGE.match(text)
        out.append({"language": m["language"], "fluency": m["fluency"]} if m
                   else {"language": text.strip()})
    return out


def _skill_names(site: Site, ids: tuple[str, ...]) -> list[str]:
    names = []
    for sid in ids:
        try:
            names.append(site.skill(sid).name)
        except KeyError:
            continue
    return names


def _work(site: Site, cs: CaseStudy) -> dict[str, Any]:
    return _clean({
        "name": cs.client or cs.title, "position": cs.role,
        "description": cs.title if cs.client else "",
        "url": absolute_url(site, cs.url),
        "startDate": cs.start.iso() if cs.start else None,
        "endDate": cs.end.iso() if cs.end else None,
        "summary": cs.summary, "highlights": list(cs.outcomes),
        "keywords": _skill_names(site, cs.skills),
    })


def _skills(skills: tuple[Any, ...]) -> list[dict[str, Any]]:
    groups: dict[str, list[str]] = {}
    for skill in skills:  # site order: by category, then name
        groups.setdefault(skill.category, []).append(skill.name)
    named = [c for c in groups if c]
    out = [{"name": c, "keywords": groups[c]} for c in named]
    if "" in groups:
        out.append({"name": "Other skills" if named else "Skills", "keywords": groups[""]})
    return out


def _reference(t: Testimonial) -> dict[str, str]:
    who = ", ".join(x for x in (t.author, t.role, t.company) if x)
    return {"name": who, "reference": t.quote}


def _references(site: Site, cases: tuple[CaseStudy, ...], whole_site: bool) -> list[dict]:
    seen: set[tuple[str, str]] = set()
    found: list[Testimonial] = []
    pool = [t for cs in cases for t in site.testimonials_for(cs)]
    if whole_site:
        pool += list(site.testimonials)
    for t in pool:
        key = (t.author, t.quote)
        if key not in seen:
            seen.add(key)
            found.append(t)
    return [_reference(t) for t in found]


def json_resume(site: Site, track_id: str | None = None,
                rendered: Any = None) -> dict[str, Any]:
    """The JSON Resume for the whole site, or for one track (KeyError if unknown).

    `rendered` (entity key -> folio.markdown.Rendered) gives the bio as plain
    text; without it the Markdown source of profile.md is used.
    """
    prof = site.profile
    if track_id is None:
        cases = site.case_studies
        skills = site.skills
        modules = site.modules
        posts = site.posts
        label = prof.headline
        canonical = absolute_url(site, "/resume.json")
    else:
        track = next((t for t in site.config.tracks if t.id == track_id), None)
        if track is None:
            raise KeyError(track_id)
        keys = {e.key for e in site.in_track(track_id)}  # kept in the site's display order
        cases = tuple(c for c in site.case_studies if c.key in keys)
        skills = tuple(s for s in site.skills if s.key in keys)
        modules = tuple(m for m in site.modules if m.key in keys)
        posts = tuple(p for p in site.posts if p.key in keys)
        label = track.title
        canonical = absolute_url(site, f"/tracks/{track_id}/resume.json")
    bio = rendered.get("profile.md") if rendered is not None else None
    summary = (bio.text if bio is not None else prof.body.text).strip()
    newest = max((d for cs in cases for d in (cs.date, cs.end, cs.start) if d is not None),
                 default=None, key=lambda d: d.sort_key)  # PartialDate's < fails on None parts
    return _clean({
        "$schema": SCHEMA_URL,
        "basics": _clean({
            "name": prof.name, "label": label,
            "image": absolute_url(site, "/" + prof.photo.src) if prof.photo else None,
            "email": prof.email, "url": site.config.base_url, "summary": summary,
            "location": _location(prof.location), "profiles": _profiles(site),
        }),
        "work": [_work(site, cs) for cs in cases],
        "projects": [_clean({
            "name": m.title, "description": m.summary, "url": absolute_url(site, m.url),
            "highlights": list(m.objectives), "keywords": _skill_names(site, m.skills),
            "roles": ["author"], "entity": site.config.title, "type": "learning module",
        }) for m in modules],
        "publications": [_clean({
            "name": p.title, "publisher": site.config.title, "releaseDate": p.date.iso(),
            "url": absolute_url(site, p.url), "summary": p.summary,
        }) for p in posts],
        "skills": _skills(skills),
        "languages": _languages(site),
        "references": _references(site, cases, whole_site=track_id is None),
        "meta": _clean({"canonical": canonical, "version": "v1.0.0",
                        "lastModified": newest.iso() if newest else None}),
    })
