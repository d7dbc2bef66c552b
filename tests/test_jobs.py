"""`folio build --jobs N` bounds the workers of every stage that has them.

With one job the whole build runs in the building process: no pool of worker
processes (Markdown, pages, packages, cards) and no image threads, so the
determinism tests' "clean serial build" is serial. With two, the same stages do
start workers (pages only where the process can fork), which shows the site is large
enough for the first check to mean something.
"""

from __future__ import annotations

import sys
import threading
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

import pytest
from folio_testing import REPO

import folio.images
import folio.parallel
from folio.build import BuildOptions, build
from folio.parallel import start_method

sys.path.insert(0, str(REPO / "bench"))
from gen_corpus import generate  # noqa: E402


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("jobs") / "site"
    generate(root, pages=170, words=80)  # 4 modules: enough for packages to use workers
    return root


def spy_on_workers(monkeypatch) -> list[str]:
    """What each pool started by the build ran: the stage's function, or 'image threads'."""
    started: list[str] = []

    class Processes(ProcessPoolExecutor):
        def submit(self, fn, /, *args, **kwargs):
            stage = args[0].__name__ if args and callable(args[0]) else fn.__name__
            if stage not in started:
                started.append(stage)
            return super().submit(fn, *args, **kwargs)

    class Threads(ThreadPoolExecutor):
        def __init__(self, *args, **kwargs):
            started.append("image threads")
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(folio.parallel, "ProcessPoolExecutor", Processes)
    monkeypatch.setattr(folio.images, "ThreadPoolExecutor", Threads)
    return started


def test_one_job_builds_in_one_process(corpus, tmp_path, monkeypatch):
    started = spy_on_workers(monkeypatch)
    result = build(corpus, BuildOptions(output=tmp_path / "out", search=False, cache=False, jobs=1))
    assert started == []
    assert any(path.startswith("og/") for path in result.files), "the build drew no cards"


def test_folio_jobs_of_one_in_the_environment_does_the_same(corpus, tmp_path, monkeypatch):
    started = spy_on_workers(monkeypatch)
    monkeypatch.setenv("FOLIO_JOBS", "1")
    build(corpus, BuildOptions(output=tmp_path / "out", search=False, cache=False))
    assert started == []


def test_two_jobs_use_workers_in_every_stage_that_has_them(corpus, tmp_path, monkeypatch):
    started = spy_on_workers(monkeypatch)
    expected = {"_render_in_worker", "_draw_spec", "image threads"}
    if start_method() == "fork":  # pages and packages inherit their state: forked workers only
        expected |= {"_render_index", "_package_module"}
    build(corpus, BuildOptions(output=tmp_path / "out", search=False, cache=False, jobs=2))
    assert expected <= set(started)


def test_a_build_beside_another_thread_renders_pages_and_packages_here(corpus, tmp_path):
    """As `folio serve` rebuilds: its server thread rules out fork, and the state of pages
    and packages (the builder's caches, JSON-LD closures) cannot be shipped to a worker
    started otherwise. Every package of the 4 modules is rebuilt, as after a folio.yaml edit."""
    serial = build(corpus, BuildOptions(output=tmp_path / "serial", search=False, cache=False,
                                        jobs=1))
    stop = threading.Event()
    server = threading.Thread(target=stop.wait)
    server.start()
    try:
        assert start_method() != "fork"
        beside = build(corpus, BuildOptions(output=tmp_path / "beside", search=False, cache=False,
                                            jobs=2))
    finally:
        stop.set()
        server.join()
    assert sorted(beside.files) == sorted(serial.files)
    assert any(path.endswith(".imscc") for path in beside.files)
