// Ubigeo picker (templates/projects/form.html): departamento → provincia → distrito by name.
// It writes the chosen INEI district codes into the form's own «locations» field, which is what the server
// parses; without JavaScript that text field is shown and works as it is.
(function () {
  "use strict";
  var picker = document.querySelector(".ubigeo-picker");
  if (!picker) {
    return;
  }
  var input = document.getElementById(picker.getAttribute("data-target"));
  var data;
  try {
    data = JSON.parse(picker.getAttribute("data-ubigeos"));
  } catch (err) {
    return; // keep the plain field
  }
  if (!input || !data) {
    return;
  }
  var department = picker.querySelector("#ubigeo-departamento");
  var province = picker.querySelector("#ubigeo-provincia");
  var district = picker.querySelector("#ubigeo-distrito");
  var add = picker.querySelector(".ubigeo-add");
  var chosen = picker.querySelector(".ubigeo-chosen");
  var none = picker.querySelector(".ubigeo-none");

  function byName(table, prefix) {
    return Object.keys(table).filter(function (code) {
      return code.indexOf(prefix) === 0;
    }).sort(function (a, b) {
      return table[a].localeCompare(table[b], "es");
    });
  }

  function fill(select, table, prefix) {
    select.length = 1; // keep «Elija…»
    byName(table, prefix).forEach(function (code) {
      select.add(new Option(table[code], code));
    });
    select.disabled = !prefix;
  }

  function codes() {
    return input.value.split(/[\s,;]+/).filter(function (code) { return code; });
  }

  function describe(code) {
    var names = [data.t[code], data.p[code.slice(0, 4)], data.d[code.slice(0, 2)]].filter(Boolean);
    return names.length ? names.join(", ") : code + " (código desconocido)";
  }

  function render() {
    var list = codes();
    chosen.textContent = "";
    list.forEach(function (code) {
      var item = document.createElement("li");
      item.className = "d-flex align-items-center gap-2 mb-1";
      item.setAttribute("data-ubigeo", code);
      var name = document.createElement("span");
      name.textContent = describe(code);
      var remove = document.createElement("button");
      remove.type = "button";
      remove.className = "btn btn-sm btn-link p-0";
      remove.textContent = "Quitar";
      remove.setAttribute("aria-label", "Quitar " + describe(code));
      remove.addEventListener("click", function () {
        input.value = codes().filter(function (c) { return c !== code; }).join(", ");
        render();
      });
      item.appendChild(name);
      item.appendChild(remove);
      chosen.appendChild(item);
    });
    none.hidden = list.length > 0;
  }

  department.addEventListener("change", function () {
    fill(province, data.p, department.value);
    fill(district, data.t, "");
    add.disabled = true;
  });
  province.addEventListener("change", function () {
    fill(district, data.t, province.value);
    add.disabled = true;
  });
  district.addEventListener("change", function () {
    add.disabled = !district.value;
  });
  add.addEventListener("click", function () {
    var list = codes();
    if (district.value && list.indexOf(district.value) < 0) {
      list.push(district.value);
      list.sort();
      input.value = list.join(", ");
    }
    render();
    district.focus();
  });

  // The picker replaces the typed field: its value keeps travelling in the same input, now hidden.
  var wrapper = input.parentNode;
  Array.prototype.forEach.call(wrapper.querySelectorAll("label[for='" + input.id + "'], .form-text"), function (el) {
    el.classList.add("d-none");
  });
  input.type = "hidden";
  fill(department, data.d, "");
  department.disabled = false;
  if (data.d["13"]) { // La Libertad, where almost every project is
    department.value = "13";
    fill(province, data.p, "13");
  }
  render();
  picker.hidden = false;
}());
