// Load generator for the fan-out and idle-memory benchmarks (run by bench/fanout.py).
//
// fanout: ROOMS rooms of PLAYERS real WebSocket clients; in each room one drawer
// sends RATE draw frames a second (one line op of POINTS points); every other
// player receives them. The stroke id of each op is a sequence number, so a
// receiver looks up when its frame was sent: latency is measured inside this one
// process, on one clock. After the run, a frame is lost if any of the players
// who should have had it did not get it within DRAIN_MS.
//
// With GAME=telephone (drawgame only) the rooms play the telephone mode instead: every
// player writes page 1, then all PLAYERS draw their own page at once, RATE frames a
// second each, and nothing is fanned out. What counts then is the server's CPU per
// frame it received, how long a frame waited from its arrival until its record was
// queued (the server's drawgame_draw_handled_seconds histogram, read from /metrics
// before and after the measured window), refusals, and (checked by the orchestrator
// in the database afterwards) that every op sent was stored.
//
// idle: ROOMS rooms of PLAYERS clients who join (hello, welcome) and then only
// stay connected; the orchestrator reads the server's memory meanwhile. With
// --avatar=max each player's hello carries a drawn avatar of its largest size
// (MAX_AVATAR_BYTES of JSON, different for every player).
//
// Servers: `drawgame` (rooms made over HTTP, a game started and a word chosen
// so that the drawer may draw) or `relay` (bench/relay_websockets.py: a bare
// relay that speaks just enough of the protocol).
//
// Prints one JSON object on stdout when done; progress goes to stderr.

import { WebSocket } from "ws";
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";

const args = Object.fromEntries(
  process.argv.slice(2).map((a) => {
    const [k, v] = a.replace(/^--/, "").split("=");
    return [k, v ?? "1"];
  }),
);
const MODE = args.mode ?? "fanout";
const SERVER = args.server ?? "drawgame";
const BASE = args.url ?? "http://127.0.0.1:8000";
const ROOMS = Number(args.rooms ?? 100);
const PLAYERS = Number(args.players ?? 8);
const RATE = Number(args.rate ?? 30);
const POINTS = Number(args.points ?? 8);
const SECONDS = Number(args.seconds ?? 10);
const WARMUP_S = Number(args.warmup ?? 2);
const DRAIN_MS = Number(args.drain ?? 3000);
const DEFLATE = args.deflate === "1" || args.deflate === "on";
// The server's pid, or several (a cluster's supervisor, workers and proxy): their CPU adds up.
const SERVER_PIDS = args.pid ? String(args.pid).split(",").map(Number) : [];
const HOLD_S = Number(args.hold ?? 0);
const GAME = args.game ?? "classic";
const AVATAR = args.avatar ?? "none";
const MAX_AVATAR_BYTES = 512; // drawgame/game/avatar.py

/** A drawn avatar of exactly MAX_AVATAR_BYTES bytes of JSON, different for each `seed`. */
function largestAvatar(seed) {
  let x = seed * 2654435761 % 4294967296;
  const next = (lo, hi) => { x = (x * 1103515245 + 12345) % 2147483648; return lo + (x % (hi - lo + 1)); };
  const stroke = [1, 2];
  const size = () => JSON.stringify([stroke]).length;
  while (size() + 6 <= MAX_AVATAR_BYTES - 40) stroke.push(next(10, 63), next(10, 63));
  while (size() + 4 <= MAX_AVATAR_BYTES) stroke.push(next(1, 9), next(1, 9));
  // 0..3 bytes short: that many one-digit coordinates become two-digit ones.
  for (let i = stroke.length - 1; size() < MAX_AVATAR_BYTES; i--) stroke[i] += 10;
  return [stroke];
}

const wsBase = BASE.replace(/^http/, "ws");
const log = (...m) => process.stderr.write(m.join(" ") + "\n");
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function cpuSeconds(pids) {
  if (!pids.length) return null;
  let ticks = 0;
  for (const pid of pids) {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    ticks += Number(fields[11]) + Number(fields[12]); // utime + stime
  }
  return ticks / 100; // USER_HZ is 100 on Linux
}

async function createRoom(i) {
  if (SERVER !== "drawgame") return { code: `R${String(i).padStart(7, "0")}`, wsPath: null };
  const settings = GAME === "telephone"
    ? { max_players: Math.max(3, PLAYERS), mode: "telephone", write_time_s: 120, draw_time_s: 240,
        steps: 2 }
    : { max_players: Math.max(2, PLAYERS), rounds: 1, draw_time_s: 240,
        choose_time_s: 30, hints: 0, word_choices: 1 };
  for (let attempt = 0; ; attempt++) {
    const res = await fetch(`${BASE}/api/rooms`, {
      method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: `bench ${i}`, private: true, settings }),
    });
    if (res.status === 201) {
      const body = await res.json();
      return { code: body.code, wsPath: body.room.ws_path ?? `/ws/${body.code}` };
    }
    if (attempt > 20) throw new Error(`room creation: HTTP ${res.status}`);
    await sleep(200);
  }
}

class Player {
  constructor(room, index) {
    this.room = room;
    this.index = index;
    this.id = null;
    this.handlers = [];
  }

  open() {
    const path = this.room.wsPath ?? `/ws/${this.room.code}`;
    this.ws = new WebSocket(wsBase + path, { perMessageDeflate: DEFLATE });
    this.ws.binaryType = "nodebuffer";
    this.ws.on("message", (data, isBinary) => this.onFrame(data, isBinary));
    this.ws.on("error", (e) => { stats.errors++; if (stats.errors < 5) log("ws error", e.message); });
    this.ws.on("close", (code) => { if (!stopping) { stats.closes[code] = (stats.closes[code] ?? 0) + 1; } });
    return new Promise((resolve, reject) => {
      this.ws.once("open", resolve);
      this.ws.once("error", reject);
    });
  }

  send(msg) {
    this.ws.send(typeof msg === "string" ? msg : JSON.stringify(msg));
  }

  onFrame(data) {
    stats.frames++;
    const text = data.toString();
    const parsed = JSON.parse(text);
    const msgs = Array.isArray(parsed) ? parsed : [parsed];
    for (const m of msgs) {
      if (m.type === "draw") this.onDraw(m);
      if (m.type === "error") { stats.refused++; if (stats.refused < 5) log("refused", m.code); }
      for (const h of this.handlers.splice(0)) h(m) || this.handlers.push(h);
    }
  }

  onDraw(m) {
    const now = performance.now();
    for (const op of m.ops) {
      const sent = this.room.sent.get(op.id);
      if (sent === undefined) continue;
      sent.got++;
      if (sent.measured) {
        stats.deliveries++;
        stats.latencies.push(now - sent.at);
      }
    }
  }

  waitFor(pred) {
    return new Promise((resolve) => {
      this.handlers.push((m) => { if (pred(m)) { resolve(m); return true; } return false; });
    });
  }
}

const stats = { frames: 0, deliveries: 0, latencies: [], errors: 0, closes: {}, sentMeasured: 0,
                lost: 0, refused: 0, sentTotal: 0 };
let stopping = false;

async function seatRoom(i) {
  const room = { ...(await createRoom(i)), players: [], sent: new Map(), seq: 0, drawer: null };
  for (let p = 0; p < PLAYERS; p++) {
    const player = new Player(room, p);
    room.players.push(player);
    await player.open();
    const welcome = player.waitFor((m) => m.type === "welcome");
    const hello = { type: "hello", name: `p${p}` };
    if (AVATAR === "max") hello.avatar = largestAvatar(i * PLAYERS + p + 1);
    player.send(hello);
    player.id = (await welcome).you.id;
  }
  return room;
}

async function startTelephone(room) {
  const host = room.players[0];
  const writing = room.players.map((pl) => pl.waitFor((m) => m.type === "task" && m.step === 1));
  host.send({ type: "start" });
  await Promise.all(writing);
  const drawing = room.players.map((pl) =>
    pl.waitFor((m) => m.type === "task" && m.step === 2 && m.kind === "draw"));
  room.players.forEach((pl) => pl.send({ type: "submit", text: `a sentence by ${pl.index}` }));
  await Promise.all(drawing);
  room.drawers = room.players;
}

async function startGame(room) {
  if (SERVER !== "drawgame") { room.drawer = room.players[0]; return; }
  if (GAME === "telephone") { await startTelephone(room); return; }
  const host = room.players[0];
  const drawing = host.waitFor((m) => m.type === "phase" && m.phase === "drawing");
  const choosing = room.players.map((pl) =>
    pl.waitFor((m) => m.type === "choices").then(() => pl));
  host.send({ type: "start" });
  const drawer = await Promise.race(choosing);
  drawer.send({ type: "choose", index: 0 });
  await drawing;
  room.drawer = drawer;
}

function line(seq) {
  const p = [];
  for (let k = 0; k < POINTS; k++) p.push((seq * 7 + k * 13) % 1000, (seq * 3 + k * 11) % 750);
  return JSON.stringify({ type: "draw", ops: [{ op: "line", id: seq, c: "#1a2b3c", w: 6, p }] });
}

async function inBatches(items, size, fn) {
  const out = [];
  for (let i = 0; i < items.length; i += size) {
    out.push(...(await Promise.all(items.slice(i, i + size).map(fn))));
  }
  return out;
}

// Bytes that reached the players' sockets from the server (frames as sent, compressed or not).
function wireBytes(rooms) {
  let n = 0;
  for (const room of rooms) for (const p of room.players) n += p.ws._socket?.bytesRead ?? 0;
  return n;
}

// The server's draw-handling histogram: cumulative counts by upper bound (seconds), and the sum.
async function handledHistogram() {
  if (SERVER !== "drawgame") return null;
  const text = await (await fetch(`${BASE}/metrics`)).text();
  const buckets = new Map();
  let sum = 0;
  for (const line of text.split("\n")) {
    const b = line.match(/^drawgame_draw_handled_seconds_bucket\{le="([^"]+)"\} (\S+)/);
    if (b) buckets.set(b[1], Number(b[2]));
    const s = line.match(/^drawgame_draw_handled_seconds_sum (\S+)/);
    if (s) sum = Number(s[1]);
  }
  return { buckets, sum };
}

// p99 of what was observed between two readings: the smallest bound holding 99 %.
function handledFigures(before, after) {
  if (!before || !after) return { handled_p99_ms_at_most: null, handled_mean_ms: null };
  const total = (after.buckets.get("+Inf") ?? 0) - (before.buckets.get("+Inf") ?? 0);
  let p99 = null;
  for (const [le, n] of after.buckets) {
    if (n - (before.buckets.get(le) ?? 0) >= 0.99 * total) {
      p99 = le === "+Inf" ? Infinity : Number(le) * 1000;
      break;
    }
  }
  return { handled_count: total, handled_p99_ms_at_most: p99,
           handled_mean_ms: total ? ((after.sum - before.sum) * 1000) / total : null };
}

function percentile(sorted, q) {
  if (!sorted.length) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

async function fanout() {
  const rooms = await inBatches([...Array(ROOMS).keys()], 10, seatRoom);
  log(`seated ${ROOMS} rooms x ${PLAYERS}`);
  await inBatches(rooms, 10, startGame);
  log("drawing");
  let measuring = false;
  const period = 1000 / RATE;
  // Drawers are spread evenly over the period, as independent players would be.
  const drawers = rooms.flatMap((room) => (room.drawers ?? [room.drawer]).map((d) => [room, d]));
  const timers = drawers.map(([room, drawer], i) => setTimeout(() => {
    drawer.timer = setInterval(() => {
      const seq = ++room.seq;
      room.sent.set(seq, { at: performance.now(), got: 0, measured: measuring });
      if (measuring) stats.sentMeasured++;
      stats.sentTotal++;
      drawer.send(line(seq));
    }, period);
  }, (i * period) / drawers.length));
  await sleep(WARMUP_S * 1000);
  const hist0 = await handledHistogram();
  const cpu0 = cpuSeconds(SERVER_PIDS);
  const t0 = performance.now();
  const frames0 = stats.frames;
  const wire0 = wireBytes(rooms);
  measuring = true;
  await sleep(SECONDS * 1000);
  measuring = false;
  const elapsed = (performance.now() - t0) / 1000;
  const cpu1 = cpuSeconds(SERVER_PIDS);
  const frames = stats.frames - frames0;
  const wire = wireBytes(rooms) - wire0;
  timers.forEach(clearTimeout);
  drawers.forEach(([, d]) => clearInterval(d.timer));
  await sleep(DRAIN_MS);
  const hist1 = await handledHistogram();
  const handled = handledFigures(hist0, hist1);
  const expectedPer = GAME === "telephone" ? 0 : PLAYERS - 1;
  let expected = 0, got = 0, lostFrames = 0;
  for (const room of rooms) {
    for (const s of room.sent.values()) {
      if (!s.measured) continue;
      expected += expectedPer;
      got += Math.min(s.got, expectedPer);
      if (s.got < expectedPer) lostFrames++;
    }
  }
  stats.latencies.sort((a, b) => a - b);
  const cpu = cpu0 === null ? null : cpu1 - cpu0;
  return {
    mode: "fanout", server: SERVER, deflate: DEFLATE, rooms: ROOMS, players: PLAYERS, rate: RATE,
    seconds: elapsed, sent: stats.sentMeasured,
    wanted_per_s: (stats.sentMeasured * expectedPer) / elapsed,
    deliveries: stats.deliveries, deliveries_per_s: stats.deliveries / elapsed,
    frames_per_s: frames / elapsed,
    wire_bytes_per_delivery: wire / Math.max(1, stats.deliveries),
    lost: expected - got, lost_pct: expected ? (100 * (expected - got)) / expected : 0,
    lost_frames: lostFrames,
    p50_ms: percentile(stats.latencies, 0.5), p99_ms: percentile(stats.latencies, 0.99),
    max_ms: stats.latencies.at(-1) ?? null,
    server_cpu_s: cpu, cpu_us_per_delivery: cpu === null ? null : (cpu * 1e6) / Math.max(1, stats.deliveries),
    game: GAME, received_per_s: stats.sentMeasured / elapsed,
    cpu_us_per_received: cpu === null ? null : (cpu * 1e6) / Math.max(1, stats.sentMeasured),
    sent_total: stats.sentTotal, refused: stats.refused, ...handled,
    errors: stats.errors, closes: stats.closes,
  };
}

async function idle() {
  const rooms = await inBatches([...Array(ROOMS).keys()], 10, seatRoom);
  log(`seated ${ROOMS * PLAYERS} idle players`);
  // The orchestrator reads the server's memory now; it stops us when done.
  process.stdout.write(JSON.stringify({ mode: "idle", seated: ROOMS * PLAYERS, errors: stats.errors,
                                        closes: stats.closes }) + "\n");
  await sleep(HOLD_S * 1000);
  return null;
}

const result = await (MODE === "idle" ? idle() : fanout());
stopping = true;
if (result) process.stdout.write(JSON.stringify(result) + "\n");
process.exit(0);
