// Where the site lives. Under DRAWGAME_ROOT_PATH (say /draw) every page, file, API
// call and WebSocket is below that path; the server writes it into every page as
// <meta name="drawgame-root" content="/draw"> ("" at the top of a site).

const meta = document.querySelector('meta[name="drawgame-root"]');

/** The root path: "" or "/draw". */
export const ROOT = meta?.getAttribute("content") ?? "";

/** `path` ("/api/rooms", "/r/ABCD") under the root path. */
export const url = (path) => `${ROOT}${path}`;

/** This page's path below the root path: "/r/ABCD" for "/draw/r/ABCD". */
export function here() {
  const path = window.location.pathname;
  return ROOT && path.startsWith(`${ROOT}/`) ? path.slice(ROOT.length) : path;
}
