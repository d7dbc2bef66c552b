"""The text of social cards: fonts, measuring, wrapping and fitting lines.

DejaVu Sans when the machine has it (found in the usual folders or by fc-match),
else Pillow's built-in scalable font; `font_identity` names the files, so the card
cache changes with them. Measuring is the costly part of laying out a card, so
word widths and the extent of ASCII lines are remembered across cards.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from functools import lru_cache

__all__ = ["card_font", "clip_lines", "extent", "fit_line", "font_file", "font_identity", "wrap"]

_FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu",
              "/usr/share/fonts/TTF", "/usr/local/share/fonts", "/Library/Fonts")


@lru_cache(maxsize=2)
def font_file(bold: bool) -> str | None:
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    for folder in _FONT_DIRS:
        if os.path.isfile(os.path.join(folder, name)):
            return os.path.join(folder, name)
    if shutil.which("fc-match"):
        try:
            found = subprocess.run(["fc-match", "-f", "%{file}",
                                    "DejaVu Sans:bold" if bold else "DejaVu Sans"],
                                   capture_output=True, text=True, timeout=5).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            found = ""
        if found.endswith(name) and os.path.isfile(found):
            return found
    return None


_fonts = threading.local()  # FreeType faces are not shared between threads (folio serve)


def card_font(size: int, bold: bool):
    from PIL import ImageFont

    cache = _fonts.__dict__.setdefault("by_size", {})
    if (size, bold) not in cache:
        path = font_file(bold)
        cache[size, bold] = (ImageFont.truetype(path, size) if path
                             else ImageFont.load_default(size=size))
    return cache[size, bold]


def font_identity() -> str:
    parts = []
    for bold in (False, True):
        path = font_file(bold)
        parts.append(f"{path}:{os.path.getsize(path)}" if path else "builtin")
    return "|".join(parts)


def extent(text: str, font) -> tuple[int, int]:
    """Top and bottom of a line's ink, from the y it is drawn at (single lines only).

    Laying a line out costs as much as measuring it; an ASCII line lies within the
    extent of all printable ASCII glyphs, measured once per font.
    """
    if text.isascii():
        return _ascii_extent(font)
    _left, top, _right, bottom = font.getbbox(text)
    return top, bottom


@lru_cache(maxsize=16)
def _ascii_extent(font) -> tuple[int, int]:
    _left, top, _right, bottom = font.getbbox("".join(map(chr, range(33, 127))))
    return top, bottom


def wrap(text: str, font, max_width: int) -> list[str]:
    """Greedy word wrap by measured width; words wider than a line are split.

    Word widths are remembered across cards, and an ASCII line's width is the sum
    of its words' and spaces' (the card fonts kern no ASCII pair across a space),
    so only lines within a few pixels of the limit are measured whole.
    """
    lines: list[str] = []
    current, width = "", 0.0
    space, slack = _length(font, " "), getattr(font, "size", 64) / 4
    for word in text.split():
        while _length(font, word) > max_width and len(word) > 1:
            cut = len(word)
            while cut > 1 and font.getlength(word[:cut]) > max_width:
                cut -= 1
            if current:
                lines.append(current)
                current = ""
            lines.append(word[:cut])
            word = word[cut:]
        if not current:
            current, width = word, _length(font, word)
            if width > max_width:  # one character wider than the line
                lines.append("")
            continue
        candidate = f"{current} {word}"
        estimate = width + space + _length(font, word)
        if candidate.isascii() and abs(estimate - max_width) > slack:
            fits = estimate <= max_width
        else:
            estimate = font.getlength(candidate)
            fits = estimate <= max_width
        if fits:
            current, width = candidate, estimate
        else:
            lines.append(current)
            current, width = word, _length(font, word)
    if current:
        lines.append(current)
    return lines or [""]


@lru_cache(maxsize=4096)
def _length(font, text: str) -> float:
    return font.getlength(text)


def clip_lines(lines: list[str], max_lines: int, font, max_width: int) -> list[str]:
    if len(lines) <= max_lines:
        return lines
    kept = lines[:max_lines]
    kept[-1] = fit_line(kept[-1] + " " + lines[max_lines], font, max_width, force=True)
    return kept


def fit_line(text: str, font, max_width: int, force: bool = False) -> str:
    """The text on one line (Raqm cannot lay out a line break), cut with an ellipsis
    if it does not fit (or if `force`)."""
    text = " ".join(text.split())
    if not force and font.getlength(text) <= max_width:
        return text
    while text and font.getlength(text + "…") > max_width:
        text = text[:-1]
    return text.rstrip() + "…"
