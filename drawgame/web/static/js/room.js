// The room page: joins over the WebSocket and renders the room from its messages.
// This is the shell every game mode shares (the connection, players, chat, host menus,
// settings, the lobby panel, the layouts, the shared canvas and its tools); each mode's
// screens live in modes/ and are called through the interface described in modes/index.js.

import { h, $, show, toast, copyText, secondsLeft, nextTask } from "./dom.js";
import { icon } from "./icons.js";
import * as api from "./api.js";
import * as store from "./store.js";
import * as sound from "./sound.js";
import { announce, announceChat } from "./announce.js";
import { C, S, PHASE, CLOSE_CODE, MAX_CHAT_LEN } from "./protocol.js";
import { Connection, NET } from "./net.js";
import { faces } from "./avatars.js";
import { faceButton } from "./avatar-editor.js";
import { showScreen, showRoomView, nameScreen, fatalScreen, waitingScreen } from "./screens.js";
import { renderConnection, renderVeil } from "./status.js";
import { t, use, detect, translatePage, languagePicker } from "./i18n.js";
import * as streamer from "./streamer.js";
import { here, url } from "./paths.js";

// --- state -------------------------------------------------------------------------

/** What every room has, whatever its mode; a mode keeps its own state in its module. */
const st = {
  code: "",
  summary: null,
  meId: null,
  name: store.getName(),
  spectate: store.getSpectate(),
  joined: false,
  room: {
    name: "", settings: {}, phase: PHASE.LOBBY, mode: null, round: 0, rounds: 0, step: null, steps: null,
    host_id: null, drawer_id: null, hint: null, word: null,
  },
  players: [],
  votes: new Map(),
  muted: new Set(),
  tvs: 0,
  gameId: null, // the last game's id (the gallery reads the room's albums again when it changes)
};

const me = () => st.players.find((p) => p.id === st.meId) ?? null;
const isHost = () => st.room.host_id === st.meId || Boolean(me()?.host);
const playerName = (id) => st.players.find((p) => p.id === id)?.name ?? t("players.someone");
const phase = () => st.room.phase;
const relaxed = () => Boolean(st.room.settings.relaxed);

let net = null;
let view = null; // room-view.js, once the page joins
let board = null;
let input = null;
let toolbar = null;
let players = null;
let chat = null;
let hud = null;
let settingsForm = null;
let modes = null;
let shownMode = null;

/** The mode the room plays now (the running game's, else the settings'). */
const mode = () => modes.of(st.room);

// --- start -------------------------------------------------------------------------

async function main() {
  await use(detect());
  translatePage();
  languagePicker($("#ui-language"));
  document.documentElement.classList.remove("is-loading");
  st.code = decodeURIComponent(here().split("/")[2] ?? "").trim();
  if (!st.code) return fatal("not_found");
  try {
    st.summary = await api.findRoom(st.code);
  } catch (err) {
    if (err.status === 404) return fatal("not_found");
  }
  if (st.summary?.code && st.summary.code !== st.code) {
    st.code = st.summary.code;
    window.history.replaceState(null, "", url(`/r/${encodeURIComponent(st.code)}`));
  }
  setTitle(st.summary?.name);
  // What the connection reports is taken once the room's view is made (in order).
  const viewed = (fn) => (...args) => (uiMade ? fn(...args) : roomUi().then(() => fn(...args)));
  net = new Connection(st.code, { hello, onMessage: viewed(dispatch), onStatus: viewed(renderStatus),
    onFatal: onFatalClose });
  if (store.getSeat(st.code)?.token) joinNow();
  else promptName();
}


function hello() {
  const seat = store.getSeat(st.code);
  return { type: C.HELLO, name: st.name || t("name.placeholder"), token: seat?.token ?? null, spectate: st.spectate,
    marker: store.getMarker(st.code), avatar: store.getAvatar() };
}

/** The tab's title; in streamer mode without the room code (default names hold part of it). */
function setTitle(name = st.room.name, note = "") {
  const base = `${streamer.hideIn(name || st.code, st.code)} · drawgame`;
  document.title = note ? `${note} · ${base}` : base;
}

/** Show a note in the tab title while the tab is in the background. */
function flagTitle(note) {
  if (!document.hidden) return;
  setTitle(st.room.name, note);
  document.addEventListener("visibilitychange", () => setTitle(), { once: true });
}

function joinNow() {
  showScreen(h("p", { class: "muted", role: "status", text: t("room.joining") }));
  roomUi();
  net.restart();
}

function send(msg) {
  if (net?.isReady() && net.send(msg)) return true;
  toast(t("room.notConnected"), "warn");
  return false;
}

// --- full-page screens ----------------------------------------------------------------

function showRoom() {
  showRoomView();
  resizeCanvas();
}

function promptName(error = "") {
  const playing = st.summary && st.summary.phase !== PHASE.LOBBY ? ` · ${t("name.inProgress")}` : "";
  nameScreen({
    title: streamer.hideIn(st.summary?.name || t("name.roomCode", { code: st.code }), st.code),
    subtitle: st.summary ? t("name.players", { players: st.summary.players, max: st.summary.max_players }) + playing : "",
    name: st.name, spectate: st.spectate, error,
    onSubmit: (name, spectate) => {
      Object.assign(st, { name, spectate });
      store.setName(name);
      store.setSpectate(spectate);
      joinNow();
    },
  });
}

function fatal(kind) {
  const retries = {
    replaced: { label: t("fatal.playHere"), run: joinNow },
    refused: { label: t("fatal.tryAgain"), run: joinNow },
    full: st.spectate
      ? { label: t("fatal.tryAgain"), run: () => window.location.reload() }
      : { label: t("fatal.watch"), run: () => { st.spectate = true; joinNow(); } },
  };
  fatalScreen(kind, retries[kind] ?? null);
}

function onFatalClose(code) {
  input?.discard();
  const kinds = {
    [CLOSE_CODE.NOT_FOUND]: "not_found", [CLOSE_CODE.FULL]: "full", [CLOSE_CODE.KICKED]: "kicked",
    [CLOSE_CODE.REPLACED]: "replaced", [CLOSE_CODE.POLICY]: "refused",
  };
  if (code === CLOSE_CODE.KICKED) store.setSeat(st.code, null);
  fatal(kinds[code] ?? "refused");
}

// --- room UI setup ---------------------------------------------------------------------

let uiMaking = null;
let uiMade = false;

/**
 * The room's view, made once, in pieces (nextTask), when the page joins: while the
 * connection opens, not while the page opens on its name prompt, where none of it
 * shows (and a phone has enough to do).
 */
function roomUi() {
  uiMaking ??= setupRoomUi().then(() => { uiMade = true; });
  return uiMaking;
}

async function setupRoomUi() {
  view = await import("./room-view.js");
  const canvas = $("#canvas");
  board = new view.Board(canvas);
  input = new view.DrawInput({
    canvas, board, cursor: $("#brush-cursor"),
    canDraw: () => mode().drawing() && net?.state !== NET.STOPPED,
    canSend: () => Boolean(net?.isReady()),
    send: (msg) => net.send(msg),
  });
  await nextTask();
  toolbar = view.buildToolbar($("#toolbar"), input);
  view.bindShortcuts(input, toolbar, () => mode().drawing());
  await nextTask();
  players = new view.PlayerList($("#player-list"), {
    kick: (id) => { if (window.confirm(t("players.kickConfirm", { name: playerName(id) }))) send({ type: C.KICK, player_id: id }); },
    voteKick: (id) => send({ type: C.VOTE_KICK, player_id: id }),
    transferHost: (id) => send({ type: C.TRANSFER_HOST, player_id: id }),
    mute: (id, muted) => send({ type: C.MUTE, player_id: id, muted }),
    hideAvatar: (id, hidden) => send({ type: C.HIDE_AVATAR, player_id: id, hidden }),
  });
  faceButton($("#lobby-panel .share"), { send: (avatar) => send({ type: C.AVATAR, avatar }) });
  chat = new view.ChatLog($("#chat-log"), $("#chat-lines"));
  hud = new view.Hud();
  hud.onSecond = (seconds) => mode().onSecond(seconds);
  await nextTask();
  settingsForm = view.buildSettingsFields($("#room-settings"), { idPrefix: "room", onField: sendSetting });
  api.getLanguages().then((langs) => settingsForm.setLanguages(langs, st.room.settings.language));
  await nextTask();
  modes = view.createModes({
    st, send, me, isHost, playerName, board, input, toolbar, hud, chat, flagTitle, renderStage, renderHud,
    renderPlayers, renderLayout, resizeCanvas, el: { stage: $(".stage"), top: $("#mode-top"), bottom: $("#mode-bottom") },
  });
  await nextTask();
  setupControls();
  new ResizeObserver(resizeCanvas).observe($("#canvas-wrap"));
  window.addEventListener("resize", resizeCanvas);
  sound.unlockOnGesture();
  setInterval(() => renderStatus(), 1000);
}

function setupControls() {
  $("#chat-form").addEventListener("submit", onChatSubmit);
  $("#chat-send").append(icon("send", 18));
  $("#start-game").addEventListener("click", () => send({ type: C.START }));
  $("#copy-link").addEventListener("click", copyShareLink);
  // A button, not a link: a link's address would show in the browser's status bar (streamers).
  $("#tv-link").addEventListener("click", () => window.open(url(`/r/${encodeURIComponent(st.code)}/tv`), "_blank", "noopener"));
  streamer.secret($("#room-code"), () => st.code, { onClick: copyShareLink });
  streamer.secret($("#share-link"), shareUrl);
  streamer.toggleButton($("#streamer-toggle"));
  streamer.watch(() => { renderHud(); setTitle(); });
  $("#controller-toggle").addEventListener("click", () => { store.setController(!store.getController()); renderLayout(); });
  window.matchMedia(PHONE).addEventListener("change", renderLayout);
  $("#leave-button").append(icon("leave"));
  $("#leave-button").addEventListener("click", leave);
  $("#mute-toggle").addEventListener("click", () => { sound.setMute(!sound.isMuted()); renderMute(); });
  $("#share-link").addEventListener("focus", (e) => { if (!streamer.isOn()) e.target.select(); });
  $("#settings-details > summary").addEventListener("click", () => { $("#settings-details").dataset.touched = "1"; });
  renderMute();
}

function resizeCanvas() {
  const wrap = $("#canvas-wrap");
  if (!board || !wrap.clientWidth) return;
  const ratio = window.devicePixelRatio || 1;
  board.setSize(wrap.clientWidth * ratio, wrap.clientHeight * ratio);
}

function shareUrl() {
  return `${window.location.origin}${url(`/r/${encodeURIComponent(st.code)}`)}`;
}

/** Screens where a phone may take the controller layout while a TV screen shows the game. */
const PHONE = "(max-width: 860px)";

/**
 * The controller layout: with a TV screen connected, a phone shows what its player does
 * (the mode says which variant: a guesser gets the hint, the guess box and reactions, a
 * drawer a full-screen canvas with the tools). The phone's owner can switch back; the
 * choice is remembered.
 */
function renderLayout() {
  const phone = window.matchMedia(PHONE).matches;
  const offered = st.tvs > 0 && phone && st.joined;
  const on = offered && store.getController() && !me()?.spectator;
  const button = $("#controller-toggle");
  show(button, offered);
  button.replaceChildren(icon("controller", 20));
  button.setAttribute("aria-pressed", String(on));
  button.setAttribute("aria-label", t("controller.label"));
  button.title = on ? t("controller.off") : t("controller.on");
  const body = document.body;
  const variant = on ? mode().layout() : null;
  body.classList.toggle("controller", on);
  for (const name of ["drawer", "guesser", "writer", "remote"]) body.classList.toggle(`controller-${name}`, variant === name);
  body.classList.toggle("relaxed", relaxed());
  body.classList.toggle("has-tv", st.tvs > 0);
  resizeCanvas();
}

async function copyShareLink() {
  const ok = await copyText(shareUrl(), streamer.isOn() ? null : $("#share-link"));
  toast(ok ? t("panel.linkCopied") : t("panel.selectLink"), ok ? "ok" : "warn", 2000);
  if (ok) $("#copy-link").textContent = t("panel.copied");
  setTimeout(() => { $("#copy-link").textContent = t("panel.copy"); }, 2000);
}

function leave() {
  if (!window.confirm(t("leave.confirm"))) return;
  net.send({ type: C.LEAVE });
  net.stop();
  store.setSeat(st.code, null);
  window.location.assign(url("/"));
}

function renderMute() {
  const muted = sound.isMuted();
  const button = $("#mute-toggle");
  button.replaceChildren(icon(muted ? "mute" : "volume"));
  button.setAttribute("aria-pressed", String(muted));
  button.setAttribute("aria-label", muted ? t("header.soundsOff") : t("header.soundsOn"));
  button.title = muted ? t("header.unmute") : t("header.mute");
}

// --- actions -----------------------------------------------------------------------

function onChatSubmit(e) {
  e.preventDefault();
  const box = $("#chat-input");
  const text = box.value.trim().slice(0, MAX_CHAT_LEN);
  if (!text) return;
  if (send({ type: C.CHAT, text })) box.value = "";
}

function sendSetting(name, value) {
  if (!isHost() || phase() !== PHASE.LOBBY) return;
  if (JSON.stringify(st.room.settings[name]) === JSON.stringify(value)) return;
  $("#settings-error").textContent = "";
  send({ type: C.SETTINGS, [name]: value });
}

// --- messages ----------------------------------------------------------------------

/** The shell's handlers; the current mode's `handlers` are asked first. */
const HANDLERS = {
  [S.WELCOME]: onWelcome,
  [S.PLAYERS]: onPlayers,
  [S.SETTINGS]: onSettings,
  [S.PHASE]: onPhase,
  [S.CHAT]: onChat,
  [S.KICK_VOTE]: onKickVote,
  [S.ERROR]: onError,
  [S.NOTICE]: onNotice,
  [S.SHUTDOWN]: onShutdown,
  [S.MUTED]: onMuted,
  [S.ROOM]: onRoom,
  [S.PONG]: () => {},
  [S.AVATAR]: (m) => faces.set(m.player_id, m.avatar),
};

function dispatch(msg) {
  if (!st.joined && msg.type !== S.WELCOME && msg.type !== S.ERROR) return;
  if (msg.type === S.GAME_OVER && msg.game_id) st.gameId = msg.game_id;
  const handler = (st.joined ? mode().handlers[msg.type] : null) ?? HANDLERS[msg.type];
  if (!handler) return;
  try {
    handler(msg);
  } catch (err) {
    console.error("failed to handle", msg.type, err);
  }
}

function onWelcome(m) {
  const first = !st.joined;
  st.meId = m.you.id;
  store.setSeat(st.code, { id: m.you.id, token: m.you.token });
  applySnapshot(m.room);
  mode().welcome(m.room);
  st.joined = true;
  showRoom();
  input.resume();
  chat.clear();
  const invite = phase() === PHASE.LOBBY ? ` ${t("chat.invite")}` : "";
  // The greeting heads the log; what was said before this page joined follows it.
  if (first) chat.system(t("chat.welcome", { name: me()?.name ?? st.name }) + invite);
  for (const line of m.room.chat ?? []) chat.chat(line, st.meId);
  if (!first) chat.system(t("chat.reconnected"));
  renderAll();
  announce(first ? t("say.joined", { room: streamer.hideIn(st.room.name, st.code) || t("say.theRoom") }) : t("say.reconnected"));
}

function applySnapshot(room) {
  Object.assign(st.room, {
    name: room.name ?? "", settings: room.settings ?? {}, phase: room.phase, mode: room.mode ?? null,
    round: room.round, rounds: room.rounds, step: room.step ?? null, steps: room.steps ?? null,
    host_id: room.host_id, drawer_id: room.drawer_id, hint: room.hint, word: room.word,
  });
  st.players = room.players ?? [];
  faces.load(room.avatars);
  st.tvs = room.tvs ?? 0;
  st.gameId = room.game_id ?? st.gameId;
  st.muted = new Set(room.muted ?? []);
  hud.setCountdown(room.ends_in_ms);
  settingsForm.write(st.room.settings, { keepFocused: false });
  setTitle();
}

function onPlayers(m) {
  const wasHost = isHost();
  st.players = m.players ?? [];
  faces.prune(st.players);
  const hadTv = st.tvs > 0;
  st.tvs = m.tvs ?? st.tvs;
  if (!hadTv && st.tvs > 0 && st.joined) toast(t("controller.tvJoined"), "ok");
  const host = st.players.find((p) => p.host);
  if (host) st.room.host_id = host.id;
  for (const id of st.votes.keys()) if (!st.players.some((p) => p.id === id)) st.votes.delete(id);
  renderPlayers();
  renderLobbyPanel();
  renderChatInput();
  renderLayout();
  mode().players?.();
  if (!wasHost && isHost() && st.joined) toast(t("panel.newHost"), "ok");
}

function onMuted(m) {
  st.muted = new Set(m.player_ids ?? []);
  renderPlayers();
}

function onRoom(m) {
  st.room.name = m.name ?? st.room.name;
  renderHud();
  setTitle();
}

function onSettings(m) {
  const before = mode();
  st.room.settings = { ...st.room.settings, ...(m.settings ?? {}) };
  settingsForm.write(st.room.settings);
  $("#settings-error").textContent = "";
  renderSettingsSummary(isHost());
  renderHud();
  renderPlayers();
  if (mode() !== before) renderAll();
  else renderLayout();
}

function onPhase(m) {
  const previous = phase();
  Object.assign(st.room, {
    phase: m.phase, mode: m.mode ?? st.room.mode, round: m.round, rounds: m.rounds, step: m.step ?? null,
    steps: m.steps ?? null, drawer_id: m.drawer_id, hint: m.hint ?? null,
  });
  hud.setCountdown(m.ends_in_ms);
  mode().phase(m, previous);
  renderAll();
}

function onChat(m) {
  chat.chat(m, st.meId);
  if (m.from && m.from !== st.meId && m.channel !== "system") {
    announceChat(t("say.chat", { name: m.name ?? t("players.someone"), text: m.text }), (count) => t("say.more", { count }));
  }
}

function onKickVote(m) {
  st.votes.set(m.target_id, { votes: m.votes, needed: m.needed });
  chat.system(t("chat.voteKick", { name: playerName(m.target_id), votes: m.votes, needed: m.needed }));
  renderPlayers();
}

function onNotice(m) {
  chat.notice(m.text);
  toast(m.text, "info", 5000);
  announce(m.text);
  if (/maintenance/i.test(m.text ?? "")) showBanner(m.text);
}

function onShutdown(m) {
  const seconds = secondsLeft(m.reconnect_in_ms ?? 0);
  chat.notice(t("chat.restarting", { seconds }));
  input.stroke = null;
}

// --- errors ----------------------------------------------------------------------------

/** Error codes the page words itself (`error.<code>`); others show the server's message. */
const ERROR_TEXT = new Set(["word_in_chat", "rate_limited", "not_host", "not_your_turn", "already_reacted",
  "already_voted", "canvas_full", "not_enough_players", "wrong_phase", "unknown_player", "filtered"]);

function onError(m) {
  if (!st.joined) return onJoinError(m);
  if (m.code === "invalid_settings" || m.ref === C.SETTINGS) {
    $("#settings-error").textContent = m.message ?? t("panel.refused");
    settingsForm.write(st.room.settings, { keepFocused: false });
    return;
  }
  if (mode().onError(m)) return;
  if (m.code === "word_in_chat") return void chat.system(t("error.word_in_chat"));
  if (m.code === "filtered") return void chat.system(t("error.filtered"));
  if (m.code === "bad_op" || m.ref === C.PING) return void console.warn("refused:", m);
  toast(ERROR_TEXT.has(m.code) ? t(`error.${m.code}`) : (m.message ?? t("error.refused")), "warn");
}

function onJoinError(m) {
  if (m.code === "bad_name" || m.code === "name_taken" || m.code === "filtered") {
    net.stop();
    const texts = { name_taken: t("name.taken"), filtered: t("name.filtered") };
    const text = texts[m.code] ?? (m.message || t("name.refused"));
    return promptName(text);
  }
  if (m.code === "bad_token") {
    store.setSeat(st.code, null);
    return st.name ? net.restart() : (net.stop(), promptName());
  }
  if (m.code === "room_full") {
    net.stop();
    return fatal("full");
  }
  if (m.code === "forbidden") {
    net.stop();
    store.setSeat(st.code, null);
    return fatal("kicked");
  }
  if (m.code === "maintenance") {
    net.retryLater();
    return;
  }
  toast(m.message ?? t("join.failed"), "warn");
  net.retryLater();
}

// --- rendering -------------------------------------------------------------------------

function renderAll() {
  renderHud();
  renderPlayers();
  renderStage();
  renderChatInput();
  renderStatus();
  renderLayout();
}

function renderHud() {
  $("#room-name").textContent = streamer.hideIn(st.room.name || "drawgame", st.code);
  mode().renderHud();
  if (phase() === PHASE.LOBBY) hud.setCountdown(null);
}

function renderPlayers() {
  players.render({ players: st.players, meId: st.meId, votes: st.votes, ranked: mode().ranked(),
    relaxed: relaxed(), muted: isHost() ? st.muted : new Set() });
  const seated = st.players.filter((p) => !p.spectator).length;
  $("#players-count").textContent = `${seated}/${st.room.settings.max_players ?? "?"}`;
}

/** The stage: the current mode draws its screen; the lobby panel shows when no mode covers it. */
function renderStage() {
  const current = mode();
  if (shownMode && shownMode !== current) shownMode.hide();
  shownMode = current;
  const p = phase();
  document.body.dataset.phase = p;
  document.body.dataset.mode = current.id;
  const covered = current.render();
  show($("#lobby-panel"), p === PHASE.LOBBY && !covered);
  if (p === PHASE.LOBBY) renderLobbyPanel();
  resizeCanvas();
}

function renderLobbyPanel() {
  if (!settingsForm) return;
  const host = isHost();
  const needed = mode().minPlayers;
  const ready = st.players.filter((p) => p.connected && !p.spectator).length;
  settingsForm.setDisabled(!host);
  $("#settings-owner").textContent = host ? t("panel.youHost") : t("panel.onlyHost");
  show($("#start-game"), host);
  renderSettingsSummary(host);
  $("#start-game").disabled = ready < needed;
  const hostName = st.players.find((p) => p.host)?.name ?? t("panel.theHost");
  let hint = t("panel.waitHost", { host: hostName });
  if (host && ready >= needed) hint = t("panel.ready", { count: ready });
  else if (host) hint = needed > 2 ? t("panel.needPlayers", { count: needed }) : t("panel.needMore");
  $("#lobby-hint").textContent = hint;
  view.renderGallery($("#lobby-panel"), { code: st.code, host, key: st.gameId ?? "" });
}

/** One line saying what the settings are; on phones guests see only it at first. */
function renderSettingsSummary(host) {
  const s = st.room.settings;
  const count = s.custom_words?.length ?? s.custom_words_count ?? 0;
  const custom = count ? ` · ${t("panel.summaryCustom", { count })}${s.custom_only ? ` ${t("panel.summaryOnly")}` : ""}` : "";
  const language = $("#room-language")?.selectedOptions[0]?.textContent.replace(/ \(.*\)$/, "") ?? s.language;
  const easy = s.relaxed ? ` · ${t("panel.summaryRelaxed")}` : "";
  $("#settings-summary").textContent = mode().summary(s, language) + custom + easy;
  const details = $("#settings-details");
  if (details.dataset.touched) return;
  details.open = host || !window.matchMedia("(max-width: 560px)").matches;
}

function renderChatInput() {
  const box = $("#chat-input");
  const hint = me()?.spectator ? null : mode().chatHint();
  box.placeholder = me()?.spectator ? t("chat.watching") : (hint?.text ?? t("chat.say"));
  document.body.classList.toggle("in-guessed-channel", Boolean(hint?.guessed));
}

// --- connection status --------------------------------------------------------------

let lastStatus = null;

function renderStatus(status = lastStatus) {
  if (!status) return;
  lastStatus = status;
  const text = renderConnection($("#connection-status"), status, st.joined);
  const drawingNote = st.joined && mode().drawing() ? ` ${t("conn.keepDrawing")}` : "";
  renderVeil($("#reconnect-veil"), {
    visible: st.joined && status.state !== NET.ONLINE && status.state !== NET.STOPPED,
    text: `${text}.${drawingNote}`, canRetry: status.state === NET.WAITING, onRetry: () => net.retrySoon(),
  });
  if (!st.joined && status.state === NET.WAITING) waitingScreen(text, status.busy, () => net.retrySoon());
}

function showBanner(text) {
  const banner = $("#banner");
  banner.textContent = text;
  show(banner, true);
}

main();
