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
