"""Both manifest kinds validate against the official schemas, plus reference checks."""

from __future__ import annotations

import io
import zipfile

import pytest

from folio.model import Author, ModuleOrigin
from folio.modules.imscc import CC11_NS
from folio.modules.packages import build_packages

from .factories import SOURCES, make_module, make_site, read_file_from, rendered_for
from .schemas import PARSER, etree, needs_schemas, reference_errors, validate

pytestmark = needs_schemas


def packages(site=None):
    site = site or make_site()
    return build_packages(site, rendered_for(site), read_file_from(SOURCES))


def member(package: bytes, name: str) -> bytes:
    return zipfile.ZipFile(io.BytesIO(package)).read(name)


@pytest.fixture(params=["plain", "imported", "subpath"])
def built(request):
    if request.param == "plain":
        return packages()
    if request.param == "imported":
        origin = ModuleOrigin("Sheets 101", "https://other.example/modules/sheets/",
                              (Author("Ada", "https://ada.example/"),), "3", "CC-BY-SA-4.0")
        return packages(make_site([make_module(origin=origin)]))
    return packages(make_site([make_module(base_path="/portfolio/")],
                              base_url="https://maya.example/portfolio/", base_path="/portfolio/"))


def test_imscc_manifest_is_valid_cc11(built):
    package = built["modules/sheets/sheets.imscc"]
    validate("cc11", member(package, "imsmanifest.xml"))
    assert reference_errors(package, titles_required=True) == []


def test_imscc_web_links_are_valid(built):
    archive = zipfile.ZipFile(io.BytesIO(built["modules/sheets/sheets.imscc"]))
    links = [n for n in archive.namelist() if n.startswith("weblinks/")]
    assert len(links) == 2  # the module page and the external guide
    for name in links:
        validate("weblink", archive.read(name))
    guide = etree.fromstring(archive.read("weblinks/wl2.xml"), PARSER)
    assert guide.xpath("//*[local-name()='url']/@href") == ["https://example.org/guide?a=1&b=2"]


def test_scorm_manifest_is_valid_scorm12(built):
    package = built["modules/sheets/sheets-scorm.zip"]
    validate("scorm12", member(package, "imsmanifest.xml"))
    assert reference_errors(package, titles_required=False) == []
    doc = etree.fromstring(member(package, "imsmanifest.xml"), PARSER)
    scos = doc.xpath("//*[local-name()='resource'][@*[local-name()='scormtype']='sco']")
    assert len(scos) == 3  # one SCO per lesson


def test_moodle_detects_the_cartridge_in_its_first_500_bytes(built):
    head = member(built["modules/sheets/sheets.imscc"], "imsmanifest.xml")[:500]
    assert f'xmlns="{CC11_NS}"'.encode() in head


def test_manifest_is_the_first_zip_entry(built):
    for name in ("sheets.imscc", "sheets-scorm.zip"):
        assert zipfile.ZipFile(io.BytesIO(built[f"modules/sheets/{name}"])).namelist()[0] == "imsmanifest.xml"


def test_lom_carries_title_description_and_rights():
    doc = etree.fromstring(member(packages()["modules/sheets/sheets.imscc"], "imsmanifest.xml"), PARSER)
    lom = "{http://ltsc.ieee.org/xsd/imsccv1p1/LOM/manifest}"
    assert doc.findtext(f".//{lom}general/{lom}title/{lom}string") == "Spreadsheet foundations"
    assert doc.findtext(f".//{lom}general/{lom}description/{lom}string") == "Formulas you can trust."
    rights = doc.findtext(f".//{lom}rights/{lom}description/{lom}string")
    assert "CC-BY-4.0" in rights and "creativecommons.org/licenses/by/4.0/" in rights
    assert doc.findtext(f".//{lom}lifeCycle/{lom}contribute/{lom}entity") == "Maya Okafor"


def test_lesson_resources_list_their_html_first_then_assets():
    doc = etree.fromstring(member(packages()["modules/sheets/sheets.imscc"], "imsmanifest.xml"), PARSER)
    ns = {"cp": CC11_NS}
    res = doc.xpath("//cp:resource[@identifier='R_L1']", namespaces=ns)[0]
    files = res.xpath("cp:file/@href", namespaces=ns)
    assert files == ["lessons/cells.html", "assets/img/grid%20one.png"]


def test_broken_manifests_are_caught_by_the_checks():
    """The checker itself must fail on what XSD lets through."""
    package = packages()["modules/sheets/sheets.imscc"]
    archive = zipfile.ZipFile(io.BytesIO(package))
    files = {n: archive.read(n) for n in archive.namelist()}
    files["imsmanifest.xml"] = files["imsmanifest.xml"].replace(
        b'identifierref="R_L2"', b'identifierref="R_NOPE"')
    del files["lessons/charts.html"]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as out:
        for name, data in files.items():
            out.writestr(name, data)
    errors = reference_errors(buffer.getvalue())
    assert "dangling identifierref R_NOPE" in errors
    assert "file lessons/charts.html not in the package" in errors


def test_a_module_without_lessons_still_makes_valid_packages():
    from dataclasses import replace
    site = make_site([replace(make_module(), lessons=())])
    built = build_packages(site, {}, read_file_from(SOURCES))
    cc = built["modules/sheets/sheets.imscc"]
    validate("cc11", member(cc, "imsmanifest.xml"))
    assert reference_errors(cc) == []
    scorm = built["modules/sheets/sheets-scorm.zip"]
    validate("scorm12", member(scorm, "imsmanifest.xml"))
    assert reference_errors(scorm, titles_required=False) == []
