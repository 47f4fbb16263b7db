// A room's gallery, in the room's lobby: the albums of its past games (classic and
// telephone), newest first, each with its date, players and a thumbnail, a link to its
// page, "Hide my drawings" for a player who drew in it (proven by a seat token this
// browser holds for the room) and "Delete" for the host. The server enforces both; the
// buttons only ask.

import { h, replaceChildren, toast } from "./dom.js";
import { icon } from "./icons.js";
import { isBlank } from "./canvas.js";
import { drawThumb } from "./thumbs.js";
import { t, language, listOf } from "./i18n.js";
import * as store from "./store.js";
import { gridKeys } from "./grid-keys.js";
import { albumHref, busy } from "./album.js";
import { fetchJson, hideDrawings, deleteAlbum } from "./album-api.js";

const THUMB_W = 160;
const THUMB_H = 120;

let view = null;

/**
 * Show the room's gallery at the end of the lobby panel. Call it whenever the lobby
 * renders: it reads the gallery again only when `key` changes (a game just ended),
 * and redraws its buttons when `host` does.
 */
export function renderGallery(panel, { code, host, key = "" }) {
  if (!view || view.panel !== panel) view = build(panel);
  const again = view.code !== code || view.key !== key;
  Object.assign(view, { code, host, key });
  if (again) load();
  else draw();
}

function build(panel) {
  const list = h("ul", { class: "gallery-grid", "aria-describedby": "gallery-keys" });
  const status = h("p", { class: "muted small", role: "status" });
  const section = h("section", { class: "gallery", dataset: { testid: "gallery" }, "aria-labelledby": "gallery-title", hidden: true },
    h("h3", { id: "gallery-title", class: "album-title", text: t("gallery.title") }),
    h("p", { id: "gallery-keys", class: "sr-only", text: t("album.keys") }),
    status, list);
  panel.append(section);
  return { panel, section, list, status, grid: gridKeys(list), albums: [], code: "", key: null, host: false };
}

async function load() {
  const asked = view;
  const stamp = {};
  asked.loading = stamp;
  try {
    const data = await fetchJson(`../api/rooms/${encodeURIComponent(asked.code)}/albums`);
    if (asked.loading !== stamp) return;
    asked.albums = data.albums ?? [];
    asked.status.textContent = "";
  } catch (err) {
    if (asked.loading !== stamp) return;
    asked.albums = [];
    asked.status.textContent = err.status === 404 ? "" : t("gallery.error");
  }
  draw();
}

/** This browser's seats that drew in an album. */
const mySeats = (album) => store.getSeats(view.code).filter((s) => album.drawers?.includes(s.id));

function draw() {
  const { section, list, albums, status } = view;
  section.hidden = !albums.length && !status.textContent;
  replaceChildren(list, albums.map(item));
  view.grid.refresh();
}

function item(album) {
  const when = new Date(album.finished_at);
  const date = Number.isNaN(when.getTime()) ? album.finished_at
    : new Intl.DateTimeFormat(language(), { dateStyle: "medium", timeStyle: "short" }).format(when);
  let cover = null;
  if (album.cover?.ops && !isBlank(album.cover.ops)) {
    cover = h("canvas", { width: THUMB_W * 2, height: THUMB_H * 2 });
    drawThumb(cover, album.cover.ops);
  }
  const picture = cover ?? h("div", { class: "album-blank", text: t("album.nothing") });
  picture.classList.add("gallery-thumb");
  if (cover) cover.setAttribute("aria-hidden", "true");
  const actions = [];
  const mine = mySeats(album);
  if (mine.length) {
    const hidden = mine.every((s) => album.hidden?.includes(s.id));
    const hide = h("button", { type: "button", class: "btn btn-ghost btn-sm", dataset: { testid: "album-hide-mine" },
      "aria-pressed": String(hidden) }, icon("eyeOff", 16), t("album.hideMine"));
    hide.addEventListener("click", () => busy(hide, async () => {
      await hideDrawings(album.game_id, mine, !hidden);
      toast(hidden ? t("album.shownAgain") : t("album.hiddenNow"));
      await load();
    }));
    actions.push(hide);
  }
  if (view.host) {
    const remove = h("button", { type: "button", class: "btn btn-ghost btn-sm btn-danger", dataset: { testid: "album-delete" },
      "aria-label": t("gallery.deleteOf", { date }) }, icon("trash", 16), t("gallery.delete"));
    remove.addEventListener("click", () => {
      if (!window.confirm(t("gallery.deleteConfirm", { date }))) return;
      busy(remove, async () => {
        await deleteAlbum(album.game_id, store.getSeat(view.code));
        toast(t("gallery.deleted"));
        await load();
      });
    });
    actions.push(remove);
  }
  return h("li", { class: "gallery-item", dataset: { testid: "gallery-item", gameId: album.game_id } },
    picture,
    h("div", { class: "gallery-text" },
      h("a", { class: "gallery-link", href: albumHref(album.game_id), text: date }),
      h("span", { class: "muted small", text: t("gallery.players", { names: listOf(album.players) }) }),
      h("span", { class: "muted small", text: album.mode === "telephone"
        ? `${t("gallery.books", { count: album.books })} · ${t("gallery.drawings", { count: album.drawings })}`
        : t("gallery.drawings", { count: album.drawings }) })),
    actions.length ? h("div", { class: "album-actions" }, actions) : null);
}
