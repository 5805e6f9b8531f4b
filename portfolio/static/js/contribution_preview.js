// Preview of the trust contribution while the company types its payroll: payroll × rate / 100, rounded
// half-up to the cent. Integer arithmetic on the digits (BigInt céntimos), never floating point. The rate
// comes from the server (data-rate on the output element); the server recalculates and is the authority.
(function () {
  "use strict";
  var AMOUNT = /^(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d{1,2})?$/;
  var RATE = /^\d+(?:\.\d+)?$/;

  // "S/ 1,234.5" → 123450n (céntimos), or null when the text is not a valid amount.
  function toCents(text) {
    var raw = String(text || "").replace(/\u00a0/g, " ").trim();
    if (/^S\//i.test(raw)) { raw = raw.slice(2).trim(); }
    if (!AMOUNT.test(raw)) { return null; }
    var parts = raw.replace(/,/g, "").split(".");
    var decimals = ((parts[1] || "") + "00").slice(0, 2);
    return BigInt(parts[0]) * 100n + BigInt(decimals);
  }

  // round_half_up(cents × rate% ) with rate = "0.15": exact on integers.
  function contributionCents(cents, rate) {
    var parts = rate.split(".");
    var fraction = parts[1] || "";
    var numerator = cents * BigInt(parts[0] + fraction);
    var denominator = 100n * (10n ** BigInt(fraction.length));
    var quotient = numerator / denominator;
    if ((numerator % denominator) * 2n >= denominator) { quotient += 1n; }
    return quotient;
  }

  function formatCents(cents) {
    var whole = (cents / 100n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    var decimals = (cents % 100n).toString().padStart(2, "0");
    return "S/ " + whole + "." + decimals;
  }

  function wire(output) {
    var input = document.getElementById(output.getAttribute("data-payroll"));
    var rate = output.getAttribute("data-rate") || "";
    if (!input || !RATE.test(rate) || typeof BigInt !== "function") { return; }
    var update = function () {
      var cents = toCents(input.value);
      output.textContent = cents === null ? "—" : formatCents(contributionCents(cents, rate));
    };
    input.addEventListener("input", update);
    update();
  }

  var outputs = document.querySelectorAll("[data-contribution-preview]");
  for (var i = 0; i < outputs.length; i++) { wire(outputs[i]); }
}());
