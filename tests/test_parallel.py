"""map_ordered: same results as a list comprehension, in order, with worker
exceptions coming back as themselves."""

from __future__ import annotations

import errno
import os
import threading

import pytest

from folio import parallel
from folio.errors import BuildFailed, Diagnostic, FolioError
from folio.parallel import WorkerError, default_jobs, map_ordered, start_method

STATE: dict = {}


def square(x: int) -> int:
    return x * x


def whose(x: int) -> tuple[int, int]:
    return (x, os.getpid())


def remember(tag: str, log_path: str) -> None:
    STATE["tag"] = tag
    with open(log_path, "a", encoding="utf-8") as fh:
        fh.write(f"{os.getpid()}\n")


def remember_any(state: object, log_path: str) -> None:
    remember("inherited", log_path)


def read_state(x: int) -> tuple[int, str, int]:
    return (x, STATE.get("tag", "unset"), os.getpid())


def fail_at(x: int) -> int:
    if x == 70:
        raise FolioError("bad front matter", "posts/p70.md", 3, 7, "quote it")
    if x == 90:
        raise ValueError("later failure")
    return x


def fail_many(x: int) -> int:
    if x == 80:
        raise BuildFailed([Diagnostic("second", "b.md", 2), Diagnostic("first", "a.md", 1, 4)])
    return x


def fail_os(x: int) -> int:
    if x == 65:
        raise OSError(errno.ENOSPC, "No space left on device", "out/x.html")
    return x


class Unpicklable(Exception):
    def __init__(self, msg: str) -> None:
        super().__init__(msg)
        self.callback = lambda: None


def fail_unpicklable(x: int) -> int:
    if x == 66:
        raise Unpicklable("has a lambda")
    return x


def nested(x: int) -> list[int]:
    return map_ordered(square, range(x % 3 + 1), jobs=2, serial_below=0)


ITEMS = list(range(200))


def test_results_match_serial_and_keep_order():
    assert map_ordered(square, ITEMS, jobs=2, chunksize=7) == [x * x for x in ITEMS]
    assert map_ordered(square, ITEMS, jobs=2) == [x * x for x in ITEMS]


def test_large_work_runs_in_other_processes():
    got = map_ordered(whose, ITEMS, jobs=2, serial_below=0)
    assert [x for x, _ in got] == ITEMS
    assert os.getpid() not in {pid for _, pid in got}


def test_small_work_runs_serially_here():
    got = map_ordered(whose, range(10), jobs=2)
    assert {pid for _, pid in got} == {os.getpid()}
    assert map_ordered(whose, ITEMS, jobs=1)[0][1] == os.getpid()
    assert map_ordered(square, [], jobs=4) == []


def test_initializer_runs_once_per_worker(tmp_path):
    log = tmp_path / "init.log"
    got = map_ordered(read_state, ITEMS, jobs=2, serial_below=0,
                      initializer=remember, initargs=("site-model", str(log)))
    assert [x for x, _, _ in got] == ITEMS
    assert {tag for _, tag, _ in got} == {"site-model"}
    init_pids = log.read_text().split()
    assert len(init_pids) == len(set(init_pids)) <= 2  # once per worker, not per item
    assert {str(pid) for _, _, pid in got} <= set(init_pids)


def test_state_to_inherit_is_used_in_workers_only_where_they_fork(tmp_path):
    """fork_only: initargs that cannot be pickled (here a lambda, like a builder's
    closures) reach forked workers; without fork the work runs in this process."""
    unpicklable = (lambda: None, str(tmp_path / "log"))
    STATE.clear()
    forked = map_ordered(read_state, ITEMS, jobs=2, serial_below=0, fork_only=True,
                         initializer=remember_any, initargs=unpicklable)
    assert [x for x, _, _ in forked] == ITEMS
    if start_method() == "fork":  # no thread left here by an earlier test
        assert os.getpid() not in {pid for _, _, pid in forked}
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert start_method() != "fork"
        here = map_ordered(read_state, ITEMS, jobs=2, serial_below=0, fork_only=True,
                           initializer=remember_any, initargs=unpicklable)
    finally:
        stop.set()
        other.join()
    assert here == [(x, "inherited", os.getpid()) for x in ITEMS]


def test_initializer_also_runs_when_serial(tmp_path):
    STATE.clear()
    got = map_ordered(read_state, range(3), jobs=2, initializer=remember,
                      initargs=("serial", str(tmp_path / "log")))
    assert {tag for _, tag, _ in got} == {"serial"}


def test_folio_error_crosses_the_process_boundary_as_itself():
    with pytest.raises(FolioError) as info:
        map_ordered(fail_at, ITEMS, jobs=2, chunksize=5, serial_below=0)
    err = info.value
    assert type(err) is FolioError  # the first failure in input order, not ValueError
    assert err.diagnostic == Diagnostic("bad front matter", "posts/p70.md", 3, 7, "quote it")
    assert str(err) == str(FolioError("bad front matter", "posts/p70.md", 3, 7, "quote it"))
    assert "fail_at" in str(err.__cause__)  # the worker's traceback


def test_build_failed_keeps_every_diagnostic():
    with pytest.raises(BuildFailed) as info:
        map_ordered(fail_many, ITEMS, jobs=2, serial_below=0)
    assert [d.message for d in info.value.diagnostics] == ["first", "second"]
    assert info.value.format().startswith("a.md:1:4: error: first")


def test_os_error_keeps_errno():
    with pytest.raises(OSError) as info:
        map_ordered(fail_os, ITEMS, jobs=2, serial_below=0)
    assert info.value.errno == errno.ENOSPC and info.value.filename == "out/x.html"


def test_unpicklable_exception_becomes_worker_error():
    with pytest.raises(WorkerError, match="Unpicklable: has a lambda"):
        map_ordered(fail_unpicklable, ITEMS, jobs=2, serial_below=0)


def test_serial_exceptions_are_raised_directly():
    with pytest.raises(FolioError) as info:
        map_ordered(fail_at, range(80), jobs=1)
    assert info.value.diagnostic.path == "posts/p70.md"
    assert info.value.__cause__ is None


def test_nested_calls_in_workers_run_serially():
    got = map_ordered(nested, ITEMS, jobs=2, serial_below=0)
    assert got == [[i * i for i in range(x % 3 + 1)] for x in ITEMS]


def test_fork_is_avoided_while_threads_run():
    stop = threading.Event()
    worker = threading.Thread(target=stop.wait, daemon=True)
    worker.start()
    try:
        assert start_method() != "fork"
        assert map_ordered(square, ITEMS, jobs=2, serial_below=0) == [x * x for x in ITEMS]
    finally:
        stop.set()
        worker.join()


def test_jobs_from_environment(monkeypatch):
    monkeypatch.setenv("FOLIO_JOBS", "3")
    assert default_jobs() == 3
    monkeypatch.setenv("FOLIO_JOBS", "nonsense")
    assert default_jobs() >= 1
    monkeypatch.setenv("FOLIO_JOBS", "1")
    got = map_ordered(whose, ITEMS)
    assert {pid for _, pid in got} == {os.getpid()}


def test_in_worker_flag_never_leaks_into_the_parent():
    # The in-worker flag never leaks into the parent.
    map_ordered(square, ITEMS, jobs=2, serial_below=0)
    assert parallel._IN_WORKER is False
