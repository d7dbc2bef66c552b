"""Parsed front matter kept in .folio-cache/parse/ between processes.

A warm `folio build` in a new process decodes each file but parses no YAML. What
it restores must be the very parse, marks included: every error later stages
report from it names the same line and column, and the site built from it
equals a clean build.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from folio_testing import EXAMPLE_SITE

from folio import loadmemo as load_module
from folio.build import Builder, BuildOptions
from folio.errors import BuildFailed
from folio.yamlload import Marked, MarkedList, freeze, load_yaml, thaw

HOSTILE = """\
title: "Quoted: yes"
answer: no
count: 010
ratio: 1.10
flag: true
empty:
nested:
  - plain
  - {a: 1, b: [x, "y", 3.0]}
  - - deeper
    - [1, 2]
"when": 2024-02-30
"""


def same_marks(a, b, where="") -> None:
    """Equal values, and equal marks on every mapping key, value and list item."""
    assert type(a) is type(b), where
    if isinstance(a, Marked):
        assert dict.keys(a) == dict.keys(b) and a.mark == b.mark, where
        for key in a:
            assert a.key_mark(key) == b.key_mark(key), (where, key)
            assert a.value_mark(key) == b.value_mark(key), (where, key)
            same_marks(a[key], b[key], f"{where}/{key}")
    elif isinstance(a, MarkedList):
        assert len(a) == len(b) and a.mark == b.mark, where
        for i in range(len(a)):
            assert a.where(i) == b.where(i), (where, i)
            same_marks(a[i], b[i], f"{where}[{i}]")
    else:
        assert a == b, where


@pytest.mark.parametrize("text", [HOSTILE, "{}", "[1, [2, {x: y}]]", "a: b"])
def test_thaw_gives_back_the_values_and_every_mark(text: str) -> None:
    value = load_yaml(text, "x.md", 3)
    same_marks(value, thaw(freeze(value)))


def test_the_example_sites_front_matter_round_trips() -> None:
    from folio.frontmatter import read_front_matter

    for path in sorted(EXAMPLE_SITE.rglob("*.md")):
        st = read_front_matter(path.read_bytes(), path.name)
        same_marks(st.meta, thaw(freeze(st.meta)), path.name)


@pytest.fixture()
def site(tmp_path: Path) -> Path:
    root = tmp_path / "site"
    shutil.copytree(EXAMPLE_SITE, root, ignore=shutil.ignore_patterns(".folio-cache", "public"))
    return root


def count_parses(monkeypatch) -> list[str]:
    parsed: list[str] = []
    real = load_module.read_front_matter

    def counting(data, rel, *args, **kwargs):
        parsed.append(rel)
        return real(data, rel, *args, **kwargs)

    monkeypatch.setattr(load_module, "read_front_matter", counting)
    return parsed


def test_a_new_process_restores_parses_and_builds_the_same_site(site: Path, monkeypatch) -> None:
    options = BuildOptions(search=False, cards=False)
    clean = Builder(site, BuildOptions(search=False, cards=False, cache=False)).build().files
    Builder(site, options).build()  # fills .folio-cache/
    parsed = count_parses(monkeypatch)
    warm = Builder(site, options).build().files
    assert parsed == []
    assert warm == clean
    post = next((site / "posts").glob("*.md"))
    post.write_text(post.read_text() + "\nOne more line.\n")
    Builder(site, options).build()
    assert parsed == [post.relative_to(site).as_posix()]


def test_errors_from_a_restored_parse_name_the_same_place(site: Path, monkeypatch) -> None:
    post = next((site / "posts").glob("*.md"))
    lines = post.read_text().split("\n")
    at = next(i for i, line in enumerate(lines) if line.startswith("title:"))
    lines[at] = "title: 123"
    post.write_text("\n".join(lines))

    def failure() -> list[str]:
        with pytest.raises(BuildFailed) as info:
            Builder(site, BuildOptions(search=False, cards=False)).build()
        return [d.format() for d in info.value.diagnostics]

    fresh = failure()
    assert any("'title' must be text" in d and f":{at + 1}:" in d for d in fresh), fresh
    parsed = count_parses(monkeypatch)
    assert failure() == fresh
    assert parsed == []  # the second build restored every parse from disk


def test_a_damaged_parse_index_is_a_miss(site: Path, monkeypatch) -> None:
    options = BuildOptions(search=False, cards=False)
    first = Builder(site, options).build().files
    for entry in (site / ".folio-cache" / "parse").rglob("*"):
        if entry.is_file():
            entry.write_bytes(entry.read_bytes()[:-10] + b"0123456789")
    parsed = count_parses(monkeypatch)
    assert Builder(site, options).build().files == first
    assert len(parsed) > 10  # parsed again, not trusted
