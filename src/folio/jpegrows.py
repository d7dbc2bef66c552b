"""JPEG files cut at their restart markers, so that a few block rows can be re-encoded.

Social cards share everything but their text; :mod:`folio.social` encodes the
shared base once and, per card, only the band of rows the text touches.
"""

from __future__ import annotations

import re

__all__ = ["JpegRows"]


class JpegRows:
    """A JPEG with a restart marker after every row of 8x8 blocks, cut at the markers.

    After a restart marker the encoder starts afresh (DC prediction reset, byte
    aligned), so each block row's bytes depend only on its own pixels. A card
    differs from the base only in the rows its text touches: encode that band
    alone and put its rows in place of the base's, and the file is byte for byte
    what encoding the whole card gives; a test checks the splice. Quality 90 with
    the usual 4:2:0 chroma subsampling: without it a card took 40% longer to encode
    and was 15% larger, for a difference in coloured text edges that shows only
    zoomed in (bench/README.md). Restart markers need Pillow 10.2; an older one
    writes none, and `rows` is then the whole scan as one row.
    """

    ROW = 16  # pixel rows per row of MCUs: 16 with 4:2:0 subsampling
    OPTIONS = {"quality": 90, "subsampling": 2, "restart_marker_rows": 1}
    _MARKER = re.compile(rb"\xff[\xd0-\xd7]")

    __slots__ = ("header", "rows")

    def __init__(self, header: bytes, rows: list[bytes]) -> None:
        self.header, self.rows = header, rows

    @classmethod
    def encode(cls, image) -> JpegRows:
        import io

        buf = io.BytesIO()
        image.save(buf, "JPEG", **cls.OPTIONS)
        data = buf.getvalue()
        pos = 2  # after SOI: marker segments up to and including start of scan
        while data[pos + 1] != 0xDA:
            pos += 2 + int.from_bytes(data[pos + 2:pos + 4], "big")
        pos += 2 + int.from_bytes(data[pos + 2:pos + 4], "big")
        assert data.endswith(b"\xff\xd9")
        return cls(data[:pos], cls._MARKER.split(data[pos:-2]))

    def splice(self, band: JpegRows, first_row: int) -> bytes:
        """This image's file with rows from `first_row` on replaced by `band`'s rows."""
        rows = self.rows[:first_row] + band.rows + self.rows[first_row + len(band.rows):]
        assert len(rows) == len(self.rows)
        out = [self.header, rows[0]]
        for i, row in enumerate(rows[1:]):
            out += (_RESTART[i % 8], row)
        out.append(b"\xff\xd9")
        return b"".join(out)


_RESTART = tuple(bytes((0xFF, 0xD0 + n)) for n in range(8))
