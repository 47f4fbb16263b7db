// The album calls of the HTTP API, with addresses relative to the page (a room page
// /r/<code> or an album page /a/<id>), so they hold under any path prefix.

import { ApiError } from "./api.js";
import { t } from "./i18n.js";

async function call(url, init = {}) {
  let res;
  try {
    res = await fetch(url, init);
  } catch {
    throw new ApiError(0, { error: { message: t("net.unreachable") } });
  }
  const data = res.status === 204 ? null : await res.json().catch(() => null);
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

/** GET a JSON answer (the album page's preloaded album uses the default cache mode). */
export const fetchJson = (url) => call(url);

/**
 * A finished game's album, as the server lets everyone see it; with `thumbs`, its
 * drawings thinned for thumbnails (what the album page shows first, and preloads).
 */
export const getAlbum = (gameId, { thumbs = false } = {}) =>
  fetchJson(`../api/games/${encodeURIComponent(gameId)}${thumbs ? "?view=thumbs" : ""}`);

const send = (method, url, body) => call(url, {
  method, headers: { "Content-Type": "application/json" }, body: JSON.stringify(body), cache: "no-store",
});

/** Hide (or show again) the drawings of each of `seats` ({id, token}) in an album. */
export async function hideDrawings(gameId, seats, hidden) {
  for (const seat of seats) {
    await send("POST", `../api/games/${encodeURIComponent(gameId)}/hide`, { token: seat.token, hidden });
  }
}

/** Delete an album for everyone (the room's host's seat). */
export const deleteAlbum = (gameId, seat) =>
  send("DELETE", `../api/games/${encodeURIComponent(gameId)}`, { token: seat?.token ?? "" });
