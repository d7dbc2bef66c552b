"""Responsive variants: sizes, formats, metadata stripped, cache reuse, errors."""

from __future__ import annotations

import io
import pickle
from pathlib import Path

import lxml.html
import pytest
from extras_helpers import GPS_IFD, ORIENTATION, photo_bytes
from PIL import Image

from folio import images
from folio.images import ImageInfo, ImagePipeline, NamedImage, Variant, check_refs, picture_html
from folio.model import Image as ImageRef


def open_bytes(data: bytes) -> Image.Image:
    im = Image.open(io.BytesIO(data))
    im.load()
    return im


@pytest.fixture
def site(tmp_path: Path) -> Path:
    (tmp_path / "assets" / "boxly").mkdir(parents=True)
    (tmp_path / "assets" / "boxly" / "cover.jpg").write_bytes(photo_bytes(2400, 1600))
    (tmp_path / "assets" / "small.png").write_bytes(
        photo_bytes(300, 200, fmt="PNG", mode="RGBA"))
    return tmp_path


def test_variants_have_the_right_sizes_and_formats(site):
    result = ImagePipeline(site, None).process(["assets/boxly/cover.jpg", "assets/small.png"])
    assert not result.report.errors
    info = result.infos["assets/boxly/cover.jpg"]
    assert (info.width, info.height) == (2400, 1600)
    assert [v.width for v in info.variants] == [480, 960, 1600]
    for v in info.variants:
        im = open_bytes(result.files[v.url.lstrip("/")])
        assert im.format == "WEBP" and v.mime == "image/webp"
        assert im.size == (v.width, v.height) == (v.width, round(1600 * v.width / 2400))
    assert info.fallback.url == "/assets/boxly/cover.jpg"
    fallback = open_bytes(result.files["assets/boxly/cover.jpg"])
    assert fallback.format == "JPEG" and fallback.size == (1600, 1067)


def test_small_images_are_never_upscaled(site):
    result = ImagePipeline(site, None).process(["assets/small.png"])
    info = result.infos["assets/small.png"]
    assert [(v.width, v.height) for v in info.variants] == [(300, 200)]
    fallback = open_bytes(result.files["assets/small.png"])
    assert fallback.format == "PNG" and fallback.size == (300, 200)
    assert fallback.mode == "RGBA"  # transparency kept
    assert info.fallback.mime == "image/png"


def test_exif_and_gps_are_removed_from_every_published_file(site):
    src = site / "assets" / "boxly" / "cover.jpg"
    assert open_bytes(src.read_bytes()).getexif().get_ifd(GPS_IFD)  # the fixture has GPS
    (site / "assets" / "meta.png").write_bytes(photo_bytes(1000, 500, fmt="PNG"))
    (site / "assets" / "meta.webp").write_bytes(photo_bytes(1000, 500, fmt="WEBP"))
    result = ImagePipeline(site, None).process(
        ["assets/boxly/cover.jpg", "assets/meta.png", "assets/meta.webp"])
    assert len(result.files) == 12
    for path, data in result.files.items():
        im = open_bytes(data)
        exif = im.getexif()
        assert not exif.get_ifd(GPS_IFD), path
        assert len(exif) == 0, (path, dict(exif))
        assert "exif" not in im.info and "xmp" not in im.info, (path, im.info.keys())
        assert b"PhoneMaker" not in data and b"xmpmeta" not in data, path


def test_orientation_is_applied_before_stripping(tmp_path):
    (tmp_path / "assets").mkdir()
    # stored landscape 1200x800 with "rotate 90 CW" (6): displayed portrait 800x1200
    (tmp_path / "assets" / "turned.jpg").write_bytes(photo_bytes(1200, 800, orientation=6))
    result = ImagePipeline(tmp_path, None).process(["assets/turned.jpg"])
    info = result.infos["assets/turned.jpg"]
    assert (info.width, info.height) == (800, 1200)
    im = open_bytes(result.files["assets/turned.jpg"])
    assert im.size == (800, 1200) and ORIENTATION not in im.getexif()
    # the yellow marker drawn top-left in storage ends up top-right once rotated
    assert im.convert("RGB").getpixel((790, 5))[0] > 200
    assert im.convert("RGB").getpixel((5, 5))[2] > 100


def test_output_is_deterministic(site):
    first = ImagePipeline(site, None).process(["assets/boxly/cover.jpg"]).files
    second = ImagePipeline(site, None).process(["assets/boxly/cover.jpg"]).files
    assert first == second


def test_warm_rebuild_encodes_nothing_and_gives_the_same_files(site, tmp_path):
    cache = tmp_path / ".folio-cache" / "images"
    srcs = ["assets/boxly/cover.jpg", "assets/small.png"]
    cold = ImagePipeline(site, cache)
    first = cold.process(srcs)
    assert cold.encodes == 4 + 2  # 3 WebP + JPEG fallback; 1 WebP + PNG fallback
    warm = ImagePipeline(site, cache)  # a new process: only the disk cache survives
    second = warm.process(srcs)
    assert warm.encodes == 0
    assert second.files == first.files and second.infos == first.infos
    again = warm.process(srcs)  # same pipeline (folio serve): served from memory
    assert warm.encodes == 0 and again.files == first.files


def test_changed_image_is_encoded_again(site, tmp_path):
    cache = tmp_path / ".folio-cache" / "images"
    ImagePipeline(site, cache).process(["assets/small.png"])
    (site / "assets" / "small.png").write_bytes(photo_bytes(320, 200, fmt="PNG"))
    pipeline = ImagePipeline(site, cache)
    result = pipeline.process(["assets/small.png"])
    assert pipeline.encodes == 2
    assert result.infos["assets/small.png"].width == 320


def test_corrupt_cache_entry_is_discarded_and_regenerated(site, tmp_path):
    cache = tmp_path / ".folio-cache" / "images"
    first = ImagePipeline(site, cache).process(["assets/boxly/cover.jpg"])
    entries = [p for p in cache.rglob("*") if p.is_file()]
    assert len(entries) == 1
    data = bytearray(entries[0].read_bytes())
    data[-100] ^= 0xFF  # flip a byte inside the last blob
    entries[0].write_bytes(bytes(data))
    pipeline = ImagePipeline(site, cache)
    second = pipeline.process(["assets/boxly/cover.jpg"])
    assert pipeline.encodes == 4
    assert second.files == first.files
    entries[0].write_bytes(b"garbage")  # not even a cache entry
    pipeline = ImagePipeline(site, cache)
    assert pipeline.process(["assets/boxly/cover.jpg"]).files == first.files
    assert pipeline.encodes == 4
    again = ImagePipeline(site, cache)
    again.process(["assets/boxly/cover.jpg"])
    assert again.encodes == 0  # the regenerated entry was written back


def test_unreadable_image_is_an_error_naming_the_file(site):
    (site / "assets" / "broken.jpg").write_bytes(b"\xff\xd8\xff not really a jpeg")
    half = photo_bytes(800, 600)
    (site / "assets" / "truncated.jpg").write_bytes(half[: len(half) // 2])
    result = ImagePipeline(site, None).process(
        ["assets/broken.jpg", "assets/truncated.jpg", "assets/small.png"])
    bad = sorted(d.path for d in result.report.errors)
    assert bad == ["assets/broken.jpg", "assets/truncated.jpg"]
    assert "assets/small.png" in result.infos  # the others are still processed


def test_image_outside_the_site_is_refused(site, tmp_path_factory):
    outside = tmp_path_factory.mktemp("outside") / "secret.jpg"
    outside.write_bytes(photo_bytes(100, 100))
    (site / "assets" / "link.jpg").symlink_to(outside)
    result = ImagePipeline(site, None).process(["assets/link.jpg"])
    assert [d.path for d in result.report.errors] == ["assets/link.jpg"]
    assert not result.files


def test_missing_image_is_an_error_with_file_and_line(site):
    refs = [
        NamedImage(ImageRef("assets/boxly/cover.jpg", alt="Dashboard", line=4),
                   "case-studies/boxly.md", "cover"),
        NamedImage(ImageRef("assets/boxly/covr.jpg", alt="x", line=7),
                   "case-studies/boxly.md", "gallery"),
    ]
    result = ImagePipeline(site, None).process(["assets/boxly/cover.jpg"], refs)
    [err] = result.report.errors
    assert err.headline() == (
        "case-studies/boxly.md:7: error: image not found: assets/boxly/covr.jpg")
    assert err.hint == "did you mean 'assets/boxly/cover.jpg'?"


def test_missing_alt_text_is_a_warning_with_file_and_line(site):
    infos = ImagePipeline(site, None).process(["assets/small.png"]).infos
    refs = [NamedImage(ImageRef("assets/small.png", line=9), "case-studies/a.md", "gallery"),
            NamedImage(ImageRef("assets/small.png", alt="  ", line=3), "case-studies/a.md",
                       "cover"),
            NamedImage(ImageRef("assets/small.png", line=2), "profile.md", "photo")]
    report = check_refs(refs, infos)
    assert not report.errors
    assert [w.headline() for w in report.warnings] == [
        "case-studies/a.md:9: warning: gallery image assets/small.png has no alt text",
        "case-studies/a.md:3: warning: cover image assets/small.png has no alt text",
    ]


def test_non_raster_assets_are_left_to_the_copier(site):
    (site / "assets" / "logo.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    refs = [NamedImage(ImageRef("assets/logo.svg", alt="Logo", line=2), "profile.md", "photo")]
    result = ImagePipeline(site, None).process(["assets/logo.svg"], refs)
    assert not result.files and not result.infos and not result.report.errors


def test_image_info_is_small_and_picklable(site):
    info = ImagePipeline(site, None).process(["assets/boxly/cover.jpg"]).infos[
        "assets/boxly/cover.jpg"]
    data = pickle.dumps(info)
    assert pickle.loads(data) == info and len(data) < 1000


def test_picture_markup_has_srcset_sizes_and_lazy_loading():
    info = ImageInfo("assets/a b.jpg", 2400, 1600, (
        Variant("/assets/a b.jpg.480w.webp", 480, 320, "image/webp"),
        Variant("/assets/a b.jpg.960w.webp", 960, 640, "image/webp"),
    ), Variant("/assets/a b.jpg", 1600, 1067, "image/jpeg"))
    markup = picture_html(info, 'A "quoted" <alt>', "/portfolio/", sizes="50vw")
    picture = lxml.html.fragment_fromstring(markup)
    assert picture.tag == "picture"
    [source] = picture.findall(".//source")  # (libxml2 nests void elements it does not know)
    [img] = picture.findall(".//img")
    assert source.get("type") == "image/webp" and source.get("sizes") == "50vw"
    candidates = [c.strip().split(" ") for c in source.get("srcset").split(",")]
    assert candidates == [["/portfolio/assets/a%20b.jpg.480w.webp", "480w"],
                          ["/portfolio/assets/a%20b.jpg.960w.webp", "960w"]]
    assert img.get("src") == "/portfolio/assets/a%20b.jpg"
    assert img.get("alt") == 'A "quoted" <alt>'
    assert (img.get("width"), img.get("height")) == ("1600", "1067")
    assert (img.get("loading"), img.get("decoding")) == ("lazy", "async")


def test_animated_gif_is_published_unchanged(tmp_path):
    (tmp_path / "assets").mkdir()
    frames = [Image.new("RGB", (40, 30), c) for c in ("red", "green", "blue")]
    buf = io.BytesIO()
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:], loop=0)
    (tmp_path / "assets" / "anim.gif").write_bytes(buf.getvalue())
    pipeline = ImagePipeline(tmp_path, None)
    result = pipeline.process(["assets/anim.gif"])
    assert result.files == {"assets/anim.gif": buf.getvalue()}
    assert result.infos["assets/anim.gif"].variants == () and pipeline.encodes == 0


def test_still_gif_becomes_png_fallback_and_webp(tmp_path):
    (tmp_path / "assets").mkdir()
    Image.new("P", (40, 30), 3).save(tmp_path / "assets" / "still.gif")
    result = ImagePipeline(tmp_path, None).process(["assets/still.gif"])
    info = result.infos["assets/still.gif"]
    assert info.fallback.url == "/assets/still.gif.png" and info.fallback.mime == "image/png"
    assert open_bytes(result.files["assets/still.gif.png"]).format == "PNG"
    assert [v.url for v in info.variants] == ["/assets/still.gif.40w.webp"]


def test_decompression_bomb_is_an_error(tmp_path, monkeypatch):
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "huge.png").write_bytes(photo_bytes(400, 300, fmt="PNG"))
    monkeypatch.setattr(images, "MAX_PIXELS", 100_000)
    result = ImagePipeline(tmp_path, None).process(["assets/huge.png"])
    [err] = result.report.errors
    assert err.path == "assets/huge.png"
    assert err.message == "image is 400x300 pixels; the limit is 100,000 pixels"
