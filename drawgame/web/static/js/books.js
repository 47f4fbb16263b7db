// A telephone game's books on the album page: each book's pages in order (a sentence,
// then a drawing of it, then a sentence describing the drawing...), each with its
// author, a replay for drawings, and the book's exports: an animated GIF (one frame a
// page, sentences drawn as cards) and a tall PNG strip. The books' buttons are one Tab
// stop; arrow keys move between them (grid-keys.js).

import { h, replaceChildren } from "./dom.js";
import { icon } from "./icons.js";
import { isBlank, renderOps } from "./canvas.js";
import { t } from "./i18n.js";
import { avatarEl } from "./avatars.js";
import { gridKeys } from "./grid-keys.js";
import { busy } from "./album.js";
import { bookGif, bookStrip, fileWord, saveBlob } from "./export.js";

const THUMB_W = 240;
const THUMB_H = 180;
let grid = null;

/** A page's state: shown, empty (nothing written or drawn) or hidden by its author. */
export function pageState(page) {
  if (page.hidden) return "hidden";
  if (page.kind === "drawing") return isBlank(page.ops ?? []) ? "blank" : "drawn";
  return String(page.text ?? "").trim() ? "written" : "blank";
}

/** Labels the exports draw, in the page's language. */
export function bookLabels(book, index) {
  return {
    title: t("books.bookOf", { name: book.owner?.name ?? "?", number: index + 1 }),
    by: (name) => t("album.by", { name }),
    blank: (page) => ({ hidden: t("album.hidden"), blank: t("album.nothing") })[pageState(page)] ?? "",
  };
}

/**
 * Fill `root` with one section per book of a telephone album. When `game` holds thinned
 * drawings, `full()` gives the whole album for the files.
 */
export function renderBooks(root, game, { full = null } = {}) {
  const books = game.books ?? [];
  const whole = async (i) => (full ? (await full()).books[i] : books[i]);
  const kept = game.avatars ?? {};
  const list = h("ul", { class: "books-list", "aria-describedby": "album-keys" }, books.map((b, i) => bookItem(b, i, whole, kept)));
  replaceChildren(root, list);
  grid = gridKeys(list);
  grid.refresh();
}

function bookItem(book, index, whole, kept) {
  const labels = bookLabels(book, index);
  const name = `drawgame-book-${index + 1}-${fileWord(book.owner?.name, "book")}`;
  const gif = h("button", { type: "button", class: "btn btn-secondary btn-sm", dataset: { testid: "album-book-gif" },
    "aria-label": t("books.gifOf", { title: labels.title }) }, icon("film", 16), t("album.gif"));
  gif.addEventListener("click", () => busy(gif, async () => saveBlob(await bookGif(await whole(index), labels), `${name}.gif`)));
  const strip = h("button", { type: "button", class: "btn btn-ghost btn-sm", dataset: { testid: "album-strip" },
    "aria-label": t("books.stripOf", { title: labels.title }) }, icon("download", 16), t("books.strip"));
  strip.addEventListener("click", () => busy(strip, async () => saveBlob(await bookStrip(await whole(index), labels), `${name}.png`)));
  return h("li", { class: "book", dataset: { testid: "album-book", book: String(index) } },
    h("div", { class: "book-head" },
      h("h3", { class: "book-title", text: labels.title }),
      h("div", { class: "album-actions" }, gif, strip)),
    h("ol", { class: "book-pages" }, (book.pages ?? []).map((page, i) => pageItem(page, i, kept))));
}

function pageItem(page, index, kept) {
  const state = pageState(page);
  const who = h("span", { class: "album-by muted small" }, avatarEl(page.author?.id, page.author?.name ?? "?", { source: kept, cls: "avatar-sm" }),
    h("span", { text: t("album.by", { name: page.author?.name ?? "?" }) }));
  let body;
  if (state === "hidden" || state === "blank") {
    body = h("div", { class: "album-blank", text: state === "hidden" ? t("album.hidden") : t("album.nothing") });
  } else if (page.kind === "drawing") {
    body = renderOps(page.ops ?? [], THUMB_W * 2, THUMB_H * 2);
    body.classList.add("album-thumb");
    body.setAttribute("role", "img");
    body.setAttribute("aria-label", t("books.drawingBy", { name: page.author?.name ?? "?" }));
  } else {
    body = h("blockquote", { class: "book-text", text: page.text });
  }
  return h("li", { class: `book-page is-${state}`, dataset: { testid: "book-page", page: String(index), kind: page.kind } },
    body, who);
}
