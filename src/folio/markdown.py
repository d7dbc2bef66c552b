"""One configured markdown-it-py for the whole site, and link rewriting.

`render(job, ctx)` is pure: Markdown text plus a small picklable context (base
path, source-path -> URL map, image metadata) gives HTML, a table of contents,
a word count (plain text only for bodies read as text) and diagnostics, and
records which link targets it looked up (`deps`) so a cached result stays
valid exactly while those targets resolve the same. Workers in a process pool
run the same function.

Links written as relative paths to source files (`../case-studies/x.md#part`)
become the right URL with the base path; a link to a missing file is an error
with file and line. URLs with unsafe schemes never reach href/src.
"""

from __future__ import annotations

import html
import posixpath
import zlib
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import unquote, urlsplit

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.anchors import anchors_plugin
from mdit_py_plugins.container import container_plugin
from mdit_py_plugins.deflist import deflist_plugin
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.tasklists import tasklists_plugin

from .errors import Diagnostic
from .urls import is_safe_url, slugify, with_base

__all__ = ["Heading", "Rendered", "MarkdownJob", "MarkdownContext", "render", "make_parser",
           "features", "ADMONITIONS", "FEATURES", "PLAIN_TEXT_KEYS"]

ADMONITIONS = ("note", "tip", "info", "warning", "important", "caution", "danger")
_RISKY_IDS = frozenset({"__proto__", "constructor", "prototype", "toString", "valueOf",
                        "hasOwnProperty", "top", "location", "document", "window", "name"})
MAX_ID = 80
# Bodies whose plain text is read after rendering: the profile's bio becomes the
# JSON Resume summary. Every other body keeps its word count only; its text
# would be a second copy of the page held from the Markdown stage to the end.
PLAIN_TEXT_KEYS = frozenset({"profile.md"})


@dataclass(frozen=True, slots=True)
class Heading:
    level: int
    id: str
    text: str


@dataclass(frozen=True, slots=True)
class Rendered:
    """One body, rendered. The HTML waits zlib-compressed (`Rendered.of` packs it):
    every page's body is held from the Markdown stage to the end of the build and
    read about once, and unpacking costs microseconds against a page's rendering."""

    packed: bytes
    toc: tuple[Heading, ...] = ()
    text: str = ""  # plain text, kept only for PLAIN_TEXT_KEYS
    words: int = 0
    images: tuple[str, ...] = ()  # site-relative image sources used in the body

    @classmethod
    def of(cls, html: str, toc: tuple[Heading, ...] = (), text: str = "", words: int = 0,
           images: tuple[str, ...] = ()) -> Rendered:
        return cls(zlib.compress(html.encode("utf-8", "surrogatepass"), 1), toc, text, words,
                   images)

    @property
    def html(self) -> str:
        return zlib.decompress(self.packed).decode("utf-8", "surrogatepass")


@dataclass(frozen=True, slots=True)
class MarkdownJob:
    key: str  # entity key the result belongs to
    path: str  # source file, for errors and relative links
    text: str
    line: int  # file line of the body's first line
    trusted: bool = True  # False for imported modules: raw HTML escaped


@dataclass(frozen=True, slots=True)
class MarkdownContext:
    base_path: str
    urls: dict[str, str]  # site-relative source path -> site-relative URL
    images: dict[str, Any] = field(default_factory=dict)  # asset path -> ImageInfo
    raw_html: bool = True


@dataclass(frozen=True, slots=True)
class Result:
    rendered: Rendered
    diagnostics: tuple[Diagnostic, ...]
    deps: tuple[tuple[str, str | None], ...]  # (resolved source path, URL it had)
    image_infos: tuple[tuple[str, Any], ...] = ()  # (asset path, ImageInfo it had)


def heading_id(text: str) -> str:
    """Heading text -> a safe, short id that cannot shadow DOM/JS globals."""
    slug = slugify(text)[:MAX_ID].strip("-") or "section"
    if slug in _RISKY_IDS or slug[0].isdigit() or slug.startswith("_"):
        slug = f"h-{slug}"[:MAX_ID]
    return slug


def _highlight(code: str, lang: str, attrs: str) -> str:
    if not lang:
        return ""
    from pygments import highlight
    from pygments.util import ClassNotFound

    lexer = _lexer(lang.strip().split()[0].lower())
    if lexer is None:
        return ""
    try:
        spans = highlight(code, lexer, _formatter())
    except ClassNotFound:  # pragma: no cover
        return ""
    name = html.escape(lang.strip().split()[0], quote=True)
    return f'<pre class="highlight"><code class="language-{name}">{spans}</code></pre>\n'


@lru_cache(maxsize=64)
def _lexer(name: str):
    from pygments.lexers import get_lexer_by_name
    from pygments.util import ClassNotFound

    try:
        return get_lexer_by_name(name)
    except ClassNotFound:
        return None


@lru_cache(maxsize=1)
def _formatter():
    from pygments.formatters import HtmlFormatter

    return HtmlFormatter(nowrap=True)


def _is_admonition(params: str, _markup: str) -> bool:
    return params.strip().split(" ", 2)[0] in ADMONITIONS


def _render_admonition(self, tokens, idx, options, env):
    """`::: note Title` -> an admonition box; one container rule serves every name."""
    token = tokens[idx]
    if token.nesting == 1:
        name = token.info.strip().split(" ", 2)[0]
        title = token.info.strip()[len(name):].strip() or name.capitalize()
        return (f'<div class="admonition {name}" role="note">\n'
                f'<p class="admonition-title">{html.escape(title)}</p>\n')
    return "</div>\n"


def _render_image(self, tokens, idx, options, env):
    """`<img>` for plain images; `<picture>` with responsive variants for processed ones."""
    token = tokens[idx]
    text = self.renderInlineAsText(token.children or [], options, env)
    alt = html.escape(text, quote=True)
    info = token.meta.get("image")
    src = token.attrGet("src")
    if src is None:
        return f"<span class=\"image-missing\">{alt}</span>"
    if info is not None:
        from .images import picture_html

        return picture_html(info, text, env["base_path"], sizes="(min-width: 60rem) 52rem, 100vw")
    title = token.attrGet("title")
    title_attr = f' title="{html.escape(title, quote=True)}"' if title else ""
    return (f'<img src="{html.escape(src, quote=True)}" alt="{alt}"{title_attr} loading="lazy" '
            'decoding="async">')


# Plugins left out of a document's parser when its source lacks their marker: a
# plugin acts only where its marker is, so the HTML is the same, and each one
# costs a rule tried at every line or inline run or a pass over every token
# (together about a tenth of a parse). Footnotes and definition lists cost
# less to keep than to look for.
FEATURES: dict[str, Any] = {
    "tasklist": lambda text: "[ ]" in text or "[x]" in text or "[X]" in text,
    "admonition": lambda text: ":::" in text,
    "strikethrough": lambda text: "~~" in text,
}


def features(text: str) -> frozenset[str]:
    """The optional syntaxes `text` may use (a superset: the plugins decide)."""
    return frozenset(name for name, present in FEATURES.items() if present(text))


@lru_cache(maxsize=16)
def make_parser(raw_html: bool, extensions: frozenset[str] = frozenset(FEATURES)) -> MarkdownIt:
    """The only place a MarkdownIt is created (a test checks that); plugins are
    added in one order whichever are left out."""
    md = MarkdownIt("commonmark", {"html": raw_html, "highlight": _highlight, "typographer": False})
    md.enable(["table", "strikethrough"] if "strikethrough" in extensions else ["table"])
    md.use(footnote_plugin)
    if "tasklist" in extensions:
        md.use(tasklists_plugin, label=True)
    md.use(deflist_plugin)
    md.use(anchors_plugin, min_level=1, max_level=4, slug_func=heading_id)
    if "admonition" in extensions:
        md.use(container_plugin, name="admonition", validate=_is_admonition,
               render=_render_admonition)
    md.add_render_rule("image", _render_image)
    return md


class _Resolver:
    """Rewrites one document's link targets; remembers what it looked up."""

    def __init__(self, job: MarkdownJob, ctx: MarkdownContext) -> None:
        self.job, self.ctx = job, ctx
        self.folder = posixpath.dirname(job.path)
        self.deps: dict[str, str | None] = {}
        self.diagnostics: list[Diagnostic] = []
        self.images: list[str] = []

    def error(self, message: str, line: int, hint: str | None = None) -> None:
        self.diagnostics.append(Diagnostic(message, self.job.path, line, None, hint))

    def warn(self, message: str, line: int, hint: str | None = None) -> None:
        self.diagnostics.append(Diagnostic(message, self.job.path, line, None, hint, "warning"))

    def target(self, href: str) -> tuple[str | None, str | None]:
        """-> (new href or None to drop it, resolved source path if internal)."""
        if not is_safe_url(unquote(href)):
            return None, None
        parts = urlsplit(href)
        if parts.scheme or parts.netloc or href.startswith("#") or not parts.path:
            return href, None
        if href.startswith("/"):
            return with_base(self.ctx.base_path, href), None
        path = posixpath.normpath(posixpath.join(self.folder, unquote(parts.path)))
        suffix = ("?" + parts.query if parts.query else "") + ("#" + parts.fragment if parts.fragment else "")
        if path.startswith("../") or path == "..":
            return href, "../"
        url = self.ctx.urls.get(path)
        self.deps[path] = url
        if url is None:
            return href, path
        return with_base(self.ctx.base_path, url) + suffix, path

    def rewrite(self, token: Token, attr: str, line: int) -> None:
        href = token.attrGet(attr)
        if href is None:
            return
        new, resolved = self.target(href)
        if new is None:
            del token.attrs[attr]
            self.warn(f"unsafe link {href!r} removed", line, "use http(s), mailto: or a relative path")
            return
        if resolved == "../":
            self.error(f"link {href!r} points outside the site folder", line)
        elif resolved is not None and self.deps.get(resolved) is None:
            looks_like_file = "." in posixpath.basename(resolved) or resolved.split("/")[0] in (
                "assets", "case-studies", "posts", "pages", "services", "skills", "modules")
            if looks_like_file:
                self.error(f"link to a missing file: {href}", line,
                           f"no file at {resolved} (paths are relative to {self.job.path})")
        token.attrSet(attr, new)
        if attr == "src" and resolved and resolved.startswith("assets/"):
            self.images.append(resolved)
            info = self.ctx.images.get(resolved)
            if info is not None:
                token.meta["image"] = info


def render(job: MarkdownJob, ctx: MarkdownContext) -> Result:
    """Markdown -> Result. Pure; never raises for any input text."""
    md = make_parser(ctx.raw_html and job.trusted, features(job.text))
    env: dict[str, Any] = {"base_path": ctx.base_path}
    resolver = _Resolver(job, ctx)
    try:
        tokens = md.parse(job.text, env)
    except RecursionError:
        diag = Diagnostic("Markdown nested too deeply to render", job.path, job.line)
        return Result(Rendered.of(f"<pre>{html.escape(job.text)}</pre>"), (diag,), ())
    toc: list[Heading] = []
    words: list[str] = []
    for i, token in enumerate(tokens):
        if token.type == "heading_open" and token.tag in ("h2", "h3"):
            nxt = tokens[i + 1] if i + 1 < len(tokens) else None
            text = "".join(c.content for c in (nxt.children or []) if c.type in ("text", "code_inline")) if nxt else ""
            toc.append(Heading(int(token.tag[1]), str(token.attrGet("id") or ""), text))
        if token.type != "inline" or not token.children:
            continue
        start = (token.map[0] if token.map else 0) + job.line
        for child in token.children:
            if child.type in ("text", "code_inline"):
                words.append(child.content)
            elif child.type == "link_open":
                resolver.rewrite(child, "href", start + _line_in(token.content, child.attrGet("href")))
            elif child.type == "image":
                line = start + _line_in(token.content, child.attrGet("src"))
                resolver.rewrite(child, "src", line)
                if not child.content.strip():
                    resolver.warn("image has no alt text", line,
                                  "describe it: ![what the image shows](path)")
    body = md.renderer.render(tokens, md.options, env)
    all_words = " ".join(words).split()
    plain = " ".join(all_words) if job.key in PLAIN_TEXT_KEYS else ""
    count = len(all_words)
    rendered = Rendered.of(body, tuple(toc), plain, count, tuple(dict.fromkeys(resolver.images)))
    infos = tuple((src, ctx.images.get(src)) for src in rendered.images)
    return Result(rendered, tuple(resolver.diagnostics), tuple(sorted(resolver.deps.items())),
                  infos)


def _line_in(content: str, needle: Any) -> int:
    """Lines into a paragraph where a link target appears (markdown-it maps blocks only)."""
    if not needle:
        return 0
    pos = content.find(str(needle))
    return content.count("\n", 0, pos) if pos > 0 else 0
