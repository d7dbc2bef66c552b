"""Resume sections that become content: the profile, case studies and skills."""

from __future__ import annotations

import re
from typing import Any

from ..scaffold import ascii_slug, markdown_file
from .reader import Reader, clean, one_line

__all__ = ["LEVELS", "add_case_study", "first_sentence", "location", "profile", "project",
           "skills", "unique", "work"]

# JSON Resume levels are free text; these words map onto folio's four levels.
LEVELS = {
    "learning": ("learning", "beginner", "novice", "basic", "elementary", "junior", "familiar",
                 "entry", "entry level", "a1", "a2"),
    "working": ("working", "intermediate", "competent", "proficient", "good", "conversational",
                "practitioner", "b1", "b2", "mid", "mid-level"),
    "advanced": ("advanced", "senior", "experienced", "strong", "very good", "fluent",
                 "professional", "c1"),
    "expert": ("expert", "master", "mastery", "native", "excellent", "guru", "lead", "principal",
               "c2"),
}
_LEVEL_OF = {word: level for level, words in LEVELS.items() for word in words}


def first_sentence(text: str) -> str:
    flat = one_line(text)
    match = re.match(r"^(.{20,240}?[.!?])(?:\s|$)", flat)
    return match.group(1) if match else flat[:240]


def unique(slug: str, used: set[str]) -> str:
    candidate, n = slug, 2
    while candidate in used:
        candidate, n = f"{slug}-{n}", n + 1
    used.add(candidate)
    return candidate


def skills(doc: dict, r: Reader, tracks: list[str], notes: list[str]):
    """skills -> skills.yaml entries, and a lookup from names/keywords to ids."""
    out: list[dict] = []
    lookup: dict[str, str] = {}
    used: set[str] = set()
    for item, where in r.objects(doc, "skills", "skills"):
        name = one_line(r.text_of(item, "name", where))
        keywords = [one_line(k) for k in r.texts(item, "keywords", where)]
        level_text = one_line(r.text_of(item, "level", where))
        if not name:
            if not keywords:
                notes.append(f"{where}: left out a skill without a name")
                continue
            name = keywords[0]
        skill_id = unique(ascii_slug(name, f"skill-{len(out) + 1}"), used)
        entry: dict[str, Any] = {"id": skill_id, "name": name}
        level = _LEVEL_OF.get(level_text.lower())
        if level:
            entry["level"] = level
        elif level_text:
            notes.append(f"{where}.level: {level_text!r} is not one of learning, working, "
                         "advanced, expert; it was left out")
        entry["tracks"] = list(tracks)
        if keywords:
            entry["description"] = ", ".join(keywords)
        out.append(entry)
        for word in (name, *keywords):
            lookup.setdefault(ascii_slug(word, ""), skill_id)
    lookup.pop("", None)
    return out, lookup


def _dates(meta: dict, item: dict, where: str, r: Reader) -> None:
    start = r.date(item, "startDate", where)
    end = r.date(item, "endDate", where)
    if start:
        meta["start"] = start
    if end:
        meta["end"] = end


def work(item: dict, where: str, r: Reader, notes: list[str], tracks: list[str]) -> dict:
    client = one_line(r.text_of(item, "name", where) or r.text_of(item, "company", where))
    position = one_line(r.text_of(item, "position", where))
    title = ", ".join(p for p in (position, client) if p) or "Untitled work"
    meta: dict[str, Any] = {"title": title}
    summary = r.text_of(item, "summary", where)
    if summary:
        meta["summary"] = summary
    if client:
        meta["client"] = client
    if position:
        meta["role"] = position
    _dates(meta, item, where, r)
    meta["tracks"] = list(tracks)
    outcomes = r.texts(item, "highlights", where)
    if outcomes:
        meta["outcomes"] = outcomes
    url = r.url(item, "url", where, notes)
    if url:
        meta["links"] = [{"label": client or "Website", "url": url}]
    body = []
    description = r.text_of(item, "description", where)
    place = one_line(r.text_of(item, "location", where))
    if description:
        body.append(description)
    if place:
        body.append(f"Location: {place}")
    return {"slug": ascii_slug(f"{client} {position}", "work"), "meta": meta,
            "body": "\n\n".join(body)}


def project(item: dict, where: str, r: Reader, notes: list[str], tracks: list[str],
            skill_ids: dict[str, str]) -> dict:
    name = one_line(r.text_of(item, "name", where))
    meta: dict[str, Any] = {"title": name or "Untitled project"}
    description = r.text_of(item, "description", where)
    if description:
        meta["summary"] = description
    entity = one_line(r.text_of(item, "entity", where))
    if entity:
        meta["client"] = entity
    roles = [one_line(x) for x in r.texts(item, "roles", where)]
    if roles:
        meta["role"] = ", ".join(roles)
    _dates(meta, item, where, r)
    meta["tracks"] = list(tracks)
    keywords = [one_line(k) for k in r.texts(item, "keywords", where)]
    named = [skill_ids[s] for s in (ascii_slug(k, "") for k in keywords) if s in skill_ids]
    if named:
        meta["skills"] = list(dict.fromkeys(named))
    outcomes = r.texts(item, "highlights", where)
    if outcomes:
        meta["outcomes"] = outcomes
    url = r.url(item, "url", where, notes)
    if url:
        meta["links"] = [{"label": name or "Project", "url": url}]
    body = []
    kind = one_line(r.text_of(item, "type", where))
    if kind:
        body.append(f"Type: {kind}")
    if keywords:
        body.append("Keywords: " + ", ".join(keywords))
    return {"slug": ascii_slug(name, "project"), "meta": meta, "body": "\n\n".join(body)}


def add_case_study(files: dict[str, str], study: dict) -> None:
    used = {p[len("case-studies/"):-3] for p in files if p.startswith("case-studies/")}
    slug = unique(study["slug"], used)
    files[f"case-studies/{slug}.md"] = markdown_file(study["meta"], study["body"])


def profile(basics: dict, doc: dict, r: Reader, name: str, notes: list[str]) -> str:
    meta: dict[str, Any] = {"name": name}
    label = one_line(r.text_of(basics, "label", "basics"))
    if label:
        meta["headline"] = label
    place = location(basics, r)
    if place:
        meta["location"] = place
    email = one_line(r.text_of(basics, "email", "basics"))
    if email:
        meta["email"] = email
    links = []
    url = r.url(basics, "url", "basics", notes)
    if url:
        links.append({"label": "Website", "url": url})
    for item, where in r.objects(basics, "profiles", "basics.profiles"):
        network = one_line(r.text_of(item, "network", where))
        link = r.url(item, "url", where, notes)
        if link:
            links.append({"label": network or "Profile", "url": link})
    if links:
        meta["links"] = links
    languages = []
    for item, where in r.objects(doc, "languages", "languages"):
        language = one_line(r.text_of(item, "language", where))
        fluency = one_line(r.text_of(item, "fluency", where))
        if language:
            languages.append(f"{language} ({fluency})" if fluency else language)
    if languages:
        meta["languages"] = languages
    bio = r.text_of(basics, "summary", "basics")
    return markdown_file(meta, bio or "Write your bio here, in Markdown.")


def location(basics: dict, r: Reader) -> str:
    value = basics.get("location")
    if isinstance(value, str):  # older resumes wrote the location as text
        return one_line(clean(value))
    loc = r.obj(basics, "location", "basics.location")
    parts = [one_line(r.text_of(loc, k, "basics.location"))
             for k in ("city", "region", "countryCode")]
    return ", ".join(dict.fromkeys(p for p in parts if p))

