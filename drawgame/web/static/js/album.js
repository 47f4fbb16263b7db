// The album of a finished game: a tile per turn with its word and drawer, a time-lapse
// replay of how each drawing was made (pausable, stoppable), and its PNG and animated
// GIF. Used by the results screen and by the album page (/a/<game_id>). The tiles are
// one Tab stop; arrow keys move between their buttons (grid-keys.js).

import { h, replaceChildren, toast } from "./dom.js";
import { icon } from "./icons.js";
import { Board, isBlank } from "./canvas.js";
import { drawThumb } from "./thumbs.js";
import { t } from "./i18n.js";
import { avatarEl } from "./avatars.js";
import { gridKeys } from "./grid-keys.js";
import { drawingPng, fileWord, replayLength, replaySteps, saveBlob, timelapseGif } from "./export.js";

export { replaySteps } from "./export.js";

const THUMB_W = 240;
const THUMB_H = 180;
const grids = new WeakMap();

/** The album page's address for a game, relative to a page one folder deep (/r/, /a/). */
export const albumHref = (gameId) => `../a/${encodeURIComponent(gameId)}`;

/**
 * Fill `list` with one tile per turn of `game`. With `link`, a link to the album's own
 * page goes before the list (the results screen). Thumbnails are drawn one at a time
 * after the tiles show, the visible ones first. When `game` holds thinned drawings
 * (the album page's first read), `full()` gives the whole album, for replays and files.
 */
export function renderAlbum(list, game, { link = false, full = null } = {}) {
  const turns = game.turns ?? [];
  const whole = async (i) => (full ? (await full()).turns[i] : turns[i]);
  replaceChildren(list, turns.map((turn, i) => albumItem(turn, i, whole, game.avatars ?? {})));
  if (link) pageLink(list, game.game_id);
  if (!grids.has(list)) grids.set(list, gridKeys(list));
  grids.get(list).refresh();
  drawThumbs(list, turns);
}

function pageLink(list, gameId) {
  let a = list.parentElement?.querySelector(".album-open");
  if (!a) {
    a = h("a", { class: "btn btn-secondary btn-sm album-open", dataset: { testid: "album-open" } },
      icon("book", 16), h("span", { text: t("album.openPage") }));
    list.before(a);
  }
  a.href = albumHref(gameId);
}

/** A turn's state: its drawing can be shown, nothing was drawn, or its drawer hid it. */
export const turnState = (turn) => (turn.hidden ? "hidden" : isBlank(turn.ops ?? []) ? "blank" : "drawn");

function albumItem(turn, index, whole, kept) {
  const who = turn.drawer?.name ?? "?";
  const caption = h("div", { class: "album-caption" },
    h("strong", { class: "album-word", text: turn.word }),
    h("span", { class: "album-by muted small" }, avatarEl(turn.drawer?.id, who, { source: kept, cls: "avatar-sm" }),
      h("span", { text: t("album.by", { name: who }) })));
  const state = turnState(turn);
  if (state !== "drawn") {
    return h("li", { class: "album-item is-blank", dataset: { testid: "album-item", turn: String(index), blank: "", hidden: turn.hidden ? "" : undefined } },
      h("div", { class: "album-blank", text: state === "hidden" ? t("album.hidden") : t("album.nothing") }), caption);
  }
  const thumb = h("canvas", { class: "album-thumb", width: THUMB_W, height: THUMB_H, role: "img",
    "aria-label": t("album.drawingOf", { word: turn.word, name: who }) });
  const buttons = drawingButtons({
    title: turn.word, by: t("album.drawnBy", { name: who }), file: fileName(turn, index),
    whole: () => whole(index), thumb,
    labels: { replay: t("album.replayOf", { word: turn.word }), png: t("album.pngOf", { word: turn.word }),
      gif: t("album.gifOf", { word: turn.word }) },
  });
  return h("li", { class: "album-item", dataset: { testid: "album-item", turn: String(index) } },
    h("div", { class: "thumb-frame" }, thumb), caption, h("div", { class: "album-actions" }, buttons));
}

/**
 * A drawing's Replay, PNG and GIF buttons (a classic turn's, or a telephone book's
 * drawing page's). `whole()` gives the drawing with every point ({ops, duration_ms});
 * `title` and `by` head the replay; `file` names the files; `labels` are the buttons'
 * accessible names; a click on `thumb` replays too.
 */
export function drawingButtons({ title, by, file, whole, thumb = null, labels }) {
  const replay = h("button", { type: "button", class: "btn btn-secondary btn-sm", dataset: { testid: "album-replay" },
    "aria-label": labels.replay }, icon("play", 16), t("album.replay"));
  const play = () => busy(replay, async () => openReplay({ ...(await whole()), title, by }, replay));
  replay.addEventListener("click", play);
  thumb?.addEventListener("click", play);
  const png = h("button", { type: "button", class: "btn btn-ghost btn-sm", dataset: { testid: "album-download" },
    "aria-label": labels.png }, icon("download", 16), t("album.png"));
  png.addEventListener("click", () => busy(png, async () => saveBlob(await drawingPng((await whole()).ops), `${file}.png`)));
  const gif = h("button", { type: "button", class: "btn btn-ghost btn-sm", dataset: { testid: "album-gif" },
    "aria-label": labels.gif }, icon("film", 16), t("album.gif"));
  gif.addEventListener("click", () => busy(gif, async () => {
    const drawn = await whole();
    saveBlob(await timelapseGif(drawn.ops, drawn.duration_ms), `${file}.gif`);
  }));
  return [replay, png, gif];
}

const fileName = (turn, index) => `drawgame-${index + 1}-${fileWord(turn.word)}`;

/** Run an export behind a button: busy while it works, a toast if it fails. */
export async function busy(button, work) {
  if (button.getAttribute("aria-busy") === "true") return;
  button.setAttribute("aria-busy", "true");
  button.classList.add("is-busy");
  try {
    await work();
  } catch (err) {
    console.warn("export failed:", err);
    toast(t("album.exportFailed"), "warn");
  } finally {
    button.removeAttribute("aria-busy");
    button.classList.remove("is-busy");
  }
}

/** Draw the thumbnails one at a time, those on screen first, so the page never stalls. */
function drawThumbs(list, turns) {
  const pending = new Map();
  for (const li of list.querySelectorAll("li")) {
    const canvas = li.querySelector("canvas.album-thumb");
    if (canvas) pending.set(canvas, turns[Number(li.dataset.turn)].ops ?? []);
  }
  drawThumbnails(list, pending);
}

/**
 * Draw each canvas of `pending` (canvas → ops) one at a time, those on screen first;
 * `root.dataset.thumbs` is "drawn" once all are. A later call for the same root
 * takes over from an earlier one.
 */
export function drawThumbnails(root, pending) {
  const token = {};
  root.__thumbs = token;
  delete root.dataset.thumbs;
  const visible = new Set();
  const watch = typeof IntersectionObserver === "function" ? new IntersectionObserver((entries) => {
    for (const e of entries) if (e.isIntersecting) visible.add(e.target);
  }) : null;
  for (const canvas of pending.keys()) watch?.observe(canvas);
  const next = () => {
    if (root.__thumbs !== token) return watch?.disconnect();
    const first = [...pending.keys()].find((c) => visible.has(c)) ?? pending.keys().next().value;
    if (!first) {
      root.dataset.thumbs = "drawn";
      performance.mark("album-thumbs-drawn");
      return watch?.disconnect();
    }
    const ops = pending.get(first);
    pending.delete(first);
    watch?.unobserve(first);
    drawThumb(first, ops).then(() => {
      first.dataset.drawn = "";
      next();
    });
  };
  requestAnimationFrame(() => setTimeout(next, 0));
}

/** Save one turn's drawing at full size as a PNG file. */
export async function downloadPng(turn, index = 0) {
  saveBlob(await drawingPng(turn.ops), `${fileName(turn, index)}.png`);
}

// --- the replay ---------------------------------------------------------------------------

let active = null;

/** Replay a drawing ({ops, duration_ms, title, by}) in the modal; focus returns to `opener`. */
function openReplay(turn, opener) {
  closeReplay();
  const modal = document.getElementById("replay-modal");
  const canvas = h("canvas", { class: "replay-canvas", dataset: { testid: "replay-canvas" } });
  const bar = h("div", { class: "progress-bar" });
  const pause = h("button", { type: "button", class: "btn btn-secondary", dataset: { testid: "replay-pause" } });
  const stop = h("button", { type: "button", class: "btn btn-secondary", dataset: { testid: "replay-stop" } },
    icon("stop", 16), t("album.stop"));
  const again = h("button", { type: "button", class: "btn btn-secondary", dataset: { testid: "replay-again" } },
    icon("refresh", 16), t("album.replay"));
  const close = h("button", { type: "button", class: "btn btn-primary", dataset: { testid: "replay-close" } }, t("album.close"));
  replaceChildren(modal, h("div", { class: "modal-card" },
    h("h2", { id: "replay-title", class: "modal-title" }, h("span", { text: turn.title }),
      h("span", { class: "muted small", text: ` ${turn.by}` })),
    h("div", { class: "replay-frame" }, canvas),
    h("div", { class: "progress", "aria-hidden": "true" }, bar),
    h("p", { class: "muted small replay-keys", text: t("album.replayKeys") }),
    h("div", { class: "modal-actions" }, pause, stop, again, close)));
  modal.hidden = false;
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth || 640;
  canvas.width = Math.round(width * ratio);
  canvas.height = Math.round((width * 3 / 4) * ratio);
  const steps = replaySteps(turn.ops ?? []);
  active = { modal, opener, frame: 0, board: new Board(canvas), steps, ops: turn.ops ?? [], length: replayLength(turn.duration_ms),
    bar, pause, stop, done: 0, elapsed: 0, t0: 0, state: "playing" };
  pause.addEventListener("click", togglePause);
  stop.addEventListener("click", stopReplay);
  again.addEventListener("click", startReplay);
  close.addEventListener("click", closeReplay);
  modal.onclick = (e) => { if (e.target === modal) closeReplay(); };
  modal.addEventListener("keydown", onModalKey);
  startReplay();
  pause.focus();
}

function renderControls() {
  const { pause, stop, state, modal } = active;
  pause.replaceChildren(icon(state === "paused" ? "play" : "pause", 16), t(state === "paused" ? "album.resume" : "album.pause"));
  pause.disabled = state === "stopped";
  stop.disabled = state === "stopped";
  modal.dataset.replay = state;
  if (pause.disabled && document.activeElement === pause) modal.querySelector("[data-testid=replay-again]").focus();
}

function startReplay() {
  cancelAnimationFrame(active.frame);
  active.board.load([]);
  Object.assign(active, { done: 0, elapsed: 0, state: "playing" });
  run();
}

function run() {
  const a = active;
  a.t0 = performance.now() - a.elapsed;
  const frame = (now) => {
    if (active !== a || a.state !== "playing") return;
    a.elapsed = now - a.t0;
    const target = Math.min(a.steps.length, Math.ceil((a.elapsed / a.length) * a.steps.length));
    if (target > a.done) {
      a.board.applyAll(a.steps.slice(a.done, target));
      a.done = target;
    }
    a.bar.style.width = `${a.steps.length ? (a.done / a.steps.length) * 100 : 100}%`;
    if (a.done < a.steps.length) a.frame = requestAnimationFrame(frame);
    else {
      a.state = "stopped";
      renderControls();
    }
  };
  renderControls();
  a.frame = requestAnimationFrame(frame);
}

function togglePause() {
  if (!active || active.state === "stopped") return;
  if (active.state === "playing") {
    cancelAnimationFrame(active.frame);
    active.state = "paused";
    renderControls();
  } else {
    active.state = "playing";
    run();
  }
}

/** Stop the replay where it is and show the finished drawing. */
function stopReplay() {
  if (!active) return;
  cancelAnimationFrame(active.frame);
  active.board.load(active.ops);
  active.done = active.steps.length;
  active.bar.style.width = "100%";
  active.state = "stopped";
  renderControls();
}

function onModalKey(e) {
  if (e.key === "Escape") {
    e.preventDefault();
    closeReplay();
    return;
  }
  if ((e.key === "k" || e.key === "K" || (e.key === " " && e.target.tagName !== "BUTTON")) && !e.ctrlKey && !e.metaKey) {
    e.preventDefault();
    togglePause();
    return;
  }
  if (e.key !== "Tab") return;
  const focusable = [...e.currentTarget.querySelectorAll("button:not([disabled])")];
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
  delete active.modal.dataset.replay;
  active.opener?.focus();
  active = null;
}
