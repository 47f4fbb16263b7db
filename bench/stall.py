"""The database-stall benchmark: strokes relayed and kept while another process holds the
SQLite file.

For each server under test (this tree, and with ``--before CHECKOUT`` another
checkout, e.g. ``git worktree add /tmp/before <commit>``), in one invocation:
the server is started pinned to core 0 (``taskset -c 0``) on a new SQLite
file, the load generator (this script) pins itself to core 1; ROOMS rooms of
two players play a turn, each drawer sending RATE strokes a second and each
guesser a chat line every 2 s. After WARM seconds, another process takes the
file with ``BEGIN EXCLUSIVE`` (what an operator's ``sqlite3`` shell with an
open transaction does) and holds it LOCK seconds; the drawing goes on for
AFTER seconds past the release. Then, once health is ``ok`` with nothing left
to write (or after a minute), the database is read.

Printed per server: strokes sent; relay latency (drawer's send to the other
player's receipt) p50/p99/max before, during and after the lock; strokes not
relayed within TIMEOUT seconds; chat lines relayed late or never; strokes
relayed but not in the database afterwards (lost) and strokes in the
database; what health said during the lock; how long after the release
health was ``ok`` again with nothing to write.

Run: ``.venv/bin/python bench/stall.py [--rooms 5] [--rate 10] [--lock-s 30]
[--before /tmp/before]``. Talks only to 127.0.0.1 and stops what it starts.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import trio
from trio_websocket import ConnectionClosed, open_websocket_url

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
from fanout import SERVER_CORE, free_port, pin_to_load_core, pinned, wait_http  # noqa: E402

LOCKER = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
conn.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
sys.stdin.readline()
conn.execute("ROLLBACK")
"""


@dataclass
class Stroke:
    room: str
    id: int
    sent: float
    phase: str
    relayed: float | None = None


@dataclass
class Run:
    strokes: list[Stroke] = field(default_factory=list)
    chats: list[tuple[str, float, float | None]] = field(default_factory=list)
    health: list[tuple[float, str, int]] = field(default_factory=list)
    phase: str = "before"
    locked_at: float = 0.0
    released_at: float = 0.0
    ok_again_s: float | None = None
    stored: dict[str, set[int]] = field(default_factory=dict)
    closes: list[int] = field(default_factory=list)
    blocked_sends: int = 0


@contextmanager
def server(root: Path, tmp: Path) -> Iterator[tuple[subprocess.Popen[bytes], str, Path]]:
    port = free_port()
    db = tmp / f"stall-{port}.sqlite3"
    env = {**os.environ, "DRAWGAME_PORT": str(port), "DRAWGAME_DB_PATH": str(db),
           "DRAWGAME_LOG_LEVEL": "warning", "DRAWGAME_ENV_FILE": str(tmp / "none.env"),
           "DRAWGAME_ENVIRONMENT": "production", "DRAWGAME_ROOMS_PER_MINUTE_PER_IP": "1000",
           "DRAWGAME_CHAT_RATE": "5", "PYTHONPATH": str(root)}
    proc = subprocess.Popen(pinned(SERVER_CORE, [sys.executable, "-m", "drawgame", "serve"]),
                            cwd=tmp, env=env, stdout=subprocess.DEVNULL,
                            stderr=open(tmp / f"server-{port}.log", "wb"))  # noqa: SIM115
    try:
        url = f"http://127.0.0.1:{port}"
        wait_http(url + "/api/health")
        yield proc, url, db
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def progress(text: str) -> None:
    print(f"[stall] {text}", file=sys.stderr, flush=True)


def line(stroke: int) -> dict[str, Any]:
    return {"op": "line", "id": stroke, "c": "#204080", "w": 4,
            "p": [stroke % 900, 10, stroke % 900 + 40, 300, stroke % 900 + 60, 500]}


async def room_pair(url: str, run: Run, args: argparse.Namespace, stop: trio.Event) -> None:
    async with httpx.AsyncClient(timeout=10) as http:
        answer = await http.post(url + "/api/rooms", json={"private": True, "settings": {
            "rounds": 1, "draw_time_s": 240, "hints": 0, "word_choices": 1}})
    code = answer.json()["code"]
    ws_url = "ws" + url.removeprefix("http") + f"/ws/{code}"
    async with open_websocket_url(ws_url, message_queue_size=100_000) as ada, \
            open_websocket_url(ws_url, message_queue_size=100_000) as bob:
        await ada.send_message(json.dumps({"type": "hello", "name": "Ada"}))
        await bob.send_message(json.dumps({"type": "hello", "name": "Bob"}))
        ids = {}
        inbox: dict[str, trio.MemorySendChannel[dict[str, Any]]] = {}
        outs: dict[str, trio.MemoryReceiveChannel[dict[str, Any]]] = {}
        for name in ("ada", "bob"):
            inbox[name], outs[name] = trio.open_memory_channel[dict[str, Any]](100_000)
        sent_strokes: dict[int, Stroke] = {}
        sent_chats: dict[str, int] = {}

        async def read(name: str, ws: Any) -> None:
            try:
                while True:
                    data = json.loads(await ws.get_message())
                    now = trio.current_time()
                    for msg in data if isinstance(data, list) else [data]:
                        if msg.get("type") == "draw":
                            stroke = sent_strokes.get(msg["ops"][0]["id"])
                            if stroke is not None and stroke.relayed is None:
                                stroke.relayed = now
                        elif msg.get("type") == "chat" and msg.get("text") in sent_chats:
                            index = sent_chats[msg["text"]]
                            text, at, _ = run.chats[index]
                            run.chats[index] = (text, at, now)
                        else:
                            await inbox[name].send(msg)
            except ConnectionClosed as exc:
                run.closes.append(exc.reason.code)

        async def next_of(name: str, kind: str) -> dict[str, Any]:
            while True:
                msg = await outs[name].receive()
                if msg.get("type") == kind:
                    return msg

        async with trio.open_nursery() as nursery:
            nursery.start_soon(read, "ada", ada)
            nursery.start_soon(read, "bob", bob)
            ids["ada"] = (await next_of("ada", "welcome"))["you"]["id"]
            ids["bob"] = (await next_of("bob", "welcome"))["you"]["id"]
            await ada.send_message(json.dumps({"type": "start"}))
            phase = await next_of("ada", "phase")
            drawer, guesser = (ada, bob) if phase["drawer_id"] == ids["ada"] else (bob, ada)
            await drawer.send_message(json.dumps({"type": "choose", "index": 0}))
            await trio.sleep(0.5)

            async def chat() -> None:
                n = 0
                while not stop.is_set():
                    n += 1
                    text = f"{code} guess {n}"
                    sent_chats[text] = len(run.chats)
                    run.chats.append((text, trio.current_time(), None))
                    await guesser.send_message(json.dumps({"type": "chat", "text": text}))
                    await trio.sleep(2)

            nursery.start_soon(chat)
            n = 0
            while not stop.is_set():
                n += 1
                stroke = Stroke(code, n, trio.current_time(), run.phase)
                sent_strokes[n] = stroke
                run.strokes.append(stroke)
                # A server that stops reading its sockets (its room waits) stops this
                # drawer too: counted, then the next stroke.
                with trio.move_on_after(args.timeout) as blocked:
                    await drawer.send_message(json.dumps({"type": "draw", "ops": [line(n)]}))
                if blocked.cancelled_caught:
                    run.blocked_sends += 1
                await trio.sleep(1 / args.rate)
            await trio.sleep(args.timeout)
            nursery.cancel_scope.cancel()


async def watch_health(url: str, run: Run, stop: trio.Event) -> None:
    async with httpx.AsyncClient(timeout=10) as http:
        while not stop.is_set():
            try:
                body = (await http.get(url + "/api/health")).json()
                pending = int(body["checks"]["database"].get("pending_records", 0))
                run.health.append((trio.current_time(), body["status"], pending))
            except (httpx.HTTPError, ValueError, KeyError):
                run.health.append((trio.current_time(), "no answer", -1))
            await trio.sleep(0.5)


async def measure(url: str, db: Path, args: argparse.Namespace) -> Run:
    run, stop = Run(), trio.Event()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(watch_health, url, run, stop)
        for _ in range(args.rooms):
            nursery.start_soon(room_pair, url, run, args, stop)
        await trio.sleep(args.warm_s)
        locker = await trio.lowlevel.open_process(
            [sys.executable, "-c", LOCKER, str(db)], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE)
        assert locker.stdout is not None and locker.stdin is not None
        got = b""
        while b"\n" not in got:
            got += await locker.stdout.receive_some()
        run.phase, run.locked_at = "during", trio.current_time()
        progress(f"the database is locked; {len(run.strokes)} strokes so far")
        await trio.sleep(args.lock_s)
        await locker.stdin.send_all(b"done\n")
        await locker.wait()
        run.phase, run.released_at = "after", trio.current_time()
        progress(f"the lock is released; {len(run.strokes)} strokes so far")
        await trio.sleep(args.after_s)
        stop.set()
        # Rooms that stopped reading cannot end their connections cleanly: bounded.
        nursery.cancel_scope.deadline = trio.current_time() + 2 * args.timeout + 10
    ok_at = next((at for at, status, pending in run.health
                  if at > run.released_at and status == "ok" and pending == 0), None)
    async with httpx.AsyncClient(timeout=10) as http:
        with trio.move_on_after(60):
            while ok_at is None:
                try:
                    body = (await http.get(url + "/api/health")).json()
                    if body["status"] == "ok" and \
                            body["checks"]["database"].get("pending_records", 0) == 0:
                        ok_at = trio.current_time()
                except (httpx.HTTPError, ValueError, KeyError):
                    pass
                await trio.sleep(0.2)
    run.ok_again_s = None if ok_at is None else ok_at - run.released_at
    conn = sqlite3.connect(db)
    try:
        rows = conn.execute("SELECT r.code, o.ops FROM turn_ops o JOIN turns t ON t.id = o.turn_id"
                            " JOIN games g ON g.id = t.game_id JOIN rooms r ON r.id = g.room_id"
                            ).fetchall()
    finally:
        conn.close()
    for code, ops in rows:
        run.stored.setdefault(code, set()).update(op["id"] for op in json.loads(ops))
    return run


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def report(kind: str, run: Run, args: argparse.Namespace) -> dict[str, Any]:
    out: dict[str, Any] = {"server": kind, "strokes_sent": len(run.strokes)}
    for phase in ("before", "during", "after"):
        strokes = [s for s in run.strokes if s.phase == phase]
        delays = [(s.relayed - s.sent) * 1000 for s in strokes if s.relayed is not None]
        late = [s for s in strokes if s.relayed is None or s.relayed - s.sent > args.timeout]
        out[phase] = {"strokes": len(strokes),
                      "p50_ms": round(percentile(delays, 0.5), 1),
                      "p99_ms": round(percentile(delays, 0.99), 1),
                      "max_ms": round(max(delays, default=float("nan")), 1),
                      f"not_relayed_within_{args.timeout:g}s": len(late)}
    relayed = [s for s in run.strokes if s.relayed is not None]
    out["relayed_not_stored"] = sum(1 for s in relayed if s.id not in run.stored.get(s.room, ()))
    out["stored"] = sum(len(ids) for ids in run.stored.values())
    chats_during = [(sent, got) for _, sent, got in run.chats
                    if run.locked_at <= sent < run.released_at]
    out["chat_during_lock"] = {"sent": len(chats_during),
                               "relayed_within_1s": sum(1 for sent, got in chats_during
                                                        if got is not None and got - sent <= 1)}
    during = [(status, pending) for at, status, pending in run.health
              if run.locked_at <= at < run.released_at]
    out["health_during_lock"] = sorted({status for status, _ in during})
    out["max_pending_records"] = max((p for _, p in during), default=0)
    out["ok_again_after_release_s"] = None if run.ok_again_s is None else round(run.ok_again_s, 1)
    out["close_codes"] = sorted(set(run.closes))
    out[f"sends_blocked_over_{args.timeout:g}s"] = run.blocked_sends
    out["relayed"] = len(relayed)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rooms", type=int, default=5)
    parser.add_argument("--rate", type=float, default=10.0, help="strokes a second per drawer")
    parser.add_argument("--warm-s", type=float, default=5.0)
    parser.add_argument("--lock-s", type=float, default=30.0)
    parser.add_argument("--after-s", type=float, default=10.0)
    parser.add_argument("--timeout", type=float, default=10.0,
                        help="a stroke not relayed within this long counts as not relayed")
    parser.add_argument("--before", type=Path, help="another checkout to measure too")
    args = parser.parse_args()
    pin_to_load_core()
    kinds = [("this tree", ROOT)] + ([("before", args.before.resolve())] if args.before else [])
    results = []
    for kind, root in kinds:
        with tempfile.TemporaryDirectory(prefix="drawgame-stall-") as folder, \
                server(root, Path(folder)) as (_, url, db):
            progress(f"{kind}: serving at {url}")
            run = trio.run(measure, url, db, args)
            results.append(report(kind, run, args))
            print(json.dumps(results[-1], indent=1), flush=True)
    for result in results:
        during = result["during"]
        print(f"{result['server']}: during the lock {during['strokes']} strokes, relay p50"
              f" {during['p50_ms']} ms, p99 {during['p99_ms']} ms, not relayed within"
              f" {args.timeout:g} s: {during[f'not_relayed_within_{args.timeout:g}s']};"
              f" {result['strokes_sent']} sent in all, {result['relayed']} relayed,"
              f" {result['stored']} stored, relayed but not stored:"
              f" {result['relayed_not_stored']}")

if __name__ == "__main__":
    main()
