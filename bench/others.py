#!/usr/bin/env python3
"""Time MkDocs, Pelican and Jekyll on the same generated corpus, where they are installed.

usage: python bench/others.py [--pages 1000 10000] [--runs 3] [--work /tmp/folio-bench]
       [--venv /tmp/others-venv] [--tools MkDocs ...] [--limit SECONDS]

The other generators are never folio dependencies. Install them apart:

    python -m venv /tmp/others-venv && /tmp/others-venv/bin/pip install mkdocs pelican markdown
    apt-get install jekyll            # Debian/Ubuntu; or `gem install jekyll`

Each tool gets the corpus from bench/gen_corpus.py converted to its own layout,
with the same Markdown bodies, and its stock theme (MkDocs "mkdocs", Pelican
"notmyidea", a one-file Jekyll layout). Times are cold builds (output and any
tool cache removed) as subprocesses, median of --runs. A tool that is missing
or fails is reported as such, with the reason, never silently left out; a run
stopped at --limit is reported as taking longer than the limit.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from run import corpus, measure  # noqa: E402

FRONT = re.compile(r"\A---\n(.*?)\n---\n", re.S)


def split(text: str) -> tuple[dict[str, str], str]:
    """Front matter as flat strings (enough for titles, dates, tags), and the body."""
    m = FRONT.match(text)
    if not m:
        return {}, text
    meta = {}
    for line in m.group(1).splitlines():
        if ":" in line and not line.startswith(" "):
            key, value = line.split(":", 1)
            meta[key.strip()] = value.strip().strip('"')
    return meta, text[m.end():]


def documents(site: Path):
    """(relative path, meta, body) for every Markdown page of the corpus."""
    for path in sorted(site.rglob("*.md")):
        if ".folio-cache" in path.parts:
            continue
        meta, body = split(path.read_text(encoding="utf-8"))
        yield path.relative_to(site), meta, body


def prepare_mkdocs(site: Path, dest: Path) -> list[str]:
    docs = dest / "docs"
    for rel, _meta, _body in documents(site):
        target = docs / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(site / rel, target)
    shutil.copytree(site / "assets", docs / "assets", dirs_exist_ok=True)
    (docs / "index.md").write_text("# Home\n\nThe benchmark corpus.\n", encoding="utf-8")
    (dest / "mkdocs.yml").write_text(
        "site_name: Benchmark Portfolio\nsite_url: https://bench.example.org/site/\n"
        "theme:\n  name: mkdocs\nmarkdown_extensions:\n  - tables\n  - fenced_code\n"
        "validation:\n  links:\n    not_found: ignore\n    unrecognized_links: ignore\n", encoding="utf-8")
    return ["mkdocs", "build", "-q", "-f", str(dest / "mkdocs.yml"), "-d", str(dest / "site")]


def prepare_pelican(site: Path, dest: Path) -> list[str]:
    content = dest / "content"
    for rel, meta, body in documents(site):
        is_article = rel.parts[0] in ("posts", "case-studies")
        target = content / ("" if is_article else "pages") / ("-".join(rel.with_suffix("").parts) + ".md")
        target.parent.mkdir(parents=True, exist_ok=True)
        title = meta.get("title") or meta.get("name") or rel.stem
        date = meta.get("date") or (meta.get("end", "") + "-01" if meta.get("end") else "2020-01-01")
        if len(date) == 7:
            date += "-01"
        head = [f"Title: {title}", f"Date: {date}", f"Slug: {'-'.join(rel.with_suffix('').parts)}"]
        if is_article:
            head.append(f"Category: {rel.parts[0]}")
            tags = meta.get("tags", "").strip("[]")
            if tags:
                head.append(f"Tags: {tags}")
        if meta.get("summary"):
            head.append(f"Summary: {meta['summary']}")
        target.write_text("\n".join(head) + "\n\n" + body, encoding="utf-8")
    shutil.copytree(site / "assets", content / "assets", dirs_exist_ok=True)
    (dest / "pelicanconf.py").write_text(
        "AUTHOR = 'Sam Bench'\nSITENAME = 'Benchmark Portfolio'\nSITEURL = ''\nPATH = 'content'\n"
        "TIMEZONE = 'UTC'\nDEFAULT_LANG = 'en'\nSTATIC_PATHS = ['assets']\nRELATIVE_URLS = True\n"
        "DEFAULT_PAGINATION = 10\nLOAD_CONTENT_CACHE = False\n", encoding="utf-8")
    return ["pelican", str(content), "-o", str(dest / "output"), "-s", str(dest / "pelicanconf.py"), "-q"]


JEKYLL_LAYOUT = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ page.title }} · {{ site.title }}</title>
<meta name="description" content="{{ page.summary }}"></head>
<body><header><a href="{{ '/' | relative_url }}">{{ site.title }}</a></header>
<main><article><h1>{{ page.title }}</h1>{{ content }}</article></main></body></html>
"""


def prepare_jekyll(site: Path, dest: Path) -> list[str]:
    src = dest / "src"
    for rel, meta, _body in documents(site):
        text = (site / rel).read_text(encoding="utf-8")
        if rel.parts[0] == "posts":
            date = meta.get("date", "2020-01-01")
            target = src / "_posts" / f"{date}-{rel.stem}.md"
        else:
            target = src / rel
        if not text.startswith("---\n"):
            text = "---\n---\n" + text
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    shutil.copytree(site / "assets", src / "assets", dirs_exist_ok=True)
    (src / "_layouts").mkdir(parents=True, exist_ok=True)
    (src / "_layouts" / "default.html").write_text(JEKYLL_LAYOUT, encoding="utf-8")
    (src / "_config.yml").write_text(
        "title: Benchmark Portfolio\nbaseurl: /site\nurl: https://bench.example.org\n"
        "markdown: kramdown\ndefaults:\n  - scope: {path: ''}\n    values: {layout: default}\n",
        encoding="utf-8")
    return ["jekyll", "build", "-q", "-s", str(src), "-d", str(dest / "_site")]


TOOLS = {
    "MkDocs": (prepare_mkdocs, "mkdocs", ("site",)),
    "Pelican": (prepare_pelican, "pelican", ("output", "__pycache__")),
    "Jekyll": (prepare_jekyll, "jekyll", ("_site", "src/.jekyll-cache")),
}


def find(exe: str, venv: Path | None) -> str | None:
    if venv is not None and (venv / "bin" / exe).exists():
        return str(venv / "bin" / exe)
    return shutil.which(exe)


def version_of(cmd: str) -> str:
    try:
        out = subprocess.run([cmd, "--version"], capture_output=True, text=True, timeout=60)
        first = (out.stdout or out.stderr).strip().splitlines()[0]
        return first.split(" from ")[0]
    except (OSError, subprocess.SubprocessError, IndexError):
        return "?"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, nargs="+", default=[1000, 10000])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "folio-bench")
    ap.add_argument("--venv", type=Path, default=Path(tempfile.gettempdir()) / "others-venv")
    ap.add_argument("--tools", nargs="+", default=list(TOOLS), choices=list(TOOLS))
    ap.add_argument("--timeout-runs-after", type=float, default=300,
                    help="after one run longer than this many seconds, do not repeat it")
    ap.add_argument("--limit", type=float, default=None,
                    help="stop a run after this many seconds and report it as taking longer")
    a = ap.parse_args()
    a.work.mkdir(parents=True, exist_ok=True)
    lines = ["| tool | version | pages | cold build (median) | CPU (median) | runs | peak RSS |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: |"]
    missing = []
    for name in a.tools:
        prepare, exe, outputs = TOOLS[name]
        path = find(exe, a.venv)
        if path is None:
            missing.append(f"{name}: `{exe}` not found (see the install lines at the top of this file)")
            continue
        version = version_of(path)
        for pages in a.pages:
            site = corpus(a.work, pages, a.seed)
            dest = a.work / f"{name.lower()}-{pages}"
            shutil.rmtree(dest, ignore_errors=True)
            dest.mkdir(parents=True)
            cmd = prepare(site, dest)
            cmd[0] = path
            env = {"PATH": f"{Path(path).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
            samples = []
            for _ in range(a.runs):
                for out in outputs:
                    shutil.rmtree(dest / out, ignore_errors=True)
                print(f"{name} {pages} pages...", file=sys.stderr)
                t = time.perf_counter()
                sample = measure(cmd, env=env, cwd=dest, limit=a.limit)
                if sample.stopped:
                    lines.append(f"| {name} | {version} | {pages:,} | > {sample.seconds:.0f} s "
                                 f"(stopped) | > {sample.cpu_seconds:.0f} s | 1 "
                                 f"| {sample.max_rss_mb:.0f} MB |")
                    break
                samples.append(sample)
                if sample.returncode != 0:
                    missing.append(f"{name} at {pages} pages failed (exit {sample.returncode}): "
                                   f"{sample.output.strip()[-400:]}")
                    break
                if time.perf_counter() - t > a.timeout_runs_after:
                    break
            good = [s for s in samples if s.returncode == 0]
            if good:
                median = statistics.median(s.seconds for s in good)
                cpu = statistics.median(s.cpu_seconds for s in good)
                rss = max(s.max_rss_mb for s in good)
                lines.append(f"| {name} | {version} | {pages:,} | {median:.2f} s | {cpu:.2f} s | {len(good)} "
                             f"| {rss:.0f} MB |")
    print(f"load average at the end: {' / '.join(f'{x:.1f}' for x in os.getloadavg())}\n")
    print("\n".join(lines))
    for note in missing:
        print(f"\nNot measured: {note}")


if __name__ == "__main__":
    main()
