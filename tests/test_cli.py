"""The command line: exit codes, messages, and what a build leaves on disk."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import lxml.html
import pytest
from click.testing import CliRunner
from folio_testing import EXAMPLE_SITE, run_folio

from folio import __version__
from folio.cli import cli

GOOD = {"case-studies/a.md": "---\ntitle: A case\nskills: [sql]\n---\nSee [b](b.md).\n",
        "case-studies/b.md": "---\ntitle: B case\n---\nBack to [a](a.md#top).\n",
        "skills.yaml": "- id: sql\n  name: SQL\n"}


def invoke(*args):
    return CliRunner().invoke(cli, list(args))


def tree_hash(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_version_and_help():
    assert invoke("--version").output.strip() == f"folio {__version__}"
    result = invoke("--help")
    assert result.exit_code == 0
    for command in ("build", "check", "new", "serve", "module", "doctor"):
        assert command in result.output


def test_usage_error_is_exit_2():
    assert invoke("build", "--no-such-flag").exit_code == 2
    assert invoke("no-such-command").exit_code == 2


def test_build_prints_one_summary_line(make_site):
    root = make_site(GOOD)
    result = invoke("build", str(root), "--no-search")
    assert result.exit_code == 0, result.output
    assert re.match(r"Built \d+ pages, \d+ files, \d+ images in [\d.]+ s -> ", result.stdout)
    assert (root / "_site" / "work" / "a" / "index.html").is_file()


def test_verbose_prints_stage_times(make_site):
    result = invoke("build", str(make_site(GOOD)), "--no-search", "-v")
    for stage in ("load", "link", "markdown", "pages", "write"):
        assert re.search(rf"^\s+{stage}\s+[\d.]+ ms$", result.stdout, re.M), stage


def test_failed_build_prints_all_errors_and_leaves_output_untouched(make_site):
    root = make_site(GOOD)
    assert invoke("build", str(root), "--no-search").exit_code == 0
    before = tree_hash(root / "_site")
    (root / "case-studies" / "a.md").write_text("---\ntitle: A\nskills: [sqll]\n---\n[x](gone.md)\n")
    (root / "posts").mkdir()
    (root / "posts" / "p.md").write_text("---\ntitle: P\n---\n")
    result = run_folio("build", str(root))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    heads = [line for line in result.stderr.splitlines() if ": error: " in line]
    assert heads == [
        "case-studies/a.md:3:10: error: unknown skill 'sqll'",
        "case-studies/a.md:5: error: link to a missing file: gone.md",
        "posts/p.md:2: error: missing required field 'date'",
    ]
    assert "hint: did you mean 'sql'?" in result.stderr
    assert tree_hash(root / "_site") == before


def test_check_writes_nothing(make_site):
    root = make_site(GOOD)
    result = invoke("check", str(root))
    assert result.exit_code == 0 and "no errors" in result.stdout
    assert not (root / "_site").exists()


def test_missing_site_is_exit_1_with_paths(tmp_path):
    result = invoke("build", str(tmp_path))
    assert result.exit_code == 1 and "no folio.yaml found" in result.stderr


def test_control_characters_in_names_are_escaped_in_messages(make_site):
    root = make_site({"case-studies/\x1b[2Jx.md": "---\nsummary: s\n---\n"})
    result = invoke("check", str(root))
    assert result.exit_code == 1 and "\x1b" not in result.stderr


def internal_targets(out: Path, base: str):
    """Every internal href/src of every page, as output paths."""
    for page in sorted(out.rglob("*.html")):
        doc = lxml.html.fromstring(page.read_bytes())
        for el, attr, link, _ in doc.iterlinks():
            if attr not in ("href", "src") or el.tag == "a" and link.startswith(("mailto:", "tel:")):
                continue
            parts = urlsplit(link)
            if parts.scheme or parts.netloc or not parts.path:
                continue
            yield page, link, parts.path


@pytest.mark.skipif(not (EXAMPLE_SITE / "folio.yaml").exists(), reason="example site absent")
def test_project_page_links_all_carry_base_path_and_resolve(tmp_path):
    out = tmp_path / "out"
    result = run_folio("build", str(EXAMPLE_SITE), "-o", str(out), "--base-url",
                       "https://u.github.io/repo/", "--no-search")
    assert result.returncode == 0, result.stderr
    checked = 0
    for page, link, path in internal_targets(out, "/repo/"):
        assert path.startswith("/repo/"), f"{page}: {link}"
        rel = unquote(path[len("/repo/"):])
        target = out / rel
        assert target.is_file() or (target / "index.html").is_file(), f"{page}: {link}"
        checked += 1
    assert checked > 100
