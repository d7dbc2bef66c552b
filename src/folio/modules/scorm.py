"""SCORM 1.2: one SCO per lesson, for any LMS that plays SCORM.

Each lesson page carries a small bridge (static/scorm-bridge.js) that walks
parent frames and the opener to find the LMS `API`, calls LMSInitialize, sets
`cmi.core.lesson_status` to completed (with `cmi.core.score.*` for quizzes)
and LMSFinish on leaving. Without an LMS the pages work as plain HTML.
No inline IMS metadata: the IMS MD 1.2.1 schema does not compile in libxml2.
"""

from __future__ import annotations

from ..model import Module, Site
from .imscc import identifier
from .offline import OfflineModule
from .xmltext import attr, href, text
from .ziputil import deterministic_zip

CP_NS = "http://www.imsproject.org/xsd/imscp_rootv1p1p2"
ADLCP_NS = "http://www.adlnet.org/xsd/adlcp_rootv1p2"
_LOCATIONS = (f"{CP_NS} imscp_rootv1p1p2.xsd "
              "http://www.imsglobal.org/xsd/imsmd_rootv1p2p1 imsmd_rootv1p2p1.xsd "
              f"{ADLCP_NS} adlcp_rootv1p2.xsd")


def manifest(site: Site, module: Module, offline: OfflineModule) -> bytes:
    items, resources = [], []
    lesson_paths = set(offline.lesson_files.values())
    shared = sorted(p for p in offline.files if p not in lesson_paths)
    for number, lesson in enumerate(module.lessons, 1):
        path = offline.lesson_files[lesson.slug]
        items.append(f'<item identifier="I_L{number}" identifierref="R_L{number}" isvisible="true">'
                     f"<title>{text(f'{number}. {lesson.title}')}</title></item>")
        resources.append(
            f'<resource identifier="R_L{number}" type="webcontent" adlcp:scormtype="sco" href={href(path)}>'
            f'<file href={href(path)}/><dependency identifierref="R_SHARED"/></resource>')
    if not module.lessons:  # a module with no lessons yet: its overview is the one SCO
        shared = [p for p in shared if p != "index.html"]
        items.append('<item identifier="I_OVERVIEW" identifierref="R_OVERVIEW" isvisible="true">'
                     f"<title>{text(module.title)}</title></item>")
        resources.append('<resource identifier="R_OVERVIEW" type="webcontent" adlcp:scormtype="sco"'
                         ' href="index.html"><file href="index.html"/>'
                         '<dependency identifierref="R_SHARED"/></resource>')
    resources.append('<resource identifier="R_SHARED" type="webcontent" adlcp:scormtype="asset">'
                     + "".join(f"<file href={href(p)}/>" for p in shared) + "</resource>")
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<manifest xmlns="{CP_NS}" identifier={attr(identifier(site, module) + "_SCORM")}'
        f' version={attr(module.version or "1.0")}'
        f' xmlns:adlcp="{ADLCP_NS}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
        f' xsi:schemaLocation="{_LOCATIONS}">\n'
        "<metadata><schema>ADL SCORM</schema><schemaversion>1.2</schemaversion></metadata>\n"
        '<organizations default="ORG_1"><organization identifier="ORG_1">'
        f"<title>{text(module.title)}</title>\n" + "\n".join(items) +
        "\n</organization></organizations>\n"
        "<resources>\n" + "\n".join(resources) + "\n</resources>\n</manifest>\n"
    )
    return xml.encode("utf-8")


def build_scorm(site: Site, module: Module, offline: OfflineModule) -> bytes:
    files = dict(offline.files)
    files["imsmanifest.xml"] = manifest(site, module, offline)
    return deterministic_zip(files, first=("imsmanifest.xml",))
