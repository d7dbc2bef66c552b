/* Site search over the Pagefind index in /pagefind/ (built by `folio build`).
   The box stays hidden until the index loads, so a site built with --no-search
   shows nothing broken. Keyboard: the button opens the panel and focuses the
   field; Down/Up move through results; Enter in the field opens the first
   result; Escape closes the panel and gives focus back to the button. */
(function () {
  "use strict";
  var root = document.querySelector("[data-search]");
  if (!root || !("noModule" in HTMLScriptElement.prototype)) return;
  var bundle = root.getAttribute("data-bundle");
  var base = root.getAttribute("data-base") || "/";
  var toggle = root.querySelector(".search-toggle");
  var panel = root.querySelector(".search-panel");
  var input = root.querySelector(".search-input");
  var track = root.querySelector(".search-track");
  var status = root.querySelector(".search-status");
  var list = root.querySelector(".search-results");
  var MAX_RESULTS = 8;
  var pagefind = null;
  var latest = 0;
  var timer = null;

  function load() {
    return import(bundle + "pagefind.js").then(function (pf) {
      // Result URLs are site-relative in the index; prefix them with the base path.
      return Promise.resolve(pf.options && pf.options({ baseUrl: base }))
        .then(function () { return pf.init && pf.init(); })
        .then(function () { return mergeShards(pf); })
        .then(function () { return pf; });
    });
  }

  // A large site's index comes in shards (shards.json names them, relative to the
  // bundle); Pagefind searches them as one.
  function mergeShards(pf) {
    if (!pf.mergeIndex) return null;
    return fetch(bundle + "shards.json")
      .then(function (response) { return response.ok ? response.json() : {}; })
      .catch(function () { return {}; })
      .then(function (list) {
        var shards = (list && list.shards) || [];
        return Promise.all(shards.map(function (path) {
          return pf.mergeIndex(bundle + path, { baseUrl: base });
        }));
      });
  }

  // Pagefind excerpts are text with <mark> around hits; keep exactly that.
  function excerptNode(html) {
    var tpl = document.createElement("template");
    tpl.innerHTML = html || "";
    var out = document.createElement("span");
    out.className = "search-excerpt";
    tpl.content.childNodes.forEach(function (node) {
      if (node.nodeName === "MARK") {
        var mark = document.createElement("mark");
        mark.textContent = node.textContent;
        out.appendChild(mark);
      } else {
        out.appendChild(document.createTextNode(node.textContent));
      }
    });
    return out;
  }

  function fillTracks(filters) {
    var values = filters && filters.track ? Object.keys(filters.track).sort() : [];
    values.forEach(function (value) {
      var option = document.createElement("option");
      option.value = value;
      option.textContent = value;
      track.appendChild(option);
    });
    track.hidden = values.length < 2;
  }

  function render(items, query) {
    list.textContent = "";
    items.forEach(function (data) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = data.url;
      var kinds = data.filters && data.filters.type;
      if (kinds && kinds.length) {
        var kind = document.createElement("span");
        kind.className = "search-kind";
        kind.textContent = kinds[0];
        a.appendChild(kind);
      }
      var title = document.createElement("span");
      title.className = "search-title";
      title.textContent = (data.meta && data.meta.title) || data.url;
      a.appendChild(title);
      a.appendChild(excerptNode(data.excerpt));
      li.appendChild(a);
      list.appendChild(li);
    });
    var n = items.length;
    status.textContent = n ? n + (n === 1 ? " result" : " results") + (query ? " for “" + query + "”" : "")
                           : "No results" + (query ? " for “" + query + "”" : "");
  }

  function run() {
    var query = input.value.trim();
    var filters = track.value ? { track: track.value } : {};
    var ticket = ++latest;
    if (!query && !track.value) {
      list.textContent = "";
      status.textContent = "";
      return;
    }
    pagefind.search(query || null, { filters: filters }).then(function (search) {
      return Promise.all(search.results.slice(0, MAX_RESULTS).map(function (r) { return r.data(); }));
    }).then(function (items) {
      if (ticket === latest) render(items, query);
    }).catch(function () {
      if (ticket === latest) status.textContent = "Search failed; try again.";
    });
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(run, 120);
  }

  function open() {
    panel.hidden = false;
    toggle.setAttribute("aria-expanded", "true");
    input.focus();
  }

  function close(returnFocus) {
    if (panel.hidden) return;
    panel.hidden = true;
    toggle.setAttribute("aria-expanded", "false");
    if (returnFocus) toggle.focus();
  }

  function links() { return Array.prototype.slice.call(list.querySelectorAll("a")); }

  load().then(function (pf) {
    pagefind = pf;
    root.hidden = false;
    toggle.addEventListener("click", function () { panel.hidden ? open() : close(true); });
    input.addEventListener("input", schedule);
    track.addEventListener("change", run);
    Promise.resolve(pf.filters ? pf.filters() : {}).then(fillTracks, function () {});
    root.addEventListener("keydown", function (event) {
      var all = links();
      var at = all.indexOf(document.activeElement);
      if (event.key === "Escape") {
        event.preventDefault();
        close(true);
      } else if (event.key === "ArrowDown" && all.length) {
        event.preventDefault();
        all[Math.min(at + 1, all.length - 1)].focus();
      } else if (event.key === "ArrowUp" && at >= 0) {
        event.preventDefault();
        if (at === 0) input.focus(); else all[at - 1].focus();
      } else if (event.key === "Enter" && document.activeElement === input && all.length) {
        event.preventDefault();
        all[0].click();
      }
    });
    document.addEventListener("click", function (event) {
      if (!root.contains(event.target)) close(false);
    });
    root.addEventListener("focusout", function (event) {
      if (event.relatedTarget && !root.contains(event.relatedTarget)) close(false);
    });
  }).catch(function () { /* no index (built with --no-search, or opened from disk): stay hidden */ });
})();
