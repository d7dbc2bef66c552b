"""Site folder -> content model: reading, front matter and schema checks; no HTML.

`load_site` parses the content files (found by :mod:`folio.sitefiles`) into a
`LoadedSite` of model objects plus every `Ref` that link.py must resolve.
Parsing one file is pure (bytes -> SourceText), so the Builder keeps parses and
the entities made from them by content hash (:mod:`folio.loadmemo`) and a
rebuild re-parses only what changed.
"""

from __future__ import annotations

import datetime as _dt
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from . import model as m
from .config import load_config
from .errors import FolioError, Report
from .frontmatter import SourceText, decode, read_front_matter
from .load_modules import load_module
from .loadmemo import EntityMemo
from .schema import Fields, Ref, valid_id, zone
from .sitefiles import read_sources, walk
from .urls import case_study_url, check_slug, file_slug, page_url, post_url, service_url, skill_url
from .yamlload import Marked, load_yaml

__all__ = ["LoadedSite", "load_site", "today"]

CASE_FIELDS = ("title", "slug", "summary", "client", "role", "start", "end", "tracks", "skills",
               "outcomes", "cover", "gallery", "testimonial", "links", "featured", "draft",
               "date", "description")
SKILL_FIELDS = ("id", "name", "category", "level", "since", "tracks", "description")
SERVICE_FIELDS = ("title", "slug", "summary", "tracks", "skills", "price", "duration",
                  "booking_url", "order", "draft", "description")
POST_FIELDS = ("title", "slug", "date", "summary", "tags", "tracks", "skills", "draft",
               "description", "cover")
PAGE_FIELDS = ("title", "slug", "menu", "summary", "draft", "description")
PROFILE_FIELDS = ("name", "headline", "location", "photo", "email", "links", "languages",
                  "timezone", "description")
TESTIMONIAL_FIELDS = ("id", "quote", "author", "role", "company", "case_study")


@dataclass(frozen=True, slots=True)
class LoadedSite:
    site: m.Site
    refs: tuple[Ref, ...]
    hidden: frozenset[tuple[str, str]]
    sources: dict[str, bytes]  # content files read, by site-relative path


class _Loader:
    """Turns parsed files into model objects, collecting errors and refs."""

    def __init__(self, config: m.SiteConfig, report: Report, parse: Callable[[str, bytes], SourceText],
                 drafts: bool) -> None:
        self.config = config
        self.report = report
        self.parse = parse
        self.drafts = drafts
        self.refs: list[Ref] = []
        self.hidden: set[tuple[str, str]] = set()  # drafts left out: (kind, id)
        self.tz = zone(config.timezone)

    def fields(self, data, rel: str, known) -> Fields:
        return Fields(data, rel, self.report, known, self.refs, self.tz)

    def read(self, rel: str, data: bytes) -> SourceText | None:
        limit = self.config.max_file_bytes
        if len(data) > limit:
            self.report.error(f"file is {len(data):,} bytes; the limit is {limit:,}", rel,
                              hint="split it, or raise `limits: {max_file_bytes: N}` in folio.yaml")
            return None
        try:
            return self.parse(rel, data)
        except FolioError as exc:
            self.report.add(exc)
            return None

    def slug(self, f: Fields, rel: str) -> str:
        if f.has("slug"):
            value = f.text("slug")
            try:
                return check_slug(value, rel, f.line("slug"), f.where("slug").col)
            except FolioError as exc:
                self.report.add(exc)
        stem = PurePosixPath(rel).stem
        slug = file_slug(stem)
        if not slug:
            self.report.error(f"cannot make a URL from the file name '{stem}'", rel,
                              hint="rename the file or add a `slug:` field")
            return "untitled"
        try:
            check_slug(slug, rel)
        except FolioError as exc:
            self.report.add(exc)
        return slug

    def body(self, st: SourceText) -> m.Body:
        return m.Body(st.body, st.body_line)

    def keep(self, f: Fields) -> bool:
        return not f.boolean("draft") or self.drafts

    # -- one function per content kind --------------------------------------------
    def profile(self, rel: str, st: SourceText) -> m.Profile:
        f = self.fields(st.meta, rel, PROFILE_FIELDS)
        return m.Profile(
            name=f.text("name", required=True), headline=f.text("headline"),
            location=f.text("location"), photo=f.image("photo"), email=f.text("email"),
            links=f.links("links"), languages=f.texts("languages"),
            timezone=f.text("timezone"), body=self.body(st), source=m.Source(rel),
            extra=f.extra(),
        )

    def case_study(self, rel: str, st: SourceText) -> m.CaseStudy | None:
        f = self.fields(st.meta, rel, CASE_FIELDS)
        slug = self.slug(f, rel)
        start, end = f.date("start"), f.date("end")
        testimonial_id, inline = "", None
        if f.has("testimonial"):
            value = st.meta["testimonial"]
            if isinstance(value, str):
                testimonial_id = value.strip()
                mark = f.where("testimonial")
                self.refs.append(Ref("testimonial", testimonial_id, rel, mark.line, mark.col))
            elif isinstance(value, dict):
                t = self.fields(value, rel, ("quote", "author", "role", "company"))
                inline = m.Testimonial("", t.text("quote", required=True),
                                       t.text("author", required=True), t.text("role"),
                                       t.text("company"), slug, m.Source(rel, f.line("testimonial")))
            else:
                f._error("testimonial", "'testimonial' must be a testimonial id or {quote, author}")
        case = m.CaseStudy(
            slug=slug, title=f.text("title", required=True), url=case_study_url(slug),
            source=m.Source(rel), summary=f.text("summary") or f.text("description"),
            client=f.text("client"), role=f.text("role"), start=start, end=end,
            tracks=f.ids("tracks", "track"), skills=f.ids("skills", "skill"),
            outcomes=f.texts("outcomes"), cover=f.image("cover"), gallery=f.images("gallery"),
            testimonial_id=testimonial_id, testimonial_inline=inline, links=f.links("links"),
            featured=f.boolean("featured"), draft=f.boolean("draft"),
            date=f.date("date") or end or start, body=self.body(st), extra=f.extra(),
        )
        if not self.keep(f):
            self.hidden.add(("case-study", slug))
            return None
        return case

    def service(self, rel: str, st: SourceText) -> m.Service | None:
        f = self.fields(st.meta, rel, SERVICE_FIELDS)
        slug = self.slug(f, rel)
        svc = m.Service(
            slug=slug, title=f.text("title", required=True), url=service_url(slug),
            source=m.Source(rel), summary=f.text("summary") or f.text("description"),
            tracks=f.ids("tracks", "track"), skills=f.ids("skills", "skill"),
            price=f.text("price"), duration=f.text("duration"),
            booking_url=f.url("booking_url"), order=f.integer("order", 0) or 0,
            draft=f.boolean("draft"), body=self.body(st), extra=f.extra(),
        )
        return svc if self.keep(f) else None

    def post(self, rel: str, st: SourceText) -> m.Post | None:
        f = self.fields(st.meta, rel, POST_FIELDS)
        slug = self.slug(f, rel)
        date = f.date("date", required=True) or m.PartialDate(1970, 1, 1)
        post = m.Post(
            slug=slug, title=f.text("title", required=True), url=post_url(slug),
            source=m.Source(rel), date=date, summary=f.text("summary") or f.text("description"),
            tags=f.texts("tags"), tracks=f.ids("tracks", "track"), skills=f.ids("skills", "skill"),
            draft=f.boolean("draft"), body=self.body(st), extra=f.extra(),
        )
        return post if self.keep(f) else None

    def page(self, rel: str, st: SourceText) -> m.Page | None:
        f = self.fields(st.meta, rel, PAGE_FIELDS)
        slug = self.slug(f, rel)
        menu_value = st.meta.get("menu")
        menu = None
        if isinstance(menu_value, bool):
            menu = 100 if menu_value else None
        elif isinstance(menu_value, int):
            menu = menu_value
        elif menu_value is not None:
            f._error("menu", "'menu' must be true/false or a number (its position)")
        page = m.Page(slug=slug, title=f.text("title", required=True), url=page_url(slug),
                      source=m.Source(rel), summary=f.text("summary") or f.text("description"),
                      menu=menu, draft=f.boolean("draft"), body=self.body(st), extra=f.extra())
        return page if self.keep(f) else None

    def skill(self, data, rel: str, line: int, body: m.Body | None = None) -> m.Skill | None:
        f = self.fields(data, rel, SKILL_FIELDS)
        skill_id = f.text("id", required=body is None)
        if body is not None and not skill_id:
            skill_id = file_slug(PurePosixPath(rel).stem)
        if skill_id and not valid_id(skill_id):
            f._error("id", f"skill id '{skill_id}' must be lower-case letters, digits, dashes")
            return None
        if not skill_id:
            return None
        return m.Skill(
            id=skill_id, name=f.text("name", required=True), url=skill_url(skill_id),
            source=m.Source(rel, line), category=f.text("category"),
            level=f.choice("level", m.SKILL_LEVELS), since=f.integer("since"),
            tracks=f.ids("tracks", "track"), description=f.text("description"),
            body=body or m.Body(), extra=f.extra(),
        )

    def yaml_list(self, rel: str, data: bytes) -> list:
        try:
            value = load_yaml(decode(data, rel), rel)
        except FolioError as exc:
            self.report.add(exc)
            return []
        if value is None:
            return []
        if not isinstance(value, list):
            self.report.error(f"{rel} must be a list of entries (lines starting with '- ')", rel, 1, 1)
            return []
        out = []
        for i, item in enumerate(value):
            line = value.where(i).line if hasattr(value, "where") else 1
            if isinstance(item, dict):
                out.append((item, line))
            else:
                self.report.error("each entry must be a mapping of fields", rel, line)
        return out

    def testimonial(self, data: Marked, rel: str, line: int) -> m.Testimonial | None:
        f = self.fields(data, rel, TESTIMONIAL_FIELDS)
        t = m.Testimonial(f.text("id", required=True), f.text("quote", required=True),
                          f.text("author", required=True), f.text("role"), f.text("company"),
                          f.text("case_study"), m.Source(rel, line))
        if t.case_study:
            mark = f.where("case_study")
            self.refs.append(Ref("case-study", t.case_study, rel, mark.line, mark.col))
        return t if t.id else None


def _date_key(item) -> tuple:
    d = item.date
    return d.sort_key if d is not None else (0, 0, 0)


def load_site(root: Path, report: Report, *, drafts: bool | None = None, base_url: str | None = None,
              parse: Callable[[str, bytes], SourceText] | None = None,
              sources: dict[str, bytes] | None = None,
              memo: EntityMemo | None = None) -> LoadedSite:
    """Read and check the whole site folder. Errors collect in `report`."""
    config = load_config(root, report)
    if base_url is not None:
        from dataclasses import replace

        from .config import normalise_base_url

        url, path = normalise_base_url(base_url)
        config = replace(config, base_url=url, base_path=path)
    use_drafts = config.drafts if drafts is None else drafts
    if sources is None:
        sources = read_sources(root, report)
    loader = _Loader(config, report, parse or (lambda rel, data: read_front_matter(data, rel, max_bytes=len(data))), use_drafts)
    memo = memo if memo is not None else EntityMemo()
    memo.begin(config, use_drafts)

    profile = None
    if "profile.md" in sources:
        st = loader.read("profile.md", sources["profile.md"])
        if st is not None:
            profile = loader.profile("profile.md", st)
    else:
        report.error("profile.md is missing", "profile.md",
                     hint="create it with front matter `name: Your Name` and a short bio")
    profile = profile or m.Profile(name=config.title)

    def one(rel: str, data: bytes, make) -> Any:
        st = loader.read(rel, data)
        return make(rel, st) if st is not None else None

    in_section: dict[str, list[str]] = {}  # one pass over the files, not one per section
    for rel in sources:
        section, _, name = rel.partition("/")
        if name and "/" not in name and name.endswith(".md"):
            in_section.setdefault(section, []).append(rel)

    def kind(section: str, make) -> list:
        out = []
        for rel in in_section.get(section, ()):
            data = sources[rel]
            item = memo.run((section, rel, data), loader, one, rel, data, make)
            if item is not None:
                out.append(item)
        return out

    cases = sorted(kind("case-studies", loader.case_study), key=lambda c: (_date_key(c), c.slug),
                   reverse=True)
    services = sorted(kind("services", loader.service), key=lambda s: (s.order, s.title))
    posts = sorted(kind("posts", loader.post), key=lambda p: (p.date.sort_key, p.slug), reverse=True)
    pages = sorted(kind("pages", loader.page),
                   key=lambda p: (p.menu if p.menu is not None else 10_000, p.title))

    def listed(rel: str, make) -> list:
        found = (make(item, rel, line) for item, line in loader.yaml_list(rel, sources[rel]))
        return [x for x in found if x]

    skills = []
    if "skills.yaml" in sources:
        key = ("yaml", "skills.yaml", sources["skills.yaml"])
        skills += memo.run(key, loader, listed, "skills.yaml", loader.skill)
    for rel in in_section.get("skills", ()):
        st = loader.read(rel, sources[rel])
        if st is not None:
            skill = loader.skill(st.meta, rel, 1, m.Body(st.body, st.body_line))
            if skill:
                skills.append(skill)

    testimonials = []
    if "testimonials.yaml" in sources:
        key = ("yaml", "testimonials.yaml", sources["testimonials.yaml"])
        testimonials += memo.run(key, loader, listed, "testimonials.yaml", loader.testimonial)

    by_folder: dict[str, dict[str, bytes]] = {}
    for rel, data in sources.items():
        if rel.startswith("modules/"):
            by_folder.setdefault(rel.split("/")[1], {})[rel] = data
    modules = []
    for folder, files in sorted(by_folder.items()):
        key = ("modules", folder, profile.name, tuple(sorted(files.items())))
        module = memo.run(key, loader, load_module, loader, folder, profile, files)
        if module is not None:
            modules.append(module)
    memo.end()

    site = m.Site(
        config=config, profile=profile, case_studies=tuple(cases), skills=tuple(skills),
        services=tuple(services), posts=tuple(posts), pages=tuple(pages),
        modules=tuple(modules), testimonials=tuple(testimonials),
        assets=tuple(walk(root, "assets", report)),
        static=tuple(p.split("/", 1)[1] for p in walk(root, "static", report)),
    )
    return LoadedSite(site, tuple(loader.refs), frozenset(loader.hidden), sources)


def today(tz_name: str) -> _dt.date:
    """The site's today, honouring SOURCE_DATE_EPOCH for reproducible builds."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return _dt.datetime.fromtimestamp(int(epoch), zone(tz_name)).date()
    return _dt.datetime.now(zone(tz_name)).date()
