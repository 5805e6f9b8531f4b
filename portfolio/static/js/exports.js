// Background export progress: polls the job's JSON status and shows progress, the download link or the error.
// Served as a file (no inline scripts, strict CSP). The job lives on the server: reloading the page resumes.
(function () {
  var box = document.getElementById("export-job");
  if (!box) { return; }
  var url = box.getAttribute("data-status-url");
  var label = box.querySelector("[data-export-label]");
  var count = box.querySelector("[data-export-count]");
  var bar = box.querySelector("[data-export-progress]");
  var error = box.querySelector("[data-export-error]");
  var ready = box.querySelector("[data-export-ready]");
  var wait = box.querySelector("[data-export-wait]");
  var delay = 1000;
  var failures = 0;

  function show(data) {
    box.setAttribute("data-status", data.status);
    label.textContent = data.label;
    if (data.total) {
      count.textContent = "(" + data.progress + " de " + data.total + " filas)";
    } else if (data.progress) {
      count.textContent = "(" + data.progress + " filas)";
    }
    if (data.percent !== null && data.percent !== undefined) { bar.value = data.percent; }
    if (data.status === "done") {
      bar.hidden = true;
      wait.classList.add("d-none");
      ready.classList.remove("d-none");
    } else if (data.status === "failed") {
      bar.hidden = true;
      wait.classList.add("d-none");
      error.textContent = data.error || "La exportación falló.";
      error.classList.remove("d-none");
    }
  }

  function poll() {
    fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (data) {
        failures = 0;
        show(data);
        if (data.status === "queued" || data.status === "running") {
          delay = Math.min(delay * 1.3, 5000);
          window.setTimeout(poll, delay);
        }
      })
      .catch(function () {
        failures += 1;
        if (failures >= 5) {
          error.textContent = "No se pudo consultar el estado de la exportación. Recargue la página.";
          error.classList.remove("d-none");
          return;
        }
        window.setTimeout(poll, 3000);
      });
  }

  var status = box.getAttribute("data-status");
  if (status === "queued" || status === "running") { window.setTimeout(poll, 500); }
})();
