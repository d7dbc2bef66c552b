"""Loading a site folder into the model: fields, slugs, drafts, hostile files."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from folio_testing import Symlink

from folio.build import Builder, BuildOptions
from folio.errors import BuildFailed, Report
from folio.link import link_site
from folio.load import load_site
from folio.model import PartialDate
from folio.sitefiles import is_junk


def load(root, **kw):
    report = Report()
    loaded = load_site(root, report, **kw)
    site = link_site(loaded.site, loaded.refs, report, loaded.hidden)
    return site, report


def errors(report):
    return [d.headline() for d in report.errors]


CASE = """---
title: Stock dashboard
summary: One sheet for three food banks
client: Lisbon Food Bank
role: Data consultant
start: 2023-04
end: 2024
tracks: [data]
skills: [excel]
outcomes: ["Cut stock-outs by 30%"]
cover: {src: cover.jpg, alt: A dashboard}
testimonial: t1
featured: true
extra_field: kept
---
The story.
"""

BASE = {
    "folio.yaml": "title: T\nbase_url: https://ex.test/sub\ntracks:\n  - {id: data, title: Data}\n",
    "skills.yaml": "- id: excel\n  name: Excel\n  level: expert\n  since: 2015\n  tracks: [data]\n",
}
TESTIMONIALS = {"testimonials.yaml": "- id: t1\n  quote: Great\n  author: Rui\n  case_study: stock\n"}


def test_case_study_fields_are_typed(make_site):
    root = make_site({**BASE, **TESTIMONIALS, "case-studies/01-stock.md": CASE})
    site, report = load(root)
    assert not report.errors, errors(report)
    (case,) = site.case_studies
    assert case.slug == "stock" and case.url == "/work/stock/"
    assert case.start == PartialDate(2023, 4) and case.end == PartialDate(2024)
    assert case.cover.src == "assets/cover.jpg" and case.cover.alt == "A dashboard"
    assert case.extra == {"extra_field": "kept"} and case.body.line == 16
    assert site.config.base_path == "/sub/"
    assert site.evidence("excel") == (case,)
    assert [t.id for t in site.testimonials_for(case)] == ["t1"]
    assert site.in_track("data", "case-study") == (case,)


def test_order_prefixes_and_slug_override(make_site):
    root = make_site({**BASE, "posts/2025-10-why-three-careers.md": "---\ntitle: W\ndate: 2025-10-01\n---\n",
                      "pages/about.md": "---\ntitle: About\nslug: about-me\nmenu: 2\n---\n"})
    site, report = load(root)
    assert not report.errors
    assert site.posts[0].url == "/writing/why-three-careers/"
    assert site.pages[0].url == "/about-me/" and site.pages[0].menu == 2


def test_drafts_hidden_unless_asked(make_site):
    root = make_site({**BASE, **TESTIMONIALS,
                      "case-studies/stock.md": CASE.replace("featured: true", "draft: true")})
    site, report = load(root)
    assert site.case_studies == () and not report.errors  # testimonial naming it is fine
    site, report = load(root, drafts=True)
    assert len(site.case_studies) == 1


def test_skills_as_files(make_site):
    root = make_site({"skills/sql.md": "---\nname: SQL\ncategory: Data\n---\nLong description.\n"})
    site, report = load(root)
    assert not report.errors
    assert site.skills[0].id == "sql" and site.skills[0].body.text.strip() == "Long description."


def test_typo_in_known_field_is_a_warning_with_suggestion(make_site):
    root = make_site({**BASE, "case-studies/a.md": "---\ntitle: A\nsumary: x\n---\n"})
    _, report = load(root)
    assert not report.errors
    (w,) = report.warnings
    assert (w.path, w.line, w.hint) == ("case-studies/a.md", 3, "did you mean 'summary'?")


@pytest.mark.parametrize("field,value,message", [
    ("title", "no", None),  # `no` stays text: fine
    ("title", "123", "'title' must be text, got a number"),
    ("summary", "1.10", "quote it: summary: \"1.10\""),
    ("featured", "yes", "'featured' must be true or false"),
    ("tracks", "[yes, on]", "unknown track 'yes'"),
])
def test_implicit_typing_traps(make_site, field, value, message):
    front = {"title": "A", field: value}
    text = "---\n" + "".join(f"{k}: {v}\n" for k, v in front.items()) + "---\n"
    root = make_site({**BASE, "case-studies/a.md": text})
    site, report = load(root)
    found = [d.message + " " + (d.hint or "") for d in report.errors]
    if message is None:
        assert not found and site.case_studies[0].title == "no"
    else:
        assert any(message in f for f in found), found


def test_dates_with_times_convert_to_site_timezone(make_site):
    root = make_site({"folio.yaml": "title: T\nbase_url: https://ex.test/\ntimezone: Europe/Lisbon\n",
                      "posts/p.md": "---\ntitle: P\ndate: 2024-01-01 23:30 -05:00\n---\n"})
    site, report = load(root)
    assert not report.errors
    assert site.posts[0].date.iso() == "2024-01-02"
    assert site.posts[0].date.as_datetime().isoformat() == "2024-01-02T04:30:00+00:00"


@pytest.mark.parametrize("value", ["2024-02-30", "soon", "2024-13", "24-01-01"])
def test_invalid_dates_are_errors(make_site, value):
    root = make_site({"posts/p.md": f"---\ntitle: P\ndate: {value}\n---\n"})
    _, report = load(root)
    assert any("date" in d.message for d in report.errors)


def test_editor_junk_is_ignored(make_site):
    junk = [".page.md.swp", "page.md~", "#page.md#", ".#page.md", "page.md___jb_tmp___",
            "page.md___jb_old___", ".DS_Store", "Thumbs.db", "4913"]
    assert all(is_junk(name) for name in junk)
    root = make_site({f"posts/{name}": "garbage \x00" for name in junk})
    site, report = load(root)
    assert not report.errors and site.posts == ()


def test_symlinks_inside_ok_outside_dangling_and_loops_are_errors(make_site, tmp_path):
    secret = tmp_path / "secret.md"
    secret.write_text("---\ntitle: S\ndate: 2024-01-01\n---\nsecret")
    root = make_site({
        "notes/real.md": "---\ntitle: R\ndate: 2024-01-01\n---\n",
        "posts/inside.md": Symlink("../notes/real.md"),
        "posts/outside.md": Symlink(str(secret)),
        "posts/dangling.md": Symlink("nowhere.md"),
        "posts/loop.md": Symlink("loop.md"),
    })
    site, report = load(root)
    assert [p.slug for p in site.posts] == ["inside"]
    found = {d.path: d.message for d in report.errors}
    assert "outside the site folder" in found["posts/outside.md"]
    assert "dangling or loops" in found["posts/dangling.md"]
    assert "dangling or loops" in found["posts/loop.md"]


@pytest.mark.parametrize("name,slug", [
    ("Übersicht.md", "übersicht"), ("a b.md", "a-b"), ("-lead.md", "lead"),
    ("emoji 🚀.md", "emoji"),
])
def test_file_names_become_safe_slugs(make_site, name, slug):
    root = make_site({f"pages/{name}": "---\ntitle: X\n---\n"})
    site, report = load(root)
    assert not report.errors, errors(report)
    assert site.pages[0].slug == slug


def test_nfd_file_name_is_nfc_slug(make_site):
    root = make_site({"pages/U\u0308bersicht.md": "---\ntitle: X\n---\n"})
    site, _ = load(root)
    assert site.pages[0].slug == "\u00fcbersicht"


@pytest.mark.parametrize("files", [
    {"pages/About.md": "---\ntitle: A\n---\n", "pages/about.md": "---\ntitle: B\n---\n"},
    {"pages/a b.md": "---\ntitle: A\n---\n", "pages/a-b.md": "---\ntitle: B\n---\n"},
    {"pages/x.md": "---\ntitle: A\n---\n", "pages/y.md": "---\ntitle: B\nslug: x\n---\n"},
    {"pages/work.md": "---\ntitle: A\n---\n"},
])
def test_collisions_list_every_source(make_site, files):
    root = make_site(files)
    _, report = load(root)
    assert report.errors
    message = report.errors[0].message
    assert "would write" in message or "taken by a built-in section" in message


@pytest.mark.parametrize("slug", ["../../x", "/etc/x", "%2e%2e", "..\\\\x", "CON"])
def test_hostile_slugs_are_refused(make_site, slug):
    root = make_site({"pages/p.md": f"---\ntitle: A\nslug: \"{slug}\"\n---\n"})
    _, report = load(root)
    assert any("slug" in d.message for d in report.errors)


def test_a_tag_windows_keeps_for_a_device_gets_a_writable_folder(make_site):
    from lxml import html as lxml_html

    post = "---\ntitle: Mixing desks\ndate: 2025-01-02\ntags: [AUX, audio]\n---\nBody.\n"
    root = make_site({**BASE, "posts/2025-01-02-desks.md": post})
    files = Builder(root, BuildOptions(search=False, cards=False, jobs=1)).build().files
    assert "tags/aux-tag/index.html" in files and "tags/audio/index.html" in files
    assert not any(p.startswith("tags/aux/") for p in files)
    page = lxml_html.fromstring(files["writing/desks/index.html"])
    assert "/sub/tags/aux-tag/" in page.xpath("//a/@href")


@pytest.mark.parametrize("text", ["", "   \n", "---\n---\n"])
def test_empty_files_are_missing_title_not_crashes(make_site, text):
    root = make_site({"case-studies/a.md": text})
    _, report = load(root)
    assert [d.message for d in report.errors] == ["missing required field 'title'"]


def test_output_identical_under_other_timezones(make_site, tmp_path):
    root = make_site({**BASE, "case-studies/stock.md": CASE.replace("testimonial: t1\n", "")
                      .replace("cover: {src: cover.jpg, alt: A dashboard}\n", ""),
                      "posts/p.md": "---\ntitle: P\ndate: 2024-01-01 10:00\n---\nBody\n"})
    trees = []
    for tz in ("UTC", "Pacific/Kiritimati"):
        out = tmp_path / f"out-{tz.replace('/', '-')}"
        env = {**os.environ, "TZ": tz, "LC_ALL": "C", "PYTHONHASHSEED": "123" if tz == "UTC" else "7"}
        done = subprocess.run([sys.executable, "-m", "folio", "build", str(root), "-o", str(out),
                               "--no-search"], env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        trees.append({p.relative_to(out).as_posix(): p.read_bytes()
                      for p in out.rglob("*") if p.is_file() and p.name != ".folio-manifest"})
    assert trees[0] == trees[1]


def test_all_errors_of_a_build_are_reported_together(make_site):
    root = make_site({"case-studies/a.md": "---\ntitle: A\nskills: [nope]\n---\n",
                      "posts/b.md": "---\ntitle: B\n---\n",
                      "services/c.md": "---\nprice: 3\n---\n"})
    with pytest.raises(BuildFailed) as info:
        Builder(root, BuildOptions()).build()
    paths = {d.path for d in info.value.diagnostics}
    assert paths == {"case-studies/a.md", "posts/b.md", "services/c.md"}


def test_size_cap_is_configurable(make_site):
    big = "---\ntitle: Big\n---\n" + "word " * 3000
    root = make_site({"folio.yaml": "title: T\nbase_url: https://ex.test/\nlimits: {max_file_bytes: 10000}\n",
                      "pages/big.md": big})
    _, report = load(root)
    assert [(d.path, d.message) for d in report.errors] == [
        ("pages/big.md", f"file is {len(big.encode()):,} bytes; the limit is 10,000")]


def test_huge_page_builds_within_default_caps(make_site):
    text = "---\ntitle: Big\n---\n" + "\n".join(f"| {i} | cell |" for i in range(10_000))
    root = make_site({"pages/big.md": "---\ntitle: Big\n---\n| a | b |\n|---|---|\n" + text.split("---\n", 2)[2]})
    result = Builder(root, BuildOptions(search=False, cache=False)).build()
    assert "big/index.html" in result.files


@pytest.mark.parametrize("mode,own_card", [("all", True), ("sections", False), ("off", False)])
def test_social_cards_setting(make_site, mode, own_card):
    root = make_site({"folio.yaml": f"title: T\nbase_url: https://ex.test/\nsocial_cards: {mode}\n",
                      "case-studies/a.md": "---\ntitle: A\n---\nBody\n"})
    result = Builder(root, BuildOptions(search=False, cache=False)).build()
    assert ("og/work/a.jpg" in result.files) is own_card
    assert ("og/index.jpg" in result.files) is (mode != "off")
    page = result.files["work/a/index.html"].decode()
    assert ('property="og:image"' in page) is (mode != "off")


def test_raised_size_cap_admits_files_above_the_default(make_site):
    big = "---\ntitle: Big\n---\n" + "word " * (2 * 1024 * 1024)  # 10 MiB, above the 8 MiB default
    root = make_site({"folio.yaml": "title: T\nbase_url: https://ex.test/\nlimits: {max_file_bytes: 20000000}\n",
                      "pages/big.md": big})
    site, report = load(root)
    assert not report.errors and site.pages[0].title == "Big"
