// The avatar editor: a small square to draw one's face on, with the game's kind of
// tools (pen, eraser, a few colours and widths, undo, clear) and a "random face" to
// start from. It keeps within the server's bounds as it draws (PROTOCOL.md "Avatars"):
// points on the 64 × 64 grid, strokes thinned when they end, and an ink gauge of the
// bytes left; a stroke that would pass them stops there. Keyboard: the arrow keys move
// the pen (with Shift, 4 at a time), Space or Enter puts it down or lifts it.
// Used by the name prompt and, in a dialog, by the room's lobby.

import { h, toast } from "./dom.js";
import { icon } from "./icons.js";
import { t } from "./i18n.js";
import { faceSvg } from "./avatars.js";
import { AVATAR_PALETTE, AVATAR_SIZE, MAX_AVATAR_BYTES, MAX_AVATAR_STROKES } from "./protocol.js";
import * as store from "./store.js";

const COLOURS = [["black", 1], ["peach", 2], ["tan", 3], ["brown", 4], ["red", 5], ["orange", 6],
  ["green", 7], ["blue", 8], ["purple", 9]];
const WIDTHS = [["thin", 2], ["medium", 4], ["thick", 8]];
const HISTORY = 30;
const ERASER = 0;
let made = 0;

/** The bytes an avatar takes on the wire: its compact JSON (what the server counts). */
export const avatarBytes = (strokes) => JSON.stringify(strokes).length;

const clone = (strokes) => strokes.map((s) => [...s]);
const clamp = (v) => Math.min(AVATAR_SIZE - 1, Math.max(0, v));

export class AvatarEditor {
  /** @param {{strokes?: number[][] | null, onChange?: (strokes: number[][]) => void}} o */
  constructor({ strokes = null, onChange = () => {} } = {}) {
    this.uid = `face-${++made}`;
    this.strokes = clone(strokes ?? []);
    this.history = [];
    this.colour = 1;
    this.width = WIDTHS[1][1];
    this.eraser = false;
    this.current = null;
    this.cursor = { x: AVATAR_SIZE / 2, y: AVATAR_SIZE / 2 };
    this.keyPen = false;
    this.showCursor = false;
    this.onChange = onChange;
    this.el = this.build();
    this.render();
  }

  build() {
    const keys = `${this.uid}-keys`;
    this.pad = h("div", { class: "face-pad", tabindex: "0", role: "application", "aria-label": t("avatar.canvas"),
      "aria-describedby": keys, dataset: { testid: "face-pad" } });
    this.bindPointer();
    this.pad.addEventListener("keydown", (e) => this.onKey(e));
    this.pad.addEventListener("focus", () => { this.showCursor = this.pad.matches(":focus-visible"); this.render(); });
    this.pad.addEventListener("blur", () => { this.penUp(); this.showCursor = false; this.render(); });
    this.penButton = this.toolButton("pen", "pen", false);
    this.eraserButton = this.toolButton("eraser", "eraser", true);
    this.ink = h("progress", { class: "face-ink", max: String(MAX_AVATAR_BYTES), "aria-label": t("avatar.ink"),
      dataset: { testid: "face-ink" } });
    this.status = h("p", { class: "face-status small", role: "status", dataset: { testid: "face-status" } });
    const action = (name, iconName, run) => h("button", { type: "button", class: "btn btn-ghost btn-sm",
      dataset: { testid: `face-${name}` }, on: { click: run } }, icon(iconName, 16), h("span", { text: t(`avatar.${name}`) }));
    return h("fieldset", { class: "face-editor", dataset: { testid: "face-editor" } },
      h("legend", { class: "face-legend", text: t("avatar.title") }),
      h("p", { class: "field-note", text: t("avatar.hint") }),
      h("div", { class: "face-body" },
        this.pad,
        h("div", { class: "face-tools" },
          h("div", { class: "face-row", role: "group", "aria-label": t("avatar.tools") }, this.penButton, this.eraserButton),
          this.choices("colour", COLOURS.map(([name, value]) => [t(`avatar.colour.${name}`), value]), this.colour),
          this.choices("width", WIDTHS.map(([name, value]) => [t(`avatar.width.${name}`), value]), this.width),
          h("div", { class: "face-row" },
            action("undo", "undo", () => this.undo()),
            action("clear", "trash", () => this.change([])),
            action("random", "refresh", () => this.change(randomFace()))),
          this.ink, this.status)),
      h("p", { id: keys, class: "sr-only", text: t("avatar.keys") }));
  }

  toolButton(name, iconName, eraser) {
    const button = h("button", { type: "button", class: "btn btn-secondary btn-sm face-tool", "aria-pressed": String(this.eraser === eraser),
      dataset: { testid: `face-${name}` }, on: { click: () => { this.eraser = eraser; this.render(); } } },
    icon(iconName, 16), h("span", { text: t(`avatar.${name}`) }));
    return button;
  }

  /** A radio group (colours or widths): native radios, so arrow keys move within it. */
  choices(kind, options, chosen) {
    const name = `${this.uid}-${kind}`;
    return h("fieldset", { class: `face-choices face-${kind}s` },
      h("legend", { class: "sr-only", text: t(`avatar.${kind}s`) }),
      options.map(([label, value]) => {
        const input = h("input", { type: "radio", name, value: String(value), checked: value === chosen,
          dataset: { testid: `face-${kind}` }, on: { change: () => { this[kind] = value; if (kind === "colour") this.eraser = false; this.render(); } } });
        const sample = h("span", { class: `face-sample face-sample-${kind}`, "aria-hidden": "true" });
        if (kind === "colour") sample.style.setProperty("--swatch", AVATAR_PALETTE[value]);
        else sample.style.setProperty("--dot", `${4 + value * 1.5}px`);
        return h("label", { class: "face-choice", title: label }, input, sample, h("span", { class: "sr-only", text: label }));
      }));
  }

  bindPointer() {
    const pad = this.pad;
    pad.addEventListener("pointerdown", (e) => {
      if (e.button !== 0) return;
      e.preventDefault();
      pad.focus({ preventScroll: true });
      this.showCursor = false;
      this.keyPen = false;
      pad.setPointerCapture?.(e.pointerId);
      this.begin(this.at(e));
    });
    pad.addEventListener("pointermove", (e) => {
      if (this.current && !this.keyPen) for (const ev of e.getCoalescedEvents?.() ?? [e]) this.extend(this.at(ev), 1.5);
    });
    for (const type of ["pointerup", "pointercancel"]) pad.addEventListener(type, () => { if (!this.keyPen) this.end(); });
  }

  at(e) {
    const r = this.pad.getBoundingClientRect();
    return { x: clamp(Math.floor(((e.clientX - r.left) / r.width) * AVATAR_SIZE)),
      y: clamp(Math.floor(((e.clientY - r.top) / r.height) * AVATAR_SIZE)) };
  }

  onKey(e) {
    const moves = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
    if (moves[e.key]) {
      const step = e.shiftKey ? 4 : 1;
      this.cursor = { x: clamp(this.cursor.x + moves[e.key][0] * step), y: clamp(this.cursor.y + moves[e.key][1] * step) };
      this.showCursor = true;
      if (this.keyPen && this.current) this.extend(this.cursor, 0);
      this.render();
    } else if (e.key === " " || e.key === "Enter") {
      if (this.keyPen) this.penUp();
      else {
        this.begin(this.cursor);
        this.keyPen = this.current !== null;
        if (this.keyPen) this.say(t("avatar.penDown"));
      }
      this.showCursor = true;
      this.render();
    } else if (e.key === "Escape" && this.keyPen) {
      this.penUp();
    } else return;
    e.preventDefault();
    e.stopPropagation();
  }

  penUp() {
    if (!this.keyPen) return;
    this.keyPen = false;
    this.end();
    this.say(t("avatar.penUp"));
  }

  begin(p) {
    this.end();
    const stroke = [this.eraser ? ERASER : this.colour, this.width, p.x, p.y];
    if (this.strokes.length >= MAX_AVATAR_STROKES || avatarBytes([...this.strokes, stroke]) > MAX_AVATAR_BYTES) {
      this.say(t("avatar.full"));
      return;
    }
    this.current = stroke;
    this.say("");
    this.render();
  }

  extend(p, least) {
    const s = this.current;
    if (!s) return;
    const [lx, ly] = s.slice(-2);
    if (Math.max(Math.abs(p.x - lx), Math.abs(p.y - ly)) < Math.max(least, 1)) return;
    s.push(p.x, p.y);
    if (avatarBytes([...this.strokes, s]) > MAX_AVATAR_BYTES) {
      s.length -= 2;
      this.say(t("avatar.full"));
      this.end();
      return;
    }
    this.render();
  }

  end() {
    const s = this.current;
    if (!s) return;
    this.current = null;
    this.remember();
    this.strokes.push(simplify(s));
    this.changed();
  }

  remember() {
    this.history.push(clone(this.strokes));
    if (this.history.length > HISTORY) this.history.shift();
  }

  /** Replace the drawing (clear, random face); undo brings the old one back. */
  change(strokes) {
    this.end();
    this.remember();
    this.strokes = clone(strokes);
    this.say("");
    this.changed();
  }

  undo() {
    this.end();
    if (!this.history.length) return;
    this.strokes = this.history.pop();
    this.say("");
    this.changed();
  }

  changed() {
    this.render();
    this.onChange(clone(this.strokes));
  }

  say(text) {
    if (this.status.textContent !== text) this.status.textContent = text;
  }

  render() {
    const all = this.current ? [...this.strokes, this.current] : this.strokes;
    const image = faceSvg(all);
    if (this.showCursor) {
      const ring = document.createElementNS("http://www.w3.org/2000/svg", "circle");
      for (const [k, v] of Object.entries({ cx: this.cursor.x + 0.5, cy: this.cursor.y + 0.5, r: Math.max(1.5, this.width / 2),
        fill: "none", stroke: this.keyPen ? "#c2410c" : "#1971c2", "stroke-width": "0.8", class: "face-cursor" })) ring.setAttribute(k, String(v));
      image.append(ring);
    }
    this.pad.replaceChildren(image);
    this.pad.dataset.strokes = String(this.strokes.length);
    this.ink.value = avatarBytes(this.strokes);
    this.penButton.setAttribute("aria-pressed", String(!this.eraser));
    this.eraserButton.setAttribute("aria-pressed", String(this.eraser));
  }
}

/** Fewer points for the same line (Ramer-Douglas-Peucker, within 0.6 of a grid unit). */
export function simplify(stroke) {
  const [colour, width, ...flat] = stroke;
  const pts = [];
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const last = pts.at(-1);
    if (!last || last[0] !== flat[i] || last[1] !== flat[i + 1]) pts.push([flat[i], flat[i + 1]]);
  }
  if (pts.length < 3) return [colour, width, ...pts.flat()];
  const keep = new Array(pts.length).fill(false);
  keep[0] = keep[pts.length - 1] = true;
  const stack = [[0, pts.length - 1]];
  while (stack.length) {
    const [a, b] = stack.pop();
    let far = -1;
    let dist = 0.6;
    for (let i = a + 1; i < b; i++) {
      const d = distance(pts[i], pts[a], pts[b]);
      if (d > dist) [far, dist] = [i, d];
    }
    if (far >= 0) {
      keep[far] = true;
      stack.push([a, far], [far, b]);
    }
  }
  return [colour, width, ...pts.filter((_, i) => keep[i]).flat()];
}

function distance([x, y], [ax, ay], [bx, by]) {
  const dx = bx - ax;
  const dy = by - ay;
  const len = Math.hypot(dx, dy);
  if (!len) return Math.hypot(x - ax, y - ay);
  return Math.abs(dy * x - dx * y + bx * ay - by * ax) / len;
}

/** A random face to start from: a head, maybe hair, eyes, a mouth, maybe cheeks. */
export function randomFace(rand = Math.random) {
  const int = (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1));
  const pick = (list) => list[Math.floor(rand() * list.length)];
  const cx = 32;
  const cy = int(33, 36);
  const head = int(40, 46);
  const top = cy - Math.floor(head / 2);
  const hair = pick([1, 4, 3, 6, 5, 9]);
  const strokes = [[pick([2, 2, 3, 4, 6, 7, 8]), head, cx, cy]];
  const style = pick(["none", "fringe", "spikes", "bun", "cap"]);
  if (style === "fringe") strokes.push([hair, 7, cx - 15, top + 7, cx - 7, top + 3, cx, top + 4, cx + 8, top + 3, cx + 15, top + 7]);
  else if (style === "spikes") {
    strokes.push([hair, 3, cx - 12, top + 4, cx - 8, top - 4, cx - 4, top + 2, cx, top - 5, cx + 4, top + 2, cx + 8, top - 4, cx + 12, top + 4]);
  } else if (style === "bun") strokes.push([hair, 12, cx, Math.max(6, top)], [hair, 5, cx - 12, top + 6, cx, top + 2, cx + 12, top + 6]);
  else if (style === "cap") strokes.push([hair, 8, cx - 16, top + 6, cx, top + 1, cx + 16, top + 6], [hair, 3, cx + 10, top + 7, cx + 22, top + 8]);
  const eyeY = cy - int(2, 6);
  const gap = int(7, 10);
  const eyes = pick(["dots", "big", "closed"]);
  if (eyes === "closed") strokes.push([1, 2, cx - gap - 3, eyeY, cx - gap + 3, eyeY], [1, 2, cx + gap - 3, eyeY, cx + gap + 3, eyeY]);
  else {
    const size = eyes === "big" ? 7 : int(3, 5);
    strokes.push([1, size, cx - gap, eyeY], [1, size, cx + gap, eyeY]);
    if (eyes === "big") strokes.push([0, 2, cx - gap + 1, eyeY - 1], [0, 2, cx + gap + 1, eyeY - 1]);
  }
  const mouthY = cy + int(7, 10);
  const mouth = pick(["smile", "grin", "open", "flat"]);
  if (mouth === "smile") strokes.push([1, 2, cx - 8, mouthY - 2, cx - 4, mouthY + 1, cx, mouthY + 2, cx + 4, mouthY + 1, cx + 8, mouthY - 2]);
  else if (mouth === "grin") strokes.push([5, 4, cx - 7, mouthY - 1, cx, mouthY + 3, cx + 7, mouthY - 1]);
  else if (mouth === "open") strokes.push([1, int(5, 7), cx, mouthY]);
  else strokes.push([1, 2, cx - 5, mouthY, cx + 5, mouthY]);
  if (rand() < 0.5) strokes.push([5, 4, cx - gap - 4, mouthY - 4], [5, 4, cx + gap + 4, mouthY - 4]);
  return strokes.map((s) => [s[0], s[1], ...s.slice(2).map((v) => clamp(Math.round(v)))]);
}

/**
 * The lobby's "your face" button: it opens the editor in a dialog; Save keeps the face
 * in this browser and hands it to `send` (null when the drawing is empty).
 */
export function faceButton(before, { send }) {
  const preview = h("span", { class: "avatar face-preview", "aria-hidden": "true" });
  const paintPreview = () => {
    const mine = store.getAvatar();
    preview.replaceChildren(mine ? faceSvg(mine) : icon("pen", 16));
  };
  const button = h("button", { type: "button", class: "btn btn-secondary btn-sm face-button", dataset: { testid: "face-edit" } },
    preview, h("span", { text: t("avatar.edit") }));
  const title = `face-dialog-title-${++made}`;
  const dialog = h("dialog", { class: "face-dialog", "aria-labelledby": title, dataset: { testid: "face-dialog" } });
  let editor = null;
  const close = () => { dialog.close(); button.focus(); };
  const save = () => {
    const strokes = editor.strokes;
    store.setAvatar(strokes);
    if (send(strokes.length ? strokes : null) !== false) toast(t("avatar.saved"), "ok");
    paintPreview();
    close();
  };
  button.addEventListener("click", () => {
    editor = new AvatarEditor({ strokes: store.getAvatar() });
    dialog.replaceChildren(
      h("h2", { id: title, class: "panel-title", text: t("avatar.edit") }),
      editor.el,
      h("div", { class: "screen-actions" },
        h("button", { type: "button", class: "btn btn-primary", dataset: { testid: "face-save" }, text: t("avatar.save"), on: { click: save } }),
        h("button", { type: "button", class: "btn btn-secondary", dataset: { testid: "face-cancel" }, text: t("avatar.cancel"), on: { click: close } })));
    dialog.showModal();
    editor.pad.focus();
  });
  paintPreview();
  before.before(button);
  document.body.append(dialog);
  return button;
}
