// Confirmation for financial and irreversible actions: <form data-confirm="¿Seguro…?">.
// Served as a file (no inline scripts) so the Content-Security-Policy can forbid them.
document.addEventListener("submit", function (event) {
  var form = event.target;
  var question = form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});

// File inputs (templates/_macros.html file_input): show the chosen file's name in Spanish.
document.addEventListener("change", function (event) {
  var input = event.target;
  if (!input.classList || !input.classList.contains("file-picker-input")) {
    return;
  }
  var shown = document.getElementById(input.id + "-chosen");
  if (!shown) {
    return;
  }
  var names = Array.prototype.map.call(input.files || [], function (file) { return file.name; });
  shown.textContent = names.length ? names.join(", ") : shown.getAttribute("data-empty");
  shown.classList.toggle("text-muted", !names.length);
});

// A table box that scrolls sideways (.table-responsive, or a table that scrolls itself on a phone) must be
// reachable with the keyboard: while it can scroll it takes the focus (tabindex="0") as a named region
// (the table's caption, else the heading above it); when it fits again it stops being a tab stop.
(function () {
  function nameOf(box) {
    var caption = box.querySelector("caption");
    if (caption && caption.textContent.trim()) {
      return caption.textContent.trim();
    }
    for (var el = box; el && el !== document.body; el = el.parentElement) {
      for (var prev = el.previousElementSibling; prev; prev = prev.previousElementSibling) {
        var heading = /^H[1-6]$/.test(prev.tagName) ? prev : prev.querySelector("h1, h2, h3, h4, h5, h6");
        if (heading && heading.textContent.trim()) {
          return "Tabla: " + heading.textContent.trim();
        }
      }
    }
    return "Tabla";
  }
  function mark() {
    var boxes = document.querySelectorAll("main .table-responsive, main table.table");
    Array.prototype.forEach.call(boxes, function (box) {
      var scrolls = box.scrollWidth > box.clientWidth + 1;
      if (scrolls && !box.hasAttribute("data-scroll-region")) {
        box.setAttribute("data-scroll-region", box.hasAttribute("aria-label") ? "" : "named");
        box.setAttribute("tabindex", "0");
        if (box.tagName !== "TABLE") {
          box.setAttribute("role", "region");
        }
        if (!box.hasAttribute("aria-label")) {
          box.setAttribute("aria-label", nameOf(box));
        }
      } else if (!scrolls && box.hasAttribute("data-scroll-region")) {
        if (box.getAttribute("data-scroll-region") === "named") {
          box.removeAttribute("aria-label");
        }
        box.removeAttribute("data-scroll-region");
        box.removeAttribute("tabindex");
        if (box.tagName !== "TABLE") {
          box.removeAttribute("role");
        }
      }
    });
  }
  mark();
  window.addEventListener("resize", mark);
})();
