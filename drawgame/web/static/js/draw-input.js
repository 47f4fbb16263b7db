// The drawer's input: pointer events -> ops, drawn locally at once and sent in
// `draw` batches about every 30 ms. Ops made while the connection is down wait
// in the queue and go out after the seat is resumed.

import { CANVAS_W as W, CANVAS_H as H, BACKGROUND, MAX_OPS_PER_FRAME, MAX_POINTS_PER_LINE, OP, C } from "./protocol.js";

const SEND_EVERY_MS = 30;

export class DrawInput {
  /**
   * @param {object} o
   * @param {HTMLCanvasElement} o.canvas
   * @param {import("./canvas.js").Board} o.board
   * @param {() => boolean} o.canDraw  whether this player may draw now
   * @param {() => boolean} o.canSend  whether the connection is joined and open
   * @param {(msg: object) => void} o.send
   * @param {HTMLElement} [o.cursor] brush preview element
   */
  constructor({ canvas, board, canDraw, canSend, send, cursor }) {
    Object.assign(this, { canvas, board, canDraw, canSend, send, cursor });
    this.tool = "pen";
    this.colour = "#1b1b1f";
    this.width = 6;
    this.nextId = 0;
    this.queue = [];
    this.stroke = null; // {pointerId, kind, id, c, w, last: [x, y], piece: number[], fresh: number}
    this.bind();
    setInterval(() => this.tick(), SEND_EVERY_MS);
  }

  bind() {
    const c = this.canvas;
    c.addEventListener("pointerdown", (e) => this.down(e));
    c.addEventListener("pointermove", (e) => this.move(e));
    c.addEventListener("pointerup", (e) => this.up(e));
    c.addEventListener("pointercancel", (e) => this.up(e));
    c.addEventListener("lostpointercapture", (e) => this.up(e));
    c.addEventListener("pointerleave", () => this.hideCursor());
    c.addEventListener("contextmenu", (e) => { if (this.canDraw()) e.preventDefault(); });
  }

  /** Logical canvas coordinates of a pointer event, clamped into the canvas. */
  point(e) {
    const rect = this.canvas.getBoundingClientRect();
    const x = Math.round(((e.clientX - rect.left) * W) / rect.width);
    const y = Math.round(((e.clientY - rect.top) * H) / rect.height);
    return [Math.min(W, Math.max(0, x)), Math.min(H, Math.max(0, y))];
  }

  down(e) {
    if (!this.canDraw() || this.stroke || (e.pointerType === "mouse" && e.button !== 0)) return;
    e.preventDefault();
    const [x, y] = this.point(e);
    if (this.tool === "fill") {
      this.emit({ op: OP.FILL, x: Math.min(W - 1, x), y: Math.min(H - 1, y), c: this.colour });
      return;
    }
    this.canvas.setPointerCapture?.(e.pointerId);
    const kind = this.tool === "eraser" ? OP.ERASE : OP.LINE;
    const c = kind === OP.ERASE ? BACKGROUND : this.colour;
    this.stroke = { pointerId: e.pointerId, kind, id: this.nextId++, c, w: this.width, last: [x, y], piece: [x, y], fresh: 1 };
    this.board.apply(this.pieceOp(this.stroke, [x, y]));
  }

  move(e) {
    this.moveCursor(e);
    const s = this.stroke;
    if (!s || e.pointerId !== s.pointerId) return;
    e.preventDefault();
    const events = e.getCoalescedEvents?.() ?? [];
    const added = [];
    for (const ev of events.length ? events : [e]) {
      const [x, y] = this.point(ev);
      if (x === s.last[0] && y === s.last[1]) continue;
      this.addPoint(s, x, y);
      added.push(x, y);
    }
    if (added.length) this.board.apply(this.pieceOp(s, added));
  }

  up(e) {
    const s = this.stroke;
    if (!s || e.pointerId !== s.pointerId) return;
    this.stroke = null;
    this.flushPiece(s);
    this.tick();
  }

  addPoint(s, x, y) {
    if (s.piece.length / 2 >= MAX_POINTS_PER_LINE) this.flushPiece(s);
    s.piece.push(x, y);
    s.fresh++;
    s.last = [x, y];
  }

  pieceOp(s, p) {
    return { op: s.kind, id: s.id, c: s.c, w: s.w, p };
  }

  /** Queue the stroke's points so far; the next piece starts at its last point. */
  flushPiece(s) {
    if (!s || s.fresh === 0) return;
    this.queue.push(this.pieceOp(s, s.piece));
    s.piece = [s.last[0], s.last[1]];
    s.fresh = 0;
  }

  /** Draw a non-stroke op locally and queue it. */
  emit(op) {
    this.flushPiece(this.stroke);
    this.board.apply(op);
    this.queue.push(op);
    this.tick();
  }

  undo() {
    if (this.canDraw()) this.emit({ op: OP.UNDO });
  }

  clear() {
    if (this.canDraw()) this.emit({ op: OP.CLEAR });
  }

  tick() {
    if (this.stroke) this.flushPiece(this.stroke);
    if (!this.queue.length || !this.canSend()) return;
    while (this.queue.length) this.send({ type: C.DRAW, ops: this.queue.splice(0, MAX_OPS_PER_FRAME) });
  }

  /**
   * After a (re)join: keep stroke ids rising past the snapshot's and, when still
   * drawing, put the ops made offline on top of the snapshot and send them.
   */
  resume() {
    this.nextId = Math.max(this.nextId, this.board.maxStrokeId() + 1);
    if (this.stroke) this.flushPiece(this.stroke);
    if (!this.canDraw()) {
      this.discard();
      return;
    }
    for (const op of this.queue) this.board.apply(op);
    this.tick();
  }

  /** Forget unsent ops and any stroke in progress (the turn ended). */
  discard() {
    this.queue = [];
    this.stroke = null;
  }

  pending() {
    return this.queue.length;
  }

  // --- brush preview ----------------------------------------------------------------

  moveCursor(e) {
    const cursor = this.cursor;
    if (!cursor) return;
    if (!this.canDraw() || this.tool === "fill" || e.pointerType === "touch") {
      this.hideCursor();
      return;
    }
    const rect = this.canvas.getBoundingClientRect();
    const size = Math.max(4, (this.width * rect.width) / W);
    cursor.style.width = `${size}px`;
    cursor.style.height = `${size}px`;
    cursor.style.transform = `translate(${e.clientX - rect.left - size / 2}px, ${e.clientY - rect.top - size / 2}px)`;
    cursor.hidden = false;
  }

  hideCursor() {
    if (this.cursor) this.cursor.hidden = true;
  }
}
