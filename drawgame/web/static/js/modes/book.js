// A telephone book's pages on screen and on file: a page's tile for the strips, a
// drawing replayed stroke by stroke on a Board, and the whole book as one PNG (drawn by
// the album page's export.js).

import { h } from "../dom.js";
import { icon } from "../icons.js";
import { isBlank, renderOps } from "../canvas.js";
import { replaySteps } from "../album.js";
import { bookLabels } from "../books.js";
import { bookStrip, fileWord, saveBlob } from "../export.js";
import { PAGE } from "../protocol.js";
import { avatarEl } from "../avatars.js";
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
  const who = entry ? h("span", { class: "tel-strip-author" },
    avatarEl(entry.author?.id, entry.author?.name, { cls: "avatar-sm" }),
    h("span", { text: entry.author?.name ?? "" })) : null;
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

/** Save a whole book as one tall PNG (the album page's export: each page under its author). */
export async function downloadBook(book, index) {
  const blob = await bookStrip(book, bookLabels(book, index));
  saveBlob(blob, `drawgame-book-${index + 1}-${fileWord(book.owner?.name, "book")}.png`);
}

/** "Ada", "Ada and Bob", "Ada, Bob and Cy": a list of names in the page's language. */
export function listNames(names) {
  try {
    return new Intl.ListFormat(document.documentElement.lang || "en", { style: "long", type: "conjunction" }).format(names);
  } catch {
    return names.join(", ");
  }
}
