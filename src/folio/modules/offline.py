"""Self-contained HTML for one module: what every package format carries.

Layout (relative links only, so it opens from file:// and inside any LMS):
    index.html              the module overview and outline
    lessons/<lesson>.html   one page per lesson, CSS and JS inline
    assets/...              the images and files the lessons use, site paths kept
Links to other pages of the site become absolute URLs on the deployed site.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, unquote, urljoin

import jinja2
from markupsafe import Markup

from ..errors import FolioError
from ..model import Lesson, Module, Site
from . import view
from .sanitize import clean_imported_html

ReadFile = Callable[[str], bytes]

_ATTR = re.compile(r"""(\s(?:href|src|poster)=)("([^"]*)"|'([^']*)')""", re.IGNORECASE)
_SRCSET = re.compile(r"""\s(?:srcset|sizes)=("[^"]*"|'[^']*')""", re.IGNORECASE)
_SOURCE = re.compile(r"<source\b[^>]*>", re.IGNORECASE)
_ANCHOR = re.compile(r"""<a\b[^>]*\shref="(https?://[^"]+)"[^>]*>(.*?)</a>""", re.IGNORECASE | re.DOTALL)
_TAGS = re.compile(r"<[^>]+>")
MAX_WEB_LINKS = 20
_HERE = Path(__file__).resolve().parent


@dataclass(frozen=True, slots=True)
class WebLink:
    title: str
    url: str


@dataclass(slots=True)
class OfflineModule:
    """Files of the offline module, and what each lesson needs (for manifests)."""

    files: dict[str, bytes] = field(default_factory=dict)
    lesson_files: dict[str, str] = field(default_factory=dict)  # lesson slug -> path
    lesson_assets: dict[str, tuple[str, ...]] = field(default_factory=dict)
    web_links: tuple[WebLink, ...] = ()


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(_HERE / "templates")),
        autoescape=True, undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
    )
    env.filters["minutes"] = view.format_minutes
    return env


_ENV: jinja2.Environment | None = None


def environment() -> jinja2.Environment:
    global _ENV
    if _ENV is None:
        _ENV = _environment()
    return _ENV


def static_text(name: str) -> str:
    return (_HERE / "static" / name).read_text(encoding="utf-8")


class _LinkRewriter:
    """Turns the site's base-path links into links that work inside a package."""

    def __init__(self, site: Site, module: Module, read_file: ReadFile, depth: str) -> None:
        self.site, self.module, self.read_file, self.depth = site, module, read_file, depth
        self.base = site.config.base_path if site.config.base_path.endswith("/") else "/"
        self.lessons = {view.lesson_url_of(module, lesson): lesson for lesson in module.lessons}
        self.assets: dict[str, bytes] = {}
        self.used: list[str] = []

    def asset(self, path: str) -> bool:
        """Fetch an asset once; False when the site cannot give its bytes."""
        if path not in self.assets:
            try:
                self.assets[path] = self.read_file(path)
            except (OSError, KeyError, ValueError, FolioError):
                return False
        if path not in self.used:
            self.used.append(path)
        return True

    def rewrite_url(self, url: str) -> str:
        if not url.startswith("/") or url.startswith("//"):
            return url
        path, _, fragment = url.partition("#")
        frag = f"#{fragment}" if fragment else ""
        rest = path[len(self.base):] if path.startswith(self.base) else path.lstrip("/")
        site_url = "/" + unquote(rest)
        if site_url.startswith("/assets/") and self.asset(site_url[1:]):
            return self.depth + quote(site_url[1:]) + frag
        if site_url in self.lessons:
            return self.depth + f"lessons/{self.lessons[site_url].slug}.html" + frag
        if site_url == view.url_of(self.module):
            return self.depth + "index.html" + frag
        return urljoin(self.site.config.base_url, rest) + frag

    def __call__(self, body: str) -> str:
        body = _SOURCE.sub("", _SRCSET.sub("", body))

        def replace(match: re.Match) -> str:
            raw = match.group(3) if match.group(3) is not None else match.group(4)
            new = self.rewrite_url(html.unescape(raw))
            return f'{match.group(1)}"{html.escape(new, quote=True)}"'

        return _ATTR.sub(replace, body)


def lesson_body(site: Site, module: Module, lesson: Lesson, rendered: Mapping) -> str:
    """The lesson's HTML as the Markdown stage made it; imported modules are cleaned again."""
    item = rendered.get(lesson.key)
    body = item.html if item is not None else ""
    return clean_imported_html(body) if module.imported else body


def web_links(site: Site, module: Module, bodies: list[str]) -> tuple[WebLink, ...]:
    """The module's own page, then every distinct external link the lessons cite."""
    links = [WebLink(f"{module.title} on {site.config.title}", view.source_url(site, module))]
    seen = {links[0].url}
    for body in bodies:
        for match in _ANCHOR.finditer(body):
            url = html.unescape(match.group(1))
            title = html.unescape(_TAGS.sub("", match.group(2))).strip() or url
            if url not in seen and len(links) < MAX_WEB_LINKS:
                seen.add(url)
                links.append(WebLink(title[:200], url))
    return tuple(links)


def offline_module(site: Site, module: Module, rendered: Mapping, read_file: ReadFile,
                   *, scorm: bool = False) -> OfflineModule:
    env = environment()
    out = OfflineModule()
    lessons = module.lessons
    css = static_text("offline.css")
    script = view.builtin_theme_file("static/js/lesson.js").read_text(encoding="utf-8")
    bridge = static_text("scorm-bridge.js") if scorm else ""
    progress_key = "folio:" + view.source_url(site, module)
    common = {
        "site": site, "module": module, "lessons": lessons, "css": Markup(css),
        "script": Markup(script.replace("</", "<\\/")),
        "bridge": Markup(bridge.replace("</", "<\\/")), "progress_key": progress_key,
        "authors": view.authors_of(site, module), "license_url": view.license_link(module),
        "source_url": view.source_url(site, module), "scorm": scorm,
    }
    bodies = []
    all_assets: dict[str, bytes] = {}
    for number, lesson in enumerate(lessons, 1):
        rewriter = _LinkRewriter(site, module, read_file, "../")
        raw = lesson_body(site, module, lesson, rendered)
        bodies.append(raw)
        body = rewriter(raw)
        page = env.get_template("offline_lesson.html").render(
            **common, lesson=lesson, number=number, body=Markup(body),
            previous=lessons[number - 2] if number > 1 else None,
            next=lessons[number] if number < len(lessons) else None,
        )
        path = f"lessons/{lesson.slug}.html"
        out.files[path] = page.encode("utf-8")
        out.lesson_files[lesson.slug] = path
        out.lesson_assets[lesson.slug] = tuple(rewriter.used)
        all_assets.update(rewriter.assets)
    index = env.get_template("offline_index.html").render(**common)
    out.files["index.html"] = index.encode("utf-8")
    if module.cover is not None:
        _add_cover(module, read_file, all_assets)
    for path, data in all_assets.items():
        out.files[path] = data
    out.web_links = web_links(site, module, bodies)
    return out


def _add_cover(module: Module, read_file: ReadFile, assets: dict[str, bytes]) -> None:
    src = module.cover.src if module.cover else ""
    if src and src not in assets:
        try:
            assets[src] = read_file(src)
        except (OSError, KeyError, ValueError, FolioError):
            pass
