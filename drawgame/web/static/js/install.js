// The installable app: register the service worker (drawgame/web/serviceworker.js,
// served at <root>/sw.js so that its scope is the whole site) once the page is up.

import { url } from "./paths.js";

if ("serviceWorker" in navigator && window.isSecureContext) {
  window.addEventListener("load", () => {
    navigator.serviceWorker.register(url("/sw.js"), { scope: url("/") }).catch((err) => {
      console.warn("no service worker:", err);
    });
  });
}
