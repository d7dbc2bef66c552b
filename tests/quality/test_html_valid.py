"""Every HTML page of both builds is valid HTML5 according to the Nu Html Checker."""

from __future__ import annotations

import json
import subprocess

from .tools import VNU, require, require_java


def run_vnu(folder) -> dict:
    java = require_java()
    jar = require(VNU)
    proc = subprocess.run(
        [java, "-Xss4m", "-jar", str(jar), "--skip-non-html", "--errors-only", "--format", "json",
         "--stdout", str(folder)],
        capture_output=True, text=True, timeout=600)
    assert proc.returncode in (0, 1), f"vnu did not run ({proc.returncode}):\n{proc.stderr}"
    return json.loads(proc.stdout or '{"messages": []}')


def readable(messages, root) -> str:
    lines = []
    for m in messages:
        where = m.get("url", "?").replace(f"file:{root}/", "")
        lines.append(f"{where}:{m.get('lastLine', '?')}: {m.get('type')}: {m.get('message')}"
                     f"\n    {m.get('extract', '').strip()[:160]}")
    return "\n".join(lines)


def test_every_page_is_valid_html(built_site, record_property):
    report = run_vnu(built_site.out)
    errors = [m for m in report["messages"] if m.get("type") in ("error", "non-document-error")]
    record_property("pages_validated", len(built_site.pages))
    print(f"\nvnu: {built_site.name}: {len(built_site.pages)} pages validated, "
          f"{len(errors)} errors")
    assert len(built_site.pages) >= 15, built_site.pages
    assert errors == [], f"{len(errors)} HTML errors:\n" + readable(errors, built_site.out)


def test_vnu_reports_invalid_html(tmp_path):
    """The gate can fail: a page with a stray end tag and a duplicate id is reported."""
    (tmp_path / "bad.html").write_text(
        "<!DOCTYPE html><html lang=en><head><title>x</title></head>"
        "<body><p id=a>x</p><p id=a>y</span></body></html>", encoding="utf-8")
    errors = run_vnu(tmp_path)["messages"]
    assert any("Duplicate ID" in m["message"] for m in errors), errors
