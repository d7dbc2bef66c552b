"""The one Jinja environment of a build, its filters, and template errors.

:func:`make_environment` stacks the site's own ``templates/`` in front of the
theme chain (:mod:`folio.themes`), and :func:`render_template` turns every
template failure into a :class:`FolioError` that names the template line and
the page.

Trust model (RELIABILITY item 35): themes are trusted code, as in Hugo and
Jekyll. A theme runs in a plain (not sandboxed) Jinja environment because it is
installed on purpose, like a Python package. Content is never trusted: front
matter reaches templates only as data (escaped by the forced autoescape), and
Markdown is rendered to HTML before templates see it, so ``{{ 7*7 }}`` in a
page body stays literal text.
"""

from __future__ import annotations

import hashlib
import html
import os
import re
import traceback
from collections import ChainMap
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jinja2
from jinja2 import nodes

from .errors import FolioError
from .themes import ThemeChain, inside
from .urls import with_base

__all__ = ["format_date", "make_environment", "render_template", "safe_url"]

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")
_SAFE_SCHEMES = {"http", "https", "mailto", "tel"}
_STRIP_IN_SCHEME = re.compile(r"[\x00-\x20\x7f]+")


# -- filters and globals --------------------------------------------------------

def safe_url(value: Any) -> str:
    """A URL from content, or "" when its scheme could run code or leave the site badly.

    Allowed: http(s), mailto, tel, site-relative and document-relative paths, `#`.
    Refused: javascript:, vbscript:, data:, file:, protocol-relative `//host`, and
    their disguises (entities, case, control characters inside the scheme).
    """
    if value is None:
        return ""
    text = str(getattr(value, "url", value)).strip()
    if not text:
        return ""
    probe = _STRIP_IN_SCHEME.sub("", html.unescape(text))
    if probe.startswith(("//", "\\\\", "/\\", "\\/")):
        return ""
    colon = probe.find(":")
    if colon != -1:
        before = probe[:colon]
        if not any(c in before for c in "/?#"):  # a scheme, not a path like ./a:b
            if before.lower() not in _SAFE_SCHEMES:
                return ""
    return text


def _date_parts(value: Any) -> tuple[int, int | None, int | None]:
    if hasattr(value, "year") and hasattr(value, "month") and hasattr(value, "day"):
        return value.year, value.month, value.day
    raise TypeError(f"not a date: {value!r}")


def format_date(value: Any, style: str = "long") -> str:
    """Dates in English without the locale: "14 March 2024", "Mar 2024", "2024"."""
    if value is None or value == "":
        return ""
    year, month, day = _date_parts(value)
    if style == "iso":
        return value.iso() if hasattr(value, "iso") else value.isoformat()[:10]
    if style == "year" or month is None:
        return f"{year}"
    name = _MONTHS[month - 1]
    if style == "short":
        name = name[:3]
    if day is None or style in ("month", "short"):
        return f"{name} {year}"
    return f"{day} {name} {year}"


def date_range(start: Any, end: Any, style: str = "month") -> str:
    """"Mar 2021 – Jun 2023", "2022 – present", or one date when both are equal."""
    first = format_date(start, style) if start else ""
    last = format_date(end, style) if end else "present"
    if not first:
        return "" if end is None else last
    return first if first == last else f"{first} – {last}"


def _iso(value: Any) -> str:
    return format_date(value, "iso")


# -- the environment ------------------------------------------------------------

class _Loader(jinja2.FileSystemLoader):
    """FileSystemLoader that names the file when a template is not UTF-8."""

    def get_source(self, environment, template):
        try:
            return super().get_source(environment, template)
        except UnicodeDecodeError as exc:
            for base in self.searchpath:
                path = Path(base) / template
                if path.is_file():
                    raise FolioError(f"template is not UTF-8 (byte {exc.start})",
                                     environment.folio_label(path)) from None
            raise


class _Globals(ChainMap):
    """A template's globals (its own over the environment's) whose key view is a real set.

    Every ``{% import %}`` and ``{% from ... import %}`` makes Jinja compute
    ``context globals - template.globals.keys()``; over a plain ChainMap that
    tests each name through Python-level lookups (about a tenth of rendering a
    page of the default theme). The view is a snapshot of the keys, which is all
    a set difference needs.
    """

    def keys(self):  # type: ignore[override]
        merged: dict[str, None] = {}
        for mapping in reversed(self.maps):
            merged.update(dict.fromkeys(mapping))
        return merged.keys()


class _Environment(jinja2.Environment):
    def make_globals(self, d: Any) -> ChainMap:  # type: ignore[override]
        return _Globals({} if d is None else d, self.globals)


def make_environment(chain: ThemeChain, site_dir: Path | str, site: Any,
                     cache_dir: Path | None = None) -> jinja2.Environment:
    """The build's one Environment: site templates, then the theme, then its parents.

    `cache_dir` keeps compiled templates between runs (about half of a cold
    render of a small site is Jinja compiling templates)."""
    site_dir = Path(site_dir).resolve()
    config = site.config
    base_path = config.base_path
    searches = [site_dir / "templates"] if (site_dir / "templates").is_dir() else []
    loaders = [_Loader(str(p)) for p in [*searches, *chain.template_dirs]]
    env = _Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=True,  # a bool: every template, whatever its extension
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
        bytecode_cache=_bytecode_cache(cache_dir),
    )
    env.policies["json.dumps_kwargs"] = {"sort_keys": True, "ensure_ascii": False}
    statics = chain.static_files()
    hashes: dict[str, str] = {}
    dropped: list[str] = []

    def label(path: Path) -> str:
        path = Path(path)
        if inside(path.resolve(), site_dir):
            return path.resolve().relative_to(site_dir).as_posix()
        return chain.label_for(path)

    def url(target: Any = "/") -> str:
        """The only way templates make internal links: adds the base path."""
        if target is None:
            return ""
        text = target if isinstance(target, str) else getattr(target, "url", str(target))
        return with_base(base_path, text)

    def absolute_url(target: Any = "/") -> str:
        text = url(target)
        if urlsplit(text).scheme:
            return text
        parts = urlsplit(config.base_url)
        return f"{parts.scheme}://{parts.netloc}{text}"

    def asset_url(rel: str) -> str:
        """A theme static file under /theme/, with a content hash for cache busting."""
        rel = rel.lstrip("/")
        if rel not in statics:
            raise FolioError(f"theme file static/{rel} does not exist",
                             chain.themes[0].label, hint="asset_url() takes a path under static/")
        if rel not in hashes:
            hashes[rel] = hashlib.sha256(statics[rel].read_bytes()).hexdigest()[:10]
        return url(f"/theme/{rel}") + f"?v={hashes[rel]}"

    def checked_url(value: Any) -> str:
        result = safe_url(value)
        if value and not result:
            dropped.append(str(value))
        return result

    env.folio_label = label  # type: ignore[attr-defined]
    env.folio_dropped_urls = dropped  # type: ignore[attr-defined]
    env.folio_chain = chain  # type: ignore[attr-defined]
    env.globals.update(url=url, absolute_url=absolute_url, asset_url=asset_url,
                       theme_options={**chain.options, **dict(config.theme_options)})
    env.filters.update(safe_url=checked_url, date=format_date, iso_date=_iso,
                       date_range=date_range, url=url, absolute_url=absolute_url)
    return env


def _bytecode_cache(cache_dir: Path | None) -> jinja2.BytecodeCache | None:
    if cache_dir is None:
        return None
    Path(cache_dir).mkdir(parents=True, exist_ok=True)
    return jinja2.FileSystemBytecodeCache(str(cache_dir))


# -- rendering with useful errors ----------------------------------------------

def render_template(env: jinja2.Environment, name: str, context: dict[str, Any],
                    page: str = "") -> str:
    """Render one template; every failure becomes a FolioError at template:line."""
    where = f" (rendering {page})" if page else ""
    try:
        return env.get_template(name).render(context)
    except FolioError as exc:  # e.g. asset_url() of a missing file: point at the call
        d = exc.diagnostic
        if "(rendering " in d.message:
            raise
        path, line = _template_frame(env, exc)
        raise FolioError(d.message + where, path or d.path, line or d.line, None,
                         d.hint) from None
    except jinja2.TemplateSyntaxError as exc:
        path = env.folio_label(exc.filename) if exc.filename else (exc.name or name)
        raise FolioError(f"template syntax error: {exc.message}{where}", path, exc.lineno,
                         source_line=exc.source.split("\n")[exc.lineno - 1]
                         if exc.source and exc.lineno else None) from None
    except jinja2.TemplateNotFound as exc:
        path, line = _template_frame(env, exc)
        raise FolioError(f"template {exc.name!r} not found{where}", path or name, line,
                         hint="add it to the theme or to the site's templates/") from None
    except RecursionError:
        cycle = find_cycle(env, name)
        message = f"cycle: {' -> '.join(cycle)}" if cycle else "template recursion too deep"
        raise FolioError(message + where, cycle[0] if cycle else name,
                         hint="an {% include %} or {% extends %} leads back to itself") from None
    except (jinja2.TemplateError, TypeError, ValueError, AttributeError, KeyError,
            IndexError, ZeroDivisionError) as exc:
        path, line = _template_frame(env, exc)
        message = getattr(exc, "message", None) or str(exc)
        kind = "undefined variable" if isinstance(exc, jinja2.UndefinedError) else "template error"
        raise FolioError(f"{kind}: {message}{where}", path or name, line) from None


def _template_frame(env: jinja2.Environment, exc: BaseException) -> tuple[str | None, int | None]:
    """The innermost traceback frame that is a template line (Jinja rewrites them)."""
    found: tuple[str | None, int | None] = (None, None)
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename.endswith((".html", ".xml", ".txt", ".j2", ".jinja", ".json")) \
                and os.path.isfile(frame.filename):
            found = (env.folio_label(Path(frame.filename)), frame.lineno)
    return found


def _references(env: jinja2.Environment, name: str) -> list[str]:
    """Template names that `name` extends, includes or imports with a constant name."""
    try:
        source, _, _ = env.loader.get_source(env, name)
        tree = env.parse(source)
    except (jinja2.TemplateError, FolioError):
        return []
    found = []
    for node in tree.find_all((nodes.Extends, nodes.Include, nodes.Import, nodes.FromImport)):
        target = node.template
        if isinstance(target, nodes.Const) and isinstance(target.value, str):
            found.append(target.value)
        elif isinstance(target, (nodes.List, nodes.Tuple)):
            found.extend(i.value for i in target.items if isinstance(i, nodes.Const))
    return found


def find_cycle(env: jinja2.Environment, start: str) -> list[str]:
    """The first include/extends cycle reachable from `start`, as a path of names."""
    stack: list[str] = []
    done: set[str] = set()

    def visit(name: str) -> list[str]:
        if name in stack:
            return [*stack[stack.index(name):], name]
        if name in done:
            return []
        stack.append(name)
        for ref in _references(env, name):
            cycle = visit(ref)
            if cycle:
                return cycle
        stack.pop()
        done.add(name)
        return []

    return visit(start)
