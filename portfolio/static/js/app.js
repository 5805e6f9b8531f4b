// Confirmation for financial and irreversible actions: <form data-confirm="¿Seguro…?">.
// Served as a file (no inline scripts) so the Content-Security-Policy can forbid them.
document.addEventListener("submit", function (event) {
  var form = event.target;
  var question = form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});
