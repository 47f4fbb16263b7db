// Full-page states of the room page: the name prompt, errors, waiting for the server.

import { h, $, show, replaceChildren } from "./dom.js";
import { MAX_NAME_LEN } from "./protocol.js";
import { t } from "./i18n.js";
import { AvatarEditor } from "./avatar-editor.js";
import * as store from "./store.js";
import { url } from "./paths.js";

export function showScreen(...children) {
  replaceChildren($("#screen-body"), children);
  show($("#screen"), true);
  show($("#room"), false);
}

/** Hide the screen and show the room. */
export function showRoomView() {
  show($("#screen"), false);
  show($("#room"), true);
}

/** Why a name cannot be used, or null (the server has the last word). */
export function nameProblem(name) {
  if (!name) return t("name.empty");
  if ([...name].length > MAX_NAME_LEN) return t("name.tooLong", { max: MAX_NAME_LEN });
  if (/\p{Cc}/u.test(name)) return t("name.control");
  return null;
}

/**
 * Ask for a name, and offer to draw a face (kept in this browser as it is drawn, sent
 * with `hello`). `onSubmit(name, spectate)` gets a trimmed NFC name.
 * @param {{title: string, subtitle: string, name: string, spectate: boolean, error?: string, onSubmit: Function}} o
 */
export function nameScreen({ title, subtitle, name, spectate, error = "", onSubmit }) {
  const nameInput = h("input", { id: "name-input", dataset: { testid: "name-input" }, maxlength: MAX_NAME_LEN,
    autocomplete: "nickname", required: true, value: name, "aria-describedby": "name-error", placeholder: t("name.placeholder") });
  const watch = h("input", { type: "checkbox", id: "spectate", checked: spectate });
  const errorBox = h("p", { id: "name-error", class: "field-error", role: "alert", text: error });
  const face = new AvatarEditor({ strokes: store.getAvatar(), onChange: (strokes) => store.setAvatar(strokes) });
  const form = h("form", { class: "name-form", novalidate: true },
    h("label", { for: "name-input", class: "name-label", text: t("name.label") }),
    nameInput, errorBox,
    h("label", { class: "check", for: "spectate" }, watch, h("span", { text: t("name.watch") })),
    face.el,
    h("button", { type: "submit", class: "btn btn-primary btn-lg btn-block", dataset: { testid: "name-submit" }, text: t("name.play") }));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const typed = nameInput.value.normalize("NFC").trim();
    const problem = nameProblem(typed);
    errorBox.textContent = problem ?? "";
    if (problem) nameInput.focus();
    else onSubmit(typed, watch.checked);
  });
  showScreen(h("h1", { class: "screen-title", text: t("name.join", { room: title }) }),
    subtitle ? h("p", { class: "muted", text: subtitle }) : null, form);
  nameInput.focus();
  if (error) nameInput.select();
}

/** Error pages; each has its title `fatal.<kind>` and text `fatal.<kind>.text`. */
const FATAL = new Set(["not_found", "full", "kicked", "replaced", "refused"]);

/** An error page; `retry` (optional) adds a second button. */
export function fatalScreen(kind, retry = null) {
  const known = FATAL.has(kind) ? kind : "refused";
  const [title, text] = [t(`fatal.${known}`), t(`fatal.${known}.text`)];
  const actions = [h("a", { class: "btn btn-primary", href: url("/"), text: t("fatal.back") })];
  if (retry) {
    actions.push(h("button", { type: "button", class: "btn btn-secondary", text: retry.label, on: { click: retry.run } }));
  }
  document.title = `${title} · drawgame`;
  showScreen(h("h1", { class: "screen-title", dataset: { testid: "error-title" }, text: title }),
    h("p", { class: "screen-text", dataset: { testid: "error-message", error: kind }, text }),
    h("div", { class: "screen-actions" }, actions));
}

/** "Just a moment" while the first join waits for the server; updated in place. */
export function waitingScreen(text, busy, onRetry) {
  const live = $("#screen-body [data-waiting-status]");
  if (live && !$("#screen").hidden) {
    live.textContent = text;
    return;
  }
  const message = busy ? t("wait.busy") : t("wait.down");
  showScreen(h("h1", { class: "screen-title", text: t("wait.title") }),
    h("p", { class: "screen-text", text: message }),
    h("p", { class: "muted", role: "status", dataset: { waitingStatus: "" }, text }),
    h("div", { class: "screen-actions" },
      h("button", { type: "button", class: "btn btn-primary", text: t("wait.retry"), on: { click: onRetry } }),
      h("a", { class: "btn btn-secondary", href: url("/"), text: t("fatal.back") })));
}
