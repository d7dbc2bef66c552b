"""Run one function over many items on every core, in order, or serially when that is faster.

Markdown rendering is CPU-bound pure Python, so threads do not help; processes
do. Starting a pool and shipping results back costs tens of milliseconds, so
small batches run in this process. Results come back in input order whatever
finishes first, so output never depends on scheduling.

Heavy read-only state (the site model, a configured renderer) is handed to each
worker once through ``initializer``; with the 'fork' start method it is not even
copied until written. 'fork' is used only on Linux and only while this process
has a single thread (forking a threaded process, e.g. the dev server, can
deadlock); otherwise 'forkserver' (Linux) or 'spawn' is used.

A worker's exception is re-raised here as the same type with the same
attributes (a :class:`folio.errors.FolioError` keeps its diagnostics), with the
worker's traceback attached as ``__cause__``.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

__all__ = ["SERIAL_BELOW", "WorkerError", "default_jobs", "map_ordered", "start_method"]

T = TypeVar("T")
R = TypeVar("R")

SERIAL_BELOW = 64
"""Fewer items than this run in-process: a pool costs more than it saves."""

_IN_WORKER = False


def default_jobs() -> int:
    """Worker count: $FOLIO_JOBS if set, else the CPUs this process may use."""
    env = os.environ.get("FOLIO_JOBS", "").strip()
    if env:
        try:
            return max(1, int(env))
        except ValueError:
            pass
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def start_method() -> str:
    """'fork' when it is safe (Linux, one thread), else 'forkserver' or 'spawn'."""
    methods = multiprocessing.get_all_start_methods()
    if sys.platform.startswith("linux"):
        if "fork" in methods and threading.active_count() == 1:
            return "fork"
        if "forkserver" in methods:
            return "forkserver"
    return "spawn"


class WorkerError(RuntimeError):
    """A worker exception that could not be carried back as itself."""


class _RemoteTraceback(Exception):
    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text

    def __str__(self) -> str:
        return self.text


class _Carrier(Exception):
    """Carries a worker exception across the process boundary, whatever its __init__."""

    def __init__(self, payload: bytes, text: str) -> None:
        super().__init__(payload, text)
        self.payload = payload
        self.text = text


def _pack(exc: BaseException) -> _Carrier:
    """Pickle an exception as (class, args, attributes), which survives any __init__."""
    tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    try:  # the exception's own pickling, when it gives back an equal exception
        payload = pickle.dumps(exc, protocol=pickle.HIGHEST_PROTOCOL)
        back = pickle.loads(payload)
        if (type(back) is type(exc) and str(back) == str(exc)
                and getattr(back, "__dict__", {}).keys() == getattr(exc, "__dict__", {}).keys()):
            return _Carrier(b"E" + payload, tb)
    except Exception:
        pass
    state = dict(getattr(exc, "__dict__", {}))
    for name in ("__traceback__", "__context__", "__cause__"):
        state.pop(name, None)
    try:
        payload = pickle.dumps((type(exc), exc.args, state), protocol=pickle.HIGHEST_PROTOCOL)
        pickle.loads(payload)
    except Exception:
        fallback = (WorkerError, (f"{type(exc).__module__}.{type(exc).__qualname__}: {exc}",), {})
        payload = pickle.dumps(fallback, protocol=pickle.HIGHEST_PROTOCOL)
    return _Carrier(b"S" + payload, tb)


def _unpack(carrier: _Carrier) -> BaseException:
    kind, payload = carrier.payload[:1], carrier.payload[1:]
    if kind == b"E":
        return pickle.loads(payload)
    cls, args, state = pickle.loads(payload)
    exc = cls.__new__(cls)
    exc.args = args
    if state:
        exc.__dict__.update(state)
    return exc


def _run_chunk(fn: Callable[[Any], Any], chunk: Sequence[Any]) -> list[Any]:
    try:
        return [fn(item) for item in chunk]
    except BaseException as exc:  # noqa: BLE001 - everything goes back to the parent
        raise _pack(exc) from None


def _worker_init(initializer: Callable[..., None] | None, initargs: tuple) -> None:
    global _IN_WORKER
    _IN_WORKER = True
    # Ctrl-C goes to the whole process group; the parent alone decides what to do.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if initializer is not None:
        initializer(*initargs)


def map_ordered(
    fn: Callable[[T], R],
    items: Iterable[T],
    jobs: int | None = None,
    chunksize: int | None = None,
    *,
    initializer: Callable[..., None] | None = None,
    initargs: tuple = (),
    serial_below: int = SERIAL_BELOW,
    fork_only: bool = False,
) -> list[R]:
    """``[fn(x) for x in items]``, spread over ``jobs`` processes when worth it.

    ``fn`` and ``initializer`` must be module-level functions (picklable by
    name). ``initializer(*initargs)`` runs once per worker, and once in this
    process when the work runs serially, so ``fn`` can rely on the state it sets.
    ``fork_only``: the initargs are state to inherit, not to ship (a builder's
    caches, template environments, closures): without 'fork' the work runs here.
    The first exception in input order is re-raised; remaining work is cancelled.
    """
    items = list(items)
    jobs = default_jobs() if jobs is None or jobs <= 0 else jobs
    jobs = min(jobs, len(items))
    if (jobs <= 1 or len(items) < serial_below or _IN_WORKER
            or (fork_only and start_method() != "fork")):
        if initializer is not None:
            initializer(*initargs)
        return [fn(item) for item in items]

    if chunksize is None or chunksize <= 0:
        chunksize = max(1, -(-len(items) // (jobs * 4)))  # ~4 chunks a worker balances load
    chunks = [items[i:i + chunksize] for i in range(0, len(items), chunksize)]
    context = multiprocessing.get_context(start_method())
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=context,
                               initializer=_worker_init, initargs=(initializer, initargs))
    try:
        futures = [pool.submit(_run_chunk, fn, chunk) for chunk in chunks]
        results: list[R] = []
        for future in futures:
            try:
                results.extend(future.result())
            except _Carrier as carrier:
                exc = _unpack(carrier)
                raise exc from _RemoteTraceback(carrier.text)
        return results
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
