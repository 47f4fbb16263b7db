// A telephone game's books on the album page: each book a strip of its pages in order (a
// sentence, then a drawing of it, then a sentence describing the drawing...), each page
// with its number and author; a drawing page can be replayed and saved (PNG, time-lapse
// GIF) like a classic drawing; an empty page (nothing written or drawn) shows as one, and
// so does a drawing its author hid. Each book has its exports: an animated GIF (one frame
// a page, sentences drawn as cards) and a tall PNG strip. The books' buttons are one Tab
// stop; arrow keys move between them (grid-keys.js).

import { h, replaceChildren } from "./dom.js";
import { icon } from "./icons.js";
import { isBlank } from "./canvas.js";
import { t } from "./i18n.js";
import { avatarEl } from "./avatars.js";
import { gridKeys } from "./grid-keys.js";
import { busy, drawingButtons, drawThumbnails } from "./album.js";
import { bookGif, bookStrip, fileWord, saveBlob } from "./export.js";

const THUMB_W = 240;
const THUMB_H = 180;
const grids = new WeakMap();

/** A page's state: shown (drawn or written), empty, or a drawing hidden by its author. */
export function pageState(page) {
  if (page.hidden) return "hidden";
  if (page.kind === "drawing") return isBlank(page.ops ?? []) ? "blank" : "drawn";
  return String(page.text ?? "").trim() ? "written" : "blank";
}

/** What an empty or hidden page says instead of itself ("" for a page that shows). */
export function blankLabel(page) {
  const state = pageState(page);
  if (state === "hidden") return t("album.hidden");
  if (state !== "blank") return "";
  return page.kind === "drawing" ? t("album.nothing") : t("books.nothingWritten");
}

/** Labels the exports draw, in the page's language. */
export function bookLabels(book, index) {
  return {
    title: t("books.bookOf", { name: book.owner?.name ?? "?", number: index + 1 }),
    by: (name) => t("album.by", { name }),
    blank: blankLabel,
  };
}

/**
 * Fill `root` with one section per book of a telephone album. When `game` holds thinned
 * drawings (the album page's first read), `full()` gives the whole album, for replays
 * and files.
 */
export function renderBooks(root, game, { full = null } = {}) {
  const books = game.books ?? [];
  const whole = async (i) => (full ? (await full()).books[i] : books[i]);
  const pending = new Map();
  const kept = game.avatars ?? {};
  const list = h("ul", { class: "books-list", "aria-describedby": "album-keys" },
    books.map((b, i) => bookItem(b, i, whole, pending, kept)));
  replaceChildren(root, list);
  grids.set(list, gridKeys(list));
  grids.get(list).refresh();
  drawThumbnails(root, pending);
}

function bookItem(book, index, whole, pending, kept) {
  const labels = bookLabels(book, index);
  const name = `drawgame-book-${index + 1}-${fileWord(book.owner?.name, "book")}`;
  const gif = h("button", { type: "button", class: "btn btn-secondary btn-sm", dataset: { testid: "album-book-gif" },
    "aria-label": t("books.gifOf", { title: labels.title }) }, icon("film", 16), t("album.gif"));
  gif.addEventListener("click", () => busy(gif, async () => saveBlob(await bookGif(await whole(index), labels), `${name}.gif`)));
  const strip = h("button", { type: "button", class: "btn btn-ghost btn-sm", dataset: { testid: "album-strip" },
    "aria-label": t("books.stripOf", { title: labels.title }) }, icon("download", 16), t("books.strip"));
  strip.addEventListener("click", () => busy(strip, async () => saveBlob(await bookStrip(await whole(index), labels), `${name}.png`)));
  const pages = (book.pages ?? []).map((page, i) => pageItem(page, i, {
    title: labels.title, file: name, pending, kept,
    whole: async () => (await whole(index)).pages[i],
  }));
  return h("li", { class: "book", dataset: { testid: "album-book", book: String(index) } },
    h("div", { class: "book-head" },
      h("h3", { class: "book-title", text: labels.title }),
      h("div", { class: "album-actions" }, gif, strip)),
    h("ol", { class: "book-pages", "aria-label": labels.title }, pages));
}

function pageItem(page, index, { title, file, whole, pending, kept }) {
  const state = pageState(page);
  const number = index + 1;
  const author = page.author?.name ?? "?";
  const caption = h("div", { class: "album-caption" },
    h("span", { class: "album-by" }, avatarEl(page.author?.id, author, { source: kept, cls: "avatar-sm" }),
      h("span", { class: "book-page-number", text: t("books.pageBy", { page: number, name: author }) })));
  let body;
  let actions = null;
  if (state === "hidden" || state === "blank") {
    body = h("div", { class: "album-blank", text: blankLabel(page) });
  } else if (page.kind === "drawing") {
    body = h("canvas", { class: "album-thumb", width: THUMB_W, height: THUMB_H, role: "img",
      "aria-label": t("books.drawingBy", { name: author }) });
    pending.set(body, page.ops ?? []);
    actions = h("div", { class: "album-actions" }, drawingButtons({
      title: t("books.pageOf", { page: number, title }), by: t("album.drawnBy", { name: author }),
      file: `${file}-page-${number}`, whole, thumb: body,
      labels: { replay: t("books.replayOf", { page: number, title }), png: t("books.pngOf", { page: number, title }),
        gif: t("books.timelapseOf", { page: number, title }) },
    }));
    body = h("div", { class: "thumb-frame" }, body);
  } else {
    body = h("blockquote", { class: "book-text", text: page.text });
  }
  return h("li", { class: `book-page is-${state}`,
    dataset: { testid: "book-page", page: String(index), kind: page.kind, state } },
  body, caption, actions);
}
