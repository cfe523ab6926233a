// Linli's own behaviour: kept tiny and free of inline handlers so the CSP can forbid inline script.
(function () {
  "use strict";
  function init(root) {
    root.querySelectorAll("[data-autosubmit]").forEach(function (el) {
      if (el.dataset.bound) return;
      el.dataset.bound = "1";
      el.addEventListener("change", function () { el.form.submit(); });
    });
  }
  document.addEventListener("click", function (event) {
    var toggle = event.target.closest("[data-nav-toggle]");
    if (toggle) {
      var nav = document.getElementById(toggle.getAttribute("aria-controls"));
      var open = nav.classList.toggle("open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      return;
    }
    var node = event.target.closest("[data-tree-toggle]");
    if (node) {
      var expanded = node.getAttribute("aria-expanded") === "true";
      node.setAttribute("aria-expanded", expanded ? "false" : "true");
      var children = node.closest(".tree-node").querySelector(".tree-children");
      if (children) children.hidden = expanded;
    }
  });
  // The print header carries the day the page is printed, which may not be the day it was loaded.
  window.addEventListener("beforeprint", function () {
    var now = new Date();
    var day = now.getFullYear() + "-" + String(now.getMonth() + 1).padStart(2, "0") + "-" + String(now.getDate()).padStart(2, "0");
    document.querySelectorAll("[data-print-date]").forEach(function (el) { el.textContent = day; });
  });
  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:afterSwap", function (event) { init(event.target); });
})();
