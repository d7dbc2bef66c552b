"""`folio serve`: build in memory, serve, watch, rebuild, reload open pages.

The Click command is the thin part at the bottom; :func:`run` wires the pieces
(Builder -> LiveState <- HTTP server, SiteWatcher -> ChangeQueue -> rebuild
thread) and is what tests drive in-process.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import click

from ..errors import FolioError
from .common import echo_diagnostics

WILDCARD_HOSTS = ("0.0.0.0", "::", "[::]", "")
EXIT_GRACE = 0.8  # seconds to let a running build finish before the process ends anyway


def _say(text: str) -> None:
    click.echo(text)
    sys.stdout.flush()


def _warn(text: str) -> None:
    click.echo(text, err=True)


class LiveBuild:
    """Runs the Builder and publishes each good build; a failed one only adds the overlay."""

    def __init__(self, builder, live, watcher_roots: Callable[[object], None] | None = None) -> None:
        self.builder = builder
        self.live = live
        self.on_site = watcher_roots
        self._warned: set[str] = set()

    def build(self, changed: Iterable[Path] | None = None) -> bool:
        """`changed`: the paths of a watcher batch (None: unknown, look at everything)."""
        started = time.perf_counter()
        self.live.building = True
        try:
            result = self.builder.build(changed)
        except FolioError as exc:
            echo_diagnostics(exc.diagnostics)
            self.live.fail(exc.format())
            n = len(exc.diagnostics)
            _warn(f"Build failed ({n} error{'s' * (n != 1)}); still serving the last good build.")
            return False
        except Exception as exc:  # noqa: BLE001 - a bug in a stage must not stop the server
            import traceback

            traceback.print_exc()
            text = f"folio: internal error while building: {type(exc).__name__}: {exc}"
            self.live.fail(text)
            _warn(text + " (please report it; still serving the last good build)")
            return False
        finally:
            self.live.building = False
        fresh = [w for w in result.warnings if w.headline() not in self._warned]
        self._warned.update(w.headline() for w in result.warnings)
        echo_diagnostics(fresh)
        had_errors = self.live.snapshot.errors is not None
        changed_keys = self.live.publish(result.files, result.site.config.base_path)
        seconds = time.perf_counter() - started
        if self.live.builds > 1:
            note = " (errors fixed)" if had_errors else ""
            _say(f"Rebuilt in {seconds:.2f} s: {len(changed_keys)} output files changed{note}")
        if self.on_site is not None:
            self.on_site(result)
        return True


def watch_roots(root: Path, site) -> tuple[list[Path], list[Path]]:
    """Folders to watch (the site and every theme folder outside it) and folders to
    ignore (the output folder: folio's own writes must never trigger a build)."""
    roots = [root]
    try:
        from ..themes import load_theme

        for theme in load_theme(site.config.theme, root).themes:
            theme_root = theme.root.resolve()
            if root not in (theme_root, *theme_root.parents):
                roots.append(theme_root)
    except FolioError:
        pass  # the build reported it already
    output = (root / site.config.output).resolve() if site is not None else root / "_site"
    return roots, [output]


def _interrupt(signum, frame) -> None:
    """SIGTERM and SIGHUP stop the server the way Ctrl-C does, even mid-build."""
    raise KeyboardInterrupt


def _configured_base_path(root: Path) -> str:
    """The base path from folio.yaml when the first build failed, so the printed
    URL is right once the error is fixed; "/" when folio.yaml itself is broken."""
    from ..config import load_config
    from ..errors import Report

    try:
        return load_config(root, Report()).base_path
    except (FolioError, OSError):
        return "/"


def run(site_dir: Path | None, host: str = "127.0.0.1", port: int = 8000,
        allowed_hosts: Iterable[str] = (), stop: threading.Event | None = None,
        builder=None, observer_class=None, on_ready: Callable[[str], None] | None = None) -> int:
    """Serve until `stop` is set, SIGINT or SIGTERM. Returns the exit code."""
    from .. import server as srv
    from ..watch import ChangeQueue, SiteWatcher, tree_fingerprint

    if builder is None:
        from ..build import Builder, BuildOptions

        builder = Builder(site_dir, BuildOptions(drafts=True, search=False, cards=False,
                                                 explicit_site=site_dir is not None))
    root = Path(builder.root).resolve()
    wildcard = host.strip() in WILDCARD_HOSTS
    live = srv.LiveState()
    http = srv.bind(host or "0.0.0.0", port, live,
                    srv.allowed_set(allowed_hosts, None if wildcard else host))
    if wildcard:
        _warn(f"warning: listening on every network interface ({host or '0.0.0.0'}): anyone on "
              "your network can open this site, drafts included. Browsers must use "
              "localhost or a name given with --allowed-host.")
    queue = ChangeQueue()
    watcher = SiteWatcher([root], queue, _warn, excluded=[root / "_site"],
                          **({"observer_class": observer_class} if observer_class else {}))

    def follow(result) -> None:
        roots, excluded = watch_roots(root, result.site)
        watcher.set_roots(roots, excluded)

    live_build = LiveBuild(builder, live, follow)
    stop = stop or threading.Event()
    server = srv.DevServer(http)
    builder_thread: threading.Thread | None = None
    previous = {}
    try:
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGTERM, signal.SIGHUP):
                previous[sig] = signal.signal(sig, _interrupt)
        _say(f"Building {click.format_filename(str(root))} (drafts included) ...")
        excluded = [root / "_site"]
        before = tree_fingerprint(root, excluded)
        # The first build runs before any other thread exists, so it may fork workers.
        if not live_build.build():
            live.use_base_path(_configured_base_path(root))
        try:
            watcher.start()
        except OSError as exc:
            raise FolioError(f"cannot watch {root} for changes: {exc.strerror or exc}",
                             hint="check the folder's permissions") from None
        if tree_fingerprint(root, excluded) != before:
            queue.add([root])  # something changed during the first build
        server.start()
        shown = host.strip().strip("[]")
        if wildcard:
            shown = "::1" if ":" in shown else "127.0.0.1"
        url = server.url(shown)
        _say(f"Serving on {url}")
        if on_ready:
            on_ready(url)

        def rebuild_loop() -> None:
            while (batch := queue.take()) is not None:
                live_build.build(batch)

        builder_thread = threading.Thread(target=rebuild_loop, name="folio-rebuild", daemon=True)
        builder_thread.start()
        while not stop.wait(0.25):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        queue.close()
        watcher.stop(wait=False)
        server.stop()
        if builder_thread is not None and live.building:
            builder_thread.join(EXIT_GRACE)
    _say("Stopped.")
    return 0


@click.command()
@click.argument("site", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Interface to listen on. 0.0.0.0 or :: exposes the site to your network.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on; 0 picks a free one (the URL is printed).")
@click.option("--allowed-host", "allowed_hosts", multiple=True, metavar="HOST",
              help="Another Host name browsers may use (e.g. your machine's LAN name). Repeatable.")
def serve(site, host, port, allowed_hosts):
    """Serve the site with drafts, rebuild on every change and reload open pages."""
    try:
        code = run(site, host=host, port=port, allowed_hosts=allowed_hosts)
    except FolioError as exc:
        echo_diagnostics(exc.diagnostics)
        sys.exit(1)
    sys.stdout.flush()
    sys.stderr.flush()
    if threading.active_count() > 1:
        os._exit(code)  # a build still running after the grace period must not hold the exit
    sys.exit(code)


__all__ = ["LiveBuild", "run", "serve", "watch_roots"]
