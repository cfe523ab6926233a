// The portal's service worker (installable, offline shell). No inline script: the CSP forbids it.
(function () {
  "use strict";
  var me = document.currentScript;
  if ("serviceWorker" in navigator && me && me.dataset.sw) {
    window.addEventListener("load", function () {
      navigator.serviceWorker.register(me.dataset.sw, { scope: "/portal/" }).catch(function () {});
    });
  }
})();
