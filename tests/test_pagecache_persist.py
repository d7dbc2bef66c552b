"""The page cache survives the process: a new Builder renders only what it must.

Each "process" here is a fresh Builder (nothing in memory), and one test runs a
real second process. Whatever the cache reuses, the output must equal a clean
build with no cache at all; a new process must render the same pages that a
kept Builder (as in `folio serve`) renders for the same edit.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from folio_testing import run_folio, write_tree
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from folio.build import Builder, BuildOptions
from folio.cache import CACHE_DIR, Cache

SITE = {
    "folio.yaml": "title: Persist\nbase_url: https://ex.test/sub/\ntracks:\n  - {id: data, title: Data}\n",
    "skills.yaml": "- id: sql\n  name: SQL\n- id: excel\n  name: Excel\n",
    "case-studies/a.md": "---\ntitle: Case A\nskills: [sql]\ntracks: [data]\nfeatured: true\n---\n"
                         "Alpha body, see [b](b.md).\n\n## Results\n\nIt worked.\n",
    "case-studies/b.md": "---\ntitle: Case B\nskills: [excel]\n---\nBeta body.\n",
    "posts/p.md": "---\ntitle: Post P\ndate: 2024-05-01\ntags: [notes]\nskills: [sql]\n---\nPost body.\n",
    "posts/q.md": "---\ntitle: Post Q\ndate: 2024-06-01\ntags: [notes, sql]\n---\nAnother post.\n",
    "pages/about.md": "---\ntitle: About\nmenu: 1\n---\nAbout body with [a](../case-studies/a.md).\n",
    "modules/m/module.yaml": "title: Module M\nskills: [excel]\n",
    "modules/m/01-one.md": "---\ntitle: One\nduration: 10m\n---\nLesson one.\n",
    "modules/m/02-two.md": "---\ntitle: Two\n---\nLesson two.\n",
}
OPTIONS = BuildOptions(search=False, cards=False)


def site(tmp_path: Path) -> Path:
    return write_tree(tmp_path / "site", SITE)


def build(root: Path, **options) -> tuple[Builder, dict[str, bytes]]:
    """A build in a Builder of its own: nothing is kept in memory from earlier builds."""
    builder = Builder(root, BuildOptions(**{"search": False, "cards": False, **options}))
    return builder, builder.build().files


def clean(root: Path) -> dict[str, bytes]:
    return build(root, cache=False)[1]


def assert_equal(got: dict[str, bytes], want: dict[str, bytes]) -> None:
    assert sorted(got) == sorted(want)
    assert [p for p in want if got[p] != want[p]] == []


def html_pages(files: dict[str, bytes]) -> int:
    return sum(1 for p in files if p.endswith(".html"))


def append(root: Path, rel: str, text: str = "\nOne more paragraph.\n") -> None:
    path = root / rel
    path.write_text(path.read_text() + text)


def entry(root: Path, *parts: str) -> Path:
    key = Cache(root, "pages", "").key(*parts)
    return root / CACHE_DIR / "pages" / key[:2] / key


def test_a_new_process_renders_nothing_when_nothing_changed(tmp_path):
    root = site(tmp_path)
    first, files = build(root)
    assert first.pages.last_rendered_count == html_pages(files)
    index = entry(root, "index")
    stamp = index.stat().st_mtime_ns
    second, again = build(root)
    assert second.pages.last_rendered_count == 0
    assert_equal(again, clean(root))
    assert index.stat().st_mtime_ns == stamp, "nothing changed, so nothing is written back"


WORKERS_SCRIPT = """
import hashlib, json, sys
from pathlib import Path
import folio.pagecache as pagecache
from folio.build import Builder, BuildOptions
from folio.parallel import map_ordered, start_method

assert start_method() == "fork", start_method()
pagecache.PARALLEL_FROM = 2
map_ordered.__kwdefaults__["serial_below"] = 2  # a pool for the Markdown bodies too
root = Path(sys.argv[1])
report = []
for _ in range(2):  # a fresh Builder each time: nothing kept in memory
    builder = Builder(root, BuildOptions(search=False, cards=False, jobs=2))
    files = builder.build().files
    report.append({"rendered": builder.pages.last_rendered_count,
                   "pages": sum(1 for p in files if p.endswith(".html")),
                   "bodies": len(builder.bodies.memory), "writes": builder.bodies.disk.stats.writes,
                   "hits": builder.bodies.disk.stats.hits, "misses": builder.bodies.disk.stats.misses,
                   "digest": sorted((p, hashlib.sha256(v).hexdigest()) for p, v in files.items())})
print(json.dumps(report))
"""


def test_entries_stored_by_worker_processes_are_reused_by_a_new_process(tmp_path):
    """Markdown bodies and pages are stored by the pool workers that rendered them
    (in a fresh process, so that the pools fork); a second Builder finds every one
    of them and renders nothing, and the main process stored none of the bodies."""
    if not sys.platform.startswith("linux"):
        pytest.skip("workers are forked only on Linux")
    root = site(tmp_path)
    run = subprocess.run([sys.executable, "-c", WORKERS_SCRIPT, str(root)],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    first, second = json.loads(run.stdout)
    assert first["rendered"] == first["pages"] > 0
    assert first["writes"] == 0, "the workers stored the bodies, not the main process"
    assert second["rendered"] == 0
    assert second["hits"] == second["bodies"] > 0 and second["misses"] == 0
    assert second["digest"] == first["digest"]
    got = Builder(root, OPTIONS).build().files
    assert_equal(got, clean(root))


@pytest.mark.parametrize("rel", ["case-studies/a.md", "posts/p.md", "modules/m/01-one.md",
                                 "pages/about.md", "profile.md"])
def test_body_edit_in_a_new_process_renders_what_serve_renders(tmp_path, rel):
    root = site(tmp_path)
    kept, files = build(root)
    append(root, rel)
    fresh, got = build(root)
    kept.build()  # the same edit in a Builder kept in memory, as `folio serve` does it
    assert set(fresh.pages.last_rendered) == set(kept.pages.last_rendered)
    assert 0 < fresh.pages.last_rendered_count < html_pages(files)
    assert_equal(got, clean(root))
    _, after = build(root)  # and the next process reuses what that one wrote
    assert_equal(after, got)


def test_body_edit_renders_only_the_pages_that_read_the_body(tmp_path):
    root = site(tmp_path)
    first, _ = build(root)
    readers = {url for url, (keys, read_all) in first.pages.previous.reads.items()
               if read_all or "posts/p.md" in keys}
    append(root, "posts/p.md")
    second, got = build(root)
    assert set(second.pages.last_rendered) == readers
    assert {"/", "/writing/p/", "/tags/notes/"} <= readers
    assert "/work/a/" not in readers
    assert_equal(got, clean(root))


def _title(root: Path) -> None:
    path = root / "case-studies/b.md"
    path.write_text(path.read_text().replace("title: Case B", "title: Case Bee"))


def _config(root: Path) -> None:
    path = root / "folio.yaml"
    path.write_text(path.read_text().replace("title: Persist", "title: Persisted"))


def _skills(root: Path) -> None:
    path = root / "skills.yaml"
    path.write_text(path.read_text().replace("name: Excel", "name: Spreadsheets"))


def _template(root: Path) -> None:
    tpl = root / "templates" / "404.html"
    tpl.parent.mkdir(exist_ok=True)
    tpl.write_text('{% extends "base.html" %}{% block content %}<p>Lost</p>{% endblock %}')


def _new_post(root: Path) -> None:
    (root / "posts/r.md").write_text("---\ntitle: Post R\ndate: 2024-07-01\n---\nNew.\n")


@pytest.mark.parametrize("edit", [_title, _config, _skills, _template, _new_post])
def test_any_other_edit_renders_everything_again(tmp_path, edit):
    root = site(tmp_path)
    build(root)
    edit(root)
    fresh, got = build(root)
    assert fresh.pages.last_rendered_count == html_pages(got)
    assert_equal(got, clean(root))


def test_templates_are_compared_by_content_between_processes(tmp_path):
    """A touched template is a hit; an edit that keeps size and mtime is still a miss."""
    root = site(tmp_path)
    _template(root)
    build(root)
    tpl = root / "templates" / "404.html"
    os.utime(tpl, ns=(tpl.stat().st_atime_ns, tpl.stat().st_mtime_ns + 5_000_000_000))
    assert build(root)[0].pages.last_rendered_count == 0
    stamp = tpl.stat()
    tpl.write_text(tpl.read_text().replace("Lost", "Gone"))
    os.utime(tpl, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    assert tpl.stat().st_size == stamp.st_size
    fresh, got = build(root)
    assert fresh.pages.last_rendered_count == html_pages(got)
    assert b"Gone" in got["404.html"]
    assert_equal(got, clean(root))


def test_source_date_epoch_is_part_of_the_key(tmp_path, monkeypatch):
    root = site(tmp_path)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    build(root)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1800000000")
    fresh, got = build(root)
    assert fresh.pages.last_rendered_count == html_pages(got)
    assert_equal(got, clean(root))


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 3])


def _flip(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("damage", [_truncate, _flip])
def test_damaged_index_is_discarded_and_everything_rendered(tmp_path, damage):
    root = site(tmp_path)
    build(root)
    damage(entry(root, "index"))
    fresh, got = build(root)
    assert fresh.pages.last_rendered_count == html_pages(got)
    assert_equal(got, clean(root))
    assert build(root)[0].pages.last_rendered_count == 0, "the index was written again"


@pytest.mark.parametrize("damage", [_truncate, _flip])
def test_damaged_page_entry_renders_that_page_only(tmp_path, damage):
    root = site(tmp_path)
    build(root)
    damage(entry(root, "file", "work/a/index.html"))
    fresh, got = build(root)
    assert fresh.pages.last_rendered == ("/work/a/",)
    assert_equal(got, clean(root))


def test_entries_swapped_between_pages_are_not_trusted(tmp_path):
    """Valid entries under the wrong names (as a concurrent build might leave them)."""
    root = site(tmp_path)
    build(root)
    a, b = entry(root, "file", "work/a/index.html"), entry(root, "file", "work/b/index.html")
    data_a, data_b = a.read_bytes(), b.read_bytes()
    a.write_bytes(data_b)
    b.write_bytes(data_a)
    fresh, got = build(root)
    assert set(fresh.pages.last_rendered) == {"/work/a/", "/work/b/"}
    assert_equal(got, clean(root))


def test_every_entry_damaged_still_builds_a_clean_site(tmp_path):
    root = site(tmp_path)
    build(root)
    entries = [p for p in (root / CACHE_DIR / "pages").rglob("*") if p.is_file()]
    assert len(entries) > 10
    for i, path in enumerate(entries):
        (_truncate if i % 2 else _flip)(path)
    _, got = build(root)
    assert_equal(got, clean(root))


def test_no_cache_reads_and_writes_nothing(tmp_path):
    root = site(tmp_path)
    first, files = build(root, cache=False)
    second, _ = build(root, cache=False)
    assert not (root / CACHE_DIR).exists()
    assert second.pages.last_rendered_count == html_pages(files)
    build(root)  # a warm cache, which --no-cache must neither read nor touch
    before = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in (root / CACHE_DIR).rglob("*")
              if p.is_file()}
    third, _ = build(root, cache=False)
    assert third.pages.last_rendered_count == html_pages(files)
    after = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in (root / CACHE_DIR).rglob("*")
             if p.is_file()}
    assert after == before


_SECOND_PROCESS = """
import hashlib, json, sys
from folio.build import Builder, BuildOptions
b = Builder(sys.argv[1], BuildOptions(search=False))
files = b.build().files
print(json.dumps({"rendered": b.pages.last_rendered_count,
                  "files": {p: hashlib.sha256(d).hexdigest() for p, d in files.items()}}))
"""


def test_a_real_second_process_with_another_hash_seed_renders_nothing(tmp_path):
    root = site(tmp_path)
    out = tmp_path / "out"
    done = run_folio("build", str(root), "-o", str(out), "--no-search",
                     env={"PYTHONHASHSEED": "1"})
    assert done.returncode == 0, done.stderr
    second = subprocess.run([sys.executable, "-c", _SECOND_PROCESS, str(root)],
                            capture_output=True, text=True, timeout=120,
                            env={**os.environ, "PYTHONHASHSEED": "2"})
    assert second.returncode == 0, second.stderr
    found = json.loads(second.stdout)
    assert found["rendered"] == 0
    want = Builder(root, BuildOptions(search=False, cache=False)).build().files
    assert found["files"] == {p: hashlib.sha256(d).hexdigest() for p, d in want.items()}
    assert {p: (out / p).read_bytes() for p in want} == want


def _edit_body(root: Path, n: int) -> None:
    append(root, ["case-studies/a.md", "posts/p.md", "modules/m/02-two.md", "profile.md"][n % 4],
           f"\nWords {n}.\n")


def _revert_body(root: Path, n: int) -> None:
    rel = ["case-studies/a.md", "posts/p.md", "modules/m/02-two.md"][n % 3]
    (root / rel).write_text(SITE[rel])


def _toggle_title(root: Path, n: int) -> None:
    path = root / "case-studies/b.md"
    text = path.read_text()
    path.write_text(text.replace("title: Case B\n", "title: Case Bee\n") if "Case B\n" in text
                    else text.replace("title: Case Bee\n", "title: Case B\n"))


def _toggle_post(root: Path, n: int) -> None:
    path = root / "posts/r.md"
    if path.exists():
        path.unlink()
    else:
        _new_post(root)


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from([_edit_body, _revert_body, _toggle_title, _toggle_post]),
                          st.integers(0, 30)), min_size=1, max_size=5))
def test_any_edit_sequence_across_processes_equals_a_clean_build(tmp_path_factory, edits):
    root = write_tree(tmp_path_factory.mktemp("seq"), SITE)
    build(root)
    for edit, n in edits:
        edit(root, n)
        _, got = build(root)
        assert_equal(got, clean(root))
    shutil.rmtree(root, ignore_errors=True)


def test_edits_made_under_serve_are_rendered_by_the_next_process(tmp_path):
    """A kept Builder does not rewrite the cache on every edit; the next process
    renders the pages whose bodies changed since the cache was written."""
    root = site(tmp_path)
    kept = Builder(root, OPTIONS)
    kept.build()
    for n, rel in enumerate(("case-studies/a.md", "posts/p.md", "case-studies/a.md")):
        path = root / rel
        path.write_text(path.read_text() + f"\nEdit {n}.\n")
        kept.build([path])
    later, files = build(root)
    assert_equal(files, clean(root))
    assert 0 < later.pages.last_rendered_count < len([p for p in files if p.endswith(".html")])
    again, files = build(root)  # that process saved what it rendered
    assert again.pages.last_rendered_count == 0
    assert_equal(files, clean(root))
