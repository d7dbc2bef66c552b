"""The development server: the in-memory site over HTTP, live reload, error overlay.

Only the files dict of the last good build is ever served (:mod:`folio.routing`
maps request targets to its keys), so no request can reach the disk whatever its
encoding. Who may connect is checked here (Host and Origin, against DNS
rebinding); what each open page is told after a build is :mod:`folio.livereload`.
"""

from __future__ import annotations

import errno
import json
import select
import socket
import sys
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, urlsplit

from .errors import FolioError
from .livereload import EVENTS_PATH, LiveState, Snapshot, inject_script, reload_snippet
from .routing import content_type, route, unsafe_text

__all__ = ["DEFAULT_ALLOWED_HOSTS", "DevServer", "LiveState", "allowed_set", "bind", "host_allowed",
           "normalise_host", "origin_allowed"]

STATUS_PATH = "/__folio__/status"
DEFAULT_ALLOWED_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]"})
MAX_STREAMS = 64          # concurrent live-reload streams
HEARTBEAT = 10.0          # seconds between keep-alive comments on a stream
CLIENT_CHECK = 0.5        # how often a quiet stream checks that its page is still there


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
    if not host or any(c in host for c in " /\\@?#%") or unsafe_text(host):
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
