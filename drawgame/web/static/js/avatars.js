// Drawn avatars: the room's faces by player id (the snapshot's `avatars`, then `avatar`
// messages) and their drawing as inline SVG wherever a player is shown: player list,
// chat, podium, TV screen, album. Where a player has none (or the host hid it), the
// coloured letter of the name. A face drawn from the room's faces updates in place when
// the face changes or is hidden; one drawn from an album's `avatars` stays as it is.

import { h } from "./dom.js";
import { AVATAR_PALETTE, AVATAR_SIZE } from "./protocol.js";

const SVG_NS = "http://www.w3.org/2000/svg";
const live = new Map();

/** A stable hue for a player's letter, from their id. */
export function hueOf(id) {
  let hash = 0;
  for (const ch of String(id)) hash = (hash * 31 + ch.codePointAt(0)) >>> 0;
  return hash % 360;
}

const initial = (name) => [...String(name ?? "")][0]?.toUpperCase() ?? "?";

/** The room's faces, kept as the server sends them. */
export const faces = {
  /** The snapshot's `avatars` (player id → strokes) replace every face. */
  load(map) {
    live.clear();
    for (const [id, strokes] of Object.entries(map ?? {})) if (Array.isArray(strokes) && strokes.length) live.set(id, strokes);
    for (const el of document.querySelectorAll('[data-face="live"]')) paint(el, null);
  },
  /** An `avatar` message: a face appeared, changed, or is gone (null: hidden or cleared). */
  set(id, strokes) {
    if (Array.isArray(strokes) && strokes.length) live.set(id, strokes);
    else live.delete(id);
    refresh(id);
  },
  /** Forget the faces of seats no longer in the room (left, expired, kicked). */
  prune(players) {
    const seated = new Set((players ?? []).map((p) => p.id));
    for (const id of [...live.keys()]) {
      if (!seated.has(id)) {
        live.delete(id);
        refresh(id);
      }
    }
  },
  get: (id) => live.get(id) ?? null,
};

function refresh(id) {
  for (const el of document.querySelectorAll('[data-face="live"]')) if (el.dataset.faceOf === id) paint(el, null);
}

/**
 * A player's face: their drawing, else the letter of `name` on a colour of their own.
 * `source` is an album's `avatars` (player id → strokes); without it, the room's faces.
 * Decorative (the name is always beside it): hidden from assistive technology.
 */
export function avatarEl(id, name, { source = null, cls = "" } = {}) {
  const el = h("span", { class: `avatar ${cls}`.trim(), "aria-hidden": "true",
    dataset: { faceOf: String(id ?? ""), face: source ? "album" : "live", name: String(name ?? "") } });
  paint(el, source);
  return el;
}

function paint(el, source) {
  const id = el.dataset.faceOf;
  const strokes = source ? source[id] : live.get(id);
  el.style.setProperty("--hue", String(hueOf(id || el.dataset.name)));
  const drawn = Array.isArray(strokes) && strokes.length > 0;
  el.classList.toggle("has-face", drawn);
  el.dataset.drawn = String(drawn);
  if (drawn) el.replaceChildren(faceSvg(strokes));
  else el.textContent = initial(el.dataset.name);
}

function svg(tag, attrs) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attrs)) el.setAttribute(key, String(value));
  return el;
}

/** An avatar's strokes as an SVG image of the 64 × 64 logical square, drawn on white. */
export function faceSvg(strokes) {
  const root = svg("svg", { viewBox: `0 0 ${AVATAR_SIZE} ${AVATAR_SIZE}`, class: "face", focusable: "false" });
  root.append(svg("rect", { width: AVATAR_SIZE, height: AVATAR_SIZE, fill: AVATAR_PALETTE[0] }));
  for (const stroke of strokes) {
    const shape = strokeShape(stroke);
    if (shape) root.append(shape);
  }
  return root;
}

/** One stroke: a dot as wide as the stroke for a single point, else a round-capped path. */
export function strokeShape(stroke) {
  const [colour, width, ...points] = stroke;
  const fill = AVATAR_PALETTE[colour] ?? AVATAR_PALETTE[1];
  // A point is the centre of its cell of the 64 × 64 grid.
  const at = (v) => v + 0.5;
  if (points.length < 2) return null;
  if (points.length === 2) return svg("circle", { cx: at(points[0]), cy: at(points[1]), r: width / 2, fill });
  let d = `M${at(points[0])} ${at(points[1])}`;
  for (let i = 2; i + 1 < points.length; i += 2) d += `L${at(points[i])} ${at(points[i + 1])}`;
  return svg("path", { d, fill: "none", stroke: fill, "stroke-width": width, "stroke-linecap": "round", "stroke-linejoin": "round" });
}
