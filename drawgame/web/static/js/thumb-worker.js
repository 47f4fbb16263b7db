// Draws album thumbnails off the page's main thread, so a big album never makes the page
// stall while it loads: the same Board (canvas.js) as everywhere, on OffscreenCanvas.
// canvas.js makes its work canvases with document.createElement("canvas") (only when it
// draws, never as it loads); a worker has no document, so that one call is answered with
// an OffscreenCanvas.

import { renderOps } from "./canvas.js";

globalThis.document ??= { createElement: () => new OffscreenCanvas(1, 1) };

self.onmessage = (e) => {
  const { id, ops, width, height } = e.data;
  try {
    const bitmap = renderOps(ops, width, height).transferToImageBitmap();
    self.postMessage({ id, bitmap }, [bitmap]);
  } catch (err) {
    self.postMessage({ id, error: String(err) });
  }
};
