"""Test inputs for images, cards, search and doctor: photos with camera metadata."""

from __future__ import annotations

import io

from folio_testing import CHROMIUM, CHROMIUM_ARGS  # noqa: F401

GPS_IFD = 0x8825
ORIENTATION = 0x0112


def photo_bytes(width: int = 2400, height: int = 1600, fmt: str = "JPEG",
                orientation: int | None = None, gps: bool = True, mode: str = "RGB") -> bytes:
    """A photo-like image carrying camera metadata (GPS, make, XMP) like a phone's."""
    from PIL import Image, ImageDraw

    im = Image.new(mode, (width, height), (30, 90, 160) if mode == "RGB" else (30, 90, 160, 200))
    draw = ImageDraw.Draw(im)
    for i in range(0, width, max(1, width // 12)):  # some structure so encoders work
        draw.rectangle([i, 0, i + width // 24, height // 2], fill=(200, i % 255, 40))
    draw.rectangle([0, 0, width // 10, height // 10], fill=(255, 255, 0))  # top-left marker
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    if orientation:
        exif[ORIENTATION] = orientation
    if gps:
        exif[GPS_IFD] = {1: "N", 2: (48.0, 51.0, 29.0), 3: "E", 4: (2.0, 17.0, 40.0)}
    buf = io.BytesIO()
    extra = {"exif": exif}
    if fmt in ("JPEG", "WEBP"):
        extra["xmp"] = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF/></x:xmpmeta>'
    im.save(buf, fmt, **extra)
    return buf.getvalue()


