"""Social cards: one 1200x630 JPEG per page for Open Graph and Twitter previews.

A card shows what a link to the page is about when it is shared: the page title
(wrapped, shrunk to fit), a subtitle, the person's round photo and name, in
the theme's colours. Cards are drawn with Pillow, so they need no browser, and
are cached by a hash of everything drawn (text, colours, photo bytes, fonts,
:data:`CARD_VERSION`): a rebuild that changed nothing draws nothing.

Colours come from the theme's ``theme.yaml`` (``options: {colors: {background,
text, muted, accent}}``) and the site's ``theme_options: {colors: ...}`` in
folio.yaml, over
:data:`DEFAULT_COLORS` (the default theme's palette). Fonts and line fitting are
:mod:`folio.cardtext`. Same inputs, same bytes.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .cache import PAYLOAD_OFFSET
from .cardtext import card_font, clip_lines, extent, fit_line, font_identity, wrap
from .images import open_cache
from .jpegrows import JpegRows
from .model import Site
from .parallel import map_ordered
from .spill import Output, Spill, Spilled
from .urls import output_path

__all__ = ["CARD_SIZE", "CARD_VERSION", "DEFAULT_COLORS", "CardSpec", "card_specs",
           "card_url", "counters", "og_card_url", "render_cards", "theme_colors"]

CARD_SIZE = (1200, 630)
CARD_VERSION = "4"
# The default theme's light palette (themes/default/static/css/site.css: --bg,
# --text, --muted, --accent). Override any of them under `colors:` in theme options.
DEFAULT_COLORS = {
    "background": "#fbfaf7",
    "text": "#17171c",
    "muted": "#55555f",
    "accent": "#3d35c4",
}
counters: Counter[str] = Counter()  # "renders": cards drawn (tests assert warm builds draw 0)

_MARGIN = 72
_PHOTO = 168


@dataclass(frozen=True, slots=True)
class CardSpec:
    url: str  # the page's site-relative URL, "/work/boxly/"
    title: str
    subtitle: str = ""


def card_url(page_url: str) -> str:
    """Where a page's card lives: "/work/boxly/" -> "/og/work/boxly.jpg", "/" -> "/og/index.jpg"."""
    path = page_url.split("#", 1)[0].split("?", 1)[0].strip("/")
    if path.endswith(".html"):
        path = path[: -len(".html")]
        if path.endswith("/index") or path == "index":
            path = path[: -len("index")].rstrip("/")
    return f"/og/{path or 'index'}.jpg"


def og_card_url(site: Site, page_url: str) -> str:
    """The card a page names in og:image: its own when card_specs() draws one, else home's."""
    own = {spec.url for spec in card_specs(site)}
    return card_url(page_url if page_url in own else "/")


def card_specs(site: Site) -> list[CardSpec]:
    """A card for each page people share: home, CVs, tracks, section indexes, case
    studies, modules, posts and free pages. Pages that grow with the content but
    are rarely shared on their own (skills, lessons, tags, print views) use the
    home card (render.py falls back to it), so a 10,000-page site does not draw
    10,000 images on a cold build.
    """
    def plural(n: int, word: str) -> str:
        return f"{n} {word}{'' if n == 1 else 's'}"

    mode = getattr(site.config, "social_cards", "all")  # folio.yaml: all | sections | off
    if mode == "off":
        return []
    per_page = mode == "all"

    name = site.profile.name
    specs = [CardSpec("/", site.config.title, site.profile.headline or site.config.description),
             CardSpec("/cv/", f"CV of {name}", site.profile.headline),
             CardSpec("/404.html", "Page not found", site.config.title)]
    for t in site.config.tracks:
        specs += [CardSpec(t.url or f"/tracks/{t.id}/", t.title, t.summary),
                  CardSpec(f"/tracks/{t.id}/cv/", f"{t.title}: CV of {name}", "CV")]
    if site.case_studies:
        specs.append(CardSpec("/work/", "Work", plural(len(site.case_studies), "case study")
                              .replace("studys", "studies")))
    for case in site.case_studies if per_page else ():
        detail = " · ".join(x for x in ("Case study", case.client) if x)
        specs.append(CardSpec(case.url, case.title, detail))
    if site.skills:
        specs.append(CardSpec("/skills/", "Skills", plural(len(site.skills), "skill")))
    if site.services:
        specs.append(CardSpec("/services/", "Services", plural(len(site.services), "service")))
    if site.modules:
        specs.append(CardSpec("/modules/", "Learning modules",
                              plural(len(site.modules), "module")))
    for module in site.modules:
        lessons = plural(len(module.lessons), "lesson")
        specs.append(CardSpec(module.url, module.title, f"Learning module · {lessons}"))
    if site.posts:
        specs.append(CardSpec("/writing/", "Writing", plural(len(site.posts), "post")))
    specs += [CardSpec(p.url, p.title, f"Writing · {p.date.iso()}") for p in site.posts if per_page]
    specs += [CardSpec(p.url, p.title, site.config.title) for p in site.pages if per_page]
    return specs


# -- inputs ----------------------------------------------------------------------

def theme_colors(site: Site, site_dir: Path,
                 theme_options: dict[str, Any] | None = None) -> dict[str, str]:
    """DEFAULT_COLORS, then the theme chain's options.colors, then folio.yaml's.

    `theme_options` is ThemeChain.options when the caller has loaded the theme.
    """
    if theme_options is None:
        from .errors import FolioError
        from .themes import load_theme

        try:
            theme_options = load_theme(site.config.theme, site_dir).options
        except FolioError:  # the build reports a broken theme; cards keep the defaults
            theme_options = {}
    colors = dict(DEFAULT_COLORS)
    for source in (theme_options.get("colors"), site.config.theme_options.get("colors")):
        if isinstance(source, dict):
            colors.update({k: str(v) for k, v in source.items()
                           if k in DEFAULT_COLORS and _is_colour(str(v))})
    return colors


def _is_colour(value: str) -> bool:
    from PIL import ImageColor

    try:
        ImageColor.getrgb(value)
    except ValueError:
        return False
    return True


# -- drawing -----------------------------------------------------------------------

def render_cards(site: Site, pages: Sequence[CardSpec], site_dir: Path,
                 cache_dir: Path | None, *,
                 theme_options: dict[str, Any] | None = None,
                 spill: Spill | None = None, jobs: int | None = None) -> dict[str, Output]:
    """Draw (or read from the cache) one JPEG per spec; keys are output paths.

    `cache_dir` is the folder for cards, normally `<site>/.folio-cache/og`; None: no cache.
    With `spill`, each card goes to disk as it is made, by the process that drew it
    (and into the cache from there), so no card crosses a pipe or stays in memory.
    `jobs`: drawing processes (`folio build --jobs`); None: all cores.
    """
    site_dir = Path(site_dir)
    colors = theme_colors(site, site_dir, theme_options)
    photo = _photo_bytes(site, site_dir)
    footer = _footer_line(site)
    common = json.dumps({"colors": colors, "name": site.profile.name, "site": footer,
                         "fonts": font_identity()}, sort_keys=True)
    photo_hash = hashlib.sha256(photo).hexdigest() if photo else "-"
    cache = open_cache(cache_dir, "og", CARD_VERSION)
    out: dict[str, Output] = {}
    todo: list[tuple[str, str, CardSpec]] = []
    for spec in pages:
        path = output_path(card_url(spec.url))
        key = cache.key(common, photo_hash, spec.title, spec.subtitle)
        found = _cached_card(cache, key, spill)
        if found is not None:
            out[path] = found
        else:
            todo.append((path, key, spec))
    # Processes, not threads: drawing and zlib hold the GIL.
    avatar = _round_photo(photo, _PHOTO) if photo and todo else None  # once, not per card
    drawn = map_ordered(_draw_spec, [(key, spec) for _path, key, spec in todo], jobs,
                        serial_below=24,
                        initializer=_init_drawing,
                        initargs=(colors, site.profile.name, footer, avatar, cache, spill))
    for (path, _key, _spec), card in zip(todo, drawn, strict=True):
        out[path] = card
    counters["renders"] += len(todo)
    return dict(sorted(out.items()))


def _cached_card(cache: Any, key: str, spill: Spill | None) -> Output | None:
    """The card kept under `key`, checked. With a spill, the entry's file is given a
    second name in it and checked through that name, so the write copies exactly
    the checked bytes, and no byte is copied before then."""
    if spill is not None:
        linked = spill.link(cache.path_of(key))
        if linked is not None:
            found = cache.get_bytes_at(key, linked)
            if found is None:
                return None
            data, sha256 = found
            return Spilled(linked, PAYLOAD_OFFSET, len(data), sha256)
    cached = cache.get_bytes(key)
    if cached is None or spill is None:
        return cached
    return spill.put(cached)


_DRAWING: tuple | None = None


def _init_drawing(colors: dict[str, str], name: str, footer: str, avatar, cache: Any,
                  spill: Spill | None) -> None:
    global _DRAWING
    base = _base_card(colors, name, footer, avatar)
    _DRAWING = (colors, base, JpegRows.encode(base), avatar is not None, cache, spill)


def _draw_spec(item: tuple[str, CardSpec]) -> Output:
    """One card, stored in the cache under its key and spilled, in the drawing process."""
    assert _DRAWING is not None
    colors, base, encoded, has_photo, cache, spill = _DRAWING
    key, spec = item
    card = _draw(spec, colors, base, encoded, has_photo)
    cache.put_bytes(key, card)
    return card if spill is None else spill.put(card)


def _footer_line(site: Site) -> str:
    """Under the name: the site's title, or its address when the title repeats the name."""
    if site.profile.name.casefold() not in site.config.title.casefold():
        return site.config.title
    return site.config.base_url.split("://", 1)[-1].rstrip("/")


def _photo_bytes(site: Site, site_dir: Path) -> bytes | None:
    photo = site.profile.photo
    if photo is None:
        return None
    path = site_dir / photo.src
    try:
        if not path.resolve(strict=True).is_relative_to(site_dir.resolve()):
            return None
        return path.read_bytes()
    except OSError:
        return None  # the image pipeline reports missing photos with file and line


def _base_card(colors: dict[str, str], name: str, site_title: str, avatar):
    """What every card shares (background, accent bar, photo, name, footer), drawn once."""
    from PIL import Image, ImageDraw

    width, height = CARD_SIZE
    card = Image.new("RGB", CARD_SIZE, colors["background"])
    draw = ImageDraw.Draw(card)
    draw.rectangle([0, 0, 16, height], fill=colors["accent"])
    if avatar is not None:
        card.paste(avatar, (width - _MARGIN - _PHOTO, _MARGIN), avatar)
    name_font, site_font = card_font(36, bold=True), card_font(28, bold=False)
    draw.line([(_MARGIN, height - 150), (width - _MARGIN, height - 150)], fill=colors["muted"],
              width=2)
    draw.text((_MARGIN, height - 122), fit_line(name, name_font, width - 2 * _MARGIN),
              font=name_font, fill=colors["text"])
    if site_title:
        draw.text((_MARGIN, height - 72), fit_line(site_title, site_font, width - 2 * _MARGIN),
                  font=site_font, fill=colors["muted"])
    return card


def _layout(spec: CardSpec, has_photo: bool) -> list[tuple[tuple[int, int], str, Any, str]]:
    """This card's own text, top to bottom: (xy, text, font, colour name)."""
    width, _height = CARD_SIZE
    text_right = width - _MARGIN - (_PHOTO + 40 if has_photo else 0)
    x, y = _MARGIN, _MARGIN
    items = []
    if spec.subtitle:
        sub_font = card_font(30, bold=True)
        items.append(((x, y), fit_line(spec.subtitle, sub_font, text_right - x), sub_font, "accent"))
        y += 58
    for size, max_lines in ((68, 3), (56, 4), (46, 5)):
        title_font = card_font(size, bold=True)
        lines = wrap(spec.title, title_font, text_right - x)
        if len(lines) <= max_lines:
            break
    for line in clip_lines(lines, max_lines, title_font, text_right - x):
        items.append(((x, y), line, title_font, "text"))
        y += int(size * 1.22)
    return items


def _draw(spec: CardSpec, colors: dict[str, str], base, encoded: JpegRows, has_photo: bool) -> bytes:
    """One card: the shared base plus this page's subtitle and title, as JPEG.

    Only the band of rows the text touches is drawn and encoded; the rest of the
    file is the base's own encoded rows (:class:`~folio.jpegrows.JpegRows`), so
    the bytes are those of encoding the whole card, at about half the cost.
    """
    from PIL import ImageDraw

    width, height = CARD_SIZE
    items = _layout(spec, has_photo)
    top, bottom = height, 0
    for (_x, y), text, font, _colour in items:
        ink_top, ink_bottom = extent(text, font)
        top, bottom = min(top, y + ink_top), max(bottom, y + ink_bottom)
    top, bottom = top - JpegRows.ROW, bottom + JpegRows.ROW  # a block row of slack
    top = max(0, top // JpegRows.ROW * JpegRows.ROW)
    bottom = min(height, -(-bottom // JpegRows.ROW) * JpegRows.ROW)
    if len(encoded.rows) == 1:  # a Pillow without restart markers: the whole card
        top, bottom = 0, height
    band = base.crop((0, top, width, bottom))
    draw = ImageDraw.Draw(band)
    for (x, y), text, font, colour in items:
        draw.text((x, y - top), text, font=font, fill=colors[colour])
    return encoded.splice(JpegRows.encode(band), top // JpegRows.ROW)


def _round_photo(data: bytes, size: int):
    import io

    from PIL import Image, ImageDraw, ImageOps

    try:
        im = ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("RGB")
    except Exception:  # an unreadable photo is reported by the image pipeline
        return None
    im = ImageOps.fit(im, (size, size), Image.Resampling.LANCZOS)
    mask = Image.new("L", (size * 4, size * 4), 0)
    ImageDraw.Draw(mask).ellipse([0, 0, size * 4 - 1, size * 4 - 1], fill=255)
    im.putalpha(mask.resize((size, size), Image.Resampling.LANCZOS))
    return im


