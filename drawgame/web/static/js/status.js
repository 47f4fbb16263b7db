// The visible connection status: the header pill and the notice over the canvas.

import { h, show, replaceChildren, secondsLeft } from "./dom.js";
import { CLOSE_CODE } from "./protocol.js";
import { NET } from "./net.js";
import { t } from "./i18n.js";

/** [data-state, text, detail] for a Connection status. */
export function statusText({ state, retryAt, latency, busy, closeCode, restarting }, joined) {
  if (state === NET.ONLINE) return ["online", t("conn.online"), latency === null ? "" : t("conn.latency", { ms: latency })];
  if (state === NET.CONNECTING) return ["connecting", joined ? t("conn.reconnecting") : t("conn.connecting"), ""];
  if (state === NET.STOPPED) return ["offline", t("conn.disconnected"), ""];
  const seconds = retryAt ? secondsLeft(retryAt - Date.now()) : 0;
  if (seconds === 0) return ["reconnecting", t("conn.reconnecting"), ""];
  if (restarting || closeCode === CLOSE_CODE.RESTART) return ["reconnecting", t("conn.restarting", { seconds }), ""];
  if (busy) return ["reconnecting", t("conn.busy", { seconds }), ""];
  return ["reconnecting", t("conn.offline", { seconds }), ""];
}

/** Fill the header pill; returns its main text. */
export function renderConnection(el, status, joined) {
  const [state, text, detail] = statusText(status, joined);
  el.dataset.state = state;
  replaceChildren(el, h("span", { class: "conn-text" }, text,
    detail ? h("span", { class: "conn-latency" }, " · ", h("bdi", { text: detail })) : null));
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
    button = h("button", { type: "button", class: "btn btn-sm btn-secondary", text: t("retry.veil"), on: { click: onRetry } });
    veil.replaceChildren(label, button);
  }
  label.textContent = text;
  show(button, canRetry);
}
