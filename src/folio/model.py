"""The content model: frozen, slotted dataclasses, and nothing about HTML or disk.

`load.py` builds these from a site folder; `link.py` adds the cross-references
(skill -> evidence, track -> contents, lesson -> previous/next) as a
:class:`SiteIndex` of keys; templates receive the objects and walk relations
through :class:`Site` methods. Every entity is keyed by its source path, so a
relation is a key, never a copy. Everything here pickles, so Markdown can be
rendered in worker processes and cached by content hash.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from functools import total_ordering
from typing import Any, ClassVar

__all__ = [
    "Author", "Availability", "Body", "CaseStudy", "Image", "Lesson", "Link", "MenuItem",
    "Module", "ModuleOrigin", "PartialDate", "Page", "Post", "Profile", "QuizQuestion",
    "Service", "Site", "SiteConfig", "SiteIndex", "Skill", "Source", "Testimonial", "Track",
    "AVAILABILITY_STATUSES", "SKILL_LEVELS", "MODULE_LEVELS",
]

AVAILABILITY_STATUSES = ("open", "limited", "booked", "closed")
SKILL_LEVELS = ("learning", "working", "advanced", "expert")
MODULE_LEVELS = ("beginner", "intermediate", "advanced")


@total_ordering
@dataclass(frozen=True, slots=True)
class PartialDate:
    """A date as precise as the user wrote it: `2021`, `2021-03` or `2021-03-14`.

    `time` is set only when a time of day was given (`2024-01-01 10:00 +05:00`),
    already converted to the site's timezone.
    """

    year: int
    month: int | None = None
    day: int | None = None
    time: _dt.datetime | None = field(default=None, compare=False)

    def iso(self) -> str:
        if self.month is None:
            return f"{self.year:04d}"
        if self.day is None:
            return f"{self.year:04d}-{self.month:02d}"
        return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"

    def as_date(self) -> _dt.date:
        return _dt.date(self.year, self.month or 1, self.day or 1)

    def as_datetime(self, tz: _dt.tzinfo = _dt.UTC) -> _dt.datetime:
        """A tz-aware moment for feeds and sitemaps (midnight when no time was given)."""
        if self.time is not None:
            return self.time
        return _dt.datetime.combine(self.as_date(), _dt.time(0, 0), tzinfo=tz)

    @property
    def sort_key(self) -> tuple[int, int, int]:
        return (self.year, self.month or 0, self.day or 0)

    def __str__(self) -> str:
        return self.iso()

    def __lt__(self, other: PartialDate) -> bool:
        """`2024` sorts before `2024-09`: missing parts count as earliest."""
        if not isinstance(other, PartialDate):
            return NotImplemented
        return self.sort_key < other.sort_key


@dataclass(frozen=True, slots=True)
class Source:
    """Where an entity was defined: site-relative POSIX path and 1-based line."""

    path: str
    line: int = 1


@dataclass(frozen=True, slots=True)
class Body:
    """Markdown text of a file and the file line it starts on (for error lines)."""

    text: str = ""
    line: int = 1

    def __bool__(self) -> bool:
        return bool(self.text.strip())


@dataclass(frozen=True, slots=True)
class Link:
    label: str
    url: str


@dataclass(frozen=True, slots=True)
class Image:
    """An image under assets/: `src` is site-relative (`assets/boxly/cover.jpg`)."""

    src: str
    alt: str = ""
    caption: str = ""
    line: int = 0  # where it was named, for "missing image" and "no alt text" messages


@dataclass(frozen=True, slots=True)
class Author:
    name: str
    url: str = ""


@dataclass(frozen=True, slots=True)
class Track:
    """One micro-career: e.g. data consulting, translation, teaching."""

    id: str
    title: str
    summary: str = ""
    url: str = ""
    line: int = 0


@dataclass(frozen=True, slots=True)
class Availability:
    status: str = "open"
    until: PartialDate | None = None
    note: str = ""

    @property
    def bookable(self) -> bool:
        """Booking calls to action are hidden when booked or closed (SPEC §1)."""
        return self.status in ("open", "limited")


@dataclass(frozen=True, slots=True)
class MenuItem:
    title: str
    url: str


@dataclass(frozen=True, slots=True)
class SiteConfig:
    """folio.yaml, checked and typed."""

    title: str
    base_url: str  # always ends with "/"
    base_path: str  # the path of base_url: "/" or "/portfolio/"
    language: str = "en"
    description: str = ""
    theme: str = "default"
    tracks: tuple[Track, ...] = ()
    availability: Availability = field(default_factory=Availability)
    menu: tuple[MenuItem, ...] = ()
    output: str = "_site"
    drafts: bool = False
    raw_html: bool = True  # `markdown: {raw_html: false}` turns the site's own raw HTML off
    timezone: str = "UTC"
    search: bool = True
    social_cards: str = "all"  # all | sections | off: which pages get their own card image
    max_file_bytes: int = 8 * 1024 * 1024  # `limits: {max_file_bytes: N}`: bigger files are errors
    theme_options: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    path: str = "folio.yaml"


@dataclass(frozen=True, slots=True)
class Profile:
    name: str
    headline: str = ""
    location: str = ""
    photo: Image | None = None
    email: str = ""
    links: tuple[Link, ...] = ()
    languages: tuple[str, ...] = ()
    timezone: str = ""
    body: Body = field(default_factory=Body)
    source: Source = field(default_factory=lambda: Source("profile.md"))
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Testimonial:
    id: str
    quote: str
    author: str
    role: str = ""
    company: str = ""
    case_study: str = ""  # slug of the case study it belongs to, if any
    source: Source = field(default_factory=lambda: Source("testimonials.yaml"))


class _Content:
    """Behaviour shared by every entity that has its own page."""

    __slots__ = ()
    kind: ClassVar[str] = ""

    @property
    def key(self) -> str:
        return self.source.path  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class CaseStudy(_Content):
    kind: ClassVar[str] = "case-study"
    slug: str
    title: str
    url: str
    source: Source
    summary: str = ""
    client: str = ""
    role: str = ""
    start: PartialDate | None = None
    end: PartialDate | None = None  # None: ongoing
    tracks: tuple[str, ...] = ()
    skills: tuple[str, ...] = ()
    outcomes: tuple[str, ...] = ()
    cover: Image | None = None
    gallery: tuple[Image, ...] = ()
    testimonial_id: str = ""
    testimonial_inline: Testimonial | None = None
    links: tuple[Link, ...] = ()
    featured: bool = False
    draft: bool = False
    date: PartialDate | None = None  # for sorting: given, else end, else start
    body: Body = field(default_factory=Body)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ongoing(self) -> bool:
        return self.end is None


@dataclass(frozen=True, slots=True)
class Skill(_Content):
    kind: ClassVar[str] = "skill"
    id: str
    name: str
    url: str
    source: Source
    category: str = ""
    level: str = ""
    since: int | None = None
    tracks: tuple[str, ...] = ()
    description: str = ""
    body: Body = field(default_factory=Body)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:  # several skills may share skills.yaml
        return f"skill:{self.id}"


@dataclass(frozen=True, slots=True)
class Service(_Content):
    kind: ClassVar[str] = "service"
    slug: str
    title: str
    url: str
    source: Source
    summary: str = ""
    tracks: tuple[str, ...] = ()
    skills: tuple[str, ...] = ()
    price: str = ""
    duration: str = ""
    booking_url: str = ""
    order: int = 0
    draft: bool = False
    body: Body = field(default_factory=Body)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Post(_Content):
    kind: ClassVar[str] = "post"
    slug: str
    title: str
    url: str
    source: Source
    date: PartialDate
    summary: str = ""
    tags: tuple[str, ...] = ()
    tracks: tuple[str, ...] = ()
    skills: tuple[str, ...] = ()
    draft: bool = False
    body: Body = field(default_factory=Body)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Page(_Content):
    kind: ClassVar[str] = "page"
    slug: str
    title: str
    url: str
    source: Source
    summary: str = ""
    menu: int | None = None  # position in the navigation, None: not in the menu
    draft: bool = False
    body: Body = field(default_factory=Body)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class QuizQuestion:
    question: str
    choices: tuple[str, ...]
    answer: int  # index into choices
    explain: str = ""
    line: int = 0


@dataclass(frozen=True, slots=True)
class Lesson(_Content):
    kind: ClassVar[str] = "lesson"
    slug: str
    title: str
    url: str
    source: Source
    module: str  # the module's slug
    duration: int | None = None  # minutes
    objectives: tuple[str, ...] = ()
    quiz: tuple[QuizQuestion, ...] = ()
    draft: bool = False
    body: Body = field(default_factory=Body)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ModuleOrigin:
    """Where an imported module came from (shown as "adapted from ...")."""

    title: str
    url: str = ""
    authors: tuple[Author, ...] = ()
    version: str = ""
    license: str = ""


@dataclass(frozen=True, slots=True)
class Module(_Content):
    kind: ClassVar[str] = "module"
    slug: str
    title: str
    url: str
    source: Source  # modules/<slug>/module.yaml
    summary: str = ""
    level: str = ""
    duration: int | None = None  # minutes, as declared
    audience: str = ""
    objectives: tuple[str, ...] = ()
    prerequisites: tuple[str, ...] = ()  # module slugs or free text
    skills: tuple[str, ...] = ()
    tracks: tuple[str, ...] = ()
    license: str = "CC-BY-4.0"
    authors: tuple[Author, ...] = ()
    version: str = ""
    price: str = ""
    cover: Image | None = None
    lessons: tuple[Lesson, ...] = ()
    origin: ModuleOrigin | None = None  # set for imported modules: untrusted content
    draft: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def total_minutes(self) -> int:
        """Declared duration, else the sum of the lessons' durations."""
        if self.duration is not None:
            return self.duration
        return sum(lesson.duration or 0 for lesson in self.lessons)

    @property
    def folder(self) -> str:
        return self.source.path.rsplit("/", 1)[0]

    @property
    def imported(self) -> bool:
        return self.origin is not None


@dataclass(frozen=True, slots=True)
class SiteIndex:
    """Cross-references computed by link.py, all by key."""

    evidence: dict[str, tuple[str, ...]] = field(default_factory=dict)  # skill id -> keys
    by_track: dict[str, tuple[str, ...]] = field(default_factory=dict)  # track id -> keys
    tags: dict[str, tuple[str, ...]] = field(default_factory=dict)  # tag slug -> post keys
    tag_names: dict[str, str] = field(default_factory=dict)  # tag slug -> tag as written
    testimonials: dict[str, tuple[str, ...]] = field(default_factory=dict)  # case key -> ids
    urls: dict[str, str] = field(default_factory=dict)  # source path -> site-relative url
    entities: dict[str, Any] = field(default_factory=dict)  # key -> entity


@dataclass(frozen=True, slots=True)
class Site:
    """The whole site as data. Lists are in display order."""

    config: SiteConfig
    profile: Profile
    case_studies: tuple[CaseStudy, ...] = ()  # newest first
    skills: tuple[Skill, ...] = ()  # by category, then name
    services: tuple[Service, ...] = ()  # by order, then title
    posts: tuple[Post, ...] = ()  # newest first
    pages: tuple[Page, ...] = ()
    modules: tuple[Module, ...] = ()
    testimonials: tuple[Testimonial, ...] = ()
    assets: tuple[str, ...] = ()  # site-relative paths under assets/
    static: tuple[str, ...] = ()  # paths relative to static/
    index: SiteIndex = field(default_factory=SiteIndex)

    # -- relations, resolved through the index --------------------------------
    def get(self, key: str) -> Any:
        return self.index.entities[key]

    def skill(self, skill_id: str) -> Skill:
        return self.index.entities[f"skill:{skill_id}"]

    def track(self, track_id: str) -> Track:
        return next(t for t in self.config.tracks if t.id == track_id)

    def module(self, slug: str) -> Module | None:
        return next((m for m in self.modules if m.slug == slug), None)

    def evidence(self, skill_id: str) -> tuple[Any, ...]:
        """Everything that names this skill: case studies, services, posts, modules."""
        return tuple(self.get(k) for k in self.index.evidence.get(skill_id, ()))

    def in_track(self, track_id: str, kind: str | None = None) -> tuple[Any, ...]:
        items = (self.get(k) for k in self.index.by_track.get(track_id, ()))
        return tuple(i for i in items if kind is None or i.kind == kind)

    def testimonials_for(self, case: CaseStudy) -> tuple[Testimonial, ...]:
        by_id = {t.id: t for t in self.testimonials}
        found = [by_id[i] for i in self.index.testimonials.get(case.key, ()) if i in by_id]
        if case.testimonial_inline is not None:
            found.insert(0, case.testimonial_inline)
        return tuple(found)

    def posts_tagged(self, tag_slug: str) -> tuple[Post, ...]:
        return tuple(self.get(k) for k in self.index.tags.get(tag_slug, ()))

    def lessons(self) -> tuple[Lesson, ...]:
        return tuple(lesson for m in self.modules for lesson in m.lessons)

    @property
    def featured(self) -> tuple[CaseStudy, ...]:
        chosen = tuple(c for c in self.case_studies if c.featured)
        return chosen or self.case_studies[:3]
