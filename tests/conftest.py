"""Fixtures every test folder shares; helpers live in folio_testing.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from folio_testing import CHROMIUM, CHROMIUM_ARGS, EXAMPLE_SITE, REPO, SHARED, Symlink, run_folio, write_tree  # noqa: F401


@pytest.fixture
def make_site(tmp_path):
    """make_site(files) -> a site folder under tmp_path (see folio_testing.write_tree)."""
    counter = iter(range(1000))

    def make(files: dict | None = None, name: str | None = None) -> Path:
        root = tmp_path / (name or f"site{next(counter)}")
        root.mkdir(parents=True)
        return write_tree(root, files or {})

    return make


@pytest.fixture
def folio_cli():
    return run_folio


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Playwright drives Debian's Chromium (its own browser download does not work here)."""
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}
