"""Every page feature of the module issue, parsed from a real build of the example site."""

from __future__ import annotations

import json
import re

import lxml.html
import pytest

from folio.modules.licenses import license_url

BASE = "/portfolio/"
SF = "modules/spreadsheet-foundations/"
PL = "modules/plain-language-data-reports/"


@pytest.fixture(scope="module")
def built_page(example_files):
    def parse(path: str):
        assert path in example_files, f"{path} was not built"
        return lxml.html.fromstring(example_files[path])
    return parse


def ld(doc) -> dict:
    scripts = doc.xpath("//script[@type='application/ld+json']")
    assert len(scripts) == 1
    return json.loads(scripts[0].text)


def texts(nodes) -> list[str]:
    return [" ".join(n.text_content().split()) for n in nodes]


# -- catalogue ---------------------------------------------------------------------

def test_catalogue_lists_every_module_with_item_list(built_page):
    doc = built_page("modules/index.html")
    cards = doc.xpath("//li[@data-module-card]")
    assert sorted(texts(c.xpath(".//h2")[0] for c in cards)) == [
        "Plain-language data reports", "Spreadsheet foundations"]
    data = ld(doc)
    assert data["@type"] == "ItemList" and data["numberOfItems"] == 2
    urls = {e["url"] for e in data["itemListElement"]}
    assert "https://maya-okafor.github.io/portfolio/modules/spreadsheet-foundations/" in urls


def test_catalogue_filters_enhance_a_list_that_is_complete_without_js(built_page):
    doc = built_page("modules/index.html")
    form = doc.xpath("//form[@data-module-filter]")[0]
    assert form.get("hidden") is not None  # shown by lesson.js only
    assert not doc.xpath("//li[@data-module-card][@hidden]")
    levels = form.xpath(".//select[@name='level']/option/@value")
    assert levels == ["", "beginner", "intermediate"]
    tracks = form.xpath(".//select[@name='track']/option/@value")
    assert {"data", "teaching", "translation"} <= set(tracks)
    card = doc.xpath(f"//li[@data-module-card][.//a[@href='{BASE}{SF}']]")[0]
    assert card.get("data-level") == "beginner"
    assert card.get("data-tracks").split() == ["data", "teaching"]


# -- overview ----------------------------------------------------------------------

def test_overview_shows_the_module_facts(built_page):
    doc = built_page(SF + "index.html")
    body = " ".join(doc.text_content().split())
    assert doc.xpath("//h1")[0].text_content().strip() == "Spreadsheet foundations"
    assert "Build spreadsheets you can trust" in body
    assert "Freelancers, charity staff and shop owners" in body  # audience
    assert texts(doc.xpath("//ul[@class='objectives']/li"))[0].startswith("Lay out a table")
    assert "Beginner" in texts(doc.xpath("//dl[contains(@class,'module-facts')]//dd"))
    assert "2 h 30 min" in texts(doc.xpath("//dl[contains(@class,'module-facts')]//dd"))
    assert "2.1" in texts(doc.xpath("//dl[contains(@class,'module-facts')]//dd"))
    assert "By Maya Okafor" in texts(doc.xpath("//p[@class='module-byline']"))[0]


def test_overview_license_links_to_its_spdx_page(built_page):
    doc = built_page(SF + "index.html")
    assert license_url("CC-BY-4.0") in doc.xpath("//a[@rel='license']/@href")


def test_prerequisites_link_to_other_modules_and_keep_free_text(built_page):
    doc = built_page(PL + "index.html")
    items = doc.xpath("//ul[@class='prerequisites']/li")
    assert items[0].xpath("a/@href") == [BASE + SF]
    assert items[0].text_content().strip() == "Spreadsheet foundations"
    assert not items[1].xpath("a") and "written at least one report" in items[1].text_content()


def test_skills_taught_link_to_skill_pages_that_list_the_module(built_page):
    doc = built_page(SF + "index.html")
    links = doc.xpath("//section[@aria-labelledby='skills']//a/@href")
    assert BASE + "skills/spreadsheets/" in links
    skill = built_page("skills/spreadsheets/index.html")
    assert BASE + SF in skill.xpath("//a/@href")  # the module is evidence for the skill


def test_outline_start_and_continue(built_page):
    doc = built_page(SF + "index.html")
    outline = doc.xpath("//ol[@data-outline]//a")
    assert [a.get("data-lesson") for a in outline] == [
        "tidy-tables", "formulas-you-can-read", "lookups-without-tears", "pivot-tables"]
    start = doc.xpath("//a[@data-start]")[0]
    assert start.get("href") == BASE + SF + "tidy-tables/"
    cont = doc.xpath("//a[@data-continue]")[0]
    assert cont.get("hidden") is not None  # lesson.js reveals it when there is progress
    key = doc.xpath("//*[@data-progress-key]/@data-progress-key")[0]
    assert key == "folio:https://maya-okafor.github.io/portfolio/" + SF


def test_overview_offers_the_three_packages_and_they_exist(built_page, example_files):
    doc = built_page(SF + "index.html")
    section = doc.xpath("//aside[@aria-labelledby='downloads']")[0]
    assert "Use this module in your LMS" in section.text_content()
    hrefs = section.xpath(".//ul[@class='downloads']//a/@href")
    assert hrefs == [BASE + SF + "spreadsheet-foundations.imscc",
                     BASE + SF + "spreadsheet-foundations-scorm.zip",
                     BASE + SF + "spreadsheet-foundations.zip"]
    for href in hrefs:
        assert href[len(BASE):] in example_files


def test_overview_has_course_json_ld(built_page):
    data = ld(built_page(SF + "index.html"))
    assert data["@type"] == "Course" and data["name"] == "Spreadsheet foundations"


# -- lessons -----------------------------------------------------------------------

def test_lesson_has_sidebar_position_time_and_objectives(built_page):
    doc = built_page(SF + "lookups-without-tears/index.html")
    current = doc.xpath("//nav[contains(@class,'lesson-sidebar')]//a[@aria-current='page']")
    assert [a.get("data-lesson") for a in current] == ["lookups-without-tears"]
    assert doc.xpath("string(//span[@class='lesson-position'])") == "Lesson 3 of 4"
    assert doc.xpath("string(//span[@class='lesson-time'])") == "40 min"
    objectives = texts(doc.xpath("//section[@class='lesson-objectives']//li"))
    assert objectives[0] == "Join two tables with XLOOKUP using an exact match"


def test_previous_and_next_at_top_and_bottom(built_page):
    doc = built_page(SF + "lookups-without-tears/index.html")
    pagers = doc.xpath("//nav[@class='lesson-pager']")
    assert len(pagers) == 2
    for nav in pagers:
        assert nav.xpath("a[@rel='prev']/@href") == [BASE + SF + "formulas-you-can-read/"]
        assert nav.xpath("a[@rel='next']/@href") == [BASE + SF + "pivot-tables/"]
    first = built_page(SF + "tidy-tables/index.html").xpath("//nav[@class='lesson-pager']")[0]
    assert not first.xpath("a[@rel='prev']") and first.xpath("a/@href")[0] == BASE + SF


def test_mark_complete_is_a_js_enhancement(built_page):
    doc = built_page(SF + "tidy-tables/index.html")
    button = doc.xpath("//button[@data-complete]")[0]
    assert button.get("type") == "button" and button.get("aria-pressed") == "false"
    assert button.get("hidden") is not None
    assert doc.xpath("//*[@data-lesson-slug='tidy-tables']")
    assert any("js/lesson.js" in s for s in doc.xpath("//script/@src"))


def test_quiz_is_an_accessible_form_readable_without_js(built_page):
    doc = built_page(SF + "lookups-without-tears/index.html")
    questions = doc.xpath("//form[@data-quiz]/fieldset[@data-question]")
    assert len(questions) == 3
    q = questions[0]
    assert q.xpath("legend")[0].text_content().startswith("1. What does XLOOKUP return")
    radios = q.xpath(".//input[@type='radio']")
    assert len(radios) == 3 and len({r.get("name") for r in radios}) == 1
    for radio in radios:  # every choice has its own label
        assert q.xpath(f".//label[@for='{radio.get('id')}']")
    answer = q.xpath(".//details/p")[0].text_content()
    assert "An #N/A error" in answer and "not found" in answer
    assert q.get("data-answer") == "1" and "#N/A" in q.get("data-explain")
    assert q.xpath(".//*[@data-feedback][@role='status']")


def test_lesson_json_ld_is_a_learning_resource(built_page):
    data = ld(built_page(SF + "lookups-without-tears/index.html"))
    assert data["@type"] == "LearningResource" and data["position"] == 3
    assert data["isPartOf"]["name"] == "Spreadsheet foundations"


def test_lesson_body_links_carry_the_base_path(built_page):
    doc = built_page(SF + "lookups-without-tears/index.html")
    body = doc.xpath("//div[contains(@class,'lesson-body')]")[0]
    assert BASE + "writing/from-vlookup-to-xlookup/" in body.xpath(".//a/@href")


# -- print ---------------------------------------------------------------------------

def test_print_page_has_every_lesson_and_the_answers(built_page):
    doc = built_page(SF + "print/index.html")
    sections = doc.xpath("//section[@class='print-lesson']")
    assert [s.get("id") for s in sections] == [
        "lesson-tidy-tables", "lesson-formulas-you-can-read",
        "lesson-lookups-without-tears", "lesson-pivot-tables"]
    answers = texts(doc.xpath("//section[@id='lesson-tidy-tables']//ol[@class='print-answers']/li"))
    assert answers[0].startswith("b) One row per product and month")
    assert doc.xpath("//meta[@name='robots']/@content") == ["noindex"]
    assert not doc.xpath("//form") and not doc.xpath("//details")  # nothing hidden on paper


def test_print_page_ids_are_unique(built_page):
    doc = built_page(SF + "print/index.html")
    ids = doc.xpath("//@id")
    assert len(ids) == len(set(ids))


def test_print_css_hides_navigation_and_breaks_pages(example_files):
    css = next(v for k, v in example_files.items()
               if k.startswith("theme/css/modules") and k.endswith(".css")).decode()
    block = css[css.index("@media print"):]
    assert re.search(r"\.print-lesson\s*\{\s*break-before:\s*page", block)
    assert ".lesson-pager" in block and "display: none" in block
