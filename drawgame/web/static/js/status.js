// The visible connection status: the header pill and the notice over the canvas.

import { h, show, replaceChildren, secondsLeft } from "./dom.js";
import { CLOSE_CODE } from "./protocol.js";
import { NET } from "./net.js";

/** [data-state, text, detail] for a Connection status. */
export function statusText({ state, retryAt, latency, busy, closeCode, restarting }, joined) {
  if (state === NET.ONLINE) return ["online", "Online", latency === null ? "" : `${latency} ms`];
  if (state === NET.CONNECTING) return ["connecting", joined ? "Reconnecting…" : "Connecting…", ""];
  if (state === NET.STOPPED) return ["offline", "Disconnected", ""];
  const seconds = retryAt ? secondsLeft(retryAt - Date.now()) : 0;
  if (seconds === 0) return ["reconnecting", "Reconnecting…", ""];
  if (restarting || closeCode === CLOSE_CODE.RESTART) return ["reconnecting", `Server restarting · back in ${seconds} s`, ""];
  if (busy) return ["reconnecting", `Server busy · retrying in ${seconds} s`, ""];
  return ["reconnecting", `Offline · retrying in ${seconds} s`, ""];
}

/** Fill the header pill; returns its main text. */
export function renderConnection(el, status, joined) {
  const [state, text, detail] = statusText(status, joined);
  el.dataset.state = state;
  replaceChildren(el, h("span", { class: "conn-text" }, text,
    detail ? h("span", { class: "conn-latency", text: ` · ${detail}` }) : null));
  el.title = detail ? `${text} · ${detail}` : text;
  return text;
}

/** The notice over the canvas while a joined page is reconnecting (its button is kept, for focus). */
export function renderVeil(veil, { visible, text, canRetry, onRetry }) {
  show(veil, visible);
  if (!visible) return;
  let label = veil.querySelector(".veil-text");
  let button = veil.querySelector("button");
  if (!label) {
    label = h("span", { class: "veil-text" });
    button = h("button", { type: "button", class: "btn btn-sm btn-secondary", text: "Retry now", on: { click: onRetry } });
    veil.replaceChildren(label, button);
  }
  label.textContent = text;
  show(button, canRetry);
}
