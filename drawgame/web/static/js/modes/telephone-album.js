// The telephone game's album on the room page: the books shown page by page to
// everyone at once (the host steps with next/prev, or the arrow keys), each page with
// its author, a replay for drawings and reactions, the book so far as a strip, and the
// whole book as a PNG once it has been shown. When the album ends the room is back in
// the lobby, and the books stay on screen (every page, every drawing replayable) until
// the player goes back to the room.

import { h, $, show } from "../dom.js";
import { icon } from "../icons.js";
import * as api from "../api.js";
import * as sound from "../sound.js";
import { announce } from "../announce.js";
import { C, S, PHASE, PAGE } from "../protocol.js";
import { Board } from "../canvas.js";
import { t } from "../i18n.js";
import { albumHref } from "../album.js";
import { avatarEl } from "../avatars.js";
import { downloadBook, isEmptyPage, pageCaption, pageTile, replay } from "./book.js";

const REPLAY_MS = 4000;
const pageKey = (book, page) => `${book}:${page}`;

/** The album's screens for the telephone mode (its `handlers`, `render`, ... are merged into it). */
export function createAlbum(shell) {
  const { st } = shell;
  const as = {
    page: null, // the `album_page` shown: {book, page, books, pages, owner, entry, likes, dislikes}
    seen: new Map(), // "book:page" -> {owner, entry}: the pages shown so far in this album
    reacted: new Map(), // "book:page" -> "like" | "dislike"
    gameId: null,
    game: { status: "idle", data: null, id: null }, // the album from GET /api/games/<id>
    results: false, // the books stay on screen after the album, until "back to the room"
    stop: null, // stops the drawing's replay
    shownKey: "",
  };
  const phase = () => st.room.phase;
  const isMine = (entry) => Boolean(entry?.author?.id) && entry.author.id === st.meId;

  // --- the show: built once ------------------------------------------------------------

  const where = h("p", { class: "tel-album-where", role: "status" });
  const body = h("div", { class: "tel-page-body" });
  const caption = h("span", { class: "tel-page-caption" });
  const byline = h("figcaption", { class: "tel-page-by" }, caption);
  const figure = h("figure", { class: "tel-page", dataset: { testid: "album-page" } }, body, byline);
  const canvas = h("canvas", { class: "tel-page-canvas", role: "img" });
  const frame = h("div", { class: "tel-page-drawing" }, canvas);
  const board = new Board(canvas, { checkpoints: false });
  new ResizeObserver(() => sizeBoard(board, frame)).observe(frame);
  const replayButton = h("button", { type: "button", class: "btn btn-secondary btn-sm", dataset: { testid: "page-replay" } },
    icon("play", 16), h("span", { text: "" }));
  replayButton.addEventListener("click", () => replayPage());
  const prev = h("button", { type: "button", class: "btn btn-secondary", dataset: { testid: "album-prev" } });
  const next = h("button", { type: "button", class: "btn btn-primary", dataset: { testid: "album-next" } });
  prev.addEventListener("click", () => step(C.ALBUM_PREV));
  next.addEventListener("click", () => step(C.ALBUM_NEXT));
  const like = h("button", { type: "button", class: "react-btn", dataset: { testid: "album-like" } });
  const dislike = h("button", { type: "button", class: "react-btn", dataset: { testid: "album-dislike" } });
  like.addEventListener("click", () => react("like"));
  dislike.addEventListener("click", () => react("dislike"));
  const turner = h("p", { class: "tel-turner muted" });
  const stripTitle = h("h3", { class: "tel-strip-title", id: "tel-strip-title" });
  const strip = h("ol", { class: "tel-strip", "aria-labelledby": "tel-strip-title" });
  const png = h("button", { type: "button", class: "btn btn-ghost btn-sm", dataset: { testid: "book-png" } });
  png.addEventListener("click", () => savePng(as.page?.book));
  const panel = h("section", { class: "panel tel-album", "aria-labelledby": "tel-album-title", hidden: true },
    h("div", { class: "tel-album-head" },
      h("h2", { class: "panel-title", id: "tel-album-title", text: t("tel.albumTitle") }), where),
    figure,
    h("div", { class: "tel-bar" }, prev,
      h("div", { class: "reactions tel-reactions", role: "group", "aria-label": t("tel.reactions") }, like, dislike),
      next),
    turner,
    h("div", { class: "tel-book-box" }, h("div", { class: "tel-book-head" }, stripTitle, png), strip));

  // --- after the album: every book --------------------------------------------------------

  const booksStatus = h("p", { class: "muted small", role: "status" });
  const books = h("ol", { class: "tel-books" });
  const back = h("button", { type: "button", class: "btn btn-secondary", dataset: { testid: "books-close" } });
  // The results link to the album's own page (the books with their GIFs, kept after the room).
  const open = h("a", { class: "btn btn-secondary", dataset: { testid: "books-open" } });
  back.addEventListener("click", () => { as.results = false; shell.renderStage(); });
  const resultsPanel = h("section", { class: "panel tel-results", dataset: { testid: "tel-results" },
    "aria-labelledby": "tel-results-title", hidden: true },
  h("div", { class: "tel-results-head" },
    h("h2", { class: "panel-title", id: "tel-results-title" }),
    h("div", { class: "results-actions" }, open, back)),
  booksStatus, books);
  $("#results-panel").after(panel, resultsPanel);

  document.addEventListener("keydown", (e) => {
    if (phase() !== PHASE.ALBUM || !shell.isHost() || e.altKey || e.ctrlKey || e.metaKey || typing(e.target)) return;
    const command = { ArrowRight: C.ALBUM_NEXT, PageDown: C.ALBUM_NEXT, ArrowLeft: C.ALBUM_PREV, PageUp: C.ALBUM_PREV }[e.key];
    if (!command) return;
    e.preventDefault();
    step(command);
  });

  // --- actions -----------------------------------------------------------------------------

  function step(command) {
    if (phase() === PHASE.ALBUM && shell.isHost()) shell.send({ type: command });
  }

  function react(value) {
    const page = as.page;
    if (!page || as.reacted.has(pageKey(page.book, page.page))) return;
    if (!shell.send({ type: C.REACT, value })) return;
    as.reacted.set(pageKey(page.book, page.page), value);
    renderReactions();
  }

  function replayPage() {
    const entry = as.page?.entry;
    if (entry?.kind !== PAGE.DRAWING) return;
    as.stop?.();
    sizeBoard(board, frame);
    as.stop = replay(board, entry.ops ?? [], REPLAY_MS, () => { as.stop = null; });
  }

  /** The whole book as a PNG: from the stored album, else from the pages shown here. */
  async function savePng(index) {
    if (index === null || index === undefined) return;
    const book = (await loadGame())?.books?.[index] ?? bookFromSeen(index);
    if (book) downloadBook(book, index);
  }

  function bookFromSeen(index) {
    const pages = [];
    for (let i = 0; i < (as.page?.pages ?? 0); i++) pages.push(as.seen.get(pageKey(index, i))?.entry);
    return pages.every(Boolean) ? { owner: as.page.owner, pages } : null;
  }

  async function loadGame() {
    const id = as.gameId;
    if (!id) return null;
    if (as.game.id === id && as.game.status === "ready") return as.game.data;
    as.game = { status: "loading", data: null, id };
    for (let attempt = 0; attempt < 6; attempt++) {
      try {
        const data = await api.getGame(id);
        if (as.gameId !== id) return null;
        as.game = { status: "ready", data, id };
        shell.renderStage();
        return data;
      } catch (err) {
        if (err.status !== 404 && err.status !== 0 && err.status < 500) break;
        await new Promise((r) => setTimeout(r, 800 * (attempt + 1)));
      }
    }
    as.game = { status: "error", data: null, id };
    shell.renderStage();
    return null;
  }

  // --- messages ------------------------------------------------------------------------

  function onAlbumPage(m) {
    const { type, ...page } = m;
    as.page = page;
    as.seen.set(pageKey(page.book, page.page), { owner: page.owner, entry: page.entry });
    shell.renderStage();
    const entry = page.entry;
    const said = entry?.kind === PAGE.TEXT && !isEmptyPage(entry) ? `: ${entry.text}` : "";
    announce(`${t("tel.bookPage", { book: page.book + 1, books: page.books, page: page.page + 1, pages: page.pages })}. ${pageCaption(entry)}${said}`);
  }

  function onReaction(m) {
    if (!as.page || m.book !== as.page.book || m.page !== as.page.page) return;
    as.page.likes = m.likes ?? 0;
    as.page.dislikes = m.dislikes ?? 0;
    renderReactions();
  }

  function onGameOver(m) {
    as.gameId = m.game_id ?? as.gameId;
    sound.play("gameOver");
    announce(t("tel.albumStarts"));
  }

  function onError(m) {
    if (m.ref !== C.REACT || !as.page) return false;
    if (m.code !== "already_reacted") as.reacted.delete(pageKey(as.page.book, as.page.page));
    renderReactions();
    return m.code === "already_reacted";
  }

  // --- snapshot and phases -----------------------------------------------------------------

  function welcome(room) {
    if (room.game_id) as.gameId = room.game_id;
    if (room.album_page) {
      as.page = { ...room.album_page };
      as.seen.set(pageKey(as.page.book, as.page.page), { owner: as.page.owner, entry: as.page.entry });
    }
    if (room.phase === PHASE.ALBUM) loadGame();
  }

  function phase_(m, previous) {
    if (m.phase === PHASE.ALBUM && previous !== PHASE.ALBUM) as.results = false;
    if (m.phase === PHASE.LOBBY && previous === PHASE.ALBUM && as.gameId) {
      as.results = true;
      as.stop?.();
      loadGame();
    }
  }

  /** A new game: forget the last album. */
  function reset() {
    as.stop?.();
    Object.assign(as, { page: null, seen: new Map(), reacted: new Map(), gameId: null, results: false,
      game: { status: "idle", data: null, id: null }, shownKey: "" });
  }

  // --- rendering ---------------------------------------------------------------------------

  /** The album in its phase, the books after it; true when the books cover the lobby panel. */
  function render() {
    const p = phase();
    show(panel, p === PHASE.ALBUM);
    if (p === PHASE.ALBUM) renderShow();
    const results = p === PHASE.LOBBY && as.results && Boolean(as.gameId);
    show(resultsPanel, results);
    if (results) renderBooks();
    return results;
  }

  function hide() {
    as.stop?.();
    show(panel, false);
    show(resultsPanel, false);
  }

  function renderShow() {
    const page = as.page;
    show(figure, Boolean(page));
    const host = shell.isHost();
    show(prev, host);
    show(next, host);
    prev.replaceChildren(icon("undo", 16), h("span", { text: t("tel.prev") }));
    const last = page && page.book === page.books - 1 && page.page === page.pages - 1;
    next.replaceChildren(h("span", { text: last ? t("tel.finish") : t("tel.next") }));
    prev.disabled = !page || (page.book === 0 && page.page === 0);
    const hostName = st.players.find((p) => p.host)?.name ?? t("panel.theHost");
    turner.textContent = host ? t("tel.youTurn") : t("tel.turns", { name: hostName });
    if (!page) {
      where.textContent = t("album.loading");
      return;
    }
    where.textContent = `${t("books.bookOf", { name: page.owner?.name ?? "", number: page.book + 1 })} · ${t("tel.pageOfBook", {
      page: page.page + 1, pages: page.pages })}`;
    renderPage(page);
    renderReactions();
    renderStrip(page);
  }

  function renderPage(page) {
    const key = pageKey(page.book, page.page);
    const entry = page.entry ?? {};
    Object.assign(figure.dataset, { book: String(page.book), page: String(page.page), kind: entry.kind ?? "",
      empty: String(isEmptyPage(entry)) });
    caption.textContent = pageCaption(entry);
    byline.replaceChildren(avatarEl(entry.author?.id, entry.author?.name, { cls: "avatar-sm" }), caption);
    if (key === as.shownKey) return;
    as.shownKey = key;
    as.stop?.();
    const drawn = entry.kind === PAGE.DRAWING && !isEmptyPage(entry);
    if (entry.kind === PAGE.TEXT) {
      body.replaceChildren(isEmptyPage(entry)
        ? h("p", { class: "tel-empty", text: t("tel.noSentence") })
        : h("p", { class: "tel-sentence" }, h("q", { text: entry.text })));
    } else {
      canvas.setAttribute("aria-label", pageCaption(entry));
      replayButton.lastChild.textContent = t("album.replay");
      replayButton.setAttribute("aria-label", t("tel.replayOf", { name: entry.author?.name ?? "" }));
      body.replaceChildren(frame, drawn ? replayButton : h("p", { class: "tel-empty", text: t("album.nothing") }));
      board.load(entry.ops ?? []);
      requestAnimationFrame(() => sizeBoard(board, frame));
    }
  }

  function renderReactions() {
    const page = as.page;
    const mine = page ? as.reacted.get(pageKey(page.book, page.page)) : null;
    const open = Boolean(page) && !shell.me()?.spectator && !isMine(page.entry) && !mine;
    reactionButton(like, "like", page?.likes ?? 0, mine, open);
    reactionButton(dislike, "dislike", page?.dislikes ?? 0, mine, open);
  }

  /** The current book so far: its pages up to the one shown, from what was shown and the stored album. */
  function renderStrip(page) {
    stripTitle.textContent = t("tel.bookSoFar");
    const stored = as.game.data?.books?.[page.book]?.pages ?? [];
    const tiles = [];
    for (let i = 0; i <= page.page; i++) {
      const entry = as.seen.get(pageKey(page.book, i))?.entry ?? stored[i] ?? null;
      tiles.push(pageTile(entry, i, { current: i === page.page }));
    }
    strip.replaceChildren(...tiles);
    const whole = page.page === page.pages - 1;
    png.replaceChildren(icon("download", 16), h("span", { text: t("tel.bookPng") }));
    png.disabled = !whole;
    png.title = whole ? t("tel.bookPngOf", { name: page.owner?.name ?? "" }) : t("tel.bookPngLater");
  }

  function renderBooks() {
    $("#tel-results-title").textContent = t("tel.booksTitle");
    back.textContent = t("results.back");
    open.replaceChildren(icon("book", 16), h("span", { text: t("album.openPage") }));
    open.href = albumHref(as.gameId);
    const { status, data } = as.game;
    booksStatus.textContent = { idle: "", loading: t("album.loading"), error: t("album.error"), ready: "" }[status];
    const key = status === "ready" ? String(data.game_id ?? as.gameId) : "";
    if (books.dataset.gameId === key) return;
    books.dataset.gameId = key;
    books.replaceChildren(...(status === "ready" ? (data.books ?? []).map(bookItem) : []));
  }

  function bookItem(book, index) {
    const title = t("books.bookOf", { name: book.owner?.name ?? "", number: index + 1 });
    const save = h("button", { type: "button", class: "btn btn-ghost btn-sm", dataset: { testid: "book-png" },
      on: { click: () => downloadBook(book, index) } },
    icon("download", 16), t("tel.bookPng"), h("span", { class: "sr-only", text: `: ${title}` }));
    const id = `tel-book-${index}`;
    return h("li", { class: "tel-book", dataset: { testid: "tel-book", book: String(index) } },
      h("div", { class: "tel-book-head" }, h("h3", { class: "tel-strip-title", id, text: title }), save),
      h("ol", { class: "tel-strip", "aria-labelledby": id },
        (book.pages ?? []).map((entry, i) => pageTile(entry, i, { onReplay: replayTile }))));
  }

  /** Replay a strip's drawing in its own tile. */
  function replayTile(entry, button) {
    const tile = button.closest(".tel-strip-page")?.querySelector("canvas");
    if (tile) replay(new Board(tile, { checkpoints: false }), entry.ops ?? [], REPLAY_MS / 2);
  }

  return {
    handlers: {
      [S.ALBUM_PAGE]: onAlbumPage,
      [S.REACTION]: onReaction,
      [S.GAME_OVER]: onGameOver,
    },
    welcome,
    phase: phase_,
    reset,
    render,
    hide,
    onError,
    onSecond: () => {},
    players: () => { if (phase() === PHASE.ALBUM) renderShow(); },
  };
}

function reactionButton(button, kind, count, mine, open) {
  // The name is the visible count with a hidden lead-in, so it holds what is seen.
  button.replaceChildren(icon(kind, 18),
    h("span", { class: "sr-only", text: `${t(kind === "like" ? "tel.like" : "tel.dislike")}: ` }),
    h("span", { class: "react-count", text: String(count) }));
  button.disabled = !open;
  button.setAttribute("aria-pressed", String(mine === kind));
  button.title = t(kind === "like" ? "tel.like" : "tel.dislike");
}

function sizeBoard(board, frame) {
  if (!frame.clientWidth) return;
  const ratio = window.devicePixelRatio || 1;
  board.setSize(frame.clientWidth * ratio, frame.clientHeight * ratio);
}

const TEXT_INPUTS = new Set(["button", "checkbox", "color", "radio", "range", "submit"]);

function typing(target) {
  if (!(target instanceof HTMLElement)) return false;
  if (target.tagName === "INPUT") return !TEXT_INPUTS.has(target.type);
  return target.isContentEditable || target.tagName === "TEXTAREA" || target.tagName === "SELECT";
}
