// Album exports made in the browser, at no cost to the server: a drawing's PNG, its
// time-lapse as an animated GIF, a classic album's contact sheet (PNG), a telephone
// book's animated GIF and its tall strip (PNG).
//
// Drawings are exported from the board's logical raster (raster.js: 1000 x 750, integer
// rules, no antialiasing), never from a display canvas, so an export holds exactly the
// colours that were drawn and is the same bytes every time: a GIF's palette is the
// drawing's own colours, and its last frame is the drawing's PNG, pixel for pixel.
// GIFs are encoded by gifenc (vendor/gifenc.js); a frame after the first carries only
// the pixels that changed (the rest transparent, kept from the frame before).

import { GIFEncoder, quantize, nearestColorIndex } from "./vendor/gifenc.js";
import { Board } from "./canvas.js";
import { Raster, parseColour } from "./raster.js";
import { smoothPolyline } from "./smooth.js";
import { CANVAS_W as W, CANVAS_H as H, BACKGROUND, OP, opKind } from "./protocol.js";

/** Frames of a drawing's time-lapse GIF at most (fewer when it has fewer steps). */
export const GIF_FRAMES = 40;
/** How long a GIF holds its last frame (ms). */
export const GIF_HOLD_MS = 2000;
/** How long a GIF shows each book page (ms). */
export const BOOK_PAGE_MS = 2500;
const REPLAY_POINTS_PER_STEP = 4;
const MAX_COLOURS = 255; // one palette slot is the transparent one

/** Split ops into small steps so a replay (and a time-lapse) shows strokes being drawn. */
export function replaySteps(ops) {
  const steps = [];
  for (const op of ops) {
    const kind = opKind(op);
    if ((kind !== OP.LINE && kind !== OP.ERASE) || !Array.isArray(op.p)) {
      steps.push(op);
      continue;
    }
    const chunk = REPLAY_POINTS_PER_STEP * 2;
    for (let i = 0; i < op.p.length; i += chunk) steps.push({ ...op, p: op.p.slice(i, i + chunk) });
  }
  return steps;
}

/** How long a replay takes: a tenth of the turn, between 3 and 10 seconds. */
export function replayLength(durationMs) {
  return Math.min(10000, Math.max(3000, (durationMs ?? 30000) / 10));
}

/** How many frames a time-lapse of `steps` steps has. */
export const frameCount = (steps) => Math.max(1, Math.min(GIF_FRAMES, steps));

/** A safe file name part from a word or sentence. */
export function fileWord(text, fallback = "drawing") {
  return String(text ?? "").replace(/[^\p{L}\p{N}]+/gu, "-").replace(/^-|-$/g, "").slice(0, 40) || fallback;
}

// --- drawing on the raster --------------------------------------------------------------

/** A board that draws only what the raster needs (its display is a few pixels). */
class RasterBoard {
  constructor() {
    const canvas = document.createElement("canvas");
    canvas.width = 4;
    canvas.height = 3;
    this.board = new Board(canvas, { checkpoints: false });
    this.scratch = new Raster();
  }

  apply(ops) {
    this.board.applyAll(ops);
  }

  /** The picture now: the raster, plus the stroke still being drawn (the board puts a
   * stroke on its raster only when the next op comes). A fresh array each call. */
  pixels() {
    const { raster, run } = this.board;
    if (!run) return raster.px.slice();
    this.scratch.px.set(raster.px);
    const colour = parseColour(run.kind === OP.ERASE ? BACKGROUND : run.c);
    this.scratch.polyline(smoothPolyline(run.pts), run.w, colour);
    return this.scratch.px.slice();
  }
}

/** The finished drawing's pixels (0xRRGGBB, 1000 x 750). */
export function drawingPixels(ops) {
  const board = new RasterBoard();
  board.apply(ops ?? []);
  return board.pixels();
}

/** Pixels (0xRRGGBB) as a canvas of the same size. */
export function pixelsCanvas(px, width = W, height = H) {
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext("2d");
  const image = ctx.createImageData(width, height);
  const out = new Uint32Array(image.data.buffer);
  for (let i = 0; i < px.length; i++) {
    const c = px[i];
    out[i] = (0xff000000 | ((c & 0xff) << 16) | (c & 0xff00) | ((c >> 16) & 0xff)) >>> 0;
  }
  ctx.putImageData(image, 0, 0);
  return canvas;
}

export const canvasBlob = (canvas) => new Promise((resolve, reject) => {
  canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error("toBlob"))), "image/png");
});

/** A drawing's final picture as a PNG (1000 x 750). */
export const drawingPng = (ops) => canvasBlob(pixelsCanvas(drawingPixels(ops)));

// --- GIF ----------------------------------------------------------------------------------

/** Every colour the ops can leave on the raster: white, erasing, and each line's and fill's. */
function colours(ops) {
  const found = new Set([0xffffff, parseColour(BACKGROUND)]);
  for (const op of ops) if (typeof op.c === "string") found.add(parseColour(op.c));
  return [...found].sort((a, b) => a - b);
}

const rgbOf = (c) => [(c >> 16) & 0xff, (c >> 8) & 0xff, c & 0xff];

/**
 * The GIF palette for a set of 0xRRGGBB colours and the index of each: the colours
 * themselves when they fit, else the `exact` ones among them kept as they are (a
 * drawing's own colours, a card's paper and ink) and gifenc's quantizer over the rest
 * (the same input gives the same palette). The last slot is the transparent one.
 */
function paletteFor(list, exact = []) {
  let palette = list.map(rgbOf);
  const index = new Map();
  if (palette.length <= MAX_COLOURS) {
    list.forEach((c, i) => index.set(c, i));
  } else {
    const present = new Set(list);
    let keep = [...new Set(exact)].filter((c) => present.has(c)).sort((a, b) => a - b);
    if (keep.length > MAX_COLOURS / 2) keep = [];
    const kept = new Set(keep);
    const rest = list.filter((c) => !kept.has(c));
    const rgba = new Uint8Array(rest.length * 4);
    rest.forEach((c, i) => rgba.set([...rgbOf(c), 255], i * 4));
    palette = [...keep.map(rgbOf), ...quantize(rgba, MAX_COLOURS - keep.length, { format: "rgb444" })];
    keep.forEach((c, i) => index.set(c, i));
    for (const c of rest) index.set(c, nearestColorIndex(palette, rgbOf(c)));
  }
  const transparent = palette.length;
  return { palette: [...palette, [0, 0, 0]], index, transparent };
}

/**
 * A GIF writer over full-size frames of 0xRRGGBB pixels: the first frame whole, each
 * later one as the pixels that changed, the rest transparent (kept from before).
 */
class GifFrames {
  constructor(colourList, { exact = [], width = W, height = H } = {}) {
    Object.assign(this, paletteFor(colourList, exact), { width, height });
    this.gif = GIFEncoder();
    this.prev = null;
    this.frames = 0;
  }

  add(px, delay) {
    const { index, transparent, prev } = this;
    const out = new Uint8Array(px.length);
    let last = -1;
    let lastIndex = 0;
    for (let i = 0; i < px.length; i++) {
      const c = px[i];
      if (prev && prev[i] === c) {
        out[i] = transparent;
        continue;
      }
      if (c !== last) {
        last = c;
        lastIndex = index.get(c) ?? 0;
      }
      out[i] = lastIndex;
    }
    const first = this.frames === 0;
    this.gif.writeFrame(out, this.width, this.height, {
      palette: first ? this.palette : undefined, delay, repeat: 0,
      transparent: !first, transparentIndex: transparent, dispose: 1,
    });
    this.prev = px;
    this.frames += 1;
  }

  blob() {
    this.gif.finish();
    return new Blob([this.gif.bytes()], { type: "image/gif" });
  }
}

const breathe = () => new Promise((resolve) => setTimeout(resolve, 0));

/**
 * A drawing's time-lapse as an animated GIF (1000 x 750): `frameCount(steps)` frames,
 * frame k showing the first ceil(k x steps / frames) replay steps, over the replay's
 * length; the last frame (the finished drawing) is held for GIF_HOLD_MS.
 */
export async function timelapseGif(ops, durationMs) {
  const steps = replaySteps(ops ?? []);
  const frames = frameCount(steps.length);
  const delay = Math.max(20, Math.round(replayLength(durationMs) / frames));
  const board = new RasterBoard();
  const out = new GifFrames(colours(ops ?? []));
  let done = 0;
  for (let k = 1; k <= frames; k++) {
    const target = Math.ceil((k * steps.length) / frames);
    board.apply(steps.slice(done, target));
    done = target;
    out.add(board.pixels(), k === frames ? GIF_HOLD_MS : delay);
    await breathe();
  }
  return out.blob();
}

// --- sheets, cards and strips ----------------------------------------------------------------

/** The page's own font stack (app.css --font), so exports read like the page. */
const FONT = getComputedStyle(document.documentElement).getPropertyValue("--font").trim() || "sans-serif";
const INK = "#1b1b1f";
const MUTED = "#5f5f68";
const PAPER = "#ffffff";
const SHEET_BG = "#f4f1fb";
const CARD = "#ede7fb";

/** Lines of `text` that fit `width` at the context's font, at most `max` (the last cut with …). */
function wrap(ctx, text, width, max) {
  const words = String(text ?? "").split(/\s+/).filter(Boolean);
  const lines = [];
  let line = "";
  for (const word of words) {
    const next = line ? `${line} ${word}` : word;
    if (ctx.measureText(next).width <= width || !line) line = next;
    else {
      lines.push(line);
      line = word;
    }
  }
  if (line) lines.push(line);
  if (lines.length > max) {
    lines.length = max;
    lines[max - 1] = `${lines[max - 1].replace(/\s*\S*$/, "")}…`;
  }
  return lines.map((l) => (ctx.measureText(l).width > width ? cut(ctx, l, width) : l));
}

function cut(ctx, text, width) {
  let out = [...text];
  while (out.length > 1 && ctx.measureText(`${out.join("")}…`).width > width) out.pop();
  return `${out.join("")}…`;
}

/** Draw a drawing's pixels scaled into a box (smoothed: a sheet's small pictures). */
function drawPicture(ctx, px, x, y, w, h) {
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = "high";
  ctx.drawImage(pixelsCanvas(px), x, y, w, h);
  ctx.strokeStyle = "#d9d4e6";
  ctx.lineWidth = 1;
  ctx.strokeRect(x + 0.5, y + 0.5, w - 1, h - 1);
}

function blankPicture(ctx, x, y, w, h, label) {
  ctx.fillStyle = PAPER;
  ctx.fillRect(x, y, w, h);
  ctx.setLineDash([8, 6]);
  ctx.strokeStyle = "#b5aecb";
  ctx.lineWidth = 2;
  ctx.strokeRect(x + 1, y + 1, w - 2, h - 2);
  ctx.setLineDash([]);
  ctx.fillStyle = MUTED;
  ctx.font = `italic 600 ${Math.round(h / 10)}px ${FONT}`;
  ctx.textAlign = "center";
  ctx.textBaseline = "middle";
  ctx.fillText(cut(ctx, label, w - 20), x + w / 2, y + h / 2);
  ctx.textAlign = "start";
  ctx.textBaseline = "alphabetic";
}

/**
 * A classic album as one contact-sheet PNG: a grid of every drawing with its word and
 * drawer. `labels`: {title, subtitle, by(name), blank(turn)} in the page's language.
 */
export async function contactSheet(turns, labels) {
  const cols = turns.length <= 4 ? Math.max(1, turns.length) : turns.length <= 9 ? 3 : 4;
  const rows = Math.max(1, Math.ceil(turns.length / cols));
  const cellW = 320, picH = 240, capH = 56, gap = 16, pad = 24, headH = 72;
  const canvas = document.createElement("canvas");
  canvas.width = pad * 2 + cols * cellW + (cols - 1) * gap;
  canvas.height = pad * 2 + headH + rows * (picH + capH) + (rows - 1) * gap;
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = SHEET_BG;
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.fillStyle = INK;
  ctx.font = `800 30px ${FONT}`;
  ctx.fillText(cut(ctx, labels.title, canvas.width - pad * 2), pad, pad + 30);
  ctx.fillStyle = MUTED;
  ctx.font = `500 18px ${FONT}`;
  ctx.fillText(cut(ctx, labels.subtitle, canvas.width - pad * 2), pad, pad + 58);
  for (const [i, turn] of turns.entries()) {
    const x = pad + (i % cols) * (cellW + gap);
    const y = pad + headH + Math.floor(i / cols) * (picH + capH + gap);
    const blank = labels.blank(turn);
    if (blank) blankPicture(ctx, x, y, cellW, picH, blank);
    else drawPicture(ctx, drawingPixels(turn.ops ?? []), x, y, cellW, picH);
    ctx.fillStyle = INK;
    ctx.font = `700 20px ${FONT}`;
    ctx.fillText(cut(ctx, turn.word ?? "", cellW), x, y + picH + 24);
    ctx.fillStyle = MUTED;
    ctx.font = `500 16px ${FONT}`;
    ctx.fillText(cut(ctx, labels.by(turn.drawer?.name ?? "?"), cellW), x, y + picH + 46);
    await breathe();
  }
  return canvasBlob(canvas);
}

/**
 * A sentence drawn as a card (1000 x 750): the text large and centred, its author below.
 * A `blank` card (an empty or hidden page) says so in muted italics.
 */
export function cardPixels(text, caption, { blank = false } = {}) {
  const canvas = document.createElement("canvas");
  canvas.width = W;
  canvas.height = H;
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = PAPER;
  ctx.fillRect(0, 0, W, H);
  ctx.fillStyle = blank ? SHEET_BG : CARD;
  ctx.fillRect(40, 40, W - 80, H - 80);
  ctx.fillStyle = blank ? MUTED : INK;
  ctx.textAlign = "center";
  let size = 64;
  let lines;
  for (;; size -= 6) {
    ctx.font = `${blank ? "italic 600" : "800"} ${size}px ${FONT}`;
    lines = wrap(ctx, text, W - 200, 5);
    if (lines.length * size * 1.25 <= H - 260 || size <= 30) break;
  }
  const top = H / 2 - ((lines.length - 1) * size * 1.25) / 2;
  lines.forEach((line, i) => ctx.fillText(line, W / 2, top + i * size * 1.25 + size / 3));
  ctx.fillStyle = MUTED;
  ctx.font = `600 30px ${FONT}`;
  ctx.fillText(cut(ctx, caption, W - 200), W / 2, H - 90);
  const data = ctx.getImageData(0, 0, W, H).data;
  const px = new Uint32Array(W * H);
  for (let i = 0; i < px.length; i++) px[i] = (data[i * 4] << 16) | (data[i * 4 + 1] << 8) | data[i * 4 + 2];
  return px;
}

/**
 * A book page's picture: its drawing, its sentence as a card, or a blank card saying
 * what `labels.blank(page)` says (an empty page, a hidden drawing).
 */
function pagePixels(page, labels) {
  const blank = labels.blank(page);
  if (page.kind === "drawing" && !blank) return drawingPixels(page.ops ?? []);
  return cardPixels(blank || page.text || "", labels.by(page.author?.name ?? "?"), { blank: Boolean(blank) });
}

/**
 * A telephone book as an animated GIF (1000 x 750): one frame per page, sentences as
 * cards, each shown for BOOK_PAGE_MS (the last one held longer). Cards hold antialiased
 * text, so a book may have more colours than a GIF: the drawings' own colours and the
 * cards' paper and ink are kept exactly, the text's edges quantized (deterministically).
 */
export async function bookGif(book, labels) {
  const pages = [];
  const exact = [PAPER, CARD, SHEET_BG, INK, MUTED].map(parseColour);
  for (const page of book.pages ?? []) {
    pages.push(pagePixels(page, labels));
    if (page.kind === "drawing" && !labels.blank(page)) exact.push(...colours(page.ops ?? []));
    await breathe();
  }
  if (!pages.length) pages.push(cardPixels("", labels.by(book.owner?.name ?? "?"), { blank: true }));
  const found = new Set();
  for (const px of pages) for (let i = 0; i < px.length; i++) found.add(px[i]);
  const out = new GifFrames([...found].sort((a, b) => a - b), { exact });
  for (const [i, px] of pages.entries()) {
    out.add(px, i === pages.length - 1 ? BOOK_PAGE_MS + GIF_HOLD_MS : BOOK_PAGE_MS);
    await breathe();
  }
  return out.blob();
}

/** A telephone book as one tall PNG: its pages top to bottom, each with its author. */
export async function bookStrip(book, labels) {
  const pageW = 600, pageH = 450, capH = 40, gap = 16, pad = 24, headH = 56;
  const pages = book.pages ?? [];
  const canvas = document.createElement("canvas");
  canvas.width = pageW + pad * 2;
  canvas.height = pad * 2 + headH + Math.max(1, pages.length) * (pageH + capH + gap) - gap;
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = SHEET_BG;
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.fillStyle = INK;
  ctx.font = `800 26px ${FONT}`;
  ctx.fillText(cut(ctx, labels.title, pageW), pad, pad + 30);
  for (const [i, page] of pages.entries()) {
    const y = pad + headH + i * (pageH + capH + gap);
    drawPicture(ctx, pagePixels(page, labels), pad, y, pageW, pageH);
    ctx.fillStyle = MUTED;
    ctx.font = `600 18px ${FONT}`;
    ctx.fillText(cut(ctx, `${i + 1}. ${labels.by(page.author?.name ?? "?")}`, pageW), pad, y + pageH + 26);
    await breathe();
  }
  return canvasBlob(canvas);
}

/** Offer a blob as a download named `name`. */
export function saveBlob(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}
