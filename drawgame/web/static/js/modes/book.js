// A telephone book's pages on screen and on file: a page's tile for the strips, a
// drawing replayed stroke by stroke on a Board, and the whole book as one PNG.

import { h } from "../dom.js";
import { icon } from "../icons.js";
import { isBlank, renderOps } from "../canvas.js";
import { replaySteps } from "../album.js";
import { CANVAS_W, CANVAS_H, PAGE } from "../protocol.js";
import { t } from "../i18n.js";

const TILE_W = 160;
const TILE_H = 120;

/** Whether a page holds nothing (an empty sentence, or a drawing that shows nothing). */
export function isEmptyPage(entry) {
  if (!entry) return true;
  return entry.kind === PAGE.TEXT ? !String(entry.text ?? "").trim() : isBlank(entry.ops ?? []);
}

/** Who made a page, as its caption says it. */
export function pageCaption(entry) {
  const name = entry?.author?.name ?? t("players.someone");
  if (isEmptyPage(entry)) return entry?.kind === PAGE.TEXT ? t("tel.wroteNothing", { name }) : t("tel.drewNothing", { name });
  return entry.kind === PAGE.TEXT ? t("tel.wrote", { name }) : t("tel.drew", { name });
}

/** A small tile of one page for a book's strip: the sentence, or the drawing's thumbnail. */
export function pageTile(entry, index, { onReplay = null, current = false } = {}) {
  const number = h("span", { class: "tel-strip-number", text: String(index + 1) });
  let body;
  if (!entry) {
    body = h("span", { class: "tel-strip-unknown", text: "…" });
  } else if (isEmptyPage(entry)) {
    body = h("span", { class: "tel-strip-empty", text: entry.kind === PAGE.TEXT ? t("tel.noSentence") : t("album.nothing") });
  } else if (entry.kind === PAGE.TEXT) {
    body = h("q", { class: "tel-strip-text", text: entry.text });
  } else {
    body = renderOps(entry.ops ?? [], TILE_W, TILE_H);
    body.className = "strip-thumb";
    body.setAttribute("role", "img");
    body.setAttribute("aria-label", pageCaption(entry));
  }
  const who = entry ? h("span", { class: "tel-strip-author", text: entry.author?.name ?? "" }) : null;
  const replay = onReplay && entry?.kind === PAGE.DRAWING && !isEmptyPage(entry)
    ? h("button", { type: "button", class: "btn btn-ghost btn-sm tel-strip-replay", dataset: { testid: "strip-replay" },
      "aria-label": t("tel.replayOf", { name: entry.author?.name ?? "" }), on: { click: (e) => onReplay(entry, e.currentTarget) } },
    icon("play", 14), t("album.replay"))
    : null;
  return h("li", { class: `tel-strip-page${current ? " is-current" : ""}`, dataset: { page: String(index) },
    "aria-current": current ? "true" : null }, number, body, who, replay);
}

/**
 * Replay `ops` on `board` stroke by stroke over about `ms` milliseconds. Returns a stop
 * function; `done()` runs when the drawing is complete.
 */
export function replay(board, ops, ms = 4000, done = null) {
  const steps = replaySteps(ops ?? []);
  let shown = 0;
  let frame = 0;
  const t0 = performance.now();
  board.load([]);
  const tick = (now) => {
    const target = Math.min(steps.length, Math.ceil(((now - t0) / ms) * steps.length));
    while (shown < target) board.apply(steps[shown++]);
    if (shown < steps.length) frame = requestAnimationFrame(tick);
    else done?.();
  };
  frame = requestAnimationFrame(tick);
  return () => cancelAnimationFrame(frame);
}

const PNG_PAD = 40;
const PNG_FONT = 36;
const PNG_LINE = 48;
const FAMILY = "system-ui, sans-serif";
const font = (weight, size) => `${weight} ${size}px ${FAMILY}`;

/** Lines of `text` that fit `width` pixels in the context's font. */
function wrap(ctx, text, width) {
  const lines = [];
  let current = "";
  for (const word of String(text).split(/\s+/).filter(Boolean)) {
    const next = current ? `${current} ${word}` : word;
    if (ctx.measureText(next).width <= width || !current) current = next;
    else {
      lines.push(current);
      current = word;
    }
  }
  if (current) lines.push(current);
  return lines.length ? lines : [""];
}

/** A whole book as one tall canvas: each page under its author's name, drawings at full size. */
export function bookCanvas(book, index) {
  const measure = document.createElement("canvas").getContext("2d");
  measure.font = font(600, PNG_FONT);
  const inner = CANVAS_W - 2 * PNG_PAD;
  const pages = (book.pages ?? []).map((entry) => {
    const lines = entry.kind === PAGE.TEXT ? wrap(measure, isEmptyPage(entry) ? t("tel.noSentence") : `“${entry.text}”`, inner) : null;
    const body = lines ? lines.length * PNG_LINE + PNG_PAD : CANVAS_H;
    return { entry, lines, height: PNG_LINE + body + PNG_PAD / 2 };
  });
  const title = t("tel.bookOf", { name: book.owner?.name ?? "", number: index + 1 });
  const height = PNG_PAD + PNG_LINE + pages.reduce((sum, p) => sum + p.height, 0) + PNG_PAD;
  const canvas = document.createElement("canvas");
  canvas.width = CANVAS_W;
  canvas.height = height;
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#f4f2fc";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.fillStyle = "#1e1b2e";
  ctx.font = font(800, PNG_FONT + 6);
  ctx.textBaseline = "top";
  ctx.fillText(title, PNG_PAD, PNG_PAD, inner);
  let y = PNG_PAD + PNG_LINE + PNG_PAD / 2;
  for (const { entry, lines, height: h0 } of pages) {
    ctx.fillStyle = "#5d5872";
    ctx.font = font(600, PNG_FONT - 8);
    ctx.fillText(pageCaption(entry), PNG_PAD, y, inner);
    const top = y + PNG_LINE;
    if (lines) {
      ctx.fillStyle = "#ffffff";
      ctx.fillRect(0, top, CANVAS_W, lines.length * PNG_LINE + PNG_PAD);
      ctx.fillStyle = "#1e1b2e";
      ctx.font = font(600, PNG_FONT);
      lines.forEach((line, i) => ctx.fillText(line, PNG_PAD, top + PNG_PAD / 2 + i * PNG_LINE, inner));
    } else {
      ctx.drawImage(renderOps(entry.ops ?? [], CANVAS_W, CANVAS_H), 0, top);
    }
    y += h0;
  }
  return canvas;
}

/** Save a whole book as a PNG file. */
export function downloadBook(book, index) {
  bookCanvas(book, index).toBlob((blob) => {
    if (!blob) return;
    const url = URL.createObjectURL(blob);
    const owner = String(book.owner?.name ?? "book").replace(/[^\p{L}\p{N}]+/gu, "-").slice(0, 40) || "book";
    const a = h("a", { href: url, download: `drawgame-book-${index + 1}-${owner}.png` });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }, "image/png");
}

/** "Ada", "Ada and Bob", "Ada, Bob and Cy": a list of names in the page's language. */
export function listNames(names) {
  try {
    return new Intl.ListFormat(document.documentElement.lang || "en", { style: "long", type: "conjunction" }).format(names);
  } catch {
    return names.join(", ");
  }
}
