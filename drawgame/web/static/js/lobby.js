// The lobby page: create a room, list public rooms, join by code.

import { h, $, replaceChildren, show, sendPending } from "./dom.js";
import { icon } from "./icons.js";
import * as api from "./api.js";
import { buildSettingsFields } from "./settings-form.js";
import { t, use, detect, translatePage, languagePicker, language } from "./i18n.js";
import * as streamer from "./streamer.js";
import { url } from "./paths.js";

const ROOMS_REFRESH_MS = 4000;
const HEALTH_REFRESH_MS = 15000;
const PHASE_LABEL = {
  lobby: "lobby.phase.lobby", choosing: "lobby.phase.playing", drawing: "lobby.phase.playing",
  reveal: "lobby.phase.playing", results: "lobby.phase.results",
  writing: "lobby.phase.playing", describing: "lobby.phase.playing", album: "lobby.phase.results",
};
const phaseLabel = (phase) => (PHASE_LABEL[phase] ? t(PHASE_LABEL[phase]) : phase);

let settingsForm;
let lastRooms = [];

async function init() {
  await use(detect());
  translatePage();
  languagePicker($("#ui-language"));
  // The settings fields come written by the server, at their defaults, with the word
  // list of the page's language (as chosen here): taken as they are, and as the player
  // may have changed them already.
  settingsForm = buildSettingsFields($("#create-settings"), { idPrefix: "create" });
  const languages = await api.getLanguages();
  const spoken = languages.some((l) => l.code === language()) ? language() : "en";
  settingsForm.setLanguages(languages, settingsForm.inputs.language.value || spoken);
  $("#create-form").addEventListener("submit", onCreate);
  $("#join-form").addEventListener("submit", onJoin);
  $("#quick-play").addEventListener("click", onQuickPlay);
  streamer.toggleButton($("#streamer-toggle"));
  streamer.watch((on) => {
    $("#join-code").type = on ? "password" : "text";
    renderRooms(lastRooms);
  });
  refreshRooms();
  refreshHealth();
  setInterval(() => { if (!document.hidden) refreshRooms(); }, ROOMS_REFRESH_MS);
  setInterval(() => { if (!document.hidden) refreshHealth(); }, HEALTH_REFRESH_MS);
  document.addEventListener("visibilitychange", () => { if (!document.hidden) refreshRooms(); });
  document.documentElement.classList.remove("is-loading");
  for (const form of [$("#create-form"), $("#join-form")]) {
    delete form.dataset.prerendered;
    sendPending(form);
  }
}

// --- maintenance banner -------------------------------------------------------

async function refreshHealth() {
  try {
    const health = await api.getHealth();
    const notice = health.maintenance ? await api.getMaintenance().catch(() => ({})) : {};
    setMaintenance(Boolean(health.maintenance), notice.message);
    if (health.version) $("#version").textContent = `v${health.version}`;
  } catch {
    // Unreachable server: the room list says so.
  }
}

function setMaintenance(on, message) {
  const banner = $("#maintenance-banner");
  banner.textContent = message || t("lobby.maintenance");
  show(banner, on);
}

// --- create --------------------------------------------------------------------

async function onCreate(event) {
  event.preventDefault();
  const button = event.submitter ?? $("[data-testid=create-room]");
  $("#create-error").textContent = "";
  $("#room-name-error").textContent = "";
  const settings = settingsForm.read();
  if (!settings) return focusFirstInvalid();
  const payload = { private: $("#private-toggle").checked, settings };
  const name = $("#room-name").value.trim();
  if (name) payload.name = name;
  button.disabled = true;
  try {
    const answer = await api.createRoom(payload);
    window.location.assign(answer.url || url(`/r/${answer.code}`));
  } catch (err) {
    button.disabled = false;
    showCreateError(err);
  }
}

function showCreateError(err) {
  if (err.code === "maintenance" || err.status === 503) setMaintenance(true, err.message);
  const messages = {
    rate_limited: t("lobby.rateLimited"),
    maintenance: t("lobby.maintenanceCreate"),
  };
  const text = messages[err.code] ?? err.message;
  if (err.field === "name") $("#room-name-error").textContent = text;
  else if (err.field && settingsForm.inputs[err.field]) settingsForm.setError(err.field, text);
  else $("#create-error").textContent = text;
  focusFirstInvalid();
}

function focusFirstInvalid() {
  $("#create-form [aria-invalid]")?.focus();
}

// --- join ----------------------------------------------------------------------

/** A room code from whatever was typed: a bare code or a pasted link. */
function codeFrom(text) {
  const trimmed = text.trim();
  const match = trimmed.match(/\/r\/([^/?#\s]+)/);
  return match ? decodeURIComponent(match[1]) : trimmed.replace(/\s+/g, "");
}


async function onJoin(event) {
  event.preventDefault();
  const error = $("#join-error");
  const code = codeFrom($("#join-code").value);
  error.textContent = "";
  if (!code) {
    error.textContent = t("lobby.typeCode");
    return;
  }
  try {
    const room = await api.findRoom(code);
    goToRoom(room.code);
  } catch (err) {
    error.textContent = err.status === 404 ? t("lobby.noSuchRoom", { code: streamer.hideIn(code, code) }) : err.message;
  }
}

function goToRoom(code) {
  window.location.assign(url(`/r/${encodeURIComponent(code)}`));
}

function onQuickPlay() {
  const open = lastRooms.find((r) => r.players < r.max_players);
  if (open) goToRoom(open.code);
  else $("#room-name").focus();
}

// --- room list -----------------------------------------------------------------

async function refreshRooms() {
  const status = $("#rooms-status");
  try {
    const data = await api.listRooms();
    lastRooms = data.rooms ?? [];
    renderRooms(lastRooms);
    status.textContent = lastRooms.length ? "" : t("lobby.noRooms");
  } catch (err) {
    status.textContent = err.status === 0 ? t("lobby.retrying") : err.message;
  }
}

function renderRooms(rooms) {
  const list = $("#room-list");
  const focusedCode = document.activeElement?.closest?.("[data-code]")?.dataset.code;
  replaceChildren(list, rooms.map(roomItem));
  if (focusedCode) list.querySelector(`[data-code="${CSS.escape(focusedCode)}"] button`)?.focus();
}

function roomItem(room) {
  const full = room.players >= room.max_players;
  const playing = room.phase && room.phase !== "lobby";
  const round = playing && room.rounds ? ` · ${t("lobby.roundOf", { round: room.round, rounds: room.rounds })}` : "";
  const phase = phaseLabel(room.phase);
  // The button's name is its visible text, with hidden words that make it a sentence.
  const button = h("button", {
    type: "button", class: "room-item", disabled: full, on: { click: () => goToRoom(room.code) },
  },
  h("span", { class: "room-main" },
    h("span", { class: "room-name" }, h("span", { class: "sr-only", text: `${t("lobby.joinRoom")} ` }),
      streamer.hideIn(room.name || t("lobby.roomCode", { code: room.code }), room.code)),
    h("span", { class: "room-meta" },
      h("span", { class: `phase-pill phase-${room.phase}`, text: phase + round }),
      h("span", { class: "lang", text: (room.language || "en").toUpperCase() }))),
  h("span", { class: `room-count${full ? " is-full" : ""}` }, icon("users", 16),
    h("span", { class: "sr-only", text: `${t("lobby.players")} ` }),
    h("span", { text: `${room.players}/${room.max_players}` })));
  return h("li", { dataset: { testid: "room-list-item", code: room.code } }, button);
}

init();
