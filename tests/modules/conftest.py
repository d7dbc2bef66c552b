"""Builds shared by the module tests: the example site, in memory, once."""

from __future__ import annotations

import io
import shutil
import zipfile
from pathlib import Path

import pytest

from folio.build import Builder, BuildOptions

EXAMPLE_SITE = Path(__file__).resolve().parents[2] / "example-site"


def build_site(root: Path, cache: bool = False, **options):
    return Builder(root, BuildOptions(search=False, cache=cache, **options)).build()


@pytest.fixture(scope="session")
def example_copy(tmp_path_factory) -> Path:
    """The example site copied once; its image cache makes later copies build fast."""
    root = tmp_path_factory.mktemp("example") / "site"
    shutil.copytree(EXAMPLE_SITE, root, ignore=shutil.ignore_patterns("_site", ".folio-cache"))
    return root


@pytest.fixture(scope="session")
def example_build(example_copy):
    return build_site(example_copy, cache=True)


@pytest.fixture(scope="session")
def example_files(example_build) -> dict[str, bytes]:
    return example_build.files


def unzip(data: bytes) -> dict[str, bytes]:
    archive = zipfile.ZipFile(io.BytesIO(data))
    return {name: archive.read(name) for name in archive.namelist()}
