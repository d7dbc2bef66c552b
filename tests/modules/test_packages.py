"""The three packages: deterministic bytes, self-contained HTML, honest checksums."""

from __future__ import annotations

import hashlib
import io
import json
import re
import shutil
import zipfile
import zlib

import lxml.html
import pytest

from folio.modules.packages import build_packages
from folio.modules.ziputil import FIXED_TIME

from .conftest import EXAMPLE_SITE, build_site, unzip
from .factories import SOURCES, make_site, read_file_from, rendered_for

SLUG = "spreadsheet-foundations"
NAMES = [f"{SLUG}.imscc", f"{SLUG}-scorm.zip", f"{SLUG}.zip"]


def test_packages_are_byte_identical_across_builds(example_files, example_copy, tmp_path):
    fresh = tmp_path / "fresh"  # another folder: nothing may depend on where the site is
    shutil.copytree(example_copy, fresh)
    again = build_site(fresh, cache=True).files
    for name in NAMES:
        path = f"modules/{SLUG}/{name}"
        assert again[path] == example_files[path], name


def test_zip_entries_have_fixed_times_and_sorted_names(example_files):
    for name in NAMES:
        archive = zipfile.ZipFile(io.BytesIO(example_files[f"modules/{SLUG}/{name}"]))
        infos = archive.infolist()
        assert {i.date_time for i in infos} == {FIXED_TIME}
        names = [i.filename for i in infos]
        assert names[1:] == sorted(names[1:])  # the manifest leads, the rest sorted


def test_compressed_formats_are_stored_and_text_is_deflated():
    """Deflating a PNG again saves nothing and cost most of a package's build time."""
    from folio.modules.ziputil import deterministic_zip

    png = zlib.compress(bytes(range(256)) * 64)  # stands in for compressed image data
    html = b"<p>lesson</p>" * 500
    data = deterministic_zip({"a/figure.PNG": png, "b/font.woff2": png, "lesson.html": html})
    infos = {i.filename: i for i in zipfile.ZipFile(io.BytesIO(data)).infolist()}
    assert infos["a/figure.PNG"].compress_type == zipfile.ZIP_STORED
    assert infos["b/font.woff2"].compress_type == zipfile.ZIP_STORED
    assert infos["lesson.html"].compress_type == zipfile.ZIP_DEFLATED
    assert infos["lesson.html"].compress_size < len(html) // 10
    assert unzip(data) == {"a/figure.PNG": png, "b/font.woff2": png, "lesson.html": html}


def test_unit_packages_are_deterministic_too():
    site = make_site()
    first = build_packages(site, rendered_for(site), read_file_from(SOURCES))
    second = build_packages(site, rendered_for(site), read_file_from(SOURCES))
    assert first == second and len(first) == 3


def offline_links(html: bytes) -> list[str]:
    doc = lxml.html.fromstring(html)
    return doc.xpath("//@href | //@src")


@pytest.mark.parametrize("name", NAMES)
def test_offline_html_uses_only_relative_or_absolute_links(example_files, name):
    files = unzip(example_files[f"modules/{SLUG}/{name}"])
    pages = [n for n in files if n.endswith(".html")]
    assert "index.html" in pages and "lessons/tidy-tables.html" in pages
    for page in pages:
        for link in offline_links(files[page]):
            assert not link.startswith("/"), (page, link)  # root-relative breaks on file://
            if not re.match(r"^(https?:|mailto:|#)", link):
                target = link.split("#")[0]
                base = page.rsplit("/", 1)[0] + "/" if "/" in page else ""
                resolved = __import__("posixpath").normpath(base + target)
                assert resolved in files, (page, link)


def test_lesson_html_is_self_contained(example_files):
    files = unzip(example_files[f"modules/{SLUG}/{SLUG}.imscc"])
    doc = lxml.html.fromstring(files["lessons/lookups-without-tears.html"])
    assert not doc.xpath("//link[@rel='stylesheet'] | //script[@src]")
    assert doc.xpath("//style") and doc.xpath("//script[contains(., 'data-quiz')]")
    assert doc.xpath("//img/@src") == ["../assets/posts/xlookup-table.png"]
    assert "assets/posts/xlookup-table.png" in files
    assert doc.xpath("//fieldset[@data-question]/legend")
    assert doc.xpath("//a[@rel='next']/@href") == ["pivot-tables.html"] * 2  # top and bottom
    assert "https://maya-okafor.github.io/portfolio/writing/from-vlookup-to-xlookup/" in \
        doc.xpath("//a/@href")


def test_only_the_scorm_package_carries_the_lms_bridge(example_files):
    for name in NAMES:
        html = unzip(example_files[f"modules/{SLUG}/{name}"])["lessons/tidy-tables.html"].decode()
        assert ("LMSInitialize" in html) == name.endswith("-scorm.zip"), name
    scorm = unzip(example_files[f"modules/{SLUG}/{SLUG}-scorm.zip"])["lessons/tidy-tables.html"].decode()
    for call in ("LMSFinish", "cmi.core.lesson_status", "cmi.core.score.raw", "window.opener"):
        assert call in scorm


def test_folio_package_lists_a_checksum_for_every_file(example_files):
    files = unzip(example_files[f"modules/{SLUG}/{SLUG}.zip"])
    meta = json.loads(files.pop("folio-module.json"))
    assert meta["title"] == "Spreadsheet foundations" and meta["version"] == "2.1"
    assert meta["license"] == "CC-BY-4.0"
    assert meta["authors"] == [{"name": "Maya Okafor", "url": "https://maya-okafor.github.io/portfolio/"}]
    assert meta["source"] == "https://maya-okafor.github.io/portfolio/modules/spreadsheet-foundations/"
    assert meta["files"] == {n: hashlib.sha256(d).hexdigest() for n, d in files.items()}
    for source in ["module.yaml", "01-tidy-tables.md", "04-pivot-tables.md"]:
        path = f"modules/{SLUG}/{source}"
        assert files[path] == (EXAMPLE_SITE / path).read_bytes()
    assert meta["links"]["posts/2025-06-from-vlookup-to-xlookup.md"] == \
        "https://maya-okafor.github.io/portfolio/writing/from-vlookup-to-xlookup/"
