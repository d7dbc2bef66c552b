"""Chromium for the browser tests of tests/extras (Playwright cannot download one here)."""

from __future__ import annotations

import pytest
from extras_helpers import CHROMIUM, CHROMIUM_ARGS


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}
