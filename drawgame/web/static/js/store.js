// localStorage wrapper: the player's name, one resume token per room, the mute flag.
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

export const setSeat = (code, seat) => write(`seat.${code}`, seat ? JSON.stringify(seat) : null);

export const getMuted = () => read("muted") === "1";
export const setMuted = (muted) => write("muted", muted ? "1" : "0");

export const getSpectate = () => read("spectate") === "1";
export const setSpectate = (on) => write("spectate", on ? "1" : "0");
