/* Light/dark toggle. The saved choice is applied by an inline script in <head>
   before the first paint; this file only wires the button (shown when JS runs). */
(function () {
  var root = document.documentElement;
  var KEY = "folio-theme";
  function current() {
    var set = root.getAttribute("data-theme");
    if (set) return set;
    return window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
  }
  function sync(button) {
    var dark = current() === "dark";
    button.setAttribute("aria-pressed", dark ? "true" : "false");
  }
  function init() {
    var button = document.querySelector(".theme-toggle");
    if (button) {
      button.hidden = false;
      sync(button);
      button.addEventListener("click", function () {
        var next = current() === "dark" ? "light" : "dark";
        root.setAttribute("data-theme", next);
        try { localStorage.setItem(KEY, next); } catch (e) { /* private mode: session only */ }
        sync(button);
      });
      if (window.matchMedia) {
        window.matchMedia("(prefers-color-scheme: dark)").addEventListener("change", function () { sync(button); });
      }
    }
    scrollables();
    var timer;
    window.addEventListener("resize", function () { clearTimeout(timer); timer = setTimeout(scrollables, 150); });
    var printer = document.querySelector("[data-print]");
    if (printer) {
      printer.hidden = false;
      printer.addEventListener("click", function () { window.print(); });
    }
  }
  /* Code blocks and tables that scroll sideways must be reachable by keyboard. */
  function scrollables() {
    var regions = document.querySelectorAll(".prose pre, .prose table, main pre, main table");
    for (var i = 0; i < regions.length; i++) {
      var el = regions[i];
      if (el.scrollWidth > el.clientWidth + 1) {
        if (!el.hasAttribute("tabindex")) {
          el.setAttribute("tabindex", "0");
          el.setAttribute("data-scroll-focus", "");
        }
      } else if (el.hasAttribute("data-scroll-focus")) {
        el.removeAttribute("tabindex");
        el.removeAttribute("data-scroll-focus");
      }
    }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
