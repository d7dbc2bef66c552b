"""folio.resume: JSON Resume documents valid against the pinned @jsonresume/schema."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest
from quality.samples import minimal_site, sample_site
from quality.tools import resume_errors

from folio.resume import json_resume


def urls_in(doc):
    if isinstance(doc, dict):
        for key, value in doc.items():
            if key in ("url", "canonical", "image", "$schema") and isinstance(value, str):
                yield value
            else:
                yield from urls_in(value)
    elif isinstance(doc, list):
        for value in doc:
            yield from urls_in(value)


@pytest.mark.parametrize("track", [None, "data", "teaching"])
def test_valid_against_jsonresume_schema(track):
    doc = json_resume(sample_site(), track)
    assert resume_errors(doc) == []
    for url in urls_in(doc):  # the schema says format: uri; jsonschema checks it only with extras
        parts = urlsplit(url)
        assert parts.scheme == "https" and parts.netloc, url
    json.dumps(doc, allow_nan=False)


def test_minimal_site_is_valid_and_small():
    doc = json_resume(minimal_site())
    assert resume_errors(doc) == []
    assert doc["basics"] == {"name": "Min Person", "url": "https://min.example/"}
    assert set(doc) == {"$schema", "basics", "meta"}


def test_schema_check_can_fail():
    assert resume_errors({"basics": {"name": 3}, "work": [{"startDate": "March 2020"}]})


def test_basics_profiles_location_languages():
    doc = json_resume(sample_site())
    basics = doc["basics"]
    assert basics["label"] == "Data consultant and teacher"
    assert basics["image"] == "https://ada.example/portfolio/assets/ada.jpg"
    assert basics["location"] == {"city": "Lisbon", "region": "Portugal"}
    assert basics["profiles"] == [
        {"network": "GitHub", "username": "ada-example", "url": "https://github.com/ada-example"},
        {"network": "LinkedIn", "username": "ada-example",
         "url": "https://www.linkedin.com/in/ada-example/"}]
    assert "small teams" in basics["summary"]
    assert doc["languages"] == [{"language": "English", "fluency": "native"},
                                {"language": "Portuguese", "fluency": "fluent"},
                                {"language": "Spanish"}]


def test_work_comes_from_case_studies():
    work = json_resume(sample_site())["work"]
    assert [w["name"] for w in work] == ["Charity shop stock sheet", "Boxly Ltd", "Old thing"]
    boxly = work[1]
    assert boxly == {
        "name": "Boxly Ltd", "position": "Analyst", "description": "Boxly churn dashboard",
        "url": "https://ada.example/portfolio/work/boxly/", "startDate": "2023-02",
        "endDate": "2023-09", "summary": "A churn dashboard for a box shop",
        "highlights": ["Cut churn by 12%", "Weekly report"], "keywords": ["SQL", "Excel"]}
    assert "endDate" not in work[0]  # ongoing


def test_skills_grouped_by_category():
    assert json_resume(sample_site())["skills"] == [
        {"name": "Data", "keywords": ["SQL", "Excel"]},
        {"name": "Other skills", "keywords": ["Facilitation"]}]


def test_projects_publications_references_meta():
    doc = json_resume(sample_site())
    assert [p["name"] for p in doc["projects"]] == ["Spreadsheets that explain themselves",
                                                    "Sheet basics"]
    assert doc["publications"][1] == {"name": "Hello", "publisher": "Ada Example",
                                      "releaseDate": "2022",
                                      "url": "https://ada.example/portfolio/writing/hello/"}
    refs = [r["name"] for r in doc["references"]]
    assert refs == ["Sam, Volunteer", "Jo Boss, CEO, Boxly Ltd", "Kim, Teacher"]
    assert doc["meta"] == {"canonical": "https://ada.example/portfolio/resume.json",
                           "version": "v1.0.0", "lastModified": "2024-01-15"}


def test_track_resume_has_only_that_track():
    doc = json_resume(sample_site(), "teaching")
    assert doc["basics"]["label"] == "Teaching"
    assert [w["name"] for w in doc["work"]] == ["Charity shop stock sheet"]
    assert doc["skills"] == [{"name": "Data", "keywords": ["Excel"]},
                             {"name": "Other skills", "keywords": ["Facilitation"]}]
    assert [p["name"] for p in doc["projects"]] == ["Spreadsheets that explain themselves"]
    assert [r["name"] for r in doc["references"]] == ["Sam, Volunteer"]
    assert doc["meta"]["canonical"] == \
        "https://ada.example/portfolio/tracks/teaching/resume.json"
    data = json_resume(sample_site(), "data")
    assert [w["name"] for w in data["work"]] == ["Charity shop stock sheet", "Boxly Ltd"]
    assert "publications" not in data


def test_unknown_track_is_a_key_error():
    with pytest.raises(KeyError):
        json_resume(sample_site(), "nope")


def test_rendered_bio_text_is_preferred():
    class Bio:
        text = "Plain bio."
    assert json_resume(sample_site(), rendered={"profile.md": Bio()})["basics"]["summary"] \
        == "Plain bio."


def test_last_modified_compares_dates_of_different_precision():
    from dataclasses import replace

    from folio.model import PartialDate

    site = sample_site()
    a, b = site.case_studies[0], site.case_studies[1]
    cases = (replace(a, date=PartialDate(2024), start=PartialDate(2024), end=None),
             replace(b, date=PartialDate(2024, 9), start=PartialDate(2024, 9), end=None))
    doc = json_resume(replace(site, case_studies=cases))
    assert doc["meta"]["lastModified"] == "2024-09"
