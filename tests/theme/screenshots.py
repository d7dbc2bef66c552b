"""Regenerate docs/screenshots/*.png from the example site in headless Chromium.

    python tests/theme/screenshots.py [--site example-site] [--out docs/screenshots]

Builds the site in memory, serves it on 127.0.0.1 under its real base path (so
the screenshots also prove every link carries it), and captures home, a case
study, a skill page and a track page at 1280 px and 375 px, light and dark.
Images are palette-quantised PNGs so each stays well under 300 KB.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import io
import shutil
import sys
import tempfile
import threading
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
WIDTHS = {"desktop": (1280, 860), "mobile": (375, 780)}
MAX_HEIGHT = {"desktop": 2600, "mobile": 3200}


def build_to(site_dir: Path, root: Path) -> str:
    """Build the site into root/<base path>/ and return the base path."""
    from folio.build import Builder, BuildOptions

    result = Builder(site_dir, BuildOptions(cache=False)).build()
    base = urlsplit(result.site.config.base_url).path or "/"
    out = root / base.strip("/")
    for rel, data in result.files.items():
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return base, result.site


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def pages_to_shoot(site) -> dict[str, str]:
    featured = site.featured[0] if site.featured else None
    skill = max(site.skills, key=lambda s: len(site.evidence(s.id)), default=None)
    track = site.config.tracks[0] if site.config.tracks else None
    found = {"home": "/"}
    if featured:
        found["case-study"] = featured.url
    if skill:
        found["skill"] = skill.url
    if track:
        found["track"] = f"/tracks/{track.id}/"
    return found


def save_png(data: bytes, path: Path) -> int:
    from PIL import Image

    image = Image.open(io.BytesIO(data)).convert("RGB")
    small = image.quantize(colors=128, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    small.save(path, format="PNG", optimize=True)
    return path.stat().st_size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", default=str(REPO / "example-site"))
    parser.add_argument("--out", default=str(REPO / "docs" / "screenshots"))
    parser.add_argument("--only", default="", help="comma-separated page names")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        base, site = build_to(Path(args.site), Path(tmp))
        handler = functools.partial(_QuietHandler, directory=tmp)
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        origin = f"http://127.0.0.1:{server.server_address[1]}{base.rstrip('/')}"
        wanted = set(filter(None, args.only.split(",")))
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                for name, url in pages_to_shoot(site).items():
                    if wanted and name not in wanted:
                        continue
                    for device, (width, height) in WIDTHS.items():
                        for scheme in ("light", "dark"):
                            page = browser.new_page(viewport={"width": width, "height": height},
                                                    color_scheme=scheme)
                            page.goto(origin + url, wait_until="networkidle")
                            page.evaluate("""async () => {  // load lazy images
                                for (const img of document.querySelectorAll('img[loading=lazy]')) {
                                    img.loading = 'eager'; await img.decode().catch(() => {}); }
                            }""")
                            overflow = page.evaluate(
                                "document.documentElement.scrollWidth - window.innerWidth")
                            full = page.evaluate("document.documentElement.scrollHeight")
                            clip = {"x": 0, "y": 0, "width": width,
                                    "height": min(full, MAX_HEIGHT[device])}
                            data = page.screenshot(full_page=True, clip=clip)
                            target = out_dir / f"{name}-{device}-{scheme}.png"
                            size = save_png(data, target)
                            print(f"{target.relative_to(REPO) if target.is_relative_to(REPO) else target}"
                                  f"  {size // 1024} KB  overflow={overflow}px")
                            page.close()
                browser.close()
        finally:
            server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
