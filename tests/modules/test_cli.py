"""`folio module export` and `folio module import` from the command line."""

from __future__ import annotations

import io
import re
import zipfile

from click.testing import CliRunner

from folio.cli import cli

from .conftest import EXAMPLE_SITE

SLUG = "spreadsheet-foundations"


def run(*args, cwd=None):
    runner = CliRunner()
    return runner.invoke(cli, list(args), catch_exceptions=False)


def test_export_each_format(tmp_path, example_files, example_copy):
    for fmt, name in (("zip", f"{SLUG}.zip"), ("imscc", f"{SLUG}.imscc"),
                      ("scorm", f"{SLUG}-scorm.zip")):
        out = tmp_path / name
        result = run("module", "export", SLUG, "--site", str(example_copy), "--format", fmt,
                     "-o", str(out))
        assert result.exit_code == 0, result.output
        assert f"bytes, {fmt})" in result.output
        assert out.read_bytes() == example_files[f"modules/{SLUG}/{name}"]
        assert zipfile.ZipFile(io.BytesIO(out.read_bytes())).testzip() is None


def test_export_unknown_module_exits_1_with_a_hint(tmp_path):
    result = run("module", "export", "spreadsheet-foundation", "--site", str(EXAMPLE_SITE),
                 "-o", str(tmp_path / "x.zip"))
    assert result.exit_code == 1
    assert re.search(r"^modules: error: no module 'spreadsheet-foundation'", result.output, re.MULTILINE)
    assert "did you mean 'spreadsheet-foundations'?" in result.output
    assert not (tmp_path / "x.zip").exists()


def test_export_bad_format_is_a_usage_error():
    result = run("module", "export", SLUG, "--site", str(EXAMPLE_SITE), "--format", "pdf")
    assert result.exit_code == 2


def test_import_then_refuse_then_force(tmp_path, make_site, example_files):
    package = tmp_path / "m.zip"
    package.write_bytes(example_files[f"modules/{SLUG}/{SLUG}.zip"])
    site = make_site({})
    result = run("module", "import", str(package), str(site))
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Added module '{SLUG}'")
    result = run("module", "import", str(package), str(site))
    assert result.exit_code == 1
    assert re.search(rf"^modules/{SLUG}: error: module '{SLUG}' already exists", result.output, re.MULTILINE)
    assert "Traceback" not in result.output
    result = run("module", "import", str(package), str(site), "--force")
    assert result.exit_code == 0 and result.output.startswith("Replaced")


def test_import_hostile_package_prints_one_located_error(tmp_path, make_site):
    bad = tmp_path / "evil.zip"
    with zipfile.ZipFile(bad, "w") as archive:
        archive.writestr("../../outside.md", "x")
    site = make_site({})
    result = run("module", "import", str(bad), str(site))
    assert result.exit_code == 1
    assert re.search(r"^evil\.zip: error: package entry '\.\./\.\./outside\.md' leaves", result.output, re.MULTILINE)
    assert not (tmp_path / "outside.md").exists()


def test_import_into_a_folder_that_is_not_a_site(tmp_path, example_files):
    package = tmp_path / "m.zip"
    package.write_bytes(example_files[f"modules/{SLUG}/{SLUG}.zip"])
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run("module", "import", str(package), str(empty))
    assert result.exit_code == 1 and "no folio.yaml found" in result.output
