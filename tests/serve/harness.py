"""Harness for `folio serve` tests: a tiny theme, a real server subprocess, polling.

Sites use their own small theme (themes/t inside the site) so these tests check
the server, not the default theme. `ServeProcess` starts `folio serve --port 0`,
reads the URL from stdout, collects output lines in the background, and is
always killed in a finally. Nothing sleeps for a fixed time: `wait_until`
polls a condition for up to 5 s.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

THEME_BASE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{ page.title }}</title>
<link rel="stylesheet" href="{{ asset_url('css/site.css') }}"></head>
<body><main>{% block content %}<h1>{{ page.title }}</h1>{% endblock %}</main>
<!-- a comment with </body> inside it -->
</body></html>
"""
CONTENT = '{% extends "base.html" %}{% block content %}<h1>{{ page.title }}</h1>{{ html_of(ITEM) }}{% endblock %}'
PLAIN = '{% extends "base.html" %}'
THEME = {
    "themes/t/templates/base.html": THEME_BASE,
    "themes/t/templates/page.html": CONTENT.replace("ITEM", "entry"),
    "themes/t/templates/post.html": CONTENT.replace("ITEM", "post"),
    "themes/t/templates/case_study.html": CONTENT.replace("ITEM", "case"),
    "themes/t/templates/home.html": '{% extends "base.html" %}{% block content %}<h1>Home</h1>'
                                    '{{ html_of("profile.md") }}{% endblock %}',
    "themes/t/templates/404.html": '{% extends "base.html" %}{% block content %}'
                                   '<h1>Nothing here (theme 404)</h1>{% endblock %}',
    **{f"themes/t/templates/{name}.html": PLAIN for name in (
        "work_index", "skills_index", "skill", "track", "cv", "services", "writing_index", "tag")},
    "themes/t/static/css/site.css": "body { color: rgb(1, 2, 3); }\n",
}
CONFIG = "title: Test Site\nbase_url: https://example.test{base}\ntheme: themes/t\n"


def page_md(title: str, body: str = "Hello.", **fields: str) -> str:
    extra = "".join(f"{k}: {v}\n" for k, v in fields.items())
    return f"---\ntitle: {title}\n{extra}---\n{body}\n"


def site_files(pages: dict[str, str] | None = None, base: str = "/") -> dict:
    files = {**THEME, "folio.yaml": CONFIG.format(base=base)}
    for slug, body in (pages or {"about": "About me."}).items():
        files[f"pages/{slug}.md"] = page_md(slug.title(), body)
    return files


def wait_until(condition, timeout: float = 5.0, interval: float = 0.02, message: str = ""):
    """Poll `condition` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = condition()
        except (OSError, http.client.HTTPException) as exc:
            last = exc
        else:
            if last:
                return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s: {message or condition} (last: {last!r})")


class Client:
    """HTTP helpers against a server listening on 127.0.0.1."""

    URL = re.compile(r"Serving on (http://\S+)")

    def set_url(self, url: str) -> None:
        self.url = url
        match = re.match(r"http://([^/]+)(/.*)", url)
        self.netloc, self.base = match.group(1), match.group(2)
        self.port = int(self.netloc.rpartition(":")[2])

    def output(self) -> str:
        return ""

    def request(self, path: str, method: str = "GET", headers: dict | None = None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        try:
            conn.request(method, path, headers=headers or {})
            resp = conn.getresponse()
            return resp.status, dict(resp.getheaders()), resp.read()
        finally:
            conn.close()

    def get(self, rel: str = "") -> tuple[int, bytes]:
        """GET base path + rel; returns (status, body)."""
        status, _, body = self.request(self.base + rel)
        return status, body

    def text(self, rel: str = "") -> str:
        return self.get(rel)[1].decode("utf-8", "replace")

    def status(self) -> dict:
        return json.loads(self.request("/__folio__/status")[2])

    def raw(self, data: bytes, timeout: float = 5.0) -> bytes:
        """Send raw bytes on a fresh socket and return whatever comes back."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=timeout) as sock:
            sock.sendall(data)
            try:
                sock.shutdown(socket.SHUT_WR)
            except OSError:
                pass
            chunks = []
            try:
                while chunk := sock.recv(65536):
                    chunks.append(chunk)
            except (TimeoutError, ConnectionResetError):
                pass
        return b"".join(chunks)

    def wait_for_text(self, rel: str, needle: str, timeout: float = 5.0) -> str:
        return wait_until(lambda: needle in (t := self.text(rel)) and t, timeout,
                          message=f"{needle!r} served at {rel!r}\n{self.output()}")

    def wait_for_gone(self, rel: str, needle: str, timeout: float = 5.0) -> str:
        return wait_until(lambda: needle not in (t := self.text(rel)) and t, timeout,
                          message=f"{needle!r} no longer served at {rel!r}\n{self.output()}")

    def wait_for_builds(self, n: int, timeout: float = 5.0) -> dict:
        return wait_until(lambda: (s := self.status())["builds"] >= n and s, timeout,
                          message=f"{n} builds\n{self.output()}")

    def settle(self, timeout: float = 5.0) -> int:
        """Make one sentinel edit and wait until it is served; returns the build count
        after it. Any build still pending from earlier events has happened by then,
        so counting builds before and after shows stray rebuilds."""
        before = self.status()["builds"]
        token = f"settle-{time.monotonic_ns()}"
        write(self.site / "pages" / "zz-sentinel.md", f"---\ntitle: Sentinel\n---\n{token}\n")
        self.wait_for_text("zz-sentinel/", token, timeout)
        wait_until(lambda: self.status()["builds"] > before, timeout)
        return self.status()["builds"]


class ServeProcess(Client):
    """A real `folio serve` subprocess on 127.0.0.1 with a free port."""

    def __init__(self, site: Path, *args: str, env: dict | None = None) -> None:
        self.site = site
        self.lines: list[str] = []
        self.errors: list[str] = []
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "folio", "serve", str(site), "--port", "0", *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})})
        for stream, sink in ((self.proc.stdout, self.lines), (self.proc.stderr, self.errors)):
            threading.Thread(target=self._pump, args=(stream, sink), daemon=True).start()
        found = wait_until(lambda: self._url() or self.proc.poll() is not None, timeout=60,
                           message="the server printed its URL")
        if found is True:
            raise AssertionError(f"folio serve exited {self.proc.returncode}: {self.output()}")
        self.set_url(found)

    @staticmethod
    def _pump(stream, sink: list[str]) -> None:
        for line in stream:
            sink.append(line.rstrip("\n"))

    def _url(self) -> str | None:
        for line in self.lines:
            if m := self.URL.search(line):
                return m.group(1)
        return None

    def output(self) -> str:
        return "\n".join(["--- stdout", *self.lines, "--- stderr", *self.errors])

    def alive_and_serving(self) -> None:
        assert self.proc.poll() is None, self.output()
        status, _ = self.get("")
        assert status == 200, self.output()

    def stop(self, sig: int = signal.SIGKILL) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class InProcessServer(Client):
    """`folio.commands.serve.run` in a thread, for tests that patch internals."""

    def __init__(self, site: Path, **kwargs) -> None:
        from folio.commands.serve import run

        self.site = site
        self.stop_event = threading.Event()
        ready: list[str] = []
        self.thread = threading.Thread(
            target=run, args=(site,), daemon=True,
            kwargs={"port": 0, "stop": self.stop_event, "on_ready": ready.append, **kwargs})
        self.thread.start()
        self.set_url(wait_until(lambda: ready and ready[0], 60, message="in-process server ready"))

    def stop(self) -> None:
        self.stop_event.set()
        self.thread.join(5)
        assert not self.thread.is_alive(), "run() did not return after stop"


def write(path: Path, text: str) -> None:
    """Write a whole file atomically (temp file + rename), so a build that starts
    in the middle never sees it half-written. The temp name ends in "~", which
    folio ignores; tests of in-place writes write in place on purpose."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part~")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
