"""The persistent cache: hits only for the same content, code and configuration;
anything damaged, foreign or hostile is a miss and is removed, never trusted."""

from __future__ import annotations

import datetime as dt
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from folio.cache import CACHE_DIR, MAGIC, MISS, Cache, NullCache, code_fingerprint
from folio.errors import Diagnostic
from folio.model import PartialDate, Source


def entry_path(cache: Cache, key: str) -> Path:
    return cache.dir / key[:2] / key


def test_bytes_round_trip_and_layout(tmp_path):
    cache = Cache(tmp_path, "html", "salt-1")
    key = cache.key("posts/a.md", b"# Hello")
    assert cache.get_bytes(key) is None
    cache.put_bytes(key, b"<h1>Hello</h1>")
    assert cache.get_bytes(key) == b"<h1>Hello</h1>"
    assert entry_path(cache, key).is_file()
    assert (tmp_path / CACHE_DIR / "CACHEDIR.TAG").read_text().startswith(
        "Signature: 8a477f597d28d172789f06886806bc55")
    assert "*" in (tmp_path / CACHE_DIR / ".gitignore").read_text().split()
    assert (cache.stats.hits, cache.stats.misses, cache.stats.writes) == (1, 1, 1)


def test_values_round_trip_with_model_types(tmp_path):
    cache = Cache(tmp_path, "md", "s")
    value = {
        "date": PartialDate(2024, 2, 3),
        "source": Source("posts/a.md", 4),
        "diag": Diagnostic("oops", "a.md", 1, 2),
        "when": dt.datetime(2024, 1, 1, 10, tzinfo=dt.UTC),
        "items": (1, 2.5, "x", None, frozenset({"a"})),
    }
    key = cache.key("k")
    cache.put(key, value)
    assert cache.get(key) == value
    # A fresh object (next build) reads the same entry.
    assert Cache(tmp_path, "md", "s").get(key) == value


def test_none_is_a_value_and_miss_is_distinct(tmp_path):
    cache = Cache(tmp_path, "md", "s")
    key = cache.key("none")
    assert cache.get(key) is MISS
    assert cache.get(key, "fallback") == "fallback"
    cache.put(key, None)
    assert cache.get(key) is None


def test_keys_depend_on_every_part(tmp_path):
    a = Cache(tmp_path, "md", "salt-a", version="1")
    assert a.key("x") != a.key("y")
    assert a.key("ab", "c") != a.key("a", "bc")  # parts are length-prefixed
    assert a.key("x") != Cache(tmp_path, "md", "salt-b", version="1").key("x")
    assert a.key("x") != Cache(tmp_path, "md", "salt-a", version="2").key("x")
    assert a.key("x") != Cache(tmp_path, "html", "salt-a", version="1").key("x")
    assert a.key("x") == Cache(tmp_path, "md", "salt-a", version="1").key(b"x")


@pytest.mark.parametrize("other", [{"version": "2"}, {"salt": "other"}])
def test_entry_from_another_version_or_salt_is_discarded(tmp_path, other):
    writer = Cache(tmp_path, "md", "s", version="1")
    key = writer.key("page")
    writer.put(key, "old html")
    reader = Cache(tmp_path, "md", other.get("salt", "s"), version=other.get("version", "1"))
    # Even when asked for the very same file name, the header does not match.
    assert reader.get(key) is MISS
    assert reader.stats.discarded == 1
    assert not entry_path(writer, key).exists()


def test_kind_mismatch_is_a_miss(tmp_path):
    cache = Cache(tmp_path, "md", "s")
    key = cache.key("k")
    cache.put(key, b"pickled bytes object")
    assert cache.get_bytes(key) is None
    assert cache.stats.discarded == 1


@pytest.mark.parametrize("damage", ["truncate", "flip", "empty", "magic", "garbage"])
def test_damaged_entries_are_discarded(tmp_path, damage):
    cache = Cache(tmp_path, "md", "s")
    key = cache.key("k")
    cache.put(key, {"html": "<p>" + "x" * 500 + "</p>"})
    path = entry_path(cache, key)
    blob = bytearray(path.read_bytes())
    if damage == "truncate":
        blob = blob[:-10]
    elif damage == "flip":
        blob[-5] ^= 0x01
    elif damage == "empty":
        blob = bytearray()
    elif damage == "magic":
        blob[:8] = b"NOTFOLIO"
    else:
        blob = bytearray(os.urandom(300))
    path.write_bytes(bytes(blob))
    assert cache.get(key, "miss") == "miss"
    assert cache.stats.discarded == 1 and cache.stats.hits == 0
    assert not path.exists()
    cache.put(key, "fresh")
    assert cache.get(key) == "fresh"


def _forge(cache: Cache, key: str, payload: bytes) -> None:
    """Write an entry with a perfect header around an arbitrary pickle."""

    from folio.cache import _HEADER, _payload_digest

    header = _HEADER.pack(MAGIC, b"P", cache._version_digest, cache._salt_digest, len(payload),
                          _payload_digest(payload))
    path = entry_path(cache, key)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(header + payload)


class _Pwn:
    def __init__(self, target: str) -> None:
        self.target = target

    def __reduce__(self):
        return (os.system, (f"touch {self.target}",))


def test_planted_pickle_with_valid_header_never_runs(tmp_path):
    cache = Cache(tmp_path, "md", "s")
    key = cache.key("k")
    canary = tmp_path / "pwned"
    _forge(cache, key, pickle.dumps(_Pwn(str(canary))))
    assert cache.get(key) is MISS
    assert not canary.exists()
    assert cache.stats.discarded == 1 and cache.stats.hits == 0
    assert not entry_path(cache, key).exists()


@pytest.mark.parametrize("payload", [
    pickle.dumps(print),                     # a builtin function
    pickle.dumps(subprocess.Popen),          # a foreign class
    b"\x80\x05garbage",                      # not a pickle
    pickle.dumps(Cache.key),                 # a folio function, not a class
])
def test_foreign_or_broken_pickles_are_misses(tmp_path, payload):
    cache = Cache(tmp_path, "md", "s")
    key = cache.key("k")
    _forge(cache, key, payload)
    assert cache.get(key, "miss") == "miss"
    assert cache.stats.discarded == 1


def test_writes_are_atomic_and_leave_no_temp_files(tmp_path, monkeypatch):
    cache = Cache(tmp_path, "md", "s")
    key = cache.key("k")
    cache.put_bytes(key, b"old")

    def boom(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", boom)
    cache.put_bytes(key, b"new")  # a failing cache write is not a build error
    monkeypatch.undo()
    assert cache.get_bytes(key) == b"old"
    leftovers = [p for p in cache.dir.rglob("*") if p.name.startswith(".tmp-")]
    assert leftovers == []


def test_unwritable_cache_folder_is_only_slower(tmp_path):
    (tmp_path / CACHE_DIR).write_text("a file where the folder should be")
    cache = Cache(tmp_path, "md", "s")
    key = cache.key("k")
    cache.put(key, "value")
    assert cache.get(key) is MISS


def test_a_folder_is_made_once_and_again_after_it_is_removed(tmp_path, monkeypatch):
    import shutil
    from pathlib import Path as RealPath

    cache = Cache(tmp_path, "md", "s")
    keys = [cache.key(str(i)) for i in range(600)]  # 256 folders: most are written twice or more
    made: list[str] = []
    real_mkdir = RealPath.mkdir

    def counting_mkdir(self, *args, **kwargs):
        made.append(self.name)
        return real_mkdir(self, *args, **kwargs)

    monkeypatch.setattr(RealPath, "mkdir", counting_mkdir)
    for key in keys:
        cache.put_bytes(key, key.encode())
    folders = {key[:2] for key in keys}
    assert sorted(n for n in made if n in folders) == sorted(folders)
    shutil.rmtree(tmp_path / CACHE_DIR)  # e.g. `rm -rf .folio-cache` while `folio serve` runs
    cache.put_bytes(keys[0], b"first after")  # lost: only a slower build
    cache.put_bytes(keys[0], b"again")
    cache.put_bytes(keys[1], b"another")
    assert cache.get_bytes(keys[0]) == b"again"
    assert cache.get_bytes(keys[1]) == b"another"
    assert (tmp_path / CACHE_DIR / ".gitignore").is_file()


def test_prune_keeps_recently_used_entries_within_the_bound(tmp_path):
    cache = Cache(tmp_path, "md", "s")
    keys = [cache.key(str(i)) for i in range(10)]
    for i, key in enumerate(keys):
        cache.put_bytes(key, bytes(1000))
        os.utime(entry_path(cache, key), (1_000_000 + i, 1_000_000 + i))
    entry_size = entry_path(cache, keys[0]).stat().st_size
    later = Cache(tmp_path, "md", "s")
    assert later.get_bytes(keys[0]) is not None  # used in this build: kept first
    freed = later.prune(max_bytes=entry_size * 4)
    assert freed == entry_size * 6
    remaining = {p.name for p in later.dir.rglob("*") if p.is_file()}
    # the used entry plus the three most recently written ones
    assert remaining == {keys[0], keys[7], keys[8], keys[9]}
    assert later.size() == entry_size * 4


def test_prune_removes_stale_temp_files(tmp_path):
    cache = Cache(tmp_path, "md", "s")
    cache.put_bytes(cache.key("k"), b"x")
    stale = cache.dir / "00" / ".tmp-abandoned"
    stale.parent.mkdir(exist_ok=True)
    stale.write_bytes(b"half")
    os.utime(stale, (1_000_000, 1_000_000))
    cache.prune()
    assert not stale.exists()
    assert cache.get_bytes(cache.key("k")) == b"x"


def test_clear_and_null_cache(tmp_path):
    cache = Cache(tmp_path, "md", "s")
    cache.put_bytes(cache.key("a"), b"1")
    cache.clear()
    assert cache.get_bytes(cache.key("a")) is None
    null = NullCache(tmp_path)
    null.put(null.key("a"), 1)
    assert null.get(null.key("a")) is MISS
    assert not (tmp_path / CACHE_DIR / "null").exists()


@pytest.mark.parametrize("bad", ["", "../up", "a/b", "x y"])
def test_namespace_must_be_a_plain_name(tmp_path, bad):
    with pytest.raises(ValueError):
        Cache(tmp_path, bad, "s")


def test_keys_must_come_from_key(tmp_path):
    cache = Cache(tmp_path, "md", "s")
    with pytest.raises(ValueError):
        cache.get_bytes("../../etc/passwd")


def test_fingerprint_is_stable_across_processes():
    code = "from folio.cache import code_fingerprint; print(code_fingerprint())"
    env = {**os.environ, "PYTHONHASHSEED": "123"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, check=True).stdout.strip()
    assert out == code_fingerprint()
    assert len(out) == 32


def test_in_dir_names_the_cache_folder(tmp_path):
    cache = Cache.in_dir(tmp_path / "elsewhere", "images", "s", version="1")
    key = cache.key("k")
    cache.put_bytes(key, b"v")
    assert (tmp_path / "elsewhere" / "images" / key[:2] / key).is_file()
    assert (tmp_path / "elsewhere" / "CACHEDIR.TAG").is_file()
    assert not (tmp_path / CACHE_DIR).exists()


def test_an_entry_read_through_a_second_name(tmp_path):
    """`get_bytes_at` reads an entry through a hard link of its file (how a build that
    spills takes cached cards): the payload, its full SHA-256 and where it starts;
    a damaged file is a miss and the entry is discarded; NullCache reads nothing."""
    import hashlib

    from folio.cache import PAYLOAD_OFFSET

    cache = Cache(tmp_path, "og", "s")
    key = cache.key("card")
    cache.put_bytes(key, b"JPEG bytes")
    link = tmp_path / "second-name"
    os.link(cache.path_of(key), link)
    data, digest = cache.get_bytes_at(key, link)
    assert data == b"JPEG bytes" and digest == hashlib.sha256(data).hexdigest()
    assert link.read_bytes()[PAYLOAD_OFFSET:] == data
    damaged = bytearray(link.read_bytes())
    damaged[-1] ^= 0xFF
    other = tmp_path / "damaged"
    other.write_bytes(bytes(damaged))
    assert cache.get_bytes_at(key, other) is None
    assert not cache.path_of(key).exists(), "the damaged entry is discarded by its key"
    assert NullCache(tmp_path, "og").get_bytes_at(key, link) is None
