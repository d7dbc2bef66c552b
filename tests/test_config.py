"""folio.yaml: required fields, type traps, typos, base path, finding the root."""

from __future__ import annotations

import pytest

from folio.config import find_site_root, parse_config
from folio.errors import FolioError, Report


def config(text: str):
    report = Report()
    cfg = parse_config(text, report)
    return cfg, report


def test_minimal_and_base_path():
    cfg, report = config("title: T\nbase_url: https://ada.github.io/portfolio\n")
    assert not report.errors
    assert (cfg.base_url, cfg.base_path, cfg.language, cfg.output) == (
        "https://ada.github.io/portfolio/", "/portfolio/", "en", "_site")


def test_full_config():
    cfg, report = config("""title: T
base_url: https://x.test/
language: pt-BR
tracks:
  - {id: data, title: Data, summary: Numbers}
availability: {status: booked, until: 2027-01, note: Back in January}
menu:
  - {title: Work, url: /work/}
drafts: true
markdown: {raw_html: false}
timezone: Europe/Lisbon
""")
    assert not report.errors, report.errors
    assert cfg.tracks[0].url == "/tracks/data/" and not cfg.availability.bookable
    assert cfg.availability.until.iso() == "2027-01" and cfg.raw_html is False
    assert cfg.menu[0].url == "/work/" and cfg.drafts is True


@pytest.mark.parametrize("text,line,message", [
    ("title: T\nbase_url: no\n", 2, "'base_url' must be an absolute http(s) URL, got 'no'"),
    ("title: T\nbase_url: https://x.test/\nlanguage: english!\n", 3, "BCP 47"),
    ("title: T\nbase_url: https://x.test/\nouput: public\n", 3, "unknown field 'ouput'"),
    ("title: T\nbase_url: https://x.test/\ndrafts: yes\n", 3, "'drafts' must be true or false"),
    ("title: T\nbase_url: https://x.test/\navailability: {status: away}\n", 3, "must be one of"),
    ("title: T\nbase_url: https://x.test/\ntimezone: Mars/Base\n", 3, "unknown timezone"),
    ("base_url: https://x.test/\n", 1, "missing required field 'title'"),
    ("title: 1.10\nbase_url: https://x.test/\n", 1, "'title' must be text"),
    ("title: T\nbase_url: https://x.test/\ntracks:\n  - {id: Bad Id, title: X}\n", 4, "track id"),
])
def test_type_traps_and_typos_name_the_line(text, line, message):
    _, report = config(text)
    assert any(d.line == line and message in d.message for d in report.errors), report.errors


def test_language_no_is_norwegian_not_false():
    cfg, report = config("title: T\nbase_url: https://x.test/\nlanguage: no\n")
    assert cfg.language == "no" and not report.errors


def test_typo_hint():
    _, report = config("title: T\nbase_url: https://x.test/\nouput: public\n")
    assert report.errors[0].hint == "did you mean 'output'?"


@pytest.mark.parametrize("text", ["", "# only a comment\n", "- a\n- b\n", "just a string\n"])
def test_empty_or_wrong_shape(text):
    with pytest.raises(FolioError):
        config(text)


def test_root_found_from_a_subfolder_and_listed_when_missing(make_site, tmp_path, monkeypatch):
    root = make_site({})
    (root / "posts").mkdir()
    monkeypatch.chdir(root / "posts")
    assert find_site_root(None, explicit=False) == root
    with pytest.raises(FolioError) as info:
        find_site_root(root / "posts", explicit=True)
    assert "searched" in info.value.diagnostic.message


def test_folio_yml_gets_a_rename_hint(tmp_path):
    (tmp_path / "folio.yml").write_text("title: T\n")
    with pytest.raises(FolioError) as info:
        find_site_root(tmp_path, explicit=True)
    assert "rename it to folio.yaml" in info.value.diagnostic.hint
