"""Live reload for `folio serve`: the published site, what changed, what each page does.

A build publishes a whole new :class:`Snapshot` by swapping one reference, so a
request sees either the old site or the new one, never a mix. Open pages hold a
Server-Sent Events stream; :class:`LiveState` bumps an epoch after each build
(MkDocs' livereload design) and tells each page what to do: reload if its own
HTML or a file it names changed, swap stylesheets if only CSS changed, show or
clear the build-error overlay. The script is injected at serve time only.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from urllib.parse import quote

from .routing import route

__all__ = ["EVENTS_PATH", "LiveState", "Snapshot", "inject_script", "reload_snippet",
           "restyled_only"]

EVENTS_PATH = "/__folio__/events"
HISTORY = 64              # builds whose changed paths are remembered
# A changed file of these kinds reloads the open pages whose HTML names it.
RELOAD_SUFFIXES = frozenset(".js .mjs .png .jpg .jpeg .gif .webp .avif .svg .ico "
                            ".woff .woff2 .ttf .otf".split())

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
