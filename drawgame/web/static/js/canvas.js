// The board: the turn's op log, replayed onto a display canvas and the logical raster.
//
// The display canvas draws strokes as antialiased vector paths at the device's
// resolution (sharp on high-DPI screens); fills are decided on the logical
// raster (raster.js) and painted onto the display from their spans, scaled with
// image smoothing. The op log follows the server's rules exactly, so replaying
// `welcome.room.ops` gives what the drawer sees.
//
// A stroke is drawn as one smoothed path (smooth.js) however its points were
// cut into pieces: while a stroke is the last thing drawn (its "run"), each new
// piece puts back the pixels under the stroke and strokes the whole path again,
// so the drawer's canvas (pieces per pointer event) and the guessers' (pieces
// per frame) end up identical. A run goes onto the raster when the next op
// arrives, always before any fill can look at it.
//
// Undo rebuilds the picture from a checkpoint (a copy of the raster and the
// display taken every CHECKPOINT_EVERY ops) instead of from the first op.

import { CANVAS_W as W, CANVAS_H as H, BACKGROUND, OP, opKind } from "./protocol.js";
import { Raster, parseColour, spanBounds } from "./raster.js";
import { appendPoints, smoothPolyline } from "./smooth.js";

/** Actions (strokes, fills, clears) between two checkpoints: an undo replays at most about this many. */
export const CHECKPOINT_EVERY = 24;
/** Checkpoints kept (each a raster and a display copy); older ones are dropped. */
export const MAX_CHECKPOINTS = 4;
/** Longest run stroked as one path; a longer stroke goes on as a new run. */
const MAX_RUN_POINTS = 1024;

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

/**
 * Remove the last action from an op log, as the server's does: when the last op
 * is a stroke piece, every piece with that stroke id; else that op. Returns the
 * first index removed, or -1 when the log is empty.
 */
export function removeLastAction(entries) {
  const last = entries.at(-1);
  if (!last) return -1;
  if (!isStroke(opKind(last.op))) {
    entries.pop();
    return entries.length;
  }
  const id = last.op.id;
  const first = entries.findIndex((e) => isStroke(opKind(e.op)) && e.op.id === id);
  let kept = first;
  for (let i = first; i < entries.length; i++) {
    if (!(isStroke(opKind(entries[i].op)) && entries[i].op.id === id)) entries[kept++] = entries[i];
  }
  entries.length = kept;
  return first;
}

/** True when ops draw nothing that shows (no line or fill after the last clear). */
export function isBlank(ops) {
  const entries = [];
  for (const op of ops) {
    if (opKind(op) === OP.UNDO) removeLastAction(entries);
    else entries.push({ op });
  }
  const start = entries.findLastIndex((e) => opKind(e.op) === OP.CLEAR) + 1;
  return !entries.slice(start).some(({ op }) =>
    opKind(op) === OP.FILL || (opKind(op) === OP.LINE && op.p?.length >= 2));
}

export class Board {
  /**
   * @param {HTMLCanvasElement} canvas the display canvas (its pixel size is set by setSize).
   * @param {{checkpoints?: boolean}} [options] checkpoints: false for pictures that never undo.
   */
  constructor(canvas, { checkpoints = true } = {}) {
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d");
    this.raster = new Raster();
    this.entries = []; // {op, spans?} in order; undo is applied, never kept
    this.keepCheckpoints = checkpoints;
    this.checkpoints = []; // {index, actions, px, image, tails}: the state after entries[0..index)
    this.actions = 0; // actions rendered since the last checkpoint (or the replay's start)
    this.ahead = 0; // actions a replay still has to render
    this.tails = new Map(); // stroke id -> [x, y], where its next piece joins
    this.run = null; // {id, kind, c, w, pts, box, under}: the stroke still being drawn
    this.under = null; // a canvas holding the display's pixels under the run
    this.stats = null; // what the last redraw replayed: {from, ops, actions, checkpoint}
    this.redraw();
  }

  /** Set the display's pixel size (CSS size x devicePixelRatio) and redraw. */
  setSize(width, height) {
    width = Math.max(1, Math.round(width));
    height = Math.max(1, Math.round(height));
    if (this.canvas.width === width && this.canvas.height === height) return;
    this.canvas.width = width;
    this.canvas.height = height;
    this.under = null;
    this.checkpoints = [];
    this.redraw();
  }

  /** Replace the whole drawing with `ops` (a snapshot or an album turn). */
  load(ops = []) {
    this.entries = [];
    this.checkpoints = [];
    for (const op of ops) this.model(op);
    this.redraw();
  }

  /** Apply one op as it arrives (drawn incrementally; undo redraws). */
  apply(op) {
    this.applyAll([op]);
  }

  /** Apply several ops in order; the stroke still being drawn is shown once, at the end. */
  applyAll(ops) {
    for (const op of ops) {
      if (opKind(op) === OP.UNDO) {
        this.undo();
        continue;
      }
      this.entries.push({ op });
      this.step(this.entries.length - 1);
    }
    if (this.run) this.drawRun();
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
    const first = this.removeLast();
    if (first < 0) return;
    this.checkpoints = this.checkpoints.filter((c) => c.index <= first);
    this.redraw();
  }

  /** Remove the last action; the first index removed, or -1. */
  removeLast() {
    const first = removeLastAction(this.entries);
    // Fills after a removed piece were decided on pixels that changed.
    for (let i = Math.max(0, first); i < this.entries.length; i++) delete this.entries[i].spans;
    return first;
  }

  // --- rendering -----------------------------------------------------------------

  /** Rebuild the raster and the display from the last usable checkpoint (or the last clear). */
  redraw() {
    const end = this.entries.length;
    const start = this.lastClearIndex();
    const checkpoint = this.checkpoints.findLast((c) => c.index >= start && c.index <= end);
    this.run = null;
    let from = start;
    if (checkpoint) {
      this.restore(checkpoint);
      from = checkpoint.index;
    } else {
      this.raster.clear();
      this.paintBackground();
      this.tails = this.tailsBefore(start);
    }
    this.actions = 0;
    this.ahead = this.countActions(from);
    const actions = this.ahead;
    for (let i = from; i < end; i++) this.step(i);
    if (this.run) this.drawRun();
    this.stats = { from, ops: end - from, actions, checkpoint: Boolean(checkpoint) };
  }

  /** Render entry i, taking a checkpoint first when one is due. */
  step(i) {
    const entry = this.entries[i];
    if (!this.continuesRun(entry.op)) {
      this.closeRun();
      this.maybeCheckpoint(i);
    }
    this.render(entry);
  }

  /** How many actions entries[from..] hold (a stroke's consecutive pieces are one). */
  countActions(from) {
    let count = 0;
    for (let i = from; i < this.entries.length; i++) {
      const op = this.entries[i].op;
      const prev = this.entries[i - 1]?.op;
      const same = prev && isStroke(opKind(op)) && opKind(prev) === opKind(op) && prev.id === op.id;
      if (!same || i === from) count++;
    }
    return count;
  }

  continuesRun(op) {
    const run = this.run;
    return Boolean(run) && opKind(op) === run.kind && op.id === run.id && op.c === run.c && op.w === run.w;
  }

  lastClearIndex() {
    for (let i = this.entries.length - 1; i >= 0; i--) {
      if (opKind(this.entries[i].op) === OP.CLEAR) return i;
    }
    return 0;
  }

  tailsBefore(index) {
    const tails = new Map();
    for (let i = 0; i < index; i++) {
      const { op } = this.entries[i];
      const p = op.p ?? [];
      if (isStroke(opKind(op)) && p.length >= 2) tails.set(op.id, [p[p.length - 2], p[p.length - 1]]);
    }
    return tails;
  }

  render(entry) {
    const kind = opKind(entry.op);
    if (isStroke(kind)) this.addToRun(entry.op);
    else if (kind === OP.FILL) this.renderFill(entry);
    else if (kind === OP.CLEAR) {
      this.raster.clear();
      this.paintBackground();
    }
  }

  // --- strokes -------------------------------------------------------------------

  addToRun(op) {
    const p = Array.isArray(op.p) ? op.p : [];
    if (p.length < 2) return;
    if (!this.continuesRun(op)) {
      const tail = this.tails.get(op.id);
      this.run = { id: op.id, kind: opKind(op), c: op.c, w: op.w, pts: tail ? [...tail] : [], box: null };
    }
    appendPoints(this.run.pts, p);
    // A very long stroke goes on as a new run from the same point, cut at the
    // same point count on every client whatever the pieces were.
    while (this.run.pts.length / 2 > MAX_RUN_POINTS) {
      const run = this.run;
      const rest = run.pts.splice(2 * MAX_RUN_POINTS);
      if (run.box) this.drawRun();
      this.closeRun();
      this.run = { ...run, pts: [...run.pts.slice(-2), ...rest], box: null };
    }
    this.tails.set(op.id, this.run.pts.slice(-2));
  }

  /** Finish the run: stroke it if it was never shown, and put it on the raster. */
  closeRun() {
    const run = this.run;
    if (!run) return;
    this.run = null;
    const line = smoothPolyline(run.pts);
    const colour = strokeColour(run);
    if (!run.box) this.strokePath(line, run.w, colour);
    this.raster.polyline(line, run.w, parseColour(colour));
  }

  /** Show the run as it is now: put back the pixels under it, then stroke its whole path. */
  drawRun() {
    const run = this.run;
    const box = this.deviceBox(run.pts, run.w);
    const under = this.underCanvas();
    const ctx = this.ctx;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    if (run.box) blit(under, ctx, run.box);
    for (const part of outside(box, run.box)) blit(this.canvas, under.getContext("2d"), part);
    run.box = union(box, run.box);
    this.strokePath(smoothPolyline(run.pts), run.w, strokeColour(run));
  }

  underCanvas() {
    if (!this.under) {
      this.under = document.createElement("canvas");
      this.under.width = this.canvas.width;
      this.under.height = this.canvas.height;
    }
    return this.under;
  }

  /** The device-pixel box a stroke of width w through pts can touch. */
  deviceBox(pts, w) {
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    for (let i = 0; i < pts.length; i += 2) {
      x0 = Math.min(x0, pts[i]); x1 = Math.max(x1, pts[i]);
      y0 = Math.min(y0, pts[i + 1]); y1 = Math.max(y1, pts[i + 1]);
    }
    const sx = this.canvas.width / W;
    const sy = this.canvas.height / H;
    const pad = w / 2 + 2;
    const left = Math.max(0, Math.floor((x0 - pad) * sx));
    const top = Math.max(0, Math.floor((y0 - pad) * sy));
    const right = Math.min(this.canvas.width, Math.ceil((x1 + pad) * sx));
    const bottom = Math.min(this.canvas.height, Math.ceil((y1 + pad) * sy));
    return { x: left, y: top, w: Math.max(0, right - left), h: Math.max(0, bottom - top) };
  }

  strokePath(line, w, colour) {
    const ctx = this.scaled();
    if (line.length === 2) {
      ctx.beginPath();
      ctx.arc(line[0], line[1], w / 2, 0, Math.PI * 2);
      ctx.fillStyle = colour;
      ctx.fill();
      return;
    }
    ctx.beginPath();
    ctx.moveTo(line[0], line[1]);
    for (let i = 2; i < line.length; i += 2) ctx.lineTo(line[i], line[i + 1]);
    ctx.strokeStyle = colour;
    ctx.lineWidth = w;
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    ctx.stroke();
  }

  // --- fills ---------------------------------------------------------------------

  renderFill(entry) {
    const { x, y, c } = entry.op;
    const colour = parseColour(c);
    if (entry.spans) this.raster.paintSpans(entry.spans, colour);
    else entry.spans = this.raster.fill(x, y, colour);
    this.paintSpans(entry.spans, colour);
  }

  /**
   * Paint spans onto the display through the scratch canvas, smoothed when scaled.
   * The spans stop at the raster's stroke pixels, which on the display are the
   * stroke's half-covered edge; painting a pixel further on every side (two when
   * the display is larger than the raster, where smoothing fades the fill's edge
   * over a whole raster pixel) covers that edge, so no light seam is left between
   * a fill and its outline.
   */
  paintSpans(spans, colour) {
    const inner = spanBounds(spans);
    if (!inner) return;
    const d = this.canvas.width > W ? 2 : 1;
    const box = grow(inner, d);
    const sc = scratchCanvas();
    const image = sc.createImageData(box.w, box.h);
    const pixels = new Uint32Array(image.data.buffer);
    const abgr = (0xff000000 | ((colour & 0xff) << 16) | (colour & 0xff00) | ((colour >> 16) & 0xff)) >>> 0;
    for (let i = 0; i < spans.length; i += 3) {
      const from = Math.max(0, spans[i + 1] - d - box.x);
      const to = Math.min(box.w, spans[i + 2] + d + 1 - box.x);
      const last = Math.min(box.y + box.h - 1, spans[i] + d);
      for (let y = Math.max(box.y, spans[i] - d); y <= last; y++) {
        const row = (y - box.y) * box.w;
        pixels.fill(abgr, row + from, row + to);
      }
    }
    sc.putImageData(image, box.x, box.y);
    const ctx = this.scaled();
    ctx.imageSmoothingEnabled = true;
    ctx.imageSmoothingQuality = "high";
    ctx.drawImage(sc.canvas, box.x, box.y, box.w, box.h, box.x, box.y, box.w, box.h);
    sc.clearRect(box.x, box.y, box.w, box.h);
  }

  // --- checkpoints ---------------------------------------------------------------

  /**
   * Entry `index` starts an action: count it, and take a checkpoint when one is
   * due. During a long replay, only checkpoints that will be kept are taken.
   */
  maybeCheckpoint(index) {
    this.actions += 1;
    this.ahead = Math.max(0, this.ahead - 1);
    if (!this.keepCheckpoints || this.actions <= CHECKPOINT_EVERY) return;
    if (this.ahead >= CHECKPOINT_EVERY * MAX_CHECKPOINTS) return;
    this.actions = 1;
    const image = document.createElement("canvas");
    image.width = this.canvas.width;
    image.height = this.canvas.height;
    image.getContext("2d").drawImage(this.canvas, 0, 0);
    this.checkpoints.push({ index, px: this.raster.px.slice(), image, tails: new Map(this.tails) });
    if (this.checkpoints.length > MAX_CHECKPOINTS) this.checkpoints.shift();
  }

  restore(checkpoint) {
    this.raster.px.set(checkpoint.px);
    this.tails = new Map(checkpoint.tails);
    const ctx = this.ctx;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.drawImage(checkpoint.image, 0, 0);
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

/** Copy the box's pixels from one canvas onto a context at the same place. */
function blit(source, ctx, box) {
  if (box.w > 0 && box.h > 0) ctx.drawImage(source, box.x, box.y, box.w, box.h, box.x, box.y, box.w, box.h);
}

function union(a, b) {
  if (!b) return a;
  const x = Math.min(a.x, b.x);
  const y = Math.min(a.y, b.y);
  return { x, y, w: Math.max(a.x + a.w, b.x + b.w) - x, h: Math.max(a.y + a.h, b.y + b.h) - y };
}

/** The parts of box a outside box b (up to four strips); all of a when b is null. */
function outside(a, b) {
  if (!b) return [a];
  const parts = [];
  const ax1 = a.x + a.w, ay1 = a.y + a.h, bx1 = b.x + b.w, by1 = b.y + b.h;
  if (a.y < b.y) parts.push({ x: a.x, y: a.y, w: a.w, h: b.y - a.y });
  if (ay1 > by1) parts.push({ x: a.x, y: by1, w: a.w, h: ay1 - by1 });
  const top = Math.max(a.y, b.y), bottom = Math.min(ay1, by1);
  if (bottom > top && a.x < b.x) parts.push({ x: a.x, y: top, w: b.x - a.x, h: bottom - top });
  if (bottom > top && ax1 > bx1) parts.push({ x: bx1, y: top, w: ax1 - bx1, h: bottom - top });
  return parts;
}

/** A span box grown by d pixels on every side, within the canvas. */
function grow(box, d) {
  const x = Math.max(0, box.x - d);
  const y = Math.max(0, box.y - d);
  return { x, y, w: Math.min(W, box.x + box.w + d) - x, h: Math.min(H, box.y + box.h + d) - y };
}

/** Render ops onto a fresh canvas of the given pixel size (thumbnails, PNG export). */
export function renderOps(ops, width = W, height = H) {
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  const board = new Board(canvas, { checkpoints: false });
  board.load(ops);
  board.raster = null; // free the 3 MB raster; the canvas keeps the picture
  return canvas;
}

