/* folio learning modules: progress, quizzes and catalogue filters.
 *
 * Progressive enhancement only: every page is complete without this file
 * (quiz answers sit in <details>, all modules are listed). Progress lives in
 * localStorage, so it works offline and from file://, with no server.
 * The same file runs inside exported packages; a SCORM bridge, when present,
 * sets window.FolioLMS = {complete(), score(raw, max)}.
 */
(function () {
  "use strict";

  var store = {
    read: function (key) {
      try {
        var data = JSON.parse(window.localStorage.getItem(key) || "{}");
        return data && typeof data === "object" ? data : {};
      } catch (e) {
        return {};
      }
    },
    write: function (key, data) {
      try {
        window.localStorage.setItem(key, JSON.stringify(data));
      } catch (e) {
        /* private mode or storage full: progress is a convenience, not a must */
      }
    }
  };

  function progressFor(el) {
    var holder = el.closest("[data-progress-key]") || document.querySelector("[data-progress-key]");
    if (!holder) return null;
    var key = holder.getAttribute("data-progress-key");
    var data = store.read(key);
    if (!Array.isArray(data.completed)) data.completed = [];
    if (!data.scores || typeof data.scores !== "object") data.scores = {};
    return {
      key: key,
      data: data,
      save: function () { store.write(key, data); }
    };
  }

  function lms() {
    return window.FolioLMS || null;
  }

  /* Outline ticks: every [data-lesson] link in an outline shows its state. */
  function paintOutline(progress) {
    var done = progress.data.completed;
    var items = document.querySelectorAll("[data-outline] [data-lesson]");
    for (var i = 0; i < items.length; i++) {
      var slug = items[i].getAttribute("data-lesson");
      var isDone = done.indexOf(slug) !== -1;
      items[i].classList.toggle("is-done", isDone);
      var mark = items[i].querySelector(".lesson-state");
      if (mark) mark.textContent = isDone ? " (completed)" : "";
    }
    var count = document.querySelector("[data-progress-count]");
    if (count) {
      var total = parseInt(count.getAttribute("data-total"), 10) || 0;
      var n = 0;
      for (var j = 0; j < items.length; j++) if (items[j].classList.contains("is-done")) n++;
      if (items.length === 0) n = done.length;
      count.textContent = Math.min(n, total) + " of " + total + " lessons completed";
      count.hidden = false;
    }
  }

  /* Lesson page: remember the last lesson, and the "mark complete" toggle. */
  function setupLesson(progress) {
    var lesson = document.querySelector("[data-lesson-slug]");
    if (!lesson) return;
    var slug = lesson.getAttribute("data-lesson-slug");
    progress.data.last = slug;
    progress.save();
    var buttons = document.querySelectorAll("[data-complete]");
    function paint() {
      var isDone = progress.data.completed.indexOf(slug) !== -1;
      for (var i = 0; i < buttons.length; i++) {
        buttons[i].hidden = false;
        buttons[i].setAttribute("aria-pressed", isDone ? "true" : "false");
        buttons[i].textContent = isDone ? "Completed \u2713 (undo)" : "Mark lesson complete";
      }
      paintOutline(progress);
    }
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].addEventListener("click", function () {
        var at = progress.data.completed.indexOf(slug);
        if (at === -1) {
          progress.data.completed.push(slug);
          if (lms()) lms().complete();
        } else {
          progress.data.completed.splice(at, 1);
        }
        progress.save();
        paint();
      });
    }
    paint();
  }

  /* Overview page: "start" always, "continue" when there is somewhere to go back to. */
  function setupContinue(progress) {
    var link = document.querySelector("[data-continue]");
    if (!link || !progress.data.last) return;
    var target = document.querySelector("[data-outline] [data-lesson='" + cssEscape(progress.data.last) + "']");
    if (!target) return;
    link.href = target.getAttribute("href");
    var label = link.querySelector("[data-continue-title]");
    if (label) label.textContent = target.getAttribute("data-title") || target.textContent;
    link.hidden = false;
  }

  function cssEscape(text) {
    return window.CSS && CSS.escape ? CSS.escape(text) : String(text).replace(/["'\\\]]/g, "\\$&");
  }

  /* Quizzes: per-answer feedback with the explanation, and a running score. */
  function setupQuiz(form, progress) {
    var questions = form.querySelectorAll("[data-question]");
    var scoreOut = form.querySelector("[data-quiz-score]");
    var lessonEl = document.querySelector("[data-lesson-slug]");
    var slug = lessonEl ? lessonEl.getAttribute("data-lesson-slug") : "";
    form.classList.add("is-enhanced");

    function judge(question) {
      var picked = question.querySelector("input[type=radio]:checked");
      var out = question.querySelector("[data-feedback]");
      if (!picked || !out) return null;
      var right = picked.value === question.getAttribute("data-answer");
      var explain = question.getAttribute("data-explain") || "";
      out.hidden = false;
      out.className = "quiz-feedback " + (right ? "is-correct" : "is-wrong");
      out.textContent = (right ? "Correct. " : "Not quite. ") + explain;
      return right;
    }

    function tally() {
      var answered = 0, correct = 0;
      for (var i = 0; i < questions.length; i++) {
        var result = judge(questions[i]);
        if (result !== null) answered++;
        if (result) correct++;
      }
      if (scoreOut && answered > 0) {
        scoreOut.textContent = "You got " + correct + " of " + questions.length + " right" +
          (answered < questions.length ? " so far." : ".");
      }
      if (answered === questions.length && questions.length > 0) {
        if (progress && slug) {
          progress.data.scores[slug] = [correct, questions.length];
          progress.save();
        }
        if (lms()) lms().score(correct, questions.length);
      }
    }

    form.addEventListener("change", function (event) {
      var question = event.target.closest("[data-question]");
      if (question) judge(question);
      tally();
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      tally();
    });
    var check = form.querySelector("[data-quiz-check]");
    if (check) check.hidden = false;
  }

  /* Catalogue: filter by track and level; without JS every module is listed. */
  function setupFilter(form) {
    var items = document.querySelectorAll("[data-module-card]");
    var status = form.querySelector("[data-filter-status]");
    function apply() {
      var track = form.elements.track ? form.elements.track.value : "";
      var level = form.elements.level ? form.elements.level.value : "";
      var shown = 0;
      for (var i = 0; i < items.length; i++) {
        var tracks = (items[i].getAttribute("data-tracks") || "").split(" ");
        var ok = (!track || tracks.indexOf(track) !== -1) &&
          (!level || items[i].getAttribute("data-level") === level);
        items[i].hidden = !ok;
        if (ok) shown++;
      }
      if (status) status.textContent = shown + " of " + items.length + " modules shown";
    }
    form.addEventListener("change", apply);
    form.addEventListener("submit", function (event) { event.preventDefault(); apply(); });
    form.hidden = false;
    apply();
  }

  function start() {
    var holder = document.querySelector("[data-progress-key]");
    var progress = holder ? progressFor(holder) : null;
    if (progress) {
      setupLesson(progress);
      setupContinue(progress);
      paintOutline(progress);
    }
    var quizzes = document.querySelectorAll("[data-quiz]");
    for (var i = 0; i < quizzes.length; i++) setupQuiz(quizzes[i], progress);
    var filter = document.querySelector("[data-module-filter]");
    if (filter) setupFilter(filter);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
