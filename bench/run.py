#!/usr/bin/env python3
"""folio's build benchmark: cold, warm and one-edit builds against the naive floor.

usage: python bench/run.py [--pages 1000 10000] [--runs 5] [--work /tmp/folio-bench]
       [--build-args=--no-search] [--set social_cards=sections]

For each corpus size (bench/gen_corpus.py, fixed seed) this measures, each as a
fresh subprocess the way a user runs it:

- cold: `python -m folio build SITE -o OUT` with no .folio-cache and no output;
- warm: the same again with the cache and output of the previous build;
- edit: after appending a sentence to one post;
- serial cold: cold with `--jobs 1`, to show what the worker pool buys;
- floor: bench/floor.py (markdown-it-py + one Jinja2 template, one process);
- peak RSS: the folio process's own peak (VmHWM, sampled), ru_maxrss from
  wait4 (the largest single process of the build: workers and the Pagefind
  child included) and the largest sum of RSS over the process tree, sampled;
- `folio --version` start-up time.

Times are medians of --runs runs (warm/edit/--version: more, as they are cheap).
The markdown table goes to stdout; --json writes every sample.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import yaml

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from gen_corpus import generate  # noqa: E402


@dataclass
class Sample:
    seconds: float
    cpu_seconds: float  # user + system of the process and its workers
    max_rss_mb: float
    tree_rss_mb: float
    returncode: int
    output: str = ""
    main_rss_mb: float = 0.0  # the build's own process (VmHWM, sampled), without its children
    stopped: bool = False  # killed at the time limit: `seconds` is a lower bound


@dataclass
class Row:
    pages: int
    files: int = 0
    samples: dict[str, list[Sample]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _tree_rss(pid: int) -> int:
    """Sum of VmRSS (bytes) of pid and all its descendants, from /proc."""
    total, stack, seen = 0, [pid], set()
    while stack:
        p = stack.pop()
        if p in seen:
            continue
        seen.add(p)
        try:
            with open(f"/proc/{p}/statm") as fh:
                total += int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as fh:
                    stack.extend(int(c) for c in fh.read().split())
        except (OSError, ValueError):
            continue
    return total


def _hwm(pid: int) -> int:
    """VmHWM (bytes) of one process: the peak of its own RSS so far."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


def measure(cmd: list[str], env: dict[str, str] | None = None, cwd: Path | None = None,
            limit: float | None = None) -> Sample:
    """Run cmd; wall time, ru_maxrss of the child (wait4) and the sampled tree peak.
    With `limit` (seconds) the process is killed then, and the sample says so."""
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=cwd,
                                env={**os.environ, **(env or {})})
        peak = main = 0
        done = threading.Event()
        stopped = False

        def sample() -> None:
            nonlocal peak, main, stopped
            while not done.wait(0.02):
                peak = max(peak, _tree_rss(proc.pid))
                main = max(main, _hwm(proc.pid))
                if limit is not None and time.perf_counter() - start > limit and not stopped:
                    stopped = True
                    proc.kill()

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        done.set()
        sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read().decode("utf-8", "replace")
    return Sample(seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, peak / 2**20,
                  proc.returncode, text[-2000:], main / 2**20, stopped)


BUILD_ARGS: list[str] = []  # from --build-args, e.g. --no-search


def folio_build(site: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "folio", "build", str(site), "-o", str(out), *BUILD_ARGS, *extra]


def reset(site: Path, out: Path) -> None:
    shutil.rmtree(site / ".folio-cache", ignore_errors=True)
    shutil.rmtree(out, ignore_errors=True)


def corpus(work: Path, pages: int, seed: int, settings: tuple[str, ...] = ()) -> Path:
    """The generated site, reused between runs when generator and parameters match.

    `settings` ("social_cards: sections", ...) are added to its folio.yaml; a corpus
    with settings has a folder of its own, so the plain one is never changed.
    """
    stamp = f"{pages} {seed} {hashlib.sha256((BENCH / 'gen_corpus.py').read_bytes()).hexdigest()}"
    name = f"corpus-{pages}-s{seed}"  # a name no other benchmark writes to
    if settings:
        stamp += "\n" + "\n".join(settings)
        name += "-" + hashlib.sha256("\n".join(settings).encode()).hexdigest()[:8]
    site, marker = work / name, work / f"{name}.stamp"
    if marker.exists() and marker.read_text() == stamp:
        return site
    shutil.rmtree(site, ignore_errors=True)
    generate(site, pages, seed)
    if settings:
        config = site / "folio.yaml"
        taken = set(yaml.safe_load(config.read_text(encoding="utf-8"))) & {
            line.partition(":")[0] for line in settings}
        if taken:
            sys.exit(f"--set {', '.join(sorted(taken))}: gen_corpus.py sets that already")
        with open(config, "a", encoding="utf-8") as out:
            out.write("".join(f"{line}\n" for line in settings))
    marker.write_text(stamp)
    return site


def setting(text: str) -> str:
    """A --set KEY=VALUE as the top-level folio.yaml line it adds to the corpus."""
    key, sep, value = text.partition("=")
    if not sep or not key.isidentifier():
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return f"{key}: {value}"


def bench_size(work: Path, pages: int, runs: int, seed: int, serial: bool, cheap_runs: int = 3,
               settings: tuple[str, ...] = ()) -> Row:
    site = corpus(work, pages, seed, settings)
    out = work / f"{site.name}-out"
    row = Row(pages)

    def record(name: str, sample: Sample) -> None:
        row.samples.setdefault(name, []).append(sample)
        if sample.returncode != 0:
            row.notes.append(f"{name} failed (exit {sample.returncode}): {sample.output.strip()[-600:]}")

    for _ in range(runs):
        shutil.rmtree(work / f"corpus-{pages}-floor", ignore_errors=True)
        record("floor", measure([sys.executable, str(BENCH / "floor.py"), str(site),
                                 str(work / f"corpus-{pages}-floor")]))
    for _ in range(runs):
        reset(site, out)
        record("cold", measure(folio_build(site, out)))
        if row.samples["cold"][-1].returncode:
            return row
    row.files = sum(1 for p in out.rglob("*") if p.is_file())
    for _ in range(cheap_runs):
        record("warm", measure(folio_build(site, out)))
    post = sorted((site / "posts").glob("*.md"))[len(list((site / "posts").glob("*.md"))) // 2]
    original = post.read_bytes()
    try:
        for i in range(cheap_runs):
            post.write_bytes(original + f"\nEdited paragraph number {i} for the benchmark.\n".encode())
            record("edit", measure(folio_build(site, out)))
    finally:
        post.write_bytes(original)
    if serial:
        for _ in range(max(1, runs // 2)):
            reset(site, out)
            record("serial cold", measure(folio_build(site, out, "--jobs", "1")))
    return row


def version_startup(n: int = 10) -> list[Sample]:
    return [measure([sys.executable, "-m", "folio", "--version"]) for _ in range(n)]


def bare_startup(n: int = 10) -> list[Sample]:
    """The interpreter alone, so start-up can be judged against what Python itself costs."""
    return [measure([sys.executable, "-c", "pass"]) for _ in range(n)]


def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = "unknown"
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        ram = f"{kb / 2**20:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    return {"nproc": str(os.cpu_count()), "cpu": cpu, "ram": ram, "load": load,
            "python": platform.python_version(), "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}


def med(samples: list[Sample] | None, attr: str = "seconds") -> float | None:
    if not samples:
        return None
    good = [getattr(s, attr) for s in samples if s.returncode == 0]
    return statistics.median(good) if good else None


def fmt(value: float | None, unit: str = "s", digits: int = 2) -> str:
    return "n/a" if value is None else f"{value:.{digits}f} {unit}"


def table(rows: list[Row], version: list[Sample], info: dict[str, str],
          bare: list[Sample] | None = None) -> str:
    lines = [f"Machine: {info['nproc']} CPUs ({info['cpu']}), {info['ram']} RAM, "
             f"Python {info['python']}; {info['date']}; load average at start {info['load']}, "
             f"at end {' / '.join(f'{x:.1f}' for x in os.getloadavg())}.", ""]
    lines.append("| pages | floor | cold | cold/floor | floor CPU | cold CPU | CPU ratio | serial cold "
                 "| warm | warm/cold | warm CPU | one edit | edit CPU | peak RSS (folio process) "
                 "| peak RSS (largest process) | peak RSS (all processes) |")
    lines.append("|" + " ---: |" * 16)
    for row in rows:
        s = row.samples
        floor, cold, warm = med(s.get("floor")), med(s.get("cold")), med(s.get("warm"))
        ratio = f"{cold / floor:.2f}x" if cold and floor else "n/a"
        floor_cpu, cold_cpu = med(s.get("floor"), "cpu_seconds"), med(s.get("cold"), "cpu_seconds")
        cpu_ratio = f"{cold_cpu / floor_cpu:.2f}x" if cold_cpu and floor_cpu else "n/a"
        warm_ratio = f"{warm / cold:.0%}" if warm and cold else "n/a"
        own = max((x.main_rss_mb for k in ("cold", "warm", "edit") for x in s.get(k, [])),
                  default=None)
        rss = max((x.max_rss_mb for k in ("cold", "warm", "edit") for x in s.get(k, [])), default=None)
        tree = max((x.tree_rss_mb for k in ("cold", "warm", "edit") for x in s.get(k, [])), default=None)
        lines.append(f"| {row.pages:,} | {fmt(floor)} | {fmt(cold)} | {ratio} | {fmt(floor_cpu)} "
                     f"| {fmt(cold_cpu)} | {cpu_ratio} | {fmt(med(s.get('serial cold')))} "
                     f"| {fmt(warm)} | {warm_ratio} | {fmt(med(s.get('warm'), 'cpu_seconds'))} | {fmt(med(s.get('edit')))} "
                     f"| {fmt(med(s.get('edit'), 'cpu_seconds'))} | {fmt(own, 'MB', 0)} "
                     f"| {fmt(rss, 'MB', 0)} "
                     f"| {fmt(tree, 'MB', 0)} |")
    lines.append("")
    def ms(samples: list[Sample] | None, attr: str) -> str:
        value = med(samples, attr)
        return fmt(value * 1000 if value is not None else None, "ms", 0)

    lines.append(f"`folio --version`: {ms(version, 'seconds')} wall, {ms(version, 'cpu_seconds')} CPU "
                 f"(median of {len(version)}); `python -c pass` on the same machine: "
                 f"{ms(bare, 'seconds')} wall, {ms(bare, 'cpu_seconds')} CPU.")
    runs = {k: len(v) for row in rows for k, v in row.samples.items()}
    lines.append(f"Runs per median: {', '.join(f'{k} {n}' for k, n in runs.items())}.")
    for row in rows:
        for note in dict.fromkeys(row.notes):
            lines.append(f"\nNote ({row.pages} pages): {note}")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, nargs="+", default=[1000, 10000])
    ap.add_argument("--runs", type=int, default=5, help="runs per cold/floor median (default 5)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "folio-bench")
    ap.add_argument("--no-serial", action="store_true", help="skip the --jobs 1 cold build")
    ap.add_argument("--cheap-runs", type=int, default=3, help="runs per warm/edit median (default 3)")
    ap.add_argument("--json", type=Path, help="also write every sample here")
    ap.add_argument("--build-args", default="", help="extra `folio build` arguments, given with '=' as they start "
                         "with a dash: --build-args=--no-search")
    ap.add_argument("--set", type=setting, action="append", default=[], metavar="KEY=VALUE",
                    help="a folio.yaml setting for the corpus, e.g. social_cards=sections (repeatable)")
    a = ap.parse_args()
    BUILD_ARGS.extend(a.build_args.split())
    a.work.mkdir(parents=True, exist_ok=True)
    info = machine()
    version = version_startup()
    bare = bare_startup()
    rows = []
    for pages in a.pages:
        runs = a.runs if pages <= 2000 else max(1, min(a.runs, 3))
        print(f"benchmarking {pages} pages ({runs} runs)...", file=sys.stderr)
        rows.append(bench_size(a.work, pages, runs, a.seed, not a.no_serial, max(1, a.cheap_runs),
                               tuple(a.set)))
    print(table(rows, version, info, bare))
    if BUILD_ARGS:
        print(f"\n`folio build` ran with: {' '.join(BUILD_ARGS)}")
    if a.set:
        print(f"\nThe corpus's folio.yaml added: {'; '.join(a.set)}")
    if a.json:
        a.json.write_text(json.dumps({"machine": info, "version": [asdict(s) for s in version],
                                      "rows": [asdict(r) for r in rows]}, indent=1))


if __name__ == "__main__":
    main()
