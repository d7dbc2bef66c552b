/* Gallery lightbox. Without JavaScript each thumbnail is a link to the full
   image; with it, activating a thumbnail (click or Enter) opens a modal
   <dialog>: Left/Right move between images, Escape or the close button closes
   it, and focus returns to the thumbnail that opened it. */
(function () {
  "use strict";
  if (typeof HTMLDialogElement !== "function") return;

  function button(cls, label, text) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = cls;
    b.setAttribute("aria-label", label);
    b.textContent = text;
    return b;
  }

  function setup(gallery) {
    var links = Array.prototype.slice.call(gallery.querySelectorAll("[data-gallery-item]"));
    if (!links.length) return;
    var dialog = document.createElement("dialog");
    dialog.className = "lightbox";
    dialog.setAttribute("aria-label", "Image viewer");
    var figure = document.createElement("figure");
    var media = document.createElement("div");
    var caption = document.createElement("figcaption");
    var count = document.createElement("p");
    count.className = "lightbox-count";
    count.setAttribute("aria-live", "polite");
    var close = button("lightbox-close", "Close", "×");
    var prev = button("lightbox-prev", "Previous image", "‹");
    var next = button("lightbox-next", "Next image", "›");
    figure.appendChild(media);
    figure.appendChild(caption);
    [figure, count, close, prev, next].forEach(function (el) { dialog.appendChild(el); });
    document.body.appendChild(dialog);
    var index = 0;
    var opener = null;

    function show(i) {
      index = (i + links.length) % links.length;
      var link = links[index];
      var picture = link.querySelector("picture, img");
      media.textContent = "";
      if (picture) {
        var copy = picture.cloneNode(true);
        copy.querySelectorAll("source").forEach(function (s) { s.setAttribute("sizes", "96vw"); });
        var img = copy.tagName === "IMG" ? copy : copy.querySelector("img");
        if (img) {
          img.removeAttribute("loading");
          img.removeAttribute("class");
        }
        media.appendChild(copy);
      }
      var cap = link.closest("figure") && link.closest("figure").querySelector("figcaption");
      caption.textContent = cap ? cap.textContent : "";
      caption.hidden = !cap;
      count.textContent = (index + 1) + " of " + links.length;
      prev.hidden = next.hidden = links.length < 2;
    }

    links.forEach(function (link, i) {
      link.addEventListener("click", function (event) {
        if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
        event.preventDefault();
        opener = link;
        show(i);
        dialog.showModal();
        close.focus();
      });
    });
    prev.addEventListener("click", function () { show(index - 1); });
    next.addEventListener("click", function () { show(index + 1); });
    close.addEventListener("click", function () { dialog.close(); });
    dialog.addEventListener("keydown", function (event) {
      if (event.key === "ArrowLeft") { event.preventDefault(); show(index - 1); }
      else if (event.key === "ArrowRight") { event.preventDefault(); show(index + 1); }
    });
    dialog.addEventListener("click", function (event) {
      if (event.target === dialog) dialog.close();  // a click on the backdrop
    });
    dialog.addEventListener("close", function () {
      media.textContent = "";
      if (opener) opener.focus();
    });
  }

  document.querySelectorAll("[data-gallery]").forEach(setup);
})();
