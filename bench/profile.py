#!/usr/bin/env python3
"""Profile a cold and a warm `folio build` of a generated corpus with pyinstrument.

usage: python bench/profile.py [--pages 1000] [--work /tmp/folio-bench] [--out bench/profiles]
       [--build-args=--no-search]

Writes <out>/cold-<N>.txt and <out>/warm-<N>.txt (pyinstrument's text tree,
frames under 1% hidden) and prints the stage times folio reports with -v.
pyinstrument samples wall time: on a busy machine, compare proportions, not
seconds. Needs `pip install pyinstrument` (a benchmark tool, not a folio dependency).
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


def profile(label: str, site: Path, out_dir: Path, report: Path, extra: list[str]) -> None:
    cmd = [sys.executable, "-m", "pyinstrument", "-o", str(report),
           "-m", "folio", "build", str(site), "-o", str(out_dir), "-v", *extra]
    run = subprocess.run(cmd, capture_output=True, text=True)
    tail = [line for line in run.stdout.splitlines() if line.startswith(("Built", "  "))]
    print(f"{label}: exit {run.returncode}\n" + "\n".join(tail))
    if run.returncode:
        print(run.stderr[-2000:], file=sys.stderr)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "folio-bench")
    ap.add_argument("--out", type=Path, default=BENCH / "profiles")
    ap.add_argument("--build-args", default="",
                    help="extra `folio build` arguments, with '=': --build-args=--no-search")
    a = ap.parse_args()
    try:
        import pyinstrument  # noqa: F401
    except ImportError:
        sys.exit("pyinstrument is not installed: pip install pyinstrument")
    a.work.mkdir(parents=True, exist_ok=True)
    a.out.mkdir(parents=True, exist_ok=True)
    site = corpus(a.work, a.pages, a.seed)
    out_dir = a.work / f"corpus-{a.pages}-profile-out"
    shutil.rmtree(site / ".folio-cache", ignore_errors=True)
    shutil.rmtree(out_dir, ignore_errors=True)
    extra = a.build_args.split()
    profile("cold", site, out_dir, a.out / f"cold-{a.pages}.txt", extra)
    profile("warm", site, out_dir, a.out / f"warm-{a.pages}.txt", extra)


if __name__ == "__main__":
    main()
