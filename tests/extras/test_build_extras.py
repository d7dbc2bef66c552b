"""Images, cards and search through the real build: what a user's site gets."""

from __future__ import annotations

import io
import re

import lxml.html
import pytest
from extras_helpers import GPS_IFD, photo_bytes
from PIL import Image

from folio import images, social
from folio.build import Builder, BuildOptions

CASE = """\
---
title: Boxly churn dashboard
summary: Why subscribers left, and what changed.
cover: {src: assets/boxly/cover.jpg, alt: The churn dashboard}
gallery:
  - {src: assets/boxly/a.jpg, alt: Weekly churn chart, caption: Week by week}
  - {src: assets/boxly/b.png, alt: Survey answers}
---
The story.

![Cohort table](../assets/boxly/a.jpg)
"""


@pytest.fixture
def site(make_site):
    return make_site({
        "folio.yaml": ("title: Ada\nbase_url: https://ada.github.io/portfolio/\n"
                       "tracks:\n  - {id: data, title: Data consulting}\n"),
        "skills.yaml": "- {id: sql, name: SQL, tracks: [data]}\n",
        "posts/2024-05-joins.md": ("---\ntitle: On joins\ndate: 2024-05-02\ntags: [sql]\n"
                                   "---\nText.\n"),
        "pages/about.md": "---\ntitle: About\n---\nAbout me.\n",
        "services/audit.md": "---\ntitle: Data audit\n---\nTwo days.\n",
        "modules/sql/module.yaml": "title: SQL for analysts\ntracks: [data]\n",
        "modules/sql/01-joins.md": "---\ntitle: Joins\n---\nInner and outer.\n",
        "profile.md": "---\nname: Ada Example\nphoto: assets/me.jpg\n---\nHi.\n",
        "assets/me.jpg": photo_bytes(800, 1000),
        "assets/boxly/cover.jpg": photo_bytes(2000, 1200),
        "assets/boxly/a.jpg": photo_bytes(1200, 900, orientation=6),
        "assets/boxly/b.png": photo_bytes(700, 500, fmt="PNG"),
        "case-studies/boxly.md": CASE,
    })


def build(site):
    return Builder(site, BuildOptions(search=False)).build()


def test_published_images_carry_no_gps_and_pages_use_srcset(site):
    files = build(site).files
    published = [p for p in files if p.startswith("assets/")]
    assert len(published) >= 4 * 3  # variants + fallbacks of every image
    for path in published:
        im = Image.open(io.BytesIO(files[path]))
        assert not im.getexif().get_ifd(GPS_IFD) and not len(im.getexif()), path
    page = lxml.html.fromstring(files["work/boxly/index.html"])
    sources = page.xpath("//picture/source[@type='image/webp']")
    assert sources
    for source in sources:
        for candidate in source.get("srcset").split(", "):
            url, width = candidate.split(" ")
            assert url.startswith("/portfolio/assets/") and width.endswith("w")
            assert url[len("/portfolio/"):] in files
    for img in page.xpath("//picture/img"):
        assert img.get("width") and img.get("height") and img.get("decoding") == "async"
    gallery = page.xpath("//section[@data-gallery]//a[@data-gallery-item]")
    assert [a.get("href") for a in gallery] == ["/portfolio/assets/boxly/a.jpg",
                                                "/portfolio/assets/boxly/b.png"]


def test_every_og_image_is_a_drawn_card_or_an_image(site):
    files = build(site).files
    pages = [p for p in files if p.endswith(".html")]
    assert len(pages) > 15
    for path in pages:
        found = re.search(rb'property="og:image" content="https://ada\.github\.io/portfolio/'
                          rb'([^"]+)"', files[path])
        assert found, path
        target = found.group(1).decode()
        assert target in files, (path, target)
        if target.startswith("og/"):
            assert Image.open(io.BytesIO(files[target])).size == social.CARD_SIZE


def test_warm_rebuild_encodes_and_draws_nothing(site):
    first = build(site)
    encodes, renders = images.counters["encodes"], social.counters["renders"]
    second = build(site)  # a new Builder: only the on-disk cache is shared
    assert images.counters["encodes"] == encodes
    assert social.counters["renders"] == renders
    assert second.files == first.files


def test_missing_gallery_image_fails_the_build_at_its_line(site):
    text = (site / "case-studies" / "boxly.md").read_text()
    (site / "case-studies" / "boxly.md").write_text(text.replace("assets/boxly/b.png",
                                                                 "assets/boxly/c.png"))
    from folio.errors import BuildFailed

    with pytest.raises(BuildFailed) as caught:
        build(site)
    assert "case-studies/boxly.md:7: error: image not found: assets/boxly/c.png" in [
        d.headline() for d in caught.value.diagnostics]
