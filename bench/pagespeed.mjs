// How fast the lobby and a room page open on a phone, and what a repeat visit costs.
//
// Starts one server per checkout given (pinned to core 0 with taskset), then for
// each page runs Lighthouse's mobile preset (simulated slow 4G, 4x CPU slowdown)
// RUNS times, alternating the checkouts so that both see the same machine, and
// reports the median performance score, largest contentful paint and the rest.
// Then it measures a repeat visit in Chromium over the DevTools protocol: the
// page is opened once (its service worker, when it has one, installed and in
// control), opened again in the same profile, and every byte that came over the
// network for the second visit is added up (the page's own requests and its
// service worker's).
//
//   cd bench && npm install
//   taskset -c 1 node pagespeed.mjs --checkout before=/tmp/before --checkout after=..
//
// `make pagespeed` runs this (and so Chromium) on core 1; PAGESPEED_CORES=0,1 gives
// Chromium both cores. Lighthouse's simulated CPU slowdown (4x) multiplies the work it
// sees on the machine it runs on, so blocking time depends on that machine's speed at
// the moment: the "machine" column (Lighthouse's benchmark index) says it, and the
// checkouts alternate so that each sees the same.
//
// Options: --runs N (default 5), --python PATH (default ../.venv/bin/python),
// --json FILE (the figures as JSON), --via caddy (each server behind Debian's
// Caddy with the checkout's deploy/Caddyfile, HTTPS from Caddy's own CA and
// HTTP/2, as a deployment runs; Caddy also on core 0). CHROME_PATH defaults to
// /usr/bin/chromium.

import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request as httpsRequest } from "node:https";
import { X509Certificate, createHash } from "node:crypto";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createServer } from "node:net";
import { once } from "node:events";
import lighthouse from "lighthouse";
import * as chromeLauncher from "chrome-launcher";
import puppeteer from "puppeteer-core";

const HERE = new URL(".", import.meta.url).pathname;
const CHROME = process.env.CHROME_PATH || "/usr/bin/chromium";
const CHROME_FLAGS = [
  "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
  "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
];

function options() {
  const args = process.argv.slice(2);
  const opts = { runs: 5, python: resolve(HERE, "../.venv/bin/python"), checkouts: [], json: null,
    via: null };
  for (let i = 0; i < args.length; i++) {
    const [name, value] = [args[i], args[i + 1]];
    if (name === "--runs") opts.runs = Number(value);
    else if (name === "--python") opts.python = value;
    else if (name === "--json") opts.json = value;
    else if (name === "--via") opts.via = value;
    else if (name === "--checkout") {
      const [label, dir] = value.split("=");
      opts.checkouts.push({ label, dir: resolve(dir) });
    } else throw new Error(`unknown option ${name}`);
    i++;
  }
  if (!opts.checkouts.length) opts.checkouts.push({ label: "this", dir: resolve(HERE, "..") });
  if (opts.via && opts.via !== "caddy") throw new Error("--via takes caddy");
  return opts;
}

async function freePort() {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address();
  server.close();
  return port;
}

/** A production-like server of `dir` on core 0; resolves once it serves. */
async function startServer(checkout, python) {
  const port = await freePort();
  const folder = mkdtempSync(join(tmpdir(), "drawgame-pagespeed-"));
  const env = {
    ...process.env, DRAWGAME_PORT: String(port), DRAWGAME_DB_PATH: join(folder, "db.sqlite3"),
    DRAWGAME_ENVIRONMENT: "production", DRAWGAME_LOG_FORMAT: "json",
    DRAWGAME_ENV_FILE: join(folder, "none.env"), DRAWGAME_LOG_LEVEL: "warning",
  };
  const proc = spawn("taskset", ["-c", "0", python, "-m", "drawgame", "serve"],
    { cwd: checkout.dir, env, stdio: ["ignore", "ignore", "pipe"] });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    try {
      const res = await fetch(`${base}/api/health`);
      if (res.ok) return { ...checkout, base, direct: base, proc, folder };
    } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  proc.kill();
  throw new Error(`the server of ${checkout.dir} did not start`);
}

/** GET over HTTPS trusting nothing (Caddy's local CA): the status, or 0. */
function insecureStatus(url) {
  return new Promise((done) => {
    const req = httpsRequest(url, { rejectUnauthorized: false }, (res) => {
      res.resume();
      done(res.statusCode);
    });
    req.on("error", () => done(0));
    req.end();
  });
}

/** Debian's Caddy with the checkout's deploy/Caddyfile in front of `server` (core 0). */
async function startCaddy(server) {
  const [port, httpPort] = [await freePort(), await freePort()];
  const folder = mkdtempSync(join(tmpdir(), "drawgame-pagespeed-caddy-"));
  const text = readFileSync(join(server.dir, "deploy/Caddyfile"), "utf8").replace(
    "\n{\n", `\n{\n\tadmin off\n\tskip_install_trust\n\thttp_port ${httpPort}\n\thttps_port ${port}\n`);
  writeFileSync(join(folder, "Caddyfile"), text);
  const env = {
    ...process.env, HOME: folder, XDG_DATA_HOME: join(folder, "data"), XDG_CONFIG_HOME: join(folder, "config"),
    DRAWGAME_SITE: `localhost:${port}`, DRAWGAME_UPSTREAM: server.base.replace("http://", ""),
    DRAWGAME_TLS: "internal",
  };
  const proc = spawn("taskset", ["-c", "0", "caddy", "run", "--config", join(folder, "Caddyfile"),
    "--adapter", "caddyfile"], { cwd: folder, env, stdio: "ignore" });
  const base = `https://localhost:${port}`;
  for (let i = 0; i < 300; i++) {
    if (await insecureStatus(`${base}/api/health`) === 200) {
      // Chromium trusts Caddy's local CA (so that it caches what it gets, as from any
      // valid certificate) by the hash of the public key of the chain it presents.
      const ca = join(folder, "data/caddy/pki/authorities/local/intermediate.crt");
      const spki = new X509Certificate(readFileSync(ca)).publicKey
        .export({ type: "spki", format: "der" });
      const hash = createHash("sha256").update(spki).digest("base64");
      // (One flag for every server's CA: Chromium reads the last flag only.)
      const flag = CHROME_FLAGS.findIndex((f) => f.startsWith("--ignore-certificate-errors-spki-list="));
      if (flag < 0) CHROME_FLAGS.push(`--ignore-certificate-errors-spki-list=${hash}`);
      else CHROME_FLAGS[flag] += `,${hash}`;
      return { proc, folder, base };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  proc.kill();
  throw new Error("Caddy did not start");
}

async function pagesOf(server) {
  const res = await fetch(`${server.direct}/api/rooms`, {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ name: "pagespeed", private: true }),
  });
  const room = await res.json();
  return { lobby: `${server.base}/`, room: `${server.base}/r/${room.code}` };
}

/** Ask once for a page and every file it names, as a browser would (compressed): what a
 * server makes on first demand (a compressed file) is then made, for every checkout. */
async function warmUp(url) {
  const headers = { "Accept-Encoding": "br, gzip" };
  const page = await (await fetch(url, { headers })).text();
  const origin = new URL(url).origin;
  const files = [...page.matchAll(/(?:href|src)="(\/[^"]+)"/g)].map((m) => m[1]);
  await Promise.all(files.map((path) => fetch(origin + path, { headers }).then((r) => r.arrayBuffer())));
}

async function lighthouseRun(url) {
  const chrome = await chromeLauncher.launch({ chromePath: CHROME, chromeFlags: CHROME_FLAGS });
  try {
    const result = await lighthouse(url, {
      port: chrome.port, output: "json", logLevel: "error", onlyCategories: ["performance"],
    });
    const lhr = result.lhr;
    const audit = (id) => lhr.audits[id]?.numericValue;
    return {
      score: Math.round(lhr.categories.performance.score * 100),
      lcp: audit("largest-contentful-paint"), fcp: audit("first-contentful-paint"),
      tbt: audit("total-blocking-time"), si: audit("speed-index"),
      bytes: audit("total-byte-weight"), requests: lhr.audits["network-requests"]?.details?.items?.length,
      // Lighthouse's own measure of the machine's speed at that moment (about 1500 on
      // this kind of machine when idle; a busy machine scores lower and pages slower).
      machine: lhr.environment.benchmarkIndex,
    };
  } finally {
    await chrome.kill();
  }
}

/** Bytes over the network for a second visit of `url` in the same profile. */
async function repeatVisit(url) {
  const profile = mkdtempSync(join(tmpdir(), "drawgame-repeat-"));
  const browser = await puppeteer.launch({
    executablePath: CHROME, headless: true, args: CHROME_FLAGS.filter((f) => !f.startsWith("--headless")),
    userDataDir: profile,
  });
  try {
    const page = await browser.newPage();
    await page.goto(url, { waitUntil: "networkidle0" });
    const controlled = await page.evaluate(async () => {
      if (!("serviceWorker" in navigator) || !navigator.serviceWorker.getRegistration) return false;
      const reg = await navigator.serviceWorker.getRegistration();
      if (!reg) return false;
      await Promise.race([navigator.serviceWorker.ready, new Promise((r) => setTimeout(r, 3000))]);
      return true;
    });
    const tally = { bytes: 0, requests: 0, fromNetwork: 0, notModified: 0 };
    const sessions = [await page.createCDPSession()];
    if (controlled) {
      const worker = await browser.waitForTarget((t) => t.type() === "service_worker", { timeout: 5000 });
      sessions.push(await worker.createCDPSession());
    }
    for (const [i, session] of sessions.entries()) {
      const served = new Set();
      await session.send("Network.enable");
      session.on("Network.responseReceived", (e) => {
        if (e.response.fromServiceWorker) served.add(e.requestId);
        if (e.response.status === 304) tally.notModified++;
      });
      session.on("Network.loadingFinished", (e) => {
        tally.requests += i === 0 ? 1 : 0;
        // A page request the service worker answered: its network part, if any, is
        // counted in the worker's own session.
        if (i === 0 && served.has(e.requestId)) return;
        if (e.encodedDataLength > 0) tally.fromNetwork++;
        tally.bytes += e.encodedDataLength;
      });
    }
    await page.goto(url, { waitUntil: "networkidle0" });
    return { ...tally, serviceWorker: controlled };
  } finally {
    await browser.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

async function main() {
  const opts = options();
  const servers = [];
  try {
    for (const checkout of opts.checkouts) {
      const server = await startServer(checkout, opts.python);
      servers.push(server);
      if (opts.via) {
        server.proxy = await startCaddy(server);
        server.base = server.proxy.base;
      }
    }
    const pages = await Promise.all(servers.map(pagesOf));
    for (const [j, server] of servers.entries()) {
      for (const url of Object.values(pages[j])) await warmUp(url.replace(server.base, server.direct));
    }
    const figures = {};
    for (const name of ["lobby", "room"]) {
      const runs = Object.fromEntries(servers.map((s) => [s.label, []]));
      for (let i = 0; i < opts.runs; i++) {
        for (const [j, server] of servers.entries()) runs[server.label].push(await lighthouseRun(pages[j][name]));
      }
      for (const [j, server] of servers.entries()) {
        const r = runs[server.label];
        const pick = (k) => median(r.map((x) => x[k]));
        figures[`${server.label} ${name}`] = {
          score: pick("score"), scores: r.map((x) => x.score), lcp_ms: Math.round(pick("lcp")),
          fcp_ms: Math.round(pick("fcp")), tbt_ms: Math.round(pick("tbt")), si_ms: Math.round(pick("si")),
          first_visit_bytes: pick("bytes"), requests: pick("requests"), machine: pick("machine"),
          repeat_visit: await repeatVisit(pages[j][name]),
        };
      }
    }
    console.log(`Lighthouse mobile preset, median of ${opts.runs} runs each (server on core 0${
      opts.via ? ", behind Caddy: HTTPS, HTTP/2" : ", direct: HTTP/1.1"})`);
    console.table(Object.fromEntries(Object.entries(figures).map(([k, v]) => [k, {
      score: v.score, "LCP ms": v.lcp_ms, "FCP ms": v.fcp_ms, "TBT ms": v.tbt_ms, "SI ms": v.si_ms,
      "1st visit B": v.first_visit_bytes, requests: v.requests,
      "repeat B": v.repeat_visit.bytes, "repeat net req": v.repeat_visit.fromNetwork,
      "SW": v.repeat_visit.serviceWorker, machine: Math.round(v.machine),
    }])));
    if (opts.json) writeFileSync(opts.json, JSON.stringify(figures, null, 2));
  } finally {
    for (const s of servers) {
      if (s.proxy) {
        s.proxy.proc.kill("SIGTERM");
        rmSync(s.proxy.folder, { recursive: true, force: true });
      }
      s.proc.kill("SIGTERM");
      rmSync(s.folder, { recursive: true, force: true });
    }
  }
}

await main();
