"""Stage outputs reused while everything they read is unchanged.

A stage (LMS packages, social cards, the search index, compiled templates)
hands over its inputs; the output is reused when they are the same objects or
pickle to the same digest, from memory in `folio serve` and from
`.folio-cache/` across processes. Whatever is reused equals what the stage
would make again: the digest covers every input it reads.
"""

from __future__ import annotations

import hashlib
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .cache import MISS, Cache, NullCache

__all__ = ["StageMemo", "TemplateBytecodeCache"]


class StageMemo:
    """Outputs ({path: bytes}) of named stages, by a digest of their inputs."""

    def __init__(self, root: Path, persistent: bool = True) -> None:
        self.root = root
        self.persistent = persistent
        # False: outputs go to disk only, never kept here (a one-shot build that
        # spills its outputs must not hold them in this memo instead).
        self.in_memory = True
        self.entries: dict[tuple[str, str], tuple[Any, str, dict[str, bytes]]] = {}

    def run(self, namespace: str, inputs: Any, make: Callable[[], dict[str, bytes]],
            name: str = "") -> dict[str, bytes]:
        digest, out = self.get(namespace, name, inputs)
        if out is None:
            out = make()
            self.put(namespace, name, inputs, digest, out)
        return out

    def get(self, namespace: str, name: str, inputs: Any) -> tuple[str, dict | None]:
        """(digest of the inputs, the output made from them before, or None)."""
        memo = self.entries.get((namespace, name))
        if memo is not None and memo[0] == inputs:  # mostly the same objects: cheap
            return memo[1], memo[2]
        digest = hashlib.blake2b(pickle.dumps(inputs, protocol=5), digest_size=20).hexdigest()
        if memo is not None and memo[1] == digest:
            self.entries[(namespace, name)] = (inputs, digest, memo[2])
            return digest, memo[2]
        disk = self._disk(namespace)
        out = disk.get(disk.key(digest))
        if out is MISS or not isinstance(out, dict):
            return digest, None
        if self.in_memory:
            self.entries[(namespace, name)] = (inputs, digest, out)
        return digest, out

    def put(self, namespace: str, name: str, inputs: Any, digest: str, out: dict) -> None:
        self.save(namespace, digest, out)
        if self.in_memory:
            self.entries[(namespace, name)] = (inputs, digest, out)

    def save(self, namespace: str, digest: str, out: dict) -> None:
        """On disk only (a worker process has no memo to keep it in)."""
        disk = self._disk(namespace)
        disk.put(disk.key(digest), out)

    def _disk(self, namespace: str) -> Cache:
        return Cache(self.root, namespace, "") if self.persistent else NullCache()


class TemplateBytecodeCache:
    """A jinja2 BytecodeCache over a dict and the persistent cache."""

    def __init__(self, disk: Any) -> None:
        import jinja2

        class _Cache(jinja2.BytecodeCache):
            def load_bytecode(inner, bucket) -> None:  # noqa: N805
                data = self.memory.get(bucket.key)
                if data is None:
                    data = disk.get_bytes(disk.key(bucket.key))
                    if data is not None:
                        self.memory[bucket.key] = data
                if data is not None:
                    bucket.bytecode_from_string(data)

            def dump_bytecode(inner, bucket) -> None:  # noqa: N805
                data = bucket.bytecode_to_string()
                self.memory[bucket.key] = data
                disk.put_bytes(disk.key(bucket.key), data)

        self.memory: dict[str, bytes] = {}
        self.jinja = _Cache()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.jinja, name)
