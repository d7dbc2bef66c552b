"""The development server: the in-memory site over HTTP, live reload, error overlay.

Only the files dict of the last good build is ever served, so no request can
reach the disk whatever its encoding. A build publishes a whole new
:class:`Snapshot` by swapping one reference, so a request sees either the old
site or the new one, never a mix. Open pages hold a Server-Sent Events stream;
the server bumps an epoch after each build (MkDocs' livereload design) and tells
each page what to do: reload if its own HTML changed, swap stylesheets if only
CSS changed, show or clear the build-error overlay.
"""

from __future__ import annotations

import errno
import json
import mimetypes
import re
import select
import socket
import sys
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import PurePosixPath
from urllib.parse import parse_qs, quote, unquote_to_bytes, urlsplit

from .errors import FolioError

__all__ = [
    "DEFAULT_ALLOWED_HOSTS", "DevServer", "LiveState", "Route", "Snapshot", "bind",
    "host_allowed", "inject_script", "normalise_host", "origin_allowed", "route",
]

EVENTS_PATH = "/__folio__/events"
STATUS_PATH = "/__folio__/status"
DEFAULT_ALLOWED_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]"})
MAX_STREAMS = 64          # concurrent live-reload streams
HEARTBEAT = 10.0          # seconds between keep-alive comments on a stream
CLIENT_CHECK = 0.5        # how often a quiet stream checks that its page is still there
HISTORY = 64              # builds whose changed paths are remembered
# A changed file of these kinds reloads the open pages whose HTML names it.
RELOAD_SUFFIXES = frozenset(".js .mjs .png .jpg .jpeg .gif .webp .avif .svg .ico "
                            ".woff .woff2 .ttf .otf".split())
MIME = {
    ".html": "text/html; charset=utf-8", ".htm": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8", ".json": "application/json",
    ".xml": "application/xml", ".txt": "text/plain; charset=utf-8",
    ".svg": "image/svg+xml", ".webp": "image/webp", ".avif": "image/avif",
    ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
    ".ico": "image/x-icon", ".woff": "font/woff", ".woff2": "font/woff2",
    ".pdf": "application/pdf", ".zip": "application/zip", ".webmanifest": "application/manifest+json",
    ".md": "text/markdown; charset=utf-8", ".wasm": "application/wasm",
}


def content_type(key: str) -> str:
    suffix = PurePosixPath(key).suffix.lower()
    return MIME.get(suffix) or mimetypes.guess_type(key)[0] or "application/octet-stream"


# -- routing: request target -> files key ----------------------------------------

@dataclass(frozen=True, slots=True)
class Route:
    """What a request target means: a file, a redirect, or an error status."""

    status: int                      # 200, 302, 400 or 404
    key: str | None = None           # files key when 200
    location: str | None = None      # when 302; always one leading "/" and quoted
    candidates: tuple[str, ...] = ()  # files keys that would answer this path


def _unsafe(text: str) -> bool:
    return any(ord(c) < 0x20 or c in "\x7f\\" for c in text)


def route(target: str, base_path: str, files: Mapping[str, bytes]) -> Route:
    """Map a raw request target to a files key without ever touching the disk.

    Percent-decoding happens once, as strict UTF-8; control characters, NUL,
    backslashes and dot segments give 400; anything outside the base path or
    absent from the build gives 404. Redirect targets are rebuilt from the base
    path and clean segments, so they can never point off-site.
    """
    if not target.startswith("/"):
        return Route(400)  # absolute-form, "*", or garbage
    raw = target.split("?", 1)[0].split("#", 1)[0]
    if _unsafe(raw) or " " in raw:
        return Route(400)
    try:
        path = unquote_to_bytes(raw.encode("latin-1")).decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return Route(400)
    if _unsafe(path) or any(seg in (".", "..") for seg in path.split("/")):
        return Route(400)
    base = base_path if base_path.endswith("/") else base_path + "/"
    if base != "/" and path in ("/", base.rstrip("/")):
        return Route(302, location=quote(base))
    if not path.startswith(base):
        return Route(404)
    rel = path[len(base):]
    if "" in rel.split("/")[:-1]:  # "a//b" or a leading "/": never a real file
        return Route(404)
    if rel == "" or rel.endswith("/"):
        key = rel + "index.html"
        return Route(200, key, candidates=(key,)) if key in files else Route(404, candidates=(key,))
    candidates = (rel, rel + "/index.html")
    if rel in files:
        return Route(200, rel, candidates=candidates)
    if rel + "/index.html" in files:
        return Route(302, location=quote(base + rel + "/"), candidates=candidates)
    return Route(404, candidates=candidates)


# -- who may talk to the server ----------------------------------------------------

def normalise_host(value: str | None) -> str | None:
    """`Host` header value -> lower-case host without port, IPv6 in brackets; None if malformed."""
    if not value:
        return None
    value = value.strip().lower()
    if value.startswith("["):
        end = value.find("]")
        if end < 0:
            return None
        host, rest = value[:end + 1], value[end + 1:]
    else:
        host, sep, port = value.partition(":")
        rest = sep + port
    if rest and not (rest.startswith(":") and rest[1:].isdigit() and len(rest) <= 6):
        return None
    if not host or any(c in host for c in " /\\@?#%") or _unsafe(host):
        return None
    return host


def allowed_set(extra: Iterable[str] = (), bound_host: str | None = None) -> frozenset[str]:
    """The default loopback names, the --allowed-host values, and a specific bound address."""
    names = set(DEFAULT_ALLOWED_HOSTS)
    for name in [*extra, bound_host or ""]:
        name = name.strip().lower()
        if not name or name in ("0.0.0.0", "::", "[::]"):
            continue
        names.add(f"[{name}]" if ":" in name and not name.startswith("[") else name)
    return frozenset(names)


def host_allowed(host_header: str | None, allowed: frozenset[str]) -> bool:
    """DNS-rebinding guard: the Host header must name this machine or an allowed host."""
    host = normalise_host(host_header)
    return host is not None and host in allowed


def origin_allowed(origin: str | None, host_header: str | None) -> bool:
    """Live-reload streams accept no Origin (same-origin EventSource) or our own origin."""
    if origin is None:
        return True
    try:
        parts = urlsplit(origin.strip())
    except ValueError:
        return False
    return (parts.scheme in ("http", "https") and host_header is not None
            and parts.netloc.lower() == host_header.strip().lower() and not parts.path.strip("/"))


# -- the reload script, injected at serve time only ---------------------------------

_SKIP_OR_BODY = re.compile(
    rb"<!--.*?(?:-->|\Z)|<(script|style|textarea|title)\b.*?(?:</\1\s*>|\Z)|(</body\s*>)",
    re.IGNORECASE | re.DOTALL,
)


def inject_script(html: bytes, snippet: bytes) -> bytes:
    """Insert `snippet` before the last real `</body>` (not one inside a comment,
    script, style, textarea or title), or append it when there is none."""
    last = None
    for match in _SKIP_OR_BODY.finditer(html):
        if match.group(2):
            last = match.start()
    if last is None:
        return html + snippet
    return html[:last] + snippet + html[last:]


LIVE_JS = r"""
(function () {
  if (window.__folioLive) return; window.__folioLive = true;
  var cfg = %(config)s, epoch = cfg.epoch, delay = 500, box = null;
  function overlay(text) {
    if (!text) { if (box) { box.remove(); box = null; } return; }
    if (!box) {
      box = document.createElement("div"); box.id = "folio-error-overlay";
      box.setAttribute("role", "alert");
      box.style.cssText = "position:fixed;inset:0;z-index:2147483647;overflow:auto;" +
        "background:rgba(20,0,0,.92);color:#fff;font:14px/1.5 ui-monospace,monospace;padding:2em";
      var h = document.createElement("h2"); h.textContent = "folio: the build failed";
      h.style.cssText = "margin:0 0 1em;font:bold 18px sans-serif;color:#ff8a80";
      var note = document.createElement("p"); note.style.cssText = "font:13px sans-serif;opacity:.8";
      note.textContent = "The last good build is below this overlay. Fix the file and save; this page updates by itself.";
      var pre = document.createElement("pre"); pre.style.cssText = "white-space:pre-wrap;margin:0";
      box.append(h, pre, note); (document.body || document.documentElement).append(box);
    }
    box.querySelector("pre").textContent = text;
  }
  function swapCss(urls, tag) {
    var found = false;
    document.querySelectorAll('link[rel~="stylesheet"]').forEach(function (link) {
      var u = new URL(link.href, location.href);
      if (u.origin !== location.origin || urls.indexOf(u.pathname) < 0) return;
      found = true; u.searchParams.set("folio", tag);
      var next = link.cloneNode(); next.href = u.href;
      next.onload = next.onerror = function () { link.remove(); };
      link.after(next);
    });
    if (!found) location.reload();
  }
  function connect() {
    var q = "?instance=" + cfg.instance + "&epoch=" + epoch + "&page=" + encodeURIComponent(location.pathname);
    var es = new EventSource(cfg.events + q);
    es.addEventListener("update", function (e) {
      var m = JSON.parse(e.data); epoch = m.epoch; delay = 500; overlay(m.errors);
      if (m.action === "reload") { es.close(); location.reload(); }
      else if (m.action === "css") swapCss(m.css, m.epoch);
    });
    es.onerror = function () { es.close(); setTimeout(connect, delay); delay = Math.min(delay * 2, 5000); };
  }
  overlay(cfg.errors); connect();
})();
"""


def reload_snippet(epoch: int, instance: str, errors: str | None) -> bytes:
    config = json.dumps({"epoch": epoch, "instance": instance, "events": EVENTS_PATH,
                         "errors": errors})
    config = config.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return f'<script data-folio-live>{LIVE_JS % {"config": config}}</script>\n'.encode()


# -- the published site and its history -------------------------------------------

@dataclass(frozen=True, slots=True)
class Snapshot:
    """Everything a request reads, published as one reference."""

    epoch: int
    files: Mapping[str, bytes]
    base_path: str = "/"
    errors: str | None = None  # formatted diagnostics of the failed last build
    built: bool = False        # False until a first build has succeeded


_CSS_VERSION = re.compile(rb"(\.css)\?v=[0-9A-Za-z_-]+")


def restyled_only(changed: Iterable[str], old: Mapping[str, bytes], new: Mapping[str, bytes]) -> set[str]:
    """HTML pages whose only difference is the cache-busting `?v=` of a stylesheet:
    a CSS edit should swap the stylesheet, not reload every page."""
    return {k for k in changed if k.endswith(".html") and k in old and k in new
            and _CSS_VERSION.sub(rb"\1", old[k]) == _CSS_VERSION.sub(rb"\1", new[k])}


@dataclass
class LiveState:
    """The current snapshot plus what changed in recent builds, for live reload."""

    snapshot: Snapshot = field(default_factory=lambda: Snapshot(0, {}))
    instance: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    builds: int = 0
    failed: int = 0
    building: bool = False
    _cond: threading.Condition = field(default_factory=threading.Condition)
    _history: deque = field(default_factory=lambda: deque(maxlen=HISTORY))
    _notified: int = 0
    stopping: bool = False

    def publish(self, files: Mapping[str, bytes], base_path: str) -> set[str]:
        """Swap in a complete new build; return the files keys that changed."""
        old = self.snapshot
        files = dict(files)  # our own copy: the builder may reuse its dict
        self.snapshot = new = Snapshot(old.epoch + 1, files, base_path, None, True)
        changed = {k for k, v in files.items() if old.files.get(k) is not v and old.files.get(k) != v}
        changed.update(k for k in old.files if k not in files)
        if old.base_path != base_path:
            changed.update(files)
        elif any(k.endswith(".css") for k in changed):
            changed -= restyled_only(changed, old.files, files)
        self._announce(new.epoch, changed, success=True)
        return changed

    def fail(self, errors: str) -> None:
        """Keep serving the last good files, now with the error overlay."""
        old = self.snapshot
        self.snapshot = Snapshot(old.epoch + 1, old.files, old.base_path, errors, old.built)
        self._announce(old.epoch + 1, set(), success=False)

    def use_base_path(self, base_path: str) -> None:
        """Before any good build: serve the waiting page under the configured base path."""
        old = self.snapshot
        if not old.built:
            self.snapshot = Snapshot(old.epoch, old.files, base_path, old.errors, False)

    def _announce(self, epoch: int, changed: set[str], success: bool) -> None:
        with self._cond:
            self.builds += 1
            self.failed += not success
            self._history.append((epoch, frozenset(changed)))
            self._notified = epoch
            self._cond.notify_all()

    def stop(self) -> None:
        with self._cond:
            self.stopping = True
            self._cond.notify_all()

    def wait_newer(self, seen: int, timeout: float) -> bool:
        """Block until a build newer than `seen` is announced (or timeout / stop)."""
        with self._cond:
            return self._cond.wait_for(lambda: self._notified > seen or self.stopping, timeout)

    def message(self, seen: int, page: str, instance: str | None) -> dict:
        """What the page loaded at epoch `seen` from path `page` should do now."""
        with self._cond:
            epoch = self._notified
            entries = [c for e, c in self._history if e > seen]
            known = instance == self.instance and (
                seen >= epoch or (self._history and self._history[0][0] <= seen + 1))
        snap = self.snapshot
        msg = {"epoch": epoch, "errors": snap.errors, "action": "none", "css": []}
        if not known:
            msg["action"] = "reload"
            return msg
        changed = set().union(*entries) if entries else set()
        target = route(page, snap.base_path, snap.files)
        was_missing = target.status == 404 and not any(c in snap.files for c in target.candidates)
        html = snap.files.get(target.key, b"") if target.key else b""
        used = (k for k in changed if k in snap.files
                and PurePosixPath(k).suffix.lower() in RELOAD_SUFFIXES)
        if (changed & set(target.candidates) or (was_missing and "404.html" in changed)
                or any(quote(snap.base_path + k).encode() in html for k in used)):
            msg["action"] = "reload"
        elif css := sorted(k for k in changed if k.endswith(".css")):
            msg["action"] = "css"
            msg["css"] = [quote(snap.base_path + k) for k in css]
        return msg


# -- HTTP -------------------------------------------------------------------------

NOT_FOUND = (b"<!doctype html><html lang=en><meta charset=utf-8><title>Not found</title>"
             b"<body><h1>Not found</h1><p>This page is not part of the site.</p></body></html>")
WAITING = (b"<!doctype html><html lang=en><meta charset=utf-8><title>folio</title>"
           b"<body><h1>The site has not built yet</h1></body></html>")


class Handler(BaseHTTPRequestHandler):
    """GET/HEAD over the snapshot, the event stream and a small status document."""

    protocol_version = "HTTP/1.1"
    server_version = "folio"
    sys_version = ""
    timeout = 30  # an idle or slow connection is dropped, it never pins a thread
    # Headers and body are two writes: with Nagle's algorithm the body waits for the
    # client's delayed ACK, 40 ms on every keep-alive request and every live-reload event.
    disable_nagle_algorithm = True
    server: DevHTTPServer

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - stdlib name
        pass  # requests are not worth a terminal line; errors are reported elsewhere

    def do_HEAD(self) -> None:
        self.do_GET(head=True)

    def do_GET(self, head: bool = False) -> None:
        hosts = self.headers.get_all("Host") or []
        if len(hosts) != 1 or not host_allowed(hosts[0], self.server.allowed_hosts):
            return self._plain(403, "Forbidden: unknown Host header.", head)
        live = self.server.live
        path = self.path.split("?", 1)[0]
        if path == EVENTS_PATH:
            return self._events(hosts[0], head)
        if path == STATUS_PATH:
            snap = live.snapshot
            body = json.dumps({"epoch": snap.epoch, "builds": live.builds, "failed": live.failed,
                               "building": live.building, "errors": snap.errors, "base_path": snap.base_path}).encode()
            return self._send(200, body, "application/json", head)
        snap = live.snapshot
        found = route(self.path, snap.base_path, snap.files)
        if found.status == 400:
            return self._plain(400, "Bad request path.", head)
        if found.status == 302:
            return self._send(302, b"", "text/plain; charset=utf-8", head, location=found.location)
        if found.status == 200:
            return self._send(200, snap.files[found.key], content_type(found.key), head, snap)
        body = snap.files.get("404.html", NOT_FOUND if snap.built else WAITING)
        return self._send(404, body, "text/html; charset=utf-8", head, snap)

    def _plain(self, status: int, text: str, head: bool) -> None:
        self.close_connection = True
        self._send(status, text.encode() + b"\n", "text/plain; charset=utf-8", head)

    def _send(self, status: int, body: bytes, ctype: str, head: bool,
              snap: Snapshot | None = None, location: str | None = None) -> None:
        if snap is not None and ctype.startswith("text/html"):
            body = inject_script(body, reload_snippet(snap.epoch, self.server.live.instance,
                                                      snap.errors))
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        if location:
            self.send_header("Location", location)
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _events(self, host: str, head: bool) -> None:
        if not origin_allowed(self.headers.get("Origin"), host):
            return self._plain(403, "Forbidden: foreign Origin.", head)
        query = parse_qs(urlsplit(self.path).query)
        try:
            seen = int(self.headers.get("Last-Event-ID") or query.get("epoch", ["0"])[0])
        except ValueError:
            return self._plain(400, "Bad epoch.", head)
        page = query.get("page", ["/"])[0]
        instance = query.get("instance", [None])[0]
        if head or not self.server.streams.acquire(blocking=False):
            return self._plain(503 if not head else 200, "Too many live-reload streams.", head)
        self.close_connection = True
        live = self.server.live
        try:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-store")
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(b"retry: 1000\n\n")
            self.wfile.flush()
            if instance != live.instance:
                seen = -1  # a page from another server run: reload it
            quiet_since = time.monotonic()
            while not live.stopping:
                if seen >= 0 and not live.wait_newer(seen, CLIENT_CHECK):
                    if _peer_closed(self.connection):
                        break
                    if time.monotonic() - quiet_since >= HEARTBEAT:
                        self.wfile.write(b": ping\n\n")
                        self.wfile.flush()
                        quiet_since = time.monotonic()
                    continue
                if live.stopping:
                    break
                msg = live.message(seen, page, instance)
                instance = live.instance
                seen = msg["epoch"]
                self.wfile.write(f"id: {seen}\nevent: update\ndata: {json.dumps(msg)}\n\n".encode())
                self.wfile.flush()
        except OSError:
            pass  # the page went away
        finally:
            self.server.streams.release()


def _peer_closed(sock: socket.socket) -> bool:
    """True when the client hung up (readable with nothing to read, or an error)."""
    try:
        poller = select.poll()  # not select(): fds above 1024 are fine
        poller.register(sock, select.POLLIN | select.POLLHUP | select.POLLERR)
        if not poller.poll(0):
            return False
        return sock.recv(1, socket.MSG_PEEK) == b""
    except (OSError, ValueError):
        return True


class DevHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, address, live: LiveState, allowed_hosts: frozenset[str]) -> None:
        self.live = live
        self.allowed_hosts = allowed_hosts
        self.streams = threading.BoundedSemaphore(MAX_STREAMS)
        super().__init__(address, Handler)

    def handle_error(self, request, client_address) -> None:
        """A request that breaks the handler costs that request only."""
        exc = sys.exc_info()[1]
        if not isinstance(exc, (ConnectionError, TimeoutError)):
            print(f"folio serve: request failed: {type(exc).__name__}: {exc}", file=sys.stderr)


class DevHTTPServer6(DevHTTPServer):
    address_family = socket.AF_INET6


def bind(host: str, port: int, live: LiveState, allowed_hosts: frozenset[str]) -> DevHTTPServer:
    """Bind the listening socket, turning the usual failures into a FolioError naming the port."""
    cls = DevHTTPServer6 if ":" in host else DevHTTPServer
    try:
        return cls((host.strip("[]"), port), live, allowed_hosts)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            msg, hint = f"port {port} on {host} is already in use", \
                "stop the other server, or pick another port with --port (--port 0 picks a free one)"
        elif exc.errno == errno.EACCES:
            msg, hint = f"permission denied to listen on port {port}", \
                "ports below 1024 need privileges; use --port 8000 or --port 0"
        else:
            msg, hint = f"cannot listen on {host} port {port}: {exc.strerror or exc}", \
                "check --host; the default 127.0.0.1 always works"
        raise FolioError(msg, hint=hint) from None


@dataclass
class DevServer:
    """A bound server running in a background thread."""

    http: DevHTTPServer
    thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self.http.server_address[1]

    def url(self, display_host: str) -> str:
        host = f"[{display_host}]" if ":" in display_host else display_host
        return f"http://{host}:{self.port}{quote(self.http.live.snapshot.base_path)}"

    def start(self) -> None:
        self.thread = threading.Thread(target=self.http.serve_forever, kwargs={"poll_interval": 0.1},
                                       name="folio-http", daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.http.live.stop()
        if self.thread is not None:
            self.http.shutdown()
        self.http.server_close()
