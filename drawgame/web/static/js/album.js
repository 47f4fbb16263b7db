// The album of a finished game: a thumbnail per turn, a time-lapse replay of
// how each drawing was made, and a PNG download of each.

import { h, replaceChildren } from "./dom.js";
import { icon } from "./icons.js";
import { Board, isBlank, renderOps } from "./canvas.js";
import { CANVAS_W, CANVAS_H, OP, opKind } from "./protocol.js";
import { t } from "./i18n.js";

const THUMB_W = 240;
const THUMB_H = 180;
const REPLAY_POINTS_PER_STEP = 4;

/** Fill `list` with one album item per turn of `game`. */
export function renderAlbum(list, game) {
  replaceChildren(list, (game.turns ?? []).map((turn, i) => albumItem(turn, i)));
}

function albumItem(turn, index) {
  if (isBlank(turn.ops ?? [])) return blankItem(turn, index);
  const thumb = renderOps(turn.ops ?? [], THUMB_W, THUMB_H);
  thumb.className = "album-thumb";
  thumb.setAttribute("role", "img");
  const who = turn.drawer?.name ?? "?";
  thumb.setAttribute("aria-label", t("album.drawingOf", { word: turn.word, name: who }));
  const replay = h("button", { type: "button", class: "btn btn-secondary btn-sm", dataset: { testid: "album-replay" },
    "aria-label": t("album.replayOf", { word: turn.word }) }, icon("play", 16), t("album.replay"));
  replay.addEventListener("click", () => openReplay(turn, replay));
  const download = h("button", { type: "button", class: "btn btn-ghost btn-sm", dataset: { testid: "album-download" },
    "aria-label": t("album.pngOf", { word: turn.word }) }, icon("download", 16), t("album.png"));
  download.addEventListener("click", () => downloadPng(turn, index));
  return h("li", { class: "album-item", dataset: { testid: "album-item", turn: String(index) } },
    h("button", { type: "button", class: "thumb-btn", "aria-label": t("album.replayOf", { word: turn.word }),
      on: { click: () => openReplay(turn, replay) } }, thumb),
    h("div", { class: "album-caption" },
      h("strong", { class: "album-word", text: turn.word }),
      h("span", { class: "muted small", text: t("album.by", { name: who }) })),
    h("div", { class: "album-actions" }, replay, download));
}

/** A turn in which nothing was drawn: a labelled empty tile, nothing to replay or save. */
function blankItem(turn, index) {
  return h("li", { class: "album-item is-blank", dataset: { testid: "album-item", turn: String(index), blank: "" } },
    h("div", { class: "album-blank", text: t("album.nothing") }),
    h("div", { class: "album-caption" },
      h("strong", { class: "album-word", text: turn.word }),
      h("span", { class: "muted small", text: t("album.by", { name: turn.drawer?.name ?? "?" }) })));
}

/** Save one turn's drawing at full size as a PNG file. */
export function downloadPng(turn, index = 0) {
  const canvas = renderOps(turn.ops ?? [], CANVAS_W, CANVAS_H);
  canvas.toBlob((blob) => {
    if (!blob) return;
    const url = URL.createObjectURL(blob);
    const safe = String(turn.word ?? "drawing").replace(/[^\p{L}\p{N}]+/gu, "-").slice(0, 40) || "drawing";
    const a = h("a", { href: url, download: `drawgame-${index + 1}-${safe}.png` });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }, "image/png");
}

/** Split ops into small steps so a replay shows strokes being drawn. */
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
function replayLength(turn) {
  return Math.min(10000, Math.max(3000, (turn.duration_ms ?? 30000) / 10));
}

let active = null;

function openReplay(turn, opener) {
  closeReplay();
  const modal = document.getElementById("replay-modal");
  const canvas = h("canvas", { class: "replay-canvas", dataset: { testid: "replay-canvas" } });
  const bar = h("div", { class: "progress-bar" });
  const again = h("button", { type: "button", class: "btn btn-secondary" }, icon("refresh", 16), t("album.replay"));
  const close = h("button", { type: "button", class: "btn btn-primary", dataset: { testid: "replay-close" } }, t("album.close"));
  replaceChildren(modal, h("div", { class: "modal-card" },
    h("h2", { id: "replay-title", class: "modal-title" }, h("span", { text: turn.word }),
      h("span", { class: "muted small", text: ` ${t("album.drawnBy", { name: turn.drawer?.name ?? "?" })}` })),
    h("div", { class: "replay-frame" }, canvas),
    h("div", { class: "progress", "aria-hidden": "true" }, bar),
    h("div", { class: "modal-actions" }, again, close)));
  modal.hidden = false;
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth || 640;
  canvas.width = Math.round(width * ratio);
  canvas.height = Math.round((width * 3 / 4) * ratio);
  const board = new Board(canvas);
  active = { modal, opener, frame: 0, board };
  const start = () => animate(board, replaySteps(turn.ops ?? []), replayLength(turn), bar);
  again.addEventListener("click", start);
  close.addEventListener("click", closeReplay);
  modal.onclick = (e) => { if (e.target === modal) closeReplay(); };
  modal.addEventListener("keydown", onModalKey);
  close.focus();
  start();
}

function animate(board, steps, length, bar) {
  cancelAnimationFrame(active.frame);
  board.load([]);
  let done = 0;
  const t0 = performance.now();
  const frame = (now) => {
    const target = Math.min(steps.length, Math.ceil(((now - t0) / length) * steps.length));
    while (done < target) board.apply(steps[done++]);
    bar.style.width = `${steps.length ? (done / steps.length) * 100 : 100}%`;
    if (done < steps.length && active) active.frame = requestAnimationFrame(frame);
  };
  active.frame = requestAnimationFrame(frame);
}

function onModalKey(e) {
  if (e.key === "Escape") closeReplay();
  if (e.key !== "Tab") return;
  const focusable = [...e.currentTarget.querySelectorAll("button")];
  const first = focusable[0];
  const last = focusable.at(-1);
  if (e.shiftKey && document.activeElement === first) { last.focus(); e.preventDefault(); }
  else if (!e.shiftKey && document.activeElement === last) { first.focus(); e.preventDefault(); }
}

export function closeReplay() {
  if (!active) return;
  cancelAnimationFrame(active.frame);
  active.modal.hidden = true;
  active.modal.removeEventListener("keydown", onModalKey);
  active.modal.replaceChildren();
  active.opener?.focus();
  active = null;
}
