// The TV screen of a room (/r/<code>/tv): the game for a big screen across the room.
// It joins as a TV watcher (no seat, no name, no keyboard), shows the canvas as large as
// the screen allows, the round, the timer, the hint, the scores, who guessed, the
// reactions, the reveal and the podium (the album in relaxed rooms), and a QR code with
// the short link for phones to join. A telephone game's screens (who is done, then the
// album as the show) are in modes/telephone-tv.js.

import { h, $, show, replaceChildren, secondsLeft } from "./dom.js";
import { icon } from "./icons.js";
import * as api from "./api.js";
import * as store from "./store.js";
import { S, PHASE, MODE, CLOSE_CODE, TURN_END_REASONS } from "./protocol.js";
import { Connection, NET } from "./net.js";
import { Board, isBlank, renderOps } from "./canvas.js";
import { renderRanking, rankingFromPlayers } from "./panels.js";
import { avatarEl, faces } from "./avatars.js";
import { sortPlayers } from "./players.js";
import { fatalScreen } from "./screens.js";
import { renderConnection } from "./status.js";
import { setWordLanguage } from "./hud.js";
import { t, use, detect, translatePage } from "./i18n.js";
import * as streamer from "./streamer.js";
import { createTelephoneTv } from "./modes/telephone-tv.js";
import { here, url } from "./paths.js";

const FEED_LINES = 6;
const QR_REVEAL_MS = 8000;

const st = {
  code: "",
  joined: false,
  room: {
    name: "", settings: {}, phase: PHASE.LOBBY, mode: null, round: 0, rounds: 0, step: null, steps: null,
    drawer_id: null, hint: null, word: null,
  },
  players: [],
  reveal: null,
  results: null,
  reactions: { likes: 0, dislikes: 0 },
  deadline: null,
};

let net = null;
let board = null;
let telephone = null;
const relaxed = () => Boolean(st.room.settings.relaxed);
/** Whether the room plays telephone now (the running game's mode, else the settings'). */
const isTelephone = () => (st.room.phase !== PHASE.LOBBY && st.room.mode ? st.room.mode : st.room.settings.mode) === MODE.TELEPHONE;
const nameOf = (id) => st.players.find((p) => p.id === id)?.name ?? t("players.someone");

async function main() {
  await use(detect());
  translatePage();
  document.documentElement.classList.remove("is-loading");
  st.code = decodeURIComponent(here().split("/")[2] ?? "").trim();
  try {
    const summary = await api.findRoom(st.code);
    st.code = summary.code;
    st.room.name = summary.name;
  } catch (err) {
    if (err.status === 404) return fatal("not_found");
  }
  setup();
  net = new Connection(st.code, { hello, onMessage: dispatch, onStatus: renderStatus, onFatal });
  net.restart();
  return undefined;
}

function hello() {
  return { type: "hello", tv: true, token: store.getTvSeat(st.code)?.token ?? null };
}

function fatal(kind) {
  show($("#tv"), false);
  fatalScreen(kind);
}

function onFatal(code) {
  const kinds = { [CLOSE_CODE.NOT_FOUND]: "not_found", [CLOSE_CODE.FULL]: "full", [CLOSE_CODE.KICKED]: "kicked" };
  if (code === CLOSE_CODE.KICKED) store.setTvSeat(st.code, null);
  if (code === CLOSE_CODE.REPLACED) return void renderStatus({ state: NET.STOPPED, closeCode: code });
  fatal(kinds[code] ?? "refused");
}

function setup() {
  board = new Board($("#tv-canvas"));
  telephone = createTelephoneTv({ st, stage: $(".tv-stage"), nameOf });
  new ResizeObserver(resize).observe($("#tv-canvas-wrap"));
  $("#tv-like-icon").append(icon("like", 40));
  $("#tv-dislike-icon").append(icon("dislike", 40));
  $("#tv-qr").src = url(`/r/${encodeURIComponent(st.code)}/qr.svg`);
  $("#tv-qr").alt = t("tv.qrAlt");
  // A zero-width space lets a long link break before its path rather than inside the code.
  const link = `${window.location.host}\u200b${url(`/r/${st.code}`)}`;
  streamer.secret($("#tv-link"), link);
  streamer.toggleButton($("#streamer-toggle"));
  streamer.watch(renderQr);
  $("#tv-qr-hidden").addEventListener("click", () => revealQr());
  setInterval(tick, 250);
  renderAll();
}

// --- the join code ------------------------------------------------------------------

let qrShown = false;
let qrTimer = null;

function revealQr() {
  qrShown = true;
  clearTimeout(qrTimer);
  qrTimer = setTimeout(() => { qrShown = false; renderQr(); }, QR_REVEAL_MS);
  renderQr();
}

function renderQr() {
  const hidden = streamer.isOn() && !qrShown;
  show($("#tv-qr"), !hidden);
  show($("#tv-qr-hidden"), hidden);
  $("#tv-qr-hidden").setAttribute("role", "button");
  $("#tv-qr-hidden").tabIndex = 0;
  $("#tv-qr-hidden").setAttribute("aria-label", t("streamer.qrHidden"));
  renderName();
}

function renderName() {
  $("#tv-room-name").textContent = streamer.hideIn(st.room.name || "drawgame", st.code);
  document.title = `${streamer.hideIn(st.room.name || st.code, st.code)} · ${t("tv.title")}`;
}

// --- messages -------------------------------------------------------------------------

const HANDLERS = {
  [S.WELCOME]: onWelcome,
  [S.PLAYERS]: (m) => { st.players = m.players ?? []; faces.prune(st.players); renderPlayers(); renderLobby(); telephone.render(isTelephone()); },
  [S.AVATAR]: (m) => faces.set(m.player_id, m.avatar),
  [S.SETTINGS]: (m) => { st.room.settings = { ...st.room.settings, ...(m.settings ?? {}) }; renderAll(); },
  [S.PHASE]: onPhase,
  [S.HINT]: (m) => { st.room.hint = m.hint; renderHud(); },
  [S.DRAW]: (m) => board.applyAll(m.ops ?? []),
  [S.CORRECT]: onCorrect,
  [S.REACTION]: (m) => { st.reactions = { likes: m.likes ?? 0, dislikes: m.dislikes ?? 0 }; renderReactions(); },
  [S.PROGRESS]: (m) => { telephone.onProgress(m); renderPlayers(); },
  [S.ALBUM_PAGE]: (m) => {
    st.reactions = { likes: m.likes ?? 0, dislikes: m.dislikes ?? 0 };
    telephone.onAlbumPage(m);
    renderReactions();
  },
  [S.TURN_END]: onTurnEnd,
  [S.GAME_OVER]: onGameOver,
  [S.ROOM]: (m) => { st.room.name = m.name ?? st.room.name; renderName(); },
  [S.ERROR]: onError,
};

function dispatch(msg) {
  const handler = HANDLERS[msg.type];
  if (!handler || (!st.joined && msg.type !== S.WELCOME && msg.type !== S.ERROR)) return;
  try {
    handler(msg);
  } catch (err) {
    console.error("failed to handle", msg.type, err);
  }
}

function onWelcome(m) {
  store.setTvSeat(st.code, { id: m.you.id, token: m.you.token });
  const room = m.room;
  Object.assign(st.room, {
    name: room.name ?? "", settings: room.settings ?? {}, phase: room.phase, mode: room.mode ?? null, round: room.round,
    rounds: room.rounds, step: room.step ?? null, steps: room.steps ?? null, drawer_id: room.drawer_id, hint: room.hint,
    word: room.word,
  });
  st.players = room.players ?? [];
  faces.load(room.avatars);
  st.joined = true;
  telephone.welcome(room);
  if (room.album_page) st.reactions = { likes: room.album_page.likes ?? 0, dislikes: room.album_page.dislikes ?? 0 };
  setCountdown(room.ends_in_ms);
  board.load(room.ops ?? []);
  if (room.phase === PHASE.RESULTS && room.game_id && !isTelephone()) {
    st.results = { game_id: room.game_id, ranking: rankingFromPlayers(st.players) };
    loadAlbum(room.game_id);
  }
  renderAll();
}

function onPhase(m) {
  Object.assign(st.room, {
    phase: m.phase, mode: m.mode ?? st.room.mode, round: m.round, rounds: m.rounds, step: m.step ?? null,
    steps: m.steps ?? null, drawer_id: m.drawer_id, hint: m.hint ?? null,
  });
  if (m.phase === PHASE.ALBUM || m.phase === PHASE.WRITING) st.reactions = { likes: 0, dislikes: 0 };
  setCountdown(m.ends_in_ms);
  if (m.phase === PHASE.CHOOSING) {
    st.reveal = null;
    st.reactions = { likes: 0, dislikes: 0 };
    board.load([]);
    replaceChildren($("#tv-feed"));
  }
  if (m.phase === PHASE.CHOOSING || m.phase === PHASE.LOBBY) st.results = null;
  renderAll();
}

function onCorrect(m) {
  const line = relaxed() ? t("tv.guessedRelaxed", { name: nameOf(m.player_id) })
    : t("tv.guessed", { name: nameOf(m.player_id), points: m.points });
  const feed = $("#tv-feed");
  feed.prepend(h("li", { class: "tv-feed-line", dataset: { testid: "tv-feed-line" } }, icon("check", 28), h("span", { text: line })));
  while (feed.children.length > FEED_LINES) feed.lastChild.remove();
}

function onTurnEnd(m) {
  st.reveal = { word: m.word, reason: m.reason, points: m.points ?? {} };
  st.room.word = m.word;
  renderOverlay();
}

function onGameOver(m) {
  if (isTelephone()) return; // the album phase is the telephone game's end (telephone-tv.js)
  st.results = { game_id: m.game_id, ranking: m.ranking ?? [] };
  st.reveal = null;
  renderAll();
  if (m.game_id) loadAlbum(m.game_id);
}

function onError(m) {
  if (st.joined) return;
  if (m.code === "bad_token") {
    store.setTvSeat(st.code, null);
    net.restart();
  } else if (m.code === "room_full") {
    net.stop();
    fatal("full");
  } else {
    net.retryLater();
  }
}

async function loadAlbum(gameId) {
  for (let attempt = 0; attempt < 6; attempt++) {
    try {
      const game = await api.getGame(gameId);
      if (st.results?.game_id !== gameId) return;
      st.results.album = game;
      renderResults();
      return;
    } catch (err) {
      if (err.status !== 404 && err.status !== 0 && err.status < 500) return;
      await new Promise((r) => setTimeout(r, 800 * (attempt + 1)));
    }
  }
}

// --- time -------------------------------------------------------------------------------

function setCountdown(ms) {
  st.deadline = ms === null || ms === undefined ? null : performance.now() + Number(ms);
  tick();
}

function tick() {
  const box = $("#tv-timer-box");
  const left = st.deadline === null ? null : Math.max(0, st.deadline - performance.now());
  const seconds = left === null ? null : secondsLeft(left);
  $("#tv-timer").textContent = seconds === null ? "–" : String(seconds);
  box.classList.toggle("is-idle", seconds === null);
  box.classList.toggle("is-urgent", seconds !== null && seconds <= 10 && seconds > 0);
  box.setAttribute("aria-label", seconds === null ? t("hud.noTimer") : t("hud.seconds", { seconds }));
  const next = $("#tv-results-next");
  next.textContent = st.room.phase === PHASE.RESULTS && seconds !== null ? t("results.next", { seconds }) : "";
}

// --- rendering ---------------------------------------------------------------------------

function renderAll() {
  document.body.dataset.phase = st.room.phase;
  document.body.classList.toggle("relaxed", relaxed());
  renderName();
  renderHud();
  renderPlayers();
  renderReactions();
  renderLobby();
  renderOverlay();
  renderResults();
  telephone.render(isTelephone());
  resize();
}

function resize() {
  const wrap = $("#tv-canvas-wrap");
  if (!board || !wrap.clientWidth) return;
  const ratio = window.devicePixelRatio || 1;
  board.setSize(wrap.clientWidth * ratio, wrap.clientHeight * ratio);
}

function renderHud() {
  if (isTelephone()) return telephone.hud();
  $(".tv-round .tv-label").textContent = t("hud.round");
  const { phase, round, rounds, hint, word, settings } = st.room;
  $("#tv-round").textContent = phase === PHASE.LOBBY || !round ? `–/${settings.rounds ?? rounds ?? "–"}` : `${round}/${rounds}`;
  const showWord = phase === PHASE.REVEAL && word;
  $("#tv-hint").textContent = phase === PHASE.DRAWING ? (hint ?? "") : (showWord ? word : "");
  $("#tv-hint").classList.toggle("is-word", Boolean(showWord));
  setWordLanguage($("#tv-hint"), $("#tv-hint").textContent, settings.language);
  let label = "";
  if (phase === PHASE.DRAWING) label = t("tv.guessIt");
  else if (phase === PHASE.REVEAL) label = t("hud.wordWas");
  else if (phase === PHASE.CHOOSING) label = t("hud.choosing");
  else if (phase === PHASE.RESULTS) label = t("hud.gameOver");
  else label = t("hud.waiting");
  $("#tv-word-label").textContent = label;
}

function renderPlayers() {
  const ranked = st.room.phase !== PHASE.LOBBY && !relaxed() && !isTelephone();
  const list = sortPlayers(st.players.filter((p) => !p.spectator), relaxed() || !ranked);
  // Up to 16 players: past 8 the list takes two columns so that everyone stays on screen.
  $("#tv-players").classList.toggle("is-many", list.length > 8);
  replaceChildren($("#tv-players"), list.map((p) => h("li", {
    class: ["tv-player", p.drawer && "is-drawer", (p.guessed || p.done) && "is-guessed", !p.connected && "is-offline"].filter(Boolean).join(" "),
    dataset: { testid: "tv-player", playerId: p.id, guessed: String(p.guessed), drawer: String(p.drawer), done: String(Boolean(p.done)) },
  },
  h("span", { class: "tv-player-mark", "aria-hidden": "true" }, p.drawer ? icon("pen", 28) : (p.guessed || p.done ? icon("check", 28) : null)),
  avatarEl(p.id, p.name, { cls: "tv-avatar" }),
  h("span", { class: "tv-player-name", text: p.name }),
  p.drawer ? h("span", { class: "sr-only", text: t("players.describeDrawing") }) : null,
  p.guessed ? h("span", { class: "sr-only", text: t("players.describeGuessed") }) : null,
  p.done ? h("span", { class: "sr-only", text: t("players.describeDone") }) : null,
  ranked ? h("span", { class: "tv-player-score", text: String(p.score) }) : null)));
}

function renderReactions() {
  const playing = isTelephone() ? st.room.phase === PHASE.ALBUM : st.room.phase === PHASE.DRAWING || st.room.phase === PHASE.REVEAL;
  $("#tv-likes").textContent = String(st.reactions.likes);
  $("#tv-dislikes").textContent = String(st.reactions.dislikes);
  $("[data-testid=tv-likes]").setAttribute("aria-label", `${t("stage.like")}: ${st.reactions.likes}`);
  $("[data-testid=tv-dislikes]").setAttribute("aria-label", `${t("stage.dislike")}: ${st.reactions.dislikes}`);
  $(".tv-reactions").classList.toggle("is-quiet", !playing);
}

function renderLobby() {
  const lobby = st.room.phase === PHASE.LOBBY && !st.results;
  show($("#tv-lobby"), lobby);
  const seated = st.players.filter((p) => !p.spectator);
  $("#tv-lobby-status").textContent = seated.length
    ? t("tv.waiting", { count: seated.length }) : t("tv.nobody");
  replaceChildren($("#tv-lobby-players"), lobby ? seated.map((p) => h("li", {
    class: `tv-chip${p.connected ? "" : " is-offline"}`, dataset: { testid: "tv-lobby-player" }, text: p.name,
  })) : []);
}

function renderOverlay() {
  const overlay = $("#tv-overlay");
  const p = st.room.phase;
  let content = null;
  if (p === PHASE.CHOOSING) {
    content = h("div", { class: "tv-card" },
      h("p", { class: "tv-kicker", text: t("stage.nextUp") }),
      h("h2", { class: "tv-big", text: t("stage.isChoosing", { name: nameOf(st.room.drawer_id) }) }));
  } else if (st.reveal && p === PHASE.REVEAL) {
    content = revealCard();
  }
  replaceChildren(overlay, content);
  show(overlay, Boolean(content));
  overlay.dataset.kind = content ? p : "";
  const playing = !isTelephone() && (p === PHASE.CHOOSING || p === PHASE.DRAWING || p === PHASE.REVEAL);
  show($("#tv-canvas-wrap"), playing);
}

function revealCard() {
  const { word, reason, points } = st.reveal;
  const order = new Map(st.players.map((pl, i) => [pl.id, i]));
  const rows = Object.entries(points)
    .filter(([id]) => id !== st.room.drawer_id)
    .sort(([a, pa], [b, pb]) => (relaxed() ? (order.get(a) ?? 99) - (order.get(b) ?? 99) : pb - pa));
  return h("div", { class: "tv-card" },
    h("p", { class: "tv-kicker", text: t(TURN_END_REASONS.includes(reason) ? `reason.${reason}` : "reason.other") }),
    h("h2", { class: "tv-big" }, t("stage.theWordWas"), " ", h("strong", { class: "tv-reveal-word", dataset: { testid: "tv-reveal-word" }, text: word })),
    h("ul", { class: "tv-points" }, rows.map(([id, pts]) => h("li", { class: pts > 0 ? "got" : "missed" },
      h("span", { text: nameOf(id) }),
      h("span", { class: "points", text: relaxed() ? (pts > 0 ? t("stage.gotIt") : t("stage.missedIt")) : (pts > 0 ? `+${pts}` : "0") })))));
}

function renderResults() {
  const results = st.results;
  const on = Boolean(results) && (st.room.phase === PHASE.RESULTS || st.room.phase === PHASE.LOBBY);
  show($("#tv-results"), on);
  if (!on) return;
  $("#tv-results-title").textContent = relaxed() ? t("results.wellPlayed") : t("results.gameOver");
  show($("#tv-podium"), !relaxed());
  if (!relaxed()) renderRanking($("#tv-podium"), h("ol"), results.ranking ?? [], null);
  show($("#tv-album"), relaxed() || Boolean(results.album));
  const turns = results.album?.turns ?? [];
  if ($("#tv-album").dataset.gameId !== String(results.game_id) && results.album) {
    $("#tv-album").dataset.gameId = String(results.game_id);
    replaceChildren($("#tv-album"), turns.map((turn) => albumTile(turn, results.album.avatars ?? {})));
  }
}

function albumTile(turn, kept) {
  const who = turn.drawer?.name ?? "?";
  const picture = isBlank(turn.ops ?? []) ? h("div", { class: "album-blank", text: t("album.nothing") }) : renderOps(turn.ops ?? [], 320, 240);
  if (picture.tagName === "CANVAS") {
    picture.className = "album-thumb";
    picture.setAttribute("role", "img");
    picture.setAttribute("aria-label", t("album.drawingOf", { word: turn.word, name: who }));
  }
  return h("li", { class: "tv-album-item", dataset: { testid: "tv-album-item" } }, picture,
    h("strong", { class: "tv-album-word", text: turn.word }),
    h("span", { class: "tv-album-by" }, avatarEl(turn.drawer?.id, who, { source: kept, cls: "avatar-sm" }), h("span", { text: t("album.by", { name: who }) })));
}

function renderStatus(status) {
  renderConnection($("#tv-status"), status, st.joined);
}

main();
