/* SCORM 1.2 bridge: finds the LMS API, reports completion and quiz scores.
 * Without an LMS (a plain browser, file://) it does nothing and the lesson
 * still works, with progress kept in localStorage by lesson.js.
 */
(function () {
  "use strict";
  function search(win) {
    for (var hops = 0; win && hops < 10; hops++) {
      try {
        if (win.API) return win.API;
      } catch (e) {
        return null; /* another origin: stop walking */
      }
      if (!win.parent || win.parent === win) break;
      win = win.parent;
    }
    return null;
  }
  function findAPI() {
    var api = search(window);
    if (!api && window.opener) api = search(window.opener);
    if (!api && window.top && window.top.opener) {
      try { api = search(window.top.opener); } catch (e) { api = null; }
    }
    return api;
  }
  var api = findAPI();
  var open = false;
  if (api) {
    open = String(api.LMSInitialize("")) === "true";
    if (open) {
      var status = String(api.LMSGetValue("cmi.core.lesson_status"));
      if (status === "not attempted" || status === "") {
        api.LMSSetValue("cmi.core.lesson_status", "incomplete");
        api.LMSCommit("");
      }
    }
  }
  function finish() {
    if (open) {
      api.LMSCommit("");
      api.LMSFinish("");
      open = false;
    }
  }
  window.FolioLMS = {
    present: open,
    complete: function () {
      if (!open) return;
      api.LMSSetValue("cmi.core.lesson_status", "completed");
      api.LMSCommit("");
    },
    score: function (raw, max) {
      if (!open || !max) return;
      api.LMSSetValue("cmi.core.score.min", "0");
      api.LMSSetValue("cmi.core.score.max", "100");
      api.LMSSetValue("cmi.core.score.raw", String(Math.round(100 * raw / max)));
      api.LMSSetValue("cmi.core.lesson_status", "completed");
      api.LMSCommit("");
    },
    finish: finish
  };
  window.addEventListener("pagehide", finish);
  window.addEventListener("beforeunload", finish);
})();
