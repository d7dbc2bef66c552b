"""Builds shared by the module tests: the example site, in memory, once."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from folio.build import BuildOptions, Builder

EXAMPLE_SITE = Path(__file__).resolve().parents[2] / "example-site"


def build_site(root: Path, **options):
    return Builder(root, BuildOptions(search=False, cache=False, **options)).build()


@pytest.fixture(scope="session")
def example_build():
    return build_site(EXAMPLE_SITE)


@pytest.fixture(scope="session")
def example_files(example_build) -> dict[str, bytes]:
    return example_build.files


def unzip(data: bytes) -> dict[str, bytes]:
    archive = zipfile.ZipFile(io.BytesIO(data))
    return {name: archive.read(name) for name in archive.namelist()}
