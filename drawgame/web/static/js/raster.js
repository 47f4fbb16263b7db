// The deterministic logical raster: 1000 x 750 packed 0xRRGGBB pixels.
//
// Flood fill must give the same region on every client, so it never reads the
// browser's antialiased canvas (whose edge pixels differ between browsers and
// GPUs). Instead every op is also drawn here with integer-exact rules:
//   - a stroke covers each pixel whose centre lies within w/2 + 0.5 of its
//     smoothed polyline (smooth.js; every pixel the antialiased line touches),
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

  /** Draw the segment (ax,ay)-(bx,by) (a dot when equal) of width w, row by row. */
  segment(ax, ay, bx, by, w, colour) {
    const r = w / 2 + 0.5;
    const y0 = Math.max(0, Math.floor(Math.min(ay, by) - r));
    const y1 = Math.min(H - 1, Math.ceil(Math.max(ay, by) + r));
    const band = bandCorners(ax, ay, bx, by, r);
    for (let y = y0; y <= y1; y++) {
      const cy = y + 0.5;
      const span = [Infinity, -Infinity];
      discSpan(span, ax, ay, r, cy);
      discSpan(span, bx, by, r, cy);
      if (band) polygonSpan(span, band, cy);
      // Pixels whose centre x + 0.5 lies in the span.
      const from = Math.max(0, Math.ceil(span[0] - 0.5));
      const to = Math.min(W - 1, Math.floor(span[1] - 0.5));
      if (from <= to) this.px.fill(colour, y * W + from, y * W + to + 1);
    }
  }

  /** Draw the polyline p (flat [x0, y0, ...]) of width w; one point is a dot. */
  polyline(p, w, colour) {
    if (p.length === 2) this.segment(p[0], p[1], p[0], p[1], w, colour);
    for (let i = 2; i + 1 < p.length; i += 2) this.segment(p[i - 2], p[i - 1], p[i], p[i + 1], w, colour);
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

// A stroke segment covers the union of two discs of radius r and the band between
// them; each is convex, so each row meets it in one interval: [min, max] of theirs.

function discSpan(span, x, y, r, cy) {
  const d = cy - y;
  if (d * d > r * r) return;
  const half = Math.sqrt(r * r - d * d);
  if (x - half < span[0]) span[0] = x - half;
  if (x + half > span[1]) span[1] = x + half;
}

/** The band's corners [x, y, ...] (A and B moved by r both ways across AB), or null for a dot. */
function bandCorners(ax, ay, bx, by, r) {
  const len = Math.hypot(bx - ax, by - ay);
  if (len === 0) return null;
  const nx = (-(by - ay) / len) * r;
  const ny = ((bx - ax) / len) * r;
  return [ax + nx, ay + ny, bx + nx, by + ny, bx - nx, by - ny, ax - nx, ay - ny];
}

function polygonSpan(span, q, cy) {
  for (let i = 0; i < 8; i += 2) {
    const px = q[i], py = q[i + 1];
    const qx = q[(i + 2) % 8], qy = q[(i + 3) % 8];
    if ((py - cy) * (qy - cy) > 0 || (py === qy && py !== cy)) continue;
    const xs = py === qy ? [px, qx] : [px + ((cy - py) * (qx - px)) / (qy - py)];
    for (const x of xs) {
      if (x < span[0]) span[0] = x;
      if (x > span[1]) span[1] = x;
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
