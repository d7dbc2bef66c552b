"""Pure rendering: (Site, rendered Markdown, templates) -> {output path: bytes}.

CONTRACT:

    @dataclass(frozen=True, slots=True)
    class PageJob:
        url: str        # site-relative URL, "/work/boxly/"
        template: str   # template name, "case_study.html"
        context: dict   # page-specific variables; render adds the common ones

    render_site(site, rendered, env, images=None) -> dict[str, bytes]
        site      folio.model.Site
        rendered  Mapping[str, folio.markdown.Rendered]: entity key -> HTML etc.
        env       jinja2.Environment from folio.templates.make_environment(...)
        images    Mapping[str, folio.images.ImageInfo] by site-relative src, or None

Other stages add pages by returning PageJob lists (e.g. folio.modules.pages).
Every page gets the common context below (site, menu, page meta, helpers);
its own context wins on a name clash. Nothing here touches the disk.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup

from .model import SKILL_LEVELS, Site
from .templates import render_template
from .urls import output_path, tag_slug, tag_url

__all__ = ["LazyMarkup", "PageJob", "RenderPlan", "machine_files", "menu_items", "plan_site", "render_page",
           "render_site", "site_jobs"]

LATEST_POSTS = 3


@dataclass(frozen=True, slots=True)
class PageJob:
    """One page to render: where it goes, with which template and variables."""

    url: str
    template: str
    context: dict[str, Any] = field(default_factory=dict)


_GENERATION = [0]  # bumped by replan(): reused jobs must compute their HTML afresh


class LazyMarkup:
    """HTML computed when a template first prints it: plans stay cheap, and the
    Markdown a page reads is recorded while that page renders. The value is kept
    for the plan's generation only: a reused plan reads the new bodies."""

    __slots__ = ("_html", "_make", "_generation")

    def __init__(self, make: Callable[[], str]) -> None:
        self._make, self._html, self._generation = make, None, -1

    def __html__(self) -> str:
        if self._html is None or self._generation != _GENERATION[0]:
            self._html = str(self._make())
            self._generation = _GENERATION[0]
        return self._html

    def __str__(self) -> str:
        return self.__html__()


def _optional(module: str):
    """A sibling module that may not be part of this build yet (None if absent)."""
    name = f"folio.{module}"
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name in (name, name.rsplit(".", 1)[0]):
            return None
        raise


def _jsonld(kind: str, site: Site, *args: Any) -> Callable[[], dict | None]:
    """JSON-LD for a page, computed only if the page is rendered (plans are cheap)."""
    def make() -> dict | None:
        mod = _optional("jsonld")
        fn = getattr(mod, kind, None) if mod else None
        return fn(site, *args) if fn else None

    return make


def _services_jsonld(site: Site) -> Callable[[], dict | None]:
    """One ld+json block for the services page: a graph of Service nodes."""
    def make() -> dict | None:
        mod = _optional("jsonld")
        if mod is None:
            return None
        return mod.graph(*(mod.service(site, s) for s in site.services))

    return make


# -- the pages -----------------------------------------------------------------

def _page(url: str, template: str, title: str, description: str = "", *,
          section: str = "", jsonld: dict | None = None, image: Any = None,
          og_type: str = "website", **context: Any) -> PageJob:
    meta = {"url": url, "title": title, "description": description, "section": section,
            "image": image, "og_type": og_type}
    return PageJob(url, template, {"page": meta, "jsonld": jsonld, **context})


def _skill_groups(skills) -> list[dict[str, Any]]:
    groups: dict[str, list] = {}
    for skill in skills:
        groups.setdefault(skill.category or "Other", []).append(skill)
    return [{"name": name, "skills": items} for name, items in groups.items()]


def _evidence(site: Site, items) -> dict[str, list]:
    by_kind: dict[str, list] = {"case-study": [], "service": [], "module": [], "post": [],
                                "skill": []}
    for item in items:
        by_kind.setdefault(item.kind, []).append(item)
    return by_kind


def site_jobs(site: Site) -> list[PageJob]:
    """Every page of SPEC §3 except the module pages, in a stable order."""
    cfg, profile = site.config, site.profile
    description = cfg.description or profile.headline or cfg.title
    jobs = [_page("/", "home.html", cfg.title, description, section="home",
                  jsonld=_jsonld("person", site), featured=site.featured,
                  skill_groups=_skill_groups(site.skills),
                  latest_posts=site.posts[:LATEST_POSTS], image=profile.photo, og_type="profile")]
    if site.case_studies:
        jobs.append(_page("/work/", "work_index.html", "Work",
                          f"Case studies by {profile.name}.", section="work",
                          jsonld=_jsonld("item_list", site, site.case_studies, "Work")))
    for case in site.case_studies:
        jobs.append(_page(case.url, "case_study.html", case.title, case.summary or description,
                          section="work", jsonld=_jsonld("case_study", site, case),
                          image=case.cover, og_type="article", case=case,
                          testimonials=site.testimonials_for(case),
                          case_skills=[site.skill(s) for s in case.skills
                                       if f"skill:{s}" in site.index.entities]))
    if site.skills:
        jobs.append(_page("/skills/", "skills_index.html", "Skills",
                          f"What {profile.name} knows, and the work that shows it.",
                          section="skills", skill_groups=_skill_groups(site.skills),
                          levels=SKILL_LEVELS,
                          jsonld=_jsonld("item_list", site, site.skills, "Skills")))
    for skill in site.skills:
        jobs.append(_page(skill.url, "skill.html", skill.name,
                          skill.description or f"{skill.name}: evidence from {profile.name}'s work.",
                          section="skills", skill=skill, levels=SKILL_LEVELS,
                          evidence=_evidence(site, site.evidence(skill.id)),
                          jsonld=_jsonld("item_list", site, site.evidence(skill.id), skill.name)))
    for track in cfg.tracks:
        items = _evidence(site, site.in_track(track.id))
        jobs.append(_page(track.url or f"/tracks/{track.id}/", "track.html", track.title,
                          track.summary or description, section="tracks", track=track,
                          items=items, skill_groups=_skill_groups(items["skill"]),
                          jsonld=_jsonld("item_list", site, site.in_track(track.id),
                                         track.title)))
        jobs.append(_page(f"/tracks/{track.id}/cv/", "cv.html", f"CV: {track.title}",
                          f"{profile.name}, {track.title}: curriculum vitae.", section="tracks",
                          track=track, cv_cases=items["case-study"],
                          skill_groups=_skill_groups(items["skill"]), cv_services=items["service"],
                          jsonld=_jsonld("person", site), og_type="profile"))
    if site.services:
        jobs.append(_page("/services/", "services.html", "Services",
                          f"Services offered by {profile.name}.", section="services",
                          jsonld=_services_jsonld(site)))
    if site.posts:
        jobs.append(_page("/writing/", "writing_index.html", "Writing",
                          f"Notes and articles by {profile.name}.", section="writing",
                          jsonld=_jsonld("item_list", site, site.posts, "Writing")))
    for post in site.posts:
        jobs.append(_page(post.url, "post.html", post.title, post.summary or description,
                          section="writing", post=post, og_type="article",
                          jsonld=_jsonld("post", site, post)))
    for slug, name in sorted(site.index.tag_names.items()):
        posts = site.posts_tagged(slug)
        jobs.append(_page(tag_url(slug), "tag.html", f"Tagged “{name}”",
                          f"Writing about {name}.", section="writing", tag=name, posts=posts,
                          jsonld=_jsonld("item_list", site, posts, name)))
    for page in site.pages:
        jobs.append(_page(page.url, "page.html", page.title, page.summary or description,
                          section=page.url.strip("/").split("/")[0], entry=page,
                          jsonld=_jsonld("website", site)))
    jobs.append(_page("/cv/", "cv.html", f"CV: {profile.name}",
                      f"{profile.name}: curriculum vitae.", section="cv", track=None,
                      cv_cases=site.case_studies, skill_groups=_skill_groups(site.skills),
                      cv_services=site.services, jsonld=_jsonld("person", site),
                      og_type="profile"))
    jobs.append(_page("/404.html", "404.html", "Page not found", description,
                      jsonld=_jsonld("website", site)))
    return jobs


def menu_items(site: Site) -> list[dict[str, str]]:
    """folio.yaml `menu`, else Work, Skills, Services, Modules, Writing and menu pages."""
    if site.config.menu:
        return [{"title": m.title, "url": m.url} for m in site.config.menu]
    items = []
    for title, url, present in (("Work", "/work/", site.case_studies),
                                ("Skills", "/skills/", site.skills),
                                ("Services", "/services/", site.services),
                                ("Modules", "/modules/", site.modules),
                                ("Writing", "/writing/", site.posts)):
        if present:
            items.append({"title": title, "url": url})
    pages = sorted((p for p in site.pages if p.menu is not None), key=lambda p: (p.menu, p.title))
    items.extend({"title": p.title, "url": p.url} for p in pages)
    return items


def _section_of(url: str) -> str:
    return url.strip("/").split("/")[0] if url.strip("/") else "home"


# -- the common context ----------------------------------------------------------

class _Helpers:
    """Lookups templates need: rendered HTML, images, skills and tracks by id."""

    def __init__(self, site: Site, rendered: Mapping[str, Any], images: Mapping | None):
        self.site, self.rendered, self.images = site, rendered, images or {}
        social = _optional("social")
        self.card_url = getattr(social, "card_url", None) if social else None
        # Pages without a card of their own share the home card; none at all with
        # `social_cards: off` (never a dangling og:image).
        self.card_urls = {spec.url for spec in social.card_specs(site)} if social else set()

    def _found(self, entity: Any) -> Any:
        if isinstance(entity, str):
            return self.rendered.get(entity)
        key = getattr(entity, "key", None) or entity.source.path  # the profile has no key
        return self.rendered.get(key)

    def html(self, entity: Any) -> Markup:
        """Body HTML from folio's Markdown renderer; never passed through Jinja."""
        found = self._found(entity)
        return Markup(found.html) if found is not None else Markup("")

    def lead(self, entity: Any) -> Markup:
        """The first paragraph of the body (the home hero shows only this)."""
        return self._split(entity)[0]

    def rest(self, entity: Any) -> Markup:
        """The body after its first paragraph."""
        return self._split(entity)[1]

    def _split(self, entity: Any) -> tuple[Markup, Markup]:
        body = str(self.html(entity))
        end = body.find("</p>")
        if not body.lstrip().startswith("<p") or end == -1:
            return Markup(""), Markup(body)
        end += len("</p>")
        return Markup(body[:end]), Markup(body[end:].strip())

    def toc(self, entity: Any) -> tuple:
        found = self._found(entity)
        return tuple(found.toc) if found is not None else ()

    def minutes(self, entity: Any) -> int:
        found = self._found(entity)
        return max(1, round((found.words if found is not None else 0) / 220))

    def tag_url(self, tag: str) -> str:
        """The page of a tag as written in front matter (slug from the site index)."""
        for slug, name in self.site.index.tag_names.items():
            if name == tag:
                return tag_url(slug)
        return tag_url(tag_slug(tag))

    def image(self, src: Any) -> Any:
        src = getattr(src, "src", src)
        return self.images.get(src) if src else None

    def skill(self, skill_id: str) -> Any:
        return self.site.index.entities.get(f"skill:{skill_id}")

    def track(self, track_id: str) -> Any:
        return next((t for t in self.site.config.tracks if t.id == track_id), None)

    def image_url(self, img: Any) -> str:
        """Site-relative URL of an image: its processed fallback, else the asset copy."""
        if img is None:
            return ""
        info = self.image(img)
        fallback = getattr(info, "fallback", None)
        if fallback:
            return fallback if isinstance(fallback, str) else getattr(fallback, "url", "")
        return "/" + getattr(img, "src", str(img)).lstrip("/")

    def og_image(self, url: str, img: Any) -> str:
        if img is not None:
            return self.image_url(img)
        if self.card_url is None or not self.card_urls:
            return ""
        return self.card_url(url if url in self.card_urls else "/")


@dataclass(slots=True)
class RenderPlan:
    """Every page of a build and the context they share; rendering one is independent."""

    site: Site
    rendered: Mapping[str, Any]
    jobs: list[PageJob]
    common: dict[str, Any]
    menu: list[dict[str, str]]
    helpers: _Helpers


def plan_site(site: Site, rendered: Mapping[str, Any],
              images: Mapping[str, Any] | None = None, *, search: bool | None = None) -> RenderPlan:
    """The page jobs of a site (cheap: contexts only, no templates run)."""
    helpers = _Helpers(site, rendered, images)
    jobs = site_jobs(site)
    pages_mod = _optional("modules.pages")
    if pages_mod is not None and hasattr(pages_mod, "module_jobs"):
        jobs.extend(pages_mod.module_jobs(site, rendered))
    return RenderPlan(site, rendered, jobs, _common(site, helpers, search), menu_items(site),
                      helpers)


def replan(plan: RenderPlan, site: Site) -> RenderPlan:
    """`plan` for a site that differs from its own only in Markdown bodies.

    Jobs hold entities and lazy views of the rendered mapping, never a body's
    text, so they stay valid as long as the caller swaps the mapping's data
    and no job read a changed body while it was planned (pagecache checks both).
    """
    _GENERATION[0] += 1
    helpers = plan.helpers
    helpers.site = site
    search = plan.common["has_search"]
    return RenderPlan(site, plan.rendered, plan.jobs, _common(site, helpers, search), plan.menu,
                      helpers)


def _common(site: Site, helpers: _Helpers, search: bool | None) -> dict[str, Any]:
    return {
        "site": site, "config": site.config, "profile": site.profile,
        "availability": site.config.availability, "tracks": site.config.tracks,
        "images": helpers.images, "html_of": helpers.html, "toc_of": helpers.toc,
        "lead_of": helpers.lead, "rest_of": helpers.rest,
        "minutes_of": helpers.minutes, "image_of": helpers.image, "skill_of": helpers.skill,
        "track_of": helpers.track, "image_url": helpers.image_url, "tag_url_of": helpers.tag_url,
        "has_search": site.config.search if search is None else search,
    }


def render_page(env: Any, plan: RenderPlan, job: PageJob) -> bytes:
    """One page's HTML: the common context, the page meta, then the job's own variables."""
    site, helpers = plan.site, plan.helpers
    page = {"url": job.url, "title": "", "description": site.config.description,
            "section": _section_of(job.url), "image": None, "og_type": "website",
            **job.context.get("page", {})}
    page["og_image"] = helpers.og_image(job.url, page["image"])
    current = page["section"]
    context = {**plan.common, "jsonld": None, **job.context, "page": page,
               "menu": [{**m, "current": _section_of(m["url"]) == current
                         and m["url"].startswith("/")} for m in plan.menu]}
    if callable(context["jsonld"]):
        context["jsonld"] = context["jsonld"]()
    _share(env, plan)
    return render_template(env, job.template, context, page=job.url).encode("utf-8")


def _share(env: Any, plan: RenderPlan) -> None:
    """Make the site-wide context globals too, once per plan.

    Macro files can then be imported without `with context`, and Jinja caches
    such imports per template instead of re-running them for every page.
    """
    if env.globals.get("_folio_plan") is not plan:
        env.globals.update(plan.common)
        env.globals["_folio_plan"] = plan


def machine_files(plan: RenderPlan) -> dict[str, bytes]:
    """.nojekyll, feeds, sitemap, robots and JSON Resume for the planned pages."""
    urls = sorted({job.url for job in plan.jobs if job.url != "/404.html"})
    return {".nojekyll": b"", **_machine_files(plan.site, plan.rendered, urls)}


def render_site(site: Site, rendered: Mapping[str, Any], env: Any,
                images: Mapping[str, Any] | None = None) -> dict[str, bytes]:
    """Render every page and the machine-readable files; keys are output paths."""
    plan = plan_site(site, rendered, images)
    files = {output_path(job.url): render_page(env, plan, job) for job in plan.jobs}
    files.update(machine_files(plan))
    return dict(sorted(files.items()))


def _machine_files(site: Site, rendered: Mapping[str, Any], urls: list[str]) -> dict[str, bytes]:
    """Feeds, sitemap, robots and JSON Resume, from the modules that own them."""
    out: dict[str, bytes] = {}
    feeds = _optional("feeds")
    if feeds is not None:
        out["feed.xml"] = feeds.atom(site, rendered)
        out["sitemap.xml"] = feeds.sitemap(site, urls)
        out["robots.txt"] = feeds.robots(site)
    resume = _optional("resume")
    if resume is not None:
        import json

        def dump(data: dict) -> bytes:
            return (json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False) + "\n").encode()

        out["resume.json"] = dump(resume.json_resume(site, rendered=rendered))
        for track in site.config.tracks:
            out[f"tracks/{track.id}/resume.json"] = dump(resume.json_resume(site, track.id, rendered=rendered))
    return out
