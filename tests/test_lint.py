"""Static gates: safe YAML, autoescaped Jinja, one Markdown factory, a clean lint."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys

import pytest
from folio_testing import REPO

SRC = REPO / "src" / "folio"


def calls_named(name: str):
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                func = node.func
                called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
                if called == name:
                    yield path.relative_to(SRC).as_posix(), node


def test_markdown_it_is_created_only_by_the_factory():
    assert [p for p, _ in calls_named("MarkdownIt")] == ["markdown.py"]


def test_yaml_is_never_loaded_unsafely():
    for name in ("load", "load_all", "unsafe_load", "full_load"):
        for path, node in calls_named(name):
            target = node.func.value.id if isinstance(node.func, ast.Attribute) and \
                isinstance(node.func.value, ast.Name) else ""
            assert target != "yaml", f"{path}:{node.lineno}: yaml.{name}"


def test_every_jinja_environment_autoescapes():
    for path, node in calls_named("Environment"):
        escape = {k.arg: k.value for k in node.keywords}.get("autoescape")
        assert isinstance(escape, ast.Constant) and escape.value is True, f"{path}:{node.lineno}"


@pytest.mark.skipif(shutil.which("ruff") is None and
                    subprocess.run([sys.executable, "-m", "ruff", "--version"],
                                   capture_output=True).returncode != 0, reason="ruff not installed")
def test_ruff_is_clean():
    done = subprocess.run([sys.executable, "-m", "ruff", "check", "src", "tests", "bench"],
                          cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:]
