"""IMS Common Cartridge 1.1: a course shell Canvas, Moodle and others import.

One folder item for the module holding an overview page, one webcontent
resource per lesson (its HTML file first, then the assets it uses) and web
links as imswl_xmlv1p1 resources. Quizzes stay inside the lesson HTML as
self-checks, readable even where an LMS strips scripts.
"""

from __future__ import annotations

import hashlib

from ..model import Module, Site
from . import view
from .licenses import license_url
from .offline import OfflineModule, WebLink
from .xmltext import attr, href, text
from .ziputil import deterministic_zip

CC11_NS = "http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1"
LOM_MANIFEST_NS = "http://ltsc.ieee.org/xsd/imsccv1p1/LOM/manifest"
LOM_RESOURCE_NS = "http://ltsc.ieee.org/xsd/imsccv1p1/LOM/resource"
WEBLINK_NS = "http://www.imsglobal.org/xsd/imsccv1p1/imswl_v1p1"
_LOCATIONS = (
    f"{CC11_NS} http://www.imsglobal.org/profile/cc/ccv1p1/ccv1p1_imscp_v1p2_v1p0.xsd "
    f"{LOM_MANIFEST_NS} http://www.imsglobal.org/profile/cc/ccv1p1/LOM/ccv1p1_lommanifest_v1p0.xsd "
    f"{LOM_RESOURCE_NS} http://www.imsglobal.org/profile/cc/ccv1p1/LOM/ccv1p1_lomresource_v1p0.xsd"
)


def identifier(site: Site, module: Module) -> str:
    digest = hashlib.sha256(view.source_url(site, module).encode()).hexdigest()[:16]
    return f"M_{digest}"


def _lang(site: Site) -> str:
    return attr(site.config.language or "en")


def _lom(site: Site, module: Module) -> str:
    lang = _lang(site)
    rights = (f"Licensed under {module.license or 'CC-BY-4.0'}: "
              f"{license_url(module.license or 'CC-BY-4.0')}")
    if module.origin is not None:
        rights += f". Adapted from {module.origin.title}"
        rights += f" ({module.origin.url})" if module.origin.url else ""
    authors = "".join(
        f"<lomimscc:entity>{text(a.name)}</lomimscc:entity>" for a in view.authors_of(site, module))
    return (
        "<lomimscc:lom>"
        "<lomimscc:general>"
        f"<lomimscc:title><lomimscc:string language={lang}>{text(module.title)}</lomimscc:string></lomimscc:title>"
        f"<lomimscc:language>{text(site.config.language or 'en')}</lomimscc:language>"
        f"<lomimscc:description><lomimscc:string language={lang}>{text(module.summary or module.title)}</lomimscc:string></lomimscc:description>"
        "</lomimscc:general>"
        "<lomimscc:lifeCycle><lomimscc:contribute>"
        f"<lomimscc:role><lomimscc:value>author</lomimscc:value></lomimscc:role>{authors}"
        "</lomimscc:contribute></lomimscc:lifeCycle>"
        "<lomimscc:rights>"
        "<lomimscc:copyrightAndOtherRestrictions><lomimscc:value>yes</lomimscc:value></lomimscc:copyrightAndOtherRestrictions>"
        f"<lomimscc:description><lomimscc:string language={lang}>{text(rights)}</lomimscc:string></lomimscc:description>"
        "</lomimscc:rights>"
        "</lomimscc:lom>"
    )


def weblink_xml(link: WebLink) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<webLink xmlns="{WEBLINK_NS}">\n'
        f"  <title>{text(link.title)}</title>\n"
        f'  <url href={attr(link.url)} target="_blank"/>\n'
        "</webLink>\n"
    ).encode()


def manifest(site: Site, module: Module, offline: OfflineModule) -> bytes:
    """imsmanifest.xml; the CC 1.1 namespace sits on the root tag, within its first 500 bytes."""
    items, resources = [], []
    items.append('<item identifier="I_OVERVIEW" identifierref="R_OVERVIEW"><title>Overview</title></item>')
    overview_files = ["index.html"]
    resources.append(_resource("R_OVERVIEW", "webcontent", "index.html", overview_files))
    for number, lesson in enumerate(module.lessons, 1):
        path = offline.lesson_files[lesson.slug]
        title = f"{number}. {lesson.title}"
        items.append(f'<item identifier="I_L{number}" identifierref="R_L{number}"><title>{text(title)}</title></item>')
        files = [path, *offline.lesson_assets.get(lesson.slug, ())]
        resources.append(_resource(f"R_L{number}", "webcontent", path, files))
    for number, link in enumerate(offline.web_links, 1):
        items.append(f'<item identifier="I_WL{number}" identifierref="R_WL{number}"><title>{text(link.title)}</title></item>')
        resources.append(_resource(f"R_WL{number}", "imswl_xmlv1p1", None, [f"weblinks/wl{number}.xml"]))
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<manifest xmlns="{CC11_NS}" identifier={attr(identifier(site, module))}'
        f' xmlns:lomimscc="{LOM_MANIFEST_NS}" xmlns:lom="{LOM_RESOURCE_NS}"'
        ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
        f' xsi:schemaLocation="{_LOCATIONS}">\n'
        "<metadata><schema>IMS Common Cartridge</schema><schemaversion>1.1.0</schemaversion>"
        f"{_lom(site, module)}</metadata>\n"
        '<organizations><organization identifier="ORG_1" structure="rooted-hierarchy">'
        '<item identifier="ROOT">'
        f'<item identifier="I_MODULE"><title>{text(module.title)}</title>\n'
        + "\n".join(items) +
        "\n</item></item></organization></organizations>\n"
        "<resources>\n" + "\n".join(resources) + "\n</resources>\n"
        "</manifest>\n"
    )
    return xml.encode("utf-8")


def _resource(ident: str, kind: str, path: str | None, files: list[str]) -> str:
    href_attr = f" href={href(path)}" if path else ""
    listed = "".join(f"<file href={href(f)}/>" for f in files)
    return f'<resource identifier="{ident}" type="{kind}"{href_attr}>{listed}</resource>'


def build_imscc(site: Site, module: Module, offline: OfflineModule) -> bytes:
    files = {path: data for path, data in offline.files.items()}
    for number, link in enumerate(offline.web_links, 1):
        files[f"weblinks/wl{number}.xml"] = weblink_xml(link)
    files["imsmanifest.xml"] = manifest(site, module, offline)
    return deterministic_zip(files, first=("imsmanifest.xml",))
