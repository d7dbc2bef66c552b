"""Seed a new site from a JSON Resume document (jsonresume.org schema).

basics -> profile.md, folio.yaml title/description and one track; work and
projects -> case studies; skills -> skills.yaml; languages -> the profile;
education -> pages/education.md; volunteer, awards, certificates, publications
and interests -> pages/beyond-work.md; references -> testimonials.yaml; email,
phone and website -> pages/contact.md.

Every YAML value is written with the safe dumper (hostile text round-trips),
and every problem in the file is reported at once with its JSON path and line.
"""

from __future__ import annotations

import json
import re
from json import decoder as _json_decoder
from json import scanner as _json_scanner
from pathlib import Path
from typing import Any

from .errors import FolioError, Report
from .frontmatter import decode
from .scaffold import SAMPLE_CONTENT, Seed, ascii_slug, dump_yaml, markdown_file
from .schema import parse_date
from .urls import is_safe_url

__all__ = ["seed_from_resume", "load_resume", "LEVELS"]

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
_RESUME_DATE = re.compile(r"^\d{4}(?:-\d{2}(?:-\d{2})?)?$")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_SPACES = re.compile(r"\s+")


# -- reading JSON with positions ------------------------------------------------

class _Obj(dict):
    """A JSON object that remembers where its `{` is, for error lines."""

    __slots__ = ("start",)


def _parse_json(text: str, path: str) -> Any:
    """json.loads, but objects carry their offset and duplicate keys are errors."""
    dec = json.JSONDecoder()

    def parse_object(s_and_end, strict, scan_once, object_hook, object_pairs_hook, memo=None):
        pairs, end = _json_decoder.JSONObject(s_and_end, strict, scan_once, None, list, memo)
        obj = _Obj()
        obj.start = s_and_end[1] - 1
        for key, value in pairs:
            if key in obj:
                line, col = _line_col(text, obj.start)
                raise FolioError(f"duplicate key {key!r} in a JSON object", path, line, col,
                                 hint="JSON keeps only the last one; remove the other")
            obj[key] = value
        return obj, end

    dec.parse_object = parse_object  # type: ignore[assignment]
    dec.scan_once = _json_scanner.py_make_scanner(dec)  # the Python scanner calls parse_object
    try:
        return dec.decode(text)
    except json.JSONDecodeError as exc:
        raise FolioError(f"invalid JSON: {exc.msg}", path, exc.lineno, exc.colno,
                         hint="a JSON Resume file is one JSON object; check commas and quotes"
                         ) from None
    except RecursionError:
        raise FolioError("invalid JSON: nested too deeply", path, 1, 1) from None


def _line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _clean(value: str) -> str:
    """Text as a person meant it: LF line breaks, no control characters."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    value = value.translate({0x2028: "\n", 0x2029: "\n", 0x85: "\n"})
    return _CONTROL.sub("", value).strip()


def _one_line(value: str) -> str:
    return _SPACES.sub(" ", value).strip()


class _Reader:
    """Typed access to the resume by JSON path; collects every shape error."""

    def __init__(self, text: str, path: str) -> None:
        self.text = text
        self.path = path
        self.report = Report()

    def error(self, where: str, message: str, obj: Any = None, key: str | None = None) -> None:
        line, col = self.position(obj, key)
        self.report.error(f"{where}: {message}", self.path, line, col)

    def position(self, obj: Any, key: str | None) -> tuple[int | None, int | None]:
        if not isinstance(obj, _Obj):
            return None, None
        offset = obj.start
        if key is not None:
            found = self.text.find(json.dumps(key), obj.start)
            offset = found if found >= 0 else offset
        return _line_col(self.text, offset)

    def obj(self, parent: dict, key: str, where: str) -> dict:
        value = parent.get(key)
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.error(where, f"expected an object {{...}}, got {_kind(value)}", parent, key)
            return {}
        return value

    def objects(self, parent: dict, key: str, where: str) -> list[tuple[dict, str]]:
        value = parent.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.error(where, f"expected a list [...], got {_kind(value)}", parent, key)
            return []
        out = []
        for i, item in enumerate(value):
            if isinstance(item, dict):
                out.append((item, f"{where}[{i}]"))
            else:
                self.error(f"{where}[{i}]", f"expected an object {{...}}, got {_kind(item)}",
                           parent, key)
        return out

    def text_of(self, obj: dict, key: str, where: str) -> str:
        value = obj.get(key)
        if value is None:
            return ""
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            self.error(f"{where}.{key}", f"expected text, got {_kind(value)}", obj, key)
            return ""
        return _clean(str(value))

    def texts(self, obj: dict, key: str, where: str) -> list[str]:
        value = obj.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.error(f"{where}.{key}", f"expected a list of text, got {_kind(value)}", obj, key)
            return []
        out = []
        for i, item in enumerate(value):
            if isinstance(item, str) or (isinstance(item, (int, float)) and not isinstance(item, bool)):
                if _clean(str(item)):
                    out.append(_clean(str(item)))
            else:
                self.error(f"{where}.{key}[{i}]", f"expected text, got {_kind(item)}", obj, key)
        return out

    def date(self, obj: dict, key: str, where: str) -> str:
        value = self.text_of(obj, key, where)
        if not value:
            return ""
        try:
            if not _RESUME_DATE.match(value):
                raise ValueError(f"'{value}' is not a date")
            parse_date(value)
        except ValueError as exc:
            self.error(f"{where}.{key}", f"{exc}; JSON Resume dates are YYYY, YYYY-MM or "
                       "YYYY-MM-DD", obj, key)
            return ""
        return value

    def url(self, obj: dict, key: str, where: str, notes: list[str]) -> str:
        value = self.text_of(obj, key, where)
        if value and not (is_safe_url(value) and value.startswith(("http://", "https://"))):
            notes.append(f"{where}.{key}: left out {value!r} (only http and https links are kept)")
            return ""
        return value


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "null"
    return "text"


# -- mapping ------------------------------------------------------------------------

def load_resume(path: Path) -> tuple[dict, _Reader]:
    """Read and parse the file; the top level must be an object."""
    shown = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise FolioError(f"cannot read the resume: {exc.strerror}", shown) from None
    text = decode(data, shown)
    doc = _parse_json(text, shown)
    if not isinstance(doc, dict):
        raise FolioError(f"a JSON Resume is an object {{...}}, this file holds {_kind(doc)}",
                         shown, 1, 1, hint="see https://jsonresume.org/schema")
    return doc, _Reader(text, shown)


def seed_from_resume(path: Path) -> Seed:
    """The content of a new site made from a JSON Resume. Raises FolioError."""
    doc, r = load_resume(path)
    notes: list[str] = []
    basics = r.obj(doc, "basics", "basics")
    name = _one_line(r.text_of(basics, "name", "basics"))
    if not name:
        r.error("basics.name", "missing; folio needs a name for profile.md",
                basics if basics else doc, None if basics else "basics")
    label = _one_line(r.text_of(basics, "label", "basics"))
    track = {"id": ascii_slug(label, "work"), "title": label or "Work"}
    tracks = [track["id"]]

    skills, skill_ids = _skills(doc, r, tracks, notes)
    files: dict[str, str] = {}
    for item, where in r.objects(doc, "work", "work"):
        _add_case_study(files, _work(item, where, r, notes, tracks))
    for item, where in r.objects(doc, "projects", "projects"):
        _add_case_study(files, _project(item, where, r, notes, tracks, skill_ids))
    files["profile.md"] = _profile(basics, doc, r, name, notes)
    files["skills.yaml"] = ("# Seeded from the résumé. level is one of: learning, working, "
                            "advanced, expert.\n" + (dump_yaml(skills) if skills else "[]\n"))
    files["pages/contact.md"] = _contact(basics, r, notes)
    for rel, text in (("pages/education.md", _education(doc, r, notes)),
                      ("pages/beyond-work.md", _beyond_work(doc, r, notes))):
        if text:
            files[rel] = text
    testimonials = _references(doc, r, notes)
    if testimonials:
        files["testimonials.yaml"] = "# From the references in the résumé.\n" + dump_yaml(testimonials)
    if r.text_of(basics, "image", "basics"):
        notes.append("basics.image: put your photo under assets/ and name it in profile.md "
                     "(`photo: assets/you.jpg`)")
    r.report.raise_if_errors()

    summary = r.text_of(basics, "summary", "basics")
    description = _first_sentence(summary) or label or f"The portfolio of {name}."
    return Seed(title=name, description=description, tracks=(track,), files=files,
                drop=SAMPLE_CONTENT, notes=notes)


def _first_sentence(text: str) -> str:
    flat = _one_line(text)
    match = re.match(r"^(.{20,240}?[.!?])(?:\s|$)", flat)
    return match.group(1) if match else flat[:240]


def _unique(slug: str, used: set[str]) -> str:
    candidate, n = slug, 2
    while candidate in used:
        candidate, n = f"{slug}-{n}", n + 1
    used.add(candidate)
    return candidate


def _skills(doc: dict, r: _Reader, tracks: list[str], notes: list[str]):
    """skills -> skills.yaml entries, and a lookup from names/keywords to ids."""
    out: list[dict] = []
    lookup: dict[str, str] = {}
    used: set[str] = set()
    for item, where in r.objects(doc, "skills", "skills"):
        name = _one_line(r.text_of(item, "name", where))
        keywords = [_one_line(k) for k in r.texts(item, "keywords", where)]
        level_text = _one_line(r.text_of(item, "level", where))
        if not name:
            if not keywords:
                notes.append(f"{where}: left out a skill without a name")
                continue
            name = keywords[0]
        skill_id = _unique(ascii_slug(name, f"skill-{len(out) + 1}"), used)
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


def _dates(meta: dict, item: dict, where: str, r: _Reader) -> None:
    start = r.date(item, "startDate", where)
    end = r.date(item, "endDate", where)
    if start:
        meta["start"] = start
    if end:
        meta["end"] = end


def _work(item: dict, where: str, r: _Reader, notes: list[str], tracks: list[str]) -> dict:
    client = _one_line(r.text_of(item, "name", where) or r.text_of(item, "company", where))
    position = _one_line(r.text_of(item, "position", where))
    title = ", ".join(p for p in (position, client) if p) or f"Work {where}"
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
    location = _one_line(r.text_of(item, "location", where))
    if description:
        body.append(description)
    if location:
        body.append(f"Location: {location}")
    return {"slug": ascii_slug(f"{client} {position}", "work"), "meta": meta,
            "body": "\n\n".join(body)}


def _project(item: dict, where: str, r: _Reader, notes: list[str], tracks: list[str],
             skill_ids: dict[str, str]) -> dict:
    name = _one_line(r.text_of(item, "name", where))
    meta: dict[str, Any] = {"title": name or f"Project {where}"}
    description = r.text_of(item, "description", where)
    if description:
        meta["summary"] = description
    entity = _one_line(r.text_of(item, "entity", where))
    if entity:
        meta["client"] = entity
    roles = [_one_line(x) for x in r.texts(item, "roles", where)]
    if roles:
        meta["role"] = ", ".join(roles)
    _dates(meta, item, where, r)
    meta["tracks"] = list(tracks)
    keywords = [_one_line(k) for k in r.texts(item, "keywords", where)]
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
    kind = _one_line(r.text_of(item, "type", where))
    if kind:
        body.append(f"Type: {kind}")
    if keywords:
        body.append("Keywords: " + ", ".join(keywords))
    return {"slug": ascii_slug(name, "project"), "meta": meta, "body": "\n\n".join(body)}


def _add_case_study(files: dict[str, str], study: dict) -> None:
    used = {p[len("case-studies/"):-3] for p in files if p.startswith("case-studies/")}
    slug = _unique(study["slug"], used)
    files[f"case-studies/{slug}.md"] = markdown_file(study["meta"], study["body"])


def _profile(basics: dict, doc: dict, r: _Reader, name: str, notes: list[str]) -> str:
    meta: dict[str, Any] = {"name": name}
    label = _one_line(r.text_of(basics, "label", "basics"))
    if label:
        meta["headline"] = label
    location = _location(basics, r)
    if location:
        meta["location"] = location
    email = _one_line(r.text_of(basics, "email", "basics"))
    if email:
        meta["email"] = email
    links = []
    url = r.url(basics, "url", "basics", notes)
    if url:
        links.append({"label": "Website", "url": url})
    for item, where in r.objects(basics, "profiles", "basics.profiles"):
        network = _one_line(r.text_of(item, "network", where))
        link = r.url(item, "url", where, notes)
        if link:
            links.append({"label": network or "Profile", "url": link})
    if links:
        meta["links"] = links
    languages = []
    for item, where in r.objects(doc, "languages", "languages"):
        language = _one_line(r.text_of(item, "language", where))
        fluency = _one_line(r.text_of(item, "fluency", where))
        if language:
            languages.append(f"{language} ({fluency})" if fluency else language)
    if languages:
        meta["languages"] = languages
    bio = r.text_of(basics, "summary", "basics")
    return markdown_file(meta, bio or "Write your bio here, in Markdown.")


def _location(basics: dict, r: _Reader) -> str:
    value = basics.get("location")
    if isinstance(value, str):  # older resumes wrote the location as text
        return _one_line(_clean(value))
    loc = r.obj(basics, "location", "basics.location")
    parts = [_one_line(r.text_of(loc, k, "basics.location"))
             for k in ("city", "region", "countryCode")]
    return ", ".join(dict.fromkeys(p for p in parts if p))


def _autolink(url: str) -> str:
    return f"<{url}>" if url and not re.search(r"[\s<>]", url) else ""


def _contact(basics: dict, r: _Reader, notes: list[str]) -> str:
    lines = []
    email = _one_line(r.text_of(basics, "email", "basics"))
    if email and re.fullmatch(r"[^\s<>()\[\]]+@[^\s<>()\[\]]+", email):
        lines.append(f"- Email: <{email}>")
    phone = _one_line(r.text_of(basics, "phone", "basics"))
    digits = re.sub(r"[^\d+]", "", phone)
    if phone and digits:
        lines.append(f"- Phone: [{_escape_label(phone)}](tel:{digits})")
    url = r.url(basics, "url", "basics", [])
    if _autolink(url):
        lines.append(f"- Website: {_autolink(url)}")
    location = _location(basics, r)
    if location:
        lines.append(f"- Based in {location}")
    body = "\n".join(lines) or "Say how clients can reach you."
    return markdown_file({"title": "Contact", "summary": "How to reach me about a project.",
                          "menu": 1}, body)


def _escape_label(text: str) -> str:
    return re.sub(r"([\\\[\]`*_<>])", r"\\\1", text)


def _span(item: dict, where: str, r: _Reader, start: str = "startDate", end: str = "endDate") -> str:
    first, last = r.date(item, start, where), r.date(item, end, where)
    if first and last:
        return f"{first} – {last}"
    if first:
        return f"{first} – present"
    return last


def _education(doc: dict, r: _Reader, notes: list[str]) -> str:
    parts = []
    for item, where in r.objects(doc, "education", "education"):
        study = _one_line(r.text_of(item, "studyType", where))
        area = _one_line(r.text_of(item, "area", where))
        institution = _one_line(r.text_of(item, "institution", where))
        heading = " in ".join(p for p in (study, area) if p) or institution or "Studies"
        lines = [f"## {heading}"]
        facts = [p for p in (institution if heading != institution else "", _span(item, where, r))
                 if p]
        if facts:
            lines.append(", ".join(facts))
        score = _one_line(r.text_of(item, "score", where))
        if score:
            lines.append(f"Result: {score}")
        link = _autolink(r.url(item, "url", where, notes))
        if link:
            lines.append(link)
        courses = r.texts(item, "courses", where)
        if courses:
            lines.append("\n".join(f"- {_one_line(c)}" for c in courses))
        parts.append("\n\n".join(lines))
    if not parts:
        return ""
    return markdown_file({"title": "Education", "summary": "Degrees, courses and training.",
                          "menu": 2}, "\n\n".join(parts))


def _beyond_work(doc: dict, r: _Reader, notes: list[str]) -> str:
    sections: list[tuple[str, list[str]]] = []
    volunteer = []
    for item, where in r.objects(doc, "volunteer", "volunteer"):
        org = _one_line(r.text_of(item, "organization", where))
        position = _one_line(r.text_of(item, "position", where))
        lines = ["### " + (", ".join(p for p in (position, org) if p) or "Volunteering")]
        span = _span(item, where, r)
        if span:
            lines.append(span)
        summary = r.text_of(item, "summary", where)
        if summary:
            lines.append(summary)
        highlights = r.texts(item, "highlights", where)
        if highlights:
            lines.append("\n".join(f"- {_one_line(h)}" for h in highlights))
        link = _autolink(r.url(item, "url", where, notes))
        if link:
            lines.append(link)
        volunteer.append("\n\n".join(lines))
    if volunteer:
        sections.append(("Volunteering", volunteer))
    awards = [_entry(r, item, where, "title", ("awarder", "date"), "summary", None, notes)
              for item, where in r.objects(doc, "awards", "awards")]
    if awards:
        sections.append(("Awards", ["\n".join(awards)]))
    certificates = [_entry(r, item, where, "name", ("issuer", "date"), None, "url", notes)
                    for item, where in r.objects(doc, "certificates", "certificates")]
    if certificates:
        sections.append(("Certificates", ["\n".join(certificates)]))
    publications = [_entry(r, item, where, "name", ("publisher", "releaseDate"), "summary", "url",
                           notes) for item, where in r.objects(doc, "publications", "publications")]
    if publications:
        sections.append(("Publications", ["\n".join(publications)]))
    interests = []
    for item, where in r.objects(doc, "interests", "interests"):
        name = _one_line(r.text_of(item, "name", where))
        keywords = ", ".join(_one_line(k) for k in r.texts(item, "keywords", where))
        if name or keywords:
            interests.append(f"- **{_escape_label(name or 'Interests')}**"
                             + (f": {keywords}" if keywords else ""))
    if interests:
        sections.append(("Interests", ["\n".join(interests)]))
    if not sections:
        return ""
    body = "\n\n".join(f"## {heading}\n\n" + "\n\n".join(blocks) for heading, blocks in sections)
    return markdown_file({"title": "Beyond work", "menu": 3,
                          "summary": "Volunteering, awards, publications and interests."}, body)


def _entry(r: _Reader, item: dict, where: str, title_key: str, fact_keys: tuple[str, ...],
           summary_key: str | None, url_key: str | None, notes: list[str]) -> str:
    """One list item: **Title**, facts. Summary. <url>"""
    title = _one_line(r.text_of(item, title_key, where)) or "Untitled"
    facts = []
    for key in fact_keys:
        value = r.date(item, key, where) if key.endswith(("date", "Date")) else \
            _one_line(r.text_of(item, key, where))
        if value:
            facts.append(value)
    line = f"- **{_escape_label(title)}**" + (f", {', '.join(facts)}" if facts else "")
    if summary_key:
        summary = _one_line(r.text_of(item, summary_key, where))
        if summary:
            line += f". {summary}"
    if url_key:
        link = _autolink(r.url(item, url_key, where, notes))
        if link:
            line += f" {link}"
    return line


def _references(doc: dict, r: _Reader, notes: list[str]) -> list[dict]:
    out, used = [], set()
    for item, where in r.objects(doc, "references", "references"):
        name = _one_line(r.text_of(item, "name", where))
        quote = r.text_of(item, "reference", where)
        if not (name and quote):
            notes.append(f"{where}: left out a reference without a name or text")
            continue
        ident = _unique(ascii_slug(name, f"reference-{len(out) + 1}"), used)
        out.append({"id": ident, "quote": quote, "author": name})
    return out
