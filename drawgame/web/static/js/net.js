// The room's WebSocket: hello/resume, batched frames, reconnect with exponential
// backoff and jitter, planned reconnects after `shutdown`, ping/pong latency.
// Every connect first asks the room's summary where it is served (`ws_path`):
// with several workers a room moves when its worker stops or dies.

import { findRoom } from "./api.js";
import { url } from "./paths.js";
import { C, S, CLOSE_CODE, FATAL_CLOSES } from "./protocol.js";

const PING_EVERY_MS = 5000;
const PONG_TIMEOUT_MS = 10000;
const CONNECT_TIMEOUT_MS = 10000;
const BACKOFF_BASE_MS = 500;
const BACKOFF_BUSY_MS = 3000;
const BACKOFF_CAP_MS = 15000;
const RESTART_RETRY_MS = 800; // while a restarting server comes back: steady, quick retries
const RESTART_RETRIES = 30;

/** Connection states, as shown to the player. */
export const NET = Object.freeze({
  CONNECTING: "connecting", // socket opening or hello sent
  ONLINE: "online",         // welcomed
  WAITING: "waiting",       // dropped; a reconnect is scheduled
  STOPPED: "stopped",       // no more reconnects (kicked, not found, replaced, left)
});

/** The WebSocket URL of a room's `ws_path` on this page's host. */
export function socketUrl(path) {
  const scheme = window.location.protocol === "https:" ? "wss" : "ws";
  return `${scheme}://${window.location.host}${path}`;
}

export class Connection {
  /**
   * @param {string} code room code
   * @param {object} o
   * @param {() => object} o.hello builds the hello message (with the stored token)
   * @param {(msg: object) => void} o.onMessage each server message, in order
   * @param {(status: object) => void} o.onStatus {state, attempt, retryAt, latency, closeCode}
   * @param {(code: number, reason: string) => void} o.onFatal a close that ends reconnecting
   */
  constructor(code, { hello, onMessage, onStatus, onFatal }) {
    Object.assign(this, { code, hello, onMessage, onStatus, onFatal });
    this.ws = null;
    this.state = NET.CONNECTING;
    this.attempt = 0;
    this.latency = null;
    this.retryAt = null;
    this.plannedAt = null;
    this.busy = false;
    this.restarting = false; // a `shutdown` announced this drop
    this.timers = {};
    this.pingSentAt = null; // set while a ping waits for any answer
    this.connects = 0; // counts connect() calls: an older one's late answer is ignored
    window.addEventListener("online", () => this.retrySoon());
    document.addEventListener("visibilitychange", () => { if (!document.hidden) this.retrySoon(); });
  }

  isReady() {
    return this.state === NET.ONLINE && this.ws?.readyState === WebSocket.OPEN;
  }

  async connect() {
    this.clearTimers();
    this.detach(true);
    this.setState(NET.CONNECTING);
    const mine = ++this.connects;
    let path;
    try {
      path = (await findRoom(this.code)).ws_path || url(`/ws/${encodeURIComponent(this.code)}`);
    } catch (err) {
      if (mine !== this.connects || this.state === NET.STOPPED) return;
      if (err.status === 404) {
        this.setState(NET.STOPPED, CLOSE_CODE.NOT_FOUND);
        this.onFatal(CLOSE_CODE.NOT_FOUND, err.message);
      } else {
        this.scheduleReconnect(CLOSE_CODE.TRY_LATER);
      }
      return;
    }
    if (mine !== this.connects || this.state === NET.STOPPED) return;
    const ws = new WebSocket(socketUrl(path));
    this.ws = ws;
    ws.onopen = () => this.opened(ws);
    ws.onmessage = (e) => this.received(ws, e.data);
    ws.onclose = (e) => this.closed(ws, e.code, e.reason);
    ws.onerror = () => {}; // a close event always follows
    this.timers.connect = setTimeout(() => this.drop(ws, 4000), CONNECT_TIMEOUT_MS);
  }

  /** Send one message; false when the socket is not open. */
  send(msg) {
    if (this.ws?.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(msg));
    return true;
  }

  /** Close for good (leave, kicked...): no reconnect. */
  stop() {
    this.clearTimers();
    this.detach(true);
    this.setState(NET.STOPPED);
  }

  /** Drop the current socket and connect again at once (e.g. after a new name). */
  restart() {
    this.attempt = 0;
    this.connect();
  }

  /** Close and come back later with the longer "busy" backoff (maintenance). */
  retryLater() {
    this.clearTimers();
    this.detach(true);
    this.busy = true;
    this.scheduleReconnect(CLOSE_CODE.TRY_LATER);
  }

  /** Reconnect now instead of waiting for the backoff timer. */
  retrySoon() {
    if (this.state === NET.WAITING) {
      this.attempt = 0;
      this.connect();
    }
  }

  // --- socket events ----------------------------------------------------------------

  opened(ws) {
    if (ws !== this.ws) return;
    clearTimeout(this.timers.connect);
    this.pingSentAt = null;
    this.send(this.hello());
  }

  received(ws, data) {
    if (ws !== this.ws) return;
    this.pingSentAt = null; // anything heard proves the socket is alive
    let parsed;
    try {
      parsed = JSON.parse(data);
    } catch {
      return; // not ours to fix; the server never sends this
    }
    for (const msg of Array.isArray(parsed) ? parsed : [parsed]) {
      if (msg && typeof msg === "object") this.handle(msg);
      if (ws !== this.ws) return; // a handler restarted or stopped the connection
    }
  }

  handle(msg) {
    if (msg.type === S.WELCOME) this.welcomed();
    else if (msg.type === S.PONG) this.ponged(msg);
    else if (msg.type === S.SHUTDOWN) this.plannedAt = performance.now() + Math.max(0, Number(msg.reconnect_in_ms) || 0);
    this.onMessage(msg);
  }

  welcomed() {
    this.attempt = 0;
    this.busy = false;
    this.restarting = false;
    this.plannedAt = null;
    this.setState(NET.ONLINE);
    this.startPing();
  }

  ponged(msg) {
    if (typeof msg.t === "number") this.latency = Math.max(0, Math.round(performance.now() - msg.t));
    this.emitStatus();
  }

  closed(ws, code, reason) {
    if (ws !== this.ws) return;
    this.ws = null;
    this.clearTimers();
    if (this.state === NET.STOPPED) return;
    if (FATAL_CLOSES.has(code)) {
      this.setState(NET.STOPPED, code);
      this.onFatal(code, reason);
      return;
    }
    if (code === CLOSE_CODE.MOVED) { // served by another worker now: ask where, at once
      this.attempt = 0;
      this.connect();
      return;
    }
    this.busy = code === CLOSE_CODE.TRY_LATER;
    this.scheduleReconnect(code);
  }

  /** Give up on a socket that went silent: forget it and reconnect. */
  drop(ws, code) {
    if (ws !== this.ws) return;
    this.detach(true);
    this.ws = null;
    this.clearTimers();
    this.scheduleReconnect(code);
  }

  // --- reconnecting -----------------------------------------------------------------

  scheduleReconnect(closeCode) {
    const delay = this.nextDelay();
    this.retryAt = Date.now() + delay;
    this.setState(NET.WAITING, closeCode);
    this.timers.retry = setTimeout(() => this.connect(), delay);
  }

  /**
   * Wait out a planned restart and then retry steadily for a while (the server
   * is known to be coming back); otherwise exponential backoff with jitter.
   */
  nextDelay() {
    const now = performance.now();
    if (this.plannedAt !== null && this.plannedAt > now - 1000) {
      const wait = Math.max(0, this.plannedAt - now);
      this.plannedAt = null;
      this.restarting = true;
      this.attempt = 0;
      return wait + Math.random() * 400;
    }
    if (this.restarting && this.attempt < RESTART_RETRIES) {
      this.attempt++;
      return RESTART_RETRY_MS / 2 + Math.random() * RESTART_RETRY_MS;
    }
    const base = this.busy ? BACKOFF_BUSY_MS : BACKOFF_BASE_MS;
    const ceiling = Math.min(BACKOFF_CAP_MS, base * 2 ** this.attempt);
    this.attempt++;
    return ceiling / 2 + Math.random() * (ceiling / 2);
  }

  startPing() {
    clearInterval(this.timers.ping);
    // A ping unanswered for PONG_TIMEOUT_MS means a dead socket. Background
    // tabs run this timer rarely, which only makes pings rarer, never a drop.
    const ping = () => {
      const now = performance.now();
      if (this.pingSentAt !== null) {
        if (now - this.pingSentAt > PONG_TIMEOUT_MS) this.drop(this.ws, 4000);
        return;
      }
      this.pingSentAt = now;
      this.send({ type: C.PING, t: now });
    };
    ping();
    this.timers.ping = setInterval(ping, PING_EVERY_MS);
  }

  // --- plumbing -----------------------------------------------------------------------

  detach(close = false) {
    const ws = this.ws;
    if (!ws) return;
    ws.onopen = ws.onmessage = ws.onclose = null;
    if (close && ws.readyState <= WebSocket.OPEN) ws.close(1000);
    this.ws = null;
  }

  clearTimers() {
    clearTimeout(this.timers.connect);
    clearTimeout(this.timers.retry);
    clearInterval(this.timers.ping);
  }

  setState(state, closeCode = null) {
    this.state = state;
    if (state !== NET.WAITING) this.retryAt = null;
    this.closeCode = closeCode;
    this.emitStatus();
  }

  emitStatus() {
    this.onStatus({
      state: this.state, attempt: this.attempt, retryAt: this.retryAt,
      latency: this.latency, closeCode: this.closeCode, busy: this.busy, restarting: this.restarting,
    });
  }
}
