"""schema.org JSON-LD for every page kind, as plain dicts (no HTML here).

Templates emit these only as ``{{ data|tojson }}`` inside one
``<script type="application/ld+json">``, so front matter can never break out
of the script (RELIABILITY 32). Pages that describe several things at once
(the home page: WebSite + Person + ItemList) join them with :func:`graph`,
keeping one ld+json block per page.

Every URL is absolute (``site.config.base_url``), every date ISO 8601, every
duration an ISO 8601 duration, and empty values are left out rather than
emitted as ``""`` or ``[]``, which structured-data validators flag.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from .model import Image, Lesson, Module, PartialDate, Post, Service, Site
from .urls import skill_url, track_url, with_base

__all__ = [
    "CONTEXT", "absolute_url", "course", "case_study", "graph", "iso_duration", "item_list",
    "lesson", "license_url", "person", "person_ref", "post", "service", "website", "parse_price",
]

CONTEXT = "https://schema.org"
_SAFE_SCHEMES = ("http://", "https://", "mailto:", "tel:")


# -- small pieces ----------------------------------------------------------------

def absolute_url(site: Site, url: str) -> str:
    """Site-relative ("/work/x/") -> absolute under base_url; absolute URLs kept as they are."""
    if url.startswith(_SAFE_SCHEMES):
        return url
    if not url.startswith("/"):
        url = "/" + url
    base = site.config.base_url  # "https://host/path/": its origin is everything before the base path
    origin = base[: len(base) - len(site.config.base_path)]
    return origin + with_base(site.config.base_path, url)


def iso_duration(minutes: int | None) -> str | None:
    """Minutes -> ISO 8601 duration: 90 -> "PT1H30M", 45 -> "PT45M"; None or 0 -> None."""
    if not minutes or minutes < 0:
        return None
    hours, mins = divmod(int(minutes), 60)
    return "PT" + (f"{hours}H" if hours else "") + (f"{mins}M" if mins else "")


def license_url(spdx_id: str) -> str | None:
    """An SPDX licence id -> its canonical page (what schema.org's `license` wants)."""
    spdx_id = spdx_id.strip()
    if not spdx_id:
        return None
    if spdx_id.startswith(("http://", "https://")):
        return spdx_id
    if not re.fullmatch(r"[A-Za-z0-9.+-]+", spdx_id):
        return None  # an expression ("MIT OR Apache-2.0") has no single page
    return f"https://spdx.org/licenses/{spdx_id}.html"


_CURRENCIES = {"€": "EUR", "$": "USD", "£": "GBP", "¥": "JPY", "₹": "INR", "CHF": "CHF",
               "EUR": "EUR", "USD": "USD", "GBP": "GBP", "CAD": "CAD", "AUD": "AUD",
               "SEK": "SEK", "NOK": "NOK", "DKK": "DKK", "PLN": "PLN", "JPY": "JPY"}
_AMOUNT = re.compile(r"\d{1,3}(?:[,\u202f ]\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?")


def parse_price(text: str) -> tuple[str, str] | None:
    """Free price text -> (amount, ISO 4217 currency) when both are unambiguous.

    "from €600 / day" -> ("600", "EUR"); "on request" -> None. The text itself is
    always kept as the offer's description; this only adds machine-readable fields.
    """
    found = {code for sign, code in _CURRENCIES.items()
             if (sign in text if not sign.isalpha() else re.search(rf"\b{sign}\b", text))}
    amounts = _AMOUNT.findall(text)
    if len(found) != 1 or not amounts:
        return None
    amount = re.sub(r"[,\u202f ]", "", amounts[0])
    return amount, found.pop()


def _date(value: PartialDate | None) -> str | None:
    if value is None:
        return None
    return value.time.isoformat() if value.time is not None else value.iso()


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    """Drop empty values so validators see no `"image": ""` or `"sameAs": []`."""
    return {k: v for k, v in data.items() if v not in (None, "", [], {}, ())}


def _image(site: Site, image: Image | None) -> str | None:
    return absolute_url(site, "/" + image.src.lstrip("/")) if image is not None else None


def _person_id(site: Site) -> str:
    return site.config.base_url + "#person"


def person_ref(site: Site) -> dict[str, Any]:
    """The site owner as author/provider: enough for Google (name, url) plus an @id."""
    return {"@type": "Person", "@id": _person_id(site), "name": site.profile.name,
            "url": site.config.base_url}


def _authors(site: Site, module: Module) -> list[dict[str, Any]]:
    if not module.authors:
        return [person_ref(site)]
    return [_clean({"@type": "Person", "name": a.name, "url": a.url}) for a in module.authors]


def _skill_things(site: Site, skill_ids: Iterable[str]) -> list[dict[str, Any]]:
    things = []
    for sid in skill_ids:
        try:
            skill = site.skill(sid)
        except KeyError:
            continue  # unknown ids are reported by the loader; never crash here
        things.append({"@type": "Thing", "name": skill.name,
                       "url": absolute_url(site, skill_url(skill.id))})
    return things


def graph(*nodes: dict[str, Any]) -> dict[str, Any]:
    """Several top-level objects in one ld+json block (one block per page)."""
    items = [{k: v for k, v in n.items() if k != "@context"} for n in nodes if n]
    if not items:
        return {}  # nothing to describe: templates skip the ld+json block
    if len(items) == 1:
        return {"@context": CONTEXT, **items[0]}
    return {"@context": CONTEXT, "@graph": items}


# -- one function per page kind ----------------------------------------------------

def website(site: Site) -> dict[str, Any]:
    cfg = site.config
    return _clean({
        "@context": CONTEXT, "@type": "WebSite", "@id": cfg.base_url + "#website",
        "name": cfg.title, "url": cfg.base_url, "description": cfg.description,
        "inLanguage": cfg.language, "author": {"@id": _person_id(site)},
    })


def person(site: Site) -> dict[str, Any]:
    """The owner, with one Occupation per track and the skills as knowsAbout."""
    prof = site.profile
    occupations = [_clean({
        "@type": "Occupation", "name": t.title, "description": t.summary,
        "url": absolute_url(site, track_url(t.id)),
    }) for t in site.config.tracks]
    location = ({"@type": "Place", "name": prof.location,
                 "address": {"@type": "PostalAddress", "addressLocality": prof.location}}
                if prof.location else None)
    return _clean({
        "@context": CONTEXT, "@type": "Person", "@id": _person_id(site),
        "name": prof.name, "jobTitle": prof.headline, "url": site.config.base_url,
        "image": _image(site, prof.photo), "email": prof.email,
        "homeLocation": location,
        "sameAs": [link.url for link in prof.links if link.url.startswith(("http://", "https://"))],
        "hasOccupation": occupations,
        "knowsAbout": _skill_things(site, (s.id for s in site.skills)),
        "knowsLanguage": list(prof.languages),
        "description": site.config.description,
    })


def case_study(site: Site, cs: Any) -> dict[str, Any]:
    skills = _skill_things(site, cs.skills)
    start = cs.start.iso() if cs.start else None
    coverage = f"{start}/{cs.end.iso() if cs.end else '..'}" if start else None
    images = [_image(site, img) for img in (cs.cover, *cs.gallery) if img is not None]
    return _clean({
        "@context": CONTEXT, "@type": "CreativeWork", "@id": absolute_url(site, cs.url),
        "name": cs.title, "headline": cs.title, "description": cs.summary,
        "url": absolute_url(site, cs.url), "author": person_ref(site),
        "dateCreated": _date(cs.start or cs.date), "temporalCoverage": coverage,
        "funder": {"@type": "Organization", "name": cs.client} if cs.client else None,
        "about": skills, "keywords": ", ".join(s["name"] for s in skills),
        "image": images, "inLanguage": site.config.language,
    })


def service(site: Site, svc: Service) -> dict[str, Any]:
    area = svc.extra.get("area_served") or svc.extra.get("areaServed")
    offer = None
    if svc.price:
        offer = {"@type": "Offer", "description": svc.price,
                 "url": absolute_url(site, svc.booking_url or svc.url),
                 "availability": "https://schema.org/" + (
                     "InStock" if site.config.availability.bookable else "SoldOut")}
        parsed = parse_price(svc.price)
        if parsed:
            offer["price"], offer["priceCurrency"] = parsed
    return _clean({
        "@context": CONTEXT, "@type": "Service", "@id": absolute_url(site, svc.url),
        "name": svc.title, "serviceType": svc.title, "description": svc.summary,
        "url": absolute_url(site, svc.url), "provider": person_ref(site),
        "areaServed": area if isinstance(area, str) else None,
        "category": [s["name"] for s in _skill_things(site, svc.skills)],
        "offers": offer,
    })


def _headline(title: str, limit: int = 110) -> str:
    """Google shows at most 110 characters of an article headline; cut at a word."""
    if len(title) <= limit:
        return title
    cut = title[:limit - 1].rsplit(" ", 1)[0].rstrip(" ,.;:-")
    return (cut or title[:limit - 1]) + "…"


_DATE_TEXT = re.compile(r"\d{4}(-\d{2}(-\d{2})?)?")


def post(site: Site, p: Post) -> dict[str, Any]:
    """BlogPosting with what Google's Article rich result reads."""
    url = absolute_url(site, p.url)
    published = _date(p.date)
    modified = next((str(p.extra[k]) for k in ("updated", "modified", "lastmod")
                     if isinstance(p.extra.get(k), str) and _DATE_TEXT.fullmatch(p.extra[k])),
                    published)
    cover = p.extra.get("cover") or p.extra.get("image")
    image = (absolute_url(site, "/" + cover.lstrip("/"))
             if isinstance(cover, str) and ":" not in cover and ".." not in cover
             else _image(site, site.profile.photo))
    return _clean({
        "@context": CONTEXT, "@type": "BlogPosting", "@id": url,
        "headline": _headline(p.title), "name": p.title, "description": p.summary,
        "datePublished": published, "dateModified": modified,
        "author": [person_ref(site)], "publisher": person_ref(site),
        "image": [image] if image else None, "url": url,
        "mainEntityOfPage": {"@type": "WebPage", "@id": url},
        "keywords": list(p.tags), "about": _skill_things(site, p.skills),
        "inLanguage": site.config.language,
    })


def _prerequisite(site: Site, item: str) -> Any:
    other = site.module(item)
    if other is None:
        return item
    return {"@type": "Course", "name": other.title, "url": absolute_url(site, other.url)}


def _offer(site: Site, price: str) -> dict[str, Any]:
    if not price:
        return {"@type": "Offer", "category": "Free", "price": 0,
                "availability": "https://schema.org/InStock"}
    offer: dict[str, Any] = {"@type": "Offer", "category": "Paid", "description": price,
                             "availability": "https://schema.org/InStock"}
    parsed = parse_price(price)
    if parsed:
        offer["price"], offer["priceCurrency"] = parsed
    return offer


def course(site: Site, module: Module) -> dict[str, Any]:
    """Course, with what Google's Course info rich result requires."""
    url = absolute_url(site, module.url)
    duration = iso_duration(module.total_minutes)
    origin = module.origin
    return _clean({
        "@context": CONTEXT, "@type": "Course", "@id": url,
        "name": module.title, "description": module.summary or module.title,
        "url": url, "provider": person_ref(site), "author": _authors(site, module),
        "offers": [_offer(site, module.price)],
        "hasCourseInstance": [_clean({"@type": "CourseInstance", "courseMode": "online",
                                      "courseWorkload": duration})],
        "teaches": list(module.objectives),
        "coursePrerequisites": [_prerequisite(site, p) for p in module.prerequisites],
        "timeRequired": duration, "license": license_url(module.license),
        "educationalLevel": module.level,
        "audience": {"@type": "Audience", "audienceType": module.audience}
        if module.audience else None,
        "about": _skill_things(site, module.skills),
        "image": _image(site, module.cover), "version": module.version,
        "isBasedOn": _clean({"@type": "Course", "name": origin.title, "url": origin.url})
        if origin else None,
        "hasPart": [_clean({"@type": "LearningResource", "name": ls.title,
                            "url": absolute_url(site, ls.url), "position": i})
                    for i, ls in enumerate(module.lessons, 1)],
        "inLanguage": site.config.language,
    })


def _quiz(lesson_: Lesson) -> dict[str, Any] | None:
    if not lesson_.quiz:
        return None
    questions = []
    for q in lesson_.quiz:
        answers = [{"@type": "Answer", "text": c, "position": i}
                   for i, c in enumerate(q.choices)]
        accepted = dict(answers[q.answer]) if 0 <= q.answer < len(answers) else None
        if accepted is not None and q.explain:
            accepted["answerExplanation"] = {"@type": "Comment", "text": q.explain}
        questions.append(_clean({"@type": "Question", "eduQuestionType": "Multiple choice",
                                 "text": q.question, "suggestedAnswer": answers,
                                 "acceptedAnswer": accepted}))
    return {"@type": "Quiz", "name": f"Check: {lesson_.title}", "hasPart": questions}


def lesson(site: Site, module: Module, lesson_: Lesson) -> dict[str, Any]:
    url = absolute_url(site, lesson_.url)
    position = next((i for i, ls in enumerate(module.lessons, 1) if ls.key == lesson_.key), None)
    kinds = ["lesson", "quiz"] if lesson_.quiz else ["lesson"]
    return _clean({
        "@context": CONTEXT, "@type": "LearningResource", "@id": url,
        "name": lesson_.title, "url": url,
        "isPartOf": {"@type": "Course", "@id": absolute_url(site, module.url),
                     "name": module.title, "url": absolute_url(site, module.url)},
        "position": position, "timeRequired": iso_duration(lesson_.duration),
        "learningResourceType": kinds, "teaches": list(lesson_.objectives),
        "educationalLevel": module.level, "license": license_url(module.license),
        "author": _authors(site, module), "inLanguage": site.config.language,
        "hasPart": _quiz(lesson_),
    })


def item_list(site: Site, items: Iterable[Any], name: str = "") -> dict[str, Any]:
    """A list page (catalogue, work, writing): ListItems pointing at each item's page.

    An empty list is {}: Google requires itemListElement, so nothing is emitted.
    """
    elements = []
    for pos, item in enumerate(items, 1):
        title = getattr(item, "title", None) or getattr(item, "name", "")
        elements.append(_clean({"@type": "ListItem", "position": pos,
                                "url": absolute_url(site, item.url), "name": title}))
    if not elements:
        return {}
    return _clean({"@context": CONTEXT, "@type": "ItemList", "name": name,
                   "numberOfItems": len(elements), "itemListElement": elements})
