"""Fixtures for `folio serve` tests; the helpers live in harness.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from harness import ServeProcess, site_files


@pytest.fixture
def serve(make_site):
    """serve(files=None, *args) -> a started ServeProcess, killed after the test."""
    started: list[ServeProcess] = []

    def start(files: dict | None = None, *args: str, env: dict | None = None,
              site: Path | None = None) -> ServeProcess:
        root = site or make_site(files if files is not None else site_files())
        proc = ServeProcess(root, *args, env=env)
        started.append(proc)
        return proc

    try:
        yield start
    finally:
        for proc in started:
            proc.stop()
