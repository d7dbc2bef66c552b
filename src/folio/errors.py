"""One error type that knows where it happened.

Every problem folio reports to a person is a :class:`Diagnostic`: a message tied
to a file, line and column, printed the way compilers print them
(``path:line:col: error: message``) so editors can jump to it. Stages collect
diagnostics in a :class:`Report` and raise :class:`BuildFailed` once, so a user
sees every bad file in one run instead of fixing them one by one.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field

__all__ = [
    "BuildFailed",
    "Diagnostic",
    "FolioError",
    "Report",
    "closest",
    "printable",
]


def printable(text: str) -> str:
    """Escape control characters so a hostile file name cannot drive the terminal."""
    return "".join(
        ch if ch.isprintable() or ch == " " else ch.encode("unicode_escape").decode("ascii")
        for ch in text
    )


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """A problem in one place of the user's files."""

    message: str
    path: str | None = None
    line: int | None = None
    col: int | None = None
    hint: str | None = None
    severity: str = "error"  # "error" or "warning"
    source_line: str | None = None

    @property
    def location(self) -> str:
        parts = [printable(self.path) if self.path else "folio"]
        if self.line is not None:
            parts.append(str(self.line))
            if self.col is not None:
                parts.append(str(self.col))
        return ":".join(parts)

    def headline(self) -> str:
        return f"{self.location}: {self.severity}: {self.message}"

    def format(self) -> str:
        """The compiler-style block: headline, the source line with a caret, the hint."""
        lines = [self.headline()]
        if self.source_line is not None:
            src = printable(self.source_line.rstrip("\n"))[:200]
            lines.append(f"    {src}")
            if self.col:
                lines.append("    " + " " * (min(self.col, len(src) + 1) - 1) + "^")
        if self.hint:
            lines.append(f"  hint: {self.hint}")
        return "\n".join(lines)

    def sort_key(self) -> tuple:
        return (self.path or "", self.line or 0, self.col or 0, self.message)

    def with_source(self, text: str | None) -> Diagnostic:
        """Attach the offending line from the file's text, if we have both."""
        if text is None or self.line is None or self.source_line is not None:
            return self
        all_lines = text.split("\n")
        if 1 <= self.line <= len(all_lines):
            return _replace(self, source_line=all_lines[self.line - 1])
        return self


def _replace(d: Diagnostic, **changes) -> Diagnostic:
    from dataclasses import replace

    return replace(d, **changes)


def _rebuild(cls: type, args: tuple, state: dict) -> FolioError:
    err = cls.__new__(cls)
    err.args = args
    err.__dict__.update(state)
    return err


class FolioError(Exception):
    """A problem in the user's files or options, with where it happened."""

    def __reduce__(self):  # crosses process boundaries (worker pools) intact
        return (_rebuild, (type(self), self.args, dict(self.__dict__)))

    def __init__(
        self,
        message: str,
        path: str | None = None,
        line: int | None = None,
        col: int | None = None,
        hint: str | None = None,
        source_line: str | None = None,
    ) -> None:
        self.diagnostic = Diagnostic(message, path, line, col, hint, "error", source_line)
        super().__init__(self.diagnostic.headline())

    @classmethod
    def of(cls, diagnostic: Diagnostic) -> FolioError:
        err = cls(diagnostic.message)
        err.diagnostic = diagnostic
        err.args = (diagnostic.headline(),)
        return err

    @property
    def diagnostics(self) -> tuple[Diagnostic, ...]:
        return (self.diagnostic,)

    def format(self) -> str:
        return "\n".join(d.format() for d in self.diagnostics)


class BuildFailed(FolioError):
    """Several errors found in one run, reported together."""

    def __init__(self, diagnostics: Iterable[Diagnostic]) -> None:
        self._all = tuple(sorted(diagnostics, key=Diagnostic.sort_key))
        first = self._all[0] if self._all else Diagnostic("build failed")
        super().__init__(first.message, first.path, first.line, first.col, first.hint)
        self.args = (f"{len(self._all)} error(s); first: {first.headline()}",)

    @property
    def diagnostics(self) -> tuple[Diagnostic, ...]:
        return self._all


@dataclass(slots=True)
class Report:
    """Collects diagnostics of one stage so every bad file is reported in one run."""

    errors: list[Diagnostic] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)

    def error(self, message: str, path: str | None = None, line: int | None = None,
              col: int | None = None, hint: str | None = None) -> None:
        self.errors.append(Diagnostic(message, path, line, col, hint, "error"))

    def warn(self, message: str, path: str | None = None, line: int | None = None,
             col: int | None = None, hint: str | None = None) -> None:
        self.warnings.append(Diagnostic(message, path, line, col, hint, "warning"))

    def add(self, err: FolioError) -> None:
        self.errors.extend(err.diagnostics)

    def extend(self, other: Report) -> None:
        self.errors.extend(other.errors)
        self.warnings.extend(other.warnings)

    def raise_if_errors(self) -> None:
        if self.errors:
            raise BuildFailed(self.errors)


def closest(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate a typo most likely meant, for "did you mean" hints."""
    found = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return found[0] if found else None


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance; SPEC warns for known fields misspelt by 1-2 edits."""
    if a == b:
        return 0
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]
