"""modules/<slug>/module.yaml + lesson files -> a Module with its Lessons.

A module is a short course (SPEC §1). Lessons are listed in `lessons:` or,
by default, are the folder's Markdown files sorted by name. An `origin:`
mapping marks a module imported from another site: its content is untrusted.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from . import model as m
from .errors import FolioError
from .frontmatter import decode
from .schema import Fields
from .urls import check_slug, file_slug, lesson_url, module_url
from .yamlload import load_yaml

if TYPE_CHECKING:  # pragma: no cover
    from .load import _Loader

MODULE_FIELDS = ("title", "summary", "level", "duration", "audience", "objectives",
                 "prerequisites", "skills", "tracks", "license", "authors", "version", "lessons",
                 "cover", "origin", "price", "draft", "slug", "description")
LESSON_FIELDS = ("title", "duration", "objectives", "quiz", "draft", "slug", "summary",
                 "description")
QUIZ_FIELDS = ("question", "choices", "answer", "explain")


def load_module(loader: _Loader, folder: str, profile: m.Profile,
                files: dict[str, bytes]) -> m.Module | None:
    rel = f"modules/{folder}/module.yaml"
    report = loader.report
    if rel not in files:
        report.error(f"module folder modules/{folder}/ has no module.yaml", f"modules/{folder}",
                     hint="add module.yaml with at least `title:`")
        return None
    try:
        data = load_yaml(decode(files[rel], rel), rel)
    except FolioError as exc:
        report.add(exc)
        return None
    if not isinstance(data, dict):
        report.error("module.yaml must be a mapping of fields", rel, 1, 1)
        return None
    f = loader.fields(data, rel, MODULE_FIELDS)
    slug = file_slug(folder)
    if f.has("slug"):
        try:
            slug = check_slug(f.text("slug"), rel, f.line("slug"), f.where("slug").col)
        except FolioError as exc:
            report.add(exc)
    lessons = _lessons(loader, f, folder, slug, files)
    origin = _origin(loader, data.get("origin"), rel, f)
    module = m.Module(
        slug=slug, title=f.text("title", required=True), url=module_url(slug),
        source=m.Source(rel), summary=f.text("summary") or f.text("description"),
        level=f.text("level"), duration=f.duration("duration"), audience=f.text("audience"),
        objectives=f.texts("objectives"), prerequisites=f.texts("prerequisites"),
        skills=f.ids("skills", "skill"), tracks=f.ids("tracks", "track"),
        license=f.text("license", default="CC-BY-4.0") or "CC-BY-4.0",
        authors=f.authors("authors") or (origin.authors if origin and origin.authors else None)
        or (m.Author(profile.name),), version=_version(f),
        price=f.text("price"), cover=f.image("cover"), lessons=lessons,
        origin=origin, draft=f.boolean("draft"),
        extra=f.extra(),
    )
    if module.draft and not loader.drafts:
        loader.hidden.add(("module", slug))
        return None
    return module


def _version(f: Fields) -> str:
    value = f.data.get("version")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        mark = f.where("version")
        f._error("version", f"'version' must be text, got a number from `{mark.raw}`",
                 f'quote it: version: "{mark.raw}"')
        return ""
    return f.text("version")


def _origin(loader: _Loader, value, rel: str, f: Fields) -> m.ModuleOrigin | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        f._error("origin", "'origin' must be a mapping {title, url, authors, version, license}")
        return None
    o = loader.fields(value, rel, ("title", "url", "authors", "version", "license"))
    return m.ModuleOrigin(o.text("title", required=True), o.url("url"), o.authors("authors"),
                          o.text("version"), o.text("license"))


def _lessons(loader: _Loader, f: Fields, folder: str, module_slug: str,
             files: dict[str, bytes]) -> tuple[m.Lesson, ...]:
    prefix = f"modules/{folder}/"
    available = sorted(p for p in files if p.endswith(".md") and p.count("/") == 2)
    if f.has("lessons"):
        names = f.texts("lessons")
        chosen = []
        for i, name in enumerate(names):
            path = prefix + name
            if path not in files:
                mark = f.data["lessons"].where(i) if hasattr(f.data["lessons"], "where") else None
                loader.report.error(f"lesson file '{name}' not found in {prefix}",
                                    f.path, mark.line if mark else f.line("lessons"),
                                    mark.col if mark else None,
                                    hint=f"files here: {', '.join(PurePosixPath(p).name for p in available) or 'none'}")
                continue
            chosen.append(path)
    else:
        chosen = available
    lessons, seen = [], {}
    for path in chosen:
        st = loader.read(path, files[path])
        if st is None:
            continue
        lf = loader.fields(st.meta, path, LESSON_FIELDS)
        slug = loader.slug(lf, path)
        if slug in seen:
            loader.report.error(f"lesson slug '{slug}' is also used by {seen[slug]}", path,
                                hint="rename one file or set `slug:`")
            continue
        seen[slug] = path
        lesson = m.Lesson(
            slug=slug, title=lf.text("title", required=True),
            url=lesson_url(module_slug, slug), source=m.Source(path), module=module_slug,
            duration=lf.duration("duration"), objectives=lf.texts("objectives"),
            quiz=_quiz(loader, lf, path), draft=lf.boolean("draft"),
            body=m.Body(st.body, st.body_line), extra=lf.extra(),
        )
        if not lesson.draft or loader.drafts:
            lessons.append(lesson)
    return tuple(lessons)


def _quiz(loader: _Loader, lf: Fields, path: str) -> tuple[m.QuizQuestion, ...]:
    out = []
    for item, mark in lf._list("quiz"):
        if not isinstance(item, dict):
            loader.report.error("each quiz item must be {question, choices, answer, explain}",
                                path, mark.line, mark.col)
            continue
        q = loader.fields(item, path, QUIZ_FIELDS)
        question = q.text("question", required=True)
        choices = q.texts("choices")
        answer = q.integer("answer")
        if len(choices) < 2:
            q._error("choices", "a quiz question needs at least two choices")
            continue
        if answer is None or not 0 <= answer < len(choices):
            q._error("answer", f"'answer' must be the index (0 to {len(choices) - 1}) of the right choice")
            continue
        out.append(m.QuizQuestion(question, choices, answer, q.text("explain"), mark.line))
    return tuple(out)
