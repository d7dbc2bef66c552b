"""The Pagefind bundle, read back: which pages, which words, which filters."""

from __future__ import annotations

import gzip
import json

import pytest

from folio.errors import FolioError
from folio.model import CaseStudy, Lesson, Module, Profile, Site, SiteConfig, Source, Track
from folio.search import index, page_filters, pagefind_binary

pytestmark = pytest.mark.skipif(pagefind_binary() is None, reason="needs pagefind[bin]")


def page(title: str, body: str) -> bytes:
    return (f'<!DOCTYPE html><html lang="en"><head><title>{title}</title></head><body>'
            f'<header><nav>Work Skills Hireme</nav></header><main><h1>{title}</h1>'
            f'<p>{body}</p></main><footer>Footerword</footer></body></html>').encode()


FILES = {
    "index.html": page("Home", "Welcome"),
    "work/boxly/index.html": page("Boxly dashboard", "Churn analysis for a subscription box"),
    "modules/sql/joins/index.html": page("Joins", "Inner and outer joins explained"),
    "404.html": page("Not found", "Nothing here"),
    "theme/css/site.css": b"body{}",
}


def fragments(bundle: dict[str, bytes]) -> dict[str, dict]:
    """Pagefind's per-page records (gzip, a signature, then JSON), by URL."""
    out = {}
    for path, data in bundle.items():
        if path.startswith("pagefind/fragment/"):
            raw = gzip.decompress(data)
            record = json.loads(raw[raw.index(b"{"):])
            out[record["url"]] = record
    return out


def test_bundle_holds_the_script_and_every_page_but_404():
    bundle = index(FILES, "/portfolio/")
    assert {"pagefind/pagefind.js", "pagefind/pagefind-entry.json"} <= set(bundle)
    assert all(path.startswith("pagefind/") for path in bundle)
    entry = json.loads(bundle["pagefind/pagefind-entry.json"])
    assert entry["languages"]["en"]["page_count"] == 3
    records = fragments(bundle)
    assert set(records) == {"/", "/work/boxly/", "/modules/sql/joins/"}
    boxly = records["/work/boxly/"]
    assert boxly["meta"]["title"] == "Boxly dashboard"
    assert "Churn analysis" in boxly["content"]
    assert "Hireme" not in boxly["content"] and "Footerword" not in boxly["content"]


def test_filters_choose_the_pages_and_label_them():
    filters = {"work/boxly/index.html": {"type": ["Case study"], "track": ["Data, analysis"]},
               "modules/sql/joins/index.html": {"type": ["Lesson"]}}
    records = fragments(index(FILES, "/", filters))
    assert set(records) == {"/work/boxly/", "/modules/sql/joins/"}
    assert records["/work/boxly/"]["filters"] == {"type": ["Case study"],
                                                  "track": ["Data, analysis"]}
    assert records["/modules/sql/joins/"]["filters"] == {"type": ["Lesson"]}
    assert "Case study" not in records["/work/boxly/"]["content"]  # filters are not text


def test_index_is_deterministic():
    assert index(FILES, "/") == index(FILES, "/")


def test_no_pages_no_bundle():
    assert index({"feed.xml": b"<feed/>"}, "/") == {}


def test_missing_pagefind_is_a_clear_error(monkeypatch):
    import folio.search

    monkeypatch.setattr(folio.search, "pagefind_binary", lambda: None)
    with pytest.raises(FolioError) as caught:
        index(FILES, "/")
    assert "Pagefind" in caught.value.diagnostic.message
    assert "--no-search" in caught.value.diagnostic.hint


def test_page_filters_cover_case_studies_modules_lessons_and_tracks():
    config = SiteConfig(title="T", base_url="https://a.github.io/p/", base_path="/p/",
                        tracks=(Track("data", "Data consulting", url="/tracks/data/"),
                                Track("teach", "Teaching")))
    lesson = Lesson(slug="joins", title="Joins", url="/modules/sql/joins/",
                    source=Source("modules/sql/joins.md"), module="sql")
    module = Module(slug="sql", title="SQL", url="/modules/sql/",
                    source=Source("modules/sql/module.yaml"), tracks=("teach",),
                    lessons=(lesson,))
    case = CaseStudy(slug="boxly", title="Boxly", url="/work/boxly/",
                     source=Source("case-studies/boxly.md"), tracks=("data", "unknown"))
    site = Site(config=config, profile=Profile(name="A"), case_studies=(case,),
                modules=(module,))
    assert page_filters(site) == {
        "modules/sql/index.html": {"type": ["Module"], "track": ["Teaching"]},
        "modules/sql/joins/index.html": {"type": ["Lesson"], "track": ["Teaching"]},
        "tracks/data/index.html": {"type": ["Track"], "track": ["Data consulting"]},
        "tracks/teach/index.html": {"type": ["Track"], "track": ["Teaching"]},
        "work/boxly/index.html": {"type": ["Case study"], "track": ["Data consulting"]},
    }


def test_a_stage_failing_while_pagefind_runs_leaves_no_process_or_folder(tmp_path, monkeypatch):
    """Pagefind runs beside the card and package stages; if one of them fails the
    indexer is stopped and its temporary copy of the site removed."""
    import tempfile

    from folio_testing import EXAMPLE_SITE

    import folio.search
    from folio.build import Builder, BuildOptions
    from folio.search import Indexing

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "disk"))
    monkeypatch.setattr(folio.search, "MEMORY_DIR", str(tmp_path / "memory"))
    (tmp_path / "disk").mkdir()
    (tmp_path / "memory").mkdir()
    started: list[Indexing] = []
    real_init = Indexing.__init__

    def init(self, *args, **kwargs):
        real_init(self, *args, **kwargs)
        started.append(self)

    def boom(*args, **kwargs):
        raise RuntimeError("a stage failed")

    monkeypatch.setattr(Indexing, "__init__", init)
    monkeypatch.setattr(Builder, "_social_cards", boom)
    with pytest.raises(RuntimeError, match="a stage failed"):
        Builder(EXAMPLE_SITE, BuildOptions(search=True, cache=False)).build()
    assert len(started) == 1
    proc = started[0]._proc
    assert proc is not None and proc.poll() is not None  # stopped, not left running
    assert started[0]._tmp is None
    assert [p.name for p in tmp_path.rglob("folio-search-*")] == []


def test_the_index_is_rebuilt_only_when_a_page_pagefind_reads_changes(tmp_path, monkeypatch):
    """A service (an anchor on /services/) and the home page are not indexed: editing
    one reuses the bundle from .folio-cache/; editing a post runs Pagefind again."""
    import shutil

    from folio_testing import EXAMPLE_SITE

    from folio.build import Builder, BuildOptions
    from folio.search import Indexing

    site = tmp_path / "site"
    shutil.copytree(EXAMPLE_SITE, site, ignore=shutil.ignore_patterns(".folio-cache", "public"))
    runs: list[int] = []
    real_init = Indexing.__init__

    def init(self, *args, **kwargs):
        runs.append(1)
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(Indexing, "__init__", init)

    def build() -> dict[str, bytes]:  # a new process each time, as `folio build` is
        files = Builder(site, BuildOptions(search=True, cards=False)).build().files
        return {k: v for k, v in files.items() if k.startswith("pagefind/")}

    first = build()
    assert len(runs) == 1
    service = site / "services" / "coaching.md"
    service.write_text(service.read_text() + "\nAlso on Saturdays.\n")
    assert build() == first and len(runs) == 1
    post = next((site / "posts").glob("*.md"))
    post.write_text(post.read_text() + "\nA sentence with the word quokkaphrase.\n")
    again = build()
    assert len(runs) == 2
    assert any(b"quokkaphrase" in gzip.decompress(v) for k, v in again.items()
               if k.startswith("pagefind/fragment/"))


@pytest.fixture()
def folders(tmp_path, monkeypatch):
    """A memory folder and a temporary folder of the test's own: (memory, disk)."""
    import tempfile

    import folio.search

    memory, disk = tmp_path / "memory", tmp_path / "disk"
    memory.mkdir()
    disk.mkdir()
    monkeypatch.delenv("TMPDIR", raising=False)
    monkeypatch.setattr(tempfile, "tempdir", str(disk))
    monkeypatch.setattr(folio.search, "MEMORY_DIR", str(memory))
    return memory, disk


def test_pagefind_works_in_the_memory_folder_when_it_has_room(folders, monkeypatch):
    """Its copy of the site and its bundle are thousands of short-lived files: they go
    to the memory-backed folder when it and the free memory hold twice their size."""
    import folio.search

    memory, disk = folders
    used: list[str] = []
    real = folio.search._write_pages
    monkeypatch.setattr(folio.search, "_write_pages",
                        lambda root, *a: used.append(str(root)) or real(root, *a))
    bundle = index(FILES, "/")
    assert used and used[0].startswith(str(memory))
    assert set(fragments(bundle)) == {"/", "/work/boxly/", "/modules/sql/joins/"}
    assert list(memory.iterdir()) == [] and list(disk.iterdir()) == []


@pytest.mark.parametrize("case", ["tmpdir set", "no folder", "no room"])
def test_the_disk_is_used_when_the_memory_folder_will_not_do(tmp_path, monkeypatch, case):
    import shutil
    from types import SimpleNamespace

    import folio.search

    monkeypatch.delenv("TMPDIR", raising=False)
    monkeypatch.setattr(folio.search, "MEMORY_DIR", str(tmp_path))
    assert folio.search.scratch_dir(1 << 20) == str(tmp_path)
    if case == "tmpdir set":
        monkeypatch.setenv("TMPDIR", str(tmp_path))
    elif case == "no folder":
        monkeypatch.setattr(folio.search, "MEMORY_DIR", str(tmp_path / "absent"))
    else:  # room for twice the files and 64 MiB, in the folder and in memory
        monkeypatch.setattr(folio.search, "_available_memory", lambda: 1 << 30)
        fits = ((1 << 30) - (64 << 20)) // 2
        assert folio.search.scratch_dir(fits) == str(tmp_path)
        assert folio.search.scratch_dir(fits + 1) is None
        monkeypatch.setattr(shutil, "disk_usage", lambda path: SimpleNamespace(free=100 << 20))
    assert folio.search.scratch_dir(1 << 20 if case != "no room" else 20 << 20) is None


def test_a_full_memory_folder_falls_back_to_the_disk(folders, monkeypatch):
    import errno

    import folio.search

    memory, disk = folders
    real = folio.search._write_pages
    used: list[str] = []

    def write(root, *args):
        used.append(str(root))
        if str(root).startswith(str(memory)):
            real(root, *args)  # some files written, then the folder is full
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(root, *args)

    monkeypatch.setattr(folio.search, "_write_pages", write)
    bundle = index(FILES, "/")
    assert [u.startswith(str(memory)) for u in used] == [True, False]
    assert set(fragments(bundle)) == {"/", "/work/boxly/", "/modules/sql/joins/"}
    assert list(memory.iterdir()) == [] and list(disk.iterdir()) == []


def test_scratch_folders_left_by_a_killed_build_are_removed(folders):
    """A build killed while Pagefind ran leaves its folder in memory; the next build
    that uses the memory folder removes it once it is an hour old, and no other."""
    import os
    import time

    memory, _disk = folders
    stale, recent, other = (memory / "folio-search-old", memory / "folio-search-new",
                            memory / "not-folio")
    for folder in (stale, recent, other):
        (folder / "site").mkdir(parents=True)
    hours_ago = time.time() - 7200
    for folder in (stale, other):
        os.utime(folder, (hours_ago, hours_ago))
    assert fragments(index(FILES, "/"))
    assert sorted(p.name for p in memory.iterdir()) == ["folio-search-new", "not-folio"]
