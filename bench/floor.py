#!/usr/bin/env python3
"""The naive floor: the least a Python generator must do for the same corpus.

usage: python bench/floor.py SITE OUT [--json]

One process, no cache: for every Markdown file, read it, parse its front
matter with yaml.safe_load, render the body with markdown-it-py (commonmark +
table), pass it through one Jinja2 template and write OUT/<path>/index.html.
No links, no listings, no images, no feeds. folio's cold build is judged
against this number on the same corpus and machine.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

TEMPLATE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }} · {{ site_title }}</title>
<meta name="description" content="{{ summary }}">
<link rel="canonical" href="{{ base_url }}{{ url }}">
<link rel="stylesheet" href="/theme/css/site.css">
</head>
<body>
<header><a href="/">{{ site_title }}</a>
<nav><ul>{% for item in menu %}<li><a href="{{ item.url }}">{{ item.title }}</a></li>{% endfor %}</ul></nav>
</header>
<main>
<article>
<h1>{{ title }}</h1>
{% if date %}<p><time datetime="{{ date }}">{{ date }}</time></p>{% endif %}
{% if tags %}<ul class="tags">{% for t in tags %}<li>{{ t }}</li>{% endfor %}</ul>{% endif %}
{{ body|safe }}
</article>
</main>
<footer>&copy; {{ site_title }}</footer>
</body>
</html>
"""

MENU = [{"title": t, "url": u} for t, u in (("Work", "/work/"), ("Skills", "/skills/"),
                                            ("Modules", "/modules/"), ("Writing", "/writing/"))]


def split_front_matter(text: str) -> tuple[str, str]:
    if text.startswith("---\n"):
        end = text.find("\n---\n", 4)
        if end != -1:
            return text[4:end], text[end + 5:]
    return "", text


def build(site: Path, out: Path) -> int:
    import jinja2
    import yaml
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark").enable("table")
    env = jinja2.Environment(autoescape=True)
    template = env.from_string(TEMPLATE)
    config = yaml.safe_load((site / "folio.yaml").read_text(encoding="utf-8"))
    count = 0
    for path in sorted(site.rglob("*.md")):
        rel = path.relative_to(site).with_suffix("")
        meta_text, body = split_front_matter(path.read_text(encoding="utf-8"))
        meta = yaml.safe_load(meta_text) or {}
        html = template.render(
            title=meta.get("title") or meta.get("name", ""), summary=meta.get("summary", ""),
            date=meta.get("date"), tags=meta.get("tags", []), body=md.render(body),
            site_title=config["title"], base_url=config["base_url"], url=f"/{rel.as_posix()}/",
            menu=MENU)
        target = out / rel / "index.html"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(html, encoding="utf-8")
        count += 1
    return count


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("site", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--json", action="store_true", help="print one JSON line for bench/run.py")
    a = ap.parse_args()
    start = time.perf_counter()
    pages = build(a.site, a.out)
    seconds = time.perf_counter() - start
    if a.json:
        print(json.dumps({"pages": pages, "seconds": seconds}))
    else:
        print(f"floor: {pages} pages in {seconds:.2f} s ({seconds / max(pages, 1) * 1000:.2f} ms/page)",
              file=sys.stdout)


if __name__ == "__main__":
    main()
