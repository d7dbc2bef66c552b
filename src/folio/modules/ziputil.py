"""Byte-identical zip files: fixed timestamps and modes, sorted entries."""

from __future__ import annotations

import io
import zipfile

FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip can hold

# Formats that are compressed already: deflating them again costs most of a package's
# build time (the images of a module, once per package) and saves nothing.
STORED_SUFFIXES = (".avif", ".gif", ".gz", ".jpeg", ".jpg", ".mp3", ".mp4", ".png", ".webm",
                   ".webp", ".woff", ".woff2", ".zip")


def deterministic_zip(files: dict[str, bytes], first: tuple[str, ...] = ()) -> bytes:
    """Zip `files`; names in `first` lead (manifests), the rest follow sorted."""
    order = [name for name in first if name in files]
    order += sorted(name for name in files if name not in order)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name in order:
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            stored = name.lower().endswith(STORED_SUFFIXES)
            info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
            info.external_attr = (0o100644 << 16)
            info.create_system = 3  # Unix, so the mode bits mean the same everywhere
            archive.writestr(info, files[name])
    return buffer.getvalue()
