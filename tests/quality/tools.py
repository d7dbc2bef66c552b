"""Where the pinned test tools live (tests/js, installed with `npm ci`), and how
a test asks for one: skipped with the install command on a developer machine,
a failure under CI (CI=true), where .ci/run installs everything."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from folio_testing import CHROMIUM, CHROMIUM_ARGS  # noqa: F401

JS = Path(__file__).resolve().parents[1] / "js"
NODE_MODULES = JS / "node_modules"
AXE = NODE_MODULES / "axe-core" / "axe.min.js"
VNU = NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"
RESUME_SCHEMA = NODE_MODULES / "@jsonresume" / "schema" / "schema.json"
INSTALL_JS = "(cd tests/js && npm ci --ignore-scripts --no-audit --no-fund)"


def require(path: Path, how: str = INSTALL_JS) -> Path:
    """The tool at `path`, or skip (fail under CI) saying how to install it."""
    if not path.exists():
        message = f"{path.name} is not installed ({path}); install it with: {how}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


def require_java() -> str:
    java = shutil.which("java")
    if java is None:
        require(Path("/nonexistent/java"), "apt-get install default-jre-headless")
    return java  # type: ignore[return-value]


def require_chromium() -> str:
    if not os.path.exists(CHROMIUM):
        require(Path(CHROMIUM), "apt-get install chromium")
    return CHROMIUM


def resume_validator():
    """A Draft-07 validator for the pinned @jsonresume/schema, checking formats too."""
    from jsonschema import Draft7Validator, FormatChecker

    schema = json.loads(require(RESUME_SCHEMA).read_text(encoding="utf-8"))
    Draft7Validator.check_schema(schema)
    return Draft7Validator(schema, format_checker=FormatChecker())


def resume_errors(document: dict) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
            for e in resume_validator().iter_errors(document)]
