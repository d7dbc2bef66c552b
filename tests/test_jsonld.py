"""folio.jsonld: one schema.org object per page kind, plain JSON, absolute URLs."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from html.parser import HTMLParser
from urllib.parse import urlsplit

import jinja2
import pytest
from quality.samples import HOSTILE, minimal_site, sample_site

from folio import jsonld


@pytest.fixture
def site():
    return sample_site()


def all_objects(data):
    """Every dict in a JSON-LD tree (nested nodes included)."""
    if isinstance(data, dict):
        yield data
        for value in data.values():
            yield from all_objects(value)
    elif isinstance(data, list):
        for value in data:
            yield from all_objects(value)


def all_urls(data):
    for obj in all_objects(data):
        for key, value in obj.items():
            if key in ("url", "@id", "image", "license", "sameAs", "availability"):
                yield from (value if isinstance(value, list) else [value])


def every_kind(site):
    module = site.modules[0]
    return {
        "website": jsonld.website(site), "person": jsonld.person(site),
        "case_study": jsonld.case_study(site, site.case_studies[1]),
        "service": jsonld.service(site, site.services[0]),
        "post": jsonld.post(site, site.posts[0]), "course": jsonld.course(site, module),
        "lesson": jsonld.lesson(site, module, module.lessons[0]),
        "item_list": jsonld.item_list(site, site.case_studies, "Work"),
    }


TYPES = {"website": "WebSite", "person": "Person", "case_study": "CreativeWork",
         "service": "Service", "post": "BlogPosting", "course": "Course",
         "lesson": "LearningResource", "item_list": "ItemList"}


@pytest.mark.parametrize("kind", sorted(TYPES))
def test_each_kind_has_context_type_and_only_plain_json(site, kind):
    data = every_kind(site)[kind]
    assert data["@context"] == "https://schema.org"
    assert data["@type"] == TYPES[kind]
    assert json.loads(json.dumps(data)) == json.loads(json.dumps(data, sort_keys=True))
    for obj in all_objects(data):  # no empty strings or lists for validators to flag
        assert all(v not in ("", [], {}) for v in obj.values()), obj


@pytest.mark.parametrize("base", ["https://ada.example/portfolio/", "https://ada.example/"])
def test_every_url_is_absolute_under_base(base):
    site = sample_site(base)
    for kind, data in every_kind(site).items():
        for url in all_urls(data):
            parts = urlsplit(url)
            assert parts.scheme in ("https", "http") and parts.netloc, (kind, url)
            if parts.netloc == "ada.example" and "/" + "portfolio" in base:
                assert parts.path.startswith("/portfolio/"), (kind, url)


def test_absolute_url_encodes_and_keeps_fragments(site):
    assert jsonld.absolute_url(site, "/work/über cool/") == \
        "https://ada.example/portfolio/work/%C3%BCber%20cool/"
    assert jsonld.absolute_url(site, "/services/#audit") == \
        "https://ada.example/portfolio/services/#audit"
    assert jsonld.absolute_url(site, "https://else.example/x") == "https://else.example/x"
    assert jsonld.absolute_url(site, "assets/a.jpg") == \
        "https://ada.example/portfolio/assets/a.jpg"


def test_person_has_occupations_skills_and_profiles(site):
    p = jsonld.person(site)
    assert p["name"] == "Ada Example" and p["jobTitle"] == "Data consultant and teacher"
    assert [o["name"] for o in p["hasOccupation"]] == ["Data consulting", "Teaching"]
    assert all(o["@type"] == "Occupation" for o in p["hasOccupation"])
    assert [k["name"] for k in p["knowsAbout"]] == ["SQL", "Excel", "Facilitation"]
    assert p["sameAs"] == ["https://github.com/ada-example",
                           "https://www.linkedin.com/in/ada-example/"]  # no mailto:
    assert p["image"] == "https://ada.example/portfolio/assets/ada.jpg"
    assert p["homeLocation"]["name"] == "Lisbon, Portugal"
    assert p["email"] == "ada@example.org"


def test_minimal_site_gives_minimal_person_and_website():
    site = minimal_site()
    assert jsonld.person(site) == {"@context": "https://schema.org", "@type": "Person",
                                   "@id": "https://min.example/#person",
                                   "name": "Min Person", "url": "https://min.example/"}
    assert jsonld.website(site)["inLanguage"] == "en"


def test_case_study_is_creative_work_with_author_dates_and_skills(site):
    cs = jsonld.case_study(site, site.case_studies[1])
    assert cs["author"]["name"] == "Ada Example"
    assert cs["dateCreated"] == "2023-02"
    assert cs["temporalCoverage"] == "2023-02/2023-09"
    assert cs["funder"] == {"@type": "Organization", "name": "Boxly Ltd"}
    assert cs["keywords"] == "SQL, Excel"
    assert cs["image"] == ["https://ada.example/portfolio/assets/boxly/cover.jpg"]
    ongoing = jsonld.case_study(site, site.case_studies[0])
    assert ongoing["temporalCoverage"] == "2024-01-15/.."
    assert "funder" not in ongoing


def test_service_offer_keeps_price_text_and_parses_amount(site):
    svc = jsonld.service(site, site.services[0])
    assert svc["provider"]["@type"] == "Person"
    assert svc["offers"]["description"] == "from €600 / day"
    assert (svc["offers"]["price"], svc["offers"]["priceCurrency"]) == ("600", "EUR")
    assert svc["offers"]["availability"] == "https://schema.org/InStock"  # limited is bookable
    assert svc["areaServed"] == "Europe"


@pytest.mark.parametrize("text, expected", [
    ("from €600 / day", ("600", "EUR")), ("$1,200 per project", ("1200", "USD")),
    ("GBP 95/hour", ("95", "GBP")), ("on request", None), ("€5 or $6", None),
    ("1 200 EUR", ("1200", "EUR")),
])
def test_parse_price(text, expected):
    assert jsonld.parse_price(text) == expected


def test_post_has_google_article_properties(site):
    p = jsonld.post(site, site.posts[0])
    for key in ("headline", "datePublished", "dateModified", "author", "image", "url",
                "mainEntityOfPage"):
        assert p[key], key
    assert p["datePublished"] == "2025-10-02T09:30:00+00:00"
    assert p["author"][0]["url"] == "https://ada.example/portfolio/"
    long = jsonld.post(site, replace(site.posts[0], title="word " * 60))["headline"]
    assert len(long) <= 110 and long.endswith("word…")
    assert jsonld.post(site, site.posts[1])["datePublished"] == "2022"


def test_course_has_google_course_properties(site):
    c = jsonld.course(site, site.modules[0])
    assert c["name"] and c["description"] and c["provider"]["name"] == "Ada Example"
    assert c["offers"] == [{"@type": "Offer", "category": "Free", "price": 0,
                            "availability": "https://schema.org/InStock"}]
    assert c["hasCourseInstance"] == [{"@type": "CourseInstance", "courseMode": "online",
                                       "courseWorkload": "PT45M"}]  # 20 + 25 min of lessons
    assert c["timeRequired"] == "PT45M"
    assert c["license"] == "https://spdx.org/licenses/CC-BY-4.0.html"
    assert c["coursePrerequisites"][0]["url"] == "https://ada.example/portfolio/modules/basics/"
    assert c["coursePrerequisites"][1] == "Typing"
    assert [p["position"] for p in c["hasPart"]] == [1, 2]
    assert c["teaches"] == ["Trace any formula", "Name ranges"]
    assert c["inLanguage"] == "en-GB"
    paid = jsonld.course(site, site.modules[1])
    assert paid["offers"][0]["category"] == "Paid"
    assert (paid["offers"][0]["price"], paid["offers"][0]["priceCurrency"]) == ("20", "EUR")
    assert paid["timeRequired"] == "PT1H30M"
    assert "license" not in paid  # an SPDX expression has no single licence page
    assert paid["description"] == "Sheet basics"  # Google requires one


def test_lesson_is_part_of_its_course(site):
    module = site.modules[0]
    ls = jsonld.lesson(site, module, module.lessons[1])
    assert ls["isPartOf"]["url"] == "https://ada.example/portfolio/modules/sheets/"
    assert ls["position"] == 2 and ls["timeRequired"] == "PT25M"
    assert ls["learningResourceType"] == ["lesson"]
    quiz = jsonld.lesson(site, module, module.lessons[0])["hasPart"]
    assert quiz["@type"] == "Quiz"
    assert quiz["hasPart"][0]["acceptedAnswer"]["text"] == "Ctrl+["


@pytest.mark.parametrize("minutes, expected", [
    (None, None), (0, None), (45, "PT45M"), (60, "PT1H"), (90, "PT1H30M"), (600, "PT10H")])
def test_iso_duration(minutes, expected):
    assert jsonld.iso_duration(minutes) == expected
    if expected:
        assert re.fullmatch(r"PT(\d+H)?(\d+M)?", expected)


def test_item_list_positions_and_urls(site):
    data = jsonld.item_list(site, site.modules)
    assert data["numberOfItems"] == 2
    assert [(e["position"], e["url"]) for e in data["itemListElement"]] == [
        (1, "https://ada.example/portfolio/modules/sheets/"),
        (2, "https://ada.example/portfolio/modules/basics/")]
    assert jsonld.item_list(site, []) == {}  # no ld+json block rather than an invalid list


def test_graph_joins_nodes_under_one_context(site):
    g = jsonld.graph(jsonld.website(site), jsonld.person(site))
    assert g["@context"] == "https://schema.org"
    assert [n["@type"] for n in g["@graph"]] == ["WebSite", "Person"]
    assert all("@context" not in n for n in g["@graph"])
    assert jsonld.graph(jsonld.website(site)) == jsonld.website(site)
    assert jsonld.graph() == {}


class _Scripts(HTMLParser):
    def __init__(self):
        super().__init__()
        self.scripts, self._in = [], None

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self._in = dict(attrs).get("type", "")
            self.scripts.append([self._in, ""])

    def handle_endtag(self, tag):
        if tag == "script":
            self._in = None

    def handle_data(self, data):
        if self._in is not None:
            self.scripts[-1][1] += data


def test_hostile_text_cannot_leave_the_script_and_round_trips(site):
    """RELIABILITY 32: emitted via |tojson, one ld+json script, JSON equal to the input."""
    env = jinja2.Environment(autoescape=True)
    tpl = env.from_string('<head><script type="application/ld+json">{{ data|tojson }}</script>'
                          '</head><body><p>{{ title }}</p></body>')
    data = jsonld.post(site, site.posts[0])
    assert HOSTILE in data["headline"]
    html = tpl.render(data=data, title=site.posts[0].title)
    parser = _Scripts()
    parser.feed(html)
    assert [s[0] for s in parser.scripts] == ["application/ld+json"]
    assert json.loads(parser.scripts[0][1]) == json.loads(json.dumps(data))


@pytest.mark.parametrize("base", ["https://ada.example/portfolio/", "http://127.0.0.1:8000/"])
def test_quality_checker_accepts_every_kind(base):
    from quality.checks import jsonld_problems

    site = sample_site(base)
    for kind, data in every_kind(site).items():
        assert jsonld_problems(data) == [], kind
    assert jsonld_problems(jsonld.graph(*every_kind(site).values())) == []


def test_quality_checker_rejects_missing_properties():
    from quality.checks import jsonld_problems

    assert sorted(jsonld_problems({"@context": "https://schema.org", "@type": "Course",
                                   "name": "x", "timeRequired": "3h", "url": "/rel/"})) == [
        "Course.url is not absolute: '/rel/'", "Course: missing description",
        "Course: missing hasCourseInstance", "Course: missing offers",
        "Course: missing provider", "timeRequired '3h' is not an ISO 8601 duration"]
