// The installable app: register the service worker (drawgame/web/serviceworker.js,
// served at <root>/sw.js so that its scope is the whole site) once the page is up and
// idle, so that its installation never competes with the page's own first load.

import { url } from "./paths.js";

const IDLE_WAIT_MS = 2000;

function register() {
  navigator.serviceWorker.register(url("/sw.js"), { scope: url("/") }).catch((err) => {
    console.warn("no service worker:", err);
  });
}

function whenIdle() {
  if (window.requestIdleCallback) window.requestIdleCallback(register, { timeout: IDLE_WAIT_MS });
  else setTimeout(register, IDLE_WAIT_MS);
}

if ("serviceWorker" in navigator && window.isSecureContext) {
  // A page may run this module after its load event (boot.js runs it once the page has painted).
  if (document.readyState === "complete") whenIdle();
  else window.addEventListener("load", whenIdle);
}
