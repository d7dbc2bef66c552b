"""Fast in-process tests: path routing, Host/Origin checks, script injection,
junk names, debounce, and what each open page is told after a build."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from folio.livereload import LiveState, inject_script, reload_snippet, restyled_only
from folio.routing import route
from folio.server import allowed_set, host_allowed, normalise_host, origin_allowed
from folio.watch import ChangeQueue, is_ignored, is_junk

FILES = {"index.html": b"home", "about/index.html": b"about", "theme/css/site.css": b"css",
         "feed.xml": b"<feed/>", "404.html": b"nf", "caf\u00e9/index.html": b"cafe",
         "a b/index.html": b"space"}


# -- routing ---------------------------------------------------------------------

@pytest.mark.parametrize("target, status, key", [
    ("/", 200, "index.html"),
    ("/index.html", 200, "index.html"),
    ("/about/", 200, "about/index.html"),
    ("/about/index.html", 200, "about/index.html"),
    ("/theme/css/site.css?v=123", 200, "theme/css/site.css"),
    ("/about/#top", 200, "about/index.html"),
    ("/caf%C3%A9/", 200, "caf\u00e9/index.html"),
    ("/a%20b/", 200, "a b/index.html"),
    ("/missing/", 404, None),
    ("/missing.css", 404, None),
])
def test_route_finds_files_in_the_dict(target, status, key):
    found = route(target, "/", FILES)
    assert (found.status, found.key) == (status, key)


@pytest.mark.parametrize("target", [
    "/../x", "/%2e%2e/x", "/..%2f..%2fx", "/%2E%2E/%2E%2E/etc/passwd", "/about/../../x",
    "/..\\..\\x", "/%5c..%5cx", "/%c0%ae%c0%ae/x", "/x%00.html", "/x\x00.html",
    "http://h/../x", "*", "evil", "/%0d%0aSet-Cookie:x", "/a\r\nb", "/./index.html",
    "/%ff", "/\u00e9",
])
def test_route_refuses_hostile_paths_with_400(target):
    assert route(target, "/", FILES).status == 400


@pytest.mark.parametrize("target", ["/%252e%252e/x", "//evil.example/x", "/about//index.html",
                                    "/<script>alert(1)</script>", "/etc/passwd"])
def test_route_answers_other_oddities_with_404(target):
    assert route(target, "/", FILES).status == 404


def test_route_never_redirects_off_site():
    for target in ["//evil.example/%2e%2e", "//evil.example", "///evil.example/about",
                   "/\\evil.example", "/about"]:
        found = route(target, "/", FILES)
        if found.status == 302:
            assert found.location.startswith("/") and not found.location.startswith("//")


def test_directory_without_slash_redirects_within_the_site():
    assert route("/about", "/", FILES).location == "/about/"
    assert route("/about", "/repo/", {"about/index.html": b""}).status == 404
    assert route("/repo/about", "/repo/", {"about/index.html": b""}).location == "/repo/about/"


def test_base_path_serves_below_it_and_redirects_root():
    files = {"index.html": b"x", "work/a/index.html": b"a"}
    assert route("/", "/repo/", files).location == "/repo/"
    assert route("/repo", "/repo/", files).location == "/repo/"
    assert route("/repo/", "/repo/", files).key == "index.html"
    assert route("/repo/work/a/", "/repo/", files).key == "work/a/index.html"
    assert route("/work/a/", "/repo/", files).status == 404
    assert route("/repository/", "/repo/", files).status == 404


# -- Host and Origin ----------------------------------------------------------------

ALLOWED = allowed_set(["dev.example", "::2"])


@pytest.mark.parametrize("host", ["localhost", "localhost:8000", "127.0.0.1:1", "[::1]:8000",
                                  "[::1]", "LOCALHOST:80", "dev.example:8000", "[::2]:1"])
def test_allowed_hosts(host):
    assert host_allowed(host, ALLOWED)


@pytest.mark.parametrize("host", [None, "", "evil.example", "127.0.0.1.evil.example",
                                  "localhost.evil.example:8000", "evil.example:80@localhost",
                                  "localhost:80:80", "localhost:abc", "[::1", "::1",
                                  "localhost\r\nX: y", "0.0.0.0:8000",
                                  "localhost:1234567"])
def test_refused_hosts(host):
    assert not host_allowed(host, ALLOWED)


def test_specific_bound_host_is_allowed_but_wildcards_are_not():
    assert "192.168.1.5" in allowed_set([], "192.168.1.5")
    assert allowed_set([], "0.0.0.0") == allowed_set([], "::") == allowed_set()
    assert normalise_host("[FE80::1]:80") == "[fe80::1]"


@pytest.mark.parametrize("origin, ok", [
    (None, True), ("http://127.0.0.1:8000", True), ("http://evil.example", False),
    ("null", False), ("http://127.0.0.1:9999", False), ("file://", False),
    ("http://127.0.0.1:8000/path", False),
])
def test_origin_must_be_our_own(origin, ok):
    assert origin_allowed(origin, "127.0.0.1:8000") is ok


# -- injection ------------------------------------------------------------------------

S = b"<script>live</script>"


@pytest.mark.parametrize("html, expected", [
    (b"<html><body>x</body></html>", b"<html><body>x" + S + b"</body></html>"),
    (b"<body>x</BODY >", b"<body>x" + S + b"</BODY >"),
    (b"<p>no body end", b"<p>no body end" + S),
    (b"", S),
    (b"<body>a</body><!-- </body> -->", b"<body>a" + S + b"</body><!-- </body> -->"),
    (b"<body><script>var s = '</body>';</script>b</body>",
     b"<body><script>var s = '</body>';</script>b" + S + b"</body>"),
    (b"<body>x<!-- unclosed </body>", b"<body>x<!-- unclosed </body>" + S),
    (b"<body><textarea></body></textarea></body>", b"<body><textarea></body></textarea>" + S + b"</body>"),
    (b"<body>1</body>2</body>", b"<body>1</body>2" + S + b"</body>"),
])
def test_inject_before_last_real_body_end(html, expected):
    assert inject_script(html, S) == expected


def test_snippet_cannot_break_out_of_its_script():
    snippet = reload_snippet(3, "abc", "x.md:1: error: </script><script>alert(1)</script>")
    assert snippet.count(b"</script>") == 1 and b"<script>alert" not in snippet


# -- junk and ignored paths -----------------------------------------------------------

@pytest.mark.parametrize("name", [".page.md.swp", ".page.md.swo", ".page.md.swpx", "page.md~",
                                  "#page.md#", ".#page.md", "page.md___jb_tmp___",
                                  "page.md___jb_old___", ".DS_Store", "Thumbs.db", "4913",
                                  ".folio-tmp-123", ".folio-spill-123-public"])
def test_junk_names(name):
    assert is_junk(name)


@pytest.mark.parametrize("name", ["page.md", "swp.md", "a~b.md", "4914", "#notes.md",
                                  ".well-known", "folio.yaml"])
def test_real_names(name):
    assert not is_junk(name)


def test_ignored_paths(tmp_path):
    root, out = tmp_path / "site", tmp_path / "site" / "_site"
    assert is_ignored(out / "index.html", [root], [out])
    assert is_ignored(root / ".folio-cache" / "x", [root])
    assert is_ignored(root / ".folio-spill-12-_site" / "12-0.out", [root])  # a build beside
    assert is_ignored(root / ".git" / "index", [root])
    assert is_ignored(root / "pages" / ".a.md.swp", [root])
    assert not is_ignored(root / "pages" / "a.md", [root], [out])
    assert not is_ignored(root / "_site_leak" / "a.md", [root], [out])
    assert not is_ignored(root / "static" / ".well-known" / "security.txt", [root])


# -- debounce -------------------------------------------------------------------------

def test_a_burst_becomes_one_batch():
    queue = ChangeQueue(quiet=0.05, max_delay=2.0)
    batches: list[set] = []
    worker = threading.Thread(target=lambda: [batches.append(b) for b in iter(queue.take, None)])
    worker.start()
    for i in range(200):
        queue.add([Path(f"/s/{i}.md")])
    deadline = time.monotonic() + 5
    while not batches and time.monotonic() < deadline:
        time.sleep(0.01)
    queue.close()
    worker.join(5)
    assert len(batches) == 1 and len(batches[0]) == 200


def test_changes_during_a_build_give_exactly_one_more_batch():
    queue = ChangeQueue(quiet=0.01, max_delay=1.0)
    queue.add([Path("/s/a.md")])
    first = queue.take()
    for i in range(50):  # "while building"
        queue.add([Path(f"/s/{i}.md")])
    second = queue.take()
    assert first == {Path("/s/a.md")} and len(second) == 50
    queue.close()
    assert queue.take() is None


# -- what open pages are told -----------------------------------------------------------

def test_only_the_edited_page_reloads():
    live = LiveState()
    live.publish({"a/index.html": b"A", "b/index.html": b"B"}, "/")
    seen = live.snapshot.epoch
    live.publish({"a/index.html": b"A2", "b/index.html": b"B"}, "/")
    assert live.message(seen, "/a/", live.instance)["action"] == "reload"
    assert live.message(seen, "/b/", live.instance)["action"] == "none"


def test_css_only_change_swaps_stylesheets_even_with_version_query():
    live = LiveState()
    live.publish({"a/index.html": b'<link href="/theme/s.css?v=111">', "theme/s.css": b"x"}, "/r/")
    seen = live.snapshot.epoch
    changed = live.publish({"a/index.html": b'<link href="/theme/s.css?v=222">',
                            "theme/s.css": b"y"}, "/r/")
    assert changed == {"theme/s.css"}
    msg = live.message(seen, "/r/a/", live.instance)
    assert msg["action"] == "css" and msg["css"] == ["/r/theme/s.css"]


def test_errors_are_announced_and_cleared():
    live = LiveState()
    live.publish({"index.html": b"x"}, "/")
    seen = live.snapshot.epoch
    live.fail("pages/a.md:3: error: bad")
    msg = live.message(seen, "/", live.instance)
    assert msg["errors"] == "pages/a.md:3: error: bad" and msg["action"] == "none"
    assert live.snapshot.files == {"index.html": b"x"}
    live.publish({"index.html": b"x"}, "/")
    assert live.message(msg["epoch"], "/", live.instance)["errors"] is None


def test_new_page_reloads_its_404_and_unknown_history_reloads():
    live = LiveState()
    live.publish({"index.html": b"x", "404.html": b"nf"}, "/")
    seen = live.snapshot.epoch
    live.publish({"index.html": b"x", "404.html": b"nf", "new/index.html": b"n"}, "/")
    assert live.message(seen, "/new/", live.instance)["action"] == "reload"
    assert live.message(seen, "/", "another-server")["action"] == "reload"
    assert live.message(-5, "/", live.instance)["action"] == "reload"


def test_restyled_only_needs_identical_html_apart_from_css_versions():
    old = {"a.html": b'<link href="s.css?v=1">A', "b.html": b'<link href="s.css?v=1">B'}
    new = {"a.html": b'<link href="s.css?v=2">A', "b.html": b'<link href="s.css?v=2">B2'}
    assert restyled_only(["a.html", "b.html"], old, new) == {"a.html"}


def test_changed_script_or_image_reloads_only_pages_that_use_it():
    live = LiveState()
    files = {"a/index.html": b'<script src="/theme/app.js"></script>', "b/index.html": b"<p>b",
             "theme/app.js": b"1", "og/b.png": b"png"}
    live.publish(files, "/")
    seen = live.snapshot.epoch
    live.publish({**files, "theme/app.js": b"2", "og/new.png": b"png"}, "/")
    assert live.message(seen, "/a/", live.instance)["action"] == "reload"
    assert live.message(seen, "/b/", live.instance)["action"] == "none"


def test_responses_are_not_held_back_by_nagle(monkeypatch):
    """Headers and body go out as two writes; without TCP_NODELAY the body waits
    for the client's delayed ACK on every keep-alive request."""
    import http.client
    import socket

    from folio.server import DevServer, Handler, bind

    seen = []
    real_setup = Handler.setup

    def setup(self):
        real_setup(self)
        seen.append(self.connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))

    monkeypatch.setattr(Handler, "setup", setup)
    live = LiveState()
    live.publish({"index.html": b"<html><body>home</body></html>"}, "/")
    server = DevServer(bind("127.0.0.1", 0, live, allowed_set()))
    server.start()
    try:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        for _ in range(2):  # one keep-alive connection, two requests
            conn.request("GET", "/")
            assert b"home" in conn.getresponse().read()
        conn.close()
    finally:
        server.stop()
    assert seen and all(seen)
