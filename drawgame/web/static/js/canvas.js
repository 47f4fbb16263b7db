// The board: the turn's op log, replayed onto a display canvas and the logical raster.
//
// The display canvas draws strokes as antialiased vector paths at the device's
// resolution (sharp on high-DPI screens); fills are decided on the logical
// raster (raster.js) and painted onto the display from their spans, scaled with
// image smoothing. The op log follows the server's rules exactly, so replaying
// `welcome.room.ops` gives what the drawer sees.

import { CANVAS_W as W, CANVAS_H as H, BACKGROUND, OP, opKind } from "./protocol.js";
import { Raster, parseColour, spanBounds } from "./raster.js";

let scratch = null;

function scratchCanvas() {
  if (!scratch) {
    const canvas = document.createElement("canvas");
    canvas.width = W;
    canvas.height = H;
    scratch = canvas.getContext("2d", { willReadFrequently: false });
  }
  return scratch;
}

const isStroke = (kind) => kind === OP.LINE || kind === OP.ERASE;
const strokeColour = (op) => (opKind(op) === OP.ERASE ? BACKGROUND : op.c);

export class Board {
  /** @param {HTMLCanvasElement} canvas the display canvas (its pixel size is set by setSize). */
  constructor(canvas) {
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d");
    this.raster = new Raster();
    this.entries = []; // {op, spans?} in order; undo is applied, never kept
    this.ends = new Map(); // stroke id -> [x, y], where its next piece joins
    this.redraw();
  }

  /** Set the display's pixel size (CSS size x devicePixelRatio) and redraw. */
  setSize(width, height) {
    width = Math.max(1, Math.round(width));
    height = Math.max(1, Math.round(height));
    if (this.canvas.width === width && this.canvas.height === height) return;
    this.canvas.width = width;
    this.canvas.height = height;
    this.redraw();
  }

  /** Replace the whole drawing with `ops` (a snapshot or an album turn). */
  load(ops = []) {
    this.entries = [];
    for (const op of ops) this.model(op);
    this.redraw();
  }

  /** Apply one op as it arrives (drawn incrementally; undo redraws). */
  apply(op) {
    const kind = opKind(op);
    if (kind === OP.UNDO) {
      this.undo();
      return;
    }
    const entry = { op };
    this.entries.push(entry);
    this.render(entry);
  }

  /** Apply several ops in order. */
  applyAll(ops) {
    for (const op of ops) this.apply(op);
  }

  isEmpty() {
    return this.entries.length === 0;
  }

  /** The highest stroke id in the drawing, or -1. */
  maxStrokeId() {
    let max = -1;
    for (const { op } of this.entries) if (isStroke(opKind(op)) && op.id > max) max = op.id;
    return max;
  }

  // --- model ---------------------------------------------------------------------

  model(op) {
    if (opKind(op) === OP.UNDO) this.removeLast();
    else this.entries.push({ op });
  }

  undo() {
    if (this.removeLast()) this.redraw();
  }

  /** Remove the last action, as the server's op log does; true if anything went. */
  removeLast() {
    const last = this.entries.at(-1);
    if (!last) return false;
    if (!isStroke(opKind(last.op))) {
      this.entries.pop();
      return true;
    }
    const id = last.op.id;
    const first = this.entries.findIndex((e) => isStroke(opKind(e.op)) && e.op.id === id);
    this.entries = this.entries.filter((e) => !(isStroke(opKind(e.op)) && e.op.id === id));
    // Fills after a removed piece were decided on pixels that changed.
    for (let i = first; i < this.entries.length; i++) delete this.entries[i].spans;
    return true;
  }

  // --- rendering -----------------------------------------------------------------

  /** Rebuild the raster and the display from the op log. */
  redraw() {
    this.raster.clear();
    this.ends.clear();
    this.paintBackground();
    const start = this.lastClearIndex();
    this.entries.forEach((entry, i) => {
      if (i >= start) this.render(entry);
      else if (isStroke(opKind(entry.op))) this.trackEnd(entry.op);
    });
  }

  lastClearIndex() {
    for (let i = this.entries.length - 1; i >= 0; i--) {
      if (opKind(this.entries[i].op) === OP.CLEAR) return i;
    }
    return 0;
  }

  render(entry) {
    const kind = opKind(entry.op);
    if (isStroke(kind)) this.renderStroke(entry.op);
    else if (kind === OP.FILL) this.renderFill(entry);
    else if (kind === OP.CLEAR) {
      this.raster.clear();
      this.paintBackground();
    }
  }

  trackEnd(op) {
    const p = op.p ?? [];
    if (p.length >= 2) this.ends.set(op.id, [p[p.length - 2], p[p.length - 1]]);
  }

  renderStroke(op) {
    const p = op.p ?? [];
    if (p.length < 2) return;
    const colour = strokeColour(op);
    const prev = this.ends.get(op.id) ?? null;
    this.raster.polyline(p, op.w, parseColour(colour), prev);
    this.strokePath(p, op.w, colour, prev);
    this.trackEnd(op);
  }

  strokePath(p, w, colour, prev) {
    const ctx = this.scaled();
    const [sx, sy] = prev ?? [p[0], p[1]];
    ctx.beginPath();
    ctx.moveTo(sx, sy);
    let moved = false;
    for (let i = 0; i < p.length; i += 2) {
      ctx.lineTo(p[i], p[i + 1]);
      moved ||= p[i] !== sx || p[i + 1] !== sy;
    }
    if (moved) {
      ctx.strokeStyle = colour;
      ctx.lineWidth = w;
      ctx.lineCap = "round";
      ctx.lineJoin = "round";
      ctx.stroke();
    } else {
      ctx.beginPath();
      ctx.arc(sx, sy, w / 2, 0, Math.PI * 2);
      ctx.fillStyle = colour;
      ctx.fill();
    }
  }

  renderFill(entry) {
    const { x, y, c } = entry.op;
    const colour = parseColour(c);
    if (entry.spans) this.raster.paintSpans(entry.spans, colour);
    else entry.spans = this.raster.fill(x, y, colour);
    this.paintSpans(entry.spans, colour);
  }

  /** Paint spans onto the display through the scratch canvas, smoothed when scaled. */
  paintSpans(spans, colour) {
    const box = spanBounds(spans);
    if (!box) return;
    const sc = scratchCanvas();
    const image = sc.createImageData(box.w, box.h);
    const pixels = new Uint32Array(image.data.buffer);
    const abgr = (0xff000000 | ((colour & 0xff) << 16) | (colour & 0xff00) | ((colour >> 16) & 0xff)) >>> 0;
    for (let i = 0; i < spans.length; i += 3) {
      const row = (spans[i] - box.y) * box.w - box.x;
      pixels.fill(abgr, row + spans[i + 1], row + spans[i + 2] + 1);
    }
    sc.putImageData(image, box.x, box.y);
    const ctx = this.scaled();
    ctx.imageSmoothingEnabled = true;
    ctx.imageSmoothingQuality = "high";
    ctx.drawImage(sc.canvas, box.x, box.y, box.w, box.h, box.x, box.y, box.w, box.h);
    sc.clearRect(box.x, box.y, box.w, box.h);
  }

  paintBackground() {
    const ctx = this.ctx;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = BACKGROUND;
    ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
  }

  /** The display context with logical coordinates mapped to its pixels. */
  scaled() {
    const ctx = this.ctx;
    ctx.setTransform(this.canvas.width / W, 0, 0, this.canvas.height / H, 0, 0);
    return ctx;
  }
}

/** Render ops onto a fresh canvas of the given pixel size (thumbnails, PNG export). */
export function renderOps(ops, width = W, height = H) {
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  const board = new Board(canvas);
  board.load(ops);
  board.raster = null; // free the 3 MB raster; the canvas keeps the picture
  return canvas;
}

