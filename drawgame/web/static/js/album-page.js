// The album page, /a/<game_id>: a finished game kept to look at and share. It needs no
// WebSocket and no seat: it reads the album API (preloaded by the page's HTML), shows
// the ranking and every drawing with its word and drawer (or the books of a telephone
// game), replays them, exports them (PNG, GIF, contact sheet, book GIF and strip), and
// shares the link. A browser that held a seat in the game's room may hide its player's
// drawings. The room code is never shown (streamer mode or not).

import { h, $, show, toast, copyText } from "./dom.js";
import { icon } from "./icons.js";
import { t, use, detect, translatePage, languagePicker, language, listOf } from "./i18n.js";
import * as streamer from "./streamer.js";
import * as store from "./store.js";
import { renderRanking } from "./panels.js";
import { renderAlbum, turnState, busy } from "./album.js";
import { getAlbum, hideDrawings } from "./album-api.js";
import { renderBooks } from "./books.js";
import { contactSheet, saveBlob, fileWord } from "./export.js";

const st = { gameId: "", game: null, full: null };

/** The whole album (every point of every drawing), read once when first needed. */
const fullAlbum = () => (st.full ??= getAlbum(st.gameId).catch((err) => {
  st.full = null;
  throw err;
}));

async function main() {
  await use(detect());
  translatePage();
  languagePicker($("#ui-language"));
  streamer.toggleButton($("#streamer-toggle"));
  document.documentElement.classList.remove("is-loading");
  st.gameId = decodeURIComponent(window.location.pathname.split("/").filter(Boolean).at(-1) ?? "");
  $("#album-share").addEventListener("click", share);
  $("#album-sheet").addEventListener("click", () => busy($("#album-sheet"), saveSheet));
  $("#album-hide-mine").addEventListener("click", () => busy($("#album-hide-mine"), toggleHidden));
  await load();
}

async function load() {
  try {
    st.game = await getAlbum(st.gameId, { thumbs: true });
  } catch (err) {
    st.game = null;
    const gone = err.status === 404;
    $("#album-status").textContent = gone ? t("albumPage.gone") : t("album.error");
    $("#album-status").dataset.state = gone ? "gone" : "error";
    document.title = `${t("albumPage.goneTitle")} · drawgame`;
    return;
  }
  render();
}

const isTelephone = () => st.game?.mode === "telephone";

function formatDate(iso) {
  const when = new Date(iso);
  if (Number.isNaN(when.getTime())) return String(iso ?? "");
  return new Intl.DateTimeFormat(language(), { dateStyle: "long", timeStyle: "short" }).format(when);
}

/** Every name in the album: the ranking's, then drawers' and book authors' it lacks. */
function names(game) {
  const found = [...(game.ranking ?? [])].sort((a, b) => a.rank - b.rank).map((r) => r.name);
  const more = [...(game.turns ?? []).map((tu) => tu.drawer?.name),
    ...(game.books ?? []).flatMap((b) => (b.pages ?? []).map((p) => p.author?.name))];
  for (const name of more) if (name && !found.includes(name)) found.push(name);
  return found;
}

function render() {
  const game = st.game;
  const date = formatDate(game.finished_at);
  document.title = `${t("albumPage.docTitle", { date })} · drawgame`;
  $("#album-meta").textContent = `${date} · ${t("gallery.players", { names: listOf(names(game)) })}`;
  $("#album-status").textContent = "";
  show($("#album-tools"), true);
  $("#album-share").replaceChildren(icon("share", 18), h("span", { text: t("albumPage.share") }));
  $("#album-sheet").replaceChildren(icon("grid", 18), h("span", { text: t("albumPage.sheet") }));
  show($("#album-sheet"), !isTelephone() && (game.turns ?? []).some((tu) => turnState(tu) === "drawn"));
  const ranking = isTelephone() ? [] : game.ranking ?? [];
  show($("#album-ranking-box"), ranking.length > 0);
  if (ranking.length) renderRanking(ensurePodium(), $("#album-ranking"), ranking, null, game.avatars ?? {});
  show($("#album-drawings"), !isTelephone());
  show($("#album-books"), isTelephone());
  if (isTelephone()) {
    renderBooks($("#books"), game, { full: fullAlbum });
    $("#album-status").textContent = (game.books ?? []).length ? "" : t("album.empty");
  } else {
    renderAlbum($("#album"), game, { full: fullAlbum });
    $("#album-status").textContent = (game.turns ?? []).length ? "" : t("album.empty");
  }
  renderHideMine();
  if (!performance.getEntriesByName("album-shown").length) performance.mark("album-shown");
}

function ensurePodium() {
  let podium = $("#album-podium");
  if (!podium) {
    podium = h("ol", { id: "album-podium", class: "podium", "aria-label": t("results.podium") });
    $("#album-ranking").before(podium);
  }
  return podium;
}

// --- share ---------------------------------------------------------------------------------

function pageUrl() {
  const url = new URL(window.location.href);
  url.hash = "";
  url.search = "";
  return url.href;
}

async function share() {
  const url = pageUrl();
  if (typeof navigator.share === "function") {
    try {
      await navigator.share({ title: document.title, url });
      return;
    } catch (err) {
      if (err?.name === "AbortError") return;
    }
  }
  const copied = await copyText(url);
  toast(copied ? t("albumPage.copied") : t("albumPage.copyFailed"), copied ? "info" : "warn");
  $("#album-share").dataset.shared = copied ? "copied" : "failed";
}

// --- exports ----------------------------------------------------------------------------------

async function saveSheet() {
  const game = await fullAlbum();
  const date = formatDate(game.finished_at);
  const blob = await contactSheet(game.turns ?? [], {
    title: t("albumPage.sheetTitle", { date }),
    subtitle: listOf(names(game)),
    by: (name) => t("album.by", { name }),
    blank: (turn) => ({ hidden: t("album.hidden"), blank: t("album.nothing") })[turnState(turn)] ?? "",
  });
  saveBlob(blob, `drawgame-album-${fileWord(String(game.finished_at).slice(0, 10), "album")}.png`);
}

// --- hiding one's own drawings ----------------------------------------------------------------

/** Every drawing of the album as [author id, hidden]: turns, and telephone drawing pages
 * (a player hides their drawings; their sentences stay, see docs/DURABILITY.md). */
const drawings = (game) => [...(game.turns ?? []).map((tu) => [tu.drawer?.id, tu.hidden]),
  ...(game.books ?? []).flatMap((b) => (b.pages ?? []).filter((p) => p.kind === "drawing")
    .map((p) => [p.author?.id, p.hidden]))];

/** The seats this browser held in the game's room that drew in this album. The album's
 * room code is used only to find them in this browser's storage, never shown. */
function mySeats() {
  const authors = new Set(drawings(st.game).map(([id]) => id));
  return store.getSeats(st.game.room_code).filter((s) => authors.has(s.id));
}

function mineHidden(seats) {
  const ids = new Set(seats.map((s) => s.id));
  const mine = drawings(st.game).filter(([id]) => ids.has(id));
  return mine.length > 0 && mine.every(([, hidden]) => hidden);
}

function renderHideMine() {
  const button = $("#album-hide-mine");
  const seats = mySeats();
  show(button, seats.length > 0);
  if (!seats.length) return;
  const hidden = mineHidden(seats);
  button.setAttribute("aria-pressed", String(hidden));
  button.replaceChildren(icon("eyeOff", 18), h("span", { text: t("album.hideMine") }));
}

async function toggleHidden() {
  const seats = mySeats();
  const hidden = mineHidden(seats);
  await hideDrawings(st.gameId, seats, !hidden);
  toast(hidden ? t("album.shownAgain") : t("album.hiddenNow"));
  st.full = null;
  st.game = await getAlbum(st.gameId, { thumbs: true });
  render();
  $("#album-hide-mine").focus();
}

main();

