"""`folio new`: write a small site that builds as it is, never over anything.

The files come from `scaffold_files/` inside the package (so they ship in the
wheel). Names starting with `dot-` become dotfiles (`dot-github/` ->
`.github/`), which keeps them out of the way of packaging tools and editors in
this repository. folio.yaml is written here, from data and with comments, so a
site seeded from a JSON Resume gets the same commented file with its own
values, every value produced by ``yaml.safe_dump``.
"""

from __future__ import annotations

import datetime as _dt
import unicodedata
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from .errors import FolioError
from .urls import slugify, windows_reserved

__all__ = ["SCAFFOLD_FOLDER", "Seed", "ascii_slug", "create_site", "default_files", "dump_yaml",
           "folio_yaml", "markdown_file"]

SCAFFOLD_FOLDER = "scaffold_files"  # inside the folio package

DEFAULT_TRACKS = (
    {"id": "consulting", "title": "Consulting",
     "summary": "Projects for clients: what you do when someone hires you."},
    {"id": "teaching", "title": "Teaching",
     "summary": "Workshops, courses and learning modules."},
)

# Files of the default site that a resume-seeded site replaces with its own.
SAMPLE_CONTENT = ("profile.md", "skills.yaml", "testimonials.yaml", "case-studies/first-project.md",
                  "services/first-service.md", "pages/contact.md")


@dataclass(slots=True)
class Seed:
    """What a new site starts from: folio.yaml values and content files."""

    title: str = "My portfolio"
    description: str = "Case studies, skills and services of an independent professional."
    tracks: tuple[dict[str, str], ...] = DEFAULT_TRACKS
    files: dict[str, str] = field(default_factory=dict)  # site-relative path -> text
    drop: tuple[str, ...] = ()  # default files to leave out
    notes: list[str] = field(default_factory=list)  # what the user should know


class _IndentedDumper(yaml.SafeDumper):
    """SafeDumper that indents list items under their key, as people write YAML."""

    def increase_indent(self, flow: bool = False, indentless: bool = False):
        return super().increase_indent(flow, False)


def dump_yaml(data: Any) -> str:
    """YAML text for user values: always the safe dumper, never string building."""
    return yaml.dump(data, Dumper=_IndentedDumper, sort_keys=False, allow_unicode=True,
                     default_flow_style=False, width=88)


def markdown_file(meta: dict[str, Any], body: str) -> str:
    """A content file: front matter dumped safely, then the Markdown body."""
    body = body.strip("\n")
    return "---\n" + dump_yaml(meta) + "---\n" + (body + "\n" if body else "")


def ascii_slug(text: str, fallback: str) -> str:
    """A slug that is also a valid id: ASCII letters, digits and dashes only.
    A name Windows keeps for a device ("LPT1", "Con") gets the fallback as a suffix,
    since a file so named could not be checked out there."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = "".join(c if c.isalnum() or c == "-" else "-" for c in slugify(plain))
    slug = "-".join(part for part in slug.split("-") if part)[:60].strip("-")
    if slug and windows_reserved(slug):
        return f"{slug}-{fallback or 'name'}"
    return slug or fallback


# What each setting of folio.yaml does, written above it in a new site.
SETTING_COMMENTS = {
    "title": "The site's name, in the browser tab and the header.",
    "base_url": ("Where the site will live. Its path (/name/ for a project page) starts every\n"
                 "link. The GitHub Pages workflow overrides it with the real Pages address."),
    "language": "Language of the content (BCP 47): sets <html lang>.",
    "description": "One or two sentences for search engines, link previews and the feed.",
    "tracks": ("Your micro-careers: the kinds of work you do. Case studies, skills, services,\n"
               "posts and modules name them by id in `tracks: [...]`; each track gets a page,\n"
               "a CV and a JSON Resume of its own."),
    "availability": ("Whether you take work now: open, limited, booked or closed. With booked or\n"
                     "closed, booking buttons are hidden and the note is shown. `until: 2026-09`\n"
                     "says when that changes; the daily rebuild keeps it current."),
}
OPTIONAL_SETTINGS = """
# Optional settings, shown with their defaults:
# theme: default           # a built-in theme, or a folder in this site
# output: _site            # where `folio build` writes the site
# drafts: false            # include files marked `draft: true`
# menu:                    # your own navigation instead of the generated one
#   - {title: Work, url: /work/}
"""


def folio_yaml(seed: Seed, base_url: str) -> str:
    """folio.yaml with a comment before each setting saying what it does."""
    settings = {
        "title": seed.title, "base_url": base_url, "language": "en",
        "description": seed.description, "tracks": list(seed.tracks),
        "availability": {"status": "open", "note": "Taking new projects."},
    }
    parts = ["# folio.yaml: the settings of this site. Only `title` and `base_url` are required.\n"]
    for key, value in settings.items():
        comment = "".join(f"# {line}\n" for line in SETTING_COMMENTS[key].splitlines())
        parts.append("\n" + comment + dump_yaml({key: value}))
    return "".join(parts) + OPTIONAL_SETTINGS


def default_files(today: _dt.date | None = None) -> dict[str, str]:
    """The packaged scaffold as {site-relative path: text}, dotfile names restored."""
    today = today or _dt.date.today()
    out: dict[str, str] = {}

    def walk(node, prefix: str) -> None:
        for child in sorted(node.iterdir(), key=lambda c: c.name):
            name = child.name
            if name.startswith("__") or name.endswith((".pyc", "~")):
                continue
            if name.startswith("dot-"):
                name = "." + name[4:]
            rel = f"{prefix}{name}"
            if child.is_dir():
                walk(child, rel + "/")
            else:
                out[rel] = child.read_text(encoding="utf-8")

    walk(resources.files("folio") / SCAFFOLD_FOLDER, "")
    if "posts/hello-world.md" in out:
        out["posts/hello-world.md"] = out["posts/hello-world.md"].replace(
            "{date}", today.isoformat())
    return out


def _check_target(target: Path) -> None:
    if target.is_symlink() or (target.exists() and not target.is_dir()):
        raise FolioError("exists and is not a folder", str(target),
                         hint="choose a new folder name")
    if target.is_dir() and any(target.iterdir()):
        raise FolioError("folder is not empty; folio new only writes into a new or empty folder",
                         str(target), hint="choose a new folder name, e.g. folio new my-site")


def create_site(target: Path, resume: Path | None = None,
                today: _dt.date | None = None) -> tuple[list[str], list[str]]:
    """Write a new site into `target` (new or empty). -> (files written, notes).

    Every file is opened with O_EXCL, so even a file that appears while this
    runs is never overwritten.
    """
    target = Path(target)
    _check_target(target)
    seed = Seed()
    if resume is not None:
        from .resume_import import seed_from_resume

        seed = seed_from_resume(resume)  # raises before anything is written
    files = {k: v for k, v in default_files(today).items() if k not in seed.drop}
    files.update(seed.files)
    base_url = f"https://your-github-user.github.io/{ascii_slug(target.resolve().name, 'site')}/"
    files["folio.yaml"] = folio_yaml(seed, base_url)

    written: list[Path] = []
    made: list[Path] = []  # folders this run created, deepest last
    try:
        for rel in sorted(files):
            path = target / rel
            for folder in reversed([path.parent, *path.parent.parents]):
                if not folder.exists():
                    folder.mkdir()
                    made.append(folder)
            with open(path, "x", encoding="utf-8", newline="\n") as fh:
                written.append(path)
                fh.write(files[rel])
    except OSError as exc:
        _undo(written, made)
        if isinstance(exc, FileExistsError):
            message = f"{exc.filename} appeared while the site was being written; it was left untouched"
        else:
            message = f"cannot write {exc.filename or target}: {exc.strerror}"
        raise FolioError(message, str(target), hint="nothing of the new site was kept") from None
    return [p.relative_to(target).as_posix() for p in written], seed.notes


def _undo(written: list[Path], made: list[Path]) -> None:
    """Remove what this run wrote (its own files and the folders it made), nothing else."""
    for path in reversed(written):
        path.unlink(missing_ok=True)
    for folder in reversed(made):
        try:
            folder.rmdir()  # only if empty: never removes anything it did not make
        except OSError:
            pass
