"""The official CC 1.1 and SCORM 1.2 schemas (shared, never copied here) and the
reference checks XSD misses: identifierrefs, files present, titles."""

from __future__ import annotations

import io
import zipfile
from functools import cache
from pathlib import Path
from urllib.parse import unquote

import pytest

SCHEMAS = Path("/work/shared/schemas")
etree = pytest.importorskip("lxml.etree")
needs_schemas = pytest.mark.skipif(not (SCHEMAS / "cc11").is_dir(),
                                   reason="official schemas not available")
PARSER = etree.XMLParser(no_network=True)
SCORM_WRAPPER = b"""<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
 <xs:import namespace="http://www.w3.org/XML/1998/namespace" schemaLocation="../cc11/xml.xsd"/>
 <xs:import namespace="http://www.imsproject.org/xsd/imscp_rootv1p1p2" schemaLocation="imscp_rootv1p1p2.xsd"/>
 <xs:import namespace="http://www.adlnet.org/xsd/adlcp_rootv1p2" schemaLocation="adlcp_rootv1p2.xsd"/>
</xs:schema>"""


@cache
def schema(kind: str):
    if kind == "cc11":
        return etree.XMLSchema(etree.parse(str(SCHEMAS / "cc11/ccv1p1_imscp_v1p2_v1p0.xsd"), PARSER))
    if kind == "weblink":
        return etree.XMLSchema(etree.parse(str(SCHEMAS / "cc11/ccv1p1_imswl_v1p1.xsd"), PARSER))
    return etree.XMLSchema(etree.fromstring(SCORM_WRAPPER, PARSER,
                                            base_url=str(SCHEMAS / "scorm12") + "/"))


def validate(kind: str, xml: bytes) -> None:
    doc = etree.fromstring(xml, PARSER).getroottree()
    s = schema(kind)
    assert s.validate(doc), "\n".join(str(e) for e in s.error_log)


def reference_errors(package: bytes, titles_required: bool = True) -> list[str]:
    """What XSD does not catch: dangling refs, missing files, untitled items."""
    archive = zipfile.ZipFile(io.BytesIO(package))
    names = set(archive.namelist())
    doc = etree.fromstring(archive.read("imsmanifest.xml"), PARSER)
    errors = []
    ids = set(doc.xpath("//*[local-name()='resource']/@identifier"))
    for ref in doc.xpath("//*[local-name()='item']/@identifierref"):
        if ref not in ids:
            errors.append(f"dangling identifierref {ref}")
    for ref in doc.xpath("//*[local-name()='dependency']/@identifierref"):
        if ref not in ids:
            errors.append(f"dangling dependency {ref}")
    org_ids = set(doc.xpath("//*[local-name()='organization']/@identifier"))
    for default in doc.xpath("//*[local-name()='organizations']/@default"):
        if default not in org_ids:
            errors.append(f"dangling default organization {default}")
    for href in doc.xpath("//*[local-name()='file']/@href"):
        if unquote(href) not in names:
            errors.append(f"file {href} not in the package")
    for res in doc.xpath("//*[local-name()='resource'][@href]"):
        listed = res.xpath("*[local-name()='file']/@href")
        if not listed or listed[0] != res.get("href"):
            errors.append(f"resource {res.get('identifier')}: href is not the first <file>")
    items = doc.xpath("//*[local-name()='organization']//*[local-name()='item']")
    for item in items:
        is_root = item.getparent().tag.endswith("organization")
        has_title = bool(item.xpath("*[local-name()='title']/text()"))
        if titles_required and not is_root and not has_title:
            errors.append(f"item {item.get('identifier')} has no title")
        if not titles_required and not has_title:
            errors.append(f"item {item.get('identifier')} has no title")
    return errors
