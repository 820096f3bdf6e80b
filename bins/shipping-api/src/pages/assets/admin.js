// Admin pages: "select all" checkboxes and the bulk-action progress poll. No inline script
// anywhere (the Content-Security-Policy forbids it).
(function () {
  "use strict";
  var all = document.getElementById("pick-all");
  if (all) {
    all.addEventListener("change", function () {
      document.querySelectorAll("input.pick").forEach(function (c) { c.checked = all.checked; });
    });
  }
  var box = document.getElementById("progress");
  if (!box) { return; }
  var bar = document.getElementById("bar");
  var text = document.getElementById("progress-text");
  var url = box.getAttribute("data-status-url");
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { accept: "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error("status " + r.status); } return r.json(); })
      .then(function (s) {
        bar.max = Math.max(s.total, 1);
        bar.value = s.done + s.failed;
        bar.textContent = s.done + " of " + s.total;
        var finished = s.done + s.failed >= s.total;
        text.textContent = s.done + " of " + s.total + " done" + (s.failed ? ", " + s.failed + " failed" : "") + (finished ? "." : "…");
        box.setAttribute("data-finished", finished ? "true" : "false");
        box.setAttribute("data-done", String(s.done));
        if (!finished) { setTimeout(poll, 1000); }
      })
      .catch(function () { text.textContent = "Progress unavailable; retrying…"; setTimeout(poll, 3000); });
  }
  poll();
})();
