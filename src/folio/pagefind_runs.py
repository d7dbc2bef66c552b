"""Run Pagefind over several folders, one after another, as one child of the build.

``python -m folio.pagefind_runs COMMANDS_JSON``: each command is an argv list.
A large site's search index is built in shards (see :mod:`folio.search`); one
Pagefind at a time keeps the memory to one shard's, and running them from a
process of their own lets the build draw its cards meanwhile (a thread in the
build would forbid forking its worker processes). The exit status is the first
failing run's, with the tail of its output on stderr; 0 when all succeeded, and then
the last line of stdout is ``{"runs": N, "seconds": S, "cpu_seconds": C}``: what the
runs took, wall and CPU, which the build's own stage times cannot show (Pagefind
works beside other stages). C is null where the system keeps no children's times
(Windows).
When stdin closes before the end (the build stopped, or died), the running
Pagefind is killed and nothing more is started.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time

OUTPUT_TAIL = 4000  # characters of a failing run's output passed on


def main(argv: list[str]) -> int:
    commands = json.loads(argv[1])
    lock = threading.Lock()
    running: list[subprocess.Popen] = []
    stopped = threading.Event()

    def watch_stdin() -> None:
        try:  # the raw descriptor: a buffered read would hold a lock at exit
            while os.read(0, 4096):
                pass
        except OSError:
            pass
        with lock:
            stopped.set()
            for proc in running:
                proc.kill()
        os._exit(1)

    threading.Thread(target=watch_stdin, daemon=True).start()
    started, before = time.perf_counter(), os.times()
    for command in commands:
        with lock:
            if stopped.is_set():
                return 1
            proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT)
            running[:] = [proc]
        out, _ = proc.communicate()
        if proc.returncode != 0:
            sys.stderr.write(out.decode("utf-8", "replace")[-OUTPUT_TAIL:])
            sys.stderr.flush()
            return proc.returncode or 1
    after = os.times()  # children's times: the Pagefind runs, all waited for
    cpu = ((after.children_user - before.children_user)
           + (after.children_system - before.children_system)) if os.name == "posix" else None
    sys.stdout.write(json.dumps({"runs": len(commands), "seconds": time.perf_counter() - started,
                                 "cpu_seconds": cpu}) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    os._exit(main(sys.argv))  # not sys.exit: the stdin watcher may still be reading
