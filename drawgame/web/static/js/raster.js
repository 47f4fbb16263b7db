// The deterministic logical raster: 1000 x 750 packed 0xRRGGBB pixels.
//
// Flood fill must give the same region on every client, so it never reads the
// browser's antialiased canvas (whose edge pixels differ between browsers and
// GPUs). Instead every op is also drawn here with integer-exact rules:
//   - a stroke covers each pixel whose centre lies within w/2 + 0.5 of the
//     polyline (that is: every pixel the antialiased line touches at all),
//   - fill is a 4-connected scanline flood fill from (x, y) over pixels of
//     exactly the seed colour (tolerance 0).
// The result of a fill is a list of horizontal spans, which the display then
// paints; the same spans are re-applied when the raster is rebuilt after undo.

import { CANVAS_W as W, CANVAS_H as H } from "./protocol.js";

const WHITE = 0xffffff;

/** "#rrggbb" -> 0xRRGGBB (invalid input -> black). */
export function parseColour(hex) {
  const value = Number.parseInt(String(hex).slice(1, 7), 16);
  return Number.isFinite(value) ? value : 0;
}

export class Raster {
  constructor() {
    this.px = new Uint32Array(W * H);
    this.clear();
  }

  clear() {
    this.px.fill(WHITE);
  }

  get(x, y) {
    return this.px[y * W + x];
  }

  /** Draw the segment (ax,ay)-(bx,by) (a dot when equal) of width w. */
  segment(ax, ay, bx, by, w, colour) {
    const r = w / 2 + 0.5;
    const r2 = r * r;
    const x0 = Math.max(0, Math.floor(Math.min(ax, bx) - r));
    const x1 = Math.min(W - 1, Math.ceil(Math.max(ax, bx) + r));
    const y0 = Math.max(0, Math.floor(Math.min(ay, by) - r));
    const y1 = Math.min(H - 1, Math.ceil(Math.max(ay, by) + r));
    const dx = bx - ax;
    const dy = by - ay;
    const len2 = dx * dx + dy * dy;
    for (let y = y0; y <= y1; y++) {
      const cy = y + 0.5;
      const row = y * W;
      for (let x = x0; x <= x1; x++) {
        const cx = x + 0.5;
        let t = len2 ? ((cx - ax) * dx + (cy - ay) * dy) / len2 : 0;
        t = t < 0 ? 0 : t > 1 ? 1 : t;
        const ex = cx - (ax + t * dx);
        const ey = cy - (ay + t * dy);
        if (ex * ex + ey * ey <= r2) this.px[row + x] = colour;
      }
    }
  }

  /** Draw points p[from..] as a polyline, joined to (prevX, prevY) when given. */
  polyline(p, w, colour, prev = null) {
    let [lx, ly] = prev ?? [p[0], p[1]];
    for (let i = 0; i < p.length; i += 2) {
      this.segment(lx, ly, p[i], p[i + 1], w, colour);
      lx = p[i];
      ly = p[i + 1];
    }
  }

  /**
   * Flood fill from (x, y) with `colour`; returns the filled spans as a flat
   * Int32Array [y, x0, x1, ...] (empty when the seed already has the colour).
   */
  fill(x, y, colour) {
    x = Math.min(W - 1, Math.max(0, Math.floor(x)));
    y = Math.min(H - 1, Math.max(0, Math.floor(y)));
    const px = this.px;
    const target = px[y * W + x];
    if (target === colour) return new Int32Array(0);
    const spans = [];
    const stack = [x, y];
    while (stack.length) {
      const sy = stack.pop();
      const sx = stack.pop();
      const row = sy * W;
      if (px[row + sx] !== target) continue;
      let lx = sx;
      let rx = sx;
      while (lx > 0 && px[row + lx - 1] === target) lx--;
      while (rx < W - 1 && px[row + rx + 1] === target) rx++;
      px.fill(colour, row + lx, row + rx + 1);
      spans.push(sy, lx, rx);
      if (sy > 0) seedRow(px, sy - 1, lx, rx, target, stack);
      if (sy < H - 1) seedRow(px, sy + 1, lx, rx, target, stack);
    }
    return Int32Array.from(spans);
  }

  /** Re-apply spans from an earlier fill. */
  paintSpans(spans, colour) {
    for (let i = 0; i < spans.length; i += 3) {
      const row = spans[i] * W;
      this.px.fill(colour, row + spans[i + 1], row + spans[i + 2] + 1);
    }
  }
}

/** Push one seed per run of `target` pixels in row y between lx and rx. */
function seedRow(px, y, lx, rx, target, stack) {
  const row = y * W;
  let inRun = false;
  for (let x = lx; x <= rx; x++) {
    const hit = px[row + x] === target;
    if (hit && !inRun) stack.push(x, y);
    inRun = hit;
  }
}

/** Bounding box {x, y, w, h} of a span list. */
export function spanBounds(spans) {
  let x0 = W, y0 = H, x1 = -1, y1 = -1;
  for (let i = 0; i < spans.length; i += 3) {
    y0 = Math.min(y0, spans[i]);
    y1 = Math.max(y1, spans[i]);
    x0 = Math.min(x0, spans[i + 1]);
    x1 = Math.max(x1, spans[i + 2]);
  }
  return x1 < 0 ? null : { x: x0, y: y0, w: x1 - x0 + 1, h: y1 - y0 + 1 };
}
