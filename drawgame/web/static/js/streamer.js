// Streamer mode: a switch remembered in this browser that keeps the room code and link
// off the screen (each shows as dots; a click shows it for a few seconds, holding it
// shows it while held; copying still copies the real link) and never shows custom words.

import { h } from "./dom.js";
import { icon } from "./icons.js";
import { t } from "./i18n.js";
import * as store from "./store.js";

const DOT = "•";
const REVEAL_MS = 5000;
const HOLD_MS = 350;
const listeners = new Set();

export const isOn = () => store.getStreamer();

/** Dots in place of a code or link, about as long as it. */
export const dots = (text) => DOT.repeat(Math.min(12, Math.max(6, String(text ?? "").length)));

/** `text` with `secret` (a code) put out of sight when streamer mode is on. */
export function hideIn(text, secret) {
  if (!isOn() || !secret) return text;
  let out = String(text ?? "");
  for (const part of [secret, secret.slice(0, 4)]) out = out.split(part).join(dots(part));
  return out;
}

/** Run `fn(on)` now and whenever the mode changes. */
export function watch(fn) {
  listeners.add(fn);
  fn(isOn());
}

export function set(on) {
  store.setStreamer(on);
  apply();
}

function apply() {
  const on = isOn();
  document.documentElement.classList.toggle("streamer", on);
  for (const fn of listeners) fn(on);
}

/** The streamer-mode switch: an icon button that says what it does and whether it is on. */
export function toggleButton(button) {
  const render = (on) => {
    button.replaceChildren(icon("eye", 18), h("span", { class: "btn-label", text: t("streamer.short") }));
    button.setAttribute("aria-pressed", String(on));
    button.title = on ? t("streamer.off") : t("streamer.on");
    button.setAttribute("aria-label", t("streamer.label"));
  };
  button.dataset.testid = button.dataset.testid || "streamer-toggle";
  button.addEventListener("click", () => set(!isOn()));
  watch(render);
}

/**
 * Show `value` (a room code or link) in `el`, or dots in streamer mode; clicking or
 * holding `el` reveals it. `value` may be a function, read at each render.
 */
export function secret(el, value, { onClick = null } = {}) {
  const read = () => (typeof value === "function" ? value() : value);
  let shown = false;
  let timer = null;
  let hold = null;
  let held = false;
  const render = () => {
    const text = read();
    const hidden = isOn() && !shown;
    const out = hidden ? dots(text) : text;
    if ("value" in el && el.tagName === "INPUT") el.value = out;
    else el.textContent = out;
    el.dataset.hidden = String(hidden);
    el.classList.toggle("is-secret", isOn());
    if (isOn()) el.setAttribute("aria-label", hidden ? t("streamer.hidden") : t("streamer.shown", { value: text }));
    else if (el.dataset.label) el.setAttribute("aria-label", el.dataset.label);
    else el.removeAttribute("aria-label");
  };
  const reveal = (on) => {
    shown = on;
    clearTimeout(timer);
    if (on) timer = setTimeout(() => reveal(false), REVEAL_MS);
    render();
  };
  el.addEventListener("pointerdown", () => {
    if (!isOn()) return;
    held = false;
    hold = setTimeout(() => { held = true; reveal(true); }, HOLD_MS);
  });
  const release = () => {
    clearTimeout(hold);
    if (held) reveal(false);
  };
  el.addEventListener("pointerup", release);
  el.addEventListener("pointerleave", release);
  el.addEventListener("click", (e) => {
    if (!isOn()) return onClick?.(e);
    if (held) {
      held = false;
      return undefined;
    }
    reveal(!shown);
    return undefined;
  });
  watch(() => { shown = false; render(); });
  return { render };
}

apply();
