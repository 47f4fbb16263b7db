// Full-page states of the room page: the name prompt, errors, waiting for the server.

import { h, $, show, replaceChildren } from "./dom.js";
import { MAX_NAME_LEN } from "./protocol.js";

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
  if (!name) return "Please type a name.";
  if ([...name].length > MAX_NAME_LEN) return `At most ${MAX_NAME_LEN} characters.`;
  if (/\p{Cc}/u.test(name)) return "Names cannot hold control characters.";
  return null;
}

/**
 * Ask for a name. `onSubmit(name, spectate)` gets a trimmed NFC name.
 * @param {{title: string, subtitle: string, name: string, spectate: boolean, error?: string, onSubmit: Function}} o
 */
export function nameScreen({ title, subtitle, name, spectate, error = "", onSubmit }) {
  const nameInput = h("input", { id: "name-input", dataset: { testid: "name-input" }, maxlength: MAX_NAME_LEN,
    autocomplete: "nickname", required: true, value: name, "aria-describedby": "name-error", placeholder: "Your name" });
  const watch = h("input", { type: "checkbox", id: "spectate", checked: spectate });
  const errorBox = h("p", { id: "name-error", class: "field-error", role: "alert", text: error });
  const form = h("form", { class: "name-form", novalidate: true },
    h("label", { for: "name-input", class: "name-label", text: "Choose a name" }),
    nameInput, errorBox,
    h("label", { class: "check", for: "spectate" }, watch, h("span", { text: "Just watch (spectator)" })),
    h("button", { type: "submit", class: "btn btn-primary btn-lg btn-block", dataset: { testid: "name-submit" }, text: "Play!" }));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const typed = nameInput.value.normalize("NFC").trim();
    const problem = nameProblem(typed);
    errorBox.textContent = problem ?? "";
    if (problem) nameInput.focus();
    else onSubmit(typed, watch.checked);
  });
  showScreen(h("h1", { class: "screen-title" }, "Join ", h("span", { text: title })),
    subtitle ? h("p", { class: "muted", text: subtitle }) : null, form);
  nameInput.focus();
  if (error) nameInput.select();
}

const FATAL = {
  not_found: ["Room not found", "This room does not exist or has closed. Check the link, or start a new room."],
  full: ["This room is full", "Every seat is taken. Watch the game, try again in a little while, or start your own room."],
  kicked: ["You were removed from the room", "The host or a vote of the players removed you from this room."],
  replaced: ["Opened somewhere else", "You joined this room from another tab or device, so this page was disconnected."],
  refused: ["Connection refused", "The server refused the connection from this page."],
};

/** An error page; `retry` (optional) adds a second button. */
export function fatalScreen(kind, retry = null) {
  const [title, text] = FATAL[kind] ?? FATAL.refused;
  const actions = [h("a", { class: "btn btn-primary", href: "/", text: "Back to the lobby" })];
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
  const message = busy
    ? "The server is busy or in maintenance. This page joins by itself as soon as it can."
    : "Cannot reach the server. This page joins by itself as soon as it can.";
  showScreen(h("h1", { class: "screen-title", text: "Just a moment" }),
    h("p", { class: "screen-text", text: message }),
    h("p", { class: "muted", role: "status", dataset: { waitingStatus: "" }, text }),
    h("div", { class: "screen-actions" },
      h("button", { type: "button", class: "btn btn-primary", text: "Retry now", on: { click: onRetry } }),
      h("a", { class: "btn btn-secondary", href: "/", text: "Back to the lobby" })));
}
