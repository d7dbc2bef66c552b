"""Hostile requests over raw sockets (RELIABILITY 46-51). After each one the
server is alive and `/` is 200. `http.client` would refuse most of these, so
the bytes go out exactly as written."""

from __future__ import annotations

import os
import socket
import threading

import pytest
from harness import site_files, wait_until

SECRET = "TOP-SECRET-CANARY"


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    """One server for the module, on a site with a leaky sibling and a symlink."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    from harness import ServeProcess

    base = tmp_path_factory.mktemp("hostile")
    root = base / "site"
    files = {**site_files(), "profile.md": "---\nname: Ada\n---\nHi\n"}
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    (base / "secret.txt").write_text(SECRET)
    (root / "_site-leak").mkdir()
    (root / "_site-leak" / "index.html").write_text(SECRET)
    (root / "_site").mkdir()
    (root / "_site" / "secret.html").write_text(SECRET)
    os.symlink(base / "secret.txt", root / "_site" / "link.txt")
    server = ServeProcess(root)
    try:
        yield server
    finally:
        server.stop()


def request(path: str, host: str = "127.0.0.1", extra: str = "") -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: {host}\r\n{extra}Connection: close\r\n\r\n".encode("latin-1")


def status_of(response: bytes) -> int:
    return int(response.split(b" ", 2)[1]) if response.startswith(b"HTTP/") else 0


TRAVERSAL = ["/../x", "/%2e%2e/x", "/..%2f..%2fx", "/%252e%252e/x", "/..\\..\\x",
             "/%c0%ae%c0%ae/x", "/x%00.html", "http://h/../x", "/../secret.txt",
             "/%2e%2e/secret.txt", "/..%2fsecret.txt", "/_site/secret.html",
             "/_site-leak/", "/_site/link.txt", "/link.txt", "/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
             "/..%5c..%5csecret.txt", "/folio.yaml", "/pages/about.md"]


@pytest.mark.parametrize("path", TRAVERSAL)
def test_traversal_never_reaches_the_disk(srv, path):
    response = srv.raw(request(path))
    assert status_of(response) in (400, 404), response[:200]
    assert SECRET.encode() not in response and b"title: Test Site" not in response
    srv.alive_and_serving()


def test_raw_nul_in_request_line(srv):
    response = srv.raw(b"GET /x\x00.html HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    assert status_of(response) == 400
    srv.alive_and_serving()


@pytest.mark.parametrize("host", ["evil.example", "127.0.0.1.evil.example", "localhost.evil.example",
                                  "evil.example:80", "[::1].evil.example"])
@pytest.mark.parametrize("path", ["/", "/__folio__/events", "/__folio__/status"])
def test_foreign_host_is_refused(srv, host, path):
    response = srv.raw(request(path, host))
    assert status_of(response) in (403, 421)
    srv.alive_and_serving()


def test_missing_or_double_host_is_refused(srv):
    assert status_of(srv.raw(b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n")) == 403
    assert status_of(srv.raw(b"GET / HTTP/1.0\r\n\r\n")) == 403
    double = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n"
    assert status_of(srv.raw(double)) == 403
    srv.alive_and_serving()


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "[::1]"])
def test_loopback_names_are_allowed(srv, host):
    assert status_of(srv.raw(request("/", f"{host}:{srv.port}"))) == 200


def test_foreign_origin_on_event_stream(srv):
    host = f"127.0.0.1:{srv.port}"
    response = srv.raw(request("/__folio__/events", host, "Origin: http://evil.example\r\n"))
    assert status_of(response) == 403
    response = srv.raw(request("/__folio__/events", host, "Origin: null\r\n"))
    assert status_of(response) == 403
    srv.alive_and_serving()


@pytest.mark.parametrize("path", ["//evil.example/%2e%2e", "//evil.example/", "/<script>alert(1)</script>",
                                  "/%0d%0aSet-Cookie:x", "/%0aLocation:%20http://evil"])
def test_no_off_site_redirect_no_header_injection(srv, path):
    response = srv.raw(request(path))
    head, _, body = response.partition(b"\r\n\r\n")
    assert status_of(response) in (400, 404)
    assert b"Location" not in head and b"Set-Cookie" not in head
    assert b"<script>alert(1)" not in body and str(srv.site).encode() not in body
    srv.alive_and_serving()


@pytest.mark.parametrize("garbage", [
    b"\r\n\r\n", b"GARBAGE\r\n\r\n", b"GET\r\n\r\n", b"GET / HTTP/9.9\r\nHost: 127.0.0.1\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\n\r\nhello",
    b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX: " + b"b" * 70000 + b"\r\n\r\n",
    b"GET / HTTP/1.1\r\n" + b"X: y\r\n" * 200 + b"\r\n",
    b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + os.urandom(64),  # a TLS hello
    b"GET /__folio__/events?epoch=abc HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
    b"GET /__folio__/events?epoch=99999999999999999999999&page=%ff HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: 127.0.0.1",  # never finished
])
def test_malformed_requests_do_not_hurt(srv, garbage):
    srv.raw(garbage, timeout=2)
    srv.alive_and_serving()


def test_injection_keeps_content_length_right(srv):
    response = srv.raw(request("/about/"))
    head, _, body = response.partition(b"\r\n\r\n")
    length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-length")))
    assert length == len(body)
    # the theme puts a </body> in a comment; the script goes before the real one
    assert body.index(b"data-folio-live") > body.index(b"a comment with </body>")
    assert body.rstrip().endswith(b"</body></html>")


def test_event_streams_are_capped_and_vanishing_clients_are_fine(srv):
    """More streams than the cap: the extra ones get 503; dropping them all
    mid-stream leaves the server well."""
    socks = []
    statuses = []
    lock = threading.Lock()

    def open_stream() -> None:
        sock = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
        sock.sendall(request("/__folio__/events?epoch=0&page=/", f"127.0.0.1:{srv.port}"))
        try:
            first = sock.recv(64)
        except OSError:
            first = b""
        with lock:
            socks.append(sock)
            statuses.append(status_of(first))

    threads = [threading.Thread(target=open_stream) for _ in range(150)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    try:
        assert statuses.count(200) <= 64 and statuses.count(503) >= 150 - 64
        srv.alive_and_serving()
    finally:
        for sock in socks:
            sock.close()
    # once the clients are gone, streams are available again
    wait_until(lambda: status_of(srv.raw(request("/__folio__/events?epoch=0&page=/"), timeout=0.5))
               == 200, message="a stream slot frees up after clients vanish")
    srv.alive_and_serving()
