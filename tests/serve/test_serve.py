"""A real `folio serve` over HTTP: edits, new and deleted pages, errors and
recovery, base path, 404, MIME types, ports, shutdown."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import sys
import time

import pytest
from harness import page_md, site_files, wait_until, write

from folio.build import Builder, BuildOptions


def test_edit_is_served_and_reported(serve):
    srv = serve()
    assert srv.url == f"http://127.0.0.1:{srv.port}/"
    assert "About me." in srv.text("about/")
    write(srv.site / "pages" / "about.md", page_md("About", "Edited once."))
    html = srv.wait_for_text("about/", "Edited once.")
    assert "About me." not in html
    wait_until(lambda: any(line.startswith("Rebuilt in") for line in srv.lines))


def test_new_and_deleted_pages(serve):
    srv = serve()
    assert srv.get("fresh/")[0] == 404
    write(srv.site / "pages" / "fresh.md", page_md("Fresh", "Brand new page."))
    srv.wait_for_text("fresh/", "Brand new page.")
    assert srv.get("fresh/")[0] == 200
    (srv.site / "pages" / "fresh.md").unlink()
    wait_until(lambda: srv.get("fresh/")[0] == 404, message=srv.output())
    assert "Nothing here (theme 404)" in srv.text("fresh/")


@pytest.mark.parametrize("broken, where", [
    ("---\ntitle: [unclosed\n---\nBody\n", r"pages/about\.md:\d+:\d+: error: invalid YAML"),
    ("---\ntitle: About\n---\nBody\n", r"case-studies/x\.md:3(:\d+)?: error: .*no-such-skill"),
    ("---\ntitle: About\n---\n[broken](missing.md)\n", r"pages/about\.md:4(:\d+)?: error: .*missing"),
])
def test_build_error_keeps_last_good_site_then_recovers(serve, broken, where):
    srv = serve()
    good = srv.text("about/")
    write(srv.site / "pages" / "about.md", broken)
    if "case-studies" in where:  # an unknown skill is named by a case study
        write(srv.site / "case-studies" / "x.md", "---\ntitle: X\nskills: [no-such-skill]\n---\nx\n")
    status = wait_until(lambda: (s := srv.status())["errors"] and s, message=srv.output())
    assert re.search(where, status["errors"]), status["errors"]
    wait_until(lambda: any(re.search(where, line) for line in srv.errors), message=srv.output())
    # the last good page is still served, with the overlay's message in it
    page = srv.text("about/")
    assert page.startswith(good.split("<script data-folio-live>")[0])
    assert status["errors"].split(":")[0] in page.split("<script data-folio-live>")[1]
    assert srv.proc.poll() is None
    write(srv.site / "pages" / "about.md", page_md("About", "Fixed again."))
    if "case-studies" in where:
        (srv.site / "case-studies" / "x.md").unlink()
    srv.wait_for_text("about/", "Fixed again.")
    assert srv.status()["errors"] is None


def test_template_error_and_recovery(serve):
    srv = serve()
    template = srv.site / "themes" / "t" / "templates" / "page.html"
    good = template.read_text()
    write(template, good.replace("{% endblock %}", "{{ no_such_thing }}{% endblock %}"))
    status = wait_until(lambda: (s := srv.status())["errors"] and s, message=srv.output())
    assert "themes/t/templates/page.html:1" in status["errors"]
    write(template, good.replace("<h1>", "<h1 class=fixed>"))
    srv.wait_for_text("about/", "<h1 class=fixed>")


def test_broken_config_at_start_then_fixed(serve, make_site):
    files = site_files()
    files["folio.yaml"] = "title: [broken\n"
    srv = serve(files)
    assert srv.status()["errors"].startswith("folio.yaml:")
    assert srv.get("about/")[0] == 404
    write(srv.site / "folio.yaml", "title: Test Site\nbase_url: https://example.test/\ntheme: themes/t\n")
    srv.wait_for_text("about/", "About me.")


def test_base_path(serve):
    srv = serve(site_files(base="/portfolio/"))
    assert srv.url.endswith("/portfolio/") and srv.base == "/portfolio/"
    status, headers, _ = srv.request("/")
    assert status == 302 and headers["Location"] == "/portfolio/"
    assert srv.request("/portfolio")[0] == 302
    assert srv.request("/about/")[0] == 404
    assert "About me." in srv.text("about/")
    status, headers, _ = srv.request("/portfolio/about")
    assert status == 302 and headers["Location"] == "/portfolio/about/"


def test_mime_types_head_and_404(serve):
    srv = serve()
    cases = {"": "text/html; charset=utf-8", "theme/css/site.css": "text/css; charset=utf-8"}
    for rel, expected in cases.items():
        status, headers, body = srv.request(srv.base + rel)
        assert status == 200 and headers["Content-Type"] == expected
        assert int(headers["Content-Length"]) == len(body)
        assert headers["X-Content-Type-Options"] == "nosniff"
    css = srv.get("theme/css/site.css")[1]
    assert b"folio-live" not in css  # only HTML gets the reload script
    status, headers, body = srv.request(srv.base + "about/", method="HEAD")
    assert status == 200 and body == b"" and int(headers["Content-Length"]) > 0
    status, headers, body = srv.request(srv.base + "nope/")
    assert status == 404 and b"Nothing here (theme 404)" in body and b"data-folio-live" in body
    assert int(headers["Content-Length"]) == len(body)


def test_reload_script_never_reaches_build_output(make_site, folio_cli, tmp_path):
    root = make_site(site_files())
    files = Builder(root, BuildOptions(drafts=True, search=False)).build().files
    assert files and not any(b"folio-live" in body or b"__folio__" in body for body in files.values())
    out = tmp_path / "out"
    result = folio_cli("build", str(root), "-o", str(out), "--no-search")
    assert result.returncode == 0, result.stderr
    written = [p for p in out.rglob("*.html")]
    assert written and not any(b"__folio__" in p.read_bytes() for p in written)


def test_drafts_are_shown(serve):
    files = site_files()
    files["pages/secret.md"] = page_md("Secret", "Draft text.", draft="true")
    srv = serve(files)
    assert "Draft text." in srv.text("secret/")


def test_output_folder_writes_do_not_trigger_builds(serve):
    srv = serve()
    builds = srv.settle()
    for i in range(5):
        write(srv.site / "_site" / f"x{i}.html", "junk")
        write(srv.site / ".folio-cache" / f"c{i}", "junk")
        write(srv.site / "pages" / f".p{i}.md.swp", "junk")
    assert srv.settle() == builds + 1, srv.output()


def test_busy_port_is_a_clear_error(make_site, folio_cli):
    root = make_site(site_files())
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        result = folio_cli("serve", str(root), "--port", str(port), timeout=60)
    assert result.returncode == 1
    assert f"port {port}" in result.stderr and "already in use" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_site_is_a_clear_error(tmp_path, folio_cli):
    result = folio_cli("serve", str(tmp_path), "--port", "0", timeout=60)
    assert result.returncode == 1 and "folio.yaml" in result.stderr
    assert "Traceback" not in result.stderr


def test_wildcard_host_warns_once(serve):
    srv = serve(None, "--host", "0.0.0.0")
    warnings = [line for line in srv.errors if "every network interface" in line]
    assert len(warnings) == 1
    assert srv.url.startswith("http://127.0.0.1:")
    assert srv.request("/", headers={"Host": f"example.test:{srv.port}"})[0] == 403


def test_allowed_host_option(serve):
    srv = serve(None, "--allowed-host", "dev.example")
    assert srv.request("/", headers={"Host": f"dev.example:{srv.port}"})[0] == 200
    assert srv.request("/", headers={"Host": f"other.example:{srv.port}"})[0] == 403


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_signal_exits_quickly_and_frees_the_port(serve, sig):
    srv = serve()
    before = set(os.listdir(srv.site))
    started = time.monotonic()
    srv.proc.send_signal(sig)
    srv.proc.wait(5)
    assert time.monotonic() - started < 2.0
    assert srv.proc.returncode == 0
    assert set(os.listdir(srv.site)) <= before | {".folio-cache"}
    with socket.socket() as sock:  # the port is free again
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", srv.port))


def test_site_folder_moved_away_and_back(serve, tmp_path):
    srv = serve()
    parked = tmp_path / "parked"
    shutil.move(str(srv.site), parked)
    shutil.move(str(parked), srv.site)
    write(srv.site / "pages" / "about.md", page_md("About", "Back again."))
    srv.wait_for_text("about/", "Back again.", timeout=10)
    assert sys.platform != "linux" or srv.proc.poll() is None


def test_failed_first_build_still_prints_the_configured_base_path(serve):
    files = site_files(base="/repo/")
    files["pages/about.md"] = "---\ntitle: [broken\n---\n"
    srv = serve(files)
    assert srv.base == "/repo/" and srv.status()["errors"]
    assert srv.request("/")[0] == 302
    write(srv.site / "pages" / "about.md", page_md("About", "Now it builds."))
    srv.wait_for_text("about/", "Now it builds.")


@pytest.mark.skipif(not socket.has_ipv6, reason="no IPv6")
def test_ipv6_loopback(serve):
    import http.client

    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        pytest.skip("::1 is not available")
    srv_url = serve(None, "--host", "::1").url
    assert re.match(r"http://\[::1\]:\d+/$", srv_url)
    conn = http.client.HTTPConnection("::1", int(srv_url.rsplit(":", 1)[1].strip("/")), timeout=5)
    conn.request("GET", "/about/")
    assert conn.getresponse().status == 200
    conn.close()
