// The top bar: round x/y, the countdown (from `ends_in_ms`, counted down
// locally), the hint with its letter count, and the word when it is known.

import { $, secondsLeft } from "./dom.js";
import { PHASE } from "./protocol.js";
import { t, textDirection } from "./i18n.js";

// Made on first use: making one loads the browser's break rules, which takes a phone
// tens of milliseconds that the page's start does not need to spend.
let segmenter = null;

/** What a reader sees as letters, in order: a revealed Arabic letter with its marks or a
 * Persian letter with its zero-width non-joiner is one, as the server's hint counts it. */
export const graphemes = (text) => Array.from(
  (segmenter ??= new Intl.Segmenter(undefined, { granularity: "grapheme" })).segment(String(text ?? "")), (s) => s.segment);

/** "__ ____" -> "2 4": letters per word (hyphens and spaces are not letters). */
export function letterCount(hint) {
  return String(hint ?? "").split(" ").filter(Boolean).map((w) => graphemes(w.replace(/-/g, "")).length).join(" ");
}

/** Give a word's or hint's element the language and direction the word is written in. */
export function setWordLanguage(el, text, lang) {
  if (lang) el.lang = lang;
  el.dir = textDirection(text, lang);
}

export class Hud {
  constructor() {
    this.el = {
      round: $("#round"), timer: $("#timer"), timerBox: $("#timer-box"), hint: $("#hint"),
      word: $("#word"), count: $("#hint-count"), label: $("#word-label"), roundLabel: $(".hud-round .hud-label"),
    };
    this.deadline = null;
    this.total = 1;
    this.onSecond = null;
    this.lastShown = null;
    setInterval(() => this.tick(), 200);
  }

  /** "2/3", or "–/3" before the game; `label` names what is counted (a round, a telephone page). */
  setRound(round, rounds, phase, label = null) {
    this.el.round.textContent = phase === PHASE.LOBBY || !round ? `–/${rounds ?? "–"}` : `${round}/${rounds}`;
    if (label && this.el.roundLabel) this.el.roundLabel.textContent = label;
  }

  /** No hint or word: the word box says only `text` (what the player is doing). */
  setLabel(text) {
    for (const el of [this.el.word, this.el.hint]) {
      el.textContent = "";
      el.hidden = true;
    }
    this.el.count.textContent = "";
    this.el.label.textContent = text;
  }

  /** Start counting down `ms` from now (null stops the timer). */
  setCountdown(ms) {
    const idle = ms === null || ms === undefined || !Number.isFinite(Number(ms));
    this.el.timerBox.classList.toggle("is-idle", idle);
    if (idle) {
      this.deadline = null;
      this.show(null);
      return;
    }
    this.total = Math.max(1, Number(ms));
    this.deadline = performance.now() + Number(ms);
    this.tick();
  }

  remaining() {
    return this.deadline === null ? null : Math.max(0, this.deadline - performance.now());
  }

  tick() {
    const left = this.remaining();
    if (left === null) return;
    this.show(secondsLeft(left));
    this.el.timerBox.style.setProperty("--p", String(left / this.total));
  }

  show(seconds) {
    if (seconds === this.lastShown) return;
    this.lastShown = seconds;
    this.el.timer.textContent = seconds === null ? "–" : String(seconds);
    this.el.timerBox.classList.toggle("is-urgent", seconds !== null && seconds <= 10 && seconds > 0);
    this.el.timerBox.setAttribute("aria-label", seconds === null ? t("hud.noTimer") : t("hud.seconds", { seconds }));
    if (seconds !== null) this.onSecond?.(seconds);
  }

  /** Show the word (drawer, guessed, reveal) or else the hint; `lang` is the room's word language. */
  setWord({ phase, hint, word, isDrawer, lang }) {
    const playing = phase === PHASE.CHOOSING || phase === PHASE.DRAWING || phase === PHASE.REVEAL;
    const showWord = Boolean(word) && (phase === PHASE.DRAWING || phase === PHASE.REVEAL);
    const showHint = !showWord && phase === PHASE.DRAWING && Boolean(hint);
    this.el.word.textContent = showWord ? word : "";
    this.el.word.hidden = !showWord;
    this.el.hint.textContent = showHint ? hint : "";
    this.el.hint.hidden = !showHint;
    setWordLanguage(this.el.hint, hint, lang);
    setWordLanguage(this.el.word, word, lang);
    this.el.count.textContent = showHint ? `(${letterCount(hint)})` : "";
    this.el.label.textContent = labelFor({ phase, showWord, showHint, isDrawer, playing });
  }
}

function labelFor({ phase, showWord, showHint, isDrawer, playing }) {
  if (showWord && phase === PHASE.REVEAL) return t("hud.wordWas");
  if (showWord && isDrawer) return t("hud.draw");
  if (showWord) return t("hud.guessed");
  if (showHint) return t("hud.guess");
  if (phase === PHASE.CHOOSING) return t("hud.choosing");
  if (phase === PHASE.RESULTS) return t("hud.gameOver");
  return playing ? "" : t("hud.waiting");
}
