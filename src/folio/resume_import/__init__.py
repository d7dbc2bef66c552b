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

from pathlib import Path

from ..scaffold import SAMPLE_CONTENT, Seed, ascii_slug, dump_yaml
from .content import (
    LEVELS,
    add_case_study,
    first_sentence,
    profile,
    project,
    skills,
    work,
)
from .pages import beyond_work, contact, education, references
from .reader import load_resume, one_line

__all__ = ["LEVELS", "load_resume", "seed_from_resume"]


def seed_from_resume(path: Path) -> Seed:
    """The content of a new site made from a JSON Resume. Raises FolioError."""
    doc, r = load_resume(path)
    notes: list[str] = []
    basics = r.obj(doc, "basics", "basics")
    name = one_line(r.text_of(basics, "name", "basics"))
    if not name:
        r.error("basics.name", "missing; folio needs a name for profile.md",
                basics if basics else doc, None if basics else "basics")
    label = one_line(r.text_of(basics, "label", "basics"))
    track = {"id": ascii_slug(label, "work"), "title": label or "Work"}
    tracks = [track["id"]]

    skill_list, skill_ids = skills(doc, r, tracks, notes)
    files: dict[str, str] = {}
    for item, where in r.objects(doc, "work", "work"):
        add_case_study(files, work(item, where, r, notes, tracks))
    for item, where in r.objects(doc, "projects", "projects"):
        add_case_study(files, project(item, where, r, notes, tracks, skill_ids))
    files["profile.md"] = profile(basics, doc, r, name, notes)
    files["skills.yaml"] = ("# Seeded from the résumé. level is one of: learning, working, "
                            "advanced, expert.\n" + (dump_yaml(skill_list) if skill_list else "[]\n"))
    files["pages/contact.md"] = contact(basics, r, notes)
    for rel, text in (("pages/education.md", education(doc, r, notes)),
                      ("pages/beyond-work.md", beyond_work(doc, r, notes))):
        if text:
            files[rel] = text
    testimonials = references(doc, r, notes)
    if testimonials:
        files["testimonials.yaml"] = "# From the references in the résumé.\n" + dump_yaml(testimonials)
    if r.text_of(basics, "image", "basics"):
        notes.append("basics.image: put your photo under assets/ and name it in profile.md "
                     "(`photo: assets/you.jpg`)")
    r.report.raise_if_errors()

    summary = r.text_of(basics, "summary", "basics")
    description = first_sentence(summary) or label or f"The portfolio of {name}."
    return Seed(title=name, description=description, tracks=(track,), files=files,
                drop=SAMPLE_CONTENT, notes=notes)

