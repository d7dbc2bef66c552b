"""Shared test helpers (imported by name: every folder's conftest.py is a different module).

`write_tree(root, files)` writes a dict {path: str | bytes | Symlink(target)}; a
minimal valid folio.yaml and profile.md are added unless the dict gives its own
(pass None as the value to leave a file out). `run_folio` runs the real CLI.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
EXAMPLE_SITE = REPO / "example-site"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

MINIMAL = {
    "folio.yaml": "title: Test Site\nbase_url: https://example.test/\n",
    "profile.md": "---\nname: Ada Example\nheadline: Data consultant\n---\nI help small teams.\n",
}


@dataclass(frozen=True)
class Symlink:
    target: str


def write_tree(root: Path, files: dict) -> Path:
    merged = {**MINIMAL, **files}
    for rel, content in merged.items():
        if content is None:
            continue
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, Symlink):
            os.symlink(content.target, path)
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8", newline="")
    return root


def run_folio(*args: str, cwd: Path | None = None, env: dict | None = None,
              timeout: float = 120) -> subprocess.CompletedProcess:
    """Run the real CLI in a subprocess, as a user would."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "folio", *args], cwd=cwd, env=full_env,
                          capture_output=True, text=True, timeout=timeout)
