"""The same input gives the same bytes, however the build ran.

A clean serial build with no cache is the reference. Parallel builds, builds
reading a warm .folio-cache, builds after edits, and builds under another
timezone, locale or hash seed must produce byte-identical output trees
(RELIABILITY item 45; STYLE "Rebuilds": whatever is cached, the output equals
a clean build).

The Pagefind search bundle is left out of those comparisons (`--no-search`):
Pagefind writes its filter index from a hash map, so two runs over the same
pages give differently ordered, differently named `pagefind/filter/*` files
(Pagefind issue #638, still so in 1.5.2). `test_search_index_is_deterministic`
records that separately, so it shows when it is fixed.
"""

from __future__ import annotations

import difflib
import hashlib
import shutil
import sys
from pathlib import Path

import pytest
from folio_testing import EXAMPLE_SITE, REPO, run_folio

sys.path.insert(0, str(REPO / "bench"))
from gen_corpus import generate  # noqa: E402

CACHE = ".folio-cache"
VARIANT_ENVS = [
    {"TZ": "Pacific/Kiritimati", "LC_ALL": "C", "LANG": "C", "PYTHONHASHSEED": "12345"},
    {"TZ": "America/Anchorage", "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8", "PYTHONHASHSEED": "1"},
]


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


def assert_same_tree(expected: dict[str, bytes], actual: dict[str, bytes], label: str) -> None:
    missing = sorted(set(expected) - set(actual))
    extra = sorted(set(actual) - set(expected))
    changed = sorted(k for k in set(expected) & set(actual) if expected[k] != actual[k])
    if not (missing or extra or changed):
        return
    detail = ""
    if changed:
        first = changed[0]
        try:
            a = expected[first].decode("utf-8").splitlines()
            b = actual[first].decode("utf-8").splitlines()
            detail = "\n".join(list(difflib.unified_diff(a, b, "reference", label, lineterm="", n=1))[:30])
        except UnicodeDecodeError:
            detail = (f"{first}: binary, sha256 {hashlib.sha256(expected[first]).hexdigest()[:12]} "
                      f"!= {hashlib.sha256(actual[first]).hexdigest()[:12]}")
    pytest.fail(f"{label} differs from the clean serial build: missing {missing[:5]}, "
                f"extra {extra[:5]}, changed {len(changed)} {changed[:8]}\n{detail}")


def build(site: Path, out: Path, *args: str, env: dict | None = None,
          search: bool = False) -> dict[str, bytes]:
    """Build into `out`; every build uses the same folder name, which the manifest records."""
    flags = () if search else ("--no-search",)
    result = run_folio("build", str(site), "-o", str(out), *flags, *args, env=env, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:] + result.stdout[-1000:]
    assert "Traceback" not in result.stderr
    return tree(out)


def copy_site(src: Path, dest: Path, with_cache_from: Path | None = None) -> Path:
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns(CACHE, "_site"))
    if with_cache_from is not None and (with_cache_from / CACHE).is_dir():
        shutil.copytree(with_cache_from / CACHE, dest / CACHE)
    return dest


@pytest.fixture(scope="module")
def example_builds(tmp_path_factory):
    """Every way of building the example site, built once for the tests below."""
    if not (EXAMPLE_SITE / "folio.yaml").exists():
        pytest.skip("example-site is missing")
    base = tmp_path_factory.mktemp("determinism")
    reference_site = copy_site(EXAMPLE_SITE, base / "ref-site")
    builds = {"reference": build(reference_site, base / "ref-out" / "out", "--no-cache", "--jobs", "1")}
    assert not (reference_site / CACHE).exists(), "--no-cache wrote a cache"
    site = copy_site(EXAMPLE_SITE, base / "site")
    builds["parallel, cold cache"] = build(site, base / "out-cold" / "out", "--jobs", "2")
    builds["parallel, warm cache"] = build(site, base / "out-warm" / "out", "--jobs", "2")
    builds["warm cache, same output folder again"] = build(site, base / "out-warm" / "out", "--jobs", "2")
    for i, env in enumerate(VARIANT_ENVS):
        label = f"TZ={env['TZ']} LC_ALL={env['LC_ALL']} PYTHONHASHSEED={env['PYTHONHASHSEED']}"
        builds[label] = build(site, base / f"out-env{i}" / "out", env=env)
    builds["serial, warm cache"] = build(site, base / "out-serial-warm" / "out", "--jobs", "1")
    return {"builds": builds, "site": site, "base": base}


def test_reference_build_is_a_real_site(example_builds):
    ref = example_builds["builds"]["reference"]
    assert "index.html" in ref and len([p for p in ref if p.endswith(".html")]) > 20
    assert (example_builds["site"] / CACHE).is_dir(), "the cached builds wrote no .folio-cache"


@pytest.mark.parametrize("label", [
    "parallel, cold cache", "parallel, warm cache", "warm cache, same output folder again",
    "serial, warm cache",
    *(f"TZ={e['TZ']} LC_ALL={e['LC_ALL']} PYTHONHASHSEED={e['PYTHONHASHSEED']}" for e in VARIANT_ENVS),
])
def test_build_is_byte_identical_to_clean_serial_build(example_builds, label):
    builds = example_builds["builds"]
    assert_same_tree(builds["reference"], builds[label], label)


EDITS = {
    # a body edit, a title shown on listing pages, and a new link between pages
    "case-studies/02-ceramics-shop-pricing.md": ("\n---\n", "\n---\nAn added first sentence.\n\n", 1),
    "posts/2025-10-why-three-careers.md": ("title: ", "title: Retitled — ", 1),
}


def apply_edits(site: Path) -> None:
    for rel, (old, new, nth) in EDITS.items():
        path = site / rel
        text = path.read_text(encoding="utf-8")
        at = -1
        for _ in range(nth):
            at = text.index(old, at + 1)
        path.write_text(text[:at] + new + text[at + len(old):], encoding="utf-8")


def test_warm_cache_after_edits_equals_clean_build(example_builds):
    base = example_builds["base"]
    warm_site = copy_site(EXAMPLE_SITE, base / "edit-warm", with_cache_from=example_builds["site"])
    clean_site = copy_site(EXAMPLE_SITE, base / "edit-clean")
    apply_edits(warm_site)
    apply_edits(clean_site)
    assert (warm_site / CACHE).is_dir()
    warm = build(warm_site, base / "edit-warm-out" / "out", "--jobs", "2")
    clean = build(clean_site, base / "edit-clean-out" / "out", "--no-cache", "--jobs", "1")
    assert warm != example_builds["builds"]["reference"], "the edits changed nothing"
    assert_same_tree(clean, warm, "warm cache after edits")


def test_corrupt_cache_is_ignored_not_trusted(example_builds):
    base = example_builds["base"]
    site = copy_site(EXAMPLE_SITE, base / "corrupt", with_cache_from=example_builds["site"])
    entries = [p for p in (site / CACHE).rglob("*") if p.is_file() and len(p.name) > 20]
    assert entries, "no cache entries to damage"
    for i, path in enumerate(entries):
        data = bytearray(path.read_bytes())
        if i % 2:
            data[len(data) // 2] ^= 0xFF
            path.write_bytes(bytes(data))
        else:
            path.write_bytes(bytes(data[: len(data) // 3]))
    got = build(site, base / "corrupt-out" / "out", "--jobs", "2")
    assert_same_tree(example_builds["builds"]["reference"], got, "build over a damaged cache")


@pytest.mark.slow
def test_large_generated_site_parallel_equals_serial(tmp_path):
    """Enough pages that the worker pool really runs (the example site may stay serial)."""
    site = tmp_path / "gen"
    generate(site, 300, seed=7, images=1)
    serial = build(site, tmp_path / "serial" / "out", "--no-cache", "--jobs", "1")
    parallel = build(site, tmp_path / "parallel" / "out", "--jobs", "2")
    warm = build(site, tmp_path / "warm" / "out", "--jobs", "2",
                 env={"PYTHONHASHSEED": "99", "TZ": "Asia/Kathmandu"})
    assert len([p for p in serial if p.endswith(".html")]) > 300
    assert_same_tree(serial, parallel, "parallel cold")
    assert_same_tree(serial, warm, "parallel warm")


@pytest.fixture(scope="module")
def search_builds(tmp_path_factory):
    """Two clean builds of one small site with the search index on."""
    base = tmp_path_factory.mktemp("search")
    site = base / "gen"
    generate(site, 30, seed=3, images=0)
    return [build(site, base / name / "out", "--no-cache", search=True) for name in ("one", "two")]


def test_search_builds_agree_outside_the_pagefind_bundle(search_builds):
    first, second = search_builds
    assert any(p.startswith("pagefind/filter/") for p in first), "no search filters were built"
    outside = [{k: v for k, v in tree.items() if not k.startswith("pagefind/") and k != ".folio-manifest"}
               for tree in (first, second)]
    assert_same_tree(outside[0], outside[1], "a second identical build with search")


@pytest.mark.xfail(strict=True, raises=AssertionError,
                   reason="Pagefind orders its filter index by hash map (Pagefind #638, still in 1.5.2)")
def test_search_index_is_deterministic(search_builds):
    first, second = ({k: v for k, v in tree.items() if k.startswith("pagefind/")} for tree in search_builds)
    assert first == second
