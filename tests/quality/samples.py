"""A hand-built content model with every field set, for the unit tests of the
structured outputs (JSON-LD, JSON Resume, feeds). Built directly from
folio.model so those tests do not depend on the loader."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from folio.model import (
    Author,
    Availability,
    Body,
    CaseStudy,
    Image,
    Lesson,
    Link,
    Module,
    PartialDate,
    Post,
    Profile,
    QuizQuestion,
    Service,
    Site,
    SiteConfig,
    SiteIndex,
    Skill,
    Source,
    Testimonial,
    Track,
)

HOSTILE = "</script><script>alert(1)</script><!--<script> & \x0c\"quoted\""


def sample_site(base_url: str = "https://ada.example/portfolio/", **config) -> Site:
    from urllib.parse import urlsplit

    tracks = (Track("data", "Data consulting", "Dashboards for small teams", "/tracks/data/"),
              Track("teaching", "Teaching", "Spreadsheet courses", "/tracks/teaching/"))
    cfg = SiteConfig(title="Ada Example", base_url=base_url,
                     base_path=urlsplit(base_url).path, description="Data and teaching",
                     language="en-GB", tracks=tracks,
                     availability=Availability("limited", PartialDate(2026, 3), "Two days a week"),
                     timezone="Europe/Lisbon", **config)
    profile = Profile(
        name="Ada Example", headline="Data consultant and teacher", location="Lisbon, Portugal",
        photo=Image("assets/ada.jpg", "Ada"), email="ada@example.org",
        links=(Link("GitHub", "https://github.com/ada-example"),
               Link("LinkedIn", "https://www.linkedin.com/in/ada-example/"),
               Link("Mail", "mailto:ada@example.org")),
        languages=("English (native)", "Portuguese (fluent)", "Spanish"),
        body=Body("I help **small teams** see their data.\n", 4))
    skills = (
        Skill("sql", "SQL", "/skills/sql/", Source("skills.yaml", 1), category="Data",
              level="expert", since=2012, tracks=("data",)),
        Skill("excel", "Excel", "/skills/excel/", Source("skills.yaml", 5), category="Data",
              level="advanced", tracks=("data", "teaching")),
        Skill("facilitation", "Facilitation", "/skills/facilitation/",
              Source("skills.yaml", 9), tracks=("teaching",)),
    )
    boxly = CaseStudy(
        slug="boxly", title="Boxly churn dashboard", url="/work/boxly/",
        source=Source("case-studies/01-boxly.md"), summary="A churn dashboard for a box shop",
        client="Boxly Ltd", role="Analyst", start=PartialDate(2023, 2), end=PartialDate(2023, 9),
        tracks=("data",), skills=("sql", "excel"), outcomes=("Cut churn by 12%", "Weekly report"),
        cover=Image("assets/boxly/cover.jpg", "Dashboard"), testimonial_id="t1",
        featured=True, date=PartialDate(2023, 9))
    charity = CaseStudy(
        slug="charity-shop", title="Charity shop stock sheet", url="/work/charity-shop/",
        source=Source("case-studies/02-charity-shop.md"), summary="Stock in one sheet",
        start=PartialDate(2024, 1, 15), tracks=("data", "teaching"), skills=("excel",),
        testimonial_inline=Testimonial("", "She taught us well.", "Sam", "Volunteer"),
        date=PartialDate(2024, 1, 15))
    undated = CaseStudy(slug="old", title="Old thing", url="/work/old/",
                        source=Source("case-studies/old.md"))
    service = Service(slug="audit", title="Data audit", url="/services/#audit",
                      source=Source("services/audit.md"), summary="A week on your data",
                      tracks=("data",), skills=("sql",), price="from €600 / day",
                      duration="1 week", booking_url="https://cal.example/ada",
                      extra={"area_served": "Europe"})
    post = Post(slug="three-careers", title="Why three careers " + HOSTILE,
                url="/writing/three-careers/", source=Source("posts/2025-10-three-careers.md"),
                date=PartialDate(2025, 10, 2, dt.datetime(2025, 10, 2, 9, 30,
                                                          tzinfo=dt.UTC)),
                summary="On portfolio careers", tags=("careers", "freelance"),
                tracks=("teaching",), skills=("facilitation",))
    old_post = Post(slug="hello", title="Hello", url="/writing/hello/",
                    source=Source("posts/hello.md"), date=PartialDate(2022))
    lessons = (
        Lesson("trace-formulas", "Trace formulas", "/modules/sheets/trace-formulas/",
               Source("modules/sheets/01-trace-formulas.md"), "sheets", duration=20,
               objectives=("Follow a formula",),
               quiz=(QuizQuestion("Which key traces precedents?", ("F2", "Ctrl+["), 1,
                                  "Ctrl+[ jumps to the cells used."),)),
        Lesson("name-ranges", "Name ranges", "/modules/sheets/name-ranges/",
               Source("modules/sheets/02-name-ranges.md"), "sheets", duration=25),
    )
    module = Module(
        slug="sheets", title="Spreadsheets that explain themselves", url="/modules/sheets/",
        source=Source("modules/sheets/module.yaml"), summary="Make sheets readable",
        level="beginner", duration=None, audience="Office teams",
        objectives=("Trace any formula", "Name ranges"), prerequisites=("basics", "Typing"),
        skills=("excel",), tracks=("teaching",), license="CC-BY-4.0",
        authors=(Author("Ada Example", "https://ada-example.org/"),), version="1.2",
        lessons=lessons)
    basics = Module(slug="basics", title="Sheet basics", url="/modules/basics/",
                    source=Source("modules/basics/module.yaml"), price="€20", duration=90,
                    license="MIT OR Apache-2.0")
    testimonials = (Testimonial("t1", "Ada found the leak in a week.", "Jo Boss", "CEO",
                                "Boxly Ltd", "boxly"),
                    Testimonial("t2", "Great workshop.", "Kim", "Teacher"))
    entities = {e.key: e for e in (*skills, boxly, charity, undated, service, post, old_post,
                                   *lessons, module, basics)}
    by_track: dict[str, list[str]] = {}
    for e in (*skills, boxly, charity, undated, service, post, module):
        for t in e.tracks:
            by_track.setdefault(t, []).append(e.key)
    index = SiteIndex(
        evidence={"sql": (boxly.key, service.key), "excel": (boxly.key, charity.key, module.key),
                  "facilitation": (post.key,)},
        by_track={k: tuple(v) for k, v in by_track.items()},
        tags={"careers": (post.key,), "freelance": (post.key,)},
        tag_names={"careers": "careers", "freelance": "freelance"},
        testimonials={boxly.key: ("t1",)},
        entities=entities)
    return Site(config=cfg, profile=profile, case_studies=(charity, boxly, undated),
                skills=skills, services=(service,), posts=(post, old_post),
                modules=(module, basics), testimonials=testimonials, index=index)


def minimal_site(base_url: str = "https://min.example/") -> Site:
    """Only what folio.yaml and profile.md require."""
    from urllib.parse import urlsplit

    cfg = SiteConfig(title="Min", base_url=base_url, base_path=urlsplit(base_url).path)
    return Site(config=cfg, profile=Profile(name="Min Person"))


__all__ = ["HOSTILE", "minimal_site", "sample_site", "replace"]
