// The room page: joins over the WebSocket and renders the game from its messages.

import { h, $, show, toast, copyText, replaceChildren, secondsLeft } from "./dom.js";
import { icon } from "./icons.js";
import * as api from "./api.js";
import * as store from "./store.js";
import * as sound from "./sound.js";
import { announce, announceChat } from "./announce.js";
import { C, S, PHASE, CLOSE_CODE, MAX_CHAT_LEN } from "./protocol.js";
import { Connection, NET } from "./net.js";
import { Board } from "./canvas.js";
import { DrawInput } from "./draw-input.js";
import { buildToolbar, bindShortcuts } from "./toolbar.js";
import { PlayerList } from "./players.js";
import { faces } from "./avatars.js";
import { faceButton } from "./avatar-editor.js";
import { ChatLog } from "./chat.js";
import { Hud, graphemes } from "./hud.js";
import { buildSettingsFields } from "./settings-form.js";
import { choosingOverlay, revealOverlay, renderRanking, rankingFromPlayers } from "./panels.js";
import { renderAlbum, closeReplay } from "./album.js";
import { renderGallery } from "./gallery.js";
import { showScreen, showRoomView, nameScreen, fatalScreen, waitingScreen } from "./screens.js";
import { renderConnection, renderVeil } from "./status.js";
import { t, use, detect, translatePage, languagePicker } from "./i18n.js";
import * as streamer from "./streamer.js";

// --- state -------------------------------------------------------------------------

const st = {
  code: "",
  summary: null,
  meId: null,
  name: store.getName(),
  spectate: store.getSpectate(),
  joined: false,
  room: { name: "", settings: {}, phase: PHASE.LOBBY, round: 0, rounds: 0, host_id: null, drawer_id: null, hint: null, word: null },
  players: [],
  choices: null,
  reveal: null,
  results: null,
  showResults: false,
  album: { status: "idle", game: null },
  reactions: { likes: 0, dislikes: 0, mine: null },
  votes: new Map(),
  muted: new Set(),
  tvs: 0,
  overlayKey: "",
  startPending: false,
};

const me = () => st.players.find((p) => p.id === st.meId) ?? null;
const isHost = () => st.room.host_id === st.meId || Boolean(me()?.host);
const isDrawer = () => st.meId !== null && st.room.drawer_id === st.meId;
const playerName = (id) => st.players.find((p) => p.id === id)?.name ?? t("players.someone");
const phase = () => st.room.phase;
const relaxed = () => Boolean(st.room.settings.relaxed);
const roundsTotal = () => (phase() === PHASE.LOBBY ? st.room.settings.rounds : st.room.rounds || st.room.settings.rounds);

let net = null;
let board = null;
let input = null;
let toolbar = null;
let players = null;
let chat = null;
let hud = null;
let settingsForm = null;

// --- start -------------------------------------------------------------------------

async function main() {
  await use(detect());
  translatePage();
  languagePicker($("#ui-language"));
  document.documentElement.classList.remove("is-loading");
  st.code = decodeURIComponent(window.location.pathname.split("/")[2] ?? "").trim();
  if (!st.code) return fatal("not_found");
  try {
    st.summary = await api.findRoom(st.code);
  } catch (err) {
    if (err.status === 404) return fatal("not_found");
  }
  if (st.summary?.code && st.summary.code !== st.code) {
    st.code = st.summary.code;
    window.history.replaceState(null, "", `/r/${encodeURIComponent(st.code)}`);
  }
  setTitle(st.summary?.name);
  setupRoomUi();
  net = new Connection(st.code, { hello, onMessage: dispatch, onStatus: renderStatus, onFatal: onFatalClose });
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

function joinNow() {
  showScreen(h("p", { class: "muted", role: "status", text: t("room.joining") }));
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

function setupRoomUi() {
  const canvas = $("#canvas");
  board = new Board(canvas);
  input = new DrawInput({
    canvas, board, cursor: $("#brush-cursor"),
    canDraw: () => isDrawer() && phase() === PHASE.DRAWING && net?.state !== NET.STOPPED,
    canSend: () => Boolean(net?.isReady()),
    send: (msg) => net.send(msg),
  });
  toolbar = buildToolbar($("#toolbar"), input);
  bindShortcuts(input, toolbar, () => isDrawer() && phase() === PHASE.DRAWING);
  players = new PlayerList($("#player-list"), {
    kick: (id) => { if (window.confirm(t("players.kickConfirm", { name: playerName(id) }))) send({ type: C.KICK, player_id: id }); },
    voteKick: (id) => send({ type: C.VOTE_KICK, player_id: id }),
    transferHost: (id) => send({ type: C.TRANSFER_HOST, player_id: id }),
    mute: (id, muted) => send({ type: C.MUTE, player_id: id, muted }),
    hideAvatar: (id, hidden) => send({ type: C.HIDE_AVATAR, player_id: id, hidden }),
  });
  faceButton($("#lobby-panel .share"), { send: (avatar) => send({ type: C.AVATAR, avatar }) });
  chat = new ChatLog($("#chat-log"), $("#chat-lines"));
  hud = new Hud();
  hud.onSecond = updateOverlayCountdown;
  settingsForm = buildSettingsFields($("#room-settings"), { idPrefix: "room", onField: sendSetting });
  api.getLanguages().then((langs) => settingsForm.setLanguages(langs, st.room.settings.language));
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
  $("#play-again").addEventListener("click", playAgain);
  $("#results-close").addEventListener("click", () => { st.showResults = false; closeReplay(); renderStage(); });
  $("#copy-link").addEventListener("click", copyShareLink);
  // A button, not a link: a link's address would show in the browser's status bar (streamers).
  $("#tv-link").addEventListener("click", () => window.open(`/r/${encodeURIComponent(st.code)}/tv`, "_blank", "noopener"));
  streamer.secret($("#room-code"), () => st.code, { onClick: copyShareLink });
  streamer.secret($("#share-link"), shareUrl);
  streamer.toggleButton($("#streamer-toggle"));
  streamer.watch(() => { renderHud(); setTitle(); });
  $("#controller-toggle").addEventListener("click", () => { store.setController(!store.getController()); renderLayout(); });
  window.matchMedia(PHONE).addEventListener("change", renderLayout);
  $("#leave-button").append(icon("leave"));
  $("#leave-button").addEventListener("click", leave);
  $("#react-like").addEventListener("click", () => react("like"));
  $("#react-dislike").addEventListener("click", () => react("dislike"));
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
  return `${window.location.origin}/r/${encodeURIComponent(st.code)}`;
}

/** Screens where a phone may take the controller layout while a TV screen shows the game. */
const PHONE = "(max-width: 860px)";

/**
 * The controller layout: with a TV screen connected, a phone shows a guesser the hint,
 * the guess box and reactions (the canvas is on the TV) and the drawer a full-screen
 * canvas with the tools. The phone's owner can switch back; the choice is remembered.
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
  body.classList.toggle("controller", on);
  body.classList.toggle("controller-drawer", on && isDrawer());
  body.classList.toggle("controller-guesser", on && !isDrawer());
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
  window.location.assign("/");
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

function react(value) {
  if (st.reactions.mine || !send({ type: C.REACT, value })) return;
  st.reactions.mine = value;
  renderReactions();
}

/** Start a new game; during `results` the start waits for the room to reach the lobby. */
function playAgain() {
  if (phase() === PHASE.LOBBY) {
    send({ type: C.START });
    return;
  }
  st.startPending = true;
  renderResults();
}

function choose(index) {
  send({ type: C.CHOOSE, index });
}

// --- messages ----------------------------------------------------------------------

const HANDLERS = {
  [S.WELCOME]: onWelcome,
  [S.PLAYERS]: onPlayers,
  [S.SETTINGS]: onSettings,
  [S.PHASE]: onPhase,
  [S.CHOICES]: onChoices,
  [S.WORD]: onWord,
  [S.HINT]: onHint,
  [S.DRAW]: onDraw,
  [S.CHAT]: onChat,
  [S.CORRECT]: onCorrect,
  [S.CLOSE]: onClose,
  [S.REACTION]: onReaction,
  [S.TURN_END]: onTurnEnd,
  [S.GAME_OVER]: onGameOver,
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
  const handler = HANDLERS[msg.type];
  if (!handler) return;
  if (!st.joined && msg.type !== S.WELCOME && msg.type !== S.ERROR) return;
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
  st.joined = true;
  showRoom();
  board.load(m.room.ops ?? []);
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
    name: room.name ?? "", settings: room.settings ?? {}, phase: room.phase, round: room.round,
    rounds: room.rounds, host_id: room.host_id, drawer_id: room.drawer_id, hint: room.hint, word: room.word,
  });
  st.players = room.players ?? [];
  faces.load(room.avatars);
  st.tvs = room.tvs ?? 0;
  st.muted = new Set(room.muted ?? []);
  if (room.phase !== PHASE.CHOOSING) st.choices = null;
  if (room.phase === PHASE.RESULTS && !st.results) {
    st.results = { game_id: room.game_id ?? null, ranking: rankingFromPlayers(st.players) };
    st.showResults = true;
    if (room.game_id) loadAlbum(room.game_id);
  }
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
  st.room.settings = { ...st.room.settings, ...(m.settings ?? {}) };
  settingsForm.write(st.room.settings);
  $("#settings-error").textContent = "";
  renderSettingsSummary(isHost());
  hud.setRound(st.room.round, roundsTotal(), phase());
  renderPlayers();
  renderLayout();
}

function onPhase(m) {
  const previous = phase();
  Object.assign(st.room, {
    phase: m.phase, round: m.round, rounds: m.rounds, drawer_id: m.drawer_id, hint: m.hint ?? null,
  });
  hud.setCountdown(m.ends_in_ms);
  if (m.phase !== PHASE.CHOOSING) st.choices = null;
  if (m.phase === PHASE.CHOOSING) startTurn(previous);
  if (m.phase === PHASE.DRAWING) startDrawing();
  if (m.phase === PHASE.LOBBY || m.phase === PHASE.RESULTS) st.room.word = null;
  if (m.phase === PHASE.LOBBY && st.startPending && isHost()) send({ type: C.START });
  if (m.phase !== PHASE.RESULTS) st.startPending = false;
  renderAll();
}

function startTurn(previous) {
  if (previous === PHASE.LOBBY || previous === PHASE.RESULTS) {
    st.showResults = false;
    st.results = null;
    st.votes.clear();
    closeReplay();
  }
  st.room.word = null;
  st.reveal = null;
  st.reactions = { likes: 0, dislikes: 0, mine: null };
  input.discard();
  board.load([]);
  const drawer = playerName(st.room.drawer_id);
  if (isDrawer()) {
    sound.play("yourTurn");
    flagTitle(t("say.yourTurnTitle"));
    announce(t("say.yourChoice", { round: st.room.round }));
  } else {
    announce(t("say.choosing", { round: st.room.round, name: drawer }));
  }
}

function startDrawing() {
  st.reveal = null;
  st.warned = false;
  input.resume();
  focusGuessInput();
  // The drawer hears the word when the `word` message brings it (onWord).
  if (isDrawer() && st.room.word) announce(t("say.draw", { word: st.room.word }));
  else if (!isDrawer()) announce(t("say.drawing", { name: playerName(st.room.drawer_id), letters: describeHint(st.room.hint) }));
}

/** Put the caret in the guess box on desktops when nothing else has focus. */
function focusGuessInput() {
  const busy = document.activeElement && document.activeElement !== document.body;
  if (isDrawer() || busy || !window.matchMedia("(pointer: fine)").matches) return;
  $("#chat-input").focus({ preventScroll: true });
}

/** Show a note in the tab title while the tab is in the background. */
function flagTitle(note) {
  if (!document.hidden) return;
  setTitle(st.room.name, note);
  document.addEventListener("visibilitychange", () => setTitle(), { once: true });
}

function describeHint(hint) {
  const words = String(hint ?? "").split(" ").filter(Boolean);
  const letters = words.map((w) => graphemes(w.replace(/-/g, "")).length);
  return words.length > 1
    ? t("say.wordsOf", { words: words.length, letters: letters.join(", ") })
    : t("say.letters", { count: letters[0] ?? 0 });
}

function onChoices(m) {
  st.choices = { words: m.words ?? [], difficulties: m.difficulties ?? [] };
  if (m.ends_in_ms !== undefined) hud.setCountdown(m.ends_in_ms);
  renderStage();
}

function onWord(m) {
  const known = st.room.word === m.word;
  st.room.word = m.word;
  if (!known && isDrawer() && phase() === PHASE.DRAWING) announce(t("say.yourWord", { word: m.word }));
  renderHud();
  renderStage();
}

function onHint(m) {
  const before = st.room.hint;
  st.room.hint = m.hint;
  const news = revealedLetters(before, m.hint);
  if (news.length && !isDrawer() && !st.room.word) {
    announce(t("say.hint", { letters: news.join(", "), spelled: spellHint(m.hint) }));
  }
  renderHud();
}

/** Letters shown in `after` that were blanks in `before`. */
function revealedLetters(before, after) {
  const old = graphemes(before);
  return graphemes(after).filter((ch, i) => ch !== "_" && ch !== " " && old[i] === "_");
}

/** The hint as it would be spelled out: "_ a _ _" reads as "blank, a, blank, blank". */
function spellHint(hint) {
  const words = String(hint ?? "").split(" ").filter(Boolean);
  const blank = t("say.blank");
  return words.map((w) => graphemes(w).map((ch) => (ch === "_" ? blank : ch)).join(", ")).join(`; ${t("say.nextWord")} `) + ".";
}

function onChat(m) {
  chat.chat(m, st.meId);
  if (m.from && m.from !== st.meId && m.channel !== "system") {
    announceChat(t("say.chat", { name: m.name ?? t("players.someone"), text: m.text }), (count) => t("say.more", { count }));
  }
}

function onDraw(m) {
  if (m.from === st.meId) return;
  board.applyAll(m.ops ?? []);
}

function onCorrect(m) {
  const mine = m.player_id === st.meId;
  chat.correct(playerName(m.player_id), relaxed() ? null : m.points, mine);
  sound.play(mine ? "correctMine" : "correct");
  const yours = relaxed() ? t("say.youGuessedRelaxed") : t("say.youGuessed", { points: m.points });
  announce(mine ? yours : t("say.theyGuessed", { name: playerName(m.player_id) }));
}

function onClose(m) {
  const line = t("chat.close", { text: String(m.text ?? "") });
  chat.close(line);
  announce(line);
}

function onReaction(m) {
  st.reactions.likes = m.likes ?? 0;
  st.reactions.dislikes = m.dislikes ?? 0;
  renderReactions();
}

function onTurnEnd(m) {
  st.reveal = { word: m.word, reason: m.reason, points: m.points ?? {} };
  st.room.word = m.word;
  input.discard();
  sound.play("turnEnd");
  chat.system(t("chat.wordWas", { word: m.word }));
  announce(t("say.turnOver", { word: m.word }));
  renderHud();
  renderStage();
}

function onGameOver(m) {
  st.results = { game_id: m.game_id, ranking: m.ranking ?? [] };
  st.showResults = true;
  st.reveal = null;
  const winner = [...st.results.ranking].sort((a, b) => a.rank - b.rank)[0];
  sound.play("gameOver");
  if (relaxed()) announce(t("say.gameOverRelaxed"));
  else if (winner) announce(t("say.winner", { name: winner.name, points: winner.score }));
  renderStage();
  if (m.game_id) loadAlbum(m.game_id);
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
  if (m.code === "word_in_chat") return void chat.system(t("error.word_in_chat"));
  if (m.code === "filtered") return void chat.system(t("error.filtered"));
  if (m.code === "bad_op" || m.ref === C.PING) return void console.warn("refused:", m);
  if (m.ref === C.CHOOSE) {
    st.overlayKey = ""; // give the word buttons back
    renderOverlay();
  }
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

// --- album ----------------------------------------------------------------------------

async function loadAlbum(gameId) {
  st.album = { status: "loading", game: null };
  renderAlbumState();
  for (let attempt = 0; attempt < 6; attempt++) {
    try {
      const game = await api.getGame(gameId);
      if (st.results?.game_id !== gameId) return;
      st.album = { status: "ready", game };
      renderAlbumState();
      return;
    } catch (err) {
      if (err.status !== 404 && err.status !== 0 && err.status < 500) break;
      await new Promise((r) => setTimeout(r, 800 * (attempt + 1)));
    }
  }
  st.album = { status: "error", game: null };
  renderAlbumState();
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
  hud.setRound(st.room.round, roundsTotal(), phase());
  hud.setWord({ phase: phase(), hint: st.room.hint, word: st.room.word, isDrawer: isDrawer(), lang: st.room.settings.language });
  if (phase() === PHASE.LOBBY) hud.setCountdown(null);
}

function renderPlayers() {
  players.render({ players: st.players, meId: st.meId, votes: st.votes, ranked: phase() !== PHASE.LOBBY,
    relaxed: relaxed(), muted: isHost() ? st.muted : new Set() });
  const seated = st.players.filter((p) => !p.spectator).length;
  $("#players-count").textContent = `${seated}/${st.room.settings.max_players ?? "?"}`;
}

function renderStage() {
  const p = phase();
  const results = st.showResults && st.results && (p === PHASE.RESULTS || p === PHASE.LOBBY);
  show($("#results-panel"), Boolean(results));
  show($("#lobby-panel"), p === PHASE.LOBBY && !results);
  show($("#play-area"), !results && p !== PHASE.LOBBY);
  document.body.dataset.phase = p;
  if (results) renderResults();
  if (p === PHASE.LOBBY) renderLobbyPanel();
  renderOverlay();
  renderUnderCanvas();
  updateOverlayCountdown(secondsLeft(hud.remaining() ?? 0));
  resizeCanvas();
}

function renderLobbyPanel() {
  if (!settingsForm) return;
  const host = isHost();
  const ready = st.players.filter((p) => p.connected && !p.spectator).length;
  settingsForm.setDisabled(!host);
  $("#settings-owner").textContent = host ? t("panel.youHost") : t("panel.onlyHost");
  show($("#start-game"), host);
  renderSettingsSummary(host);
  $("#start-game").disabled = ready < 2;
  const hostName = st.players.find((p) => p.host)?.name ?? t("panel.theHost");
  $("#lobby-hint").textContent = host
    ? (ready < 2 ? t("panel.needMore") : t("panel.ready", { count: ready }))
    : t("panel.waitHost", { host: hostName });
  renderGallery($("#lobby-panel"), { code: st.code, host, key: st.results?.game_id ?? "" });
}

/** One line saying what the settings are; on phones guests see only it at first. */
function renderSettingsSummary(host) {
  const s = st.room.settings;
  const count = s.custom_words?.length ?? s.custom_words_count ?? 0;
  const custom = count ? ` · ${t("panel.summaryCustom", { count })}${s.custom_only ? ` ${t("panel.summaryOnly")}` : ""}` : "";
  const language = $("#room-language")?.selectedOptions[0]?.textContent.replace(/ \(.*\)$/, "") ?? s.language;
  const mode = s.relaxed ? ` · ${t("panel.summaryRelaxed")}` : "";
  $("#settings-summary").textContent =
    t("panel.summary", { rounds: s.rounds, seconds: s.draw_time_s, language, players: s.max_players }) + custom + mode;
  const details = $("#settings-details");
  if (details.dataset.touched) return;
  details.open = host || !window.matchMedia("(max-width: 560px)").matches;
}

function renderOverlay() {
  const overlay = $("#canvas-overlay");
  const p = phase();
  let key = "";
  let content = null;
  if (p === PHASE.CHOOSING) {
    key = `choosing:${st.room.drawer_id}:${isDrawer()}:${st.choices?.words?.join("|") ?? ""}`;
    if (key !== st.overlayKey) {
      content = choosingOverlay({ isDrawer: isDrawer(), drawerName: playerName(st.room.drawer_id),
        words: st.choices?.words ?? null, difficulties: st.choices?.difficulties, onChoose: choose });
    }
  } else if (st.reveal && (p === PHASE.REVEAL || p === PHASE.DRAWING)) {
    key = `reveal:${st.reveal.word}:${JSON.stringify(st.reveal.points)}`;
    if (key !== st.overlayKey) {
      content = revealOverlay({ reveal: st.reveal, players: st.players, meId: st.meId, drawerId: st.room.drawer_id,
        relaxed: relaxed() });
    }
  }
  if (key === st.overlayKey) return;
  st.overlayKey = key;
  replaceChildren(overlay, content);
  show(overlay, Boolean(content));
  overlay.dataset.kind = key.split(":")[0];
  overlay.querySelector("[data-testid=word-choice]")?.focus();
  updateOverlayCountdown(secondsLeft(hud.remaining() ?? 0));
}

function updateOverlayCountdown(seconds) {
  const next = $("#results-next");
  next.textContent = phase() === PHASE.RESULTS && hud.remaining() !== null ? t("results.next", { seconds }) : "";
  if (phase() === PHASE.DRAWING && seconds === 10 && !st.warned) {
    st.warned = true;
    announce(t("say.tenSeconds"));
  }
  const el = $("#canvas-overlay .overlay-countdown");
  if (el) el.textContent = hud.remaining() === null ? "" : t("stage.seconds", { seconds });
  if (isDrawer() && phase() === PHASE.DRAWING && seconds <= 5 && seconds > 0) sound.play("tick", 0.05);
}

function renderUnderCanvas() {
  const p = phase();
  const drawing = p === PHASE.DRAWING;
  show($("#toolbar"), drawing && isDrawer());
  $("#canvas").classList.toggle("can-draw", drawing && isDrawer());
  $("#canvas").setAttribute("aria-label", canvasLabel());
  toolbar.update();
  const caption = $("#turn-caption");
  const drawer = playerName(st.room.drawer_id);
  if (p === PHASE.CHOOSING) caption.textContent = isDrawer() ? t("stage.pick") : t("stage.isChoosing", { name: drawer });
  else if (drawing) caption.textContent = isDrawer() ? "" : t("stage.isDrawing", { name: drawer });
  else if (p === PHASE.REVEAL) caption.textContent = t("stage.drewThis", { name: drawer });
  else caption.textContent = "";
  renderReactions();
}

function canvasLabel() {
  if (phase() !== PHASE.DRAWING) return t("stage.canvas");
  return isDrawer() ? t("stage.canvasDraw") : t("stage.canvasWatch", { name: playerName(st.room.drawer_id) });
}

function renderReactions() {
  const { likes, dislikes, mine } = st.reactions;
  const p = phase();
  const open = (p === PHASE.DRAWING || p === PHASE.REVEAL) && !isDrawer() && !me()?.spectator;
  show($("#reactions"), p === PHASE.DRAWING || p === PHASE.REVEAL);
  reactionButton($("#react-like"), "like", likes, mine, open);
  reactionButton($("#react-dislike"), "dislike", dislikes, mine, open);
}

function reactionButton(button, kind, count, mine, open) {
  // The name is the visible count with a hidden lead-in, so it holds what is seen.
  button.replaceChildren(icon(kind, 18),
    h("span", { class: "sr-only", text: `${t(kind === "like" ? "stage.like" : "stage.dislike")}: ` }),
    h("span", { class: "react-count", text: String(count) }));
  button.disabled = !open || Boolean(mine);
  button.setAttribute("aria-pressed", String(mine === kind));
  button.title = t(kind === "like" ? "stage.like" : "stage.dislike");
}

function renderChatInput() {
  const box = $("#chat-input");
  const p = phase();
  const mine = me();
  let hint = t("chat.say");
  if (mine?.spectator) hint = t("chat.watching");
  else if (p === PHASE.DRAWING && (isDrawer() || mine?.guessed)) hint = t("chat.guessers");
  else if (p === PHASE.DRAWING) hint = t("chat.guess");
  box.placeholder = hint;
  document.body.classList.toggle("in-guessed-channel", p === PHASE.DRAWING && (isDrawer() || Boolean(mine?.guessed)));
}

function renderResults() {
  const ranking = st.results?.ranking ?? [];
  renderRanking($("#podium"), $("#ranking"), relaxed() ? [] : ranking, st.meId);
  show($("#podium"), !relaxed());
  show($("#ranking"), !relaxed());
  const host = isHost();
  show($("#play-again"), host);
  $("#play-again").disabled = st.startPending;
  $("#play-again").textContent = st.startPending ? t("results.starting") : t("results.playAgain");
  show($("#results-close"), phase() === PHASE.LOBBY);
  const won = !relaxed() && ranking.length && ranking[0].id === st.meId;
  $("#results-panel .results-title").textContent = relaxed() ? t("results.wellPlayed") : (won ? t("results.youWon") : t("results.gameOver"));
  renderAlbumState();
}

function renderAlbumState() {
  const { status, game } = st.album;
  const text = {
    idle: st.results?.game_id ? "" : t("album.unavailable"),
    loading: t("album.loading"),
    error: t("album.error"),
    ready: game?.turns?.length ? "" : t("album.empty"),
  }[status];
  $("#album-status").textContent = text;
  if (status === "ready" && $("#album").dataset.gameId !== String(game.game_id)) {
    renderAlbum($("#album"), game, { link: true });
    $("#album").dataset.gameId = String(game.game_id);
  } else if (status !== "ready") {
    $("#album").replaceChildren();
    delete $("#album").dataset.gameId;
  }
}

// --- connection status --------------------------------------------------------------

let lastStatus = null;

function renderStatus(status = lastStatus) {
  if (!status) return;
  lastStatus = status;
  const text = renderConnection($("#connection-status"), status, st.joined);
  const drawingNote = isDrawer() && phase() === PHASE.DRAWING ? ` ${t("conn.keepDrawing")}` : "";
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
