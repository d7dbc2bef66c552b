"""Model objects built by hand, for unit tests that do not need the loader."""

from __future__ import annotations

from dataclasses import dataclass

from folio.model import (
    Author,
    Body,
    Lesson,
    Module,
    Profile,
    QuizQuestion,
    Site,
    SiteConfig,
    Source,
    Track,
)


@dataclass(frozen=True)
class FakeRendered:
    html: str
    toc: tuple = ()
    text: str = ""
    words: int = 0


QUIZ = (
    QuizQuestion("Which cell reference stays fixed when copied?", ("A1", "$A$1", "A$1"), 1,
                 "Both dollar signs pin the column and the row."),
    QuizQuestion("What does a <b>pivot</b> table do?", ("Summarises rows", "Draws charts"), 0,
                 "It groups & totals </script> rows."),
)


def make_module(slug: str = "sheets", base_path: str = "/", *, origin=None, prerequisites=()) -> Module:
    lessons = []
    for n, (lslug, title) in enumerate([("cells", "Cells & references"), ("pivots", "Pivot tables"),
                                        ("charts", "Charts that tell")], 1):
        lessons.append(Lesson(
            slug=lslug, title=title, url=f"/modules/{slug}/{lslug}/",
            source=Source(f"modules/{slug}/0{n}-{lslug}.md"), module=slug, duration=10 * n,
            objectives=(f"Objective {n}a", f"Objective {n}b"),
            quiz=QUIZ if n == 1 else (), body=Body(f"# {title}\n\nText {n}.\n", 3)))
    return Module(
        slug=slug, title="Spreadsheet foundations", url=f"/modules/{slug}/",
        source=Source(f"modules/{slug}/module.yaml"), summary="Formulas you can trust.",
        level="beginner", audience="Small-business owners", objectives=("Write formulas",),
        prerequisites=prerequisites, skills=("spreadsheets",), tracks=("data",),
        license="CC-BY-4.0", authors=(Author("Maya Okafor", "https://maya.example/"),),
        version="1.2", lessons=tuple(lessons), origin=origin)


def make_site(modules=None, base_url: str = "https://maya.example/", base_path: str = "/") -> Site:
    config = SiteConfig(title="Maya Okafor", base_url=base_url, base_path=base_path,
                        tracks=(Track("data", "Data consulting"), Track("teaching", "Teaching")))
    return Site(config=config, profile=Profile(name="Maya Okafor"),
                modules=tuple(modules if modules is not None else [make_module()]))


def rendered_for(site: Site) -> dict:
    out = {}
    bp = site.config.base_path
    for module in site.modules:
        for n, lesson in enumerate(module.lessons):
            nxt = module.lessons[(n + 1) % len(module.lessons)]
            out[lesson.key] = FakeRendered(
                f'<h2 id="intro">Intro</h2><p>See <img src="{bp}assets/img/grid%20one.png" alt="grid" '
                f'srcset="{bp}assets/img/grid-480.webp 480w"> and '
                f'<a href="{bp}modules/{module.slug}/{nxt.slug}/#intro">the next lesson</a>, '
                f'<a href="{bp}work/boxly/">a case study</a>, '
                f'<a href="https://example.org/guide?a=1&amp;b=2">a guide</a>.</p>')
    return out


def read_file_from(files: dict[str, bytes]):
    def read(path: str) -> bytes:
        return files[path]
    return read


SOURCES = {
    "modules/sheets/module.yaml": b"title: Spreadsheet foundations\nversion: '1.2'\n",
    "modules/sheets/01-cells.md": b"---\ntitle: Cells\n---\nText 1.\n",
    "modules/sheets/02-pivots.md": b"---\ntitle: Pivot tables\n---\nText 2.\n",
    "modules/sheets/03-charts.md": b"---\ntitle: Charts\n---\nText 3.\n",
    "assets/img/grid one.png": b"\x89PNG fake",
}
