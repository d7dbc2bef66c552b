"""`folio new --from-resume`: every JSON Resume section lands somewhere, safely."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from folio_testing import run_folio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from folio.cli import cli
from folio.errors import FolioError
from folio.frontmatter import read_front_matter
from folio.resume_import import LEVELS, seed_from_resume
from folio.resume_import.reader import clean
from folio.scaffold import create_site

FIXTURE = Path(__file__).parent / "fixtures" / "resume" / "complete.json"


def front(path: Path) -> tuple[dict, str]:
    st_ = read_front_matter(path.read_bytes(), path.name)
    return dict(st_.meta), st_.body


def write_resume(tmp_path: Path, doc, name: str = "resume.json") -> Path:
    path = tmp_path / name
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc, indent=2), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def seeded(tmp_path_factory) -> Path:
    site = tmp_path_factory.mktemp("seeded") / "tomas"
    result = CliRunner().invoke(cli, ["new", str(site), "--from-resume", str(FIXTURE)])
    assert result.exit_code == 0, result.output
    return site


def test_fixture_uses_every_section():
    doc = json.loads(FIXTURE.read_text(encoding="utf-8"))
    assert set(doc) >= {"basics", "work", "volunteer", "education", "awards", "certificates",
                        "publications", "skills", "languages", "interests", "references",
                        "projects", "meta"}


def test_fixture_is_a_valid_json_resume():
    from quality.tools import resume_errors

    assert resume_errors(json.loads(FIXTURE.read_text(encoding="utf-8"))) == []


def test_sample_content_is_replaced(seeded):
    files = {p.relative_to(seeded).as_posix() for p in seeded.rglob("*") if p.is_file()}
    assert "case-studies/first-project.md" not in files
    assert "services/first-service.md" not in files
    assert {".github/workflows/pages.yml", ".gitignore", "posts/hello-world.md"} <= files


def test_basics_and_languages_become_the_profile(seeded):
    meta, body = front(seeded / "profile.md")
    assert meta["name"] == "Tomás Ribeiro"
    assert meta["headline"] == "UX Researcher"
    assert meta["location"] == "Porto, PT"
    assert meta["email"] == "tomas.ribeiro@example.org"
    assert [(link["label"], link["url"]) for link in meta["links"]] == [
        ("Website", "https://tomasribeiro.example.org"),
        ("LinkedIn", "https://www.linkedin.com/in/tomasribeiro"),
        ("GitHub", "https://github.com/tribeiro"),
        ("Mastodon", "https://mastodon.social/@tomas"),
    ]
    assert meta["languages"] == ["Portuguese (Native speaker)", "English (Fluent)",
                                 "Spanish (Professional working proficiency)"]
    assert body.startswith("Tomás is a UX researcher in Porto")
    assert "secondary-school teacher" in body


def test_basics_become_site_settings(seeded):
    config = yaml.safe_load((seeded / "folio.yaml").read_text(encoding="utf-8"))
    assert config["title"] == "Tomás Ribeiro"
    assert config["description"].startswith("Tomás is a UX researcher in Porto")
    assert config["tracks"] == [{"id": "ux-researcher", "title": "UX Researcher"}]


def test_work_becomes_case_studies(seeded):
    meta, body = front(seeded / "case-studies/camara-municipal-de-matosinhos-lead-ux-researcher.md")
    assert meta["title"] == "Lead UX Researcher, Câmara Municipal de Matosinhos"
    assert meta["client"] == "Câmara Municipal de Matosinhos"
    assert meta["role"] == "Lead UX Researcher"
    assert meta["start"] == "2022-03" and "end" not in meta  # ongoing
    assert meta["summary"].startswith("Leads research for the city's online services")
    assert len(meta["outcomes"]) == 3 and meta["outcomes"][0].startswith("Cut abandoned")
    assert meta["links"] == [{"label": "Câmara Municipal de Matosinhos",
                              "url": "https://www.cm-matosinhos.example.pt"}]
    assert meta["tracks"] == ["ux-researcher"]
    assert "175,000 residents" in body and "Matosinhos, Portugal" in body
    lumen, _ = front(seeded / "case-studies/lumen-software-ux-researcher.md")
    assert (lumen["start"], lumen["end"]) == ("2019-01-07", "2022-02-28")


def test_projects_become_case_studies_linked_to_skills(seeded):
    meta, body = front(seeded / "case-studies/accessible-transport-map.md")
    assert meta["title"] == "Accessible Transport Map"
    assert meta["client"] == "Code for Portugal"
    assert meta["role"] == "Lead researcher, Co-founder"
    assert (meta["start"], meta["end"]) == ("2021-09", "2022-06")
    assert meta["skills"] == ["interviewing", "accessibility"]  # "Open data" is not a skill
    assert meta["outcomes"][0] == "Used by 9,000 people in its first year"
    assert meta["summary"].startswith("A map of step-free routes")
    assert "Open data" in body


def test_skills_get_slug_ids_and_folio_levels(seeded):
    skills = yaml.safe_load((seeded / "skills.yaml").read_text(encoding="utf-8"))
    by_id = {s["id"]: s for s in skills}
    assert list(by_id) == ["usability-testing", "interviewing", "survey-design", "accessibility",
                           "figma", "service-design"]
    assert {k: v["level"] for k, v in by_id.items()} == {
        "usability-testing": "expert", "interviewing": "advanced", "survey-design": "working",
        "accessibility": "working", "figma": "learning", "service-design": "expert"}
    assert by_id["usability-testing"]["name"] == "Usability testing"
    assert by_id["usability-testing"]["description"] == "moderated tests, remote tests, think-aloud"
    assert all(s["tracks"] == ["ux-researcher"] for s in skills)


def test_education_becomes_a_page(seeded):
    meta, body = front(seeded / "pages/education.md")
    assert meta["title"] == "Education"
    assert "## MSc in Human-Computer Interaction" in body
    assert "Universidade do Porto, 2016 – 2018" in body
    assert "- Accessibility and inclusive design" in body
    assert "## BA in Psychology" in body and "18/20" in body


def test_volunteer_awards_publications_become_a_page(seeded):
    meta, body = front(seeded / "pages/beyond-work.md")
    assert meta["title"] == "Beyond work"
    for text in ("## Volunteering", "Volunteer researcher, Code for Portugal", "May 2020 – December 2023",
                 "## Awards", ("**Prémio Serviço Público Digital**, Agência para a Modernização "
                              "Administrativa, 15 November 2023."), "## Certificates",
                 "Certified Usability Analyst", "## Publications",
                 "<https://journal.example.org/older-residents>", "## Interests", "**Board games**"):
        assert text in body, text


def test_references_become_testimonials(seeded):
    items = yaml.safe_load((seeded / "testimonials.yaml").read_text(encoding="utf-8"))
    assert [(t["id"], t["author"]) for t in items] == [("helena-costa", "Helena Costa"),
                                                        ("ricardo-alves", "Ricardo Alves")]
    assert items[1]["quote"].startswith("The best research reports")


def test_contact_page(seeded):
    meta, body = front(seeded / "pages/contact.md")
    assert (meta["title"], meta["menu"]) == ("Contact", 1)
    assert "<tomas.ribeiro@example.org>" in body
    assert "(tel:+351912345678)" in body


def test_image_is_mentioned_not_fetched(tmp_path):
    seed = seed_from_resume(FIXTURE)
    assert any("basics.image" in note for note in seed.notes)
    assert "photo" not in seed.files["profile.md"].split("---")[1]


def test_level_words_cover_every_folio_level():
    assert set(LEVELS) == {"learning", "working", "advanced", "expert"}


def test_seeded_site_builds(seeded, tmp_path):
    out = tmp_path / "out"
    result = run_folio("build", str(seeded), "-o", str(out))
    assert result.returncode == 0, result.stderr
    for page in ("work/accessible-transport-map/index.html", "education/index.html",
                 "beyond-work/index.html", "contact/index.html", "skills/figma/index.html",
                 "tracks/ux-researcher/cv/index.html"):
        assert (out / page).is_file(), page
    from quality.tools import resume_errors

    resume = json.loads((out / "resume.json").read_text(encoding="utf-8"))
    assert resume_errors(resume) == []
    source = json.loads(FIXTURE.read_text(encoding="utf-8"))
    for key in ("name", "label", "email"):
        assert resume["basics"][key] == source["basics"][key]
    assert {w["name"] for w in resume.get("work", [])} >= {"Lumen Software"}


# -- errors ---------------------------------------------------------------------------

def test_invalid_json_names_file_line_and_column(tmp_path):
    bad = write_resume(tmp_path, '{\n  "basics": {"name": "A"},\n  "work": [1, 2,]\n}\n')
    target = tmp_path / "site"
    result = run_folio("new", str(target), "--from-resume", str(bad))
    assert result.returncode == 1
    assert result.stderr.startswith(f"{bad}:3:")
    assert "invalid JSON" in result.stderr and "Traceback" not in result.stderr
    assert not target.exists()


def test_wrong_shapes_are_all_reported_with_json_paths_and_lines(tmp_path):
    text = """{
  "basics": {"name": "Ana", "profiles": {"network": "GitHub"}},
  "work": [
    {"name": "Acme",
     "startDate": "soon"},
    "a string"
  ],
  "skills": [{"name": "SQL", "keywords": "sql, postgres"}],
  "education": {"institution": "Somewhere"}
}
"""
    bad = write_resume(tmp_path, text)
    with pytest.raises(FolioError) as info:
        seed_from_resume(bad)
    lines = [d.headline() for d in info.value.diagnostics]
    path = str(bad)
    assert f"{path}:2:29: error: basics.profiles: expected a list [...], got an object" in lines
    assert f"{path}:5:6: error: work[0].startDate: 'soon' is not a date; JSON Resume dates " \
           "are YYYY, YYYY-MM or YYYY-MM-DD" in lines
    assert f"{path}:3:3: error: work[1]: expected an object {{...}}, got text" in lines
    assert f"{path}:8:30: error: skills[0].keywords: expected a list of text, got text" in lines
    assert f"{path}:9:3: error: education: expected a list [...], got an object" in lines
    assert len(lines) == 5


def test_wrong_shape_writes_nothing(tmp_path):
    bad = write_resume(tmp_path, {"basics": {"name": "Ana"}, "work": [{"endDate": "2024-13"}]})
    target = tmp_path / "site"
    result = CliRunner().invoke(cli, ["new", str(target), "--from-resume", str(bad)])
    assert result.exit_code == 1
    assert "work[0].endDate" in result.output
    assert not target.exists()


@pytest.mark.parametrize("doc, message", [
    ("[]", "this file holds a list"),
    ('{"basics": {"name": "A", "name": "B"}}', "duplicate key 'name'"),
    ('{"basics": {"label": "no name"}}', "basics.name: missing"),
    ('{"basics": []}', "basics: expected an object"),
    ("\x00\x01", "binary file"),
    ("[" * 5000 + "]" * 5000, "nested too deeply"),
])
def test_bad_documents(tmp_path, doc, message):
    bad = write_resume(tmp_path, doc)
    with pytest.raises(FolioError) as info:
        seed_from_resume(bad)
    assert message in info.value.format()


def test_unsafe_urls_are_left_out(tmp_path):
    doc = {"basics": {"name": "A", "url": "javascript:alert(1)",
                      "profiles": [{"network": "X", "url": "data:text/html,<script>"}]},
           "work": [{"name": "B", "url": "JaVaScRiPt:alert(1)"}]}
    seed = seed_from_resume(write_resume(tmp_path, doc))
    everything = "\n".join(seed.files.values()).lower()
    assert "javascript" not in everything and "data:text" not in everything
    assert sum("left out" in n for n in seed.notes) >= 3


# -- hostile values round-trip ---------------------------------------------------------

HOSTILE = [
    'Ana "Nan" O\'Neil: ---',
    "---",
    "...",
    "key: value",
    "- [x] not a list",
    "no",
    "2024-01-01",
    "0123",
    "!!python/object/apply:os.system ['touch /tmp/pwned-folio']",
    "&anchor *alias",
    "# not a comment",
    "{{ 7*7 }} {% include '/etc/passwd' %}",
    "</script><script>alert(1)</script>",
    "tab\there",
    "@at %percent `tick` |pipe >fold",
]


def flat(text: str) -> str:
    return " ".join(text.split())


def hostile_resume() -> dict:
    multi = "first line\n---\nsecond: line\n...\n- third"
    return {
        "basics": {"name": HOSTILE[0], "label": HOSTILE[3], "email": "a@example.org",
                   "summary": multi, "location": {"city": HOSTILE[4]}},
        "work": [{"name": h, "position": HOSTILE[(i + 1) % len(HOSTILE)], "summary": multi + h,
                  "highlights": [h, multi]} for i, h in enumerate(HOSTILE)],
        "skills": [{"name": h, "level": "Expert", "keywords": [h]} for h in HOSTILE],
        "references": [{"name": "R", "reference": multi}],
        "education": [{"institution": h, "area": multi} for h in HOSTILE[:3]],
        "awards": [{"title": h, "summary": multi} for h in HOSTILE[:3]],
    }


def test_hostile_values_round_trip(tmp_path):
    site = tmp_path / "site"
    create_site(site, write_resume(tmp_path, hostile_resume()))
    assert not Path("/tmp/pwned-folio").exists()
    meta, body = front(site / "profile.md")
    assert meta["name"] == HOSTILE[0]
    assert meta["headline"] == HOSTILE[3]
    assert meta["location"] == HOSTILE[4]
    assert body == "first line\n---\nsecond: line\n...\n- third\n"
    studies = {front(p)[0]["client"]: front(p)[0] for p in (site / "case-studies").glob("*.md")}
    assert set(studies) == {flat(h) for h in HOSTILE}  # one-line fields: whitespace squeezed
    for h in HOSTILE:
        assert studies[flat(h)]["summary"] == "first line\n---\nsecond: line\n...\n- third" + h
        assert studies[flat(h)]["outcomes"] == [h, "first line\n---\nsecond: line\n...\n- third"]
    skills = yaml.safe_load((site / "skills.yaml").read_text(encoding="utf-8"))
    assert [s["name"] for s in skills] == [flat(h) for h in HOSTILE]
    assert len({s["id"] for s in skills}) == len(HOSTILE)
    quotes = yaml.safe_load((site / "testimonials.yaml").read_text(encoding="utf-8"))
    assert quotes[0]["quote"] == "first line\n---\nsecond: line\n...\n- third"


def test_hostile_resume_site_builds(tmp_path):
    site = tmp_path / "site"
    create_site(site, write_resume(tmp_path, hostile_resume()))
    result = run_folio("build", str(site), "-o", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    home = (tmp_path / "out/index.html").read_text(encoding="utf-8")
    assert "<script>alert(1)" not in home


def test_names_windows_keeps_for_devices_get_a_suffix_and_the_site_builds(tmp_path):
    from folio.build import Builder, BuildOptions

    doc = {"basics": {"name": "Ada"},
           "projects": [{"name": "LPT1"}, {"name": "con"}],
           "work": [{"name": "", "position": "NUL"}],
           "skills": [{"name": "COM3", "keywords": []}, {"name": "Aux"}]}
    site = tmp_path / "site"
    create_site(site, write_resume(tmp_path, doc))
    studies = sorted(p.stem for p in (site / "case-studies").glob("*.md"))
    assert studies == ["con-project", "lpt1-project", "nul-work"]
    skills = yaml.safe_load((site / "skills.yaml").read_text(encoding="utf-8"))
    assert [s["id"] for s in skills] == ["com3-skill-1", "aux-skill-2"]
    result = Builder(site, BuildOptions(search=False, cache=False, jobs=1)).build()
    assert "work/lpt1-project/index.html" in result.files
    assert result.warnings == ()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(min_size=1, max_size=80))
def test_any_text_round_trips_through_front_matter(value):
    """Whatever a resume says, the written front matter reads back as the same text."""
    doc = {"basics": {"name": "A"}, "work": [{"name": "Client", "summary": value,
                                              "highlights": [value]}]}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "r.json"
        path.write_text(json.dumps(doc), encoding="utf-8")
        seed = seed_from_resume(path)
    text = next(v for k, v in seed.files.items() if k.startswith("case-studies/"))
    meta = read_front_matter(text.encode("utf-8"), "case.md").meta
    expected = clean(value)
    assert meta.get("summary", "") == expected
    assert list(meta.get("outcomes", [])) == ([expected] if expected else [])


@given(st.lists(st.text(max_size=40), min_size=1, max_size=8))
def test_skill_ids_are_valid_and_unique_for_any_names(names):
    """Whatever the skills are called, their ids are valid folio ids, one per skill."""
    from folio.resume_import.content import skills
    from folio.resume_import.reader import Reader
    from folio.schema import valid_id

    doc = {"skills": [{"name": n, "keywords": ["x"]} for n in names]}
    out, _ = skills(doc, Reader("", "r.json"), ["work"], [])
    ids = [s["id"] for s in out]
    assert len(ids) == len(names) == len(set(ids))
    assert all(valid_id(i) for i in ids), ids


# -- any resume that imports, builds -----------------------------------------------------

_text = st.text(max_size=30)
_date = st.one_of(st.just(""), st.from_regex(
    r"^(19|20)\d\d(-(0[1-9]|1[0-2])(-(0[1-9]|1[0-9]|2[0-8]))?)?$", fullmatch=True))
_url = st.one_of(st.just(""), st.just("https://ex.org/a b"), st.just("https://ex.org/x)y"),
                 st.just("javascript:alert(1)"), _text)
_texts = st.lists(_text, max_size=3)
RESUMES = st.fixed_dictionaries({
    "basics": st.fixed_dictionaries({
        "name": st.text(st.characters(min_codepoint=0x21, max_codepoint=0x2000), min_size=1,
                        max_size=20),
        "label": _text, "email": _text, "phone": _text, "url": _url, "summary": _text,
        "location": st.fixed_dictionaries({"city": _text, "countryCode": _text}),
        "profiles": st.lists(st.fixed_dictionaries({"network": _text, "url": _url}), max_size=2)}),
    "work": st.lists(st.fixed_dictionaries({
        "name": _text, "position": _text, "summary": _text, "startDate": _date, "endDate": _date,
        "highlights": _texts, "url": _url, "description": _text, "location": _text}), max_size=3),
    "projects": st.lists(st.fixed_dictionaries({
        "name": _text, "description": _text, "keywords": _texts, "roles": _texts,
        "startDate": _date, "url": _url}), max_size=2),
    "skills": st.lists(st.fixed_dictionaries({"name": _text, "level": _text, "keywords": _texts}),
                       max_size=4),
    "education": st.lists(st.fixed_dictionaries({
        "institution": _text, "area": _text, "studyType": _text, "startDate": _date,
        "courses": _texts, "url": _url}), max_size=2),
    "awards": st.lists(st.fixed_dictionaries({"title": _text, "date": _date, "awarder": _text,
                                              "summary": _text}), max_size=2),
    "volunteer": st.lists(st.fixed_dictionaries({"organization": _text, "position": _text,
                                                 "summary": _text, "highlights": _texts}),
                          max_size=2),
    "references": st.lists(st.fixed_dictionaries({"name": _text, "reference": _text}), max_size=2),
    "languages": st.lists(st.fixed_dictionaries({"language": _text, "fluency": _text}), max_size=2),
    "interests": st.lists(st.fixed_dictionaries({"name": _text, "keywords": _texts}), max_size=2),
})


@pytest.mark.slow
@settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck))
@given(RESUMES)
def test_any_resume_that_imports_builds_without_warnings(doc):
    from folio.build import Builder, BuildOptions

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "r.json"
        path.write_text(json.dumps(doc), encoding="utf-8")
        site = Path(tmp) / "site"
        create_site(site, path)
        result = Builder(site, BuildOptions(search=False, cache=False, explicit_site=True,
                                            jobs=1)).build()
        assert result.warnings == ()
