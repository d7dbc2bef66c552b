#!/usr/bin/env python3
"""Where a build's memory goes: RSS of the build process after each stage.

usage: python bench/memory.py [--pages 10000] [--work /tmp/folio-bench] [--warm]
       [--no-cache] [--no-search]

Runs one `folio build` of the generated corpus in a fresh subprocess and prints,
as each stage ends, the seconds since the start, the process's RSS and its peak
so far (VmRSS and VmHWM from /proc; Linux only). Cold by default (no cache, no
output); --warm builds once first and measures the second build. Worker
processes and the Pagefind child are not counted: `run.py` reports those.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from run import corpus  # noqa: E402

CHILD = r"""
import sys, time
from pathlib import Path
from folio.build import BuildOptions, build

def status():
    found = {}
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(("VmRSS:", "VmHWM:")):
                key, value = line.split(":", 1)
                found[key] = int(value.split()[0]) // 1024
    return found

start = time.perf_counter()

def progress(stage):
    s = status()
    print(f"| {stage} | {time.perf_counter() - start:.1f} s | {s['VmRSS']:,} MB | {s['VmHWM']:,} MB |",
          flush=True)

site, out, cache, search = sys.argv[1], sys.argv[2], sys.argv[3] == "1", sys.argv[4] == "1"
build(site, BuildOptions(output=Path(out), cache=cache, search=search), progress=progress)
s = status()
print(f"| done | {time.perf_counter() - start:.1f} s | {s['VmRSS']:,} MB | {s['VmHWM']:,} MB |")
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "folio-bench")
    ap.add_argument("--warm", action="store_true", help="measure a second build, cache warm")
    ap.add_argument("--no-cache", action="store_true")
    ap.add_argument("--no-search", action="store_true")
    a = ap.parse_args()
    if a.warm and a.no_cache:
        sys.exit("--warm needs the cache")
    a.work.mkdir(parents=True, exist_ok=True)
    site = corpus(a.work, a.pages, a.seed)
    out = a.work / f"corpus-{a.pages}-memory-out"
    shutil.rmtree(site / ".folio-cache", ignore_errors=True)
    shutil.rmtree(out, ignore_errors=True)
    args = [sys.executable, "-c", CHILD, str(site), str(out), "0" if a.no_cache else "1",
            "0" if a.no_search else "1"]
    if a.warm:
        subprocess.run(args, check=True, capture_output=True)
    print(f"{'warm' if a.warm else 'cold'} build of {a.pages:,} pages"
          f"{', no cache' if a.no_cache else ''}{', no search' if a.no_search else ''}\n")
    print("| after stage | time | RSS | peak so far |\n| --- | ---: | ---: | ---: |", flush=True)
    subprocess.run(args, check=True)


if __name__ == "__main__":
    main()
