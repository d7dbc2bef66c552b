"""Read a content file: bytes -> text -> (front matter, body, body's first line).

The rules (RELIABILITY items 15-19), documented once here:

- The file must be UTF-8 (a UTF-8 BOM is dropped). NUL bytes mean a binary
  file; anything else that does not decode is an error naming line and byte.
- CRLF and lone CR become LF before anything else, so output and line numbers
  do not depend on the editor that saved the file.
- Front matter opens with a first line of exactly `---` (trailing spaces
  allowed) and closes with the next line that is `---` or `...`. `----` is
  not a fence. A file without an opening fence has no front matter.
- Empty front matter is `{}`. A list, a scalar, or a missing closing fence is
  an error naming the opening line. TOML (`+++`) is refused with a hint.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .errors import FolioError
from .yamlload import Marked, load_yaml

__all__ = ["SourceText", "decode", "split_front_matter", "read_front_matter", "MAX_FILE_BYTES"]

MAX_FILE_BYTES = 8 * 1024 * 1024
_FENCE = re.compile(r"^---[ \t]*$")
_CLOSE = re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class SourceText:
    """A content file split into its parts, with line numbers kept."""

    meta: Marked
    body: str
    body_line: int  # 1-based line of the body's first line in the file
    head: str = ""  # the fences and YAML before the body (small; the body is most of a file)

    @property
    def text(self) -> str:
        """The whole normalised text, joined on demand: a loaded site keeps one copy of
        each body, and errors quote their lines from the file's bytes."""
        return self.head + self.body


def decode(data: bytes, path: str, max_bytes: int = MAX_FILE_BYTES) -> str:
    """Bytes of a text file -> str with LF line endings, or a FolioError saying why not."""
    if len(data) > max_bytes:
        raise FolioError(f"file is {len(data):,} bytes; the limit is {max_bytes:,}", path,
                         hint="split it, or raise `limits: {max_file_bytes: N}` in folio.yaml")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FolioError("file is UTF-16; folio reads UTF-8", path, 1, 1,
                         hint="re-save the file as UTF-8")
    if b"\x00" in data:
        line = data.count(b"\n", 0, data.index(b"\x00")) + 1
        raise FolioError("binary file (contains NUL bytes), not text", path, line,
                         hint="images and other files belong under assets/ or static/")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise FolioError(
            f"not UTF-8 at line {line}, byte {exc.start} (0x{data[exc.start]:02x})",
            path, line, col, hint="re-save the file as UTF-8",
        ) from None
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def split_front_matter(text: str, path: str) -> tuple[str | None, int, str, int]:
    """-> (yaml text or None, lines before the yaml, body, body's first line)."""
    if text.startswith("+++"):
        raise FolioError("TOML front matter (+++) is not supported", path, 1, 1,
                         hint="use YAML between --- lines")
    first_end = text.find("\n")
    first = text if first_end < 0 else text[:first_end]
    if not _FENCE.match(first):
        return None, 0, text, 1
    close = _CLOSE.search(text, first_end + 1) if first_end >= 0 else None
    if close is not None:  # one slice each, no split of the whole file into lines
        yaml_text = text[first_end + 1:max(close.start() - 1, first_end + 1)]
        end = text.find("\n", close.end())
        body = "" if end < 0 else text[end + 1:]
        return yaml_text, 1, body, text.count("\n", 0, close.start()) + 2
    raise FolioError("front matter opened here is never closed", path, 1, 1,
                     hint="end the front matter with a line of three dashes: ---")


def read_front_matter(data: bytes, path: str, max_bytes: int = MAX_FILE_BYTES) -> SourceText:
    """The whole read of one content file. Raises FolioError, nothing else."""
    text = decode(data, path, max_bytes)
    yaml_text, offset, body, body_line = split_front_matter(text, path)
    meta: Any = Marked()
    if yaml_text is not None and yaml_text.strip():
        meta = load_yaml(yaml_text, path, offset)
        if meta is None:
            meta = Marked()
        elif not isinstance(meta, dict):
            kind = "a list" if isinstance(meta, list) else f"a single {type(meta).__name__} value"
            raise FolioError(f"front matter must be a mapping of fields, got {kind}", path, 1, 1,
                             hint="write fields as `key: value` lines")
    return SourceText(meta, body, body_line, text[:len(text) - len(body)])
