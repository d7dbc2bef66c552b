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


def test_shards_split_the_pages_by_a_hash_of_their_path(monkeypatch):
    """Each page in exactly one shard, chosen by its path alone, so adding a page
    moves no other while the shard count stays; one shard below SHARD_PAGES."""
    import folio.search
    from folio.search import shards

    paths = [f"work/case-{n}/index.html" for n in range(40)]
    assert shards(paths) == [sorted(paths)]
    monkeypatch.setattr(folio.search, "SHARD_PAGES", 10)
    groups = shards(list(reversed(paths)))
    assert len(groups) == 4 and all(g == sorted(g) for g in groups)
    assert sorted(p for g in groups for p in g) == sorted(paths)
    assert all(5 <= len(g) <= 15 for g in groups)  # about SHARD_PAGES each
    grown = shards(paths[1:] + ["work/new/index.html"])
    for before, after in zip(groups, grown, strict=True):
        assert set(before) - {paths[0]} <= set(after)
    assert shards([]) == []


def test_an_index_in_shards_keeps_every_page_and_one_copy_of_the_scripts(monkeypatch):
    """The first shard is the bundle search.js imports; the others, listed in
    shards.json, hold their index and wasm but none of Pagefind's scripts."""
    import folio.search
    from folio.search import SHARD_LIST

    monkeypatch.setattr(folio.search, "SHARD_PAGES", 1)
    groups = folio.search.shards(folio.search._indexed(FILES, None))
    bundle = index(FILES, "/")
    listed = json.loads(bundle[SHARD_LIST])["shards"]
    assert len(groups) >= 2 and listed == [f"shard-{n}/" for n in range(1, len(groups))]
    assert "pagefind/pagefind.js" in bundle
    found = {}
    for n, prefix in enumerate(["pagefind/", *(f"pagefind/{s}" for s in listed)]):
        shard = {k[len(prefix):]: v for k, v in bundle.items()
                 if k.startswith(prefix) and not k[len(prefix):].startswith("shard-")}
        assert "pagefind-entry.json" in shard and "wasm.en.pagefind" in shard
        records = fragments({"pagefind/" + k: v for k, v in shard.items()})
        assert len(records) == len(groups[n])
        found.update(records)
        if n:
            assert not [k for k in shard if k.endswith((".js", ".css"))]
    assert set(found) == {"/", "/work/boxly/", "/modules/sql/joins/"}
    assert index(FILES, "/") == bundle  # deterministic
    monkeypatch.setattr(folio.search, "SHARD_PAGES", 2000)
    assert json.loads(index(FILES, "/")[SHARD_LIST]) == {"shards": []}


@pytest.fixture()
def sharded(tmp_path, monkeypatch):
    """A copy of the example site indexed in shards of 8 pages: `build(cache)` builds it
    (all files), `runs` records the groups of pages each Pagefind start was given."""
    import shutil
    from types import SimpleNamespace

    from folio_testing import EXAMPLE_SITE

    import folio.search
    from folio.build import Builder, BuildOptions
    from folio.search import Indexing

    monkeypatch.setattr(folio.search, "SHARD_PAGES", 8)
    site = tmp_path / "site"
    shutil.copytree(EXAMPLE_SITE, site, ignore=shutil.ignore_patterns(".folio-cache", "public"))
    runs: list[list[list[str]]] = []
    real_init = Indexing.__init__

    def init(self, files, filters, groups):
        runs.append([list(g) for g in groups])
        real_init(self, files, filters, groups)

    monkeypatch.setattr(Indexing, "__init__", init)

    def build(cache: bool = True) -> dict[str, bytes]:
        return Builder(site, BuildOptions(search=True, cards=False, cache=cache)).build().files

    return SimpleNamespace(site=site, runs=runs, build=build)


def all_records(files: dict[str, bytes]) -> dict[str, dict]:
    """Every page's record, from every shard of the bundle."""
    return fragments({"pagefind/fragment/" + k.rsplit("/", 1)[1]: v for k, v in files.items()
                      if k.startswith("pagefind/") and "/fragment/" in k})


def test_an_edit_reindexes_only_the_shard_of_the_changed_page(sharded):
    """With the index in shards, a cached build runs Pagefind over the edited page's
    shard alone; the other shards are reused byte for byte, and every page's record
    is what a clean build gives."""
    from folio.search import shards

    def shard_files(files: dict[str, bytes], n: int) -> dict[str, bytes]:
        prefix = "pagefind/" if n == 0 else f"pagefind/shard-{n}/"
        return {k: v for k, v in files.items() if k.startswith(prefix)
                and not k[len(prefix):].startswith("shard-")}

    first = sharded.build()
    groups = sharded.runs[0]
    assert len(groups) >= 3 and groups == shards([p for g in groups for p in g])
    post = next((sharded.site / "posts").glob("*.md"))
    post.write_text(post.read_text() + "\nA sentence with the word quokkaphrase.\n")
    again = sharded.build()
    assert len(sharded.runs) == 2 and len(sharded.runs[1]) == 1
    edited = groups.index(sharded.runs[1][0])
    for n in range(len(groups)):
        if n != edited:
            assert shard_files(again, n) == shard_files(first, n)
    assert shard_files(again, edited) != shard_files(first, edited)
    found = all_records(again)
    assert found == all_records(sharded.build(cache=False))
    assert sum("quokkaphrase" in r["content"] for r in found.values()) == 1


def _fake_pagefind(tmp_path, body: str):
    """An executable standing in for Pagefind: `body` is Python run with its argv."""
    import stat
    import sys

    script = tmp_path / "fake-pagefind"
    script.write_text(f"#!{sys.executable}\nimport os, sys, time, pathlib\n{body}\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


@pytest.mark.skipif(not __import__("sys").platform.startswith("linux"), reason="reads /proc")
def test_cancelling_stops_the_pagefind_that_runs_and_starts_no_other(tmp_path, monkeypatch):
    """The shards run one after another in a child process; stopping the build kills
    that process and the Pagefind it started."""
    import time

    import folio.search
    from folio.search import Indexing

    started = tmp_path / "started"
    started.mkdir()
    fake = _fake_pagefind(tmp_path, f"pathlib.Path({str(started)!r}, str(os.getpid())).touch()\n"
                                    "time.sleep(60)")
    monkeypatch.setattr(folio.search, "pagefind_binary", lambda: fake)
    run = Indexing(FILES, None, [["index.html"], ["work/boxly/index.html"]])
    deadline = time.monotonic() + 30
    while not list(started.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.05)
    [pid] = [int(p.name) for p in started.iterdir()]
    run.cancel()
    deadline = time.monotonic() + 30
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(pid)
    assert run._proc.poll() is not None and run._tmp is None
    time.sleep(0.2)
    assert len(list(started.iterdir())) == 1  # the second shard never started


def _alive(pid: int) -> bool:
    """Running, not a zombie (a killed orphan is reaped by init)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _two_shards(tmp_path, monkeypatch, first: str):
    """Indexing of two shards by a stand-in Pagefind that runs `first`, then writes a bundle."""
    import folio.search
    from folio.search import Indexing

    fake = _fake_pagefind(tmp_path, first + (
        "out = pathlib.Path(sys.argv[sys.argv.index('--output-path') + 1])\n"
        "out.mkdir(parents=True); (out / 'pagefind.js').write_text('')"))
    monkeypatch.setattr(folio.search, "pagefind_binary", lambda: fake)
    return Indexing(FILES, None, [["index.html"], ["work/boxly/index.html"]])


def test_a_failing_shard_fails_the_search_with_pagefinds_words(tmp_path, monkeypatch):
    run = _two_shards(tmp_path, monkeypatch, (
        "site = pathlib.Path(sys.argv[sys.argv.index('--site') + 1])\n"
        "if site.name == 'site-1':\n"
        "    print('Error: the disk is full'); sys.exit(3)\n"))
    with pytest.raises(FolioError, match="the disk is full"):
        run.finish()
    assert run._tmp is None
    assert run.took is None


def test_the_runs_report_the_time_they_took(tmp_path, monkeypatch):
    """Pagefind works beside other stages, so its own time is reported by the runner."""
    run = _two_shards(tmp_path, monkeypatch, "time.sleep(0.3)\nsum(range(3_000_000))  # some CPU\n")
    assert len(run.finish()) == 2
    assert run.took is not None
    assert run.took.runs == 2
    assert run.took.seconds >= 0.6  # both runs, one after the other
    assert 0 < run.took.cpu_seconds < run.took.seconds


@pytest.mark.parametrize("log", ["", "Error: something\n", '{"runs": 1}\n', "[1, 2]\n"])
def test_a_run_without_its_time_line_reports_no_time(tmp_path, log):
    from folio.search import _reported_time

    (tmp_path / "pagefind.log").write_text(log)
    assert _reported_time(tmp_path / "pagefind.log") is None
    assert _reported_time(tmp_path / "missing.log") is None


def test_a_system_without_childrens_cpu_times_reports_the_wall_time_alone(tmp_path):
    from folio.search import _reported_time

    (tmp_path / "pagefind.log").write_text('{"runs": 1, "seconds": 2.5, "cpu_seconds": null}\n')
    took = _reported_time(tmp_path / "pagefind.log")
    assert took is not None and took.cpu_seconds is None
    assert took.describe().split() == ["pagefind", "2500.0", "ms", "beside", "copy,", "packages",
                                       "and", "cards", "(1", "run)"]


def test_verbose_build_shows_what_pagefind_took_beside_the_stages(tmp_path):
    import re
    import shutil

    from folio_testing import EXAMPLE_SITE, run_folio

    site = tmp_path / "site"
    shutil.copytree(EXAMPLE_SITE, site, ignore=shutil.ignore_patterns(".folio-cache", "public"))

    def pagefind_lines(*args: str) -> list[str]:
        done = run_folio("build", str(site), "-o", str(tmp_path / args[0]), "-v", *args[1:])
        assert done.returncode == 0, done.stderr
        return [line for line in done.stdout.splitlines() if line.split()[:1] == ["pagefind"]]

    [line] = pagefind_lines("out")
    found = re.fullmatch(r"\s*pagefind\s+([\d.]+) ms beside copy, packages and cards "
                         r"\(1 run, ([\d.]+) s of CPU\)", line)
    assert found and float(found[1]) > 0 and float(found[2]) > 0, line
    assert pagefind_lines("out") == []  # nothing changed: the index is reused, nothing ran
    assert pagefind_lines("other", "--no-search") == []


def test_pagefind_runs_when_folio_is_importable_only_from_the_working_folder(tmp_path):
    """`cd src && python -m folio build ...` with a Python where folio is not installed:
    the runner starts from its file, in the index's temporary folder, so it must not
    need to import folio."""
    import os
    import subprocess
    import venv
    from pathlib import Path

    import folio

    try:
        venv.create(tmp_path / "venv", with_pip=False)  # a Python without folio or Pagefind
    except (OSError, subprocess.CalledProcessError) as exc:
        pytest.skip(f"cannot create a virtual environment here: {exc}")
    python = tmp_path / "venv" / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    src = Path(folio.__file__).resolve().parents[1]
    code = ("import json\nfrom folio.search import index\n"
            "pages = {'a/index.html': b'<html lang=\"en\"><main><h1>A</h1><p>Alpha</p></main></html>'}\n"
            "print(json.dumps(sorted(index(pages, '/'))))\n")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["PATH"] = f"{pagefind_binary().parent}{os.pathsep}{env.get('PATH', '')}"  # found on PATH
    out = subprocess.run([str(python), "-c", code], cwd=src, env=env, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "pagefind/pagefind.js" in json.loads(out.stdout)


def test_without_ignored_cuts_what_pagefind_would_skip_inside_main():
    from folio.search import without_ignored

    page = (b'<html><body><nav data-pagefind-ignore>Menu</nav><main><h1>Title</h1><p>Kept</p>'
            b'<section data-pagefind-ignore><div><div>Listed</div></div><p>Listed too</p></section>'
            b'<p>After</p><img data-pagefind-ignore src="a.png" alt="Cut">'
            b'<p>&lt;div data-pagefind-ignore&gt; is text here</p></main><footer>F</footer></body></html>')
    assert without_ignored(page) == (
        b'<html><body><nav data-pagefind-ignore>Menu</nav><main><h1>Title</h1><p>Kept</p>'
        b'<p>After</p><p>&lt;div data-pagefind-ignore&gt; is text here</p></main>'
        b'<footer>F</footer></body></html>')
    assert without_ignored(b"<main><p>No marks</p></main>") == b"<main><p>No marks</p></main>"
    assert without_ignored(b"<p data-pagefind-ignore>no main</p>") == b"<p data-pagefind-ignore>no main</p>"


@pytest.mark.parametrize("inside", [
    b"<h1>The page's title</h1>",                      # Pagefind still titles the page from it
    b'<span data-pagefind-filter="type:Post"></span>',  # filters and metadata are still read
    b'<span data-pagefind-meta="image:/a.png"></span>',
    b"<div>never closed",                               # no end before </main>: not guessed
])
def test_without_ignored_leaves_what_pagefind_still_reads_or_what_it_cannot_delimit(inside):
    from folio.search import without_ignored

    page = b"<main><p>Kept</p><div data-pagefind-ignore>" + inside + b"</main>"
    if inside != b"<div>never closed":
        page = page.replace(b"</main>", b"</div></main>")
    assert without_ignored(page) == page


def test_a_listing_that_changes_with_the_page_it_lists_reindexes_no_other_shard(sharded):
    """Skill and track pages list case studies in sections the theme marks
    data-pagefind-ignore: an edit to a case study's outcomes changes those pages, but
    only the case study's own shard is indexed again."""
    first = sharded.build()
    case = sharded.site / "case-studies" / "01-food-bank-stock-dashboard.md"
    case.write_text(case.read_text().replace("from 11.4% to 7.9%", "from 11.4% to 7.5%"))
    again = sharded.build()
    listing = [p for p in ("skills/dashboards/index.html", "tracks/data/index.html")
               if first[p] != again[p]]
    assert len(listing) == 2  # the listings changed with the case study
    assert len(sharded.runs) == 2 and len(sharded.runs[1]) == 1
    assert "work/food-bank-stock-dashboard/index.html" in sharded.runs[1][0]
    found = all_records(again)
    assert found == all_records(sharded.build(cache=False))
    assert "7.5%" in found["/work/food-bank-stock-dashboard/"]["content"]
    assert "food bank" not in found["/skills/dashboards/"]["content"].lower()
