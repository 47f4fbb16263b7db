// Album thumbnails drawn in a worker (thumb-worker.js), one at a time, so the page's main
// thread stays free while a big album's pictures appear; where workers cannot draw
// (no module workers or OffscreenCanvas), they are drawn here instead.

import { renderOps } from "./canvas.js";

let worker = null;
let broken = typeof OffscreenCanvas !== "function" || typeof Worker !== "function";
let seq = 0;
const waiting = new Map();

function start() {
  worker = new Worker(new URL("./thumb-worker.js", import.meta.url), { type: "module" });
  worker.onmessage = (e) => {
    const { id, bitmap, error } = e.data;
    const done = waiting.get(id);
    waiting.delete(id);
    if (done) done(error ? null : bitmap);
  };
  worker.onerror = (e) => {
    e.preventDefault();
    broken = true;
    worker = null;
    for (const done of waiting.values()) done(null);
    waiting.clear();
  };
}

/** Draw `ops` into `canvas` (its own pixel size); resolves once it shows. */
export async function drawThumb(canvas, ops) {
  const { width, height } = canvas;
  let picture = null;
  if (!broken) {
    if (!worker) start();
    const id = ++seq;
    picture = await new Promise((resolve) => {
      waiting.set(id, resolve);
      worker.postMessage({ id, ops, width, height });
    });
  }
  picture ??= renderOps(ops, width, height);
  canvas.getContext("2d").drawImage(picture, 0, 0);
  picture.close?.();
}
