"""Images under assets/ -> responsive variants, without the camera's metadata.

Each raster image becomes WebP variants at :data:`WIDTHS` (never upscaled) and
a fallback in its own format capped at :data:`FALLBACK_WIDTH`, published at the
original path so plain links keep working. Every published file is re-encoded
from pixels only: EXIF (GPS, camera serials), XMP and text chunks are dropped,
the EXIF orientation is applied first, and the ICC profile is kept for colour.
Animated GIF and WebP are published unchanged, without variants (resizing would
drop the animation).

Encoding is the slow part, so results go to folio's build cache
(`cache_dir`, normally ``<site>/.folio-cache/images/``; :mod:`folio.cache`)
keyed by sha256(source bytes) + every parameter + :data:`PIPELINE_VERSION` +
Pillow's version; a warm rebuild reads the cache and encodes nothing
(:attr:`ImagePipeline.encodes` counts encoder calls so tests can prove it).
A damaged entry fails its digest, is discarded and regenerated. Same input
bytes, same output bytes.

Pillow is imported lazily (cold start matters for `folio --version`).
"""

from __future__ import annotations

import hashlib
import html
import json
import math
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from .cache import Cache, FileBytes, NullCache
from .errors import Report, closest
from .model import Image as ImageRef
from .model import Site
from .parallel import default_jobs
from .urls import with_base

__all__ = [
    "FALLBACK_WIDTH", "PIPELINE_VERSION", "RASTER_SUFFIXES", "WIDTHS",
    "ImageInfo", "ImagePipeline", "ImageResult", "NamedImage", "Variant",
    "check_refs", "counters", "image_refs", "is_raster", "open_cache", "picture_html",
]

PIPELINE_VERSION = "1"
WIDTHS: tuple[int, ...] = (480, 960, 1600)
FALLBACK_WIDTH = 1600
WEBP_QUALITY = 80
JPEG_QUALITY = 82
RASTER_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp", ".gif", ".tif", ".tiff",
                             ".bmp", ".avif"})
counters: Counter[str] = Counter()  # "encodes" across all pipelines (tests of warm builds)
ALT_REQUIRED = frozenset({"cover", "gallery"})  # a profile photo's alt is the person's name
MAX_PIXELS = 80_000_000  # a 10,000 x 8,000 photo; beyond that is a mistake or a bomb

_MIME = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "GIF": "image/gif"}
_EXT = {"JPEG": ".jpg", "PNG": ".png", "WEBP": ".webp", "GIF": ".gif"}
_SAME_SUFFIXES = {".jpg": {".jpg", ".jpeg"}}


def is_raster(src: str) -> bool:
    """True for the image files this pipeline resizes (SVG and PDF are copied as they are)."""
    return PurePosixPath(src).suffix.lower() in RASTER_SUFFIXES


@dataclass(frozen=True, slots=True)
class Variant:
    url: str  # site-relative, "/assets/boxly/cover.jpg.480w.webp"
    width: int
    height: int
    mime: str


@dataclass(frozen=True, slots=True)
class ImageInfo:
    """What templates need to write <picture>: sizes and URLs, no pixels."""

    src: str  # site-relative source path, "assets/boxly/cover.jpg"
    width: int  # after orientation, before resizing
    height: int
    variants: tuple[Variant, ...]  # WebP, narrowest first
    fallback: Variant  # original format, capped width, at the original URL

    @property
    def largest(self) -> Variant:
        return self.variants[-1] if self.variants else self.fallback

    def srcset(self, base_path: str = "/") -> str:
        return ", ".join(f"{with_base(base_path, v.url)} {v.width}w" for v in self.variants)


@dataclass(slots=True)
class ImageResult:
    infos: dict[str, ImageInfo] = field(default_factory=dict)  # src -> info
    files: dict[str, bytes] = field(default_factory=dict)  # output path -> bytes
    report: Report = field(default_factory=Report)


@dataclass(frozen=True, slots=True)
class NamedImage:
    """An image named in front matter, with the file and line that named it."""

    image: ImageRef
    path: str  # the content file
    kind: str  # "cover", "gallery", "photo"

    @property
    def line(self) -> int | None:
        return self.image.line or None


# -- on-disk cache -------------------------------------------------------------------

def open_cache(folder: Path | None, namespace: str, version: str) -> Cache:
    """folio's build cache (:mod:`folio.cache`) in `folder`, e.g. `<site>/.folio-cache/images`.

    The version is this stage's own (pipeline version + Pillow), not folio's code
    fingerprint: editing an unrelated module must not re-encode every image.
    """
    if folder is None:
        return NullCache()
    folder = Path(folder)
    cache = Cache(folder.parent, namespace, salt="", version=version)
    cache.base, cache.dir = folder.parent, folder  # the caller names the folder itself
    return cache


# -- the pipeline --------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class _Encoded:
    """One processed image: its info as plain data, and the blobs by output path."""

    meta: dict
    blobs: dict[str, bytes]
    encodes: int


class ImagePipeline:
    """Turns site images into variants; keep one per site to reuse its memory cache."""

    def __init__(self, site_dir: Path, cache_dir: Path | None, *,
                 widths: Sequence[int] = WIDTHS, fallback_width: int = FALLBACK_WIDTH,
                 quality: int = WEBP_QUALITY, jobs: int | None = None) -> None:
        self.site_dir = Path(site_dir)
        self.cache = open_cache(cache_dir, "images", f"{PIPELINE_VERSION} {_pillow_version()}")
        self.widths = tuple(sorted(set(widths)))
        self.fallback_width = fallback_width
        self.quality = quality
        self.jobs = jobs or min(8, default_jobs())
        self.encodes = 0  # encoder calls made by this pipeline, for tests and timings
        self._memory: dict[str, _Encoded] = {}
        self._previous: dict[str, _Encoded] = {}
        self._lock = threading.Lock()
        # Unchanged files (same mtime, size, inode) are not read or hashed again.
        self._bytes = FileBytes()
        self._keys: dict[str, tuple[bytes, str]] = {}  # src -> (the bytes hashed, key)

    def process(self, srcs: Iterable[str], refs: Iterable[NamedImage] = ()) -> ImageResult:
        """Process every image in `srcs`; check `refs` (images named in content) against them."""
        result = ImageResult()
        self._previous, self._memory = self._memory, {}  # keep only what this build uses
        todo: list[tuple[str, bytes, str]] = []
        for src in sorted(set(srcs)):
            if not is_raster(src):
                continue
            data = self._read(src, result.report)
            if data is not None:
                todo.append((src, data, self._key(src, data)))
        self._bytes.retain(src for src, _d, _k in todo)  # forget removed images
        self._keys = {src: (data, key) for src, data, key in todo}
        with self._lock:
            misses = sum(1 for src, _d, key in todo
                         if f"{key}:{src}" not in self._previous and f"{key}:{src}" not in self._memory)
        if misses > 1 and self.jobs > 1:
            with ThreadPoolExecutor(self.jobs) as pool:
                done = list(pool.map(lambda job: self._one(*job), todo))
        else:  # all (but one) in memory: a pool would cost more than the lookups
            done = [self._one(*job) for job in todo]
        for (src, _data, _key), (encoded, problem) in zip(todo, done, strict=True):
            if encoded is None:
                result.report.error(problem or "cannot read image", src,
                                    hint="open and re-save it in an image editor, or remove it")
                continue
            info = _info_from_meta(src, encoded.meta)
            result.infos[src] = info
            result.files.update(encoded.blobs)
        _check_collisions(result, set(srcs))
        result.report.extend(check_refs(refs, result.infos, srcs))
        return result

    # -- per image -------------------------------------------------------------------
    def _read(self, src: str, report: Report) -> bytes | None:
        path = self.site_dir / src
        try:
            real = path.resolve(strict=True)
        except (OSError, RuntimeError):
            report.error("image file not found", src)
            return None
        if not real.is_relative_to(self.site_dir.resolve()):
            report.error("image is a link to a file outside the site", src,
                         hint="copy the file into assets/ instead of linking to it")
            return None
        try:
            return self._bytes.read(real, src)
        except OSError as exc:
            report.error(f"cannot read image: {exc.strerror}", src)
            return None

    def _key(self, src: str, data: bytes) -> str:
        known = self._keys.get(src)
        if known is not None and known[0] is data:  # the same bytes object: an unchanged file
            return known[1]
        params = json.dumps([self.widths, self.fallback_width, self.quality, JPEG_QUALITY])
        return self.cache.key(hashlib.sha256(data).digest(), params)

    def _one(self, src: str, data: bytes, key: str) -> tuple[_Encoded | None, str | None]:
        memo_key = f"{key}:{src}"
        with self._lock:
            hit = self._previous.get(memo_key) or self._memory.get(memo_key)
        if hit is not None:
            with self._lock:
                self._memory[memo_key] = hit
            return hit, None
        cached = self.cache.get(key, None)
        if isinstance(cached, tuple) and len(cached) == 2:
            meta, blobs = cached
            encoded = _Encoded(meta, _place_blobs(src, meta, blobs), 0)
        else:
            try:
                meta, blobs, count = _encode(data, self.widths, self.fallback_width,
                                             self.quality)
            except _ImageProblem as exc:
                return None, str(exc)
            self.cache.put(key, (meta, blobs))
            encoded = _Encoded(meta, _place_blobs(src, meta, blobs), count)
        with self._lock:
            self.encodes += encoded.encodes
            counters["encodes"] += encoded.encodes
            self._memory[memo_key] = _Encoded(encoded.meta, encoded.blobs, 0)
        return encoded, None


class _ImageProblem(Exception):
    pass


def _pillow_version() -> str:
    from importlib.metadata import version

    return version("Pillow")


def _encode(data: bytes, widths: tuple[int, ...], fallback_width: int,
            quality: int) -> tuple[dict, dict[str, bytes], int]:
    """Decode once, orient, then encode each variant. Blob names are relative ("480w.webp")."""
    import io

    from PIL import Image, ImageOps, UnidentifiedImageError

    try:  # Pillow warns above 89 Mpx; MAX_PIXELS refuses before decoding
        im = Image.open(io.BytesIO(data))
        fmt = im.format or ""
        raw_w, raw_h = im.size
        if raw_w * raw_h > MAX_PIXELS:
            raise _ImageProblem(f"image is {raw_w}x{raw_h} pixels; the limit is "
                                f"{MAX_PIXELS:,} pixels")
        if getattr(im, "is_animated", False):
            return _passthrough(data, fmt, raw_w, raw_h)
        orientation = im.getexif().get(0x0112, 1)
        turned = orientation in (5, 6, 7, 8)
        width, height = (raw_h, raw_w) if turned else (raw_w, raw_h)
        biggest = min(max(max(widths), fallback_width), width)
        if fmt == "JPEG" and biggest < width:  # decode at a reduced scale: much faster
            scale = biggest / width
            need = (math.ceil(raw_w * scale), math.ceil(raw_h * scale))
            im.draft(None, need)  # type: ignore[arg-type]
        icc = im.info.get("icc_profile")
        im = ImageOps.exif_transpose(im)
        im.load()
    except _ImageProblem:
        raise
    except UnidentifiedImageError:
        raise _ImageProblem("not an image in a format folio reads (JPEG, PNG, WebP, GIF, "
                            "TIFF, BMP, AVIF)") from None
    except Image.DecompressionBombError:
        raise _ImageProblem("image has too many pixels to be decoded safely") from None
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        raise _ImageProblem(f"image file is damaged or truncated ({exc})") from None

    im = _normalise_mode(im)
    im.info = {}  # drop EXIF, XMP, comments, text chunks: only pixels are published
    has_alpha = im.mode in ("RGBA", "LA")
    fallback_fmt = fmt if fmt in ("JPEG", "PNG", "WEBP") else (
        "PNG" if has_alpha or fmt == "GIF" else "JPEG")
    variant_widths = sorted({min(w, width) for w in widths})
    fw = min(fallback_width, width)
    sized = _resized(im, width, height, [*variant_widths, fw])
    blobs: dict[str, bytes] = {}
    variants = []
    for w in variant_widths:
        name = f"{w}w.webp"
        blobs[name] = _save(sized[w], "WEBP", quality, icc)
        variants.append({"name": name, "width": w, "height": sized[w].height,
                         "mime": _MIME["WEBP"]})
    fallback = {"name": "fallback" + _EXT[fallback_fmt], "width": fw,
                "height": sized[fw].height, "mime": _MIME[fallback_fmt]}
    blobs[fallback["name"]] = _save(sized[fw], fallback_fmt, quality, icc)
    count = len(blobs)
    meta = {"width": width, "height": height, "variants": variants, "fallback": fallback}
    return meta, blobs, count


def _passthrough(data: bytes, fmt: str, w: int, h: int) -> tuple[dict, dict[str, bytes], int]:
    name = "fallback" + _EXT.get(fmt, ".bin")
    fallback = {"name": name, "width": w, "height": h,
                "mime": _MIME.get(fmt, "application/octet-stream"), "verbatim": True}
    return {"width": w, "height": h, "variants": [], "fallback": fallback}, {name: data}, 0


def _normalise_mode(im):
    if im.mode in ("RGB", "RGBA", "L"):
        return im
    if im.mode in ("LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        return im.convert("RGBA")
    return im.convert("RGB")  # CMYK, I;16, P without transparency...


def _resized(im, width: int, height: int, targets: list[int]) -> dict:
    """Each target width once, widest first, each from the previous (cheaper than from full)."""
    from PIL import Image

    out: dict = {}
    current = im
    for w in sorted(set(targets), reverse=True):
        size = (w, max(1, round(height * w / width)))
        if current.size != size:
            current = current.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
        out[w] = current
    return out


def _save(im, fmt: str, quality: int, icc: bytes | None) -> bytes:
    import io

    out = im.convert("RGB") if fmt == "JPEG" and im.mode not in ("RGB", "L") else im
    out.info = {}
    options: dict = {}
    if icc:
        options["icc_profile"] = icc
    if fmt == "WEBP":
        options.update(quality=quality, method=4)
    elif fmt == "JPEG":
        options.update(quality=JPEG_QUALITY, optimize=True, progressive=True)
    elif fmt == "PNG":
        options.update(optimize=True)
    buf = io.BytesIO()
    out.save(buf, fmt, **options)
    return buf.getvalue()


def _variant_path(src: str, name: str) -> str:
    """Where a blob is published: the fallback at the source path, variants beside it."""
    p = PurePosixPath(src)
    if name.startswith("fallback"):
        ext = name[len("fallback"):]
        same = p.suffix.lower() in _SAME_SUFFIXES.get(ext, {ext})
        return src if same else f"{src}{ext}"  # scan.tiff -> scan.tiff.jpg
    return f"{src}.{name}"  # cover.jpg -> cover.jpg.480w.webp (cover.png cannot collide)


def _place_blobs(src: str, meta: dict, blobs: dict[str, bytes]) -> dict[str, bytes]:
    wanted = [v["name"] for v in meta["variants"]] + [meta["fallback"]["name"]]
    return {_variant_path(src, n): blobs[n] for n in wanted}


def _info_from_meta(src: str, meta: dict) -> ImageInfo:
    def variant(v: dict) -> Variant:
        return Variant("/" + _variant_path(src, v["name"]), v["width"], v["height"], v["mime"])

    return ImageInfo(src, meta["width"], meta["height"],
                     tuple(variant(v) for v in meta["variants"]), variant(meta["fallback"]))


def _check_collisions(result: ImageResult, srcs: set[str]) -> None:
    for info in result.infos.values():
        for v in info.variants:
            if v.url[1:] in srcs:
                result.report.error(f"the resized copy {v.url[1:]} would overwrite an asset "
                                    "with the same name", info.src,
                                    hint="rename one of the two files")


# -- references from content ---------------------------------------------------------

def image_refs(site: Site) -> list[NamedImage]:
    """Every image named in front matter (profile photo, covers, galleries)."""
    refs: list[NamedImage] = []
    if site.profile.photo is not None:
        refs.append(NamedImage(site.profile.photo, site.profile.source.path, "photo"))
    for case in site.case_studies:
        if case.cover is not None:
            refs.append(NamedImage(case.cover, case.source.path, "cover"))
        refs.extend(NamedImage(img, case.source.path, "gallery") for img in case.gallery)
    for module in site.modules:
        if module.cover is not None:
            refs.append(NamedImage(module.cover, module.source.path, "cover"))
    return refs


def check_refs(refs: Iterable[NamedImage], infos: dict[str, ImageInfo],
               srcs: Iterable[str] = ()) -> Report:
    """Missing images are errors at the naming line; gallery images need alt text."""
    report = Report()
    known = set(infos) | set(srcs)
    for ref in refs:
        src = ref.image.src
        if src not in known:  # (a file that exists but does not decode is reported itself)
            guess = closest(src, known)
            report.error(f"image not found: {src}", ref.path, ref.line,
                         hint=f"did you mean '{guess}'?" if guess
                         else "put the file under assets/ and name it relative to the site")
        elif ref.kind in ALT_REQUIRED and not ref.image.alt.strip():
            report.warn(f"{ref.kind} image {src} has no alt text", ref.path, ref.line,
                        hint="describe what it shows, e.g. {src: ..., alt: Dashboard with "
                             "weekly churn}")
    return report


# -- markup --------------------------------------------------------------------------

def picture_html(info: ImageInfo, alt: str, base_path: str = "/", *,
                 sizes: str = "(min-width: 60rem) 60rem, 100vw", css_class: str = "",
                 loading: str = "lazy") -> str:
    """<picture> with a WebP srcset and the fallback <img> (width, height, lazy, async)."""
    e = html.escape
    fb = info.fallback
    img = (f'<img src="{e(with_base(base_path, fb.url))}" alt="{e(alt)}" width="{fb.width}" '
           f'height="{fb.height}" loading="{e(loading)}" decoding="async"'
           + (f' class="{e(css_class)}"' if css_class else "") + ">")
    if not info.variants:
        return img
    return (f'<picture><source type="image/webp" srcset="{e(info.srcset(base_path))}" '
            f'sizes="{e(sizes)}">{img}</picture>')

