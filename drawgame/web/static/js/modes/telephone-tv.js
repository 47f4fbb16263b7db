// The telephone game on the TV screen: while everyone works on their page, who is done
// and who the room is waiting for (the time left is the TV's timer); in the album, the
// show: each page as large as the screen allows, sentences in big type and drawings
// replayed stroke by stroke, with the book, the page and who made it.

import { h, $, show, replaceChildren, prefersReducedMotion } from "../dom.js";
import { icon } from "../icons.js";
import { PHASE, PAGE } from "../protocol.js";
import { Board } from "../canvas.js";
import { t } from "../i18n.js";
import { avatarEl } from "../avatars.js";
import { isEmptyPage, listNames, pageCaption, replay } from "./book.js";

const STEPS = new Set([PHASE.WRITING, PHASE.DRAWING, PHASE.DESCRIBING]);
const STEP_TITLES = {
  [PHASE.WRITING]: "tel.everyoneWrites", [PHASE.DRAWING]: "tel.everyoneDraws", [PHASE.DESCRIBING]: "tel.everyoneDescribes",
};
/** How long the TV takes to replay a drawing page (a show, not a time-lapse of the whole step). */
const SHOW_REPLAY_MS = 5000;

/**
 * The telephone screens inside the TV's stage. `st` is the TV page's state (room with
 * `phase`, `step`, `steps`; players), `nameOf(id)` a player's name.
 */
export function createTelephoneTv({ st, stage, nameOf }) {
  const tv = { progress: null, page: null, shownKey: "", stop: null };
  const kicker = h("p", { class: "tv-kicker" });
  const title = h("h2", { class: "tv-big" });
  const sub = h("p", { class: "tv-sub" });
  const list = h("ul", { class: "tv-progress", dataset: { testid: "tv-progress" } });
  const steps = h("div", { class: "tv-tel-step" }, kicker, title, sub, list);
  const where = h("p", { class: "tv-kicker tv-tel-where" });
  const sentence = h("p", { class: "tv-tel-sentence" });
  const canvas = h("canvas", { class: "tv-tel-canvas", role: "img" });
  const frame = h("div", { class: "tv-tel-drawing" }, canvas);
  const board = new Board(canvas, { checkpoints: false });
  const fit = h("div", { class: "tv-tel-fit" }, frame);
  new ResizeObserver(() => size()).observe(frame);
  const caption = h("span");
  const byline = h("p", { class: "tv-tel-caption" }, caption);
  const page = h("figure", { class: "tv-tel-page", dataset: { testid: "tv-album-page" } }, sentence, fit, byline);
  const album = h("div", { class: "tv-tel-album" }, where, page);
  const root = h("div", { class: "tv-telephone", dataset: { testid: "tv-telephone" }, hidden: true }, steps, album);
  stage.append(root);

  function size() {
    if (!frame.clientWidth) return;
    const ratio = window.devicePixelRatio || 1;
    board.setSize(frame.clientWidth * ratio, frame.clientHeight * ratio);
  }

  function welcome(room) {
    tv.progress = room.progress ? { step: room.step ?? null, ...room.progress } : null;
    tv.page = room.album_page ?? null;
    tv.shownKey = "";
  }

  function onProgress(m) {
    tv.progress = { step: m.step ?? null, done: m.done ?? [], waiting: m.waiting ?? [] };
    render(true);
  }

  function onAlbumPage(m) {
    const { type, ...rest } = m;
    tv.page = rest;
    render(true);
  }

  /** Show the telephone screens (`on`: the room plays telephone now) for the current phase. */
  function render(on) {
    const p = st.room.phase;
    const active = on && (STEPS.has(p) || p === PHASE.ALBUM);
    show(root, active);
    if (!active) {
      tv.stop?.();
      return;
    }
    show(steps, STEPS.has(p));
    show(album, p === PHASE.ALBUM);
    if (STEPS.has(p)) renderSteps();
    else renderAlbum();
  }

  function renderSteps() {
    kicker.textContent = t("tel.pageOf", { step: st.room.step ?? 1, steps: st.room.steps ?? "?" });
    title.textContent = t(STEP_TITLES[st.room.phase]);
    const prog = tv.progress && (tv.progress.step === null || tv.progress.step === st.room.step) ? tv.progress : null;
    const ids = prog ? [...prog.done, ...prog.waiting] : [];
    const done = new Set(prog?.done ?? []);
    const waiting = (prog?.waiting ?? []).map(nameOf);
    sub.textContent = !ids.length ? t("tel.starting")
      : `${t("tel.doneCount", { done: done.size, count: ids.length })} · ${waiting.length ? t("tel.waitingFor", { names: listNames(waiting) }) : t("tel.allDone")}`;
    replaceChildren(list, ids.map((id) => h("li", {
      class: `tv-chip tv-progress-chip${done.has(id) ? " is-done" : ""}`, dataset: { playerId: id, done: String(done.has(id)) },
    }, done.has(id) ? icon("check", 28) : icon("pen", 28), h("span", { text: nameOf(id) }),
    h("span", { class: "sr-only", text: `: ${done.has(id) ? t("tel.isDone") : t("tel.isWorking")}` }))));
  }

  function renderAlbum() {
    const current = tv.page;
    show(page, Boolean(current));
    if (!current) {
      where.textContent = t("album.loading");
      return;
    }
    where.textContent = `${t("books.bookOf", { name: current.owner?.name ?? "", number: current.book + 1 })} · ${t("tel.pageOfBook", {
      page: current.page + 1, pages: current.pages })}`;
    const entry = current.entry ?? {};
    caption.textContent = pageCaption(entry);
    byline.replaceChildren(avatarEl(entry.author?.id, entry.author?.name), caption);
    Object.assign(page.dataset, { book: String(current.book), page: String(current.page), kind: entry.kind ?? "" });
    const key = `${current.book}:${current.page}`;
    if (key === tv.shownKey) return;
    tv.shownKey = key;
    tv.stop?.();
    const text = entry.kind === PAGE.TEXT;
    show(sentence, text);
    show(fit, !text);
    if (text) {
      replaceChildren(sentence, isEmptyPage(entry) ? t("tel.noSentence") : h("q", { text: entry.text }));
      sentence.classList.toggle("is-empty", isEmptyPage(entry));
      return;
    }
    canvas.setAttribute("aria-label", pageCaption(entry));
    requestAnimationFrame(() => {
      size();
      // The show: each drawing appears stroke by stroke, as it was made (at once for reduced motion).
      if (prefersReducedMotion()) board.load(entry.ops ?? []);
      else tv.stop = replay(board, entry.ops ?? [], SHOW_REPLAY_MS, () => { tv.stop = null; });
    });
  }

  /** The top bar: the page being made, and what everyone is doing. */
  function hud() {
    const p = st.room.phase;
    $(".tv-round .tv-label").textContent = t("hud.page");
    $("#tv-round").textContent = STEPS.has(p) && st.room.step ? `${st.room.step}/${st.room.steps}` : `–/${st.room.steps ?? "–"}`;
    $("#tv-hint").textContent = "";
    $("#tv-hint").classList.remove("is-word");
    $("#tv-word-label").textContent = p === PHASE.ALBUM ? t("tel.albumLabel") : (STEPS.has(p) ? t(STEP_TITLES[p]) : t("hud.waiting"));
  }

  return { welcome, onProgress, onAlbumPage, render, hud };
}
