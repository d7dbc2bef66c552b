"""Social cards: URLs, size, colours, photo, cache."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from extras_helpers import photo_bytes
from PIL import Image

from folio import cardtext, social
from folio.jpegrows import JpegRows
from folio.model import Image as ImageRef
from folio.model import Profile, Site, SiteConfig
from folio.social import CARD_SIZE, CardSpec, card_url, render_cards


def make_site(photo: str | None = None, colors: dict | None = None) -> Site:
    config = SiteConfig(title="Ada Example — portfolio", base_url="https://ada.github.io/p/",
                        base_path="/p/", theme_options={"colors": colors} if colors else {})
    profile = Profile(name="Ada Example", headline="Data consultant",
                      photo=ImageRef(photo, alt="Ada") if photo else None)
    return Site(config=config, profile=profile)


@pytest.mark.parametrize(("page", "card"), [
    ("/", "/og/index.jpg"),
    ("/work/boxly/", "/og/work/boxly.jpg"),
    ("/modules/sql/joins/", "/og/modules/sql/joins.jpg"),
    ("/services/#audit", "/og/services.jpg"),
    ("/404.html", "/og/404.jpg"),
])
def test_card_url(page, card):
    assert card_url(page) == card


def test_cards_are_1200_by_630_jpegs_at_their_output_paths(tmp_path):
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "me.png").write_bytes(photo_bytes(900, 1200))
    site = make_site("assets/me.png")
    specs = [CardSpec("/", "Ada Example", "Data consultant"),
             CardSpec("/work/boxly/", "Boxly: a churn dashboard for a subscription box company "
                      "that wanted to know why customers left " * 3, "Case study · Boxly")]
    files = render_cards(site, specs, tmp_path, None)
    assert sorted(files) == ["og/index.jpg", "og/work/boxly.jpg"]
    for data in files.values():
        im = Image.open(io.BytesIO(data))
        assert im.format == "JPEG" and im.size == CARD_SIZE
        assert not im.getexif()
    assert files["og/index.jpg"] != files["og/work/boxly.jpg"]


def near(pixel, expected, tolerance=6):
    """JPEG keeps flat colours within a few levels."""
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, expected, strict=True))


def test_cards_use_the_theme_colours(tmp_path):
    site = make_site(colors={"background": "#102030", "accent": "#ff0000"})
    data = render_cards(site, [CardSpec("/", "T")], tmp_path, None)["og/index.jpg"]
    im = Image.open(io.BytesIO(data)).convert("RGB")
    assert near(im.getpixel((600, 400)), (0x10, 0x20, 0x30))  # background
    assert near(im.getpixel((5, 300)), (255, 0, 0))  # accent bar


def test_photo_is_round_cropped(tmp_path):
    (tmp_path / "assets").mkdir()
    Image.new("RGB", (400, 300), (0, 200, 0)).save(tmp_path / "assets" / "me.png")
    site = make_site("assets/me.png")
    data = render_cards(site, [CardSpec("/", "T")], tmp_path, None)["og/index.jpg"]
    im = Image.open(io.BytesIO(data)).convert("RGB")
    left, top, size = CARD_SIZE[0] - 72 - 168, 72, 168
    assert near(im.getpixel((left + size // 2, top + size // 2)), (0, 200, 0))  # centre: photo
    assert near(im.getpixel((left + 2, top + 2)), (0xfb, 0xfa, 0xf7))  # corner: the background


def test_cards_are_deterministic_and_cached(tmp_path):
    cache = tmp_path / ".folio-cache" / "og"
    site = make_site()
    specs = [CardSpec("/", "Home"), CardSpec("/work/a/", "A", "Case study")]
    before = social.counters["renders"]
    first = render_cards(site, specs, tmp_path, cache)
    assert social.counters["renders"] - before == 2
    second = render_cards(site, specs, tmp_path, cache)
    assert social.counters["renders"] - before == 2  # nothing drawn again
    assert second == first
    assert render_cards(site, specs, tmp_path, None) == first  # drawn afresh: same bytes
    changed = render_cards(site, [CardSpec("/work/a/", "A, renamed", "Case study")],
                           tmp_path, cache)
    assert social.counters["renders"] - before == 5
    assert changed["og/work/a.jpg"] != first["og/work/a.jpg"]


def test_every_page_names_a_card_that_is_drawn(tmp_path):
    from folio.model import CaseStudy, Source
    from folio.social import card_specs, og_card_url

    case = CaseStudy(slug="boxly", title="Boxly", url="/work/boxly/",
                     source=Source("case-studies/boxly.md"), client="Boxly Ltd")
    site = Site(config=make_site().config, profile=make_site().profile, case_studies=(case,))
    specs = card_specs(site)
    assert CardSpec("/work/boxly/", "Boxly", "Case study · Boxly Ltd") in specs
    drawn = render_cards(site, specs, tmp_path, None)
    for page in ("/", "/work/boxly/", "/work/", "/cv/", "/not-a-page/"):
        assert og_card_url(site, page).lstrip("/") in drawn
    assert og_card_url(site, "/work/boxly/") == "/og/work/boxly.jpg"
    assert og_card_url(site, "/not-a-page/") == "/og/index.jpg"


def test_missing_photo_still_draws_a_card(tmp_path: Path):
    site = make_site("assets/nope.jpg")
    files = render_cards(site, [CardSpec("/", "Home")], tmp_path, None)
    assert Image.open(io.BytesIO(files["og/index.jpg"])).size == CARD_SIZE


def test_long_unbroken_titles_are_wrapped_within_the_card():
    font = cardtext.card_font(68, bold=True)
    lines = cardtext.wrap("x" * 200, font, 800)
    assert len(lines) > 1 and all(font.getlength(line) <= 800 for line in lines)


@pytest.mark.parametrize(("title", "subtitle"), [
    ("Café déjà vu: à la carte", "Case study · Ångström"),
    ("Boxly: a churn dashboard for a subscription box company that wanted to know why "
     "customers left, and what kept the ones who stayed " * 2, "Writing · 2024-05-01"),
    ("تحليل البيانات للشركات الصغيرة", "دراسة حالة"),
    ("डेटा विश्लेषण और रिपोर्टिंग", "केस स्टडी"),
    ("Z" + "\u0301" * 40 + " and " + "g" + "\u0323" * 40, "line one\nline two"),
    ("", ""),
])
@pytest.mark.parametrize("photo", [True, False])
def test_a_card_has_the_bytes_of_encoding_the_whole_card(title, subtitle, photo):
    """Cards encode only the rows their text touches and reuse the base's other rows;
    whatever the text, the file must be that of encoding the whole card."""
    from PIL import ImageDraw

    colors = social.DEFAULT_COLORS
    avatar = social._round_photo(photo_bytes(300, 400), 168) if photo else None
    base = social._base_card(colors, "Ada Example", "ada.github.io/p", avatar)
    spec = CardSpec("/work/x/", title, subtitle)
    card = base.copy()
    draw = ImageDraw.Draw(card)
    for xy, text, font, colour in social._layout(spec, photo):
        draw.text(xy, text, font=font, fill=colors[colour])
    whole = io.BytesIO()
    card.save(whole, "JPEG", **JpegRows.OPTIONS)
    drawn = social._draw(spec, colors, base, JpegRows.encode(base), photo)
    assert drawn == whole.getvalue()


@pytest.mark.parametrize("title", [
    "A plain title that is long enough to wrap over more than one line of the card " * 3,
    "Überraschung für Ärztinnen: Größenordnungen, Maßstäbe und Übergänge " * 2,
    "تحليل البيانات للشركات الصغيرة والمتوسطة في المنطقة العربية " * 2,
    "AVAVAVAVAV To Wa Yo T. fi ffl " * 6,
])
@pytest.mark.parametrize("size", [46, 68])
def test_wrapping_is_greedy_by_measured_width(title, size):
    """Each line fits, and the next word would not have fitted on it."""
    font, width = cardtext.card_font(size, bold=True), 888
    lines = cardtext.wrap(title, font, width)
    assert " ".join(lines) == " ".join(title.split())
    for line, after in zip(lines, [*lines[1:], None], strict=True):
        assert font.getlength(line) <= width
        if after is not None:
            assert font.getlength(f"{line} {after.split()[0]}") > width
