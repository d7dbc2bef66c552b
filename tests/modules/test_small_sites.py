"""Module pages for small hand-made sites: edge cases the example site does not have."""

from __future__ import annotations

import json

import lxml.html
import pytest

from .conftest import build_site, unzip

MODULE = """title: Reading survey results
summary: Ask better questions of survey data.
level: advanced
license: CC-BY-SA-4.0
version: "0.9"
prerequisites:
  - basics
  - Curiosity
origin:
  title: Surveys 101
  url: https://ada.example/modules/surveys/
  authors:
    - name: Ada Lovelace
      url: https://ada.example/
  version: "3"
  license: CC-BY-SA-4.0
"""
LESSON_A = """---
title: Who answered?
duration: 15m
---
Raw HTML stays inert here: <script>alert(1)</script>

## Same heading
"""
LESSON_B = """---
title: What they meant
duration: 1h 5m
quiz:
  - question: "Is 5 > 3 & 2 < 4?"
    choices: ["yes </script><script>alert(1)</script>", "no"]
    answer: 0
    explain: "Both hold; the <b>tags</b> stay text."
---
## Same heading
"""


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    from tests.conftest import write_tree

    root = tmp_path_factory.mktemp("small") / "site"
    root.mkdir()
    write_tree(root, {
        "modules/surveys/module.yaml": MODULE,
        "modules/surveys/01-who.md": LESSON_A,
        "modules/surveys/02-meaning.md": LESSON_B,
        "modules/basics/module.yaml": "title: Basics\nlevel: beginner\n",
    })
    return build_site(root).files


def doc(files, path):
    return lxml.html.fromstring(files[path])


def test_imported_module_credits_author_and_origin(files):
    d = doc(files, "modules/surveys/index.html")
    byline = " ".join(d.xpath("string(//p[@class='module-byline'])").split())
    assert "adapted from Surveys 101 by Ada Lovelace (version 3)" in byline
    assert "https://ada.example/modules/surveys/" in d.xpath("//p[@class='module-byline']//a/@href")
    assert "https://creativecommons.org/licenses/by-sa/4.0/" in d.xpath("//a[@rel='license']/@href")


def test_total_time_is_the_sum_of_lessons_when_not_declared(files):
    d = doc(files, "modules/surveys/index.html")
    assert "1 h 20 min" in [" ".join(x.text_content().split()) for x in d.xpath("//dd")]


def test_prerequisite_slug_links_and_text_stays_text(files):
    d = doc(files, "modules/surveys/index.html")
    items = d.xpath("//ul[@class='prerequisites']/li")
    assert items[0].xpath("a/@href") == ["/modules/basics/"] and items[0].text_content() == "Basics"
    assert items[1].text_content() == "Curiosity" and not items[1].xpath("a")


def test_module_without_lessons_has_no_start_button_but_still_packages(files):
    d = doc(files, "modules/basics/index.html")
    assert not d.xpath("//a[@data-start]") and not d.xpath("//ol[@data-outline]/li")
    assert "modules/basics/basics-scorm.zip" in files


def test_lesson_without_quiz_has_no_quiz_form(files):
    d = doc(files, "modules/surveys/who/index.html")
    assert not d.xpath("//form[@data-quiz]")
    assert d.xpath("string(//span[@class='lesson-position'])") == "Lesson 1 of 2"


def test_quiz_text_is_escaped_everywhere(files):
    for path in ("modules/surveys/meaning/index.html", "modules/surveys/print/index.html"):
        d = doc(files, path)
        scripts = d.xpath("//script[not(@src)][not(@type='application/ld+json')]")
        assert all("alert(1)" not in (s.text or "") for s in scripts), path
        assert len(d.xpath("//script[@type='application/ld+json']")) <= 1
        assert "yes </script><script>alert(1)</script>" in d.text_content()
    d = doc(files, "modules/surveys/meaning/index.html")
    assert d.xpath("//fieldset/@data-explain") == ["Both hold; the <b>tags</b> stay text."]
    data = json.loads(d.xpath("//script[@type='application/ld+json']")[0].text)
    assert data["@type"] == "LearningResource"


def test_imported_raw_html_is_inert_on_site_and_in_packages(files):
    pages = [files["modules/surveys/who/index.html"], files["modules/surveys/print/index.html"]]
    for name in ("surveys.zip", "surveys.imscc", "surveys-scorm.zip"):
        pages.append(unzip(files[f"modules/surveys/{name}"])["lessons/who.html"])
    for html in pages:
        d = lxml.html.fromstring(html)
        assert not [s for s in d.xpath("//script[not(@type='application/ld+json')]")
                    if "alert(1)" in (s.text or "")]


def test_print_page_scopes_heading_ids_per_lesson(files):
    d = doc(files, "modules/surveys/print/index.html")
    ids = d.xpath("//@id")
    assert len(ids) == len(set(ids))
    assert {"who--same-heading", "meaning--same-heading"} <= set(ids)


def test_catalogue_without_enough_choices_has_no_empty_filter(files):
    d = doc(files, "modules/index.html")
    form = d.xpath("//form[@data-module-filter]")
    assert form and form[0].xpath(".//select[@name='level']")  # two levels: filter shown
    assert not form[0].xpath(".//select[@name='track']")  # no tracks: no track filter


def test_unknown_license_on_an_own_module_still_links_to_spdx(tmp_path):
    from folio.modules.licenses import license_url
    assert license_url("EUPL-1.2") == "https://spdx.org/licenses/EUPL-1.2.html"
