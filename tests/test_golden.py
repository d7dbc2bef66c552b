"""Golden snapshot of the example-site build, compared file by file.

Every generated text file (HTML, XML, JSON, TXT) is compared with its copy
under tests/golden/example-site/; binary files (images, cards, packages) by
name. After an intended change, regenerate on purpose and review the diff:

    FOLIO_UPDATE_GOLDEN=1 python -m pytest tests/test_golden.py
"""

from __future__ import annotations

import difflib
import os
import shutil
from pathlib import Path

import pytest
from folio_testing import EXAMPLE_SITE, run_folio

GOLDEN = Path(__file__).parent / "golden" / "example-site"
TEXT = (".html", ".xml", ".json", ".txt")
SKIP = ("theme/", "pagefind/")  # theme files are in the repo; search is Pagefind's output
BASE_URL = "https://maya-okafor.github.io/portfolio/"


def snapshot(out: Path) -> tuple[dict[str, str], list[str]]:
    texts, binaries = {}, []
    for path in sorted(out.rglob("*")):
        rel = path.relative_to(out).as_posix()
        if not path.is_file() or rel.startswith(SKIP) or rel == ".folio-manifest":
            continue
        if rel.endswith(TEXT):
            texts[rel] = path.read_text(encoding="utf-8")
        else:
            binaries.append(rel)
    return texts, binaries


@pytest.mark.skipif(not (EXAMPLE_SITE / "folio.yaml").exists(), reason="example site absent")
def test_example_site_matches_golden(tmp_path):
    site = tmp_path / "site"
    shutil.copytree(EXAMPLE_SITE, site, ignore=shutil.ignore_patterns("_site", ".folio-cache"))
    out = tmp_path / "out"
    result = run_folio("build", str(site), "-o", str(out), "--base-url", BASE_URL, "--no-search",
                       env={"SOURCE_DATE_EPOCH": "1780000000"})
    assert result.returncode == 0, result.stderr
    texts, binaries = snapshot(out)
    if os.environ.get("FOLIO_UPDATE_GOLDEN"):
        shutil.rmtree(GOLDEN, ignore_errors=True)
        for rel, text in texts.items():
            (GOLDEN / rel).parent.mkdir(parents=True, exist_ok=True)
            (GOLDEN / rel).write_text(text, encoding="utf-8")
        (GOLDEN / "BINARY-FILES").write_text("\n".join(binaries) + "\n")
        pytest.skip("golden snapshot regenerated")
    assert GOLDEN.is_dir(), "no golden snapshot: run with FOLIO_UPDATE_GOLDEN=1"
    expected = {p.relative_to(GOLDEN).as_posix(): p.read_text(encoding="utf-8")
                for p in sorted(GOLDEN.rglob("*")) if p.is_file() and p.name != "BINARY-FILES"}
    assert sorted(texts) == sorted(expected), "the set of generated files changed"
    for rel, text in texts.items():
        if text != expected[rel]:
            diff = "\n".join(difflib.unified_diff(expected[rel].splitlines(), text.splitlines(),
                                                  f"golden/{rel}", f"build/{rel}", lineterm="", n=2))
            pytest.fail(f"{rel} differs from the golden snapshot:\n{diff[:4000]}")
    assert binaries == (GOLDEN / "BINARY-FILES").read_text().split()
