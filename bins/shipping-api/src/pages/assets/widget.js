// Checkout rates widget. Settings come from the script tag's data- attributes:
//   data-mount   where to draw (a CSS selector; default: a box right after the script tag)
//   data-target  the shop form's input that receives the chosen courier id (default #courier_id)
//   data-weight  parcel weight in kg (default 0.5); data-cod "true" for cash on delivery
(function () {
  "use strict";
  var me = document.currentScript;
  if (!me) { return; }
  var enabled = __RATES_ENABLED__;
  var base = new URL(me.src, document.baseURI).origin;
  var opts = me.dataset || {};
  var mount = opts.mount ? document.querySelector(opts.mount) : null;
  if (!mount) {
    mount = document.createElement("div");
    me.parentNode.insertBefore(mount, me.nextSibling);
  }
  if (!enabled) { mount.hidden = true; return; }
  var targetSelector = opts.target || "#courier_id";
  var weight = opts.weight || "0.5";
  var cod = opts.cod === "true";
  var uid = "srw" + Math.floor(Math.random() * 1e9);

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text) { e.textContent = text; }
    return e;
  }
  function target() { return document.querySelector(targetSelector); }
  function choose(id) { var t = target(); if (t) { t.value = id; t.dispatchEvent(new Event("change", { bubbles: true })); } }

  var box = el("div", { "class": "srw", "data-srw": "" });
  var label = el("label", { "for": uid + "-pin" }, "Delivery pincode");
  var input = el("input", { id: uid + "-pin", inputmode: "numeric", maxlength: "6", autocomplete: "postal-code", "data-srw-pincode": "" });
  var button = el("button", { type: "button", "data-srw-check": "" }, "Check delivery");
  var msg = el("p", { role: "status", "aria-live": "polite", "data-srw-message": "" });
  var list = el("fieldset", { "data-srw-couriers": "" });
  list.hidden = true;
  box.appendChild(label); box.appendChild(input); box.appendChild(button); box.appendChild(msg); box.appendChild(list);
  mount.appendChild(box);

  function show(answer) {
    list.textContent = "";
    choose("");
    if (!answer.serviceable) {
      list.hidden = true;
      msg.textContent = answer.message || ("Sorry, we do not deliver to pincode " + answer.delivery_pincode + " yet.");
      box.setAttribute("data-srw-state", "not-serviceable");
      return;
    }
    list.appendChild(el("legend", {}, "Choose a courier"));
    var recommended = answer.recommended ? answer.recommended.courier_id : null;
    answer.couriers.forEach(function (c) {
      var id = uid + "-c" + c.courier_id;
      var row = el("div", { "data-srw-courier": String(c.courier_id) });
      var radio = el("input", { type: "radio", name: uid + "-courier", id: id, value: String(c.courier_id) });
      var eta = c.etd_days ? c.etd_days + " day" + (c.etd_days === 1 ? "" : "s") : "delivery date on dispatch";
      var text = c.name + " — ₹" + c.rate + " · " + eta + " · " + (c.cod_available ? "Cash on delivery available" : "Prepaid only");
      if (c.courier_id === recommended) { text += " (recommended)"; }
      radio.addEventListener("change", function () { choose(String(c.courier_id)); });
      row.appendChild(radio); row.appendChild(el("label", { "for": id }, text));
      list.appendChild(row);
      if (c.courier_id === recommended) { radio.checked = true; choose(String(c.courier_id)); }
    });
    list.hidden = false;
    msg.textContent = answer.message || "";
    box.setAttribute("data-srw-state", "serviceable");
  }

  function check() {
    var pin = input.value.trim();
    if (!/^[1-9][0-9]{5}$/.test(pin)) {
      msg.textContent = "Enter a 6-digit pincode.";
      box.setAttribute("data-srw-state", "invalid");
      return;
    }
    msg.textContent = "Checking…";
    box.setAttribute("data-srw-state", "loading");
    var url = base + "/v1/rates?delivery_pincode=" + encodeURIComponent(pin) + "&weight=" + encodeURIComponent(weight) + "&cod=" + cod;
    fetch(url, { credentials: "omit" })
      .then(function (r) {
        if (r.status === 503) {
          return r.json().then(function (b) {
            if (b && b.error && b.error.code === "rates_disabled") { mount.hidden = true; return null; }
            throw new Error("unavailable");
          });
        }
        if (!r.ok) { throw new Error("status " + r.status); }
        return r.json();
      })
      .then(function (answer) { if (answer) { show(answer); } })
      .catch(function () {
        msg.textContent = "Delivery options could not be loaded. You can still place the order.";
        box.setAttribute("data-srw-state", "error");
      });
  }

  button.addEventListener("click", check);
  input.addEventListener("keydown", function (e) { if (e.key === "Enter") { e.preventDefault(); check(); } });
  input.addEventListener("input", function () { if (input.value.trim().length === 6) { check(); } });
})();
