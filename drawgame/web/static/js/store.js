// localStorage wrapper: the player's name, one resume token per room (and the last few
// seats held there, for albums), the browser's room markers, the mute, streamer and
// controller flags, the drawn avatar.
// Storage may be unavailable (private modes, disabled cookies): then nothing is kept.

const PREFIX = "drawgame.";

function read(key) {
  try {
    return localStorage.getItem(PREFIX + key);
  } catch {
    return null;
  }
}

function write(key, value) {
  try {
    if (value === null || value === undefined) localStorage.removeItem(PREFIX + key);
    else localStorage.setItem(PREFIX + key, value);
  } catch {
    // Storage full or blocked: the game still works, it just forgets.
  }
}

export const getName = () => read("name") ?? "";
export const setName = (name) => write("name", name);

/** The seat of this browser in a room: {id, token} or null. */
export function getSeat(code) {
  const raw = read(`seat.${code}`);
  if (!raw) return null;
  try {
    const seat = JSON.parse(raw);
    return typeof seat?.token === "string" ? seat : null;
  } catch {
    return null;
  }
}

export function setSeat(code, seat) {
  write(`seat.${code}`, seat ? JSON.stringify(seat) : null);
  if (seat?.token && seat?.id) rememberSeat(code, seat);
}

/** Seats kept per room after they are left, so their albums can still be hidden from. */
const SEATS_KEPT = 8;

/**
 * Every seat this browser held in a room lately, newest first (at most SEATS_KEPT):
 * [{id, token}]. A seat that expired is forgotten for resuming but kept here, since
 * it still proves who drew in that room's albums.
 */
export function getSeats(code) {
  let list = [];
  try {
    list = JSON.parse(read(`seats.${code}`) ?? "[]");
  } catch {
    list = [];
  }
  const current = getSeat(code);
  const all = current ? [current, ...list] : list;
  return all.filter((s, i) => typeof s?.token === "string" && typeof s?.id === "string"
    && all.findIndex((o) => o.id === s.id) === i);
}

function rememberSeat(code, seat) {
  const kept = getSeats(code).filter((s) => s.id !== seat.id);
  write(`seats.${code}`, JSON.stringify([{ id: seat.id, token: seat.token }, ...kept].slice(0, SEATS_KEPT)));
}

export const getMuted = () => read("muted") === "1";
export const setMuted = (muted) => write("muted", muted ? "1" : "0");

export const getSpectate = () => read("spectate") === "1";
export const setSpectate = (on) => write("spectate", on ? "1" : "0");

/** The TV screen's seat in a room (its own token, apart from a player's seat in this browser). */
export const getTvSeat = (code) => getSeat(`tv.${code}`);
export const setTvSeat = (code, seat) => setSeat(`tv.${code}`, seat);

/**
 * This browser's random marker for a room, made on first use and kept: the server bans it
 * with a kick, so a kicked browser cannot come back under a new name.
 */
export function getMarker(code) {
  const key = `marker.${code}`;
  let marker = read(key);
  if (!marker || !/^[A-Za-z0-9_-]{16,64}$/.test(marker)) {
    const bytes = crypto.getRandomValues(new Uint8Array(18));
    marker = btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_");
    write(key, marker);
  }
  return marker;
}

/** This browser's drawn avatar (its strokes, PROTOCOL.md's Avatar), or null. */
export function getAvatar() {
  try {
    const strokes = JSON.parse(read("avatar") ?? "null");
    return Array.isArray(strokes) && strokes.length ? strokes : null;
  } catch {
    return null;
  }
}
export const setAvatar = (strokes) => write("avatar", strokes?.length ? JSON.stringify(strokes) : null);

export const getStreamer = () => read("streamer") === "1";
export const setStreamer = (on) => write("streamer", on ? "1" : "0");

/** Whether this phone wants the controller layout while a TV screen shows the game. */
export const getController = () => read("controller") !== "0";
export const setController = (on) => write("controller", on ? "1" : "0");
