#!/usr/bin/env python3
"""Edit-to-served latency of `folio serve`.

For each site size: generate a site with /work/shared/bench/gen_site.py (kept
between runs, so the persistent .folio-cache is warm after the first), start a
real `folio serve --port 0`, then 20 times: append a unique token to one case
study, and poll its page over HTTP until the token is served. Prints the
median (target: < 150 ms at 1,000 pages, < 500 ms at 10,000 on a 2-core
machine), the spread, and the server's own rebuild times.

    python bench/serve_latency.py                       # 1,000 and 10,000 pages
    python bench/serve_latency.py --pages 1000 --edits 20
    python bench/serve_latency.py --pages 1000 --profile   # where a rebuild spends its time
    python bench/serve_latency.py --pages 10000 --profile

--profile builds in-process instead, edits the same file, and prints a
pyinstrument profile of one rebuild (pip install pyinstrument).
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

GEN_SITE = Path("/work/shared/bench/gen_site.py")
WORK = Path(os.environ.get("FOLIO_BENCH_DIR", "/tmp/folio-bench"))


def generate(pages: int) -> Path:
    site = WORK / f"site-{pages}"
    if not (site / "folio.yaml").is_file():
        site.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, str(GEN_SITE), str(site), "--pages", str(pages)],
                       check=True, stdout=subprocess.DEVNULL)
        repair_yaml(site)
    return site


def repair_yaml(site: Path) -> None:
    """gen_site.py writes a few module objectives starting with `*` or a backtick,
    which YAML reads as an alias or rejects; quote them so the site builds."""
    for path in site.glob("modules/*/module.yaml"):
        text = path.read_text()
        fixed = re.sub(r'(?m)^(\s*- )([*`].*)$',
                       lambda m: m.group(1) + '"' + m.group(2).replace("\\", "\\\\")
                       .replace('"', '\\"') + '"', text)
        if fixed != text:
            path.write_text(fixed)


def target(site: Path) -> tuple[Path, str]:
    """A case study in the middle of the site, and the URL path of its page."""
    from folio.urls import case_study_url, file_slug

    files = sorted((site / "case-studies").glob("*.md"))
    path = files[len(files) // 2]
    text = path.read_text()
    slug = re.search(r"(?m)^slug:\s*(\S+)", text.split("\n---", 1)[0])
    return path, case_study_url(slug.group(1) if slug else file_slug(path.stem))


class Server:
    def __init__(self, site: Path) -> None:
        self.lines: list[str] = []
        self.proc = subprocess.Popen([sys.executable, "-m", "folio", "serve", str(site), "--port", "0"],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        threading.Thread(target=self._pump, daemon=True).start()
        started = time.monotonic()
        while not (url := self._url()):
            if self.proc.poll() is not None:
                raise SystemExit("folio serve exited:\n" + "\n".join(self.lines))
            time.sleep(0.05)
        self.first_build = time.monotonic() - started
        m = re.match(r"http://[^/]+:(\d+)(/.*)", url)
        self.port, self.base = int(m.group(1)), m.group(2)
        self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)

    def _pump(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def _url(self) -> str | None:
        return next((m.group(1) for line in self.lines
                     if (m := re.search(r"Serving on (http://\S+)", line))), None)

    def get(self, url_path: str) -> bytes:
        try:
            self.conn.request("GET", self.base.rstrip("/") + url_path)
            return self.conn.getresponse().read()
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            return b""

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def measure(pages: int, edits: int) -> dict:
    site = generate(pages)
    path, url = target(site)
    original = path.read_text()
    server = Server(site)
    latencies: list[float] = []
    try:
        if b"<html" not in server.get(url) and b"<!DOCTYPE" not in server.get(url):
            raise SystemExit(f"{url} is not served:\n" + "\n".join(server.lines[-30:]))
        for i in range(edits):
            token = f"serve-bench-{os.getpid()}-{i}-{time.monotonic_ns()}"
            started = time.perf_counter()
            path.write_text(original + f"\n\nEdited paragraph {token}.\n")
            while token.encode() not in server.get(url):
                if time.perf_counter() - started > 120:
                    raise SystemExit(f"edit {i} not served after 120 s:\n" + "\n".join(server.lines[-30:]))
                time.sleep(0.002)
            latencies.append(time.perf_counter() - started)
    finally:
        path.write_text(original)
        server.stop()
    rebuilds = [float(m.group(1)) for line in server.lines
                if (m := re.match(r"Rebuilt in ([\d.]+) s", line))]
    return {"pages": pages, "first_build_s": server.first_build, "latencies": latencies,
            "rebuilds": rebuilds[-edits:]}


def profile(pages: int) -> None:
    from pyinstrument import Profiler

    from folio.build import Builder, BuildOptions

    site = generate(pages)
    path, _ = target(site)
    original = path.read_text()
    builder = Builder(site, BuildOptions(drafts=True, search=False, cards=False))  # as serve does
    builder.build()
    try:
        path.write_text(original + "\n\nProfiled edit.\n")
        profiler = Profiler(interval=0.001)
        profiler.start()
        result = builder.build([path])  # serve passes the watcher's changed paths
        profiler.stop()
    finally:
        path.write_text(original)
    print(f"# one rebuild of {pages} pages after editing {path.relative_to(site)}")
    print("timings:", {k: f"{v * 1000:.0f} ms" for k, v in result.timings.items()})
    print(profiler.output_text(unicode=False, color=False, show_all=False))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pages", type=int, nargs="+", default=[1000, 10000])
    ap.add_argument("--edits", type=int, default=20)
    ap.add_argument("--profile", action="store_true")
    args = ap.parse_args()
    if args.profile:
        for n in args.pages:
            profile(n)
        return
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start")
    print(f"{'pages':>6} {'first build':>12} {'median':>8} {'p90':>8} {'min':>8} {'max':>8} "
          f"{'rebuild median':>15}")
    for n in args.pages:
        r = measure(n, args.edits)
        lat = sorted(r["latencies"])
        ms = lambda s: f"{s * 1000:.0f} ms"  # noqa: E731
        rebuild = ms(statistics.median(r["rebuilds"])) if r["rebuilds"] else "-"
        print(f"{n:>6} {r['first_build_s']:>10.1f} s {ms(statistics.median(lat)):>8} "
              f"{ms(lat[int(len(lat) * 0.9) - 1]):>8} {ms(lat[0]):>8} {ms(lat[-1]):>8} {rebuild:>15}",
              flush=True)
    print(f"load average {os.getloadavg()[0]:.1f} at end")


if __name__ == "__main__":
    main()
