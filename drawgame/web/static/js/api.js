// HTTP API calls. Errors come back as ApiError carrying the protocol's error body.

import { t } from "./i18n.js";
import { url } from "./paths.js";

export class ApiError extends Error {
  constructor(status, body) {
    const err = body?.error ?? {};
    super(err.message || t("net.failed", { status }));
    this.status = status;
    this.code = err.code || (status === 0 ? "network" : "http_error");
    this.field = err.field ?? null;
    this.body = body;
  }
}

async function request(method, path, body, cache = "no-store") {
  let res;
  try {
    res = await fetch(url(path), {
      method,
      headers: body === undefined ? {} : { "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      cache,
    });
  } catch {
    throw new ApiError(0, { error: { message: t("net.unreachable") } });
  }
  const data = await res.json().catch(() => null);
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

export const getHealth = () => request("GET", "/api/health").catch((err) => {
  if (err instanceof ApiError && err.status === 503 && err.body?.status) return err.body;
  throw err;
});
export const getMaintenance = () => request("GET", "/api/maintenance");
export const listRooms = () => request("GET", "/api/rooms");

/** A room's summary; a code typed in lower case is tried in upper case too. */
export async function findRoom(code) {
  try {
    return await getRoom(code);
  } catch (err) {
    if (err.status !== 404 || code === code.toUpperCase()) throw err;
    return getRoom(code.toUpperCase());
  }
}
export const getRoom = (code) => request("GET", `/api/rooms/${encodeURIComponent(code)}`);
export const createRoom = (payload) => request("POST", "/api/rooms", payload);
export const getGame = (id) => request("GET", `/api/games/${encodeURIComponent(id)}`);

/** A word file's text read by the server: {words, refused: [{line, text, code, message}], refused_total}. */
export async function parseWordFile(text) {
  let res;
  try {
    res = await fetch(url("/api/words/parse"), {
      method: "POST", headers: { "Content-Type": "text/plain; charset=utf-8" }, body: text, cache: "no-store",
    });
  } catch {
    throw new ApiError(0, { error: { message: t("net.unreachable") } });
  }
  const data = await res.json().catch(() => null);
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

let languagesPromise = null;
/** The shipped word lists, fetched once; falls back to English alone. */
export function getLanguages() {
  // Revalidated, not fetched again: the server answers 304 until its word lists change.
  languagesPromise ??= request("GET", "/api/languages", undefined, "no-cache")
    .then((data) => data.languages ?? [])
    .catch(() => [{ code: "en", name: "English", words: 0 }]); // the list's own name for it
  return languagesPromise;
}
