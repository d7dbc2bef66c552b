"""Quality gates: fixtures that build real sites, serve them, and drive Chromium.

Each gate runs on two builds: the example site (what users see first) and a
generated kitchen-sink site with every page kind and awkward content
(kitchen_sink.py). Both are built once per session with the real command
line, `folio build SITE -o DIR --base-url http://127.0.0.1:PORT/sub/`, and
served under that sub-path by a small http.server (like GitHub project pages,
including the 404.html fallback), because root-relative links can only be
checked against a server.

Browser tests use pytest-playwright with the system Chromium
(/usr/bin/chromium; Playwright cannot download its own browsers here). They
are skipped with the install command when Chromium is absent, and fail
instead under CI=true, where .ci/run installs it.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

import pytest

from .kitchen_sink import write_kitchen_sink
from .tools import CHROMIUM_ARGS, require_chromium

REPO = Path(__file__).resolve().parents[2]
EXAMPLE_SITE = REPO / "example-site"
SUB = "/sub/"
SITE_NAMES = ("example", "kitchen-sink")


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Serves one build under SUB only; a missing file gets 404.html with status 404."""

    def log_message(self, format, *args):  # noqa: A002 - the signature is http.server's
        pass

    def translate_path(self, path: str) -> str:
        clean = unquote(urlsplit(path).path)
        if not path.startswith(SUB) or "\x00" in clean:
            return "/nonexistent/outside-the-base-path"
        return super().translate_path("/" + path[len(SUB):])  # it drops "..", queries

    def send_head(self):
        path = self.translate_path(self.path)
        listing = os.path.isdir(path) and not os.path.exists(os.path.join(path, "index.html"))
        if listing or not os.path.exists(path):
            return self._not_found()
        return super().send_head()

    def _not_found(self):
        body = b""
        page = os.path.join(self.directory, "404.html")
        if os.path.exists(page):
            with open(page, "rb") as fh:
                body = fh.read()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        return None


class SiteServer:
    """A background http.server on 127.0.0.1 with a free port, serving one folder."""

    def __init__(self) -> None:
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.port = self.httpd.server_address[1]
        self.thread: threading.Thread | None = None

    def serve(self, directory: Path) -> None:
        self.httpd.RequestHandlerClass = functools.partial(_Handler, directory=str(directory))
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@dataclass
class BuiltSite:
    """One built and served site."""

    name: str
    source: Path
    out: Path
    base_url: str  # http://127.0.0.1:PORT/sub/
    build_output: str = ""
    _pages: list[str] = field(default_factory=list)

    @property
    def base_path(self) -> str:
        return urlsplit(self.base_url).path

    def url(self, rel: str) -> str:
        """Output-relative path ("work/x/index.html" or "work/x/") -> served URL."""
        rel = rel.removesuffix("index.html")
        return self.base_url + quote(rel.lstrip("/"))

    @property
    def pages(self) -> list[str]:
        """Every HTML page, output-relative, sorted (search UI files excluded)."""
        if not self._pages:
            self._pages = sorted(p.relative_to(self.out).as_posix()
                                 for p in self.out.rglob("*.html")
                                 if not p.relative_to(self.out).as_posix().startswith(
                                     ("pagefind/", "theme/")))
        return self._pages

    def read(self, rel: str) -> str:
        return (self.out / rel).read_text(encoding="utf-8")

    def template_pages(self) -> dict[str, str]:
        """One page per template: name -> output-relative path (missing kinds left out)."""
        pages = self.pages

        def first(pattern: str, where=lambda rel: True) -> str | None:
            return next((p for p in pages if re.fullmatch(pattern, p) and where(p)), None)

        found = {
            "home": first(r"index\.html"),
            "case study": first(r"work/[^/]+/index\.html"),
            "work index": first(r"work/index\.html"),
            "skill": first(r"skills/[^/]+/index\.html"),
            "skills index": first(r"skills/index\.html"),
            "track": first(r"tracks/[^/]+/index\.html"),
            "track CV": first(r"tracks/[^/]+/cv/index\.html"),
            "services": first(r"services/index\.html"),
            "module catalogue": first(r"modules/index\.html"),
            "module overview": first(r"modules/[^/]+/index\.html"),
            "lesson with quiz": first(r"modules/[^/]+/(?!print/)[^/]+/index\.html",
                                      lambda p: 'class="quiz"' in self.read(p)),
            "module print": first(r"modules/[^/]+/print/index\.html"),
            "CV": first(r"cv/index\.html"),
            "writing index": first(r"writing/index\.html"),
            "post": first(r"writing/[^/]+/index\.html"),
            "tag": first(r"tags/[^/]+/index\.html"),
            "free page": first(r"(?!work|skills|tracks|services|modules|writing|tags|cv)"
                               r"[^/]+/index\.html"),
            "404": first(r"404\.html"),
        }
        return {k: v for k, v in found.items() if v is not None}


def build_site(name: str, source: Path, out: Path, base_url: str) -> BuiltSite:
    """`folio build` as a user runs it; a failed build fails the test with its output."""
    proc = subprocess.run(
        [sys.executable, "-m", "folio", "build", str(source), "-o", str(out),
         "--base-url", base_url],
        capture_output=True, text=True, timeout=600, env={**os.environ, "PYTHONHASHSEED": "0"})
    if proc.returncode != 0:
        pytest.fail(f"folio build {name} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return BuiltSite(name, source, out, base_url, proc.stdout + proc.stderr)


@pytest.fixture(scope="session")
def _site_factory(tmp_path_factory):
    built: dict[str, BuiltSite] = {}
    servers: list[SiteServer] = []

    def get(name: str) -> BuiltSite:
        if name not in built:
            server = SiteServer()
            servers.append(server)
            base_url = f"http://127.0.0.1:{server.port}{SUB}"
            work = tmp_path_factory.mktemp(name)
            if name == "example":
                if not (EXAMPLE_SITE / "folio.yaml").exists():
                    pytest.skip("example-site/ is not in this checkout")
                source = EXAMPLE_SITE
            else:
                source = write_kitchen_sink(work / "site")
            site = build_site(name, source, work / "out", base_url)
            server.serve(site.out)
            built[name] = site
        return built[name]

    yield get
    for server in servers:
        server.close()


@pytest.fixture(scope="session", params=SITE_NAMES)
def built_site(request, _site_factory) -> BuiltSite:
    """Each quality gate runs once per site: the example site, then the kitchen sink."""
    return _site_factory(request.param)


@pytest.fixture(scope="session")
def example_site(_site_factory) -> BuiltSite:
    return _site_factory("example")


@pytest.fixture(scope="session")
def kitchen_sink(_site_factory) -> BuiltSite:
    return _site_factory("kitchen-sink")


# -- browser ----------------------------------------------------------------------------

@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """System Chromium with the flags that work in containers (see TESTING.md)."""
    return {**browser_type_launch_args, "executable_path": require_chromium(),
            "args": CHROMIUM_ARGS}


@pytest.fixture
def new_page(browser):
    """Open a page with its own context: new_page(viewport_width=1280, color_scheme="light")."""
    contexts = []

    def make(width: int = 1280, height: int = 900, color_scheme: str = "light",
             reduced_motion: str = "reduce"):
        context = browser.new_context(viewport={"width": width, "height": height},
                                      color_scheme=color_scheme, reduced_motion=reduced_motion)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()
