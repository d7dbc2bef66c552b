"""One broken site per error kind: `folio check` names the exact file:line:col.

Each folder under tests/sites/invalid/ is a whole site with one mistake and an
expected.txt holding the start of the error line folio must print.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from folio.cli import cli

INVALID = Path(__file__).parent / "sites" / "invalid"
CASES = sorted(p.name for p in INVALID.iterdir() if p.is_dir())


@pytest.mark.parametrize("case", CASES)
def test_invalid_site_reports_exact_location(case, tmp_path):
    site = tmp_path / case
    shutil.copytree(INVALID / case, site)
    expected = (site / "expected.txt").read_text().strip()
    (site / "expected.txt").unlink()
    result = CliRunner().invoke(cli, ["check", str(site)])
    assert result.exit_code == 1, result.output
    lines = result.stderr.splitlines()
    assert any(line.startswith(expected) or expected in line for line in lines), result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("case", ["python-tag", "unknown-skill"])
def test_build_of_invalid_site_writes_nothing(case, tmp_path):
    site = tmp_path / case
    shutil.copytree(INVALID / case, site)
    (site / "expected.txt").unlink()
    result = CliRunner().invoke(cli, ["build", str(site)])
    assert result.exit_code == 1
    assert not (site / "_site").exists()
    assert not Path("/tmp/pwned").exists()
