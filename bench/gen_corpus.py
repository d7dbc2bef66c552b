#!/usr/bin/env python3
"""Write a deterministic folio site of N Markdown pages, shaped like SPEC.md, for benchmarks.

usage: python bench/gen_corpus.py OUTDIR --pages N [--seed S] [--images K]

The same N and seed always give the same bytes. Of the N pages, 5 are services
and 3 free pages; the rest are 40% case studies, 40% posts and 20% module
lessons (10 per module, each module with a module.yaml). Every page has about
1,000 words of body: h2/h3 headings, paragraphs with emphasis and inline code,
bullet and numbered lists, block quotes, fenced code (~40%), a table (~30%),
an image (~15%) and relative .md links to other pages. folio.yaml declares
three tracks; skills.yaml has 60 skills; testimonials.yaml has 24 entries.
Standard library only, so the benchmark needs nothing but this repository.
"""

from __future__ import annotations

import argparse
import random
import struct
import zlib
from pathlib import Path

VOCABULARY = (
    "account analysis audience budget catalogue chart charity checklist client cohort column "
    "contract dashboard dataset deadline donor draft evidence exhibition export feedback filter "
    "forecast formula funding glossary grant handover import invoice label learner lesson library "
    "margin measure method milestone module museum network objective outcome partner pattern "
    "pilot pivot practice pricing prototype query quote reader record report review revision "
    "rhythm sample schedule scope sheet shelf skill source spreadsheet stock summary survey table "
    "teach template term timeline track translate trend update volunteer warehouse workshop"
).split()
GLUE = "the a of to and for with in on from by about after before while".split()
TRACKS = [("data", "Data consulting"), ("translation", "Translation"), ("teaching", "Teaching")]
LANGS = ("python", "sql", "text", "yaml")
TAGS = [f"{a}-{b}" for a, b in zip(VOCABULARY[::3], VOCABULARY[1::3], strict=False)][:30]


class Writer:
    """Generates prose with a private random stream, so output depends only on the seed."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def words(self, n: int) -> list[str]:
        rng = self.rng
        return [rng.choice(GLUE) if rng.random() < 0.3 else rng.choice(VOCABULARY) for _ in range(n)]

    def sentence(self, low: int = 9, high: int = 19) -> str:
        rng = self.rng
        w = self.words(rng.randint(low, high))
        for i in range(1, len(w)):
            r = rng.random()
            if r < 0.03:
                w[i] = f"*{w[i]}*"
            elif r < 0.05:
                w[i] = f"**{w[i]}**"
            elif r < 0.06:
                w[i] = f"`{w[i]}`"
        return " ".join(w).capitalize() + "."

    def title(self, n: int = 4) -> str:
        return " ".join(self.words(n)).capitalize()

    def paragraph(self) -> str:
        return " ".join(self.sentence() for _ in range(self.rng.randint(3, 6)))

    def bullet_list(self, ordered: bool) -> str:
        n = self.rng.randint(3, 6)
        return "\n".join(f"{i + 1}. {self.sentence(5, 10)}" if ordered else f"- {self.sentence(5, 10)}"
                         for i in range(n))

    def code(self) -> str:
        rng = self.rng
        lang = rng.choice(LANGS)
        if lang == "python":
            lines = [f"def {rng.choice(VOCABULARY)}_{i}(rows):\n"
                     f"    return [r for r in rows if r[\"{rng.choice(VOCABULARY)}\"] > {i}]"
                     for i in range(rng.randint(2, 5))]
        elif lang == "sql":
            lines = [f"SELECT {rng.choice(VOCABULARY)}, count(*) FROM {rng.choice(VOCABULARY)}\n"
                     f"WHERE {rng.choice(VOCABULARY)} > {rng.randint(1, 99)} GROUP BY 1;"
                     for _ in range(rng.randint(1, 3))]
        elif lang == "yaml":
            lines = [f"{rng.choice(VOCABULARY)}: {rng.randint(1, 999)}" for _ in range(rng.randint(3, 7))]
        else:
            lines = [" ".join(self.words(8)) for _ in range(rng.randint(2, 5))]
        return f"```{lang}\n" + "\n".join(lines) + "\n```"

    def table(self) -> str:
        rng = self.rng
        rows = "\n".join(f"| {rng.choice(VOCABULARY)} | {rng.randint(1, 999)} | {rng.randint(1, 999)} |"
                         for _ in range(rng.randint(3, 8)))
        return "| Measure | Before | After |\n| --- | ---: | ---: |\n" + rows

    def body(self, links: list[tuple[str, str]], images: list[str], target_words: int) -> str:
        """Sections of prose until about `target_words` words, with the extras mixed in."""
        rng = self.rng
        parts: list[str] = [self.paragraph()]
        links = list(links)
        count = lambda: sum(len(p.split()) for p in parts)  # noqa: E731
        extras = []
        if rng.random() < 0.4:
            extras.append(self.code())
        if rng.random() < 0.3:
            extras.append(self.table())
        if images and rng.random() < 0.15:
            extras.append(f"![{self.title(3)}]({rng.choice(images)})")
        while count() < target_words:
            parts.append(f"## {self.title()}")
            for _ in range(rng.randint(2, 3)):
                text = self.paragraph()
                if links and rng.random() < 0.5:
                    label, href = links.pop()
                    text += f" See [{label}]({href}) for the details."
                parts.append(text)
            r = rng.random()
            if r < 0.3:
                parts.append(self.bullet_list(ordered=False))
            elif r < 0.45:
                parts.append(self.bullet_list(ordered=True))
            elif r < 0.55:
                parts.append("> " + self.sentence())
            if rng.random() < 0.35:
                parts.append(f"### {self.title(3)}")
                parts.append(self.paragraph())
            if extras and rng.random() < 0.5:
                parts.append(extras.pop())
        parts.extend(extras)
        if links:
            parts.append("Related: " + ", ".join(f"[{label}]({href})" for label, href in links) + ".")
        return "\n\n".join(parts) + "\n"


def png(path: Path, width: int, height: int, rng: random.Random) -> None:
    """A small gradient PNG written with zlib alone (no Pillow needed to generate)."""
    base = [rng.randrange(256) for _ in range(3)]
    rows = []
    for y in range(height):
        row = bytearray(b"\x00")
        for x in range(width):
            row += bytes(((base[0] + x) % 256, (base[1] + y) % 256, (base[2] + x + y) % 256))
        rows.append(bytes(row))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    path.write_bytes(b"\x89PNG\r\n\x1a\n"
                     + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(b"".join(rows), 6)) + chunk(b"IEND", b""))


def q(text: str) -> str:
    """A YAML double-quoted scalar."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def generate(root: Path, pages: int, seed: int = 1, images: int = 4, words: int = 1000) -> dict[str, int]:
    rng = random.Random(seed)
    w = Writer(rng)
    for sub in ("case-studies", "posts", "services", "pages", "modules", "assets/img", "static"):
        (root / sub).mkdir(parents=True, exist_ok=True)

    def write(rel: str, text: str) -> None:
        (root / rel).write_text(text, encoding="utf-8", newline="\n")

    track_ids = [t for t, _ in TRACKS]
    write("folio.yaml",
          "title: Benchmark Portfolio\nbase_url: https://bench.example.org/site/\nlanguage: en\n"
          f"description: {q(w.sentence())}\ntracks:\n"
          + "".join(f"  - id: {t}\n    title: {title}\n    summary: {q(w.sentence())}\n" for t, title in TRACKS)
          + "availability:\n  status: open\n  note: Taking new work from next month.\n")
    image_paths = []
    for i in range(images):
        rel = f"assets/img/figure-{i}.png"
        png(root / rel, 640, 400, rng)
        image_paths.append(rel)
    write("static/CNAME", "bench.example.org\n")
    photo = f"photo: {image_paths[0]}\n" if image_paths else ""
    write("profile.md",
          "---\nname: Sam Bench\nheadline: Analyst, translator and teacher\nlocation: Leeds\n"
          f"{photo}email: sam@example.org\nlinks:\n  - label: GitHub\n    url: https://github.com/example\n"
          "languages: [English, Portuguese]\n---\n" + w.paragraph() + "\n\n" + w.paragraph() + "\n")
    skills = [f"skill-{i:02d}" for i in range(60)]
    write("skills.yaml", "".join(
        f"- id: {s}\n  name: {w.title(2)} {i}\n  category: Group {i % 6}\n"
        f"  level: {rng.choice(['learning', 'working', 'advanced', 'expert'])}\n  since: {2010 + i % 14}\n"
        f"  tracks: [{rng.choice(track_ids)}]\n  description: {q(w.sentence())}\n"
        for i, s in enumerate(skills)))

    fixed = 5 + 3
    rest = max(pages - fixed, 12)
    n_cases = max(int(rest * 0.4), 1)
    n_posts = max(int(rest * 0.4), 1)
    n_lessons = max(rest - n_cases - n_posts, 1)
    n_modules = max(-(-n_lessons // 10), 1)
    cases = [f"case-{i:05d}" for i in range(n_cases)]
    posts = [f"{2016 + i % 10}-{1 + i % 12:02d}-post-{i:05d}" for i in range(n_posts)]
    lessons: list[tuple[str, str]] = []  # (module slug, file name)
    for i in range(n_lessons):
        m, k = divmod(i, 10)
        lessons.append((f"module-{m:04d}", f"{k + 1:02d}-lesson-{k + 1}.md"))

    write("testimonials.yaml", "".join(
        f"- id: t{i:02d}\n  quote: {q(w.sentence())}\n  author: Person {i}\n  role: Director\n"
        f"  company: Org {i}\n  case_study: {cases[i % n_cases]}\n" for i in range(24)))

    def meta() -> str:
        return (f"tracks: [{', '.join(rng.sample(track_ids, rng.randint(1, 2)))}]\n"
                f"skills: [{', '.join(rng.sample(skills, rng.randint(1, 4)))}]\n")

    def target() -> int:
        return rng.randint(words - words // 10, words + words // 10)

    for i, name in enumerate(cases):
        links = [(f"case study {j}", f"{cases[j]}.md") for j in rng.sample(range(n_cases), min(2, n_cases))]
        links.append(("a post", f"../posts/{posts[rng.randrange(n_posts)]}.md"))
        extra = f"testimonial: t{rng.randrange(24):02d}\n" if rng.random() < 0.2 else ""
        cover = (f"cover:\n  src: {rng.choice(image_paths)}\n  alt: {q(w.sentence(4, 8))}\n"
                 if image_paths and rng.random() < 0.2 else "")
        write(f"case-studies/{name}.md",
              f"---\ntitle: {q(f'Case study {i}: ' + w.title(5))}\nsummary: {q(w.sentence())}\n"
              f"client: Org {i % 50}\nrole: Lead analyst\nstart: {2014 + i % 10}-{1 + i % 12:02d}\n"
              f"end: {2015 + i % 10}-{1 + i % 12:02d}\n{meta()}outcomes:\n  - {q(w.sentence(4, 7))}\n"
              f"  - {q(w.sentence(4, 7))}\nfeatured: {'true' if i < 6 else 'false'}\n{extra}{cover}---\n"
              + w.body(links, [f"../{p}" for p in image_paths], target()))
    for i, name in enumerate(posts):
        links = [(f"case study {j}", f"../case-studies/{cases[j]}.md") for j in rng.sample(range(n_cases), 1)]
        if i:
            links.append(("an earlier post", f"{posts[rng.randrange(i)]}.md"))
        slug, file = lessons[rng.randrange(n_lessons)]
        links.append(("a lesson", f"../modules/{slug}/{file}"))
        write(f"posts/{name}.md",
              f"---\ntitle: {q(f'Post {i}: ' + w.title(5))}\ndate: {name[:7]}-{1 + i % 28:02d}\n"
              f"summary: {q(w.sentence())}\ntags: [{', '.join(rng.sample(TAGS, rng.randint(1, 3)))}]\n"
              f"{meta()}---\n" + w.body(links, [f"../{p}" for p in image_paths], target()))
    for m in range(n_modules):
        slug = f"module-{m:04d}"
        prereq = f"prerequisites: [module-{m - 1:04d}]\n" if m and rng.random() < 0.3 else ""
        (root / "modules" / slug).mkdir(exist_ok=True)
        write(f"modules/{slug}/module.yaml",
              f"title: {q(f'Module {m}: ' + w.title(4))}\nsummary: {q(w.sentence())}\n"
              f"level: {rng.choice(['beginner', 'intermediate', 'advanced'])}\nduration: {rng.randint(1, 6)}h\n"
              f"audience: {q(w.sentence(4, 8))}\nobjectives:\n  - {q(w.sentence(5, 8))}\n  - {q(w.sentence(5, 8))}\n"
              f"{prereq}skills: [{', '.join(rng.sample(skills, 2))}]\ntracks: [{rng.choice(track_ids)}]\n"
              "license: CC-BY-4.0\nversion: \"1.0\"\n")
    for i, (slug, file) in enumerate(lessons):
        siblings = [f for s, f in lessons if s == slug and f != file]
        links = [("the next lesson", rng.choice(siblings))] if siblings else []
        links.append(("a case study", f"../../case-studies/{cases[rng.randrange(n_cases)]}.md"))
        quiz = ""
        if rng.random() < 0.5:
            quiz = "".join(
                f"  - question: {q(w.sentence(5, 9)[:-1] + '?')}\n    choices: [{q(w.title(2))}, {q(w.title(2))}, "
                f"{q(w.title(2))}]\n    answer: {rng.randrange(3)}\n    explain: {q(w.sentence())}\n"
                for _ in range(rng.randint(1, 3)))
            quiz = "quiz:\n" + quiz
        write(f"modules/{slug}/{file}",
              f"---\ntitle: {q(f'Lesson {i}: ' + w.title(4))}\nduration: {rng.randint(10, 60)}m\n"
              f"objectives:\n  - {q(w.sentence(5, 8))}\n{quiz}---\n"
              + w.body(links, [f"../../{p}" for p in image_paths], target()))
    for i in range(5):
        write(f"services/service-{i}.md",
              f"---\ntitle: {q(w.title(3))}\nsummary: {q(w.sentence())}\ntracks: [{track_ids[i % 3]}]\n"
              f"skills: [{skills[i]}, {skills[i + 10]}]\nprice: {q(f'from £{300 + 100 * i} / day')}\n"
              f"order: {i}\n---\n"
              + w.body([], [], target()))
    for i, name in enumerate(("about", "contact", "uses")):
        write(f"pages/{name}.md",
              f"---\ntitle: {name.title()}\nmenu: {i + 1}\n---\n"
              + w.body([("a case study", f"../case-studies/{cases[0]}.md")], [], target()))
    return {"case_studies": n_cases, "posts": n_posts, "lessons": n_lessons, "modules": n_modules,
            "services": 5, "pages": 3, "images": len(image_paths),
            "markdown_files": n_cases + n_posts + n_lessons + 8}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--pages", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--images", type=int, default=4)
    ap.add_argument("--words", type=int, default=1000, help="words per page (about)")
    a = ap.parse_args()
    if a.out.exists() and any(a.out.iterdir()):
        ap.error(f"{a.out} exists and is not empty")
    counts = generate(a.out, a.pages, a.seed, a.images, a.words)
    print(f"{a.out}: " + ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in counts.items()))


if __name__ == "__main__":
    main()
