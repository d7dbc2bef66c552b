"""A bounded soak (RELIABILITY 59): a few hundred edit -> rebuild cycles with
live-reload tabs connecting and vanishing, then SIGINT in the middle of a
rebuild. RSS, threads and file descriptors stay flat; the process exits within
two seconds, leaves no temp folders and frees its port."""

from __future__ import annotations

import os
import signal
import socket
import time

import pytest
from harness import page_md, site_files, wait_until, write

pytestmark = pytest.mark.slow

CYCLES = 200


def proc_stats(pid: int) -> dict[str, int]:
    status = open(f"/proc/{pid}/status").read()
    rss_kb = int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:")))
    return {"rss_mb": rss_kb // 1024, "threads": len(os.listdir(f"/proc/{pid}/task")),
            "fds": len(os.listdir(f"/proc/{pid}/fd"))}


def tabs(srv, n: int) -> list[socket.socket]:
    """n open pages' event streams (raw sockets, so they can vanish abruptly)."""
    socks = []
    for _ in range(n):
        sock = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
        sock.sendall(f"GET /__folio__/events?epoch=0&page=/about/ HTTP/1.1\r\n"
                     f"Host: 127.0.0.1:{srv.port}\r\n\r\n".encode())
        sock.recv(64)
        socks.append(sock)
    return socks


def test_soak_then_sigint_mid_rebuild(serve):
    srv = serve(site_files({f"p{i:02}": f"Page {i}." for i in range(20)} | {"about": "About me."}))
    about = srv.site / "pages" / "about.md"

    def cycle(i: int) -> None:
        write(about, page_md("About", f"Cycle {i}."))
        srv.wait_for_text("about/", f"Cycle {i}.")

    for i in range(20):  # warm up caches, thread pools and allocator arenas
        cycle(i)
    open_tabs = tabs(srv, 10)
    baseline = proc_stats(srv.proc.pid)
    for i in range(20, 20 + CYCLES):
        cycle(i)
        if i % 20 == 0:  # tabs reconnect: the old ones vanish mid-stream
            for sock in open_tabs:
                sock.close()
            open_tabs = tabs(srv, 10)
    for sock in open_tabs:
        sock.close()
    open_tabs = tabs(srv, 10)
    after = wait_until(lambda: (s := proc_stats(srv.proc.pid))["threads"] <= baseline["threads"] + 2
                       and s["fds"] <= baseline["fds"] + 4 and s,
                       message=f"threads and fds back near {baseline}")
    assert after["rss_mb"] - baseline["rss_mb"] < 30, (baseline, after)
    print("soak", baseline, after)
    for sock in open_tabs:
        sock.close()

    # SIGINT while a rebuild is running: 40 new pages make a build of a few seconds
    before = set(os.listdir(srv.site))
    tmp_before = set(os.listdir("/tmp"))
    for i in range(40):
        write(srv.site / "pages" / f"big{i:02}.md", page_md(f"Big {i}", f"Big page {i}."))
    wait_until(lambda: srv.status()["building"], message="a rebuild running", interval=0.001)
    started = time.monotonic()
    srv.proc.send_signal(signal.SIGINT)
    srv.proc.wait(5)
    assert time.monotonic() - started < 2.0
    assert srv.proc.returncode == 0, srv.output()
    left = set(os.listdir(srv.site)) - before
    assert not left, left
    assert not [p for p in srv.site.rglob("*") if p.is_dir() and "tmp" in p.name.lower()]
    new_tmp = {p for p in set(os.listdir("/tmp")) - tmp_before if os.path.isdir(f"/tmp/{p}")}
    assert not {p for p in new_tmp if "folio" in p or p.startswith("tmp")}, new_tmp
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", srv.port))
