// Full-page states of the room page: the name prompt, errors, waiting for the server.

import { h, $, $$, show, replaceChildren, sendPending } from "./dom.js";
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
  const given = givenPrompt();
  const face = new AvatarEditor({ strokes: store.getAvatar(), onChange: (strokes) => store.setAvatar(strokes) });
  const submit = h("button", { type: "submit", class: "btn btn-primary btn-lg btn-block", dataset: { testid: "name-submit" }, text: t("name.play") });
  const form = given?.form ?? h("form", { class: "name-form", novalidate: true },
    h("label", { for: "name-input", class: "name-label", text: t("name.label") }),
    h("input", { id: "name-input", dataset: { testid: "name-input" }, maxlength: MAX_NAME_LEN,
      autocomplete: "nickname", required: true, value: name, "aria-describedby": "name-error", placeholder: t("name.placeholder") }),
    h("p", { id: "name-error", class: "field-error", role: "alert", text: error }),
    h("label", { class: "check", for: "spectate" },
      h("input", { type: "checkbox", id: "spectate", checked: spectate }), h("span", { text: t("name.watch") })),
    face.el, submit);
  // The server's form keeps the face editor's place (`data-face-slot`): the editor takes it.
  const slot = given ? $("[data-face-slot]", form) : null;
  if (slot) slot.replaceWith(face.el);
  else if (given) $("button[type=submit]", form).before(face.el);
  const nameInput = $("#name-input", form);
  const watch = $("#spectate", form);
  const errorBox = $("#name-error", form);
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const typed = nameInput.value.normalize("NFC").trim();
    const problem = nameProblem(typed);
    errorBox.textContent = problem ?? "";
    if (problem) nameInput.focus();
    else onSubmit(typed, watch.checked);
  });
  const heading = t("name.join", { room: title });
  if (given) {
    // The server's prompt, as the player may already be using it: what they typed stays.
    if (!nameInput.value) nameInput.value = name;
    if (watch.checked === watch.defaultChecked) watch.checked = spectate;
    nameInput.maxLength = MAX_NAME_LEN;
    errorBox.textContent = error;
    if (given.title.textContent !== heading) given.title.textContent = heading;
    if (given.subtitle.textContent !== subtitle) given.subtitle.textContent = subtitle;
    // Kept in place rather than put in again, which would take the focus from the field.
    const kept = [given.title, subtitle ? given.subtitle : null, form];
    for (const el of [...$("#screen-body").children]) if (!kept.includes(el)) el.remove();
    show($("#screen"), true);
    show($("#room"), false);
    if (!form.contains(document.activeElement)) nameInput.focus();
    sendPending(form);
  } else {
    showScreen(h("h1", { class: "screen-title", text: heading }), subtitle ? h("p", { class: "muted", text: subtitle }) : null, form);
    nameInput.focus();
  }
  if (error) nameInput.select();
}

/**
 * The name prompt the server wrote into the page (room.html), the first time only: its
 * title, subtitle and form, from then on the script's own. Null once taken, or when the
 * page has none (a room the server did not know).
 */
function givenPrompt() {
  const form = $("#screen-body > form.name-form[data-prerendered]");
  if (!form) return null;
  delete form.dataset.prerendered;
  form.removeAttribute("method");
  const [title, subtitle] = $$("#screen-body > .screen-prompt:not(form)");
  for (const el of [title, subtitle, form]) el.classList.remove("screen-prompt");
  document.documentElement.classList.remove("has-seat");
  return { form, title, subtitle };
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
