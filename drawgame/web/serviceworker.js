// drawgame's service worker (drawgame/web/pwa.py puts SETTINGS in front of this text).
//
// - Files by their hashed URL (they never change): from this worker's cache, else
//   from the network and kept. Only the files the current version names are kept.
// - Pages: always from the network. When the server cannot be reached (no answer,
//   or a proxy's 502/503/504), the offline page kept at install is shown instead;
//   it reloads the page by itself once the server answers.
// - Everything else (the API, WebSockets, plain /static/ URLs): not touched.
/* global SETTINGS */

const FILES = "drawgame-files";
const OFFLINE = `drawgame-offline-${SETTINGS.version}`;
const UNREACHABLE = new Set([502, 503, 504]);
const escaped = SETTINGS.root.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const HASHED = new RegExp(`^${escaped}/static/.+\\.[0-9a-f]{12}\\.[^./]+$`);

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const files = await caches.open(FILES);
    await files.addAll(SETTINGS.precache);
    const page = await fetch(SETTINGS.offline, { cache: "no-store" });
    if (!page.ok) throw new Error(`the offline page answered ${page.status}`);
    await (await caches.open(OFFLINE)).put(SETTINGS.offline, page);
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    if (self.registration.navigationPreload) await self.registration.navigationPreload.enable();
    for (const name of await caches.keys()) {
      if (name.startsWith("drawgame-offline-") && name !== OFFLINE) await caches.delete(name);
    }
    const keep = new Set(SETTINGS.current.map((path) => new URL(path, self.location.origin).href));
    const files = await caches.open(FILES);
    for (const request of await files.keys()) {
      if (!keep.has(request.url)) await files.delete(request);
    }
    await self.clients.claim();
  })());
});

self.addEventListener("fetch", (event) => {
  const { request } = event;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    event.respondWith(page(event));
  } else if (HASHED.test(url.pathname) && !url.search) {
    event.respondWith(file(event));
  }
});

async function page(event) {
  try {
    const response = (await event.preloadResponse) || (await fetch(event.request));
    return UNREACHABLE.has(response.status) ? offline(response) : response;
  } catch {
    return offline(null);
  }
}

async function offline(response) {
  const kept = await caches.match(SETTINGS.offline, { cacheName: OFFLINE });
  return kept || response || Response.error();
}

async function file(event) {
  const files = await caches.open(FILES);
  const kept = await files.match(event.request);
  if (kept) return kept;
  const response = await fetch(event.request);
  if (response.ok) event.waitUntil(files.put(event.request, response.clone()));
  return response;
}
