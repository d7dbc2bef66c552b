"""Resume sections that become free pages and testimonials.

The Markdown bodies are built from resume text, so every value that must stay
on one line is squeezed onto one, and links are written as autolinks only
when the URL is safe and has no characters that would end the link early.
"""

from __future__ import annotations

import re

from ..scaffold import ascii_slug, markdown_file
from .content import location, unique
from .reader import Reader, one_line

__all__ = ["beyond_work", "contact", "education", "references"]


def _autolink(url: str) -> str:
    return f"<{url}>" if url and not re.search(r"[\s<>]", url) else ""


def contact(basics: dict, r: Reader, notes: list[str]) -> str:
    lines = []
    email = one_line(r.text_of(basics, "email", "basics"))
    if email and re.fullmatch(r"[^\s<>()\[\]]+@[^\s<>()\[\]]+", email):
        lines.append(f"- Email: <{email}>")
    phone = one_line(r.text_of(basics, "phone", "basics"))
    digits = re.sub(r"[^\d+]", "", phone)
    if phone and digits:
        lines.append(f"- Phone: [{_escape_label(phone)}](tel:{digits})")
    url = r.url(basics, "url", "basics", [])
    if _autolink(url):
        lines.append(f"- Website: {_autolink(url)}")
    place = location(basics, r)
    if place:
        lines.append(f"- Based in {place}")
    body = "\n".join(lines) or "Say how clients can reach you."
    return markdown_file({"title": "Contact", "summary": "How to reach me about a project.",
                          "menu": 1}, body)


def _escape_label(text: str) -> str:
    return re.sub(r"([\\\[\]`*_<>])", r"\\\1", text)


_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")


def _readable(iso: str) -> str:
    """`2020-05` -> `May 2020`, `2023-11-15` -> `15 November 2023` (already validated)."""
    parts = iso.split("-")
    if len(parts) == 1:
        return iso
    month = _MONTHS[int(parts[1]) - 1]
    return f"{month} {parts[0]}" if len(parts) == 2 else f"{int(parts[2])} {month} {parts[0]}"


def _date(r: Reader, item: dict, key: str, where: str) -> str:
    value = r.date(item, key, where)
    return _readable(value) if value else ""


def _span(item: dict, where: str, r: Reader, start: str = "startDate", end: str = "endDate") -> str:
    first, last = _date(r, item, start, where), _date(r, item, end, where)
    if first and last:
        return f"{first} – {last}"
    if first:
        return f"{first} – present"
    return last


def education(doc: dict, r: Reader, notes: list[str]) -> str:
    parts = []
    for item, where in r.objects(doc, "education", "education"):
        study = one_line(r.text_of(item, "studyType", where))
        area = one_line(r.text_of(item, "area", where))
        institution = one_line(r.text_of(item, "institution", where))
        heading = " in ".join(p for p in (study, area) if p) or institution or "Studies"
        lines = [f"## {heading}"]
        facts = [p for p in (institution if heading != institution else "", _span(item, where, r))
                 if p]
        if facts:
            lines.append(", ".join(facts))
        score = one_line(r.text_of(item, "score", where))
        if score:
            lines.append(f"Result: {score}")
        link = _autolink(r.url(item, "url", where, notes))
        if link:
            lines.append(link)
        courses = r.texts(item, "courses", where)
        if courses:
            lines.append("\n".join(f"- {one_line(c)}" for c in courses))
        parts.append("\n\n".join(lines))
    if not parts:
        return ""
    return markdown_file({"title": "Education", "summary": "Degrees, courses and training.",
                          "menu": 2}, "\n\n".join(parts))


def beyond_work(doc: dict, r: Reader, notes: list[str]) -> str:
    sections: list[tuple[str, list[str]]] = []
    volunteer = []
    for item, where in r.objects(doc, "volunteer", "volunteer"):
        org = one_line(r.text_of(item, "organization", where))
        position = one_line(r.text_of(item, "position", where))
        lines = ["### " + (", ".join(p for p in (position, org) if p) or "Volunteering")]
        span = _span(item, where, r)
        if span:
            lines.append(span)
        summary = r.text_of(item, "summary", where)
        if summary:
            lines.append(summary)
        highlights = r.texts(item, "highlights", where)
        if highlights:
            lines.append("\n".join(f"- {one_line(h)}" for h in highlights))
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
        name = one_line(r.text_of(item, "name", where))
        keywords = ", ".join(one_line(k) for k in r.texts(item, "keywords", where))
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


def _entry(r: Reader, item: dict, where: str, title_key: str, fact_keys: tuple[str, ...],
           summary_key: str | None, url_key: str | None, notes: list[str]) -> str:
    """One list item: **Title**, facts. Summary. <url>"""
    title = one_line(r.text_of(item, title_key, where)) or "Untitled"
    facts = []
    for key in fact_keys:
        value = _date(r, item, key, where) if key.endswith(("date", "Date")) else \
            one_line(r.text_of(item, key, where))
        if value:
            facts.append(value)
    line = f"- **{_escape_label(title)}**" + (f", {', '.join(facts)}" if facts else "")
    if summary_key:
        summary = one_line(r.text_of(item, summary_key, where))
        if summary:
            line += f". {summary}"
    if url_key:
        link = _autolink(r.url(item, url_key, where, notes))
        if link:
            line += f" {link}"
    return line


def references(doc: dict, r: Reader, notes: list[str]) -> list[dict]:
    out, used = [], set()
    for item, where in r.objects(doc, "references", "references"):
        name = one_line(r.text_of(item, "name", where))
        quote = r.text_of(item, "reference", where)
        if not (name and quote):
            notes.append(f"{where}: left out a reference without a name or text")
            continue
        ident = unique(ascii_slug(name, f"reference-{len(out) + 1}"), used)
        out.append({"id": ident, "quote": quote, "author": name})
    return out

