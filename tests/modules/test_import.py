"""Importing packages from other sites: the round trip, and every hostile package."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import zipfile
from pathlib import Path

import lxml.html
import pytest
import yaml

from folio.errors import FolioError
from folio.modules import importer
from folio.modules.importer import import_module

from .conftest import EXAMPLE_SITE, build_site, unzip

SLUG = "spreadsheet-foundations"


@pytest.fixture(scope="module")
def package(example_files) -> bytes:
    return example_files[f"modules/{SLUG}/{SLUG}.zip"]


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def write(tmp_path: Path, files: dict[str, bytes], name: str = "pkg.zip", symlinks=()) -> Path:
    """A zip written by hand, as an attacker would."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for entry, data in files.items():
            archive.writestr(entry, data)
        for entry, target in symlinks:
            info = zipfile.ZipInfo(entry)
            info.create_system = 3
            info.external_attr = 0o120777 << 16
            archive.writestr(info, target)
    path = tmp_path / name
    path.write_bytes(buffer.getvalue())
    return path


def resign(files: dict[str, bytes], **meta_changes) -> dict[str, bytes]:
    """Recompute folio-module.json so only the change under test is wrong."""
    files = dict(files)
    meta = json.loads(files.pop("folio-module.json"))
    meta["files"] = {n: hashlib.sha256(d).hexdigest() for n, d in sorted(files.items())}
    meta.update(meta_changes)
    files["folio-module.json"] = json.dumps(meta).encode()
    return files


@pytest.fixture
def target(make_site):
    return make_site({}, name="target")


@pytest.fixture
def sibling(tmp_path, example_copy, example_build):
    """A copy of the example site without the module: every link target exists."""
    site = tmp_path / "sibling"
    shutil.copytree(example_copy, site)
    shutil.rmtree(site / "modules" / SLUG)
    return site


# -- the round trip ------------------------------------------------------------------

def test_export_then_import_round_trips_to_an_identical_module(tmp_path, package, sibling):
    path = tmp_path / "m.zip"
    path.write_bytes(package)
    result = import_module(path, sibling)
    assert result.slug == SLUG and not result.replaced
    before = tree(EXAMPLE_SITE / "modules" / SLUG)
    after = tree(sibling / "modules" / SLUG)
    assert sorted(before) == sorted(after)
    for name in before:
        if name != "module.yaml":
            assert after[name] == before[name], name
    # module.yaml: the original bytes, then only the origin block
    assert after["module.yaml"].startswith(before["module.yaml"])
    added = yaml.safe_load(after["module.yaml"][len(before["module.yaml"]):])
    assert added == {"origin": {
        "title": "Spreadsheet foundations",
        "url": "https://maya-okafor.github.io/portfolio/modules/spreadsheet-foundations/",
        "authors": [{"name": "Maya Okafor", "url": "https://maya-okafor.github.io/portfolio/"}],
        "version": "2.1", "license": "CC-BY-4.0"}}
    # the asset the lessons use came along, identical
    assert (sibling / "assets/posts/xlookup-table.png").read_bytes() == \
        (EXAMPLE_SITE / "assets/posts/xlookup-table.png").read_bytes()


def test_second_generation_round_trip_is_exact(tmp_path, package, sibling, make_site):
    first = tmp_path / "m.zip"
    first.write_bytes(package)
    import_module(first, sibling)
    again = build_site(sibling, cache=True).files[f"modules/{SLUG}/{SLUG}.zip"]
    second = tmp_path / "m2.zip"
    second.write_bytes(again)
    third_site = tmp_path / "third"
    shutil.copytree(sibling, third_site)
    shutil.rmtree(third_site / "modules" / SLUG)
    import_module(second, third_site)
    assert tree(third_site / "modules" / SLUG) == tree(sibling / "modules" / SLUG)


def test_imported_module_builds_and_credits_its_origin(tmp_path, package, target):
    path = tmp_path / "m.zip"
    path.write_bytes(package)
    import_module(path, target)
    files = build_site(target).files
    doc = lxml.html.fromstring(files[f"modules/{SLUG}/index.html"])
    byline = " ".join(doc.xpath("string(//p[@class='module-byline'])").split())
    assert byline.startswith("By Maya Okafor, adapted from Spreadsheet foundations")
    assert "https://maya-okafor.github.io/portfolio/modules/spreadsheet-foundations/" in \
        doc.xpath("//p[@class='module-byline']//a/@href")
    lesson = lxml.html.fromstring(files[f"modules/{SLUG}/lookups-without-tears/index.html"])
    # a link to a page this site does not have now points at the source site
    assert "https://maya-okafor.github.io/portfolio/writing/from-vlookup-to-xlookup/" in \
        lesson.xpath("//div[contains(@class,'lesson-body')]//a/@href")


def test_unknown_skills_and_tracks_are_left_out_with_a_note(tmp_path, package, target):
    path = tmp_path / "m.zip"
    path.write_bytes(package)
    import_module(path, target)
    text = (target / "modules" / SLUG / "module.yaml").read_text()
    assert text.startswith("# Imported with `folio module import`. Not defined in this site")
    data = yaml.safe_load(text)
    assert "skills" not in data and "tracks" not in data
    assert data["origin"]["license"] == "CC-BY-4.0"


def test_existing_module_needs_force(tmp_path, package, sibling):
    path = tmp_path / "m.zip"
    path.write_bytes(package)
    import_module(path, sibling)
    (sibling / "modules" / SLUG / "notes.md").write_text("---\ntitle: Mine\n---\n")
    with pytest.raises(FolioError, match="already exists") as err:
        import_module(path, sibling)
    assert "--force" in err.value.diagnostic.hint
    assert (sibling / "modules" / SLUG / "notes.md").exists()  # untouched
    result = import_module(path, sibling, force=True)
    assert result.replaced and not (sibling / "modules" / SLUG / "notes.md").exists()


def test_asset_with_different_content_is_not_overwritten(tmp_path, package, target):
    (target / "assets/posts").mkdir(parents=True)
    (target / "assets/posts/xlookup-table.png").write_bytes(b"mine")
    path = tmp_path / "m.zip"
    path.write_bytes(package)
    with pytest.raises(FolioError, match="already exists with different content"):
        import_module(path, target)
    assert (target / "assets/posts/xlookup-table.png").read_bytes() == b"mine"
    assert not (target / "modules" / SLUG).exists()


# -- hostile packages ----------------------------------------------------------------

HOSTILE_NAMES = [
    ("../evil.md", "leaves the package folder"),
    ("modules/x/../../../evil.md", "leaves the package folder"),
    ("/etc/evil.md", "absolute path"),
    ("C:/evil.md", "absolute path"),
    ("modules\\x\\evil.md", "backslash"),
    ("modules/x/evil\x1b[2J.md", "control characters"),
]


@pytest.mark.parametrize("name,message", HOSTILE_NAMES)
def test_zip_slip_entries_are_refused(tmp_path, package, target, name, message):
    files = unzip(package)
    files[name] = b"pwned"
    path = write(tmp_path, resign(files))
    with pytest.raises(FolioError, match=message):
        import_module(path, target)
    assert not (target / "modules").exists()
    assert not (tmp_path / "evil.md").exists()


def test_symlink_entries_are_refused(tmp_path, package, target):
    path = write(tmp_path, unzip(package), symlinks=[(f"modules/{SLUG}/key.md", "/root/.ssh/id_rsa")])
    with pytest.raises(FolioError, match="symbolic link"):
        import_module(path, target)


def test_checksum_mismatch_is_refused(tmp_path, package, target):
    files = unzip(package)
    files[f"modules/{SLUG}/01-tidy-tables.md"] += b"\n<script>alert(1)</script>\n"
    with pytest.raises(FolioError, match="checksum mismatch for 'modules/spreadsheet-foundations/01-tidy-tables.md'"):
        import_module(write(tmp_path, files), target)


def test_unlisted_and_missing_files_are_refused(tmp_path, package, target):
    files = unzip(package)
    files[f"modules/{SLUG}/extra.md"] = b"---\ntitle: x\n---\n"
    with pytest.raises(FolioError, match="not listed"):
        import_module(write(tmp_path, files), target)
    files = unzip(package)
    del files[f"modules/{SLUG}/02-formulas-you-can-read.md"]
    with pytest.raises(FolioError, match="does not contain it"):
        import_module(write(tmp_path, files, "b.zip"), target)


def test_unknown_license_is_refused(tmp_path, package, target):
    path = write(tmp_path, resign(unzip(package), license="LicenseRef-all-rights-reserved"))
    with pytest.raises(FolioError, match="license 'LicenseRef-all-rights-reserved' is not one folio imports") as err:
        import_module(path, target)
    assert "CC-BY-4.0" in err.value.diagnostic.hint


def test_oversized_package_and_files_are_refused(tmp_path, package, target, monkeypatch):
    path = tmp_path / "m.zip"
    path.write_bytes(package)
    monkeypatch.setattr(importer, "MAX_PACKAGE_BYTES", 1000)
    with pytest.raises(FolioError, match="the limit is 1,000"):
        import_module(path, target)
    monkeypatch.setattr(importer, "MAX_PACKAGE_BYTES", 10**9)
    monkeypatch.setattr(importer, "MAX_FILE_BYTES", 2000)
    with pytest.raises(FolioError, match="bytes; the limit is 2,000"):
        import_module(path, target)


def test_zip_bomb_is_stopped_by_the_total_cap(tmp_path, target, monkeypatch):
    files = {f"assets/z{i}.txt": b"\0" * 200_000 for i in range(10)}
    path = write(tmp_path, files)
    assert path.stat().st_size < 20_000  # compresses to almost nothing
    monkeypatch.setattr(importer, "MAX_TOTAL_BYTES", 1_000_000)
    with pytest.raises(FolioError, match="unpacks to more than"):
        import_module(path, target)


def test_too_many_entries_are_refused(tmp_path, target, monkeypatch):
    monkeypatch.setattr(importer, "MAX_ENTRIES", 5)
    path = write(tmp_path, {f"assets/{i}.txt": b"x" for i in range(6)})
    with pytest.raises(FolioError, match="6 entries; the limit is 5"):
        import_module(path, target)


@pytest.mark.parametrize("name", [f"modules/{SLUG}/run.html", f"modules/{SLUG}/x.js",
                                  "assets/logo.svg", "static/CNAME", "folio.yaml"])
def test_unexpected_file_types_and_places_are_refused(tmp_path, package, target, name):
    files = unzip(package)
    files[name] = b"<script>alert(1)</script>"
    with pytest.raises(FolioError, match="not imported|outside"):
        import_module(write(tmp_path, resign(files)), target)


def test_not_a_zip_or_not_a_folio_package(tmp_path, target, example_files):
    bad = tmp_path / "notes.zip"
    bad.write_bytes(b"PK\x03\x04 this is not a zip")
    with pytest.raises(FolioError, match="not a readable zip file"):
        import_module(bad, target)
    cartridge = tmp_path / "m.imscc"
    cartridge.write_bytes(example_files[f"modules/{SLUG}/{SLUG}.imscc"])
    with pytest.raises(FolioError, match="folio-module.json is missing") as err:
        import_module(cartridge, target)
    assert "not the .imscc" in err.value.diagnostic.hint


def test_hostile_slug_in_the_manifest_is_refused(tmp_path, package, target):
    path = write(tmp_path, resign(unzip(package), slug="../../etc"))
    with pytest.raises(FolioError, match="not a single URL segment"):
        import_module(path, target)


def test_raw_html_in_an_imported_lesson_never_runs(tmp_path, package, target):
    files = unzip(package)
    lesson = f"modules/{SLUG}/01-tidy-tables.md"
    files[lesson] += (b'\n<script>alert("x")</script>\n\n<img src="x" onerror="alert(1)">\n\n'
                      b'[click](javascript:alert(1))\n\n<iframe src="https://evil.example"></iframe>\n')
    import_module(write(tmp_path, resign(files)), target)
    built = build_site(target).files
    pages = [built[f"modules/{SLUG}/tidy-tables/index.html"], built[f"modules/{SLUG}/print/index.html"],
             unzip(built[f"modules/{SLUG}/{SLUG}.zip"])["lessons/tidy-tables.html"]]
    for html in pages:
        doc = lxml.html.fromstring(html)
        body = doc.xpath("//*[contains(@class,'lesson-body') or contains(@class,'prose')]")[0]
        assert not body.xpath(".//script | .//iframe | .//img[@onerror]")
        assert not [a for a in body.xpath(".//@*") if a.attrname.startswith("on")]
        assert not [h for h in body.xpath(".//@href | .//@src") if "javascript" in h.lower()]
        assert 'alert("x")' in body.text_content()  # shown as text, not run


@pytest.mark.parametrize("change", [{"source": "javascript:alert(1)"},
                                    {"authors": [{"name": "X", "url": "data:text/html,<script>"}]}])
def test_unsafe_urls_in_the_manifest_are_refused(tmp_path, package, target, change):
    path = write(tmp_path, resign(unzip(package), **change))
    with pytest.raises(FolioError, match="unsafe or unsupported URL"):
        import_module(path, target)
    assert not (target / "modules").exists()
